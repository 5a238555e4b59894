"""Checkpoints that let an interrupted training run continue where it stopped.

A :class:`RunCheckpoint` is a folder. ``run.json`` holds the fingerprint of the training inputs
(data, number of models, seed, every training option that changes a result) and values the
caller asked to keep, such as a seed drawn for the run. Each group of models trained together is
saved once, when it finishes, as ``group_<start>-<stop>.pkl``; the full loop state of the group
still training (weights, Adam moments, early-stopping counters, random generators) is saved as
``state.pkl`` at most every ``interval`` seconds, and at once when a stop is requested. Every
file is written atomically, so a crash or ``kill -9`` leaves the previous complete checkpoint in
place.

Training resumed from a checkpoint gives bit-for-bit the result an uninterrupted run would,
whatever memory budget (so whatever grouping of the models) the resumed run uses: a model's
result does not depend on its group. The folder holds pickles: load only checkpoints you wrote
yourself. Stopping is not the checkpoint's business: see :class:`deepfeat.training.StopRequest`.

A run that trains into the folder holds its lock (:meth:`RunCheckpoint.locked`), so that a second
process cannot resume, overwrite or discard the progress of a live one.
"""

import errno
import fcntl
import json
import logging
import os
import pickle
import re
import shutil
import time
from contextlib import contextmanager
from pathlib import Path

from .errors import DeepfeatError, WriteError
from .training import GroupResult

__all__ = ["CheckpointMismatch", "RunCheckpoint", "RunInProgress"]

logger = logging.getLogger(__name__)

FORMAT = 2
_RUN_FILE = "run.json"
_STATE_FILE = "state.pkl"
_GROUP_FILE = re.compile(r"group_(\d+)-(\d+)\.pkl")


class CheckpointMismatch(DeepfeatError):
    """The checkpoint folder holds a run with other training inputs.

    Attributes
    ----------
    folder : pathlib.Path
    differences : dict of str to tuple
        For each input that differs (``"data"``, ``"seed"``, ``"n_models"``, ``"task"``,
        ``"format"``, ``"elimination_keep"`` or a :class:`~deepfeat.settings.TrainingOptions`
        field): its value then and now.
    """

    def __init__(self, folder, differences):
        self.folder = Path(folder)
        self.differences = differences
        super().__init__(
            f"{folder} holds an unfinished run with a different {', '.join(differences)}; "
            "resume it with the same inputs, or pass restart=True to discard it"
        )


class RunInProgress(DeepfeatError):
    """Another live process holds the checkpoint folder's lock.

    Attributes
    ----------
    folder : pathlib.Path
    pid : int or None
        The process id of the holder, when it could be read.
    """

    def __init__(self, folder, pid):
        self.folder = Path(folder)
        self.pid = pid
        holder = f"process {pid}" if pid is not None else "a process whose id could not be read"
        super().__init__(
            f"{folder} belongs to a run that is still training ({holder}); wait for it to finish, "
            "or stop it, before starting another run of as many models in the same folder"
        )


class RunCheckpoint:
    """Saved progress of one training run, for :func:`deepfeat.ensemble.train_ensemble`.

    Give the same folder to the same training call after an interruption and it goes on where
    it stopped. The call must see the same inputs: for :class:`~deepfeat.DeepFeatureImportance`
    that means the same data, parameters and an int ``random_state``.

    Parameters
    ----------
    folder : path-like
        Where the checkpoint lives; created on the first save.
    interval : float, default=30.0
        Least number of seconds between two saves of the state of models still training;
        0 saves after every epoch. Finished groups of models are always saved at once.
    restart : bool, default=False
        Discard whatever ``folder`` holds and start afresh.

    """

    def __init__(self, folder, *, interval=30.0, restart=False):
        self.folder = Path(folder)
        self.interval = float(interval)
        if restart:
            self.discard()
        self._last_save = time.monotonic()

    @contextmanager
    def locked(self):
        """Hold the folder's lock for the block, refusing if another live process holds it.

        The lock is ``<folder>.lock`` beside the folder (so that discarding the folder keeps
        it), locked with ``flock`` and holding the holder's process id; the kernel releases it
        when the holder dies, however it dies. Where the file system has no locks, the block
        runs unlocked, with a warning.

        Raises
        ------
        RunInProgress
            If another process holds the lock; nothing in the folder is touched.
        """
        path = self.folder.with_name(self.folder.name + ".lock")
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = _lock(path, self.folder)
        try:
            yield self
        finally:
            if descriptor is not None:
                path.unlink(missing_ok=True)  # before closing: a process waiting on this file then retries
                os.close(descriptor)

    def part(self, name):
        """A checkpoint in the subfolder ``name``, for one of several training calls of a run.

        :meth:`discard` on the run deletes its parts too.
        """
        return RunCheckpoint(self.folder / name, interval=self.interval)

    # --- the run record ---------------------------------------------------------------
    def _read_run(self):
        path = self.folder / _RUN_FILE
        if not path.is_file():
            return {"format": FORMAT, "values": {}, "fingerprint": None}
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise DeepfeatError(f"{path}: cannot read checkpoint ({exc}); delete {self.folder} to start over") from None

    def _write_run(self, run):
        with _writing(self.folder / _RUN_FILE) as handle:
            handle.write((json.dumps(run, indent=2) + "\n").encode("utf-8"))

    def remember(self, name, make):
        """The value stored under ``name``, or ``make()`` stored there now.

        For values a resumed run must reuse, such as a seed drawn when none was given.

        Parameters
        ----------
        name : str
        make : callable
            Returns a JSON-serialisable value.
        """
        run = self._read_run()
        if name not in run["values"]:
            run["values"][name] = make()
            self._write_run(run)
        return run["values"][name]

    @contextmanager
    def session(self, fingerprint):
        """Bind the checkpoint to one training call's inputs for the duration of the block.

        Parameters
        ----------
        fingerprint : dict
            JSON-serialisable description of everything that determines the result; must
            include ``"n_models"``.

        Raises
        ------
        CheckpointMismatch
            If the folder holds a run with another fingerprint.
        """
        run = self._read_run()
        stored = run["fingerprint"]
        differences = {}
        if run.get("format") != FORMAT:
            differences["format"] = (run.get("format"), FORMAT)
        elif stored is not None:
            keys = [*stored, *(key for key in fingerprint if key not in stored)]
            differences = {k: (stored.get(k), fingerprint.get(k)) for k in keys if stored.get(k) != fingerprint.get(k)}
        if differences:
            raise CheckpointMismatch(self.folder, differences)
        if stored is None:
            run["fingerprint"] = fingerprint
            self._write_run(run)
        else:
            done = self.saved_progress()
            message = "resuming from %s: %d of %d models finished"
            if done["finished"] < done["n_models"]:
                message += f", training goes on at epoch {done['epoch'] + 1}"
            logger.info(message, self.folder, done["finished"], done["n_models"])
        self._last_save = time.monotonic()
        yield self

    # --- groups and loop state --------------------------------------------------------
    def finished_groups(self):
        """Every saved group's result, as a dict from ``(start, stop)`` to :class:`~deepfeat.training.GroupResult`."""
        found = {}
        for (start, stop), path in self._group_files().items():
            saved = _read(path)
            found[start, stop] = GroupResult(tuple(range(start, stop)), saved["best"], saved["history"])
        return found

    def _group_files(self):
        """The saved groups' files by ``(start, stop)``, in model order."""
        matches = (_GROUP_FILE.fullmatch(path.name) for path in self.folder.glob("group_*.pkl"))
        return {
            (int(m[1]), int(m[2])): self.folder / m[0] for m in sorted(filter(None, matches), key=lambda m: int(m[1]))
        }

    def save_group(self, start, stop, best, history):
        """Save the result of models ``start:stop``; the loop state of that group is dropped."""
        _write_pickled(self._group_path(start, stop), {"best": best, "history": history})
        (self.folder / _STATE_FILE).unlink(missing_ok=True)
        self._last_save = time.monotonic()

    def state_group(self):
        """The ``(start, stop)`` of the group whose loop state is saved, or None."""
        saved = _read(self.folder / _STATE_FILE, parts=1)
        return None if saved is None else tuple(saved[0]["group"])

    def group_state(self, start, stop):
        """The saved loop state of models ``start:stop`` (for a trainer to resume), or None."""
        if self.state_group() != (start, stop):  # the summary alone: no weights read
            return None
        return _read(self.folder / _STATE_FILE, parts=2)[1]

    def save_state(self, start, stop, get_state, now=False):
        """Save the loop state of models ``start:stop`` if ``interval`` has passed since the last save, or ``now``.

        Parameters
        ----------
        start, stop : int
            The group being trained.
        get_state : callable
            Returns the loop state to save (a dict with at least ``epoch`` and ``active``).
        now : bool
            Save whatever the interval, as before a stop.

        Returns
        -------
        bool
            Whether it saved.
        """
        if not now and time.monotonic() - self._last_save < self.interval:
            return False
        state = get_state()
        summary = {"group": [start, stop], "epoch": int(state["epoch"]), "finished": int((~state["active"]).sum())}
        _write_pickled(self.folder / _STATE_FILE, summary, state)
        self._last_save = time.monotonic()
        return True

    # --- inspection and clean-up ------------------------------------------------------
    def saved_progress(self):
        """What the folder holds, without loading any weights.

        Returns
        -------
        dict
            ``n_models`` (None before training started; null models included), ``finished`` (models whose training
            is over) and ``epoch`` (epochs done by the group still training, else 0). For a
            run trained in parts (see :meth:`part`), the models of every part started so far.
        """
        run = self._read_run()
        parts = self._parts()
        if run["fingerprint"] is None and parts:
            return self._parts_progress(parts)
        identity = run["fingerprint"]
        n_models = identity["n_models"] + identity.get("null_models", 0) if identity else None  # null ones too
        finished = sum(stop - start for start, stop in self._group_files())
        summary = _read(self.folder / _STATE_FILE, parts=1)
        epoch = 0
        if summary is not None and not (self.folder / _group_name(*summary[0]["group"])).exists():
            finished += summary[0]["finished"]
            epoch = summary[0]["epoch"]
        return {"n_models": n_models, "finished": finished, "epoch": epoch}

    def _parts(self):
        """Folders of the parts (see :meth:`part`) started so far, the one training now last."""
        parts = [p for p in self.folder.glob("*/") if (p / _RUN_FILE).is_file()] if self.folder.is_dir() else []
        return sorted(parts, key=lambda p: (p / _RUN_FILE).stat().st_mtime)

    @staticmethod
    def _parts_progress(parts):
        started = [RunCheckpoint(p).saved_progress() for p in parts]
        started = [p for p in started if p["n_models"] is not None]
        if not started:
            return {"n_models": None, "finished": 0, "epoch": 0}
        return {
            "n_models": sum(p["n_models"] for p in started),
            "finished": sum(p["finished"] for p in started),
            "epoch": started[-1]["epoch"],
        }

    def discard(self):
        """Delete the checkpoint folder."""
        shutil.rmtree(self.folder, ignore_errors=True)

    def _group_path(self, start, stop):
        return self.folder / _group_name(start, stop)


def _group_name(start, stop):
    return f"group_{start:06d}-{stop:06d}.pkl"


def _lock(path, folder):
    """An open descriptor of ``path`` holding its exclusive flock, or None where locks do not work.

    Raises RunInProgress, naming ``folder``, if another process holds it.
    """
    while True:
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(descriptor, 32).decode("ascii", "replace").strip()
            os.close(descriptor)
            raise RunInProgress(folder, int(holder) if holder.isdigit() else None) from None
        except OSError as exc:
            os.close(descriptor)
            if exc.errno not in (errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOSYS, errno.EINVAL):
                raise
            logger.warning(
                "%s: the file system cannot lock files; a second run into this folder would not be refused", path
            )
            return None
        try:
            same = os.stat(path).st_ino == os.fstat(descriptor).st_ino
        except FileNotFoundError:
            same = False
        if same:
            os.ftruncate(descriptor, 0)
            os.write(descriptor, f"{os.getpid()}\n".encode("ascii"))
            return descriptor
        os.close(descriptor)  # its holder removed it between our open and our lock: take the new one


@contextmanager
def _writing(path):
    """A binary file handle whose content replaces ``path`` atomically when the block succeeds."""
    # Imported here so that the command line's signal handling needs neither pandas nor matplotlib.
    from .outputs import atomic_path

    try:
        with atomic_path(path) as tmp_path, open(tmp_path, "wb") as handle:
            yield handle
    except OSError as exc:
        raise WriteError(f"cannot save the training progress in {path}: {exc.strerror or exc}") from None


def _write_pickled(path, *objects):
    """Pickle ``objects`` one after another into ``path``, atomically, straight to the file: the
    weights are not copied into one large byte string first."""
    with _writing(path) as handle:
        for obj in objects:
            pickle.dump(obj, handle, pickle.HIGHEST_PROTOCOL)


def _read(path, parts=None):
    """Unpickle ``path`` (its first ``parts`` objects, as a list, if given); None if it is absent."""
    try:
        with open(path, "rb") as handle:
            if parts is None:
                return pickle.load(handle)
            return [pickle.load(handle) for _ in range(parts)]
    except FileNotFoundError:
        return None
    except (OSError, pickle.UnpicklingError, EOFError, ValueError) as exc:
        raise DeepfeatError(f"{path}: cannot read checkpoint ({exc}); delete {path.parent} to start over") from None
