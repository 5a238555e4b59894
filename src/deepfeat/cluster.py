"""Training on a Dask cluster: connect to its scheduler and send the groups of networks there.

Imports Dask only when asked to connect, so that a run on one machine needs none of it.
"""

from contextlib import contextmanager

from .errors import ConfigError

__all__ = ["CONNECT_SECONDS", "dask_cluster"]

#: How long to wait for the scheduler to answer, and for it to have a worker.
CONNECT_SECONDS = 10


@contextmanager
def dask_cluster(address):
    """Connect to the Dask scheduler at ``address`` and, within the block, train through it.

    Inside the block joblib's active backend is Dask's (``parallel_config(backend="dask")``),
    so :func:`deepfeat.ensemble.train_ensemble` and the estimators send their groups of networks
    to the cluster's workers.

    Yields
    ------
    str
        Where training happens, e.g. ``"tcp://10.0.0.5:8786: 4 workers, 8 threads"``.

    Raises
    ------
    deepfeat.errors.ConfigError
        If Dask is not installed, the scheduler does not answer within :data:`CONNECT_SECONDS`,
        or it has no worker by then.
    """
    try:
        import joblib
        from dask.distributed import Client
    except ImportError:
        raise ConfigError(
            "DASK_SCHEDULER_ADDRESS is set but Dask is not installed: pip install 'deepfeat[dask]'"
        ) from None
    try:
        client = Client(address, timeout=CONNECT_SECONDS, set_as_default=False)
    except (OSError, TimeoutError, ValueError, TypeError) as error:
        raise ConfigError(
            f"cannot reach the Dask scheduler at {address!r} (DASK_SCHEDULER_ADDRESS) within "
            f"{CONNECT_SECONDS} s: {error}"
        ) from None
    with client:
        try:
            client.wait_for_workers(1, timeout=CONNECT_SECONDS)
        except TimeoutError:
            raise ConfigError(
                f"the Dask scheduler at {address!r} (DASK_SCHEDULER_ADDRESS) has no worker; start one with "
                f"`dask worker {address}`"
            ) from None
        threads = client.nthreads()
        with client.as_current(), joblib.parallel_config(backend="dask"):
            yield f"{address}: {len(threads)} workers, {sum(threads.values())} threads"
