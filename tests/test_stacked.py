import copy

import numpy as np
import pytest
from sklearn.datasets import load_wine

from deepfeat import ensemble
from deepfeat.ensemble import TrainingOptions, train_ensemble
from deepfeat.model import Architecture
from deepfeat.stacked import StackedTrainer


@pytest.fixture(scope="module")
def wine():
    X, y = load_wine(return_X_y=True)
    return X, y


def _setup(X, y, n_models, seed=3):
    options = TrainingOptions(batch_size=32)
    seeds = ensemble.model_seeds(seed, n_models)
    splits = [ensemble.split_rows(y, 0.5, s) for s in seeds]
    train_index = np.stack([t for t, _ in splits])
    val_index = np.stack([v for _, v in splits])
    scaling = ensemble.fit_scaling("standard", X, train_index)
    rngs = [np.random.default_rng(s) for s in seeds]
    inits = [ensemble.initial_params(X.shape[1], 3, options.architecture, "ones", r) for r in rngs]
    params = {k: np.stack([p[k] for p in inits]) for k in inits[0]}
    return params, scaling, train_index, val_index, seeds


def test_resuming_from_a_checkpoint_gives_the_same_models(wine):
    X, y = wine
    Y = np.eye(3, dtype=np.float32)[y]
    params, scaling, train_index, val_index, seeds = _setup(X, y, 4)
    # patience 0 and a large step make some models stop and the stack shrink before and after the checkpoint
    trainer = StackedTrainer(scaling.rows(X), Y, Architecture(), learning_rate=3e-2, batch_size=32, max_epochs=20, patience=0)

    def run(resume=None, checkpoint=None):
        rngs = [np.random.default_rng(s) for s in seeds]
        for r in rngs:  # the initial weights were drawn from these generators first
            ensemble.initial_params(X.shape[1], 3, Architecture(), "ones", r)
        return trainer.train(
            params, scaling.shift, scaling.scale, train_index, val_index, rngs, 7, resume=resume, checkpoint=checkpoint
        )

    saved = {}

    def checkpoint(get_state):
        if len(saved) == 0 and get_state()["epoch"] == 3:
            saved["state"] = copy.deepcopy(get_state())

    full_best, full_history = run(checkpoint=checkpoint)
    resumed_best, resumed_history = run(resume=saved["state"])
    for name in full_best:
        np.testing.assert_array_equal(resumed_best[name], full_best[name])
    for name in full_history:
        np.testing.assert_array_equal(resumed_history[name], full_history[name])
    assert full_history["epochs_run"].min() < 20  # some model really stopped early


def test_stacked_matches_one_by_one_keras_without_noise(wine):
    X, y = wine
    options = TrainingOptions(
        max_epochs=3, batch_size=64, patience=5, learning_rate=1e-3, architecture=Architecture(noise_std=0.0, dropout=0.0)
    )
    stacked = train_ensemble(X, y, 1, options, seed=1)
    keras_path = train_ensemble(X, y, 1, TrainingOptions(**{**options.__dict__, "trainer": "keras"}), seed=1)
    for name, value in stacked.params.items():
        np.testing.assert_allclose(value, keras_path.params[name], atol=1e-5)
    assert stacked.records[0]["val_loss"] == pytest.approx(keras_path.records[0]["val_loss"], rel=1e-5)
