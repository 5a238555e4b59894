"""The importance layer: one non-negative, bias-free, linear gate per input attribute."""

import keras
from keras import ops

from .network import GATE_INITS

__all__ = ["IMPORTANCE_INITS", "ImportanceLayer", "importance_initializer", "keras_initializer"]

#: Ways to initialise the gates (see :data:`deepfeat.network.GATE_INITS`).
IMPORTANCE_INITS = tuple(GATE_INITS)


def keras_initializer(init, seed=None):
    """The Keras initializer that draws like the :class:`deepfeat.network.Init` ``init``."""
    if init.kind == "constant":
        return keras.initializers.Constant(init.value)
    if init.kind == "uniform":
        return keras.initializers.RandomUniform(init.low, init.high, seed=seed)
    if init.kind == "glorot-uniform":
        return keras.initializers.GlorotUniform(seed=seed)
    raise ValueError(f"unknown initialiser kind {init.kind!r}")


def importance_initializer(name, seed=None):
    """Return the Keras initializer for the gate start ``name`` (one of ``IMPORTANCE_INITS``)."""
    if name not in GATE_INITS:
        raise ValueError(f"importance init {name!r} must be one of: {', '.join(IMPORTANCE_INITS)}")
    return keras_initializer(GATE_INITS[name], seed=seed)


@keras.saving.register_keras_serializable(package="deepfeat")
class ImportanceLayer(keras.layers.Layer):
    """Multiply each attribute by its own non-negative weight.

    Mathematically the paper's one ``Dense(1, use_bias=False)`` unit per attribute, held as a
    single weight vector so that it scales to tens of thousands of attributes.

    Parameters
    ----------
    initializer : str or keras.initializers.Initializer, default="ones"
        Start value of the gates (a name from ``IMPORTANCE_INITS`` or an initializer); "ones"
        makes every attribute start equally important.
    relu : bool, default=False
        Apply a ReLU to the gated inputs, as the 2021 code did. With it a gate clipped to 0
        receives no gradient again, so it is off by default.
    l1 : float, default=0.0
        Strength of an L1 penalty on the gates (``l1 * sum(gates)``), added to the model's loss.
    **kwargs
        Passed to :class:`keras.layers.Layer`.

    Examples
    --------
    >>> import numpy as np
    >>> layer = ImportanceLayer()
    >>> layer(np.array([[1.0, -2.0]], dtype="float32")).numpy()
    array([[ 1., -2.]], dtype=float32)
    """

    def __init__(self, initializer="ones", relu=False, l1=0.0, **kwargs):
        super().__init__(**kwargs)
        self.initializer = initializer
        self.relu = relu
        self.l1 = float(l1)
        self.input_spec = keras.layers.InputSpec(min_ndim=2)

    def build(self, input_shape):
        initializer = self.initializer
        if isinstance(initializer, str):
            initializer = importance_initializer(initializer)
        self.importance = self.add_weight(
            shape=(input_shape[-1],),
            initializer=initializer,
            regularizer=keras.regularizers.L1(self.l1) if self.l1 > 0 else None,
            constraint=keras.constraints.NonNeg(),
            name="importance",
        )
        self.input_spec = keras.layers.InputSpec(min_ndim=2, axes={-1: input_shape[-1]})

    def call(self, inputs):
        gated = ops.multiply(inputs, self.importance)
        return ops.relu(gated) if self.relu else gated

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        initializer = self.initializer
        if not isinstance(initializer, str):
            initializer = keras.initializers.serialize(initializer)
        config.update({"initializer": initializer, "relu": self.relu, "l1": self.l1})
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if isinstance(config.get("initializer"), dict):
            config["initializer"] = keras.initializers.deserialize(config["initializer"])
        return cls(**config)
