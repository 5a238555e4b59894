"""Train many importance networks at once: weights stacked along a leading model axis.

Every model keeps its own initialisation, training/validation rows, batch order, dropout and
noise draws, Adam state and early stopping. Each of its random draws comes from its own
generators (:func:`deepfeat.training.model_streams`), so a model trains the same in any group.
Adam is elementwise, so Adam over the stacked weights is exactly one Adam per model. A model
that has stopped keeps its best-epoch weights, history and counters unchanged; whatever the
shared update still does to its current weights is discarded, and once a quarter of the stack
has stopped the stopped models are dropped from it.

A whole epoch (every mini-batch step and the validation pass) is one graph call, and the graph
leaves the number of models open, so it is traced once per trainer however the stack shrinks.
The network's layers, weights and penalties all come from :func:`deepfeat.network.network_spec`.

The variables are only ever read whole (a gather or scatter on a variable itself would put it in
TensorFlow's copy-on-read mode for good, after which every read copies it: on a wide stack that
made each later epoch 25 % slower and took 180 MB more), and handed to NumPy without copies.
"""

import functools
import math
from dataclasses import dataclass

import numpy as np
import tensorflow as tf

from .layers import encode
from .network import network_spec
from .training import ALIGNMENT, GroupResult, model_streams

__all__ = [
    "BETA_1",
    "BETA_2",
    "EPSILON",
    "RandomLayout",
    "StackedTrainer",
    "bytes_per_model",
    "epoch_words",
    "forward",
    "predict_outputs",
]

# keras.optimizers.Adam's defaults, as the float32 numbers the fused kernel computes with.
BETA_1, BETA_2, EPSILON = float(np.float32(0.9)), float(np.float32(0.999)), 1e-7
_BYTES = 4  # float32
# Validation rows per model in one graph-loop iteration: a few batches, capped in elements.
_VALIDATION_ELEMENTS = 2**16
# (model, row, unit) elements of one prediction call, so that its activations stay small,
# and the weights (of all models) converted for one group of prediction calls.
_INFERENCE_ELEMENTS = 2**22
_INFERENCE_PARAMS = 2**24
# float32 lanes of the widest vector unit (AVX-512); see _aligned.
_LANES = 16


def _aligned(fn, x):
    """The elementwise ``fn`` of ``x`` (model axis first), with each model's values on whole vectors.

    On a CPU, a vectorised transcendental (exp, log, cos) and the scalar loop that finishes a
    tensor round differently, so where a model's block of values falls in the stack would
    change them by an ulp, and a model's training would depend on the other models (or the
    order of the rows). Padding every model's block to whole vectors keeps all of them on the
    vector path.
    """
    shape = tf.shape(x)
    flat = tf.reshape(x, [shape[0], -1])
    n = tf.shape(flat)[1]
    padded = tf.pad(flat, [[0, 0], [0, (-n) % _LANES]])
    return tf.reshape(fn(padded)[:, :n], shape)


_ACTIVATIONS = {None: tf.identity, "relu": tf.nn.relu, "sigmoid": lambda h: _aligned(tf.sigmoid, h)}


# --- random draws: 32-bit words from each model's own generator ------------------------------


@dataclass(frozen=True)
class RandomLayout:
    """Where a training row's noise and dropout draws lie among its random 32-bit words.

    Attributes
    ----------
    parts : dict of str to dict of str to (int, int)
        For each layer with noise or dropout, the ``(start, stop)`` of its ``"noise"`` and
        ``"dropout"`` words.
    words_per_row : int
    """

    parts: dict
    words_per_row: int

    @classmethod
    def of(cls, spec):
        parts, offset = {}, 0
        for layer in spec.layers:
            for kind, words in (("noise", _noise_words(layer)), ("dropout", _dropout_words(layer))):
                if words:
                    parts.setdefault(layer.name, {})[kind] = (offset, offset + words)
                    offset += words
        return cls(parts, offset)


def _noise_words(layer):
    return -(-layer.units // 2) if layer.noise_std > 0 else 0  # one word per pair of normal draws


def _dropout_bits(rate):
    """Bits per unit: the fewest of 1, 2, 4, 8 that hold ``rate * 2**bits`` exactly, else 16."""
    return next((k for k in (1, 2, 4, 8) if (rate * 2**k).is_integer()), 16)


def _dropout_words(layer):
    if layer.dropout <= 0:
        return 0
    return -(-layer.units * _dropout_bits(layer.dropout) // 32)


def epoch_words(generators, n_rows, words_per_row):
    """Each model's random words for an epoch of ``n_rows`` training rows, shape (models, rows, words).

    The words are the generator's raw 64-bit output read as little-endian 32-bit halves (the
    fastest way NumPy has to draw them, and the same on every machine). A model whose generator
    is None (it has stopped) gets zeros and draws nothing.
    """
    words = np.zeros((len(generators), n_rows, words_per_row), dtype=np.uint32)
    count = n_rows * words_per_row
    if count:
        for row, generator in enumerate(generators):
            if generator is not None:
                raw = np.asarray(generator.bit_generator.random_raw(-(-count // 2)), dtype="<u8")
                words[row] = raw.view("<u4")[:count].reshape(n_rows, words_per_row)
    return words.view(np.int32)


def _fields(words, bits):
    """The ``bits``-bit fields (8 or 16) of int32 ``words``, low bits first, as int32 along the last axis."""
    shifts = tf.constant(np.arange(0, 32, bits, dtype=np.int32))
    fields = tf.bitwise.bitwise_and(tf.bitwise.right_shift(words[..., None], shifts), 2**bits - 1)
    return tf.reshape(fields, tf.concat([tf.shape(words)[:-1], [-1]], 0))


def _normal(words, width, std):
    """Normal draws with mean 0 and deviation ``std`` for ``width`` units, two per word, by Box-Muller.

    A word's high 16 bits give the radius ``std * sqrt(-2 log u)`` with ``u`` in (0, 1) on a
    grid of 2**-16 (the tails reach 4.9 deviations), its low 16 bits the angle.
    """
    high = tf.bitwise.right_shift(words, 16) & 0xFFFF
    low = words & 0xFFFF
    u = (tf.cast(high, tf.float32) + 0.5) * (1.0 / 2**16)
    radius = tf.sqrt(_aligned(tf.math.log, u) * (-2.0 * std**2))
    angle = tf.cast(low, tf.float32) * (2.0 * math.pi / 2**16)
    normal = tf.concat([radius * _aligned(tf.cos, angle), radius * _aligned(tf.sin, angle)], axis=-1)
    return normal[..., :width]


def _dropout_factors(words, width, rate):
    """Inverted-dropout factors for ``width`` units: 0 with probability ``rate``, else ``1 / (1 - rate)``.

    A unit is kept when its k-bit field reaches ``rate * 2**k`` (see :func:`_dropout_bits`;
    other rates are resolved to 1/65536); the factors of each byte's (or 16 bits') fields are
    read from a table.
    """
    bits = _dropout_bits(rate)
    unit = 16 if bits == 16 else 8
    fields = _fields(words, unit)
    factors = tf.gather(tf.constant(_dropout_table(rate, bits, unit)), fields)
    factors = tf.reshape(factors, tf.concat([tf.shape(fields)[:-1], [-1]], 0))
    return factors[..., :width]


@functools.cache
def _dropout_table(rate, bits, unit):
    """Dropout factors of the ``unit // bits`` fields of each ``unit``-bit value."""
    values = np.arange(2**unit)[:, None] >> (bits * np.arange(unit // bits))
    threshold = min(round(rate * 2**bits), 2**bits - 1)
    return np.where(values % 2**bits >= threshold, 1.0 / (1.0 - rate), 0.0).astype(np.float32)


# --- the network ------------------------------------------------------------------------------


def forward(params, x, spec, words=None, layout=None):
    """Outputs of stacked models; ``words`` (with their ``layout``) given means training mode.

    ``x`` has shape (n_models, batch, n_inputs) and is already encoded; ``words`` holds
    each row's random words, shape (n_models, batch, layout.words_per_row).
    """
    h = x
    for layer in spec.layers:
        if layer.kind == "gate":
            gates = params[layer.kernel]
            h = _times_rows(h, gates if spec.blocks is None else tf.gather(gates, spec.blocks, axis=1))
        else:
            h = _plus_rows(_product(h, params[layer.kernel]), params[layer.bias])
        h = _ACTIVATIONS[layer.activation](h)
        if words is not None and layer.name in layout.parts:
            parts = layout.parts[layer.name]
            if "noise" in parts:
                start, stop = parts["noise"]
                h = h + _normal(words[..., start:stop], layer.units, layer.noise_std)
            if "dropout" in parts:
                start, stop = parts["dropout"]
                h = h * _dropout_factors(words[..., start:stop], layer.units, layer.dropout)
    return h


def sum_rows(t):
    """``t`` of shape (models, rows, k) summed over the rows, as a product with a row of ones.

    Unlike ``reduce_sum``, whose order of summation changes with the number of models for
    some widths, this gives each model the same sum in any stack.
    """
    ones = tf.ones(tf.stack([tf.shape(t)[0], 1, tf.shape(t)[1]]), t.dtype)
    return _product(ones, t)[:, 0, :]


def _matmul(a, b, adjoint_a=False, adjoint_b=False):
    """``tf.matmul`` of stacked models, never over a stack of one.

    TensorFlow multiplies a batch of one matrix with a kernel of its own, and on some CPUs
    (AVX2 seen) that kernel rounds differently from the batched one, so a model trained alone
    would differ from itself trained among others. A lone model is multiplied beside a copy.
    """

    def twice():
        pair = tf.matmul(tf.concat([a, a], 0), tf.concat([b, b], 0), adjoint_a=adjoint_a, adjoint_b=adjoint_b)
        return pair[:1]

    return tf.cond(
        tf.equal(tf.shape(a)[0], 1), twice, lambda: tf.matmul(a, b, adjoint_a=adjoint_a, adjoint_b=adjoint_b)
    )


@tf.custom_gradient
def _product(a, b):
    """``a @ b`` of stacked models by :func:`_matmul`, forward and backward (TensorFlow's own gradient formulas)."""

    def gradient(upstream):
        return _matmul(upstream, b, adjoint_b=True), _matmul(a, upstream, adjoint_a=True)

    return _matmul(a, b), gradient


@tf.custom_gradient
def _times_rows(x, v):
    """``x * v[:, None, :]``, its gradient for ``v`` summed with :func:`sum_rows`."""

    def gradient(upstream):
        return upstream * v[:, None, :], sum_rows(upstream * x)

    return x * v[:, None, :], gradient


@tf.custom_gradient
def _plus_rows(x, v):
    """``x + v[:, None, :]``, its gradient for ``v`` summed with :func:`sum_rows`."""

    def gradient(upstream):
        return upstream, sum_rows(upstream)

    return x + v[:, None, :], gradient


def bytes_per_model(spec, n_val, batch_size, n_train):
    """Rough peak memory one model adds to a stack while training, in bytes.

    Weights are held six times (value, gradient, two Adam moments, best-epoch snapshot,
    update temporaries); a training step holds the gathered batch, the random draws and the
    activations for backprop; a validation chunk holds its rows' inputs and activations; the
    epoch's random words are made on the host and copied once.
    """
    n_features, n_outputs = spec.n_inputs, spec.layers[-1].units
    hidden = sum(layer.units for layer in spec.layers[1:-1])
    step = batch_size * (6 * n_features + 10 * hidden + 6 * n_outputs)
    val_rows = min(n_val, _validation_rows(spec, batch_size))
    validation = val_rows * (3 * n_features + 2 * hidden + 6 * n_outputs)
    words = 2 * n_train * RandomLayout.of(spec).words_per_row
    return _BYTES * (6 * spec.n_params + step + validation + words)


def predict_outputs(params, encoding, X, spec):
    """Each model's outputs for the rows of ``X`` (already row-normalised if needed), encoded by ``encoding``.

    Models and rows go through in chunks whose sizes depend on the network alone, so that
    memory stays bounded and a model's outputs do not depend on how many models there are.
    Returns an array of shape (n_models, n_samples, n_outputs).
    """
    X = np.asarray(X)
    n_models, n_outputs = len(encoding.shift), spec.layers[-1].units
    models = max(1, _INFERENCE_PARAMS // spec.n_params)
    rows = max(1, _INFERENCE_ELEMENTS // (models * max(layer.units for layer in spec.layers)))
    predict = _predictor(spec, encoding.layout)
    outputs = np.empty((n_models, len(X), n_outputs), dtype=np.float32)
    for first in range(0, n_models, models):
        group = slice(first, first + models)
        tensors = {name: tf.constant(value[group]) for name, value in params.items()}
        group_encoding = {name: tf.constant(value[group]) for name, value in encoding.params.items()}
        for start in range(0, len(X), rows):
            n_rows = min(rows, len(X) - start)
            # Whole blocks of rows: a CPU's matrix kernel may round the rows of a last, partial
            # block differently (AVX2 seen), which would tie a row's outputs to its position.
            # Converted to float32 chunk by chunk: no float32 copy of the whole table.
            padded = np.zeros((1, n_rows + -n_rows % _LANES, X.shape[1]), dtype=np.float32)
            padded[0, :n_rows] = X[start : start + n_rows]
            outputs[group, start : start + n_rows] = predict(tensors, group_encoding, padded)[:, :n_rows].numpy()
    return outputs


@functools.lru_cache(maxsize=8)
def _predictor(spec, layout):
    """The compiled encoding and forward pass of ``spec``, traced once for any number of models and rows."""
    signature = [
        {w.name: tf.TensorSpec([None, *w.shape], tf.float32) for w in spec.weights},
        {name: tf.TensorSpec([None, *shape], tf.float32) for name, shape in layout.param_shapes().items()},
        tf.TensorSpec([1, None, layout.n_attributes], tf.float32),
    ]

    def predict(params, encoding, x):  # x, one copy of the rows for every model, broadcasts over the models
        return forward(params, encode(x, encoding, layout), spec)

    return tf.function(predict, input_signature=signature, autograph=False)


@tf.custom_gradient
def _sum_of_squares(weights):
    """Each model's sum of squared weights: one pass over the weights, and one for the gradient."""
    total = tf.square(tf.math.reduce_euclidean_norm(weights, axis=list(range(1, len(weights.shape)))))

    def gradient(upstream):
        return weights * tf.reshape(2.0 * upstream, [-1] + [1] * (len(weights.shape) - 1))

    return total, gradient


def _validation_rows(spec, batch_size):
    """Validation rows per model in one iteration of the validation loop."""
    return max(batch_size, _VALIDATION_ELEMENTS // max(layer.units for layer in spec.layers))


def _fold(fn, index, size, initial, words=None):
    """``fn(total, chunk, chunk_words)`` over consecutive ``size``-column chunks of ``index``.

    The last chunk may be shorter; ``words`` (rows along axis 1, like ``index``) is chunked
    alike. One graph loop, one iteration at a time: training steps update the weights in order.
    """
    n_chunks = (tf.shape(index)[1] + size - 1) // size

    def body(i, total):
        columns = slice(i * size, (i + 1) * size)
        return i + 1, fn(total, index[:, columns], None if words is None else words[:, columns])

    return tf.while_loop(lambda i, _: i < n_chunks, body, (tf.constant(0), initial), parallel_iterations=1)[1]


# --- training ---------------------------------------------------------------------------------


class StackedTrainer:
    """Train groups of models of one network on one dataset, each group in one computation.

    Parameters
    ----------
    data : deepfeat.training.TrainingData
    options : deepfeat.settings.TrainingOptions
        The network and the training settings, with Keras's meaning
        (``EarlyStopping(restore_best_weights=True)``).
    task : deepfeat.tasks.Task
    """

    def __init__(self, data, options, task):
        self.X = _shared_tensor(data.X)  # the table once, not a copy per trainer
        self.Y = tf.constant(data.Y)
        self.input_layout = data.layout
        self.options = options
        self.task = task
        self.spec = network_spec(data.X.shape[1], data.Y.shape[1], options, task.output_activation, data.layout.blocks)
        self.layout = RandomLayout.of(self.spec)
        self.stack = _Stack(self)

    def train(self, group, hooks):
        """Train the models of ``group`` (a :class:`~deepfeat.training.GroupTask`).

        ``hooks.resume(group)`` may give the state saved by an interrupted call, and training
        continues from the end of that state's epoch; ``hooks.epoch_end`` is called after every
        epoch with a function returning the complete state.
        """
        streams = [model_streams(seed) for seed in group.seeds]
        shuffles = [shuffle for _, shuffle, _ in streams]
        noises = [noise for _, _, noise in streams]
        state = hooks.resume(group)
        if state is None:  # the initial weights live only until the stack has them
            run = _Run.start(self.stack, self._initial_weights(streams), group)
        else:
            run = _Run.restore(self.stack, state, group)
            for generator, saved in zip(shuffles + noises, state["shuffle_states"] + state["noise_states"]):
                generator.bit_generator.state = saved
        n_train = group.train_index.shape[1]
        for epoch in range(run.epoch, self.options.max_epochs):
            if not run.active.any():
                break
            held = run.held
            live = run.active[held]
            order = np.stack(
                [
                    group.train_index[p][shuffles[p].permutation(n_train) if on else slice(None)]
                    for p, on in zip(held, live)
                ]
            )
            words = epoch_words(
                [noises[p] if on else None for p, on in zip(held, live)], n_train, self.layout.words_per_row
            )
            train_loss, val_loss = self.stack.epoch(order, group.val_index[held], words)
            run.end_epoch(epoch, train_loss, val_loss, self.options.patience)
            hooks.epoch_end(group, epoch + 1, int(run.active.sum()), lambda: run.state(shuffles, noises))
        best = run.finish()
        self.stack.release()
        return GroupResult(tuple(group.models), best, run.history)

    def _initial_weights(self, streams):
        """Each model's initial weights, stacked, drawn from its own stream."""
        params = {w.name: np.empty((len(streams), *w.shape), dtype=np.float32) for w in self.spec.weights}
        for position, (init, _, _) in enumerate(streams):  # straight into the stack: no second copy
            for name, value in self.spec.initial_weights(init).items():
                params[name][position] = value
        return params


class _Run:
    """The loop state of one group's training, savable at an epoch boundary.

    Arrays of the group (``best``, ``history``, ``wait``, ``active``) are indexed by a model's
    position in the group; ``held`` lists the positions of the models in the stack's rows.
    """

    def __init__(self, stack, held, best, history, wait, active, epoch):
        self.stack, self.held, self.best, self.history = stack, held, best, history
        self.wait, self.active, self.epoch = wait, active, epoch

    @classmethod
    def start(cls, stack, params, group):
        n_models = len(group.seeds)
        history = {
            "best_epoch": np.zeros(n_models, dtype=np.int64),
            "epochs_run": np.zeros(n_models, dtype=np.int64),
            "train_loss": np.full(n_models, np.nan),
            "val_loss": np.full(n_models, np.inf),
        }
        stack.load(params, _scalings(group, slice(None)), _target_rows(group, range(n_models)))
        best = {
            name: np.empty(np.shape(value), dtype=np.float32) for name, value in params.items()
        }  # filled as models finish
        return cls(
            stack,
            np.arange(n_models),
            best,
            history,
            np.zeros(n_models, dtype=np.int64),
            np.ones(n_models, dtype=bool),
            0,
        )

    @classmethod
    def restore(cls, stack, state, group):
        held = np.asarray(state["held"])
        stack.load(
            state["params"],
            _scalings(group, held),
            _target_rows(group, held),
            adam=state["adam"],
            step=int(state["step"]),
            best=state["stack_best"],
        )
        best = {k: np.array(v) for k, v in state["best"].items()}
        history = {k: np.array(v) for k, v in state["history"].items()}
        active = np.array(state["active"], dtype=bool)
        return cls(stack, held, best, history, np.array(state["wait"]), active, int(state["epoch"]))

    def end_epoch(self, epoch, train_loss, val_loss, patience):
        held, history = self.held, self.history
        trained = self.active[held]  # a stopped model still in the stack changes nothing any more
        history["epochs_run"][held[trained]] = epoch + 1
        # Keras's EarlyStopping: improvement is a strictly lower validation loss.
        improved = trained & (val_loss < history["val_loss"][held])
        self.stack.snapshot(improved)
        for key, value in (("val_loss", val_loss), ("train_loss", train_loss)):
            history[key][held[improved]] = value[improved]
        history["best_epoch"][held[improved]] = epoch
        self.wait[held] = np.where(improved, 0, self.wait[held] + 1)
        stopping = trained & (self.wait[held] >= patience) & (epoch > 0) & ~improved
        self.active[held[stopping]] = False
        self.epoch = epoch + 1
        still = self.active[held]
        if still.any() and 4 * still.sum() <= 3 * len(held):
            # Once a quarter of the stack has stopped, drop those models (keeping their best
            # weights): copying the stack costs about one epoch, computing for them costs every epoch.
            _store(self.best, held[~still], self.stack.best_weights(~still))
            self.stack.keep(still)
            self.held = held[still]

    def finish(self):
        weights = self.stack.best_weights(np.ones(len(self.held), dtype=bool))
        if len(self.held) == len(self.wait):  # no model left the stack early: its arrays are the result
            self.best = weights
        else:
            _store(self.best, self.held, weights)
        return self.best

    def state(self, shuffles, noises):
        stack = self.stack
        return {
            "epoch": self.epoch,
            "held": self.held.copy(),
            "params": {k: _host(v) for k, v in stack.vars.items()},
            "adam": {k: (_host(stack.m[k]), _host(stack.v[k])) for k in stack.names},
            "step": int(stack.step.numpy()),
            "stack_best": {k: _host(v) for k, v in stack.best.items()},
            "best": {k: v.copy() for k, v in self.best.items()},
            "history": {k: v.copy() for k, v in self.history.items()},
            "wait": self.wait.copy(),
            "active": self.active.copy(),
            "shuffle_states": [generator.bit_generator.state for generator in shuffles],
            "noise_states": [generator.bit_generator.state for generator in noises],
        }


def _scalings(group, models):
    """The input encodings and target scalings of some models of ``group``, in the order the stack holds them."""
    encoding = {name: value[models] for name, value in group.encoding.items()}
    return encoding, group.target_shift[models], group.target_scale[models]


def _target_rows(group, positions):
    """The row whose target each of some models of ``group`` learns, for every row of the data."""
    return np.stack([group.target_rows(p) for p in positions]).astype(np.int32)


def _host(variable):
    """The value of ``variable`` as a read-only NumPy array that shares its buffer: no copy.

    ``Variable.numpy()`` copies, which for a wide stack is a second copy of its largest weight.
    The value read keeps the buffer alive, and TensorFlow copies a shared buffer before an update
    writes to it, so the array keeps the values it was read with.
    """
    return np.asarray(variable.read_value())


def _shared_tensor(array):
    """``array`` as a constant tensor that shares its memory where TensorFlow allows, else a copy.

    TensorFlow's kernels need their inputs on 64-byte boundaries: a C-contiguous array there (as
    :meth:`deepfeat.training.TrainingData.of` makes them) is taken as it is, if writeable (NumPy
    exports no read-only array, e.g. a memory-mapped one, through DLPack).
    """
    if array.flags.c_contiguous and array.flags.writeable and array.ctypes.data % ALIGNMENT == 0:
        return tf.experimental.dlpack.from_dlpack(array.__dlpack__())
    return tf.constant(array)


def _store(best, positions, weights):
    for name, value in weights.items():
        best[name][positions] = value


def _variable(shape, trainable=True):
    """A float32 variable whose model axis (the first) may change size, starting with one model."""
    return tf.Variable(tf.zeros([1, *shape]), trainable=trainable, shape=tf.TensorShape([None, *shape]))


class _Stack:
    """The weights, Adam state and compiled epoch of the models currently trained together.

    The variables leave the model axis open: loading a new group or dropping stopped models
    assigns new values to the same variables, and the compiled epoch serves them all.
    """

    def __init__(self, trainer):
        self.trainer = trainer
        spec = trainer.spec
        self.names = [w.name for w in spec.weights]
        self.vars = {w.name: _variable(w.shape) for w in spec.weights}
        self.best = {w.name: _variable(w.shape, trainable=False) for w in spec.weights}
        self.m = {w.name: _variable(w.shape, trainable=False) for w in spec.weights}
        self.v = {w.name: _variable(w.shape, trainable=False) for w in spec.weights}
        n_outputs = spec.layers[-1].units
        self.encoding = {
            name: _variable(shape, trainable=False) for name, shape in trainer.input_layout.param_shapes().items()
        }
        self.target_shift = _variable((1, n_outputs), trainable=False)
        self.target_scale = _variable((1, n_outputs), trainable=False)
        n_rows = int(trainer.Y.shape[0])
        self.target_rows = tf.Variable(
            tf.zeros([1, n_rows], tf.int32), trainable=False, shape=tf.TensorShape([None, n_rows])
        )
        self.step = tf.Variable(0, dtype=tf.int64, trainable=False)
        rows = tf.TensorSpec([None, None], tf.int32)
        words = tf.TensorSpec([None, None, trainer.layout.words_per_row], tf.int32)
        self._epoch = tf.function(self._epoch_fn, input_signature=[rows, rows, words], autograph=False)
        self._snapshot = tf.function(
            self._snapshot_fn, input_signature=[tf.TensorSpec([None], tf.bool)], autograph=False
        )
        self._snapshot_all = tf.function(self._snapshot_all_fn, autograph=False)

    def load(self, params, scalings, target_rows, adam=None, step=0, best=None):
        """Start (or resume) training the models whose weights are stacked in ``params``.

        ``scalings`` are their input encodings and target scalings ``(encoding, target_shift,
        target_scale)``, ``target_rows`` for each row of the data the row whose target they learn.
        """
        for k in self.names:  # values made in TensorFlow where they can be: no host copies of the stack
            self.vars[k].assign(np.asarray(params[k], dtype=np.float32))
            self.best[k].assign(self.vars[k] if best is None else np.asarray(best[k], dtype=np.float32))
            for variable, moment in zip((self.m[k], self.v[k]), (None, None) if adam is None else adam[k]):
                variable.assign(tf.zeros_like(self.vars[k]) if moment is None else np.asarray(moment, dtype=np.float32))
        encoding, target_shift, target_scale = scalings
        for name, variable in self.encoding.items():
            variable.assign(np.asarray(encoding[name], dtype=np.float32))
        for variable, value in ((self.target_shift, target_shift), (self.target_scale, target_scale)):
            variable.assign(np.asarray(value, dtype=np.float32)[:, None, :])
        self.target_rows.assign(target_rows)
        self.step.assign(step)

    # --- compiled pieces -------------------------------------------------------------
    def _inputs(self, index):
        x = encode(tf.gather(self.trainer.X, index), self.encoding, self.trainer.input_layout)
        y = tf.gather(self.trainer.Y, tf.gather(self.target_rows, index, batch_dims=1))
        return x, (y - self.target_shift) / self.target_scale

    def _penalty(self):
        """Each model's weight penalties, added to its training and validation losses (and differentiated)."""
        spec = self.trainer.spec
        total = tf.zeros_like(self.vars[spec.weights[0].name][:, 0])
        squared = [_sum_of_squares(self.vars[w.name]) for w in spec.weights if w.l2]
        if spec.l2 > 0 and squared:
            total += spec.l2 * tf.add_n(squared)
        absolute = [
            tf.reduce_sum(tf.abs(self.vars[w.name]), axis=list(range(1, 1 + len(w.shape))))
            for w in spec.weights
            if w.l1
        ]
        if spec.l1 > 0 and absolute:
            total += spec.l1 * tf.add_n(absolute)
        return total

    def _epoch_fn(self, order, val_index, words):
        trainer, spec, task = self.trainer, self.trainer.spec, self.trainer.task
        n_models = tf.shape(order)[0]

        def train_step(total, index, step_words):
            x, y = self._inputs(index)
            with tf.GradientTape() as tape:
                p = forward(self.vars, x, spec, step_words, trainer.layout)
                loss = task.loss(task.batch_statistics(y, p, sum_rows)) + self._penalty()
                total_loss = tf.reduce_sum(loss)  # models share no weights, so each gets its own gradient
            self._adam(tape.gradient(total_loss, [self.vars[k] for k in self.names]))
            return total + loss * tf.cast(tf.shape(index)[1], tf.float32)

        def validation_statistics(statistics, index, _):
            x, y = self._inputs(index)
            new = task.batch_statistics(y, forward(self.vars, x, spec), sum_rows)
            return tuple(a + b for a, b in zip(statistics, new))

        train_loss = _fold(train_step, order, trainer.options.batch_size, tf.zeros([n_models]), words)
        train_loss /= tf.cast(tf.shape(order)[1], tf.float32)
        # Validation: the loss over each model's whole split, plus the penalties (as Keras reports).
        rows = _validation_rows(spec, trainer.options.batch_size)
        zeros = tf.zeros([n_models, int(trainer.Y.shape[1])])
        statistics = _fold(validation_statistics, val_index, rows, (zeros,) * task.n_statistics)
        return train_loss, task.loss(statistics) + self._penalty()

    def _adam(self, grads):
        """One step of Keras's Adam, as TensorFlow's fused kernel (one pass over each weight).

        The kernel forms ``1 - beta`` in float32, Keras in float64: with the betas given as
        float32 numbers (:data:`BETA_1`, :data:`BETA_2`) both compute the same steps.
        """
        self.step.assign_add(1)
        t = tf.cast(self.step, tf.float32)
        settings = {"beta1_power": BETA_1**t, "beta2_power": BETA_2**t, "lr": self.trainer.options.learning_rate}
        settings.update(beta1=BETA_1, beta2=BETA_2, epsilon=EPSILON)
        settings = {name: tf.cast(value, tf.float32) for name, value in settings.items()}
        for name, grad in zip(self.names, grads):
            tf.raw_ops.ResourceApplyAdam(
                var=self.vars[name].handle, m=self.m[name].handle, v=self.v[name].handle, grad=grad, **settings
            )
        for weight in self.trainer.spec.weights:
            if weight.non_negative:  # keras.constraints.NonNeg
                variable = self.vars[weight.name]
                variable.assign(variable * tf.cast(variable >= 0.0, variable.dtype))

    def _snapshot_fn(self, improved):
        for name in self.names:
            mask = tf.reshape(improved, [-1] + [1] * (self.vars[name].shape.rank - 1))
            self.best[name].assign(tf.where(mask, self.vars[name], self.best[name]))

    def _snapshot_all_fn(self):
        for name in self.names:
            self.best[name].assign(self.vars[name])

    # --- per-epoch driving -----------------------------------------------------------
    def epoch(self, order, val_index, words):
        """One pass over each model's training rows in the given order, then validation.

        Returns each model's mean batch loss and its validation loss.
        """
        train_loss, val_loss = self._epoch(
            tf.constant(order, dtype=tf.int32), tf.constant(val_index, dtype=tf.int32), tf.constant(words)
        )
        return train_loss.numpy().astype(np.float64), val_loss.numpy().astype(np.float64)

    def snapshot(self, improved):
        """Copy the current weights of the improved models (a boolean mask) into their best-epoch weights."""
        if improved.all():  # common while the models still learn; a plain copy is cheapest
            self._snapshot_all()
        elif improved.any():
            self._snapshot(tf.constant(improved))

    def best_weights(self, rows):
        """The best-epoch weights of the models in ``rows`` (a boolean mask), as NumPy arrays."""
        weights = {name: _host(self.best[name]) for name in self.names}
        return weights if rows.all() else {name: value[rows] for name, value in weights.items()}

    def keep(self, rows):
        """Drop the models not in ``rows`` (a boolean mask) from the stack, with their Adam state."""
        index = tf.constant(np.flatnonzero(rows), dtype=tf.int32)
        for variable in self._model_variables():
            variable.assign(tf.gather(variable.read_value(), index))  # read whole: see the module's text

    def release(self):
        """Drop every model, so that a trainer kept between groups holds no weights."""
        for variable in self._model_variables():
            variable.assign(tf.zeros([0, *variable.shape[1:]], variable.dtype))

    def _model_variables(self):
        return [
            *self.vars.values(),
            *self.best.values(),
            *self.m.values(),
            *self.v.values(),
            *self.encoding.values(),
            self.target_shift,
            self.target_scale,
            self.target_rows,
        ]
