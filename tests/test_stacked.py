"""The stacked trainer: random draws, resuming, early stopping, per-model results, and Keras equivalence."""

import copy
import pickle
import tracemalloc
from dataclasses import replace

import numpy as np
import pytest
import tensorflow as tf
from sklearn.datasets import load_wine

from deepfeat import ensemble
from deepfeat.ensemble import TrainingOptions, plan_ensemble, train_ensemble, train_group
from deepfeat.stacked import StackedTrainer, _dropout_factors, _normal, epoch_words
from deepfeat.tasks import CLASSIFICATION
from deepfeat.training import ALIGNMENT, TrainingData, TrainingHooks, aligned_float32

DETERMINISTIC = {"noise_std": 0.0, "dropout": 0.0}  # Keras draws its own noise: compare without it


@pytest.fixture(scope="module")
def wine():
    X, y = load_wine(return_X_y=True)
    return X, y


def _group(X, y, n_models, options, seed=3, models=None):
    """A GroupTask of models ``first:last`` (default: all) of the ensemble ``train_ensemble`` would plan."""
    plan = plan_ensemble(X, y, n_models, options, seed)
    first, last = (0, n_models) if models is None else models
    return plan.group_task(
        TrainingData.of(plan.encoding.rows(X), plan.target.values, plan.encoding.layout),
        options,
        CLASSIFICATION,
        first,
        last,
    )


class _Recorder(TrainingHooks):
    """Keeps what a test needs of every epoch, and resumes from a given state."""

    def __init__(self, on_epoch=None, state=None):
        self.on_epoch, self.state = on_epoch, state

    def resume(self, task):
        return self.state

    def epoch_end(self, task, epoch, n_training, get_state=None):
        if self.on_epoch is not None:
            self.on_epoch(epoch, get_state)


def test_a_group_task_travels_by_pickle_and_trains_as_it_does_here(wine):
    X, y = wine
    options = TrainingOptions(learning_rate=1e-2, batch_size=32, max_epochs=5)
    group = _group(X, y, 3, options, models=(1, 3))
    here = StackedTrainer(group.data, options, group.task).train(group, TrainingHooks())
    shipped = pickle.loads(pickle.dumps(train_group(pickle.loads(pickle.dumps(group)))))
    assert shipped.models == (1, 2)
    for name, value in here.best.items():
        np.testing.assert_array_equal(shipped.best[name], value)
    for name, value in here.history.items():
        np.testing.assert_array_equal(shipped.history[name], value)


@pytest.mark.parametrize("rate, width", [(0.5, 128), (0.3, 7)])
def test_dropout_and_noise_draws_have_the_layers_distributions(rate, width):
    generators = [np.random.default_rng(s) for s in range(2)]
    words = tf.constant(epoch_words(generators, 600, 64))
    factors = _dropout_factors(words, width, rate).numpy()
    assert factors.shape == (2, 600, width)
    assert set(np.unique(factors)) == {0.0, np.float32(1 / (1 - rate))}
    assert (factors == 0).mean() == pytest.approx(rate, abs=0.01)
    assert (factors == 0).mean(axis=(0, 1)) == pytest.approx(rate, abs=0.07)  # every unit, not just on average
    noise = _normal(words, width, 0.005).numpy()
    assert noise.shape == (2, 600, width)
    assert noise.mean() == pytest.approx(0.0, abs=2e-4)
    assert noise.std() == pytest.approx(0.005, rel=0.03)
    assert np.mean(np.abs(noise) < 0.005) == pytest.approx(0.6827, abs=0.015)  # normal, not just unit variance


def test_random_words_come_from_each_models_own_generator_and_a_stopped_model_draws_none():
    def fresh():
        return [np.random.default_rng(s) for s in range(3)]

    together = epoch_words(fresh(), 5, 4)
    alone = epoch_words(fresh()[1:2], 5, 4)
    np.testing.assert_array_equal(together[1], alone[0])
    generators = fresh()
    with_stopped = epoch_words([generators[0], None, generators[2]], 5, 4)
    assert not with_stopped[1].any()
    np.testing.assert_array_equal(with_stopped[2], together[2])


def test_resuming_from_a_saved_state_gives_the_same_models(wine):
    X, y = wine
    # patience 0 and a large step make some models stop and the stack shrink before and after the save
    options = TrainingOptions(learning_rate=3e-2, batch_size=32, max_epochs=20, patience=0)
    group = _group(X, y, 4, options)
    saved = {}

    def keep_epoch_3(epoch, get_state):
        if epoch == 3:
            saved["state"] = copy.deepcopy(get_state())

    full = StackedTrainer(group.data, options, group.task).train(group, _Recorder(keep_epoch_3))
    resumed = StackedTrainer(group.data, options, group.task).train(group, _Recorder(state=saved["state"]))
    for name in full.best:
        np.testing.assert_array_equal(resumed.best[name], full.best[name])
    for name in full.history:
        np.testing.assert_array_equal(resumed.history[name], full.history[name])
    assert full.history["epochs_run"].min() < 20  # some model really stopped early


def test_a_model_that_stops_early_keeps_its_best_epoch_weights_while_the_others_train_on(wine):
    X, y = wine
    patience, max_epochs = 2, 25
    options = TrainingOptions(
        learning_rate=1e-2, batch_size=32, max_epochs=max_epochs, patience=patience, **DETERMINISTIC
    )
    group = _group(X, y, 4, options)
    trainer = StackedTrainer(group.data, options, group.task)
    live = []

    def record(epoch, get_state):  # every model's current weights after every epoch
        state = get_state()
        live.append({int(m): {k: v[i].copy() for k, v in state["params"].items()} for i, m in enumerate(state["held"])})

    result = trainer.train(group, _Recorder(record))
    assert trainer.stack._epoch.experimental_get_tracing_count() == 1  # however the stack shrank
    assert len(live[-1]) < 4  # stopped models were dropped from the stack
    history = result.history
    early = np.flatnonzero(history["epochs_run"] < max_epochs)
    assert history["epochs_run"].min() + 10 < history["epochs_run"].max() == max_epochs  # some stop long before others
    for m in early:
        best_epoch = history["best_epoch"][m]
        # Keras's EarlyStopping: stopped after `patience` epochs without a lower validation loss.
        assert history["epochs_run"][m] == best_epoch + patience + 1
        for name in result.best:  # exactly the weights it had at the end of its best epoch
            np.testing.assert_array_equal(result.best[name][m], live[best_epoch][m][name])


def test_a_models_result_does_not_depend_on_its_group(wine, monkeypatch):
    """Model i alone, among others, or in another memory budget's groups: the same weights."""
    X, y = wine
    options = TrainingOptions(learning_rate=1e-2, batch_size=32, max_epochs=25, patience=2)  # with noise and dropout
    together = train_ensemble(X, y, 30, options, seed=5)
    monkeypatch.setattr(ensemble, "group_size", lambda *args: 7)  # groups of 7, 7, 7, 7 and 2 models
    in_groups = train_ensemble(X, y, 30, options, seed=5)
    assert len({r["epochs_run"] for r in together.records}) > 1  # models stopped at different epochs
    for m in (0, 17):
        group = _group(X, y, 30, options, seed=5, models=(m, m + 1))
        alone = StackedTrainer(group.data, options, group.task).train(group, TrainingHooks())
        for name, value in alone.best.items():
            np.testing.assert_allclose(together.params[name][m], value[0], rtol=0, atol=1e-6)
    for name, value in together.params.items():
        np.testing.assert_allclose(in_groups.params[name], value, rtol=0, atol=1e-6)


# Each case holds several models over up to 60 epochs. Rounding differences between the two paths
# are amplified where a ReLU unit sits at its kink, so the cases are ones where they stay at the
# ulp level; together they cover early stopping, the gate ReLU, row-l2, L2 and gate L1.
EQUIVALENCE = {
    "paper network, early stopping": ({}, 1e-2, 2),
    "paper network, slower": ({}, 3e-3, 1),
    "gate ReLU, L2, gate L1, 50+ epochs": (
        {"importance_init": "glorot-relu", "l2": 1e-2, "gate_l1": 1e-3, "hidden_units": 16, "hidden_layers": 2},
        1e-2,
        2,
    ),
    "row-l2, L2, 60 epochs": ({"normalization": "row-l2", "l2": 1e-2, "hidden_units": 32}, 3e-3, 2),
}


@pytest.mark.parametrize("case", list(EQUIVALENCE))
def test_stacked_matches_one_by_one_keras(wine, case):
    """Both trainers give the same weights, epochs and validation losses, noise and dropout off."""
    X, y = wine
    changes, learning_rate, patience = EQUIVALENCE[case]
    options = TrainingOptions(
        max_epochs=60, batch_size=64, patience=patience, learning_rate=learning_rate, **DETERMINISTIC, **changes
    )
    stacked = train_ensemble(X, y, 3, options, seed=1)
    keras_path = train_ensemble(X, y, 3, TrainingOptions(**{**options.__dict__, "trainer": "keras"}), seed=1)
    epochs = [r["epochs_run"] for r in stacked.records]
    assert epochs == [r["epochs_run"] for r in keras_path.records]
    assert [r["best_epoch"] for r in stacked.records] == [r["best_epoch"] for r in keras_path.records]
    if case != "row-l2, L2, 60 epochs":
        assert min(epochs) < 60  # early stopping fired
    if "50+" in case or "60" in case:
        assert max(epochs) >= 50
    for name, value in stacked.params.items():
        np.testing.assert_allclose(value, keras_path.params[name], rtol=0, atol=1e-5, err_msg=name)
    for ours, theirs in zip(stacked.records, keras_path.records):
        assert ours["val_loss"] == pytest.approx(theirs["val_loss"], rel=1e-5)


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


def test_predictions_hold_no_float32_copy_of_the_table_and_match_a_float32_input():
    # A wide table: a float32 copy of it would be 8 MB, a chunk of rows 0.25 MB.
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(1000, 2000)), np.arange(1000) % 2
    result = train_ensemble(X, y, 2, TrainingOptions(max_epochs=1), seed=0)
    tracemalloc.start()
    try:
        outputs = result.predict_outputs(X)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < X.nbytes / 4  # the float32 copy alone is X.nbytes / 2
    np.testing.assert_array_equal(outputs, result.predict_outputs(X.astype(np.float32)))


def _off_boundary(array):
    """A float32 copy of ``array`` starting 4 bytes past an ALIGNMENT boundary (as an unpickled one may)."""
    memory = np.empty(array.size * 4 + 2 * ALIGNMENT, dtype=np.uint8)
    start = -memory.ctypes.data % ALIGNMENT + 4
    copy_ = memory[start : start + array.size * 4].view(np.float32).reshape(array.shape)
    copy_[...] = array
    return copy_


def test_the_training_table_is_aligned_and_the_trainer_shares_it_else_copies_it(wine):
    X, y = wine
    options = TrainingOptions(learning_rate=1e-2, batch_size=32, max_epochs=3)
    group = _group(X, y, 2, options)
    data = group.data
    assert data.X.dtype == np.float32 and data.X.ctypes.data % ALIGNMENT == 0
    assert aligned_float32(data.X) is data.X  # already aligned float32: taken as it is
    shared = StackedTrainer(data, options, group.task)
    assert np.shares_memory(np.asarray(shared.X), data.X)
    moved = TrainingData(_off_boundary(data.X), data.Y, data.layout)
    assert moved.X.ctypes.data % ALIGNMENT != 0
    copied = StackedTrainer(moved, options, group.task)
    assert not np.shares_memory(np.asarray(copied.X), moved.X)
    np.testing.assert_array_equal(np.asarray(copied.X), data.X)
    for name, value in copied.train(replace(group, data=moved), TrainingHooks()).best.items():
        np.testing.assert_array_equal(value, shared.train(group, TrainingHooks()).best[name])


def test_saved_states_share_the_stacks_memory_and_keep_their_values_as_training_goes_on(wine):
    X, y = wine
    options = TrainingOptions(learning_rate=3e-2, batch_size=32, max_epochs=6)
    group = _group(X, y, 3, options)
    taken = {}

    def take_epoch_3(epoch, get_state):
        if epoch == 3:
            tracemalloc.start()
            try:
                state = get_state()
                _, peak = tracemalloc.get_traced_memory()
            finally:
                tracemalloc.stop()
            taken.update(state=state, copied=copy.deepcopy(state), peak=peak)
        elif epoch == 5:
            taken["later"] = copy.deepcopy(get_state())

    result = StackedTrainer(group.data, options, group.task).train(group, _Recorder(take_epoch_3))
    state, copied = taken["state"], taken["copied"]
    weights = sum(value.nbytes for value in state["params"].values())
    # Copies of the weights, both Adam moments and the best weights would be 4 x weights; the
    # group's own best weights (a host array) are copied once.
    assert taken["peak"] < 2 * weights
    assert all(result.history["epochs_run"] == 6)
    for key in ("params", "stack_best"):
        for name, value in state[key].items():
            np.testing.assert_array_equal(value, copied[key][name])
            assert not value.flags.writeable
    for name, (m, v) in state["adam"].items():
        np.testing.assert_array_equal(m, copied["adam"][name][0])
        np.testing.assert_array_equal(v, copied["adam"][name][1])
    # ... while the stack itself moved on
    assert not any(np.array_equal(value, taken["later"]["params"][name]) for name, value in state["params"].items())


def test_the_stacks_variables_are_read_without_copies_after_partial_snapshots_and_drops(wine):
    # A gather or scatter on a variable itself puts it in copy-on-read mode, in which every read,
    # the epoch's included, copies it: two reads of a variable must share its buffer.
    X, y = wine
    options = TrainingOptions(learning_rate=1e-2, batch_size=32, max_epochs=25, patience=2)
    group = _group(X, y, 4, options)
    trainer = StackedTrainer(group.data, options, group.task)
    seen = {"partial": False, "shared": []}
    snapshot = trainer.stack.snapshot

    def recording_snapshot(improved):
        seen["partial"] |= bool(improved.any() and not improved.all())
        snapshot(improved)

    def check(epoch, get_state):
        variables = trainer.stack._model_variables()
        seen["held"] = len(_read(trainer.stack.target_rows))
        seen["shared"].append(all(np.shares_memory(_read(v), _read(v)) for v in variables if np.size(_read(v))))

    trainer.stack.snapshot = recording_snapshot
    trainer.train(group, _Recorder(check))
    assert seen["partial"], seen
    assert seen["held"] < 4, seen
    assert all(seen["shared"])


def _read(variable):
    return np.asarray(variable.read_value())
