"""Smoke tests of the ranking-quality benchmark: its metrics, generators and one tiny end-to-end run."""

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

import baselines  # noqa: E402
import metrics  # noqa: E402
import quality  # noqa: E402
import synthetic  # noqa: E402
import variants  # noqa: E402


def test_auroc_of_a_perfect_score_is_one_and_of_a_reversed_one_zero():
    truth = np.array([False, True, False, True, False])
    perfect = truth.astype(float) + 0.1
    assert metrics.auroc(perfect, truth) == 1.0
    assert metrics.auroc(-perfect, truth) == 0.0
    assert metrics.auroc(np.ones(5), truth) == 0.5


def test_precision_at_k_and_top_k_jaccard():
    truth = np.array([True, True, False, False])
    assert metrics.precision_at_k([0.9, 0.1, 0.8, 0.0], truth) == 0.5
    assert metrics.precision_at_k([0.9, 0.8, 0.1, 0.0], truth) == 1.0
    same = np.array([[0.5, 0.4, 0.1], [0.6, 0.3, 0.1]])
    assert metrics.top_k_jaccard(same, 2) == 1.0
    swapped = np.array([[0.5, 0.4, 0.1], [0.1, 0.4, 0.5]])
    assert metrics.top_k_jaccard(swapped, 1) == 0.0


@pytest.mark.parametrize(
    "make, n_features, n_relevant",
    [
        (lambda s: synthetic.l2x_xor(200, s), 10, 2),
        (lambda s: synthetic.orange_skin(200, s), 10, 4),
        (lambda s: synthetic.nonlinear_additive(200, s), 10, 4),
        (lambda s: synthetic.switch(200, s), 11, 9),
        (lambda s: synthetic.passemiers("ring+xor+sum", 200, s, 20), 20, 6),
        (lambda s: synthetic.informative(200, s, 12, 3, 3), 12, 3),
        (lambda s: synthetic.unit_trap(200, s), 20, 4),
    ],
)
def test_generators_shape_labels_and_relevant_count(make, n_features, n_relevant):
    problem = make(1)
    assert problem.X.shape == (200, n_features)
    assert len(problem.relevant) == n_relevant == problem.truth.sum()
    assert set(np.unique(problem.y)) >= {0, 1}
    # The seed alone decides the data.
    assert np.array_equal(make(1).X, problem.X)


def test_generators_put_the_relevant_columns_where_they_say():
    # Orange skin's label depends on the sum of squares of its relevant columns only.
    problem = synthetic.orange_skin(4000, 3)
    radius = (problem.X[:, problem.relevant] ** 2).sum(axis=1)
    assert problem.y[radius > 6].mean() < 0.2 < 0.8 < problem.y[radius < 2].mean()
    # Passemiers' XOR is a deterministic rule on its two relevant columns.
    xor = synthetic.passemiers("xor", 500, 4, 10)
    a, b = xor.X[:, xor.relevant].T
    assert np.array_equal(xor.y, (a * -b >= 0).astype(int))
    # The unit trap's relevant columns are the huge ones.
    trap = synthetic.unit_trap(300, 2)
    sizes = np.abs(trap.X).mean(axis=0)
    assert sizes[trap.truth].min() > 1e2 > 1e-1 > sizes[~trap.truth].max()
    # make_classification's informative columns separate the classes; the others do not.
    problem = synthetic.informative(2000, 5, 15, 3)
    gaps = np.abs(problem.X[problem.y == 0].mean(axis=0) - problem.X[problem.y == 1].mean(axis=0))
    assert gaps[~problem.truth].max() < 0.15


def test_baselines_find_an_easy_signal():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((300, 8))
    y = (X[:, 2] - X[:, 5] > 0).astype(int)
    truth = np.isin(np.arange(8), [2, 5])
    for name, function in baselines.BASELINES.items():
        scores = function(X, y, 0)
        assert scores.shape == (8,), name
        assert metrics.auroc(scores, truth) == 1.0, name


@pytest.mark.slow
def test_tiny_quality_run_end_to_end():
    problem = synthetic.orange_skin(300, 0)
    variant = variants.Variant("tiny", {"max_epochs": 3})
    result, seconds = variants.train(problem.X, problem.y, 2, variant, seed=0)
    for read in metrics.READOUTS.values():
        importances = read(result)
        assert importances.shape == (2, 10)
        np.testing.assert_allclose(importances.sum(axis=1), 1.0, rtol=1e-6)
        scores = metrics.summarise(importances, problem.truth)
        assert 0.0 <= scores["auroc"] <= 1.0 and 0.0 <= scores["precision"] <= 1.0
    assert seconds > 0
    penalised, _ = variants.train(
        problem.X, problem.y, 2, variants.Variant("tiny L1", {"max_epochs": 3, "gate_l1": 1e-2})
    )
    assert penalised.final_ensemble().params["gate"].sum() < result.final_ensemble().params["gate"].sum()
    eliminating, _ = variants.train(problem.X, problem.y, 2, variants.Variant("tiny", {"max_epochs": 3}, keep=0.5))
    assert [len(features) for features, _ in eliminating.rounds] == [10, 5]
    kept = np.isin(np.arange(10), eliminating.features)
    for read in metrics.READOUTS.values():
        combined = read(eliminating)
        assert combined[:, kept].min() > combined[:, ~kept].max()
    rows = [{"problem": "p", "family": "l2x", "seed": 0, "method": "deepfeat (gate)", **scores}]
    assert "deepfeat (gate)" in quality.synthetic_tables(rows)


def test_skill_table_counts_the_seeds_flagged_at_chance():
    rows = [
        {
            "problem": "RING",
            "seed": s,
            "method": "deepfeat (gate)",
            "auroc": 0.7,
            "val_auroc": v,
            "skill_z": z,
            "at_chance": z < 2,
        }
        for s, (v, z) in enumerate([(0.53, 1.1), (0.58, 3.0)])
    ]
    rows.append({"problem": "RING", "seed": 0, "method": "deepfeat (gate x W0-norm)", "auroc": 0.6})  # no skill fields
    table = quality.skill_table(rows)
    assert "| RING | 0.555 | 1.1 to 3.0 | 1 of 2 | 0.700 |" in table
    assert "W0-norm" not in table
    assert quality.skill_table([r for r in rows if "val_auroc" not in r]) == ""


@pytest.mark.slow
def test_ring_learnability_scores_every_learner(monkeypatch):
    import ring_learnability
    import variants

    monkeypatch.setattr(ring_learnability, "N_MODELS", 2)
    monkeypatch.setattr(variants, "BENCH_MAX_EPOCHS", 30)  # the learners' scores, not how well they learn
    problem = synthetic.passemiers("ring", 200, 0, 2)
    scores = ring_learnability.held_out_aurocs(problem.X, problem.y, 0)
    assert set(scores) == {"perceptron", "perceptron on x and x^2", "random forest", "deepfeat networks (validation)"}
    assert scores["random forest"] > 0.8  # the two ring columns alone: an easy problem for a forest
    assert all(0.0 <= value <= 1.0 for value in scores.values())
