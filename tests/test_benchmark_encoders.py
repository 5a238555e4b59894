"""Smoke tests of the encoders benchmark: its data, its forest, its scores and a tiny --quick run."""

import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

import encoders as bench  # noqa: E402


def test_categorical_problem_keeps_names_mask_and_truth_together():
    problem = bench.categorical_problem(400, 3)
    names = list(problem.names)
    assert problem.X.shape == (400, 11) and sorted(names) == sorted(set(names))
    assert [names[j] for j in np.flatnonzero(problem.truth)] == [n for n in names if n.startswith("rel")]
    for j, name in enumerate(names):
        assert problem.categorical[j] == ("cat" in name)
        if name.startswith("noise_cat"):
            assert len(np.unique(problem.X[:, j])) == int(name.removeprefix("noise_cat"))
    level = problem.X[:, names.index("rel_cat6")]
    rates = [problem.y[level == k].mean() for k in range(6)]
    assert rates[0] > rates[1] and rates[2] < rates[3]  # the effect zig-zags over the codes


def test_missing_cells_are_about_the_share():
    X = bench.with_missing(np.ones((500, 10)), 0.2, np.random.default_rng(0))
    assert 0.17 < np.isnan(X).mean() < 0.23


def test_forest_sums_one_hot_columns_per_attribute():
    rng = np.random.default_rng(0)
    level = rng.integers(0, 5, 300)
    X = np.column_stack([level, rng.standard_normal(300), rng.standard_normal(300)]).astype(float)
    X[rng.random(X.shape) < 0.1] = np.nan
    y = (np.isin(level, [1, 3]) ^ (rng.random(300) < 0.05)).astype(int)
    scores = bench.forest_importances(X, y, np.array([True, False, False]), 0, 20)
    impurity, _ = scores[bench.RF_IMPURITY]
    permutation, _ = scores[bench.RF_PERMUTATION]
    assert impurity.shape == permutation.shape == (3,) and np.isclose(impurity.sum(), 1.0)
    assert impurity.argmax() == 0 and permutation.argmax() == 0


def _synthetic_rows():
    rows = []
    for seed, (linear, piecewise, impute) in enumerate(((0.9, 0.7, 0.88), (0.8, 0.75, 0.8))):
        for condition, auroc in (("complete", linear), ("piecewise", piecewise), ("impute", impute)):
            rows.append(
                {
                    "problem": "p",
                    "seed": seed,
                    "n_rows": 100,
                    "n_features": 10,
                    "method": bench.DEEPFEAT,
                    "condition": condition,
                    "complete_rows": 10,
                    "auroc": auroc,
                    "seconds": 1.0,
                    "n_models": 2,
                    "epochs": 5.0,
                    "val_auroc": 0.8,
                    "at_chance": False,
                    "stability": 0.5,
                    "rows_used": 100,
                }
            )
        rows.append({**rows[-1], "condition": "drop", "auroc": None, "note": "10 complete rows"})
        for method in bench.FORESTS:
            rows.append({"problem": "p", "seed": seed, "method": method, "condition": "complete", "auroc": 1.0})
    return rows


def test_piecewise_verdict_against_the_seed_spread():
    (summary,) = bench.piecewise_summary(_synthetic_rows())
    assert np.isclose(summary["difference"], -0.125) and np.isclose(summary["spread"], 0.1)
    assert summary["loses"]
    lines = bench.target_lines([], _synthetic_rows(), None)
    assert "within 0.03 of complete data on the 1 problems the networks learn: PASS" in lines
    assert "no rows dropped with impute (2 fits): PASS" in lines
    assert "MISS (p -0.125 (spread 0.100))" in lines


class _StandIn:
    """What the benchmark reads off a fitted estimator, without training: random importances."""

    def __init__(self, X, seed, missing="impute", **_):
        rows = np.arange(len(X)) if missing == "impute" else np.flatnonzero(~np.isnan(X).any(axis=1))
        self.feature_importances_ = np.random.default_rng(seed).random(X.shape[1])
        self.stability_ = 0.5
        self.validation_skill_ = SimpleNamespace(value=0.7, at_chance=False)
        half = len(rows) // 2
        self.ensemble_ = SimpleNamespace(
            records=[{"epochs_run": 3}] * 2, train_index=[rows[:half]] * 2, val_index=[rows[half:]] * 2
        )


def _stand_in_fit(X, y, seed, n_models, max_epochs, learning_rate=None, **params):
    return _StandIn(np.asarray(X), seed, **params), 0.1


def test_every_part_runs_and_reports_with_a_stand_in_estimator(monkeypatch):
    monkeypatch.setattr(bench, "fit_deepfeat", _stand_in_fit)
    synthetic_rows = bench.run_synthetic(bench.QUICK)
    conditions = [(r["method"], r["condition"]) for r in synthetic_rows]
    assert conditions == [
        (bench.DEEPFEAT, "complete"),
        (bench.DEEPFEAT, "piecewise"),
        (bench.DEEPFEAT, "impute"),
        (bench.DEEPFEAT, "drop"),
        *((method, condition) for condition in ("complete", "impute") for method in bench.FORESTS),
    ]
    drop = synthetic_rows[3]
    assert drop["rows_used"] == drop["complete_rows"] >= bench.MIN_DROP_ROWS  # 6 columns leave enough rows
    assert synthetic_rows[2]["rows_used"] == synthetic_rows[2]["n_rows"] == 300
    cleveland_rows = bench.run_cleveland(bench.QUICK)  # [] without the data
    facts = {
        "mode": bench.asdict(bench.QUICK),
        "commit": "abc1234",
        "machine": "test",
        "load_before": "1",
        "load_after": "1",
        "date": "2026-12-02",
        "seconds": 60.0,
        "skip": ["categorical"],
    }
    text = bench.report([], synthetic_rows, cleveland_rows, facts)
    assert "Command: `.venv/bin/python benchmarks/encoders.py --quick --skip categorical`" in text
    assert "| orange skin (300 rows, 6 cols) | 6 | yes | " in text and "#### Part 3" in text
    assert "no rows dropped with impute (1 fits): PASS" in text
    if cleveland_rows:
        assert [r["setting"] for r in cleveland_rows[:2]] == ["categorical", "numeric"]
        assert "Training time per model, categorical / numeric" in text
    else:
        assert "Data not present; skipped." in text


@pytest.mark.slow
def test_quick_run_end_to_end(capsys):
    """Part 1 with real (tiny) training; the other parts' loops are covered by the stand-in above."""
    text = bench.main(["--quick", "--skip", "cleveland", "synthetic"])
    assert capsys.readouterr().out.strip() == text.strip()
    assert "#### Targets" in text and "Part 1, AUROC >= the forest's" in text
    part = text.split("#### Part 1")[1]
    for method in (bench.DEEPFEAT, bench.DEEPFEAT_CODES, *bench.FORESTS):
        assert f"| {method} | " in part
    assert "#### Part 2" not in text and "#### Part 4" not in text
