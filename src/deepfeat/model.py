"""The importance network as a Keras model, built from its description in :mod:`deepfeat.network`."""

import keras
from keras import ops

from .layers import AttributeEncoding, ImportanceLayer, keras_initializer
from .network import network_spec
from .tasks import CLASSIFICATION

__all__ = ["build_network", "network_weights", "set_network_weights"]


def build_network(
    n_features,
    n_outputs,
    options,
    *,
    task=CLASSIFICATION,
    layout=None,
    encoding=None,
    row_l2=False,
    target_shift=None,
    target_scale=None,
    seed=None,
):
    """Build one importance network as a Keras model taking raw attributes.

    Parameters
    ----------
    n_features, n_outputs : int
        Number of input attributes and of output heads (one per class, label or target).
    options : deepfeat.settings.TrainingOptions
        The network's shape, penalties and gate start (see :func:`deepfeat.network.network_spec`).
    task : deepfeat.tasks.Task
        Gives the heads' activation.
    layout : deepfeat.encoding.EncodingLayout, optional
        Which inputs each attribute becomes; the attributes themselves when not given.
    encoding : dict of str to array, optional
        The model's fitted encoding parameters (:class:`deepfeat.encoding.InputEncoding`, one
        model's), built into the model so that a saved model takes the attributes as loaded:
        numbers, a categorical attribute's level codes, NaN for a missing cell. For a plain
        layout, its ``shift`` and ``scale`` become a ``Normalization`` layer.
    row_l2 : bool
        Scale each sample to unit L2 norm before the encoding.
    target_shift, target_scale : array of shape (n_outputs,), optional
        Map the heads' outputs ``z`` to ``target_shift + target_scale * z`` (the target in its
        own units, for regression), built into the model after the heads.
    seed : int, optional
        Seed for the initialisers, the noise and the dropout.

    Returns
    -------
    keras.Model
        Uncompiled; output of shape (batch, n_outputs).
    """
    blocks = None if layout is None else layout.blocks
    spec = network_spec(n_features, n_outputs, options, task.output_activation, blocks)
    inputs = keras.Input(shape=(n_features,), name="attributes")
    x = inputs
    if row_l2:
        x = keras.layers.UnitNormalization(name="row_l2")(x)
    if layout is not None and not layout.is_plain:
        x = AttributeEncoding(layout, encoding, name="encoding")(x)
    elif encoding is not None:
        shift, scale = encoding["shift"], encoding["scale"]
        x = keras.layers.Normalization(mean=shift, variance=ops.square(scale), name="normalization")(x)
    seeds = _SeedSequence(seed)
    for layer in spec.layers:
        if layer.kind == "gate":
            gate = spec.layer_weights(layer.name)[0]
            x = ImportanceLayer(
                initializer=keras_initializer(gate.init, seed=seeds.next()),
                relu=layer.activation == "relu",
                l1=spec.l1 if gate.l1 else 0.0,
                blocks=spec.blocks,
                name=layer.name,
            )(x)
            continue
        kernel, bias = spec.layer_weights(layer.name)
        x = keras.layers.Dense(
            layer.units,
            activation=layer.activation,
            kernel_initializer=keras_initializer(kernel.init, seed=seeds.next()),
            bias_initializer=keras_initializer(bias.init),
            kernel_regularizer=_l2(spec, kernel),
            bias_regularizer=_l2(spec, bias),
            name=layer.name,
        )(x)
        if layer.noise_std > 0:
            x = keras.layers.GaussianNoise(
                layer.noise_std, seed=seeds.next(), name=layer.name.replace("dense", "noise")
            )(x)
        if layer.dropout > 0:
            x = keras.layers.Dropout(layer.dropout, seed=seeds.next(), name=layer.name.replace("dense", "dropout"))(x)
    if target_shift is not None:
        x = keras.layers.Normalization(
            mean=target_shift, variance=ops.square(target_scale), invert=True, name="target_units"
        )(x)
    return keras.Model(inputs, x, name="importance_network")


def _l2(spec, weight):
    return keras.regularizers.L2(spec.l2) if weight.l2 and spec.l2 > 0 else None


def set_network_weights(model, params, spec):
    """Copy one model's weights (a dict by weight name) into the Keras network built from ``spec``."""
    for layer in dict.fromkeys(w.layer for w in spec.weights):
        model.get_layer(layer).set_weights([params[w.name] for w in spec.layer_weights(layer)])


def network_weights(model, spec):
    """One model's weights by name: the inverse of :func:`set_network_weights`."""
    params = {}
    for layer in dict.fromkeys(w.layer for w in spec.weights):
        for weight, value in zip(spec.layer_weights(layer), model.get_layer(layer).get_weights()):
            params[weight.name] = value
    return params


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
