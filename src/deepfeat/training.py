"""The trainer seam: one group of models in, their trained weights out, as plain picklable values.

A :class:`GroupTask` holds everything that decides the result of training some models of an
ensemble: the data, the options, the task (what kind of target), and for each model its index,
seed, input and target scaling and rows. A trainer (:func:`deepfeat.ensemble.train_group` picks one by
``options.trainer``) turns it into a :class:`GroupResult`. A model's result depends only on
its own seed and rows: every random draw it makes comes from its own streams
(:func:`model_streams`), so the same model trained in another group, alone, under another
memory budget, or on another machine that computes alike (the same TensorFlow build and
instruction set) comes out the same. This is the unit of work a cluster can ship to its
workers.

While training, a trainer reports to a :class:`TrainingHooks` object: the end of every
epoch (progress, saving, stopping) and where to resume from. The defaults do nothing.
"""

import functools
import hashlib
import signal
from dataclasses import dataclass

import numpy as np

__all__ = [
    "ALIGNMENT",
    "GroupResult",
    "GroupTask",
    "Interrupted",
    "StopRequest",
    "TrainingData",
    "TrainingHooks",
    "aligned_float32",
    "digest",
    "model_streams",
]

#: Bytes of the boundary on which TensorFlow's CPU kernels want a tensor's memory to start.
ALIGNMENT = 64

# Stream numbers of a model's generators, beside its seed: the initial weights use the seed alone.
_SHUFFLE_STREAM = 1
_NOISE_STREAM = 2
_NULL_STREAM = 3  # a null model's shuffle of the targets


def model_streams(seed):
    """A model's three independent NumPy generators: initial weights, batch order, dropout and noise."""
    return (
        np.random.default_rng(seed),
        np.random.default_rng([seed, _SHUFFLE_STREAM]),
        np.random.default_rng([seed, _NOISE_STREAM]),
    )


@dataclass(frozen=True, eq=False)
class TrainingData:
    """The rows every model of an ensemble draws its training and validation rows from.

    Attributes
    ----------
    X : ndarray of shape (n_samples, n_features), float32
        Attributes after the step of the normalisation shared by all models (see
        :meth:`deepfeat.encoding.InputEncoding.rows`); NaN for a missing cell. Made on an
        :data:`ALIGNMENT` boundary, so that the stacked trainer's tensor can share its memory.
    Y : ndarray of shape (n_samples, n_outputs), float32
        Targets, as the task encodes them (one-hot classes for classification).
    layout : deepfeat.encoding.EncodingLayout
        Which network inputs each attribute becomes.
    digest : str
        SHA-256 of both arrays and the layout: equal digests mean equal data. Computed when
        first asked for (only a worker's cache of trainers needs it), then kept.
    """

    X: np.ndarray
    Y: np.ndarray
    layout: object

    @classmethod
    def of(cls, X, Y, layout):
        return cls(aligned_float32(X), np.ascontiguousarray(Y, dtype=np.float32), layout)

    @functools.cached_property
    def digest(self):
        return digest(self.X, self.Y, np.frombuffer(repr(self.layout).encode(), np.uint8))


def aligned_float32(array):
    """``array`` as a C-contiguous float32 array starting on an :data:`ALIGNMENT` boundary.

    An array that already is one is returned as it is; otherwise it is converted once, into
    memory that starts on the boundary.
    """
    array = np.asarray(array)
    if array.dtype == np.float32 and array.flags.c_contiguous and array.ctypes.data % ALIGNMENT == 0:
        return array
    memory = np.empty(array.size * 4 + ALIGNMENT, dtype=np.uint8)
    start = -memory.ctypes.data % ALIGNMENT
    aligned = memory[start : start + array.size * 4].view(np.float32).reshape(array.shape)
    aligned[...] = array
    return aligned


def digest(*arrays):
    """SHA-256 of the arrays' shapes, types and bytes, as hex: equal digests mean equal data."""
    hashed = hashlib.sha256()
    for array in arrays:
        array = np.ascontiguousarray(array)
        hashed.update(f"{array.shape}{array.dtype.str}".encode())
        hashed.update(array.reshape(-1).view(np.uint8))  # the bytes in place, no copy
    return hashed.hexdigest()


@dataclass(frozen=True, eq=False)
class GroupTask:
    """Some models of an ensemble, to be trained together.

    Attributes
    ----------
    data : TrainingData
    options : deepfeat.settings.TrainingOptions
    task : deepfeat.tasks.Task
    models : tuple of int
        The models' indices in the ensemble (``start:stop``, consecutive).
    seeds : tuple of int
        Each model's seed (see :func:`model_streams`).
    encoding : dict of str to ndarray
        Each model's fitted encoding parameters, model axis first (see
        :class:`deepfeat.encoding.InputEncoding`).
    target_shift, target_scale : ndarray of shape (n_models, n_outputs)
        Each model is trained to output ``(y - target_shift) / target_scale`` for the targets
        ``y`` of ``data`` (0 and 1 for classification, see
        :class:`deepfeat.preprocessing.TargetScaling`).
    train_index, val_index : ndarray of shape (n_models, n_train) and (n_models, n_val)
        Each model's training and validation rows of ``data``.
    nulls : tuple of bool
        Whether each model is a null model, trained on shuffled targets (see :meth:`target_rows`).
    """

    data: TrainingData
    options: object
    task: object
    models: tuple
    seeds: tuple
    encoding: dict
    target_shift: np.ndarray
    target_scale: np.ndarray
    train_index: np.ndarray
    val_index: np.ndarray
    nulls: tuple

    @property
    def start(self):
        return self.models[0]

    @property
    def stop(self):
        return self.models[-1] + 1

    def target_rows(self, position):
        """For each row of ``data``, the row whose target the model at ``position`` learns for it.

        A model learns each row's own target; a null model learns its training rows' targets
        shuffled among those rows, and its validation rows' among those, so that nothing it
        can learn from the inputs generalises while the targets of each split stay the same
        (class shares, target scaling). The shuffle comes from the model's own stream.
        """
        rows = np.arange(len(self.data.Y))
        if self.nulls[position]:
            rng = np.random.default_rng([self.seeds[position], _NULL_STREAM])
            for part in (self.train_index[position], self.val_index[position]):
                rows[part] = part[rng.permutation(len(part))]
        return rows


@dataclass(frozen=True, eq=False)
class GroupResult:
    """What training a :class:`GroupTask` left.

    Attributes
    ----------
    models : tuple of int
    best : dict of str to ndarray
        Each model's weights at its best epoch, model axis first (read-only where they are views
        of the stacked trainer's buffers).
    history : dict of str to ndarray of shape (n_models,)
        ``best_epoch`` (0-based), ``epochs_run``, and ``train_loss`` and ``val_loss`` at the best epoch.
    """

    models: tuple
    best: dict
    history: dict


class Interrupted(KeyboardInterrupt):
    """Training stopped on request, after saving its progress.

    Attributes
    ----------
    signum : int
        The signal whose arrival asked for the stop (``signal.SIGINT`` unless told otherwise).
    """

    def __init__(self, signum=signal.SIGINT):
        super().__init__(signum)
        self.signum = signum


class StopRequest:
    """A request, from outside, that training save its progress and stop at the end of an epoch.

    Once made, a request stays: every training call given it stops. Use a new one per run.

    Attributes
    ----------
    training : bool
        True while a training call watches this request.
    signum : int or None
        The signal number given to :meth:`request`, while a stop is pending.
    """

    def __init__(self):
        self.training = False
        self.signum = None

    def request(self, signum=signal.SIGINT):
        """Ask for a stop; safe to call from a signal handler."""
        self.signum = signum

    @property
    def requested(self):
        return self.signum is not None


class TrainingHooks:
    """What a trainer tells the outside while it trains a group; these defaults do nothing."""

    def resume(self, task):
        """The loop state saved by an interrupted training of ``task``, or None to start afresh."""
        return None

    def epoch_end(self, task, epoch, n_training, get_state=None):
        """Called after every epoch of ``task``.

        Parameters
        ----------
        task : GroupTask
        epoch : int
            Epochs done (1-based).
        n_training : int
            Models of the group still training.
        get_state : callable or None
            Returns the complete loop state, for :meth:`resume`; None where the trainer can
            resume only whole groups. A function, so that nothing is copied unless it is saved.

        Raises
        ------
        Interrupted
            To stop training (after saving).
        """
