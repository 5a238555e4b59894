import copy

import numpy as np
import pytest
import tensorflow as tf
from sklearn.datasets import load_wine

from deepfeat import ensemble
from deepfeat.ensemble import TrainingOptions, train_ensemble
from deepfeat.model import Architecture
from deepfeat.stacked import StackedTrainer, _dropout_factors, _normal


@pytest.fixture(scope="module")
def wine():
    X, y = load_wine(return_X_y=True)
    return X, y


def _setup(X, y, n_models, seed=3):
    plan = ensemble.plan_ensemble(X, y, n_models, TrainingOptions(batch_size=32), seed)
    return plan.params, plan.scaling, plan.train_index, plan.val_index, plan


@pytest.mark.parametrize("rate, width", [(0.5, 128), (0.3, 7)])
def test_dropout_and_noise_draws_have_the_layers_distributions(rate, width):
    generator = tf.random.Generator.from_seed(1)
    factors = _dropout_factors(generator, tf.constant([2, 300, 64]), width, rate).numpy()
    assert factors.shape == (2, 300, 64, width)
    assert set(np.unique(factors)) == {0.0, np.float32(1 / (1 - rate))}
    assert (factors == 0).mean() == pytest.approx(rate, abs=0.01)
    assert (factors == 0).mean(axis=(0, 1, 2)) == pytest.approx(rate, abs=0.05)  # every unit, not just on average
    noise = _normal(generator, tf.constant([2, 300, 64]), width, 0.005).numpy()
    assert noise.shape == (2, 300, 64, width)
    assert noise.mean() == pytest.approx(0.0, abs=1e-4)
    assert noise.std() == pytest.approx(0.005, rel=0.02)
    assert np.mean(np.abs(noise) < 0.005) == pytest.approx(0.6827, abs=0.01)  # normal, not just unit variance


def test_resuming_from_a_checkpoint_gives_the_same_models(wine):
    X, y = wine
    Y = np.eye(3, dtype=np.float32)[y]
    params, scaling, train_index, val_index, plan = _setup(X, y, 4)
    # patience 0 and a large step make some models stop and the stack shrink before and after the checkpoint
    trainer = StackedTrainer(
        scaling.rows(X), Y, Architecture(), learning_rate=3e-2, batch_size=32, max_epochs=20, patience=0
    )

    def run(resume=None, checkpoint=None):
        rngs = plan.shuffle_generators()
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
        max_epochs=3,
        batch_size=64,
        patience=5,
        learning_rate=1e-3,
        architecture=Architecture(noise_std=0.0, dropout=0.0),
    )
    stacked = train_ensemble(X, y, 1, options, seed=1)
    keras_path = train_ensemble(X, y, 1, TrainingOptions(**{**options.__dict__, "trainer": "keras"}), seed=1)
    for name, value in stacked.params.items():
        np.testing.assert_allclose(value, keras_path.params[name], atol=1e-5)
    assert stacked.records[0]["val_loss"] == pytest.approx(keras_path.records[0]["val_loss"], rel=1e-5)


def test_a_model_that_stops_early_keeps_its_best_epoch_weights_while_the_others_train_on(wine):
    X, y = wine
    Y = np.eye(3, dtype=np.float32)[y]
    arch = Architecture(noise_std=0.0, dropout=0.0)  # deterministic: a model alone must retrace its path
    params, scaling, train_index, val_index, plan = _setup(X, y, 4)
    patience, max_epochs = 2, 25

    def run(models, epochs, live=None):
        generators = plan.shuffle_generators()
        rngs = [generators[m] for m in models]
        trainer = StackedTrainer(
            scaling.rows(X), Y, arch, learning_rate=1e-2, batch_size=32, max_epochs=epochs, patience=patience
        )

        def record(get_state):  # every model's current weights after every epoch
            state = get_state()
            live.append(
                {int(m): {k: v[i].copy() for k, v in state["params"].items()} for i, m in enumerate(state["rows"])}
            )

        result = trainer.train(
            {k: v[models] for k, v in params.items()},
            scaling.shift[models],
            scaling.scale[models],
            train_index[models],
            val_index[models],
            rngs,
            7,
            checkpoint=None if live is None else record,
        )
        assert trainer._stack._epoch.experimental_get_tracing_count() == 1  # however the stack shrank
        return result

    live = []
    best, history = run([0, 1, 2, 3], max_epochs, live)
    assert len(live[-1]) < 4  # stopped models were dropped from the stack
    early = np.flatnonzero(history["epochs_run"] < max_epochs)
    assert history["epochs_run"].min() + 10 < history["epochs_run"].max() == max_epochs  # some stop long before others
    for m in early:
        best_epoch = history["best_epoch"][m]
        # Keras's EarlyStopping: stopped after `patience` epochs without a lower validation loss.
        assert history["epochs_run"][m] == best_epoch + patience + 1
        for name in best:  # exactly the weights it had at the end of its best epoch
            np.testing.assert_array_equal(best[name][m], live[best_epoch][m][name])
        # and those of training that model alone up to its best epoch: the others (and dropping
        # stopped models from the stack) changed nothing but float rounding
        alone, alone_history = run([m], best_epoch + 1)
        assert alone_history["best_epoch"][0] == best_epoch
        for name in best:
            np.testing.assert_allclose(alone[name][0], best[name][m], atol=1e-4)


@pytest.mark.slow
def test_stacked_and_keras_importances_agree_within_the_ensembles_spread(wine):
    X, y = wine
    n_models = 6
    options = TrainingOptions(learning_rate=1e-2, batch_size=32, max_epochs=10, patience=3)
    # Different run seeds: independent ensembles, so the gap between their mean importances is
    # only the spread of an ensemble's mean (its standard error) when both paths train alike.
    stacked = train_ensemble(X, y, n_models, options, seed=0).importances
    keras_path = train_ensemble(
        X, y, n_models, TrainingOptions(**{**options.__dict__, "trainer": "keras"}), seed=1
    ).importances
    gap = np.abs(stacked.mean(axis=0) - keras_path.mean(axis=0))
    standard_error = np.sqrt((stacked.var(axis=0, ddof=1) + keras_path.var(axis=0, ddof=1)) / n_models)
    assert np.all(gap <= 4 * standard_error), (gap / standard_error).round(1)
