"""Input normalisation choices, expressed as a row step plus a per-model ``(x - shift) / scale``."""

from dataclasses import dataclass

import numpy as np
from keras import ops

from .settings import setting

#: "standard": standardise with the mean and deviation of each model's own training split;
#: "column-l2": divide each column by its L2 norm over the whole file (the 2021 code);
#: "row-l2": scale each sample to unit L2 norm (the paper's text, "row normalised"); "none".
NORMALIZATIONS = setting("normalization").choices


@dataclass(frozen=True)
class InputScaling:
    """How the models of an ensemble see the data: ``(row_step(x) - shift[m]) / scale[m]``.

    Attributes
    ----------
    row_l2 : bool
        Whether each sample is first scaled to unit L2 norm.
    shift, scale : ndarray of shape (n_models, n_features)
        Per-model affine normalisation; ``scale`` has no zeros.
    """

    row_l2: bool
    shift: np.ndarray
    scale: np.ndarray

    def rows(self, X):
        """Apply the row step (the part shared by all models) to ``X``."""
        X = np.asarray(X, dtype=np.float32)
        return unit_rows(X) if self.row_l2 else X


def unit_rows(X):
    """Scale rows to unit L2 norm exactly as ``keras.layers.UnitNormalization`` does."""
    return ops.convert_to_numpy(ops.normalize(ops.convert_to_tensor(X, dtype="float32"), axis=-1, order=2))


def fit_scaling(method, X, train_indices):
    """Fit the normalisation ``method`` for each model.

    Parameters
    ----------
    method : str
        One of :data:`NORMALIZATIONS`.
    X : ndarray of shape (n_samples, n_features)
        All samples, as loaded.
    train_indices : sequence of index arrays
        Each model's training rows; only these are used to fit ``"standard"``.

    Returns
    -------
    InputScaling
    """
    if method not in NORMALIZATIONS:
        raise ValueError(f"normalization {method!r} must be one of: {', '.join(NORMALIZATIONS)}")
    X = np.asarray(X, dtype=np.float64)
    n_models, n_features = len(train_indices), X.shape[1]
    shift = np.zeros((n_models, n_features))
    scale = np.ones((n_models, n_features))
    if method == "standard":
        for m, rows in enumerate(train_indices):
            shift[m] = X[rows].mean(axis=0)
            scale[m] = _nonzero(X[rows].std(axis=0))
    elif method == "column-l2":
        scale[:] = _nonzero(np.sqrt((X**2).sum(axis=0)))
    return InputScaling(row_l2=method == "row-l2", shift=shift.astype(np.float32), scale=scale.astype(np.float32))


def _nonzero(values):
    # A constant column carries no information; leave it unscaled rather than divide by zero.
    return np.where(values > 1e-12, values, 1.0)
