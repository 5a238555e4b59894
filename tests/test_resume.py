"""Runs that survive: checkpoints, resuming, refusing a changed run, clean stops on SIGINT/SIGTERM, kill -9.

Signals are real: the in-process tests make the process signal itself half-way through training,
and a subprocess run is killed with SIGKILL.
"""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from deepfeat import cli, ensemble
from deepfeat.checkpoint import CheckpointMismatch, RunCheckpoint, RunInProgress
from deepfeat.config import ENV_VARIABLES
from deepfeat.data import load_dataset
from deepfeat.ensemble import TrainingOptions, train_ensemble
from deepfeat.errors import DeepfeatError, WriteError
from deepfeat.stacked import StackedTrainer
from deepfeat.training import Interrupted, StopRequest

ROOT = Path(__file__).resolve().parents[1]
WINE = ROOT / "Data/wine.data"
WINE_NAMES = ROOT / "Data/wine.attributes"
RESULT_FILES = ("ExpOutput/output_weights_{n}.csv", "ExpOutput/ranking_{n}.csv", "Models/logs_{n}.json")


@pytest.fixture(scope="module")
def wine():
    dataset = load_dataset(WINE, WINE_NAMES)
    return dataset.X[::2], dataset.y[::2]  # 89 rows: quick epochs


# A large step and little patience, so that models stop at different epochs.
QUICK = TrainingOptions(max_epochs=14, patience=1, learning_rate=1e-2)


def stop_at(stop, epoch, signum=signal.SIGINT):
    """A progress callback that requests ``stop`` once ``epoch`` epochs are done."""

    def progress(finished, n_models, done, n_training):
        if done == epoch:
            stop.request(signum)

    return progress


def assert_same_result(a, b):
    for name in a.params:
        np.testing.assert_array_equal(a.params[name], b.params[name])
    assert a.records == b.records


# --- the library: RunCheckpoint with train_ensemble -----------------------------------------


def test_stop_request_saves_the_epoch_and_resuming_matches_an_uninterrupted_run(wine, tmp_path):
    X, y = wine
    reference = train_ensemble(X, y, 3, QUICK, seed=5)
    checkpoint = RunCheckpoint(tmp_path / "run", interval=3600)  # only the stop request saves
    stop = StopRequest()
    with pytest.raises(Interrupted) as excinfo:
        train_ensemble(
            X, y, 3, QUICK, seed=5, progress=stop_at(stop, 4, signal.SIGTERM), checkpoint=checkpoint, stop=stop
        )
    assert excinfo.value.signum == signal.SIGTERM
    assert not stop.training
    assert checkpoint.saved_progress() == {"n_models": 3, "finished": 0, "epoch": 4}

    epochs = []
    resumed = train_ensemble(
        X,
        y,
        3,
        QUICK,
        seed=5,
        progress=lambda *args: epochs.append(args[2]),
        checkpoint=RunCheckpoint(tmp_path / "run"),
    )
    assert_same_result(resumed, reference)
    assert epochs[0] == 5  # went on after epoch 4 instead of starting again
    assert max(r["epochs_run"] for r in reference.records) > 5


def one_model_per_group(monkeypatch):
    monkeypatch.setattr(ensemble, "group_size", lambda *args: 1)


def test_finished_groups_are_loaded_not_trained_again(wine, tmp_path, monkeypatch):
    X, y = wine
    options = TrainingOptions(**{**QUICK.__dict__, "max_epochs": 6})
    one_model_per_group(monkeypatch)
    reference = train_ensemble(X, y, 3, options, seed=2)
    checkpoint = RunCheckpoint(tmp_path / "run", interval=0)
    stop = StopRequest()
    trained = []

    def progress(finished, n_models, epoch, n_training):
        if finished == 1 and n_training == 1 and epoch == 2:  # the second group, two epochs in
            stop.request()

    with pytest.raises(Interrupted):
        train_ensemble(X, y, 3, options, seed=2, progress=progress, checkpoint=checkpoint, stop=stop)
    assert checkpoint.saved_progress() == {"n_models": 3, "finished": 1, "epoch": 2}

    original = StackedTrainer.train

    def counting_train(self, group, hooks):
        resume = hooks.resume(group)
        trained.append((len(group.models), None if resume is None else resume["epoch"]))
        return original(self, group, hooks)

    monkeypatch.setattr(StackedTrainer, "train", counting_train)
    resumed = train_ensemble(X, y, 3, options, seed=2, checkpoint=RunCheckpoint(tmp_path / "run"))
    assert trained == [(1, 2), (1, None)]  # group 0 loaded, group 1 resumed at epoch 2, group 2 new
    assert_same_result(resumed, reference)


def test_a_run_resumes_under_another_memory_budget_to_the_same_result(wine, tmp_path, monkeypatch):
    X, y = wine
    reference = train_ensemble(X, y, 5, QUICK, seed=6)
    checkpoint = RunCheckpoint(tmp_path / "run", interval=0)
    stop = StopRequest()

    def progress(finished, n_models, epoch, n_training):
        if finished == 2 and n_training == 1 and epoch == 3:  # the third model, three epochs in
            stop.request()

    with monkeypatch.context() as patch, pytest.raises(Interrupted):
        one_model_per_group(patch)  # as a tiny memory budget would
        train_ensemble(X, y, 5, QUICK, seed=6, progress=progress, checkpoint=checkpoint, stop=stop)
    assert checkpoint.saved_progress() == {"n_models": 5, "finished": 2, "epoch": 3}
    # All at once now: models 0-1 are loaded, model 2 resumed, models 3-4 trained as one group.
    seen = []
    resumed = train_ensemble(
        X, y, 5, QUICK, seed=6, checkpoint=RunCheckpoint(tmp_path / "run"), progress=lambda *a: seen.append(a)
    )
    assert seen[0] == (1, 5, 0, 0) and seen[1] == (2, 5, 0, 0)  # the loaded models count as finished
    assert_same_result(resumed, reference)


def test_state_is_saved_at_most_every_interval(wine, tmp_path):
    X, y = wine
    checkpoint = RunCheckpoint(tmp_path / "run", interval=3600)
    seen = []
    train_ensemble(
        X,
        y,
        2,
        QUICK,
        seed=1,
        checkpoint=checkpoint,
        progress=lambda *a: seen.append((tmp_path / "run/state.pkl").exists()),
    )
    assert seen and not any(seen)
    assert sorted(p.name for p in (tmp_path / "run").iterdir()) == ["group_000000-000002.pkl", "run.json"]


def test_other_inputs_are_refused_and_restart_starts_over(wine, tmp_path):
    X, y = wine
    folder = tmp_path / "run"
    checkpoint = RunCheckpoint(folder, interval=0)
    stop = StopRequest()
    with pytest.raises(Interrupted):
        train_ensemble(X, y, 2, QUICK, seed=1, progress=stop_at(stop, 2), checkpoint=checkpoint, stop=stop)
    saved = (folder / "state.pkl").read_bytes()

    changed = TrainingOptions(**{**QUICK.__dict__, "learning_rate": 1e-3})
    with pytest.raises(CheckpointMismatch) as excinfo:
        train_ensemble(X, y, 2, changed, seed=1, checkpoint=RunCheckpoint(folder))
    assert list(excinfo.value.differences) == ["learning_rate"]
    assert "\n" not in str(excinfo.value)
    X_changed = X.copy()
    X_changed[0, 0] += 1
    with pytest.raises(CheckpointMismatch) as excinfo:
        train_ensemble(X_changed, y, 2, QUICK, seed=2, checkpoint=RunCheckpoint(folder))
    assert list(excinfo.value.differences) == ["data", "seed"]
    assert (folder / "state.pkl").read_bytes() == saved

    epochs = []
    train_ensemble(
        X,
        y,
        2,
        changed,
        seed=1,
        progress=lambda *a: epochs.append(a[2]),
        checkpoint=RunCheckpoint(folder, restart=True),
    )
    assert epochs[0] == 1


def test_keras_trainer_resumes_at_model_granularity(wine, tmp_path):
    X, y = wine
    options = TrainingOptions(max_epochs=1, trainer="keras")
    checkpoint = RunCheckpoint(tmp_path / "run", interval=0)
    stop = StopRequest()

    def progress(model, n_models, epoch, n_training):
        if model == 1:  # model 0 is finished
            stop.request()

    with pytest.raises(Interrupted):
        train_ensemble(X, y, 2, options, seed=3, progress=progress, checkpoint=checkpoint, stop=stop)
    assert checkpoint.saved_progress() == {"n_models": 2, "finished": 1, "epoch": 0}
    first = checkpoint.finished_groups()[0, 1]

    resumed = train_ensemble(X, y, 2, options, seed=3, checkpoint=RunCheckpoint(tmp_path / "run"))
    for name, value in first.best.items():
        np.testing.assert_array_equal(resumed.params[name][:1], value)
    assert len(resumed.records) == 2


def test_remembered_values_survive_and_restart_forgets_them(tmp_path):
    assert RunCheckpoint(tmp_path / "run").remember("seed", lambda: 11) == 11
    assert RunCheckpoint(tmp_path / "run").remember("seed", lambda: 12) == 11
    assert RunCheckpoint(tmp_path / "run", restart=True).remember("seed", lambda: 13) == 13


def test_unreadable_checkpoint_is_a_one_line_error(tmp_path):
    folder = tmp_path / "run"
    folder.mkdir()
    (folder / "state.pkl").write_bytes(b"garbage")
    with pytest.raises(DeepfeatError) as excinfo:
        RunCheckpoint(folder).saved_progress()
    assert "state.pkl" in str(excinfo.value) and "\n" not in str(excinfo.value)


def test_a_full_disk_while_saving_progress_is_a_one_line_error(tmp_path, monkeypatch):
    from deepfeat import outputs

    def full_disk(descriptor):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(outputs.os, "fsync", full_disk)
    with pytest.raises(WriteError) as excinfo:
        RunCheckpoint(tmp_path / "run").remember("seed", lambda: 1)
    assert str(excinfo.value) == (
        f"cannot save the training progress in {tmp_path / 'run/run.json'}: No space left on device"
    )
    assert not (tmp_path / "run/run.json").exists()


def test_a_checkpoint_is_locked_by_one_holder_at_a_time(tmp_path):
    folder = tmp_path / "models/.deepfeat-run-3"
    lock = tmp_path / "models/.deepfeat-run-3.lock"
    with RunCheckpoint(folder).locked() as held:
        assert lock.read_text() == f"{os.getpid()}\n"
        with pytest.raises(RunInProgress) as excinfo, RunCheckpoint(folder).locked():
            pass
        assert excinfo.value.pid == os.getpid() and str(folder) in str(excinfo.value)
        held.remember("seed", lambda: 1)
        held.discard()  # the lock lives beside the folder, not in it
        assert lock.exists()
    assert not lock.exists()
    lock.write_text("999999\n")  # left by a holder that was killed: the kernel let its lock go
    with RunCheckpoint(folder).locked():
        assert lock.read_text() == f"{os.getpid()}\n"


# --- the command line, in-process ---------------------------------------------------------


@pytest.fixture
def runner(tmp_path, monkeypatch):
    """Run ``deepfeat -q`` in-process in a folder (under tmp_path) of its own; returns the exit status."""
    for variable in (*ENV_VARIABLES, "EXP_OUTPUT_CSV_FILE", "OUTPUT_MODEL_DIR"):
        monkeypatch.delenv(variable, raising=False)
    settings = {
        "DATA_FILE": str(WINE),
        "ATTRIBUTE_FILE": str(WINE_NAMES),
        "N_MODELS": "3",
        "SEED": "7",
        "MAX_EPOCHS": "12",
        "PATIENCE": "1",
        "LEARNING_RATE": "0.01",
        "SAVE_MODELS": "no",
        "CHECKPOINT_SECONDS": "3600",
    }
    for variable, value in settings.items():
        monkeypatch.setenv(variable, value)

    def run(folder, *flags):
        folder = tmp_path / folder
        folder.mkdir(exist_ok=True)
        monkeypatch.chdir(folder)
        return cli.main(["-q", *flags])

    return run


def signal_at_epoch(monkeypatch, epoch, signum):
    """Make the process send itself ``signum`` after ``epoch`` epochs of training."""
    original = RunCheckpoint.save_state
    calls = []

    def save_state(self, start, stop, get_state, now=False):
        calls.append(start)
        if len(calls) == epoch:
            os.kill(os.getpid(), signum)
        return original(self, start, stop, get_state, now)

    monkeypatch.setattr(RunCheckpoint, "save_state", save_state)


def test_sigterm_saves_exits_143_and_the_same_command_resumes(runner, monkeypatch, capsys, tmp_path, caplog):
    previous = signal.getsignal(signal.SIGTERM)
    assert runner("reference") == 0
    capsys.readouterr()

    with monkeypatch.context() as patch:
        signal_at_epoch(patch, 3, signal.SIGTERM)
        assert runner("run") == 143
    err = capsys.readouterr().err
    folder = tmp_path / "run/Models/.deepfeat-run-3"
    assert err.splitlines()[-1] == (
        f"Interrupted: 0 of 3 models finished, progress saved in {Path('Models/.deepfeat-run-3')}; "
        "run the same command again to resume."
    )
    assert RunCheckpoint(folder).saved_progress()["epoch"] == 3  # saved at once, whatever the interval
    assert signal.getsignal(signal.SIGTERM) == previous
    assert not any((tmp_path / "run/ExpOutput").iterdir())

    # Another configuration in the same place is refused and the saved progress kept.
    state = (folder / "state.pkl").read_bytes()
    status = runner("run", "--learning-rate", "0.02")
    lines = capsys.readouterr().err.splitlines()
    assert status == 2 and len(lines) == 1
    assert "different LEARNING_RATE" in lines[0] and "RESTART=1" in lines[0] and ".deepfeat-run-3" in lines[0]
    assert (folder / "state.pkl").read_bytes() == state

    with caplog.at_level("INFO", logger="deepfeat.checkpoint"):
        assert runner("run") == 0
    assert "0 of 3 models finished, training goes on at epoch 4" in caplog.text
    for name in RESULT_FILES:
        path = name.format(n=3)
        assert (tmp_path / "run" / path).read_bytes() == (tmp_path / "reference" / path).read_bytes(), path
    assert not folder.exists()


def test_ctrl_c_saves_exits_130_and_restart_starts_over(runner, monkeypatch, capsys, tmp_path, caplog):
    with monkeypatch.context() as patch:
        signal_at_epoch(patch, 2, signal.SIGINT)
        assert runner("run") == 130
    assert (
        capsys.readouterr().err.splitlines()[-1].startswith("Interrupted: 0 of 3 models finished, progress saved in ")
    )
    assert RunCheckpoint(tmp_path / "run/Models/.deepfeat-run-3").saved_progress()["epoch"] == 2
    with caplog.at_level("INFO", logger="deepfeat.checkpoint"):
        assert runner("run", "--learning-rate", "0.02", "--restart") == 0
    assert "resuming" not in caplog.text
    assert not (tmp_path / "run/Models/.deepfeat-run-3").exists()


def test_a_refusal_is_the_only_line_even_with_the_progress_bar_on(runner, monkeypatch, capsys, tmp_path):
    with monkeypatch.context() as patch:
        signal_at_epoch(patch, 1, signal.SIGINT)
        assert runner("run") == 130
    capsys.readouterr()
    assert cli.main(["--learning-rate", "0.02"]) == 2  # in the folder of the run above, without -q
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1 and "different LEARNING_RATE" in lines[0], lines


def test_ctrl_c_before_training_exits_130(runner, monkeypatch, capsys):
    class Interrupting:
        def readline(self):
            os.kill(os.getpid(), signal.SIGINT)
            return "2\n"

    previous = signal.getsignal(signal.SIGINT)
    monkeypatch.delenv("N_MODELS")
    monkeypatch.setattr(sys, "stdin", Interrupting())
    assert runner("run") == 130
    assert capsys.readouterr().err.splitlines()[-1] == "deepfeat: interrupted"
    assert signal.getsignal(signal.SIGINT) is previous


# --- real processes: kill -9 and Ctrl-C --------------------------------------------------

FAULT_SETTINGS = {
    "DATA_FILE": str(WINE),
    "ATTRIBUTE_FILE": str(WINE_NAMES),
    "N_MODELS": "4",
    # With this seed the four models stop after some 40 to 100 epochs, one after the other.
    "SEED": "4",
    "LEARNING_RATE": "0.003",
    "PATIENCE": "5",
    "MAX_EPOCHS": "400",
    "SAVE_MODELS": "0",
    # Often enough for the test to catch the run half-way, rarely enough to cost little.
    "CHECKPOINT_SECONDS": "0.1",
}


def start(command, folder, **settings):
    """Start ``command`` in ``folder`` with FAULT_SETTINGS updated by ``settings`` (None: unset)."""
    env = {k: v for k, v in os.environ.items() if k not in ENV_VARIABLES}
    env.update(FAULT_SETTINGS, **settings)
    env = {k: v for k, v in env.items() if v is not None}
    folder.mkdir(exist_ok=True)
    return subprocess.Popen(
        command,
        cwd=folder,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for(process, folder, condition, timeout=180):
    """Poll the run's checkpoint until ``condition(saved_progress)`` holds; returns the progress."""
    checkpoint = RunCheckpoint(folder / "Models/.deepfeat-run-4")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            out, err = process.communicate()
            pytest.fail(f"the run ended (status {process.returncode}) before the checkpoint got there:\n{err}")
        progress = checkpoint.saved_progress()
        if progress["n_models"] and condition(progress):
            return progress
        time.sleep(0.02)
    process.kill()
    pytest.fail("timed out waiting for the checkpoint")


def finish(process, timeout=180):
    out, err = process.communicate(timeout=timeout)
    return process.returncode, out, err


@pytest.mark.slow
def test_a_killed_run_resumes_to_the_uninterrupted_result(tmp_path):
    python_m = [sys.executable, "-m", "deepfeat"]
    script = Path(sys.executable).parent / "deepfeat"
    # Runs alongside the others, answering the prompt; the interval changes when progress is
    # saved, not the result.
    piped = ["bash", "-c", f"printf '4\\n' | '{sys.executable}' -m deepfeat"]
    reference = start(piped, tmp_path / "reference", N_MODELS=None, CHECKPOINT_SECONDS="30")

    folder = tmp_path / "run"
    run = start(python_m, folder)
    at_kill = wait_for(run, folder, lambda p: p["finished"] >= 1)
    run.kill()
    assert finish(run)[0] == -signal.SIGKILL

    # The same command (here through the console script) goes on from the last checkpoint.
    status, out, err = finish(start([str(script)] if script.exists() else python_m, folder))
    assert status == 0, err
    assert f"{at_kill['finished']} of 4 models finished, training goes on at epoch {at_kill['epoch'] + 1}" in err
    assert not (folder / "Models/.deepfeat-run-4").exists()
    assert "Traceback" not in err
    assert "absl::InitializeLog" not in err  # TensorFlow's start-up chatter stays hidden

    status, out, err = finish(reference)
    assert status == 0, err
    assert out.startswith("Task: classification, as label 'label' has 3 distinct whole numbers")
    assert "\nHow many models to train? Training 4 model(s) on " in out
    assert "Results:" in out
    # Bit for bit the uninterrupted result, rows of the models finished before the kill included.
    for name in RESULT_FILES:
        path = name.format(n=4)
        assert (folder / path).read_bytes() == (tmp_path / "reference" / path).read_bytes(), path
    weights = (folder / "ExpOutput/output_weights_4.csv").read_text().splitlines()
    assert len(weights) == 1 + 4
    # The rerun trained only the epochs after the checkpoint.
    logs = json.loads((folder / "Models/logs_4.json").read_text())
    total_epochs = max(log["epochs_run"] for log in logs.values())
    assert 0 < at_kill["epoch"] < total_epochs


# A run that holds its results back until told, and is SIGKILLed once two of its result files are in place.
HELD_THEN_KILLED = """
import os, signal, sys, time
from pathlib import Path
from deepfeat.checkpoint import RunCheckpoint

save_group = RunCheckpoint.save_group
def held_save_group(self, *args):
    deadline = time.monotonic() + 120
    while not Path("go").exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    save_group(self, *args)
RunCheckpoint.save_group = held_save_group

replace, installed = os.replace, []
def killing_replace(source, target):
    replace(source, target)
    if ".staging" in str(source) and ".staging" not in str(target):  # a result file moved into place
        installed.append(target)
        if len(installed) == 2:
            os.kill(os.getpid(), signal.SIGKILL)
os.replace = killing_replace

from deepfeat.cli import console_main
console_main()
"""
EARLIER_SET = {
    "ExpOutput/output_weights_4.csv": b"a\n1\n",
    "ExpOutput/ranking_4.csv": b"rank,attribute\n1,a\n",
    "ExpOutput/ranking_4.png": b"not a plot",
    "Models/logs_4.json": b"{}\n",
    "Models/model_4_0.keras": b"an earlier model",
}


@pytest.mark.slow
def test_a_live_run_owns_its_folder_and_a_kill_between_result_files_leaves_one_whole_set(tmp_path, monkeypatch, capsys):
    import deepfeat.experiment  # noqa: F401  (TensorFlow loaded before the race below)

    folder = tmp_path / "run"
    for name, data in EARLIER_SET.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
    run = start([sys.executable, "-c", HELD_THEN_KILLED], folder)
    wait_for(run, folder, lambda p: p["epoch"] >= 1)

    # A second run into the live run's folder is refused, in one line naming it, before any
    # progress bar, and --restart does not discard the live run's progress either.
    for variable in ENV_VARIABLES:
        monkeypatch.delenv(variable, raising=False)
    for variable, value in FAULT_SETTINGS.items():
        monkeypatch.setenv(variable, value)
    monkeypatch.chdir(folder)
    for flags in ([], ["--restart"]):
        assert cli.main(flags) == 2
        lines = capsys.readouterr().err.splitlines()
        assert len(lines) == 1, lines
        assert f"belongs to a run that is still training (process {run.pid})" in lines[0]
        assert "RESTART" not in lines[0] and "restart" not in lines[0]
    assert (folder / "Models/.deepfeat-run-4/run.json").exists()

    (folder / "go").touch()
    assert finish(run)[0] == -signal.SIGKILL
    journal = folder / "Models/.deepfeat-results-4.json"
    listed = json.loads(journal.read_text())
    moved = [Path(final).name for _, final in listed["moves"]]
    assert moved == ["output_weights_4.csv", "ranking_4.csv", "ranking_4.png", "logs_4.json"]
    assert [Path(path).name for path in listed["remove"]] == [f"model_4_{i}.keras" for i in range(4)]
    # Killed half-way: two files new, the others still the earlier run's, and the journal says what is left.
    changed = [name for name, data in EARLIER_SET.items() if (folder / name).read_bytes() != data]
    assert changed == ["ExpOutput/output_weights_4.csv", "ExpOutput/ranking_4.csv"]

    # The next command in these folders finishes the set before anything else (here it then
    # stops at the prompt it cannot answer).
    status, out, err = finish(start([sys.executable, "-m", "deepfeat"], folder, N_MODELS=None))
    assert status == 2 and "Traceback" not in err
    assert "Finished moving the results of an interrupted run of 4 model(s) into place." in err
    assert not journal.exists() and not list(folder.glob("*/.deepfeat-results-4*"))
    # One whole new set: none of the earlier files is left, and the new files agree with each other.
    assert all((folder / name).read_bytes() != data for name, data in EARLIER_SET.items() if (folder / name).exists())
    assert not (folder / "Models/model_4_0.keras").exists()  # this run saves no models: the earlier one's go
    header, *rows = (folder / "ExpOutput/output_weights_4.csv").read_text().splitlines()
    assert header.split(",") == WINE_NAMES.read_text().strip().split(",") and len(rows) == 4
    weights = np.array([row.split(",") for row in rows], dtype=float).mean(axis=0)
    ranking = {
        row.split(",")[1]: float(row.split(",")[2])
        for row in (folder / "ExpOutput/ranking_4.csv").read_text().splitlines()[1:]
    }
    np.testing.assert_allclose([ranking[name] for name in header.split(",")], weights, rtol=0, atol=1e-12)
    assert list(json.loads((folder / "Models/logs_4.json").read_text())) == ["0", "1", "2", "3"]
    assert (folder / "ExpOutput/ranking_4.png").read_bytes().startswith(b"\x89PNG")
