"""The task seam: what depends on the kind of target, behind one interface.

A task says how a target is encoded for the networks, how rows are stratified when they are
split, what the output heads compute, the loss and the batch statistics it is made of, what
each model's training record holds and how the ensemble's "did the networks learn?" check is
made. The trainers and the ensemble call only these methods, so that another kind of target
(regression, several labels) is another implementation, not a branch in each of them.

:data:`CLASSIFICATION` is the one task so far: one sigmoid head per class with the soft-F1
loss of the paper.
"""

import logging
from dataclasses import dataclass

import keras
import numpy as np
from keras import ops

from .skill import ValidationSkill, validation_scores

__all__ = ["CLASSIFICATION", "Classification", "Target", "soft_confusion", "soft_f1_cost", "soft_f1_loss"]

logger = logging.getLogger(__name__)

_EPSILON = 1e-16


@dataclass(frozen=True, eq=False)
class Target:
    """A target as the networks see it.

    Attributes
    ----------
    values : ndarray of shape (n_samples, n_outputs), float32
        What the heads are trained to output.
    strata : ndarray of shape (n_samples,) of int, or None
        Groups that a split keeps in proportion (classes for classification).
    labels : ndarray
        The user's labels behind the outputs (the classes, for classification).
    """

    values: np.ndarray
    strata: np.ndarray | None
    labels: np.ndarray


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


@dataclass(frozen=True)
class Classification:
    """One class label per row: one sigmoid head per class, trained with the soft-F1 loss.

    Stateless: every instance is equal to every other, wherever it was unpickled.
    """

    name = "classification"
    output_activation = "sigmoid"
    keras_loss = staticmethod(soft_f1_loss)
    #: How many tensors :meth:`batch_statistics` returns.
    n_statistics = 4

    def encode(self, y):
        """The one-hot :class:`Target` of the labels ``y`` (classes in sorted order)."""
        labels, codes = np.unique(np.asarray(y), return_inverse=True)
        return Target(np.eye(len(labels), dtype=np.float32)[codes], codes, labels)

    def batch_statistics(self, y, p, total):
        """Soft confusion counts of outputs ``p`` against targets ``y``, summed over the rows by ``total``.

        They add up over rows, so a loss over many rows can be gathered in chunks.
        """
        return soft_confusion(y, p, total)

    def loss(self, statistics):
        """The soft-F1 loss of :meth:`batch_statistics`, summed over the heads (last axis)."""
        return ops.sum(soft_f1_cost(*statistics), axis=-1)

    def check_training_rows(self, target, train_index, how):
        """Warn when some models have no training row of a class (they cannot learn it)."""
        n_classes = target.values.shape[1]
        codes = target.strata
        # A file sorted by class with VALIDATION_SPLIT=last is the usual way to get here.
        unseen = np.stack([np.bincount(codes[rows], minlength=n_classes) == 0 for rows in train_index])
        if unseen.any():
            logger.warning(
                "%d of %d model(s) have no training rows of class(es) %s, counting the sorted class labels "
                "from 1 (validation split %r): they cannot learn to recognise them",
                unseen.any(axis=1).sum(),
                len(train_index),
                ", ".join(str(k + 1) for k in np.flatnonzero(unseen.any(axis=0))),
                how,
            )

    def scores(self, outputs, targets, train_rows, val_rows):
        """One model's record entries: each head's precision and recall on its training and
        validation rows, keyed as the 2021 logs were, and its validation AUROC."""
        predicted = outputs > 0.5
        return {
            **_head_scores(predicted[train_rows], targets[train_rows], ""),
            **_head_scores(predicted[val_rows], targets[val_rows], "val_"),
            **validation_scores(outputs[val_rows], targets[val_rows]),
        }

    def skill(self, records):
        """How well the networks whose records are given predict their validation rows."""
        return ValidationSkill.of(records)


def _head_scores(predicted, Y, prefix):
    """Precision and recall of each class head at threshold 0.5."""
    scores = {}
    truth = Y > 0.5
    for k in range(Y.shape[1]):
        tp = np.sum(predicted[:, k] & truth[:, k])
        n_predicted, n_true = predicted[:, k].sum(), truth[:, k].sum()
        scores[f"{prefix}output_class_{k}_precision"] = float(tp / n_predicted) if n_predicted else 0.0
        scores[f"{prefix}output_class_{k}_recall"] = float(tp / n_true) if n_true else 0.0
    return scores


#: The classification task.
CLASSIFICATION = Classification()
