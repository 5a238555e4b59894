"""The importance network, described once: its layers and their weights.

:func:`network_spec` says, for given sizes and :class:`~deepfeat.settings.TrainingOptions`,
which layers the network has (importance gates, hidden Dense(ReLU) layers with noise and
dropout, the output heads) and every weight's name, shape, initialiser, penalty and constraint.
Everything else is derived from it: the Keras builder (:func:`deepfeat.model.build_network`),
the stacked forward pass and penalties (:mod:`deepfeat.stacked`), every model's initial weights
(:meth:`NetworkSpec.initial_weights`), the copies between stacked weights and Keras layers
(:func:`deepfeat.model.set_network_weights`) and recursive elimination's widening
(:attr:`NetworkSpec.feature_axes`).

NumPy only: no TensorFlow here.
"""

import math
from dataclasses import dataclass

import numpy as np

from .settings import gate_relu

__all__ = ["GATE_INITS", "Init", "Layer", "NetworkSpec", "Weight", "network_spec"]


@dataclass(frozen=True)
class Init:
    """How a weight starts.

    Attributes
    ----------
    kind : str
        ``"constant"`` (every entry ``value``), ``"uniform"`` (in ``[low, high)``) or
        ``"glorot-uniform"`` (uniform in ``+-sqrt(6 / (fan_in + fan_out))``, Keras's default
        for a Dense kernel).
    value, low, high : float
    """

    kind: str
    value: float = 0.0
    low: float = 0.0
    high: float = 0.0

    @property
    def random(self):
        """Whether drawing it consumes random numbers."""
        return self.kind != "constant"

    def bounds(self, shape):
        """``(low, high)`` of a random start of a weight of ``shape``."""
        if self.kind == "glorot-uniform":
            limit = math.sqrt(6.0 / (shape[0] + shape[1]))
            return -limit, limit
        return self.low, self.high

    def sample(self, rng, shape):
        """A start of ``shape`` drawn from the NumPy generator ``rng``, as float32."""
        if not self.random:
            return np.full(shape, self.value, dtype=np.float32)
        low, high = self.bounds(shape)
        return rng.uniform(low, high, size=shape).astype(np.float32)


#: Gate starts by ``importance_init``. "glorot-relu" is the 2021 code's GlorotUniform start for a
#: one-input, one-output Dense unit, i.e. uniform in [-sqrt(3), sqrt(3)].
GATE_INITS = {
    "ones": Init("constant", value=1.0),
    "uniform": Init("uniform", low=0.0, high=1.0),
    "glorot-relu": Init("uniform", low=-math.sqrt(3.0), high=math.sqrt(3.0)),
}

_ZEROS = Init("constant", value=0.0)
_GLOROT = Init("glorot-uniform")


@dataclass(frozen=True)
class Weight:
    """One weight of the network.

    Attributes
    ----------
    name : str
        Key in a dict of weights (``"gate"``, ``"kernel_0"``, ``"bias_0"``, ..., ``"bias_out"``).
    layer : str
        Name of the Keras layer that holds it; its weights are that layer's in the order given.
    shape : tuple of int
        Per model.
    init : Init
    l2 : bool
        Penalised by the L2 strength of the options.
    l1 : bool
        Penalised by the gate-L1 strength of the options.
    non_negative : bool
        Clipped at 0 after every update (``keras.constraints.NonNeg``).
    feature_axis : int or None
        The axis indexed by the attributes, if any.
    input_axis : int or None
        The axis indexed by the network's inputs (an attribute's block of inputs, see
        :class:`deepfeat.encoding.EncodingLayout`), if any.
    """

    name: str
    layer: str
    shape: tuple
    init: Init
    l2: bool = False
    l1: bool = False
    non_negative: bool = False
    feature_axis: int | None = None
    input_axis: int | None = None


@dataclass(frozen=True)
class Layer:
    """One layer of the network, in order from input to output.

    Attributes
    ----------
    name : str
        The Keras layer's name.
    kind : str
        ``"gate"`` (elementwise product with the weight ``kernel``) or ``"dense"``.
    kernel, bias : str or None
        The names of its weights.
    activation : str or None
        ``"relu"``, ``"sigmoid"`` or None (linear).
    noise_std, dropout : float
        Gaussian noise and dropout after the activation, in training only (0: none).
    units : int
        Output width.
    """

    name: str
    kind: str
    kernel: str
    bias: str | None
    activation: str | None
    units: int
    noise_std: float = 0.0
    dropout: float = 0.0


@dataclass(frozen=True)
class NetworkSpec:
    """Layers and weights of one network; see :func:`network_spec`.

    Attributes
    ----------
    layers : tuple of Layer
    weights : tuple of Weight
        In Keras layer order.
    l2, l1 : float
        Strengths of the penalties on the weights marked ``l2`` and ``l1``.
    blocks : tuple of int or None
        The attribute of each input, when an attribute spans several inputs (one gate per
        attribute multiplies its block); None when every input is an attribute.
    """

    layers: tuple
    weights: tuple
    l2: float
    l1: float
    blocks: tuple | None = None

    @property
    def n_inputs(self):
        """Width of the network's input."""
        return self.layers[0].units

    @property
    def n_attributes(self):
        """Number of gates: one per attribute."""
        return self.weights[0].shape[0]

    @property
    def n_params(self):
        """Number of weights of one model."""
        return sum(math.prod(w.shape) for w in self.weights)

    @property
    def feature_axes(self):
        """The attribute axis (per model) of every weight indexed by the attributes."""
        return {w.name: w.feature_axis for w in self.weights if w.feature_axis is not None}

    @property
    def input_axes(self):
        """The input axis (per model) of every weight indexed by the network's inputs."""
        return {w.name: w.input_axis for w in self.weights if w.input_axis is not None}

    def layer_weights(self, layer):
        """The weights held by the Keras layer ``layer``, in that layer's order."""
        return [w for w in self.weights if w.layer == layer]

    def initial_weights(self, rng):
        """One model's starting weights, by name, drawn in order from the NumPy generator ``rng``."""
        return {w.name: w.init.sample(rng, w.shape) for w in self.weights}


def network_spec(n_features, n_outputs, options, output_activation, blocks=None):
    """The network for ``n_features`` attributes and ``n_outputs`` output heads.

    Parameters
    ----------
    n_features, n_outputs : int
    options : deepfeat.settings.TrainingOptions
        Its ``hidden_units``, ``hidden_layers``, ``l2``, ``noise_std``, ``dropout``,
        ``gate_l1`` and ``importance_init`` shape the network.
    output_activation : str
        The heads' activation (the task's, e.g. a sigmoid per class for classification).
    blocks : sequence of int, optional
        The attribute of each network input (see :class:`deepfeat.encoding.EncodingLayout`),
        when the inputs are not the attributes themselves.

    Returns
    -------
    NetworkSpec
    """
    if blocks is not None and tuple(blocks) == tuple(range(n_features)):
        blocks = None  # every attribute is one input
    n_inputs = n_features if blocks is None else len(blocks)
    gate = Weight(
        "gate",
        "importance",
        (n_features,),
        GATE_INITS[options.importance_init],
        l1=True,
        non_negative=True,
        feature_axis=0,
    )
    layers = [
        Layer("importance", "gate", "gate", None, "relu" if gate_relu(options.importance_init) else None, n_inputs)
    ]
    weights = [gate]
    width = n_inputs
    for block in range(options.hidden_layers):
        last = block == options.hidden_layers - 1
        kernel, bias = f"kernel_{block}", f"bias_{block}"
        layer = f"dense_{block}"
        weights.append(
            Weight(kernel, layer, (width, options.hidden_units), _GLOROT, l2=True, input_axis=0 if block == 0 else None)
        )
        weights.append(Weight(bias, layer, (options.hidden_units,), _ZEROS, l2=True))
        noise = 0.0 if last else options.noise_std
        layers.append(Layer(layer, "dense", kernel, bias, "relu", options.hidden_units, noise, options.dropout))
        width = options.hidden_units
    weights.append(Weight("kernel_out", "heads", (width, n_outputs), _GLOROT))
    weights.append(Weight("bias_out", "heads", (n_outputs,), _ZEROS))
    layers.append(Layer("heads", "dense", "kernel_out", "bias_out", output_activation, n_outputs))
    blocks = None if blocks is None else tuple(int(b) for b in blocks)
    return NetworkSpec(tuple(layers), tuple(weights), float(options.l2), float(options.gate_l1), blocks)
