"""Validation skill: AUROC against chance, per network and for the ensemble."""

import numpy as np
import pytest
from sklearn.datasets import load_wine
from sklearn.metrics import roc_auc_score

from deepfeat import DeepFeatureImportance
from deepfeat.errors import NoSkillWarning
from deepfeat.skill import CHANCE_Z, ValidationSkill, auroc, no_skill_sd, validation_scores


@pytest.mark.parametrize("seed", range(4))
def test_auroc_matches_scikit_learn_with_ties(seed):
    rng = np.random.default_rng(seed)
    truth = rng.random(60) < 0.3
    scores = rng.integers(0, 5, 60) + truth * rng.random(60)  # many ties
    assert auroc(scores, truth) == pytest.approx(roc_auc_score(truth, scores))


def test_auroc_needs_both_labels():
    assert np.isnan(auroc([0.1, 0.9], [True, True]))


def test_no_skill_sd_matches_simulated_auroc_of_unrelated_scores():
    rng = np.random.default_rng(0)
    truth = np.r_[np.ones(30, bool), np.zeros(50, bool)]
    simulated = [auroc(rng.random(80), truth) for _ in range(4000)]
    assert np.mean(simulated) == pytest.approx(0.5, abs=0.005)
    assert np.std(simulated) == pytest.approx(no_skill_sd(30, 50), rel=0.05)


def test_validation_scores_skip_a_class_absent_from_the_rows():
    Y = np.eye(3)[[0, 0, 1, 1, 0, 1]]  # class 2 never occurs: its head cannot be scored
    proba = np.column_stack([Y[:, 0] * 0.8 + 0.1, 1 - Y[:, 0], np.full(6, 0.3)])
    scores = validation_scores(proba, Y)
    assert scores["val_auroc"] == pytest.approx(1.0)
    assert scores["val_auroc_null_sd"] == pytest.approx(no_skill_sd(3, 3))
    one_class = validation_scores(proba[:2], Y[:2])
    assert np.isnan(one_class["val_auroc"]) and np.isnan(one_class["val_auroc_null_sd"])


def test_ensemble_skill_averages_the_scored_networks():
    records = [
        {"val_auroc": 0.6, "val_auroc_null_sd": 0.03},
        {"val_auroc": 0.8, "val_auroc_null_sd": 0.04},
        {"val_auroc": float("nan"), "val_auroc_null_sd": float("nan")},
    ]
    skill = ValidationSkill.of(records, "AUROC", 0.5, "val_auroc", "val_auroc_null_sd")
    assert skill.value == pytest.approx(0.7)
    assert skill.sd == pytest.approx(np.sqrt((0.03**2 + 0.04**2) / 2))
    assert not skill.at_chance
    assert ValidationSkill("AUROC", 0.5 + (CHANCE_Z - 0.1) * 0.03, 0.5, 0.03).at_chance
    assert not ValidationSkill("AUROC", 0.5 + (CHANCE_Z + 0.1) * 0.03, 0.5, 0.03).at_chance
    unknown = ValidationSkill.of(records[2:], "AUROC", 0.5, "val_auroc", "val_auroc_null_sd")
    assert np.isnan(unknown.value) and not unknown.at_chance  # no claim without a score


def _fit(X, y):
    return DeepFeatureImportance(n_models=4, learning_rate=0.01, max_epochs=20, patience=5, random_state=0).fit(X, y)


def test_estimator_tells_learned_signal_from_unrelated_labels():
    X, y = load_wine(return_X_y=True)
    learned = _fit(X, y)
    assert learned.validation_skill_.value > 0.95 and not learned.validation_skill_.at_chance
    assert all(0.9 < record["val_auroc"] <= 1 for record in learned.history_)

    with pytest.warns(NoSkillWarning, match=r"no better than chance \(AUROC 0\.5\d\d; chance 0\.5 \+/- 0\.066\)"):
        shuffled = _fit(X, np.random.default_rng(0).permutation(y))
    assert shuffled.validation_skill_.at_chance
    assert abs(shuffled.validation_skill_.value - 0.5) < CHANCE_Z * shuffled.validation_skill_.sd
