"""Training on a Dask cluster: a real scheduler and two single-threaded workers on 127.0.0.1.

The cluster is started by the module's fixture (bounded in time) and always torn down. Every
check compares with a local run bit for bit: each model draws from its own streams, so where
and in which group it trains changes nothing.
"""

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import joblib
import numpy as np
import pytest
from sklearn.datasets import load_wine

from deepfeat import DeepFeatureImportance, DeepFeatureImportanceRegressor, cli
from deepfeat.config import ENV_VARIABLES

distributed = pytest.importorskip("distributed", reason="the dask extra is not installed")

ROOT = Path(__file__).resolve().parents[1]
WINE = ROOT / "Data/wine.data"
WINE_NAMES = ROOT / "Data/wine.attributes"
DASK = Path(sys.executable).with_name("dask")
START_SECONDS = 90  # a worker imports nothing heavy until its first task
QUICK = {"n_models": 4, "learning_rate": 1e-2, "max_epochs": 6, "random_state": 0}


def _stop(processes):
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 20
    for process in processes:
        try:
            process.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """The scheduler's address, with two single-threaded workers (each under a nanny) connected."""
    if not DASK.exists():
        pytest.skip(f"no dask command next to {sys.executable}")
    folder = tmp_path_factory.mktemp("cluster")
    scheduler_file = folder / "scheduler.json"
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    scheduler = subprocess.Popen(
        [DASK, "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard", "--scheduler-file", scheduler_file],
        **quiet,
    )
    processes = [scheduler]
    try:
        deadline = time.monotonic() + START_SECONDS
        while not scheduler_file.exists() or not scheduler_file.read_text().strip():
            assert time.monotonic() < deadline and scheduler.poll() is None, "the scheduler did not start"
            time.sleep(0.2)
        address = json.loads(scheduler_file.read_text())["address"]
        for _ in range(2):
            processes.append(
                subprocess.Popen(
                    [DASK, "worker", address, "--nthreads", "1", "--host", "127.0.0.1", "--no-dashboard"],
                    cwd=folder,
                    **quiet,
                )
            )
        with distributed.Client(address, timeout=START_SECONDS) as client:
            client.wait_for_workers(2, timeout=START_SECONDS)
        yield address
    finally:
        _stop(processes)


@pytest.fixture
def client(cluster):
    with distributed.Client(cluster, timeout=START_SECONDS) as client:
        yield client


@pytest.fixture(scope="module")
def wine():
    return load_wine(return_X_y=True)


def assert_same_fit(ours, theirs):
    for name, value in theirs.ensemble_.params.items():
        np.testing.assert_array_equal(ours.ensemble_.params[name], value, err_msg=name)
    assert ours.history_ == theirs.history_
    np.testing.assert_array_equal(ours.feature_importances_, theirs.feature_importances_)


@pytest.mark.parametrize("estimator", [DeepFeatureImportance, DeepFeatureImportanceRegressor])
def test_estimator_under_the_dask_backend_equals_its_local_fit(client, wine, estimator):
    X, y = wine
    local = estimator(**QUICK).fit(X, y)
    for n_jobs, n_groups in ((None, 2), (1, 1)):  # one group per worker thread; n_jobs=1 still on the cluster
        with distributed.get_task_stream(client) as stream, joblib.parallel_config(backend="dask"):
            on_cluster = estimator(**QUICK, n_jobs=n_jobs).fit(X, y)
        assert_same_fit(on_cluster, local)
        assert sum(task["key"].startswith("_train_shipped") for task in stream.data) == n_groups


def test_a_worker_killed_while_it_trains_gives_the_identical_result(client, wine):
    X, y = wine
    slow = {**QUICK, "max_epochs": 200, "patience": 200, "hidden_units": 256}
    fitted, errors = {}, []

    def fit():
        try:
            with joblib.parallel_config(backend="dask"):
                fitted["model"] = DeepFeatureImportance(**slow).fit(X, y)
        except BaseException as error:  # reported below, in the test's thread
            errors.append(error)

    training = threading.Thread(target=fit)
    training.start()
    pids = client.run(os.getpid)
    deadline = time.monotonic() + START_SECONDS
    while not (busy := [worker for worker, tasks in client.processing().items() if tasks]):
        assert time.monotonic() < deadline and training.is_alive(), errors
        time.sleep(0.1)
    time.sleep(1.0)  # into its epochs
    os.kill(pids[busy[0]], signal.SIGKILL)  # the worker, not its nanny, which starts a new one
    training.join(timeout=300)
    assert not training.is_alive() and not errors, errors
    client.wait_for_workers(2, timeout=START_SECONDS)  # the nanny brought it back for the next tests
    assert_same_fit(fitted["model"], DeepFeatureImportance(**slow).fit(X, y))


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    for variable in (*ENV_VARIABLES, "EXP_OUTPUT_CSV_FILE", "OUTPUT_MODEL_DIR"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.chdir(tmp_path)
    for name, value in {"DATA_FILE": WINE, "ATTRIBUTE_FILE": WINE_NAMES, "N_MODELS": 4, "MAX_EPOCHS": 5}.items():
        monkeypatch.setenv(name, str(value))
    monkeypatch.setenv("SEED", "3")
    return tmp_path


def result_files(folder):
    """Every result file's bytes, except the plot and the models (which embed no training result
    beyond the weights the logs and weights file already pin down)."""
    return {
        path.name: path.read_bytes()
        for path in [*(folder / "ExpOutput").glob("*.csv"), *(folder / "Models").glob("*.json")]
    }


def test_the_runner_on_the_cluster_writes_what_a_local_run_writes(cluster, workdir, capsys):
    assert cli.main(["--output-dir", "local/ExpOutput", "--model-dir", "local/Models"]) == 0
    local_out = capsys.readouterr().out
    assert "Training on" not in local_out
    assert cli.main(["--dask-scheduler-address", cluster]) == 0
    out = capsys.readouterr().out
    assert f"Training on {cluster}: 2 workers, 2 threads." in out
    assert result_files(workdir) == result_files(workdir / "local") != {}


def test_an_unreachable_scheduler_is_one_line_and_exit_status_2(workdir, capsys, monkeypatch):
    monkeypatch.setattr("deepfeat.cluster.CONNECT_SECONDS", 2)
    assert cli.main(["--dask-scheduler-address", "tcp://127.0.0.1:9"]) == 2
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert len(lines) == 1 and "tcp://127.0.0.1:9" in lines[0] and "DASK_SCHEDULER_ADDRESS" in lines[0]
    assert "Training" not in captured.out  # refused before anything was trained
    assert not (workdir / "ExpOutput").exists() or not any((workdir / "ExpOutput").iterdir())


def _saved_groups(folder):
    return len(list(folder.glob("Models/.deepfeat-run-6/group_*.pkl")))


def test_a_killed_driver_resumes_on_the_cluster_with_its_finished_groups(cluster, workdir):
    # Networks this wide fill the smallest memory budget alone: 6 groups of one model each.
    settings = {"N_MODELS": "6", "HIDDEN_UNITS": "1024", "MEMORY_BUDGET_MB": "64", "MAX_EPOCHS": "20"}
    env = {**os.environ, **settings, "DASK_SCHEDULER_ADDRESS": cluster}
    command = [sys.executable, "-m", "deepfeat"]
    run = subprocess.Popen(command, cwd=workdir, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 240
        while _saved_groups(workdir) < 2:
            assert time.monotonic() < deadline and run.poll() is None, run.communicate()
            time.sleep(0.1)
        run.kill()
        run.wait()
        kept = _saved_groups(workdir)
        assert kept < 6
        resumed = subprocess.run(command, cwd=workdir, env=env, capture_output=True, text=True, timeout=300)
        assert resumed.returncode == 0, resumed.stderr
        assert f"{kept} of 6 models finished" in resumed.stderr
    finally:
        if run.poll() is None:
            run.kill()
    local = workdir / "local"
    local.mkdir()
    env.pop("DASK_SCHEDULER_ADDRESS")
    reference = subprocess.run(command, cwd=local, env=env, capture_output=True, text=True, timeout=300)
    assert reference.returncode == 0, reference.stderr
    assert result_files(workdir) == result_files(local) != {}
