"""Dask-cluster benchmark (issue 15): local training against one and two single-threaded Dask workers.

Run with::

    .venv/bin/python benchmarks/cluster.py            # the full benchmark, about 20 minutes on 2 loaded cores
    .venv/bin/python benchmarks/cluster.py --quick    # about two minutes: fewer models, epochs and columns

For every cluster configuration a scheduler and its workers are started as subprocesses on
127.0.0.1 (``dask scheduler``, ``dask worker ADDR --nthreads 1``, each worker under its nanny) and
always torn down; every wait on them is bounded. The driver (this process) trains the local runs
itself and connects a ``distributed.Client`` for the cluster runs, which go through
``joblib.parallel_config(backend="dask")`` as ``deepfeat.cluster.dask_cluster`` sets it up.

Configurations: 1 worker; 2 workers; in the full run also 1 worker without the nanny's
``MALLOC_TRIM_THRESHOLD_=65536`` (unset through ``distributed.nanny.pre-spawn-environ``) and 2
workers without it and with one TensorFlow thread each (``TF_NUM_INTRAOP_THREADS=1``; the nanny
already sets ``OMP_NUM_THREADS=1``). Per configuration:

* Start-up: every fresh worker's first tiny groups (1 model, 1 epoch), sent to each worker at
  once: when the task reaches the worker (deserialising it imports TensorFlow), the first group
  (a new trainer, traced), the same again (kept trainer), and one with other options.
* Overhead per group: many tiny groups through the cluster, against the same groups trained here
  one after another, with warm trainers; two ways: "direct" (the data scattered to every worker
  once, one Dask task per group, as joblib's Dask backend does) and "joblib"
  (``deepfeat.parallel.train_in_parallel``: what ``train_ensemble`` does). With one worker
  thread, joblib runs the groups here, in the driver (``n_jobs`` resolves to 1), so the 1-worker
  throughput is measured "direct".
* End to end: ``train_ensemble(X, y, n_models, options, seed, n_jobs=...)`` on the wine data
  (sklearn's ``load_wine``, 178 rows x 13 attributes) with a fixed number of epochs (patience
  above the epoch count), here and on the cluster, interleaved; the parameters of every cluster
  run are compared bit for bit with the local run's.
* Steady state: the same models cut into groups of a fixed size (``EnsemblePlan.group_task``),
  trained with kept trainers on both sides, interleaved; results compared bit for bit.

On wide synthetic data (``make_classification``, 2,000 rows, 3 classes), on the plain
configurations: the cost of ``client.scatter([X, Y], broadcast=True)`` (what
``deepfeat.parallel`` does) to one and two workers; one group of 20 models trained on the worker
(times per epoch from the training hooks) against the same group trained here; the driver's own
work (planning, final predictions); and from these a projection of 1,000 models x 20,000
columns on 8 and 32 workers. The report (Markdown) goes to standard output, progress to
standard error.
"""

import argparse
import contextlib
import datetime
import json
import math
import os
import pickle
import platform
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # before TensorFlow loads: keep its start-up chatter out

ROOT = Path(__file__).resolve().parents[1]
DASK = Path(sys.executable).with_name("dask")
SEED = 0
START_SECONDS = 90  # the scheduler's file, and the workers' connection
STOP_SECONDS = 20
ONE_THREAD = {"TF_NUM_INTRAOP_THREADS": "1", "OMP_NUM_THREADS": "1"}
# Dask's nanny starts every worker with MALLOC_TRIM_THRESHOLD_=65536 (distributed.nanny.pre-spawn-environ),
# which turns off glibc's dynamic mmap threshold: every large NumPy allocation is mapped and unmapped
# anew. A value of None in that setting unsets the variable; it goes to the workers as a config file.
NO_TRIM = "distributed:\n  nanny:\n    pre-spawn-environ:\n      MALLOC_TRIM_THRESHOLD_: null\n"
TARGET_RATIO = 0.9  # throughput per worker within 10 % of local
BANDWIDTH = 1.25e9  # bytes/s of one 10 Gb/s link, for the projection's transfers
PROJECT_MODELS, PROJECT_COLUMNS, PROJECT_WORKERS, PROJECT_EPOCHS = 1_000, 20_000, (8, 32), 100
PROJECT_BUDGETS = (2048, 4096)  # MiB: the default memory budget, and one that lets 32 workers take 32 models each

FULL = {
    "configs": [
        ("1 worker", 1, {}),
        ("1 worker, malloc trim unset", 1, {"no_trim": True}),
        ("2 workers", 2, {}),
        ("2 workers, 1 TF thread each, malloc trim unset", 2, {**ONE_THREAD, "no_trim": True}),
    ],
    "models": 80,
    "epochs": 60,
    "groups": (5, 20, 40),
    "repeats": 3,
    "tiny_tasks": 100,
    "wide_columns": (10_000, 20_000),
    "wide_local": (10_000,),
    "wide_repeats": 2,
    "wide_models": 20,
    "wide_epochs": 3,
    "scatter_repeats": 3,
}
QUICK = {
    "configs": [("1 worker", 1, {}), ("2 workers", 2, {})],
    "models": 40,
    "epochs": 30,
    "groups": (20,),
    "repeats": 1,
    "tiny_tasks": 20,
    "wide_columns": (5_000,),
    "wide_local": (5_000,),
    "wide_repeats": 1,
    "wide_models": 20,
    "wide_epochs": 2,
    "scatter_repeats": 2,
}


def log(message):
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --- pure helpers (tested in tests/test_benchmark_cluster.py) --------------------------------
def median(values):
    return float(statistics.median(values))


def per_worker_ratio(local_seconds, cluster_seconds, n_workers):
    """Throughput per worker relative to local training of the same models: 1.0 is as fast as here."""
    return local_seconds / (cluster_seconds * n_workers)


def epoch_split(seconds, epoch_ends):
    """``(setup, per_epoch, finish)`` of one group, from its wall time and its epochs' end times
    (seconds since it started). The first epoch also traces the graph of a new trainer: that goes
    to ``setup``, with the initial weights and the data's conversion."""
    n = len(epoch_ends)
    per_epoch = (epoch_ends[-1] - epoch_ends[0]) / (n - 1) if n > 1 else epoch_ends[0]
    return max(0.0, epoch_ends[0] - per_epoch), per_epoch, seconds - epoch_ends[-1]


def scatter_estimate(nbytes, workers, bandwidth=BANDWIDTH):
    """Seconds to scatter ``nbytes`` to ``workers`` over links of ``bandwidth`` bytes/s, as Dask does it:
    client to scheduler to one worker, then a tree copy in which every holder serves two more
    (``Scheduler.replicate``, branching factor 2), so ``ceil(log3(workers))`` rounds of two copies each."""
    rounds = math.ceil(math.log(workers, 3) - 1e-9) if workers > 1 else 0
    return (2 + 2 * rounds) * nbytes / bandwidth


def project(n_models, workers, group, model_epoch_s, setup_s, finish_s, epochs):
    """Training wall time of ``n_models`` in groups of ``group`` on ``workers`` equal workers: every
    round of ``workers`` groups takes as long as one full group (setup, ``epochs`` epochs of
    ``group`` models at ``model_epoch_s`` per model-epoch, finish)."""
    groups = math.ceil(n_models / group)
    rounds = math.ceil(groups / workers)
    group_s = setup_s + epochs * group * model_epoch_s + finish_s
    return {"groups": groups, "rounds": rounds, "group_s": group_s, "training_s": rounds * group_s}


def row(*cells):
    return "| " + " | ".join(str(c) for c in cells) + " |"


def table(header, rows):
    return "\n".join([row(*header), row(*["---"] * len(header)), *rows]) if rows else ""


def runs(values, digits=2):
    """``median (run, run, ...)``."""
    inner = ", ".join(f"{v:.{digits}f}" for v in values)
    return f"{median(values):.{digits}f}" + (f" ({inner})" if len(values) > 1 else "")


def verdict(ratio):
    return "met" if ratio >= TARGET_RATIO else "missed"


# --- the cluster ------------------------------------------------------------------------------
def _stop(processes):
    for process in reversed(processes):  # workers (their nannies) first, the scheduler last
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + STOP_SECONDS
    for process in processes:
        try:
            process.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextlib.contextmanager
def local_cluster(n_workers, worker_env, folder):
    """A scheduler and ``n_workers`` single-threaded workers on 127.0.0.1; yields ``(address, seconds to start)``."""
    started = time.perf_counter()
    folder.mkdir(parents=True, exist_ok=True)
    scheduler_file = folder / "scheduler.json"
    # Imported rather than run, this module's functions travel by name: the workers can import it too.
    path = os.pathsep.join(filter(None, [str(Path(__file__).resolve().parent), os.environ.get("PYTHONPATH")]))
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": path}
    processes, logs = [], []

    def spawn(command, name, extra):
        logs.append(open(folder / f"{name}.log", "wb"))  # noqa: SIM115 - closed in the finally below
        process = subprocess.Popen(
            [str(c) for c in command], cwd=folder, env={**env, **extra}, stdout=logs[-1], stderr=subprocess.STDOUT
        )
        processes.append(process)
        return process

    worker_env = dict(worker_env)
    if worker_env.pop("no_trim", None):
        (folder / "dask.yaml").write_text(NO_TRIM)
        worker_env["DASK_CONFIG"] = str(folder)
    try:
        scheduler = spawn(
            [
                DASK,
                "scheduler",
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                "--no-dashboard",
                "--scheduler-file",
                scheduler_file,
            ],
            "scheduler",
            {},
        )
        deadline = time.monotonic() + START_SECONDS
        while not scheduler_file.exists() or not scheduler_file.read_text().strip():
            if time.monotonic() > deadline or scheduler.poll() is not None:
                raise RuntimeError(f"the scheduler did not start; see {folder / 'scheduler.log'}")
            time.sleep(0.1)
        address = json.loads(scheduler_file.read_text())["address"]
        for i in range(n_workers):
            command = [DASK, "worker", address, "--nthreads", "1", "--host", "127.0.0.1", "--no-dashboard"]
            spawn(command, f"worker-{i}", worker_env)
        import distributed

        with distributed.Client(address, timeout=START_SECONDS, set_as_default=False) as client:
            client.wait_for_workers(n_workers, timeout=START_SECONDS)
        yield address, time.perf_counter() - started
    finally:
        _stop(processes)
        for file in logs:
            file.close()


@contextlib.contextmanager
def on_cluster(client):
    """Train through the cluster, as ``deepfeat.cluster.dask_cluster`` sets it up."""
    import joblib

    with client.as_current(), joblib.parallel_config(backend="dask"):
        yield


WORKER_VARIABLES = ("MALLOC_TRIM_THRESHOLD_", "OMP_NUM_THREADS", "TF_NUM_INTRAOP_THREADS")


def worker_environment():
    return {name: os.environ.get(name) for name in WORKER_VARIABLES}


def _noop(i):
    return i


def submit_wait(client, fn, *args):
    """``fn(*args)`` run on the cluster, waited for."""
    return client.submit(fn, *args, pure=False).result()


def ship_group(X, Y, task):
    """Train one group on a worker from the scattered data, as joblib's Dask backend runs ``deepfeat.parallel``'s."""
    from deepfeat.encoding import EncodingLayout
    from deepfeat.parallel import train_group
    from deepfeat.training import TrainingData

    return train_group(replace(task, data=TrainingData.of(X, Y, EncodingLayout.plain(X.shape[1]))))


def first_tasks(X, Y, task, other):
    """What a worker's first groups cost: the first (a new trainer, traced), the same again (kept), and
    one with other options (another new trainer). Entered after the task was deserialised, which on a
    fresh worker imports TensorFlow (through ``deepfeat``)."""
    entered = time.time()
    loaded = "tensorflow" in sys.modules
    from deepfeat.encoding import EncodingLayout
    from deepfeat.parallel import train_group
    from deepfeat.training import TrainingData

    seconds = []
    for t in (task, task, other):
        start = time.perf_counter()
        train_group(replace(t, data=TrainingData.of(X, Y, EncodingLayout.plain(X.shape[1]))))
        seconds.append(time.perf_counter() - start)
    return {"entered_at": entered, "tensorflow_on_entry": loaded, "groups_s": seconds}


def timed_group(X, Y, task):
    """Train one group where this runs (a worker, or here) with the kept trainer of ``train_group``;
    its wall and CPU seconds, the end time of every epoch, and the result."""
    from deepfeat.encoding import EncodingLayout
    from deepfeat.parallel import train_group
    from deepfeat.training import TrainingData, TrainingHooks

    class Clock(TrainingHooks):
        def __init__(self):
            self.ends = []

        def epoch_end(self, task, epoch, n_training, get_state=None):
            self.ends.append(time.perf_counter() - start)

    clock = Clock()
    entered, start, cpu = time.time(), time.perf_counter(), time.process_time()
    result = train_group(replace(task, data=TrainingData.of(X, Y, EncodingLayout.plain(X.shape[1]))), clock)
    return {
        "entered_at": entered,  # the clock all processes of this machine share
        "left_at": time.time(),
        "seconds": time.perf_counter() - start,
        "cpu_seconds": time.process_time() - cpu,
        "epoch_ends": clock.ends,
        "result": result,
    }


# --- the measurements -----------------------------------------------------------------------------
def wine():
    from sklearn.datasets import load_wine

    X, y = load_wine(return_X_y=True)
    return X.astype(np.float64), y


def options_for(epochs, **extra):
    from deepfeat.ensemble import TrainingOptions

    return TrainingOptions(max_epochs=epochs, patience=epochs + 1, **extra)  # every model trains every epoch


def group_tasks(X, y, n_models, options, group):
    """The ensemble's models cut into groups of ``group``, as ``train_ensemble`` would ship them."""
    from deepfeat.ensemble import plan_ensemble
    from deepfeat.tasks import CLASSIFICATION
    from deepfeat.training import TrainingData

    plan = plan_ensemble(X, y, n_models, options, SEED)
    data = TrainingData.of(plan.encoding.rows(X), plan.target.values, plan.encoding.layout)
    return [
        plan.group_task(data, options, CLASSIFICATION, first, min(first + group, n_models))
        for first in range(0, n_models, group)
    ]


def train_local(tasks):
    from deepfeat.parallel import train_group

    return [train_group(task) for task in tasks]


def train_cluster(client, tasks, path):
    """Results of ``tasks`` trained through the cluster, and the (key, worker) of every Dask task that ran.

    ``path`` "joblib": ``deepfeat.parallel.train_in_parallel`` under Dask's joblib backend (what
    ``train_ensemble`` does; joblib runs everything here, in this process, when the cluster has one
    worker thread). "direct": the same data scattered to every worker once and one Dask task per
    group, straight through the client.
    """
    from distributed import get_task_stream

    from deepfeat.parallel import train_in_parallel

    with get_task_stream(client) as records:
        if path == "joblib":
            results = _joblib(client, lambda: list(train_in_parallel(tasks, n_jobs=-1)))
        else:
            data = tasks[0].data
            fx, fy = client.scatter([data.X, data.Y], broadcast=True, hash=False)  # keys of its own, see _joblib
            futures = [client.submit(ship_group, fx, fy, replace(t, data=None), pure=False) for t in tasks]
            results = client.gather(futures)
    return results, [(r["key"], r["worker"]) for r in records.data]


#: Cluster calls retried after Dask cancelled a group for "lost dependencies" (reported with the results).
RETRIES = []


def _joblib(client, train):
    """``train()`` on the cluster through joblib, once more if Dask lost the scattered data meanwhile.

    ``deepfeat.parallel`` scatters the data with Dask's content-hashed keys on every call, so two
    calls on the same data reuse the keys; the benchmark's own scatters use keys of their own.
    Once, in development, a call right after another scatter of the same content failed with
    "lost dependencies": such a call is retried, counted, and reported.
    """
    from distributed.client import FutureCancelledError

    for attempt in range(2):
        try:
            with on_cluster(client):
                return train()
        except FutureCancelledError as error:
            if attempt:
                raise
            RETRIES.append(str(error)[:200])
            log(f"  retried after: {RETRIES[-1]}")
            time.sleep(1.0)


def dask_tasks(stream):
    """Dask tasks that trained groups, and the workers that ran them."""
    keys = [key for key, _ in stream if str(key).startswith(("batch_of_", "ship_group"))]
    return len(keys), len({worker for key, worker in stream if str(key).startswith(("batch_of_", "ship_group"))})


def same_groups(ours, theirs):
    """Whether two lists of GroupResult hold bit-identical weights for the same models."""
    by_start = {r.models[0]: r for r in theirs}
    return len(ours) == len(theirs) and all(
        r.models[0] in by_start
        and set(r.best) == set(by_start[r.models[0]].best)
        and all(np.array_equal(v, by_start[r.models[0]].best[k]) for k, v in r.best.items())
        for r in ours
    )


def same_params(a, b):
    return set(a.params) == set(b.params) and all(np.array_equal(v, b.params[k]) for k, v in a.params.items())


def timed(fn, *args, **kwargs):
    start = time.perf_counter()
    out = fn(*args, **kwargs)
    return time.perf_counter() - start, out


def startup(client):
    """Every fresh worker's first groups (1 model, 1 epoch; sent to each worker at once), and the same here."""
    X, y = wine()
    (task,) = group_tasks(X, y, 1, options_for(1), 1)
    (other,) = group_tasks(X, y, 1, options_for(1, learning_rate=2e-4), 1)
    fx, fy = client.scatter([task.data.X, task.data.Y], broadcast=True, hash=False)
    workers = sorted(client.nthreads())
    submitted = time.time()
    futures = [
        client.submit(first_tasks, fx, fy, replace(task, data=None), replace(other, data=None), workers=[w], pure=False)
        for w in workers
    ]
    done = [future.result() for future in futures]
    wall = time.time() - submitted
    (here_task,) = group_tasks(X, y, 1, options_for(1, learning_rate=3e-4), 1)
    (here_other,) = group_tasks(X, y, 1, options_for(1, learning_rate=4e-4), 1)
    here = first_tasks(task.data.X, task.data.Y, here_task, here_other)
    return {
        "to_worker_s": [d["entered_at"] - submitted for d in done],
        "tensorflow_on_entry": [d["tensorflow_on_entry"] for d in done],
        "groups_s": [d["groups_s"] for d in done],
        "wall_s": wall,
        "here_groups_s": here["groups_s"],
    }


def overhead(client, n_tasks):
    """Many tiny groups (1 model, 1 epoch) here and on the cluster both ways, with warm trainers; a bare
    Dask round trip."""
    X, y = wine()
    tasks = group_tasks(X, y, n_tasks, options_for(1), 1)
    train_local(tasks[:2])
    for path in ("direct", "joblib"):
        train_cluster(client, tasks[:4], path)  # every worker has its trainer
    local, ours = timed(train_local, tasks)
    out = {"tasks": n_tasks, "local_s": local, "task_bytes": len(pickle.dumps(replace(tasks[0], data=None)))}
    for path in ("direct", "joblib"):
        seconds, (theirs, stream) = timed(train_cluster, client, tasks, path)
        out[path] = {"seconds": seconds, "dask_tasks": dask_tasks(stream)[0], "identical": same_groups(theirs, ours)}
    out["round_trip_s"] = median([timed(submit_wait, client, _noop, i)[0] for i in range(20)])
    return out


def end_to_end(client, n_workers, spec):
    """``train_ensemble`` here and on the cluster, interleaved, after one untimed run of each."""
    from distributed import get_task_stream

    from deepfeat.ensemble import group_size, train_ensemble

    X, y = wine()
    options = options_for(spec["epochs"])
    n = spec["models"]
    reference = train_ensemble(X, y, n, options, SEED)
    on_the_cluster = lambda: train_ensemble(X, y, n, options, SEED, n_jobs=-1)  # noqa: E731
    _joblib(client, on_the_cluster)
    local, remote, identical, tasks = [], [], [], 0
    for _ in range(spec["repeats"]):
        seconds, _ = timed(train_ensemble, X, y, n, options, SEED)
        local.append(seconds)
        with get_task_stream(client) as records:
            seconds, result = timed(_joblib, client, on_the_cluster)
        remote.append(seconds)
        identical.append(same_params(result, reference))
        tasks = dask_tasks([(r["key"], r["worker"]) for r in records.data])[0]
    size = group_size(n, reference.spec, len(reference.train_index[0]), len(reference.val_index[0]), options, n_workers)
    return {"local": local, "cluster": remote, "identical": all(identical), "group": size, "dask_tasks": tasks}


def steady(client, n_workers, spec):
    """Groups of each size trained with kept trainers here and on the cluster, interleaved; on one
    worker "direct" (joblib would train them here), on more through ``train_in_parallel``."""
    X, y = wine()
    options = options_for(spec["epochs"])
    path = "direct" if n_workers == 1 else "joblib"
    out = []
    for size in spec["groups"]:
        tasks = group_tasks(X, y, spec["models"], options, size)
        train_local(tasks[:1])
        train_cluster(client, tasks, path)  # warm-up: every worker has its trainer
        local, remote, identical, busy = [], [], [], 0
        for _ in range(spec["repeats"]):
            seconds, ours = timed(train_local, tasks)
            local.append(seconds)
            seconds, (theirs, stream) = timed(train_cluster, client, tasks, path)
            remote.append(seconds)
            identical.append(same_groups(theirs, ours))
            busy = max(busy, dask_tasks(stream)[1])
        out.append(
            {
                "group": size,
                "tasks": len(tasks),
                "path": path,
                "local": local,
                "cluster": remote,
                "identical": all(identical),
                "busy_workers": busy,
            }
        )
        log(f"  groups of {size}: here {median(local):.2f} s, cluster {median(remote):.2f} s")
    return out


def wide_data(columns, rows=2_000):
    from sklearn.datasets import make_classification

    X, y = make_classification(
        n_samples=rows, n_features=columns, n_informative=10, n_redundant=0, n_classes=3, random_state=0
    )
    return X.astype(np.float64), y


def scatter_cost(client, data, repeats):
    """Seconds of ``client.scatter([X, Y], broadcast=True)``; the last scatter's futures are kept for training."""
    from dask.base import tokenize

    token_s, _ = timed(tokenize, data.X)
    seconds, futures = [], None
    for r in range(repeats):
        if r < repeats - 1:
            X = data.X.copy()
            X[0, 0] += r + 1  # another token: not the same keys as the kept scatter
        else:
            X = data.X
        elapsed, futures = timed(client.scatter, [X, data.Y], broadcast=True)
        seconds.append(elapsed)
        if r < repeats - 1:
            client.cancel(futures)
            del X, futures
            time.sleep(0.5)
    return {"seconds": seconds, "token_s": token_s, "mb": (data.X.nbytes + data.Y.nbytes) / 2**20}, futures


def wide(client, spec, n_workers):
    """Per wide dataset: scatter cost; one group on a worker (and here), timed per epoch; the driver's costs."""
    from deepfeat.ensemble import plan_ensemble
    from deepfeat.stacked import predict_outputs
    from deepfeat.tasks import CLASSIFICATION
    from deepfeat.training import TrainingData

    out = []
    for columns in spec["wide_columns"]:
        X, y = wide_data(columns)
        options = options_for(spec["wide_epochs"])
        n = spec["wide_models"]
        plan_s, plan = timed(plan_ensemble, X, y, n, options, SEED)
        data = TrainingData.of(plan.encoding.rows(X), plan.target.values, plan.encoding.layout)
        task = plan.group_task(data, options, CLASSIFICATION, 0, n)
        shipped = replace(task, data=None)
        scatter, (fx, fy) = scatter_cost(client, data, spec["scatter_repeats"])
        log(f"  {columns:,} columns: scatter {median(scatter['seconds']):.2f} s to {n_workers} worker(s)")
        entry = {"columns": columns, "rows": len(X), "models": n, "epochs": spec["wide_epochs"], "scatter": scatter}
        entry["task_bytes"] = len(pickle.dumps(shipped))
        if n_workers == 1:
            entry["worker"], entry["local"] = [], []
            for _ in range(spec["wide_repeats"] if columns in spec["wide_local"] else 1):
                submitted = time.time()
                got = submit_wait(client, timed_group, fx, fy, shipped)
                got["submit_s"], got["to_worker_s"] = time.time() - submitted, got["entered_at"] - submitted
                got["back_s"] = time.time() - got["left_at"]
                result = got.pop("result")
                got["result_mb"] = sum(v.nbytes for v in result.best.values()) / 2**20
                entry["worker"].append(got)
                log(f"  {columns:,} columns: one group of {n} on the worker {got['seconds']:.1f} s")
                if columns in spec["wide_local"]:
                    mine = timed_group(data.X, data.Y, task)
                    identical = all(np.array_equal(v, mine["result"].best[k]) for k, v in result.best.items())
                    mine.pop("result")
                    mine["identical"] = identical
                    entry["local"].append(mine)
                    log(f"  {columns:,} columns: the same group here {mine['seconds']:.1f} s")
            predict_s, _ = timed(predict_outputs, result.best, plan.encoding, plan.encoding.rows(X), _spec(task))
            entry["plan_s"], entry["predict_s"] = plan_s, predict_s
            entry["n_train"], entry["n_val"] = plan.train_index.shape[1], plan.val_index.shape[1]
            del result
        client.cancel([fx, fy])
        del fx, fy, data, task, shipped, plan, X
        out.append(entry)
    return out


def _spec(task):
    from deepfeat.network import network_spec

    return network_spec(task.data.X.shape[1], task.data.Y.shape[1], task.options, task.task.output_activation)


def measure_config(name, n_workers, env, spec, folder):
    import distributed

    log(f"{name}: starting the cluster")
    entry = {"name": name, "workers": n_workers, "env": env, "load_start": os.getloadavg()[0]}
    with local_cluster(n_workers, env, folder) as (address, start_s):
        entry["start_s"] = start_s
        with distributed.Client(address, timeout=START_SECONDS, set_as_default=False) as client:
            entry["worker_env"] = next(iter(client.run(worker_environment).values()))
            entry["startup"] = s = startup(client)
            log(f"{name}: first groups reached the workers after {max(s['to_worker_s']):.1f} s (TensorFlow's import)")
            entry["overhead"] = o = overhead(client, spec["tiny_tasks"])
            log(f"{name}: {o['tasks']} tiny groups: here {o['local_s']:.2f} s, direct {o['direct']['seconds']:.2f} s")
            entry["end_to_end"] = e = end_to_end(client, n_workers, spec)
            log(f"{name}: end to end, here {median(e['local']):.2f} s, cluster {median(e['cluster']):.2f} s")
            entry["steady"] = steady(client, n_workers, spec)
            if not env:  # wide data: on the configurations with TensorFlow's default threads
                entry["wide"] = wide(client, spec, n_workers)
    entry["load_end"] = os.getloadavg()[0]
    return entry


# --- the report -------------------------------------------------------------------------------
def _each(values, digits=2):
    return " / ".join(f"{v:.{digits}f}" for v in values)


def startup_table(configs):
    rows = []
    for c in configs:
        s = c["startup"]
        first, again, other = zip(*s["groups_s"])
        here = s["here_groups_s"]
        rows.append(
            row(
                c["name"],
                f"{c['start_s']:.1f}",
                _each(s["to_worker_s"], 1),
                _each(first),
                _each(again, 3),
                _each(other),
                f"{s['wall_s']:.1f}",
                f"{here[0]:.2f} / {here[1]:.3f}",
                ", ".join(f"{k}={v}" for k, v in c["worker_env"].items() if v is not None) or "-",
            )
        )
    header = ["cluster", "start (s)", "task reaches each worker (s)", "first group (s)", "again (s)"]
    return table(header + ["other options (s)", "all done (s)", "here: new trainer / again (s)", "worker env"], rows)


def overhead_table(configs):
    rows = []
    for c in configs:
        o = c["overhead"]
        n, k = o["tasks"], c["workers"]
        per_local = o["local_s"] / n
        cells = [c["name"], n, f"{1e3 * per_local:.1f}"]
        for path in ("direct", "joblib"):
            p = o[path]
            per = p["seconds"] / n
            where = f"{p['dask_tasks']} Dask tasks" if p["dask_tasks"] else "trained here"
            extra = f"{1e3 * (per * k - per_local):.1f}" if p["dask_tasks"] else "-"
            cells += [f"{1e3 * per:.1f} ({where})", extra]
        same = all(o[path]["identical"] for path in ("direct", "joblib"))
        cells += [f"{1e3 * o['round_trip_s']:.1f}", f"{o['task_bytes']:,}", "yes" if same else "**no**"]
        rows.append(row(*cells))
    header = ["cluster", "groups", "here ms/group", "direct: ms/group (wall)", "direct: overhead ms/group/worker"]
    header += ["joblib: ms/group (wall)", "joblib: overhead ms/group/worker"]
    return table(header + ["bare Dask round trip (ms)", "bytes/task", "bit-identical"], rows)


def end_to_end_table(configs, spec):
    rows = []
    for c in configs:
        e = c["end_to_end"]
        local, remote = median(e["local"]), median(e["cluster"])
        ratio = per_worker_ratio(local, remote, c["workers"])
        where = f"{e['dask_tasks']} Dask tasks" if e["dask_tasks"] else "**here** (joblib: 1 worker thread)"
        rows.append(
            row(
                c["name"],
                e["group"],
                where,
                runs(e["local"]),
                runs(e["cluster"]),
                f"{spec['models'] / local:.1f} / {spec['models'] / remote:.1f}",
                f"{ratio:.2f}" if e["dask_tasks"] else "- (not on the worker)",
                "yes" if e["identical"] else "**no**",
            )
        )
    header = ["cluster", "models/group", "groups trained", "here: s (median; runs)", "cluster: s (median; runs)"]
    return table(header + ["models/s here / cluster", "per worker / here", "params bit-identical"], rows)


def steady_table(configs, spec):
    rows = []
    for c in configs:
        for s in c["steady"]:
            local, remote = median(s["local"]), median(s["cluster"])
            ratio = per_worker_ratio(local, remote, c["workers"])
            target = verdict(ratio) if s["group"] >= 20 else "-"
            rows.append(
                row(
                    c["name"],
                    s["path"],
                    s["group"],
                    f"{s['tasks']} ({s['busy_workers']} busy)",
                    runs(s["local"]),
                    runs(s["cluster"]),
                    f"{spec['models'] / local:.1f} / {spec['models'] / remote:.1f}",
                    f"**{ratio:.2f}**",
                    target,
                    "yes" if s["identical"] else "**no**",
                )
            )
    header = ["cluster", "path", "group", "groups (workers busy)", "here: s", "cluster: s", "models/s here / cluster"]
    return table(header + ["per worker / here", "target >= 0.90", "bit-identical"], rows)


def scatter_table(configs):
    rows = []
    for c in configs:
        for w in c.get("wide", []):
            s = w["scatter"]
            seconds = median(s["seconds"])
            group = ""
            if w.get("worker"):
                group = f"{median([g['seconds'] for g in w['worker']]):.1f}"
            rows.append(
                row(
                    f"{w['rows']:,} x {w['columns']:,}",
                    f"{s['mb']:.0f}",
                    c["workers"],
                    runs(s["seconds"]),
                    f"{s['token_s']:.2f}",
                    f"{s['mb'] / seconds:.0f}",
                    f"{w['task_bytes'] / 2**20:.2f}",
                    group,
                    f"{seconds / float(group):.1%}" if group else "",
                )
            )
    header = ["data (float32)", "MiB", "workers", "scatter s (median; runs)", "of which tokenize s", "MiB/s"]
    return table(header + ["MiB shipped per group", "one group on a worker (s)", "scatter / group"], rows)


def wide_rows(configs):
    """Per wide dataset measured on one worker: split times of the worker's and local groups."""
    out = []
    for c in configs:
        for w in c.get("wide", []):
            if not w.get("worker"):
                continue
            for where, groups in (("worker", w["worker"]), ("here", w.get("local", []))):
                for i, g in enumerate(groups):
                    setup, per_epoch, finish = epoch_split(g["seconds"], g["epoch_ends"])
                    out.append({"w": w, "where": where, "run": i + 1, "g": g, "split": (setup, per_epoch, finish)})
    return out


def wide_table(configs):
    rows = []
    for r in wide_rows(configs):
        w, g, (setup, per_epoch, finish) = r["w"], r["g"], r["split"]
        rows.append(
            row(
                f"{w['rows']:,} x {w['columns']:,}",
                f"{r['where']} #{r['run']}",
                f"{w['models']} x {w['epochs']}",
                f"{g['seconds']:.1f}",
                f"{setup:.2f}",
                f"**{per_epoch:.2f}**",
                f"{1e3 * per_epoch / w['models']:.0f}",
                f"{finish:.2f}",
                f"{g['cpu_seconds'] / g['seconds']:.2f}",
                f"{g['to_worker_s']:.2f} / {g['back_s']:.2f} ({g['result_mb']:.0f} MiB)" if "back_s" in g else "-",
                ("yes" if g["identical"] else "**no**") if "identical" in g else "",
            )
        )
    header = ["data", "where", "models x epochs", "wall (s)", "setup (s)", "s/epoch", "ms/model-epoch"]
    return table(header + ["finish (s)", "cores used", "to worker / result back (s)", "same as worker"], rows)


def wide_ratios(configs):
    """Per-epoch time here / on the worker for the datasets measured both ways (the steady state: epochs 2+)."""
    by_columns = {}
    for r in wide_rows(configs):
        by_columns.setdefault(r["w"]["columns"], {}).setdefault(r["where"], []).append(r["split"][1])
    return {c: median(d["here"]) / median(d["worker"]) for c, d in by_columns.items() if d.get("here")}


def projection(configs):
    """Rows of the projection of PROJECT_MODELS x PROJECT_COLUMNS, from the widest data measured on a worker."""
    from deepfeat.ensemble import group_size
    from deepfeat.network import network_spec

    measured = [r for r in wide_rows(configs) if r["where"] == "worker"]
    if not measured:
        return None
    widest = max(r["w"]["columns"] for r in measured)
    chosen = [r for r in measured if r["w"]["columns"] == widest]
    w = chosen[0]["w"]
    per_epoch = median([r["split"][1] for r in chosen])
    setup = max(r["split"][0] for r in chosen)  # the first group, with its trace: counted for every group
    finish = median([r["split"][2] for r in chosen])
    # Wider than measured: per model-epoch time scaled with the columns (the first layer dominates).
    scale = PROJECT_COLUMNS / widest
    model_epoch = per_epoch / w["models"] * scale
    options = options_for(PROJECT_EPOCHS)
    spec = network_spec(PROJECT_COLUMNS, 3, options, "sigmoid")
    nbytes = w["rows"] * PROJECT_COLUMNS * 4
    driver_per_model = (w["plan_s"] + w["predict_s"]) / w["models"] * scale
    results_bytes = PROJECT_MODELS * spec.n_params * 4
    rows = []
    for budget in PROJECT_BUDGETS:
        opts = replace(options, memory_budget_mb=budget)
        for workers in PROJECT_WORKERS:
            size = group_size(PROJECT_MODELS, spec, w["n_train"], w["n_val"], opts, workers)
            p = project(PROJECT_MODELS, workers, size, model_epoch, setup * scale, finish * scale, PROJECT_EPOCHS)
            scatter = scatter_estimate(nbytes, workers)
            back = results_bytes / BANDWIDTH
            driver = driver_per_model * PROJECT_MODELS
            total = scatter + p["training_s"] + back + driver
            rows.append(
                {
                    "budget": budget,
                    "workers": workers,
                    "group": size,
                    **p,
                    "scatter_s": scatter,
                    "back_s": back,
                    "driver_s": driver,
                    "total_s": total,
                }
            )
    alone = group_size(PROJECT_MODELS, spec, w["n_train"], w["n_val"], options)
    serial = project(PROJECT_MODELS, 1, alone, model_epoch, setup * scale, finish * scale, PROJECT_EPOCHS)
    return {
        "from_columns": widest,
        "model_epoch_s": model_epoch,
        "setup_s": setup * scale,
        "finish_s": finish * scale,
        "driver_per_model_s": driver_per_model,
        "params_gb": results_bytes / 1e9,
        "data_mb": nbytes / 2**20,
        "serial_s": serial["training_s"],
        "cores": median([r["g"]["cpu_seconds"] / r["g"]["seconds"] for r in chosen]),
        "rows": rows,
    }


def projection_table(p):
    rows = [
        row(
            r["workers"],
            f"{r['budget']} MiB",
            r["group"],
            r["groups"],
            r["rounds"],
            f"{r['group_s']:.0f}",
            f"{r['training_s']:.0f}",
            f"{r['scatter_s']:.1f}",
            f"{r['back_s']:.0f}",
            f"{r['driver_s']:.0f}",
            f"**{r['total_s'] / 60:.1f} min**",
        )
        for r in p["rows"]
    ]
    header = ["workers", "memory budget", "models/group", "groups", "rounds", "s/group", "training (s)"]
    return table(header + ["scatter (s)", "results back (s)", "driver (s)", "total"], rows)


def report(run):
    """The Markdown report of one run (what ``main`` measured, or a ``--json`` file read back)."""
    configs, spec, uptimes = run["configs"], run["spec"], run["uptimes"]
    loads = [c[k] for c in configs for k in ("load_start", "load_end")]
    parts = [
        f"Measured {run['date']} on {run['machine']}; {run['versions']}; commit {run['commit']}; seed {SEED}"
        + (" (`--quick`)" if run["quick"] else "")
        + f"; wall time {run['wall_s'] / 60:.1f} min; 1-minute load average {min(loads):.1f}-{max(loads):.1f} "
        "at the starts and ends of the configurations.",
        "",
        f"`uptime` before: `{uptimes[0]}`; after: `{uptimes[1]}`.",
        "",
        f"Cluster calls retried after Dask cancelled a group for lost dependencies: {len(run['retries'])}.",
        "",
        f"Small data: wine (178 x 13, 3 classes), {spec['models']} models x {spec['epochs']} epochs (patience "
        f"{spec['epochs'] + 1}); {spec['repeats']} interleaved run(s) per row.",
        "",
    ]
    p = projection(configs)
    sections = [
        ("Worker start-up (tiny fit: 1 model per worker, 1 epoch)", startup_table(configs)),
        ("Overhead per group (1 model, 1 epoch each; warm trainers)", overhead_table(configs)),
        (
            "End to end: `train_ensemble` here (`n_jobs=None`) and on the cluster (`n_jobs=-1`)",
            end_to_end_table(configs, spec),
        ),
        ("Steady state: the same groups with kept trainers on both sides", steady_table(configs, spec)),
        ("Scattering wide data (`client.scatter([X, Y], broadcast=True)`)", scatter_table(configs)),
        (
            "One group on wide data, on the worker and here (per-epoch times from the training hooks)",
            wide_table(configs),
        ),
    ]
    for title, text in sections:
        if text:
            parts += [f"**{title}**", "", text, ""]
    ratios = wide_ratios(configs)
    if ratios:
        parts += [
            "Per-epoch time, worker relative to here (here / worker; 1.0 = as fast): "
            + ", ".join(f"{c:,} columns {r:.2f}" for c, r in ratios.items()),
            "",
        ]
    if p:
        parts += [
            f"**Projection: {PROJECT_MODELS:,} models x {PROJECT_COLUMNS:,} columns (2,000 rows), {PROJECT_EPOCHS} "
            f"epochs, on 8 and 32 workers like the one measured here**",
            "",
            projection_table(p),
            "",
            f"From {p['from_columns']:,} columns, scaled by {PROJECT_COLUMNS / p['from_columns']:g} with the columns: "
            f"{1e3 * p['model_epoch_s']:.0f} ms per model-epoch, {p['setup_s']:.1f} s setup and "
            f"{p['finish_s']:.1f} s finish per group; serial on one worker {p['serial_s'] / 3600:.1f} h. "
            f"Data {p['data_mb']:.0f} MiB; all weights {p['params_gb']:.1f} GB; driver (planning and final "
            f"predictions) {1e3 * p['driver_per_model_s']:.0f} ms per model; the measured worker used "
            f"{p['cores']:.2f} cores.",
            "",
        ]
    return "\n".join(parts)


def uptime():
    done = subprocess.run(["uptime"], capture_output=True, text=True, check=False)
    return done.stdout.strip() or f"load {os.getloadavg()}"


def commit():
    done = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    dirty = subprocess.run(["git", "status", "--porcelain", "src"], cwd=ROOT, capture_output=True, text=True)
    changed = len(dirty.stdout.splitlines())
    return done.stdout.strip() + (f" (+{changed} uncommitted file(s) under src/)" if changed else "")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer models, epochs and columns (about two minutes)")
    parser.add_argument("--json", type=Path, help="also write every measurement here")
    parser.add_argument("--report", type=Path, metavar="JSON", help="only print the report of a run saved with --json")
    args = parser.parse_args(argv)
    if args.report:
        print(report(json.loads(args.report.read_text())))
        return
    if not DASK.exists():
        sys.exit(f"no dask command next to {sys.executable}: pip install 'deepfeat[dask]'")
    spec = QUICK if args.quick else FULL
    started = time.perf_counter()
    uptimes = [uptime()]
    log(f"uptime: {uptimes[0]}")
    import distributed
    import tensorflow as tf

    from deepfeat.ensemble import train_ensemble

    X, y = wine()
    train_ensemble(X, y, 1, options_for(1))  # this process's TensorFlow start-up, not charged to a measurement
    configs = []
    with tempfile.TemporaryDirectory(prefix="deepfeat-cluster-") as folder:
        for i, (name, n_workers, env) in enumerate(spec["configs"]):
            configs.append(measure_config(name, n_workers, env, spec, Path(folder) / f"cluster-{i}"))
    uptimes.append(uptime())
    run = {
        "date": datetime.date.today().isoformat(),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.system()} {platform.release()}",
        "versions": f"Python {platform.python_version()}, TensorFlow {tf.__version__}, "
        f"dask.distributed {distributed.__version__}",
        "commit": commit(),
        "quick": args.quick,
        "wall_s": time.perf_counter() - started,
        "uptimes": uptimes,
        "retries": RETRIES,
        "spec": spec,
        "configs": configs,
    }
    if args.json:
        args.json.write_text(json.dumps(run, indent=1, default=str))
    print(report(run))
    log(f"done in {run['wall_s'] / 60:.1f} min; uptime: {uptimes[1]}")


if __name__ == "__main__":
    main()
