"""Recursive elimination: round sizes, scores over rounds, widened networks, estimator and resuming."""

import doctest
import signal
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from deepfeat import DeepFeatureImportance, elimination
from deepfeat.checkpoint import CheckpointMismatch, RunCheckpoint
from deepfeat.data import load_dataset
from deepfeat.elimination import EliminationResult, round_sizes, train_eliminating
from deepfeat.encoding import EncodingLayout
from deepfeat.ensemble import TrainingOptions, train_ensemble
from deepfeat.training import Interrupted, StopRequest

ROOT = Path(__file__).resolve().parents[1]
QUICK = TrainingOptions(max_epochs=6, patience=1, learning_rate=1e-2)


@pytest.fixture(scope="module")
def wine():
    dataset = load_dataset(ROOT / "Data/wine.data", ROOT / "Data/wine.attributes")
    _, codes = np.unique(dataset.y, return_inverse=True)
    return dataset.X[::2], codes[::2]  # 89 rows x 13 attributes


def test_docstring_examples():
    assert doctest.testmod(elimination).failed == 0


@pytest.mark.parametrize(
    "n_features, keep, sizes",
    [
        (13, 0.5, [13, 7, 4]),
        (7, 0.5, [7, 4]),
        (6, 0.5, [6]),
        (3, 0.5, [3]),
        (300, 0.5, [300, 150, 75, 38, 19, 10, 5]),
        (10, 0.9, [10, 9]),
    ],
)
def test_round_sizes(n_features, keep, sizes):
    assert round_sizes(n_features, keep) == sizes


@dataclass
class _Ensemble:
    importances: np.ndarray

    @property
    def records(self):
        return [{}] * len(self.importances)


def test_scores_rank_a_later_round_above_every_earlier_one():
    # Round 0 saw attributes 0..3, round 1 kept 3 and 1 (in that order).
    first = _Ensemble(np.array([[0.1, 0.4, 0.2, 0.3], [0.3, 0.3, 0.1, 0.3]]))
    second = _Ensemble(np.array([[0.8, 0.2], [0.1, 0.9]]))
    result = EliminationResult([(np.arange(4), first), (np.array([3, 1]), second)], 4, EncodingLayout.plain(4))
    expected = np.array([[0.1, 1.2, 0.2, 1.8], [0.3, 1.9, 0.1, 1.1]])
    np.testing.assert_allclose(result.importances, expected / expected.sum(axis=1, keepdims=True))
    assert result.rounds_survived.tolist() == [1, 2, 1, 2]
    assert len(result.records) == 4
    single = EliminationResult([(np.arange(4), first)], 4, EncodingLayout.plain(4))
    assert single.importances is first.importances


def test_a_single_round_is_train_ensemble(wine):
    X, y = wine
    result = train_eliminating(X, y, 2, QUICK, seed=3, keep=1.0)
    reference = train_ensemble(X, y, 2, QUICK, seed=3)
    assert len(result.rounds) == 1 and result.final_ensemble() is result.rounds[0][1]
    for name, value in reference.params.items():
        np.testing.assert_array_equal(result.final_ensemble().params[name], value)


def test_rounds_train_on_row_major_tables_and_the_first_on_x_itself(wine, monkeypatch):
    # A column-major copy made the wide table's planning five times slower and cost its size in memory.
    X, y = wine
    seen = []
    train = elimination.train_ensemble
    monkeypatch.setattr(
        elimination, "train_ensemble", lambda table, *a, **kw: seen.append(table) or train(table, *a, **kw)
    )
    train_eliminating(X, y, 2, QUICK, seed=1, keep=0.5)
    assert seen[0] is X
    assert [table.shape[1] for table in seen] == [13, 7, 4]
    assert all(table.flags["C_CONTIGUOUS"] for table in seen[1:])


def test_rounds_keep_the_best_attributes_and_the_widened_networks_compute_the_last_round(wine):
    X, y = wine
    progress = []
    result = train_eliminating(X, y, 3, QUICK, seed=1, keep=0.5, progress=lambda *a: progress.append(a[:2]))
    assert [len(features) for features, _ in result.rounds] == [13, 7, 4]
    for (features, ensemble), (kept, _) in zip(result.rounds, result.rounds[1:]):
        best = features[np.argsort(-ensemble.importances.mean(axis=0), kind="stable")[: len(kept)]]
        np.testing.assert_array_equal(kept, best)
    assert progress[-1] == (9, 9) and all(total == 9 for _, total in progress)

    last_features, last = result.rounds[-1]
    widened = result.final_ensemble()
    np.testing.assert_allclose(
        widened.predict_outputs(X), last.predict_outputs(X[:, last_features]), rtol=1e-5, atol=1e-6
    )
    dropped = np.setdiff1d(np.arange(13), last_features)
    assert not widened.params["gate"][:, dropped].any() and not widened.params["kernel_0"][:, dropped].any()
    scores = result.importances
    assert scores[:, last_features].min() > scores[:, dropped].max()


def test_row_l2_cannot_be_combined_with_elimination(wine):
    X, y = wine
    with pytest.raises(ValueError, match="row-l2"):
        train_eliminating(X, y, 2, TrainingOptions(normalization="row-l2"), keep=0.5)
    with pytest.raises(ValueError, match=r"elimination_keep=0.5 cannot be combined with normalization='row-l2'"):
        DeepFeatureImportance(2, elimination_keep=0.5, normalization="row-l2").fit(X, y)
    with pytest.raises(ValueError, match="keep must be in"):
        train_eliminating(X, y, 2, QUICK, keep=0.0)


def test_estimator_with_elimination_ranks_predicts_and_exports(wine):
    X, y = wine
    model = DeepFeatureImportance(3, max_epochs=6, patience=1, learning_rate=1e-2, elimination_keep=0.5, random_state=0)
    model.fit(X, y)
    assert [len(f) for f, _ in model.elimination_.rounds] == [13, 7, 4]
    kept = model.elimination_.features
    assert set(np.argsort(-model.feature_importances_)[:4]) == set(kept)
    np.testing.assert_allclose(model.importances_.sum(axis=1), 1.0)
    assert model.predict_proba(X).shape == (len(X), 3)
    exported = model.ensemble_.keras_model(0)
    np.testing.assert_allclose(
        exported.predict(X.astype("float32"), verbose=0), model.ensemble_.predict_outputs(X)[0], rtol=1e-5, atol=1e-6
    )
    assert len(model.history_) == 3  # the last round's networks


def test_an_interrupted_elimination_resumes_to_the_same_result(wine, tmp_path):
    X, y = wine
    reference = train_eliminating(X, y, 2, QUICK, seed=4, keep=0.5)
    checkpoint = RunCheckpoint(tmp_path / "run", interval=3600)
    stop = StopRequest()
    calls = []

    def stop_in_second_round(finished, total, epoch, n_training):
        # Round 0 reports finished == 2 at most once, at its last epoch: the second such call
        # is an epoch of round 1 (models 2-3 of 6).
        calls.append(finished >= 2)
        if sum(calls) == 2:
            stop.request(signal.SIGINT)

    with pytest.raises(Interrupted):
        train_eliminating(
            X, y, 2, QUICK, seed=4, keep=0.5, progress=stop_in_second_round, checkpoint=checkpoint, stop=stop
        )
    assert sorted(p.name for p in (tmp_path / "run").iterdir()) == ["round-0", "round-1", "run.json"]
    saved = checkpoint.saved_progress()
    assert saved["n_models"] == 4 and 2 <= saved["finished"] < 4 and saved["epoch"] >= 1

    resumed = train_eliminating(X, y, 2, QUICK, seed=4, keep=0.5, checkpoint=RunCheckpoint(tmp_path / "run"))
    for (features, ensemble), (same_features, same) in zip(resumed.rounds, reference.rounds, strict=True):
        np.testing.assert_array_equal(features, same_features)
        for name, value in same.params.items():
            np.testing.assert_array_equal(ensemble.params[name], value)


def test_a_checkpoint_refuses_another_keep(wine, tmp_path):
    X, y = wine
    checkpoint = RunCheckpoint(tmp_path / "run", interval=3600)
    stop = StopRequest()
    with pytest.raises(Interrupted):  # at the end of the first epoch
        train_eliminating(
            X, y, 2, QUICK, seed=4, keep=0.5, progress=lambda *_: stop.request(), checkpoint=checkpoint, stop=stop
        )
    with pytest.raises(CheckpointMismatch) as excinfo:
        train_eliminating(X, y, 2, QUICK, seed=4, keep=1.0, checkpoint=RunCheckpoint(tmp_path / "run"))
    assert excinfo.value.differences == {"elimination_keep": (0.5, 1.0)}
