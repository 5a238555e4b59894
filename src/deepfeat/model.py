"""The importance network (the paper's architecture) and its soft-F1 loss."""

from dataclasses import dataclass

import keras
from keras import ops

from .layers import ImportanceLayer, importance_initializer

_EPSILON = 1e-16


@dataclass(frozen=True)
class Architecture:
    """Shape of the network behind the importance layer; the defaults are the paper's.

    Parameters
    ----------
    hidden_units : int
        Width of each dense block.
    n_blocks : int
        Number of Dense(ReLU) -> GaussianNoise -> Dropout blocks; the last has no noise.
    l2 : float
        L2 penalty on every dense kernel and bias (Keras convention: ``l2 * sum(w**2)``).
    noise_std : float
        Standard deviation of the Gaussian noise added after a block's activation.
    dropout : float
        Dropout rate after each block.
    gate_relu : bool
        Put a ReLU after the importance gates (the 2021 code); the paper's text has linear gates.
    """

    hidden_units: int = 128
    n_blocks: int = 3
    l2: float = 1e-3
    noise_std: float = 0.005
    dropout: float = 0.5
    gate_relu: bool = False


def soft_f1_cost(tp, fp, fn, tn):
    """Per-head soft-F1 cost from soft confusion counts.

    The cost of a head is the mean of ``1 - F1`` for its positive class and ``1 - F1`` for its
    negative class, so a head cannot score well by predicting one class everywhere.
    """
    f1_positive = 2.0 * tp / (2.0 * tp + fn + fp + _EPSILON)
    f1_negative = 2.0 * tn / (2.0 * tn + fn + fp + _EPSILON)
    return 0.5 * ((1.0 - f1_positive) + (1.0 - f1_negative))


def soft_confusion(y_true, y_pred, axis=0):
    """Soft true/false positive/negative counts of sigmoid outputs, summed along ``axis``."""
    y_true = ops.cast(y_true, y_pred.dtype)
    tp = ops.sum(y_pred * y_true, axis=axis)
    fp = ops.sum(y_pred * (1.0 - y_true), axis=axis)
    fn = ops.sum((1.0 - y_pred) * y_true, axis=axis)
    tn = ops.sum((1.0 - y_pred) * (1.0 - y_true), axis=axis)
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


def build_network(
    n_features,
    n_classes,
    architecture=Architecture(),
    *,
    importance_init="ones",
    shift=None,
    scale=None,
    row_l2=False,
    seed=None,
):
    """Build one importance network as a Keras model taking raw attributes.

    Parameters
    ----------
    n_features, n_classes : int
        Number of input attributes and of one-hot classes (one sigmoid head each).
    architecture : Architecture
        Layer sizes and regularisation.
    importance_init : str
        Gate initialisation, see :data:`deepfeat.layers.IMPORTANCE_INITS`.
    shift, scale : array of shape (n_features,), optional
        Input normalisation ``(x - shift) / scale`` built into the model, so that a saved model
        takes the data as it is in the file.
    row_l2 : bool
        Scale each sample to unit L2 norm before ``shift``/``scale``.
    seed : int, optional
        Seed for the gate initialiser, the noise and the dropout.

    Returns
    -------
    keras.Model
        Uncompiled; output of shape (batch, n_classes).
    """
    inputs = keras.Input(shape=(n_features,), name="attributes")
    x = inputs
    if row_l2:
        x = keras.layers.UnitNormalization(name="row_l2")(x)
    if shift is not None:
        x = keras.layers.Normalization(mean=shift, variance=ops.square(scale), name="normalization")(x)
    seeds = _SeedSequence(seed)
    x = ImportanceLayer(
        initializer=importance_initializer(importance_init, seed=seeds.next()),
        relu=architecture.gate_relu,
        name="importance",
    )(x)
    regularizer = keras.regularizers.L2(architecture.l2)
    for block in range(architecture.n_blocks):
        x = keras.layers.Dense(
            architecture.hidden_units,
            activation="relu",
            kernel_regularizer=regularizer,
            bias_regularizer=regularizer,
            name=f"dense_{block}",
        )(x)
        if block < architecture.n_blocks - 1:
            x = keras.layers.GaussianNoise(architecture.noise_std, seed=seeds.next(), name=f"noise_{block}")(x)
        x = keras.layers.Dropout(architecture.dropout, seed=seeds.next(), name=f"dropout_{block}")(x)
    outputs = keras.layers.Dense(
        n_classes,
        activation="sigmoid",
        name="heads",
    )(x)
    return keras.Model(inputs, outputs, name="importance_network")


class _SeedSequence:
    """Distinct integer seeds for the layers of one network (None stays None: unseeded)."""

    def __init__(self, seed):
        self._seed = seed
        self._count = 0

    def next(self):
        if self._seed is None:
            return None
        self._count += 1
        return (self._seed * 1_000_003 + self._count) % (2**31 - 1)
