"""Tests for deepfeat.outputs: atomic writes, result files, plot, paths, writability checks."""

import json
import os
import stat
import tempfile

import numpy as np
import pandas as pd
import pytest

from deepfeat import outputs
from deepfeat.errors import ConfigError, DeepfeatWarning, WriteError
from deepfeat.outputs import (
    RANKING_COLUMNS,
    ResultSet,
    atomic_path,
    atomic_write_bytes,
    atomic_write_text,
    check_writable,
    finish_results,
    output_paths,
    plot_ranking,
    write_logs_json,
    write_ranking_csv,
    write_weights_csv,
)

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def make_ranking(n_features, seed=0):
    rng = np.random.default_rng(seed)
    importance = np.sort(rng.dirichlet(np.ones(n_features)))[::-1]
    spread = rng.uniform(0.0, 0.02, n_features)
    return pd.DataFrame(
        {
            "rank": np.arange(1, n_features + 1),
            "attribute": [f"attribute_{i}" for i in range(n_features)],
            "importance": importance,
            "std": spread,
            "ci_low": importance - spread,
            "ci_high": importance + spread,
            "mean_rank": np.arange(1, n_features + 1) + 0.5,
            "rank_std": spread * 10,
        }
    )


def test_atomic_write_replaces_and_leaves_no_temp(tmp_path):
    target = tmp_path / "sub" / "result.txt"
    atomic_write_text(target, "first\n")
    atomic_write_text(target, "second\n")
    assert target.read_text() == "second\n"
    assert os.listdir(target.parent) == ["result.txt"]
    umask = os.umask(0o022)
    os.umask(umask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~umask


def test_failing_writer_keeps_old_file(tmp_path):
    target = tmp_path / "model_3_0.keras"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        assert tmp.parent == tmp_path and tmp.name.startswith(".") and tmp.name.endswith(".keras")
        tmp.write_bytes(b"partial")
        raise RuntimeError("writer failed")
    assert target.read_bytes() == b"old"
    assert os.listdir(tmp_path) == [target.name]


def test_failing_fsync_keeps_old_file(tmp_path, monkeypatch):
    target = tmp_path / "weights.csv"
    target.write_bytes(b"old")

    def broken_fsync(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(outputs.os, "fsync", broken_fsync)
    with pytest.raises(OSError):
        atomic_write_bytes(target, b"new")
    assert target.read_bytes() == b"old"
    assert os.listdir(tmp_path) == [target.name]


def test_weights_csv_round_trip(tmp_path):
    names = ["age", "sex, reported", "chol"]
    weights = np.random.default_rng(1).dirichlet(np.ones(3), size=4)
    path = tmp_path / "output_weights_4.csv"
    write_weights_csv(path, names, weights)
    frame = pd.read_csv(path)
    assert list(frame.columns) == names
    np.testing.assert_allclose(frame.to_numpy(), weights, rtol=0, atol=1e-12)


def test_weights_csv_rejects_wrong_shape(tmp_path):
    with pytest.raises(ValueError, match="shape"):
        write_weights_csv(tmp_path / "w.csv", ["a", "b"], np.ones((2, 3)))


def test_logs_json_keys_and_numpy_types(tmp_path):
    logs = [
        {"loss": np.array([0.9, 0.5], dtype=np.float32), "epochs": np.int64(2), "seed": 7},
        {"loss": [np.float64(0.8), float("nan")], "epochs": 1, "stopped": np.bool_(True)},
    ]
    path = tmp_path / "logs_2.json"
    write_logs_json(path, logs)
    text = path.read_text()
    document = json.loads(text)
    assert list(document) == ["0", "1"]
    assert document["0"]["epochs"] == 2 and isinstance(document["0"]["epochs"], int)
    np.testing.assert_allclose(document["0"]["loss"], [0.9, 0.5], rtol=1e-6)
    assert document["1"] == {"loss": [0.8, None], "epochs": 1, "stopped": True}
    assert text.startswith('{\n  "0": {')


def test_ranking_csv_columns(tmp_path):
    ranking = make_ranking(5)
    path = tmp_path / "ranking_3.csv"
    write_ranking_csv(path, ranking)
    frame = pd.read_csv(path)
    assert tuple(frame.columns) == RANKING_COLUMNS
    np.testing.assert_allclose(frame["importance"], ranking["importance"], rtol=0, atol=1e-12)


@pytest.mark.parametrize("n_features", [5, 60])
def test_plot_ranking_writes_png(tmp_path, n_features):
    path = tmp_path / "plots" / f"ranking_{n_features}.png"
    plot_ranking(path, make_ranking(n_features), "Cleveland, 3 models")
    data = path.read_bytes()
    assert data.startswith(PNG_SIGNATURE)
    assert len(data) > 5_000
    assert os.listdir(path.parent) == [path.name]


def test_the_plot_colours_bars_by_decision(tmp_path):
    from matplotlib.colors import to_rgb
    from matplotlib.image import imread

    ranking = make_ranking(6)
    ranking["decision"] = ["confirmed", "confirmed", "tentative", "rejected", "rejected", "rejected"]
    path = tmp_path / "ranking_3.png"
    plot_ranking(path, ranking, "decided")
    pixels = imread(path)[..., :3].reshape(-1, 3)
    for word, color in outputs.DECISION_COLORS.items():
        assert (np.abs(pixels - to_rgb(color)).max(axis=1) < 0.01).sum() > 200, word
    assert (np.abs(pixels - to_rgb("tab:blue")).max(axis=1) < 0.01).sum() < 50  # not the plain colours


def test_output_paths_names(tmp_path):
    paths = output_paths(tmp_path / "ExpOutput", tmp_path / "Models", 3)
    assert paths.weights_csv == tmp_path / "ExpOutput" / "output_weights_3.csv"
    assert paths.ranking_csv == tmp_path / "ExpOutput" / "ranking_3.csv"
    assert paths.ranking_png == tmp_path / "ExpOutput" / "ranking_3.png"
    assert paths.logs_json == tmp_path / "Models" / "logs_3.json"
    assert paths.model_path(2) == tmp_path / "Models" / "model_3_2.keras"
    with pytest.raises(ValueError):
        paths.model_path(3)
    assert not (tmp_path / "ExpOutput").exists()


def test_check_writable_creates_missing_directory(tmp_path):
    directory = tmp_path / "a" / "b"
    assert check_writable(directory) == directory
    assert directory.is_dir() and os.listdir(directory) == []


@pytest.mark.parametrize("relative", ["results.csv", "results.csv/sub"])
def test_check_writable_rejects_file(tmp_path, relative):
    (tmp_path / "results.csv").write_text("x")
    with pytest.raises(ConfigError, match="not a directory") as info:
        check_writable(tmp_path / relative, "OUTPUT_DIR")
    assert "\n" not in str(info.value) and str(tmp_path / relative) in str(info.value)
    assert os.listdir(tmp_path) == ["results.csv"]


def test_check_writable_removes_what_it_created_on_failure(tmp_path, monkeypatch):
    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(tempfile, "TemporaryFile", refuse)
    with pytest.raises(ConfigError, match="not writable"):
        check_writable(tmp_path / "new" / "deeper", "MODEL_DIR")
    assert os.listdir(tmp_path) == []


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root can write everywhere")
def test_check_writable_rejects_read_only_directory(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        with pytest.raises(ConfigError, match="not writable"):
            check_writable(locked)
        with pytest.raises(ConfigError, match="cannot be created"):
            check_writable(locked / "child")
        assert os.listdir(locked) == []
    finally:
        locked.chmod(0o700)


# --- the results as a set -------------------------------------------------------------------------

EARLIER = {"out/weights.csv": b"old weights", "out/ranking.csv": b"old ranking", "models/logs.json": b"old logs"}


def earlier_set(tmp_path):
    for name, data in EARLIER.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(data)
    (tmp_path / "models/model_0.keras").write_bytes(b"old model")
    return tmp_path / "models/.deepfeat-results-2.json"


def files(tmp_path):
    return {str(p.relative_to(tmp_path)): p.read_bytes() for p in sorted(tmp_path.rglob("*")) if p.is_file()}


def write_new_set(journal, tmp_path, fail_at=None):
    """Stage the three files (the disk full while writing file ``fail_at``), then install."""
    with ResultSet(journal, remove=[tmp_path / "models/model_0.keras"]) as results:
        for count, name in enumerate(EARLIER):
            staged = results.stage(tmp_path / name)
            if count == fail_at:
                raise OSError(28, "No space left on device")
            atomic_write_text(staged, f"new {name}")


def test_a_result_set_replaces_the_earlier_one_whole(tmp_path):
    journal = earlier_set(tmp_path)
    write_new_set(journal, tmp_path)
    assert files(tmp_path) == {name: f"new {name}".encode() for name in EARLIER}  # model removed, no litter


@pytest.mark.parametrize("fail_at", [0, 1, 2])
def test_a_fault_between_staged_files_leaves_the_earlier_set(tmp_path, fail_at):
    journal = earlier_set(tmp_path)
    before = files(tmp_path)
    with pytest.raises(WriteError) as excinfo:
        write_new_set(journal, tmp_path, fail_at)
    failed = tmp_path / list(EARLIER)[fail_at]
    assert str(excinfo.value) == f"cannot write {failed}: No space left on device; the earlier results are untouched"
    assert files(tmp_path) == before
    assert not list(tmp_path.rglob(".deepfeat-results-2.staging"))


def test_a_fault_between_moves_is_finished_from_the_journal(tmp_path, monkeypatch):
    journal = earlier_set(tmp_path)
    replace, moved = os.replace, []

    def failing_replace(source, target):
        if ".staging" in str(source) and ".staging" not in str(target):
            if len(moved) == 1:
                raise OSError(5, "Input/output error", str(target))
            moved.append(target)
        replace(source, target)

    monkeypatch.setattr(outputs.os, "replace", failing_replace)
    with pytest.raises(WriteError, match="run the same command again to finish"):
        write_new_set(journal, tmp_path)
    monkeypatch.undo()
    # Half-way: the journal is there, and the earlier files not yet replaced are still in place.
    assert journal.exists()
    assert (tmp_path / "out/ranking.csv").read_bytes() == b"old ranking"
    assert finish_results(journal, [tmp_path / "out", tmp_path / "models"]) is True
    assert files(tmp_path) == {name: f"new {name}".encode() for name in EARLIER}
    assert finish_results(journal, [tmp_path / "out", tmp_path / "models"]) is False  # nothing left to do


def test_staging_left_without_a_journal_is_removed(tmp_path):
    journal = earlier_set(tmp_path)
    before = files(tmp_path)
    results = ResultSet(journal)
    atomic_write_text(results.stage(tmp_path / "out/weights.csv"), "new")  # then the process died
    assert finish_results(journal, [tmp_path / "out", tmp_path / "models"]) is False
    assert files(tmp_path) == before and not list(tmp_path.rglob("*.staging"))


@pytest.mark.parametrize("name", ["price_$_usd$", "cost$^$", r"a$\frac$b", "$$", r"\$x_{1}$"])
def test_names_are_drawn_literally_not_as_formulas(tmp_path, name):
    ranking = make_ranking(3)
    ranking.loc[0, "attribute"] = name
    plot_ranking(tmp_path / "r.png", ranking, f"title with {name}")
    assert (tmp_path / "r.png").read_bytes().startswith(PNG_SIGNATURE)


def test_characters_missing_from_the_font_are_said_once(tmp_path):
    ranking = make_ranking(3)
    ranking.loc[0, "attribute"] = "\u6e29\u5ea6"
    ranking.loc[1, "attribute"] = "\u6e29"
    with pytest.warns(DeepfeatWarning) as caught:
        plot_ranking(tmp_path / "r.png", ranking, "t")
    assert [str(w.message) for w in caught] == [
        "r.png: the plot's font has no \u6e29 \u5ea6, drawn as boxes; the ranking table has every name in full"
    ]
