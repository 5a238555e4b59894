"""The importance layer: one non-negative, bias-free, linear gate per input attribute."""

import math

import keras
from keras import ops

#: Ways to initialise the gates. "glorot-relu" is the 2021 code's GlorotUniform start for a
#: one-input, one-output Dense unit, i.e. uniform in [-sqrt(3), sqrt(3)].
IMPORTANCE_INITS = ("ones", "uniform", "glorot-relu")


def importance_initializer(name, seed=None):
    """Return the Keras initializer for the gate start ``name`` (one of ``IMPORTANCE_INITS``)."""
    if name == "ones":
        return keras.initializers.Ones()
    if name == "uniform":
        return keras.initializers.RandomUniform(0.0, 1.0, seed=seed)
    if name == "glorot-relu":
        limit = math.sqrt(3.0)
        return keras.initializers.RandomUniform(-limit, limit, seed=seed)
    raise ValueError(f"importance init {name!r} must be one of: {', '.join(IMPORTANCE_INITS)}")


@keras.saving.register_keras_serializable(package="deepfeat")
class ImportanceLayer(keras.layers.Layer):
    """Multiply each attribute by its own non-negative weight.

    Mathematically the paper's one ``Dense(1, use_bias=False)`` unit per attribute, held as a
    single weight vector so that it scales to tens of thousands of attributes.

    Parameters
    ----------
    initializer : str or keras.initializers.Initializer, default="ones"
        Start value of the gates; "ones" makes every attribute start equally important.
    relu : bool, default=False
        Apply a ReLU to the gated inputs, as the 2021 code did. With it a gate clipped to 0
        receives no gradient again, so it is off by default.
    **kwargs
        Passed to :class:`keras.layers.Layer`.

    Examples
    --------
    >>> import numpy as np
    >>> layer = ImportanceLayer()
    >>> layer(np.array([[1.0, -2.0]], dtype="float32")).numpy()
    array([[ 1., -2.]], dtype=float32)
    """

    def __init__(self, initializer="ones", relu=False, **kwargs):
        super().__init__(**kwargs)
        self.initializer = initializer
        self.relu = relu

    def build(self, input_shape):
        initializer = self.initializer
        if isinstance(initializer, str):
            initializer = importance_initializer(initializer)
        self.importance = self.add_weight(
            shape=(input_shape[-1],),
            initializer=initializer,
            constraint=keras.constraints.NonNeg(),
            name="importance",
        )

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
        config.update({"initializer": initializer, "relu": self.relu})
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if isinstance(config.get("initializer"), dict):
            config["initializer"] = keras.initializers.deserialize(config["initializer"])
        return cls(**config)
