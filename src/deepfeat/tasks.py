"""The task seam: what depends on the kind of target, behind one interface.

A task says how a target is encoded for the networks (and standardised per model), how rows
are stratified when they are split, what the output heads compute, the loss and the batch
statistics it is made of, what each model's training record holds and how the ensemble's
"did the networks learn?" check is made. The trainers and the ensemble call only these
methods, so that each kind of target is one implementation, not a branch in each of them:

- :data:`CLASSIFICATION`: one class label per row; one sigmoid head per class with the
  soft-F1 loss of the paper;
- :data:`MULTILABEL`: several yes/no labels per row; one sigmoid head per label, the same loss;
- :data:`REGRESSION`: one numeric target; one linear head trained on the target standardised
  on each model's training rows, with the mean squared error.

:data:`TASKS` holds them by name.
"""

import logging
from dataclasses import dataclass

import keras
import numpy as np
from keras import ops

from .preprocessing import TargetScaling
from .skill import ValidationSkill, r2_scores, validation_scores

__all__ = [
    "CLASSIFICATION",
    "MULTILABEL",
    "REGRESSION",
    "TASKS",
    "Classification",
    "MultiLabel",
    "Regression",
    "Target",
    "mean_squared_error",
    "soft_confusion",
    "soft_f1_cost",
    "soft_f1_loss",
]

logger = logging.getLogger(__name__)

_EPSILON = 1e-16
# Quantile bins of a numeric target that a split keeps in proportion.
_TARGET_STRATA = 5


@dataclass(frozen=True, eq=False)
class Target:
    """A target as the networks see it.

    Attributes
    ----------
    values : ndarray of shape (n_samples, n_outputs), float32
        What the heads are trained to output, before each model's standardisation.
    strata : ndarray of shape (n_samples,) of int, or None
        Groups that a split keeps in proportion (classes for classification).
    labels : ndarray
        The user's labels behind the outputs: the classes (classification), the label
        columns' indices (multi-label), the targets as given, shape (n_samples, 1) (regression).
    offset, unit : float
        ``values`` are ``(target - offset) / unit`` (regression; 0 and 1 otherwise).
    """

    values: np.ndarray
    strata: np.ndarray | None
    labels: np.ndarray
    offset: float = 0.0
    unit: float = 1.0


def soft_f1_cost(tp, fp, fn, tn):
    """Per-head soft-F1 cost from soft confusion counts.

    The cost of a head is the mean of ``1 - F1`` for its positive class and ``1 - F1`` for its
    negative class, so a head cannot score well by predicting one class everywhere.
    """
    f1_positive = 2.0 * tp / (2.0 * tp + fn + fp + _EPSILON)
    f1_negative = 2.0 * tn / (2.0 * tn + fn + fp + _EPSILON)
    return 0.5 * ((1.0 - f1_positive) + (1.0 - f1_negative))


def soft_confusion(y_true, y_pred, total=None):
    """Soft true/false positive/negative counts of sigmoid outputs, summed over the rows.

    ``total`` sums a tensor over its rows; by default the first axis is the rows.
    """
    total = total or (lambda t: ops.sum(t, axis=0))
    y_true = ops.cast(y_true, y_pred.dtype)
    tp = total(y_pred * y_true)
    fp = total(y_pred * (1.0 - y_true))
    fn = total((1.0 - y_pred) * y_true)
    tn = total((1.0 - y_pred) * (1.0 - y_true))
    return tp, fp, fn, tn


@keras.saving.register_keras_serializable(package="deepfeat")
def soft_f1_loss(y_true, y_pred):
    """Soft-F1 loss over a batch, summed over the class heads.

    Summing (rather than averaging) over heads is what Keras does for a multi-output model,
    which is how the 2021 code trained its one-head-per-class network.

    Examples
    --------
    >>> import numpy as np
    >>> y = np.array([[1.0, 0.0], [0.0, 1.0]], dtype="float32")
    >>> float(soft_f1_loss(y, y))
    0.0
    """
    y_pred = ops.convert_to_tensor(y_pred)
    return ops.sum(soft_f1_cost(*soft_confusion(y_true, y_pred)))


class _SigmoidHeads:
    """One sigmoid head per output, trained with the soft-F1 loss; scored by AUROC."""

    output_activation = "sigmoid"
    keras_loss = staticmethod(soft_f1_loss)
    #: How many tensors :meth:`batch_statistics` returns.
    n_statistics = 4
    #: How a head is called in the record keys.
    head = "class"

    def target_scaling(self, target, train_index):
        """Every model is trained on the 0/1 values as they are."""
        return TargetScaling.identity(len(train_index), target.values.shape[1])

    def batch_statistics(self, y, p, total):
        """Soft confusion counts of outputs ``p`` against targets ``y``, summed over the rows by ``total``.

        They add up over rows, so a loss over many rows can be gathered in chunks.
        """
        return soft_confusion(y, p, total)

    def loss(self, statistics):
        """The soft-F1 loss of :meth:`batch_statistics`, summed over the heads (last axis)."""
        return ops.sum(soft_f1_cost(*statistics), axis=-1)

    def scores(self, outputs, target, train_rows, val_rows):
        """One model's record entries: each head's precision and recall on its training and
        validation rows (keyed as the 2021 logs were, with ``label`` for ``class`` in
        multi-label), and its validation AUROC."""
        targets = target.values
        predicted = outputs > 0.5
        return {
            **_head_scores(predicted[train_rows], targets[train_rows], "", self.head),
            **_head_scores(predicted[val_rows], targets[val_rows], "val_", self.head),
            **validation_scores(outputs[val_rows], targets[val_rows]),
        }

    def skill(self, records):
        """How well the networks whose records are given predict their validation rows (AUROC)."""
        return ValidationSkill.of(records, "AUROC", 0.5, "val_auroc", "val_auroc_null_sd")

    def _warn_unseen(self, train_index, unseen, problem, counted, how):
        """Warn that some models' training rows have ``problem`` for the heads marked in ``unseen``
        (shape (n_models, n_heads)): they cannot learn to recognise them."""
        if unseen.any():
            logger.warning(
                "%d of %d model(s) have %s %s, counting the %s from 1 (validation split %r): they cannot "
                "learn to recognise them",
                unseen.any(axis=1).sum(),
                len(train_index),
                problem,
                ", ".join(str(k + 1) for k in np.flatnonzero(unseen.any(axis=0))),
                counted,
                how,
            )


@dataclass(frozen=True)
class Classification(_SigmoidHeads):
    """One class label per row: one sigmoid head per class, trained with the soft-F1 loss.

    Stateless: every instance is equal to every other, wherever it was unpickled.
    """

    name = "classification"

    def encode(self, y):
        """The one-hot :class:`Target` of the labels ``y`` (classes in sorted order)."""
        labels, codes = np.unique(np.asarray(y), return_inverse=True)
        return Target(np.eye(len(labels), dtype=np.float32)[codes], codes, labels)

    def check_training_rows(self, target, train_index, how):
        """Warn when some models have no training row of a class (they cannot learn it)."""
        n_classes = target.values.shape[1]
        # A file sorted by class with VALIDATION_SPLIT=last is the usual way to get here.
        unseen = np.stack([np.bincount(target.strata[rows], minlength=n_classes) == 0 for rows in train_index])
        self._warn_unseen(train_index, unseen, "no training rows of class(es)", "sorted class labels", how)


@dataclass(frozen=True)
class MultiLabel(_SigmoidHeads):
    """Several yes/no labels per row: one sigmoid head per label, each trained with the soft-F1 loss.

    The labels are independent: a row may have any number of them, and the loss is the sum of
    the heads' soft-F1 costs, as for classification. Splits keep each combination of labels in
    proportion where every combination has two rows.
    """

    name = "multilabel"
    head = "label"

    def encode(self, y):
        """The :class:`Target` of the 0/1 indicator matrix ``y`` of shape (n_samples, n_labels)."""
        y = np.asarray(y)
        if y.ndim != 2 or not np.isin(y, (0, 1)).all():
            raise ValueError("multi-label targets must be a 2-D array of 0 and 1, one column per label")
        _, strata = np.unique(y, axis=0, return_inverse=True)
        return Target(y.astype(np.float32), strata.reshape(-1), np.arange(y.shape[1]))

    def check_training_rows(self, target, train_index, how):
        """Warn when some models' training rows never have (or always have) a label."""
        truth = target.values > 0.5
        unseen = np.stack([truth[rows].all(axis=0) | ~truth[rows].any(axis=0) for rows in train_index])
        self._warn_unseen(train_index, unseen, "training rows all with or all without label(s)", "labels", how)


@keras.saving.register_keras_serializable(package="deepfeat")
def mean_squared_error(y_true, y_pred):
    """Mean squared error over a batch, summed over the output heads.

    Examples
    --------
    >>> import numpy as np
    >>> float(mean_squared_error(np.array([[1.0], [3.0]]), np.array([[2.0], [2.0]])))
    1.0
    """
    y_pred = ops.convert_to_tensor(y_pred)
    return ops.sum(ops.mean(ops.square(y_pred - ops.cast(y_true, y_pred.dtype)), axis=0))


@dataclass(frozen=True)
class Regression:
    """One numeric target per row: a linear head trained with the mean squared error.

    Each model is trained on the target standardised with the mean and deviation of its own
    training rows (so its loss is about ``1 - R²``), and its outputs are mapped back to the
    target's units; rows are split keeping the target's quintiles in proportion.
    """

    name = "regression"
    output_activation = None
    keras_loss = staticmethod(mean_squared_error)
    n_statistics = 2

    def encode(self, y):
        """The :class:`Target` of the numbers ``y``: centred and scaled once, in float64, so that
        float32 keeps their precision whatever their magnitude."""
        y = np.asarray(y, dtype=np.float64).reshape(len(y), -1)
        if y.shape[1] != 1 or not np.isfinite(y).all():
            raise ValueError("a regression target must be one column of finite numbers")
        offset, unit = float(y.mean()), float(y.std())
        unit = unit if unit > 0 else 1.0
        edges = np.unique(np.quantile(y[:, 0], np.linspace(0, 1, _TARGET_STRATA + 1)[1:-1]))
        strata = np.searchsorted(edges, y[:, 0], side="right")
        return Target(((y - offset) / unit).astype(np.float32), strata, y, offset, unit)

    def target_scaling(self, target, train_index):
        """Standardise on each model's training rows."""
        return TargetScaling.standard(target.values, train_index, target.offset, target.unit)

    def batch_statistics(self, y, p, total):
        """Sum of squared errors and row count per head, summed over the rows by ``total``."""
        error = p - ops.cast(y, p.dtype)
        return total(error * error), total(ops.ones_like(error))

    def loss(self, statistics):
        """The mean squared error of :meth:`batch_statistics`, summed over the heads (last axis)."""
        squared, count = statistics
        return ops.sum(squared / ops.maximum(count, 1.0), axis=-1)

    def check_training_rows(self, target, train_index, how):
        """Warn when some models' training targets are all equal (they can learn nothing)."""
        constant = np.array([np.ptp(target.values[rows], axis=0).max() == 0 for rows in train_index])
        if constant.any():
            logger.warning(
                "%d of %d model(s) have the same target on every training row (validation split %r): they "
                "cannot learn anything",
                constant.sum(),
                len(train_index),
                how,
            )

    def scores(self, outputs, target, train_rows, val_rows):
        """One model's record entries: RMSE, MAE and R² on its training and validation rows, in the
        target's units, and the validation R²'s standard error (``val_r2_se``)."""
        y = target.labels
        entries = {}
        for prefix, rows in (("", train_rows), ("val_", val_rows)):
            error = outputs[rows] - y[rows]
            r2, se = r2_scores(outputs[rows], y[rows])
            entries.update(
                {
                    f"{prefix}rmse": float(np.sqrt(np.mean(error**2))),
                    f"{prefix}mae": float(np.mean(np.abs(error))),
                    f"{prefix}r2": r2,
                }
            )
        entries["val_r2_se"] = se
        return entries

    def skill(self, records):
        """How well the networks whose records are given predict their validation rows (R²)."""
        return ValidationSkill.of(records, "R2", 0.0, "val_r2", "val_r2_se")


def _head_scores(predicted, Y, prefix, head):
    """Precision and recall of each head at threshold 0.5."""
    scores = {}
    truth = Y > 0.5
    for k in range(Y.shape[1]):
        tp = np.sum(predicted[:, k] & truth[:, k])
        n_predicted, n_true = predicted[:, k].sum(), truth[:, k].sum()
        scores[f"{prefix}output_{head}_{k}_precision"] = float(tp / n_predicted) if n_predicted else 0.0
        scores[f"{prefix}output_{head}_{k}_recall"] = float(tp / n_true) if n_true else 0.0
    return scores


CLASSIFICATION = Classification()
MULTILABEL = MultiLabel()
REGRESSION = Regression()
#: The tasks by name.
TASKS = {task.name: task for task in (CLASSIFICATION, MULTILABEL, REGRESSION)}
