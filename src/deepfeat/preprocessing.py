"""Input normalisation choices and the columns they hide, and the per-model scaling of the target."""

from dataclasses import dataclass, replace

import numpy as np
from keras import ops

from .encoding import MIN_SCALE, fit_encoding
from .settings import setting

#: "standard": standardise with the mean and deviation of each model's own training split;
#: "column-l2": divide each column by its L2 norm over the whole file (the 2021 code);
#: "row-l2": scale each sample to unit L2 norm (the paper's text, "row normalised"); "none".
NORMALIZATIONS = setting("normalization").choices
# A column that varies, but whose scaled values spread less than this share of the widest-spread
# column's, is as good as constant to the networks.
_UNSEEN_SPREAD = 1e-6
_CHUNK_COLUMNS = 256


def unit_rows(X):
    """Scale rows to unit L2 norm exactly as ``keras.layers.UnitNormalization`` does."""
    return ops.convert_to_numpy(ops.normalize(ops.convert_to_tensor(X, dtype="float32"), axis=-1, order=2))


def _nonzero(values):
    # A constant column carries no information; leave it unscaled rather than divide by zero.
    return np.where(values > MIN_SCALE, values, 1.0)


@dataclass(frozen=True)
class ScalingProblems:
    """Columns of a dataset that the networks cannot learn from, as a normalisation scales them.

    Attributes
    ----------
    constant : ndarray of int
        Columns with one value on every row.
    unseen : ndarray of int
        Columns that vary, but so little for their size that the scaled values (in float32,
        as the networks get them) are as good as constant: a spread of at most 1e-15, or
        1e6 plus or minus 1e-4.
    standard_shows : ndarray of bool
        For each ``unseen`` column, whether ``"standard"`` scaling would show its variation.
    """

    constant: np.ndarray
    unseen: np.ndarray
    standard_shows: np.ndarray


def scaling_problems(X, method):
    """The columns of ``X`` that the networks cannot learn from under normalisation ``method``.

    The scaling is fitted on all rows (each network fits its own on its training rows, which
    differ little for this purpose); missing cells are left out.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Numeric attributes, NaN for a missing cell.
    method : str
        One of :data:`NORMALIZATIONS`.

    Returns
    -------
    ScalingProblems
    """
    X = np.asarray(X, dtype=np.float64)
    observed = ~np.isnan(X)
    if not observed.all():  # each missing cell as one of its column's values: its spread is what matters
        X = np.where(observed, X, np.nanmax(np.where(observed.any(axis=0), X, 0.0), axis=0))
    varies = X.max(axis=0) > X.min(axis=0)
    unseen = np.flatnonzero(varies & _flat(X, method))
    standard_shows = ~_flat(X[:, unseen], "standard") if method != "standard" else np.zeros(len(unseen), bool)
    return ScalingProblems(np.flatnonzero(~varies), unseen, standard_shows)


def _flat(X, method):
    """Per column, whether ``method`` leaves its values (as float32) spread too little to learn from."""
    scaling = fit_encoding(method, X, [np.arange(len(X))])
    rows, shift, scale = scaling.rows(X), scaling.shift[0], scaling.scale[0]
    # A few columns at a time: each column's spread alone, without temporaries of the whole table.
    chunks = (slice(start, start + _CHUNK_COLUMNS) for start in range(0, rows.shape[1], _CHUNK_COLUMNS))
    # As the networks see them, in float32.
    scaled = ((rows[:, c].astype(np.float32) - shift[c]) / scale[c] for c in chunks)
    spread = np.concatenate([np.zeros(0), *(values.std(axis=0, dtype=np.float64) for values in scaled)])
    widest = spread.max(initial=0.0) if method != "standard" else 1.0  # standard aims at 1 for every column
    return spread <= _UNSEEN_SPREAD * widest


@dataclass(frozen=True)
class TargetScaling:
    """How each model sees the target: it is trained to output ``(values - shift[m]) / scale[m]``.

    ``values`` are the task's encoding of the target (:class:`deepfeat.tasks.Target`); an output
    ``z`` of model ``m`` stands for the target ``offset + unit * (shift[m] + scale[m] * z)`` in
    the user's units. For classification every model sees the values as they are.

    Attributes
    ----------
    shift, scale : ndarray of shape (n_models, n_outputs), float32
        Per-model standardisation of the values; ``scale`` has no zeros.
    offset, unit : float
        The values' origin and unit in the user's units.
    """

    shift: np.ndarray
    scale: np.ndarray
    offset: float = 0.0
    unit: float = 1.0

    @classmethod
    def identity(cls, n_models, n_outputs):
        """Every model trained on the values as they are."""
        return cls(np.zeros((n_models, n_outputs), np.float32), np.ones((n_models, n_outputs), np.float32))

    @classmethod
    def standard(cls, values, train_indices, offset=0.0, unit=1.0):
        """Standardise with the mean and deviation of each model's training rows of ``values``."""
        values = np.asarray(values, dtype=np.float64)
        shift = np.stack([values[rows].mean(axis=0) for rows in train_indices])
        scale = np.stack([_nonzero(values[rows].std(axis=0)) for rows in train_indices])
        return cls(shift.astype(np.float32), scale.astype(np.float32), float(offset), float(unit))

    @property
    def is_identity(self):
        """Whether every model's outputs are the values themselves (classification)."""
        return bool(self.offset == 0 and self.unit == 1 and not self.shift.any() and (self.scale == 1).all())

    def output_shift(self):
        """Per model, the target (user's units) that an output of 0 stands for, float64."""
        return self.offset + self.unit * self.shift.astype(np.float64)

    def output_scale(self):
        """Per model, the target change (user's units) that an output change of 1 stands for, float64."""
        return self.unit * self.scale.astype(np.float64)

    def subset(self, models):
        """The scaling of the ``models`` (an index or slice of the model axis) only."""
        return replace(self, shift=self.shift[models], scale=self.scale[models])

    def to_target(self, outputs):
        """Outputs of shape (n_models, n_samples, n_outputs) in the user's units."""
        return self.output_shift()[:, None, :] + self.output_scale()[:, None, :] * outputs
