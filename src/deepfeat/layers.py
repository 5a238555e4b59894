"""The network's own layers: the attribute encoders, and one non-negative, bias-free gate per attribute."""

import keras
import numpy as np
from keras import ops

from .encoding import EncodingLayout
from .network import GATE_INITS

__all__ = [
    "IMPORTANCE_INITS",
    "AttributeEncoding",
    "ImportanceLayer",
    "encode",
    "importance_initializer",
    "keras_initializer",
]

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
    blocks : sequence of int, optional
        The attribute of each input column, when an attribute spans several (see
        :class:`deepfeat.encoding.EncodingLayout`): one gate multiplies its whole block.
        None: one gate per input.
    **kwargs
        Passed to :class:`keras.layers.Layer`.

    Examples
    --------
    >>> import numpy as np
    >>> layer = ImportanceLayer()
    >>> layer(np.array([[1.0, -2.0]], dtype="float32")).numpy()
    array([[ 1., -2.]], dtype=float32)
    """

    def __init__(self, initializer="ones", relu=False, l1=0.0, blocks=None, **kwargs):
        super().__init__(**kwargs)
        self.initializer = initializer
        self.relu = relu
        self.l1 = float(l1)
        self.blocks = None if blocks is None else tuple(int(b) for b in blocks)
        self.input_spec = keras.layers.InputSpec(min_ndim=2)

    def build(self, input_shape):
        initializer = self.initializer
        if isinstance(initializer, str):
            initializer = importance_initializer(initializer)
        if self.blocks is not None and len(self.blocks) != input_shape[-1]:
            raise ValueError(f"blocks name the attribute of {len(self.blocks)} inputs, got {input_shape[-1]} inputs")
        self.importance = self.add_weight(
            shape=(input_shape[-1] if self.blocks is None else max(self.blocks) + 1,),
            initializer=initializer,
            regularizer=keras.regularizers.L1(self.l1) if self.l1 > 0 else None,
            constraint=keras.constraints.NonNeg(),
            name="importance",
        )
        self.input_spec = keras.layers.InputSpec(min_ndim=2, axes={-1: input_shape[-1]})

    def call(self, inputs):
        gates = self.importance if self.blocks is None else ops.take(self.importance, self.blocks)
        gated = ops.multiply(inputs, gates)
        return ops.relu(gated) if self.relu else gated

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        initializer = self.initializer
        if not isinstance(initializer, str):
            initializer = keras.initializers.serialize(initializer)
        config.update({"initializer": initializer, "relu": self.relu, "l1": self.l1, "blocks": self.blocks})
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if isinstance(config.get("initializer"), dict):
            config["initializer"] = keras.initializers.deserialize(config["initializer"])
        return cls(**config)


def encode(raw, params, layout):
    """The encoded, scaled inputs of stacked models: :func:`deepfeat.encoding.encode_rows` in ``keras.ops``.

    Parameters
    ----------
    raw : tensor of shape (n_models, batch, n_attributes)
        The attributes (NaN for a missing cell), after the row step if any.
    params : dict of str to tensor
        Each model's encoding parameters (:meth:`deepfeat.encoding.EncodingLayout.param_shapes`),
        model axis first.
    layout : deepfeat.encoding.EncodingLayout

    Returns
    -------
    tensor of shape (n_models, batch, layout.n_inputs), float32
    """

    def per_model(name):  # broadcast over the batch
        return ops.expand_dims(params[name], 1)

    if layout.is_plain:
        return (raw - per_model("shift")) / per_model("scale")
    # One copy of the rows may serve every model (prediction): each part needs the model axis.
    shape = ops.shape(raw)
    raw = ops.broadcast_to(raw, (ops.shape(params["shift"])[0], shape[1], shape[2]))
    parts = []
    if layout.numeric:
        values = ops.take(raw, layout.numeric, axis=-1)
        missing = ops.isnan(values)
        if layout.indicated:
            values = ops.where(missing, per_model("fill"), values)
        if layout.n_bins:
            ramps = (ops.expand_dims(values, -1) - per_model("left")) * per_model("inv_width")
            ramps = ops.minimum(ops.maximum(ramps, per_model("low")), per_model("high"))
            shape = ops.shape(ramps)
            values = ops.reshape(ramps, (shape[0], shape[1], len(layout.numeric) * layout.n_bins))
        parts.append(values)
        if layout.indicated:
            parts.append(ops.cast(ops.take(missing, layout.indicator_positions(), axis=-1), "float32"))
    if layout.categorical:
        owners, level_values = layout.level_columns()
        codes = ops.take(ops.take(raw, layout.categorical, axis=-1), owners, axis=-1)
        is_missing_level = np.isnan(level_values)
        hits = ops.where(
            is_missing_level, ops.isnan(codes), ops.equal(codes, np.nan_to_num(level_values).astype("float32"))
        )
        hits = ops.cast(hits, "float32") * per_model("seen")
        # A 0/1 sum per attribute, exact in float32: whether the row's level is one the model has seen.
        membership = (owners[:, None] == np.arange(len(layout.categorical))).astype("float32")
        parts += [hits, 1.0 - ops.matmul(hits, membership)]
    encoded = ops.concatenate(parts, axis=-1)
    return (encoded - per_model("shift")) / per_model("scale")


@keras.saving.register_keras_serializable(package="deepfeat")
class AttributeEncoding(keras.layers.Layer):
    """Encode and scale one model's attributes into its network inputs (see :mod:`deepfeat.encoding`).

    It takes the attributes as loaded: numbers, a categorical attribute's level codes, NaN for
    a missing cell. Its weights are the model's fitted encoding parameters; none is trained.

    Parameters
    ----------
    layout : deepfeat.encoding.EncodingLayout or dict
        Which inputs each attribute becomes (a dict: its fields, as :meth:`get_config` writes them).
    params : dict of str to array, optional
        The model's parameters (``layout.param_shapes()``); zeros (and scale 1) when not given,
        as before weights are loaded.
    **kwargs
        Passed to :class:`keras.layers.Layer`.

    Examples
    --------
    >>> import numpy as np
    >>> from deepfeat.encoding import EncodingLayout, fit_encoding
    >>> X = np.array([[0.0, 1.0], [1.0, np.nan], [2.0, 3.0]])
    >>> layout = EncodingLayout.of(X, categorical=[True, False])
    >>> encoding = fit_encoding("standard", X, [np.arange(3)], layout)
    >>> AttributeEncoding(layout, encoding.model(0))(X.astype("float32")).shape
    (3, 5)
    """

    def __init__(self, layout, params=None, **kwargs):
        super().__init__(trainable=False, **kwargs)
        if isinstance(layout, dict):
            layout = EncodingLayout(**{k: _tuples(v) for k, v in layout.items()})
        self.layout = layout
        self._initial = params
        self.input_spec = keras.layers.InputSpec(ndim=2, axes={-1: layout.n_attributes})

    def build(self, input_shape):
        self.encoding = {}
        for name, shape in self.layout.param_shapes().items():
            value = None if self._initial is None else np.asarray(self._initial[name], dtype="float32")
            initializer = "ones" if name == "scale" else "zeros"
            self.encoding[name] = self.add_weight(
                shape=shape,
                initializer=initializer if value is None else keras.initializers.Constant(value),
                trainable=False,
                name=name,
            )

    def call(self, inputs):
        params = {name: ops.expand_dims(ops.convert_to_tensor(w), 0) for name, w in self.encoding.items()}
        return encode(ops.expand_dims(ops.cast(inputs, "float32"), 0), params, self.layout)[0]

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.layout.n_inputs)

    def get_config(self):
        config = super().get_config()
        config.pop("trainable", None)
        layout = self.layout
        fields = ("n_attributes", "numeric", "n_bins", "indicated", "categorical", "levels", "missing_level")
        config["layout"] = {name: getattr(layout, name) for name in fields}
        return config


def _tuples(value):
    """A config's lists back into the layout's tuples."""
    return tuple(_tuples(v) for v in value) if isinstance(value, list | tuple) else value
