"""Smoke tests of the regression and multi-label benchmark: its generators, baselines, skill rows and a tiny run."""

import itertools
import json
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

import baselines  # noqa: E402
import metrics  # noqa: E402
import targets  # noqa: E402


def test_a_perfect_importance_vector_scores_auroc_and_precision_one():
    truth = np.array([False, True, False, True, True, False])
    row = targets.ranking_row({"problem": "p"}, "oracle", truth + 0.01, 0.0, truth)
    assert row["auroc"] == 1.0 and row["precision"] == 1.0
    assert targets.ranking_row({}, "reversed", -truth.astype(float), 0.0, truth)["auroc"] == 0.0


def _matches(y, columns, formula):
    """Whether ``y`` is ``formula`` of ``columns`` taken in some order."""
    return any(
        np.allclose(y, formula(*columns[:, order].T)) for order in itertools.permutations(range(columns.shape[1]))
    )


def test_regression_generators_put_the_relevant_columns_where_they_say():
    problem = targets.friedman(200, 3, noise=0.0)
    assert problem.X.shape == (200, 50) and len(problem.relevant) == problem.truth.sum() == 5
    assert problem.y.dtype.kind == "f"
    assert _matches(
        problem.y,
        problem.X[:, problem.relevant],
        lambda a, b, c, d, e: 10 * np.sin(np.pi * a * b) + 20 * (c - 0.5) ** 2 + 10 * d + 5 * e,
    )
    assert not np.array_equal(problem.relevant, np.arange(5))  # the columns are shuffled
    problem = targets.interaction(200, 4, noise=0.0)
    assert problem.X.shape == (200, 30) and len(problem.relevant) == 3
    assert _matches(problem.y, problem.X[:, problem.relevant], lambda a, b, c: a * b + np.sin(c))
    # The seed alone decides the data.
    assert np.array_equal(targets.interaction(200, 4).X, targets.interaction(200, 4).X)


def test_multilabel_generator_every_informative_column_informative_and_the_noise_not():
    problem = targets.multilabel(4000, 2)
    X, Y = problem.X, problem.y
    assert X.shape == (4000, 30) and Y.shape == (4000, 5) and set(np.unique(Y)) == {0, 1}
    assert len(problem.relevant) == 10
    gaps = np.array(
        [
            [abs(X[Y[:, k] == 1, j].mean() - X[Y[:, k] == 0, j].mean()) / X[:, j].std() for k in range(Y.shape[1])]
            for j in range(X.shape[1])
        ]
    ).max(axis=1)
    assert gaps[problem.truth].min() > 0.3 > 0.15 > gaps[~problem.truth].max()
    # The noise columns are copies of informative ones in another row order: same values, same counts.
    for j in np.flatnonzero(~problem.truth):
        assert any(np.array_equal(np.sort(X[:, j]), np.sort(X[:, i])) for i in problem.relevant)


def test_baselines_find_an_easy_signal():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((300, 8))
    truth = np.isin(np.arange(8), [2, 5])
    y = 3 * X[:, 2] - 2 * X[:, 5] + rng.normal(0, 0.1, 300)
    for name, function in targets.REGRESSION_BASELINES.items():
        scores = function(X, y, 0)
        assert scores.shape == (8,) and metrics.auroc(scores, truth) == 1.0, name
    Y = np.column_stack([X[:, 2] > 0, X[:, 5] > 0.5]).astype(np.int64)
    for name, function in targets.MULTILABEL_BASELINES.items():
        scores = function(X, Y, 0)
        assert scores.shape == (8,) and metrics.auroc(scores, truth) == 1.0, name


def test_shuffled_target_keeps_the_values_and_breaks_the_rows():
    y = np.arange(100.0)
    shuffled = targets._shuffled_target(y, 0)
    assert np.array_equal(np.sort(shuffled), y) and not np.array_equal(shuffled, y)
    Y = np.eye(4, dtype=np.int64)[np.arange(100) % 4]
    assert sorted(map(tuple, targets._shuffled_target(Y, 0))) == sorted(map(tuple, Y))


@pytest.mark.slow
def test_tiny_targets_run_end_to_end(monkeypatch):
    monkeypatch.setitem(targets.DEEPFEAT_SETTINGS, "max_epochs", 3)
    monkeypatch.setattr(baselines, "N_TREES", 10)
    mode = replace(targets.QUICK, n_models=2, n_rows=120, diabetes_ks=(2, 4))
    saved = targets.measure(mode, (0,), None)
    ranking_rows, skill_rows = saved["ranking_rows"], saved["skill_rows"]
    problems = {r["problem"] for r in ranking_rows}
    assert len(problems) == 3
    for r in ranking_rows:
        assert 0.0 <= r["auroc"] <= 1.0 and 0.0 <= r["precision"] <= 1.0 and r["seconds"] >= 0
    methods = {r["method"] for r in ranking_rows if r["family"] == "regression"}
    assert methods == {targets.DEEPFEAT, *targets.REGRESSION_BASELINES}
    # Every problem, diabetes too, once with its target and once shuffled; R² for numbers, AUROC for labels.
    assert len(skill_rows) == 8 and {r["target"] for r in skill_rows} == {"real", "shuffled"}
    assert {r["metric"] for r in skill_rows if r["family"] == "regression"} == {"R2"}
    assert {r["metric"] for r in skill_rows if r["family"] == "multi-label"} == {"AUROC"}
    for r in skill_rows:
        assert isinstance(r["at_chance"], bool) and isinstance(r["warned"], bool) and np.isfinite(r["value"])
    diabetes = saved["diabetes_rows"]
    assert {r["k"] for r in diabetes if r["method"] == targets.DEEPFEAT} == {2, 4}
    assert all(-1.0 < r["r2"] < 1.0 for r in diabetes)
    # The report renders from the saved rows, as --report-from does.
    text = targets.report(**json.loads(json.dumps(saved, default=str)))
    for heading in ("#### Targets", "#### AUROC", "#### Diabetes", "#### Did the networks learn?"):
        assert heading in text
    assert "`.venv/bin/python benchmarks/targets.py --quick`" in text


def test_command_line_names_the_seeds_only_when_not_the_default():
    assert targets.command_line(targets.FULL, (0, 1, 2)) == ".venv/bin/python benchmarks/targets.py"
    assert targets.command_line(targets.QUICK, (0,)) == ".venv/bin/python benchmarks/targets.py --quick"
    assert targets.command_line(targets.FULL, (3, 4)) == ".venv/bin/python benchmarks/targets.py --seeds 3 4"
