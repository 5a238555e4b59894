"""Where groups of models train: here, one after another, or through joblib on its active backend.

A group of models is a picklable :class:`~deepfeat.training.GroupTask`; :func:`train_group`
trains one wherever it runs. :func:`parallel_workers` decides, the way scikit-learn's
estimators do, from ``n_jobs`` and the joblib backend in effect: one worker on a local backend
means here, in this process, with per-epoch progress and mid-group checkpoints; otherwise
:func:`train_in_parallel` hands the groups to joblib — processes on this machine (loky), or the
workers of a Dask cluster under ``joblib.parallel_config(backend="dask")``. The data travel as
two arrays beside each task, so that loky memory-maps them; on Dask they are scattered to
every worker once, not sent with every task. Every model draws from its own random streams,
so the results do not depend on where, or in which group, a model was trained.
"""

import threading
from dataclasses import replace

import joblib
from joblib.parallel import BACKENDS, get_active_backend

from .keras_trainer import KerasTrainer
from .stacked import StackedTrainer
from .training import TrainingData, TrainingHooks

__all__ = ["TRAINERS", "make_trainer", "parallel_workers", "train_group", "train_in_parallel"]

#: The trainers by ``options.trainer``.
TRAINERS = {"stacked": StackedTrainer, "keras": KerasTrainer}
# joblib's backends that run on this machine: with one worker, training stays in this process.
_LOCAL_BACKENDS = ("loky", "threading", "multiprocessing", "sequential")


def make_trainer(data, options, task):
    """The trainer ``options.trainer`` names, for ``data`` and ``task``."""
    return TRAINERS[options.trainer](data, options, task)


# One kept trainer per thread: a trainer's variables hold the group it is training, and a Dask
# worker may run several tasks at once in its threads.
_kept = threading.local()


def train_group(task, hooks=None):
    """Train one :class:`~deepfeat.training.GroupTask` with the trainer its options name.

    A plain function of picklable values, for training on another process or machine. The
    trainer (with its compiled graph) is kept for the next task of the same data, options and
    task in the same thread, so that a worker traces once.

    Returns
    -------
    deepfeat.training.GroupResult
    """
    key = (task.data.digest, task.options, task.task)
    if getattr(_kept, "key", None) != key:
        _kept.trainer = None  # one at a time: a trainer holds the data
        _kept.trainer, _kept.key = make_trainer(task.data, task.options, task.task), key
    return _kept.trainer.train(task, hooks or TrainingHooks())


def parallel_workers(n_jobs):
    """How many groups joblib trains at once for ``n_jobs``, or None to train here, one at a time.

    ``n_jobs`` has joblib's meaning (None: as the active ``parallel_config`` says, else 1; -1:
    every core, or every worker thread of a Dask cluster).
    """
    backend, _ = get_active_backend()
    local = any(type(backend) is BACKENDS.get(name) for name in _LOCAL_BACKENDS)
    workers = joblib.effective_n_jobs(n_jobs)
    return None if local and workers == 1 else workers


def train_in_parallel(tasks, n_jobs):
    """Train the :class:`~deepfeat.training.GroupTask` ``tasks`` through joblib; yields each
    :class:`~deepfeat.training.GroupResult` as it comes back (in any order).

    All tasks must share one :class:`~deepfeat.training.TrainingData`. Closing the generator
    early abandons the groups not yet back. Under joblib's Dask backend the groups go to the
    active ``dask.distributed`` client directly (joblib would run them here when the cluster
    has a single thread).
    """
    tasks = list(tasks)
    if not tasks:
        return
    data = tasks[0].data
    if type(get_active_backend()[0]) is BACKENDS.get("dask"):
        yield from _train_on_dask(tasks, data)
        return
    shipped = (joblib.delayed(_train_shipped)(data.X, data.Y, data.layout, replace(task, data=None)) for task in tasks)
    yield from joblib.Parallel(n_jobs=n_jobs, return_as="generator_unordered")(shipped)


def _train_on_dask(tasks, data):
    from distributed import as_completed, get_client

    client = get_client()
    # A copy on every worker, under keys of this call's own: a worker that dies and is replaced,
    # or joins late, fetches the data from the others, where a single copy would die with it.
    X, Y = client.scatter([data.X, data.Y], broadcast=True, hash=False)
    futures = [client.submit(_train_shipped, X, Y, data.layout, replace(task, data=None), pure=False) for task in tasks]
    try:
        for future in as_completed(futures):
            yield future.result()
    finally:
        client.cancel([future for future in futures if not future.done()])


def _train_shipped(X, Y, layout, task):
    return train_group(replace(task, data=TrainingData(X, Y, layout)))
