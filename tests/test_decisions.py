"""Decisions per attribute: the test, the null networks behind it, and the estimator's view of them."""

import doctest

import numpy as np
import pytest
from sklearn.datasets import load_wine

from deepfeat import DeepFeatureImportance, decisions
from deepfeat.decisions import decide
from deepfeat.ensemble import plan_ensemble, train_ensemble
from deepfeat.settings import TrainingOptions, decisions_problem, min_models, null_models
from deepfeat.training import TrainingData

NO_NOISE = {"noise_std": 0.0, "dropout": 0.0}


def test_docstring_examples():
    assert doctest.testmod(decisions).failed == 0


def test_each_decision_comes_from_its_side_of_the_null():
    rng = np.random.default_rng(1)
    null = rng.normal(0.25, 0.01, (10, 4))
    real = np.column_stack(
        [rng.normal(0.35, 0.01, 20), rng.normal(0.15, 0.01, 20), rng.normal(0.25, 0.01, 20), np.full(20, 0.25)]
    )
    null[:, 3] = 0.25  # every value tied: no evidence either way
    made = decide(real, null, 0.05)
    assert list(made.decisions) == ["confirmed", "rejected", "tentative", "tentative"]
    assert made.p_values[0] < 0.05 <= made.p_values[2] and made.p_values[3] == 1.0
    assert made.summary() == "1 confirmed, 2 tentative, 1 rejected at a false-discovery rate of 0.05"
    unlearnt = decide(real, null, 0.05, learned=False)
    assert set(unlearnt.decisions) == {"tentative"}
    assert "no better than chance" in unlearnt.summary()


def test_the_adjustment_counts_every_attribute():
    """One p-value of 0.02 among 20 attributes is no discovery at 0.05 after Benjamini-Hochberg."""
    rng = np.random.default_rng(2)
    null = rng.normal(0.05, 0.01, (10, 20))
    real = null[rng.integers(0, 10, 20)] + rng.normal(0, 0.001, (20, 20))
    real[:, 0] += 0.005  # a small shift: significant alone, not among twenty
    made = decide(real, null, 0.05)
    assert "confirmed" not in set(made.decisions)


@pytest.mark.parametrize(("alpha", "needed"), [(0.5, 2), (0.1, 4), (0.05, 5), (0.01, 7), (1e-3, 9)])
def test_fewest_models_for_a_decision(alpha, needed):
    assert min_models(alpha) == needed
    # What the test itself can do: confirm with that many networks (all above the null), not with one fewer.
    for n_models, decides in ((needed, True), (needed - 1, False)):
        real = np.arange(1.0, n_models + 1.0)[:, None]
        null = -np.arange(1.0, null_models(n_models) + 1.0)[:, None]
        assert (decide(real, null, alpha).decisions[0] == "confirmed") == decides
    assert decisions_problem(True, needed, alpha, ("D", "N", "A")) is None
    assert f"at least {needed} models" in decisions_problem(True, needed - 1, alpha, ("D", "N", "A"))
    assert decisions_problem(False, 1, alpha, ("D", "N", "A")) is None
    assert null_models(needed) == -(-needed // 2)


def test_a_null_model_learns_its_splits_targets_shuffled_within_each_split():
    X, y = load_wine(return_X_y=True)
    plan = plan_ensemble(X, y, 2, TrainingOptions(), seed=4, null_models=2)
    data = TrainingData.of(X, plan.target.values, plan.encoding.layout)
    group = plan.group_task(data, TrainingOptions(), None, 0, 4)
    assert group.nulls == (False, False, True, True)
    np.testing.assert_array_equal(group.target_rows(0), np.arange(len(X)))
    rows = group.target_rows(2)
    for part in (group.train_index[2], group.val_index[2]):
        assert sorted(rows[part]) == sorted(part) and (rows[part] != part).any()
    # The shuffle is the model's own: the same in a group of its own.
    np.testing.assert_array_equal(plan.group_task(data, TrainingOptions(), None, 2, 3).target_rows(0), rows)


def test_null_models_leave_the_models_unchanged():
    X, y = load_wine(return_X_y=True)
    options = TrainingOptions(learning_rate=1e-2, max_epochs=8, patience=2, **NO_NOISE)
    alone = train_ensemble(X, y, 2, options, seed=3)
    with_nulls = train_ensemble(X, y, 2, options, seed=3, null_models=2)
    for name, value in alone.params.items():
        np.testing.assert_allclose(with_nulls.params[name], value, rtol=0, atol=1e-6, err_msg=name)
    assert alone.null_importances is None and with_nulls.null_importances.shape == (2, X.shape[1])
    assert len(with_nulls.records) == 2 and len(with_nulls.train_index) == 2
    assert with_nulls.encoding.shift.shape == (2, X.shape[1])


def test_both_trainers_train_the_same_null_models():
    X, y = load_wine(return_X_y=True)
    options = TrainingOptions(learning_rate=1e-2, max_epochs=6, patience=2, **NO_NOISE)
    stacked = train_ensemble(X, y, 1, options, seed=8, null_models=1)
    keras_path = train_ensemble(X, y, 1, TrainingOptions(**{**options.__dict__, "trainer": "keras"}), 8, null_models=1)
    np.testing.assert_allclose(stacked.null_importances, keras_path.null_importances, rtol=0, atol=1e-5)


def _easy_problem(n_rows=240, seed=0):
    """Two relevant columns of six: the label is whether x0 + x1 is positive."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_rows, 6))
    return X, (X[:, 0] + X[:, 1] > 0).astype(int)


def test_the_estimator_decides_and_selects_the_confirmed_features():
    X, y = _easy_problem()
    model = DeepFeatureImportance(
        n_models=6, decisions=True, learning_rate=3e-3, max_epochs=40, n_features_to_select="confirmed", random_state=0
    ).fit(X, y)
    assert model.decision_result_.alpha == 0.05
    assert set(model.decisions_) <= {"confirmed", "tentative", "rejected"}
    assert list(model.decisions_[:2]) == ["confirmed", "confirmed"]
    assert "confirmed" not in set(model.decisions_[2:])
    assert model.p_values_.shape == (6,) and (model.p_values_[:2] < 0.05).all()
    assert model.transform(X).shape == (len(X), int((model.decisions_ == "confirmed").sum()))
    table = model.ranking()
    assert list(table.columns[-2:]) == ["p_value", "decision"]
    assert dict(zip(table["attribute"], table["decision"]))["x0"] == "confirmed"


def test_the_estimator_refuses_decisions_it_cannot_make():
    X, y = _easy_problem(60)
    with pytest.raises(ValueError, match="decisions needs at least 5 models .* got n_models=4"):
        DeepFeatureImportance(n_models=4, decisions=True, max_epochs=1).fit(X, y)
    with pytest.raises(ValueError, match=r"'confirmed' needs decisions: set decisions=True \(with n_models >= 5"):
        DeepFeatureImportance(n_models=9, max_epochs=1, n_features_to_select="confirmed").fit(X, y)
    off = DeepFeatureImportance(n_models=9, max_epochs=1, random_state=0).fit(X, y)
    assert off.decisions_ is None and off.p_values_ is None and "decision" not in off.ranking()
