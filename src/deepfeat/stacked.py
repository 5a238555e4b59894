"""Train many importance networks at once: weights stacked along a leading model axis.

Every model keeps its own initialisation, training/validation rows, batch order, dropout and
noise draws, Adam state and early stopping. Adam is elementwise, so Adam over the stacked
weights is exactly one Adam per model. A model that has stopped keeps its best-epoch weights,
history and counters unchanged; whatever the shared update still does to its current weights is
discarded, and once a quarter of the stack has stopped the stopped models are dropped from it.

A whole epoch (every mini-batch step and the validation pass) is one graph call, and the graph
leaves the number of models open, so it is traced once per trainer however the stack shrinks.
"""

import functools
import math

import numpy as np
import tensorflow as tf

from .model import soft_confusion, soft_f1_cost

_BETA_1, _BETA_2, _EPSILON = 0.9, 0.999, 1e-7  # keras.optimizers.Adam defaults
_BYTES = 4  # float32
# Validation rows per model in one graph-loop iteration: a few batches, capped in elements.
_VALIDATION_ELEMENTS = 2**16
# (model, row, unit) elements of one prediction call, so that its activations stay small,
# and the weights (of all models) converted for one group of prediction calls.
_INFERENCE_ELEMENTS = 2**22
_INFERENCE_PARAMS = 2**24


def parameter_shapes(n_features, n_classes, architecture):
    """Names and per-model shapes of a network's trainable weights, in Keras layer order."""
    shapes = {"gate": (n_features,)}
    width_in = n_features
    for block in range(architecture.n_blocks):
        shapes[f"kernel_{block}"] = (width_in, architecture.hidden_units)
        shapes[f"bias_{block}"] = (architecture.hidden_units,)
        width_in = architecture.hidden_units
    shapes["kernel_out"] = (width_in, n_classes)
    shapes["bias_out"] = (n_classes,)
    return shapes


def bytes_per_model(n_features, n_classes, n_val, architecture, batch_size):
    """Rough peak memory one model adds to a stack while training, in bytes.

    Weights are held six times (value, gradient, two Adam moments, best-epoch snapshot,
    update temporaries); a training step holds the gathered batch, the random draws and the
    activations for backprop; a validation chunk holds its rows' inputs and activations.
    """
    n_params = sum(math.prod(s) for s in parameter_shapes(n_features, n_classes, architecture).values())
    hidden = architecture.n_blocks * architecture.hidden_units
    step = batch_size * (6 * n_features + 10 * hidden + 6 * n_classes)
    val_rows = min(n_val, _validation_rows(n_features, architecture, batch_size))
    validation = val_rows * (3 * n_features + 2 * hidden + 6 * n_classes)
    return _BYTES * (6 * n_params + step + validation)


def forward(params, x, architecture, generator=None):
    """Class probabilities of stacked models; ``generator`` given means training mode.

    ``x`` has shape (n_models, batch, n_features) and is already normalised.
    """
    n_blocks, width = architecture.n_blocks, architecture.hidden_units
    noise = factors = None
    if generator is not None:
        # All of the step's random draws at once: fewer, larger kernels.
        leading = tf.shape(x)[:-1]
        if architecture.noise_std > 0 and n_blocks > 1:
            noise = _normal(generator, tf.concat([[n_blocks - 1], leading], 0), width, architecture.noise_std)
        if architecture.dropout > 0:
            factors = _dropout_factors(generator, tf.concat([[n_blocks], leading], 0), width, architecture.dropout)
    h = x * params["gate"][:, None, :]
    if architecture.gate_relu:
        h = tf.nn.relu(h)
    for block in range(n_blocks):
        h = tf.nn.relu(tf.matmul(h, params[f"kernel_{block}"]) + params[f"bias_{block}"][:, None, :])
        if noise is not None and block < n_blocks - 1:
            h = h + noise[block]
        if factors is not None:
            h = h * factors[block]
    return tf.sigmoid(tf.matmul(h, params["kernel_out"]) + params["bias_out"][:, None, :])


def _normal(generator, leading, width, std):
    """Normal draws with mean 0 and deviation ``std``, of shape ``leading + [width]``, by the Box-Muller transform.

    Each pair of draws is ``r * (cos a, sin a)``, the radius ``r`` from a float32 uniform as in
    ``generator.normal`` (the tails reach beyond 5 deviations), the angle ``a`` from 16 random
    bits (steps of 1e-4 radians). As vectorised tensor ops on three quarters of the random words,
    this is several times faster than ``generator.normal`` on a CPU.
    """
    pairs = -(-width // 2)
    # 1 - u lies in (0, 1], so the logarithm is finite.
    radius = tf.sqrt(tf.math.log(1.0 - generator.uniform(tf.concat([leading, [pairs]], 0))) * (-2.0 * std**2))
    angle = tf.cast(_random_fields(generator, leading, pairs, 16), tf.float32) * (2.0 * math.pi / 2**16)
    normal = tf.concat([radius * tf.cos(angle), radius * tf.sin(angle)], axis=-1)
    return normal if width == 2 * pairs else normal[..., :width]


def _dropout_factors(generator, leading, width, rate):
    """Inverted-dropout factors of shape ``leading + [width]``: 0 with probability ``rate``, else ``1 / (1 - rate)``.

    A unit is kept when a k-bit random field reaches ``rate * 2**k``, with k the fewest bits
    (of 1, 2, 4, 8) that hold that threshold exactly (one bit for the usual rate of 0.5), else
    16 bits: other rates are resolved to 1/65536. The factors of a byte's (or 16 bits') fields
    are read from a table.
    """
    bits = next((k for k in (1, 2, 4, 8) if (rate * 2**k).is_integer()), 16)
    unit = 16 if bits == 16 else 8
    per_unit = unit // bits
    n_units = -(-width // per_unit)
    factors = tf.gather(
        tf.constant(_dropout_table(rate, bits, unit)), _random_fields(generator, leading, n_units, unit)
    )
    factors = tf.reshape(factors, tf.concat([leading, [n_units * per_unit]], 0))
    return factors if n_units * per_unit == width else factors[..., :width]


def _random_fields(generator, leading, count, bits):
    """Uniform random integers in ``[0, 2**bits)`` (``bits`` 8 or 16) of shape ``leading + [count]``, as int32."""
    per_word = 32 // bits
    n_words = -(-count // per_word)
    words = generator.uniform_full_int(tf.concat([leading, [n_words]], 0), dtype=tf.int32)
    fields = tf.reshape(
        tf.bitcast(words, tf.uint8 if bits == 8 else tf.uint16), tf.concat([leading, [n_words * per_word]], 0)
    )
    return tf.cast(fields if n_words * per_word == count else fields[..., :count], tf.int32)


@functools.cache
def _dropout_table(rate, bits, unit):
    """Dropout factors of the ``unit // bits`` fields of each ``unit``-bit value."""
    values = np.arange(2**unit)[:, None] >> (bits * np.arange(unit // bits))
    threshold = min(round(rate * 2**bits), 2**bits - 1)
    return np.where(values % 2**bits >= threshold, 1.0 / (1.0 - rate), 0.0).astype(np.float32)


def predict_proba(params, shift, scale, X, architecture):
    """Each model's sigmoid outputs for the rows of ``X`` (already row-normalised if needed).

    Models and rows go through in chunks, so that memory stays bounded however many there are.
    Returns an array of shape (n_models, n_samples, n_classes).
    """
    X = np.asarray(X, dtype=np.float32)
    n_models, n_classes = len(shift), params["bias_out"].shape[1]
    n_params = sum(value[0].size for value in params.values())
    models = max(1, _INFERENCE_PARAMS // n_params)
    rows = max(1, _INFERENCE_ELEMENTS // (min(models, n_models) * max(X.shape[1], architecture.hidden_units)))
    proba = np.empty((n_models, len(X), n_classes), dtype=np.float32)
    for first in range(0, n_models, models):
        group = slice(first, first + models)
        tensors = {name: tf.constant(value[group]) for name, value in params.items()}
        group_shift, group_scale = tf.constant(shift[group])[:, None, :], tf.constant(scale[group])[:, None, :]
        for start in range(0, len(X), rows):
            chunk = tf.constant(X[start : start + rows])[None, :, :]
            proba[group, start : start + rows] = _predict_chunk(
                tensors, (chunk - group_shift) / group_scale, architecture
            ).numpy()
    return proba


@tf.function(reduce_retracing=True, autograph=False)
def _predict_chunk(params, x, architecture):
    return forward(params, x, architecture)


@tf.custom_gradient
def _sum_of_squares(weights):
    """Each model's sum of squared weights: one pass over the weights, and one for the gradient."""
    total = tf.square(tf.math.reduce_euclidean_norm(weights, axis=list(range(1, len(weights.shape)))))

    def gradient(upstream):
        return weights * tf.reshape(2.0 * upstream, [-1] + [1] * (len(weights.shape) - 1))

    return total, gradient


def _validation_rows(n_features, architecture, batch_size):
    """Validation rows per model in one iteration of the validation loop."""
    return max(batch_size, _VALIDATION_ELEMENTS // max(n_features, architecture.hidden_units))


def _fold(fn, index, size, initial):
    """``fn(total, chunk)`` over consecutive ``size``-column chunks of ``index`` (the last may be shorter).

    One graph loop, one iteration at a time: training steps update the weights in order.
    """
    n_chunks = (tf.shape(index)[1] + size - 1) // size

    def body(i, total):
        return i + 1, fn(total, index[:, i * size : (i + 1) * size])

    return tf.while_loop(lambda i, _: i < n_chunks, body, (tf.constant(0), initial), parallel_iterations=1)[1]


class StackedTrainer:
    """Train a group of models of one architecture on one dataset, all in one computation.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Data after the row step of the normalisation (see :class:`~deepfeat.preprocessing.InputScaling`).
    Y : ndarray of shape (n_samples, n_classes)
        One-hot labels.
    architecture : deepfeat.model.Architecture
    learning_rate, batch_size, max_epochs, patience
        Training settings, with Keras's meaning (``EarlyStopping(restore_best_weights=True)``).
    """

    def __init__(self, X, Y, architecture, *, learning_rate, batch_size, max_epochs, patience):
        self.X = tf.constant(np.asarray(X, dtype=np.float32))
        self.Y = tf.constant(np.asarray(Y, dtype=np.float32))
        self.architecture = architecture
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.patience = patience
        self._stack = None  # made at the first call, then reused by later calls (one trace)

    def train(
        self,
        params,
        shift,
        scale,
        train_index,
        val_index,
        shuffle_rngs,
        seed,
        progress=None,
        resume=None,
        checkpoint=None,
    ):
        """Train the models whose initial weights are stacked in ``params``.

        Parameters
        ----------
        params : dict of str to ndarray
            Initial weights, each with the model axis first (see :func:`parameter_shapes`).
        shift, scale : ndarray of shape (n_models, n_features)
            Per-model input normalisation.
        train_index, val_index : ndarray of shape (n_models, n_train) and (n_models, n_val)
            Each model's training and validation rows.
        shuffle_rngs : list of numpy.random.Generator
            One per model; each epoch draws that model's batch order with ``permutation``.
        seed : int
            Seed for the dropout and noise draws.
        progress : callable, optional
            Called after every epoch as ``progress(epoch, n_active)``.
        resume : dict, optional
            A state passed to ``checkpoint`` by an earlier, interrupted call with the same
            arguments; training continues from the end of that state's epoch.
        checkpoint : callable, optional
            Called after every epoch as ``checkpoint(get_state)``; ``get_state()`` returns the
            complete training state (a dict of arrays and plain values) for ``resume``. It is a
            function so that a caller checkpointing now and then copies nothing otherwise.

        Returns
        -------
        best_params : dict of str to ndarray
            The weights of each model's best epoch.
        history : dict of str to ndarray of shape (n_models,)
            ``best_epoch`` (0-based), ``epochs_run``, ``train_loss`` and ``val_loss`` at the best epoch.
        """
        if self._stack is None:
            self._stack = _Stack(self, params)
        run = (
            _Run.start(self._stack, params, shift, scale, seed)
            if resume is None
            else _Run.restore(self._stack, resume, shift, scale)
        )
        if resume is not None:
            for rng, state in zip(shuffle_rngs, resume["shuffle_states"]):
                rng.bit_generator.state = state
        n_train = train_index.shape[1]
        for epoch in range(run.epoch, self.max_epochs):
            if not run.active.any():
                break
            rows = run.rows
            order = np.stack([train_index[m][shuffle_rngs[m].permutation(n_train)] for m in rows])
            train_loss, val_loss = run.stack.epoch(order, val_index[rows])
            run.end_epoch(epoch, train_loss, val_loss, self.patience)
            if progress is not None:
                progress(epoch + 1, int(run.active.sum()))
            if checkpoint is not None:
                checkpoint(lambda: run.state(shuffle_rngs))
        if progress is not None and run.active.any():  # the epoch limit ended the others
            progress(int(run.history["epochs_run"].max()), 0)
        return run.finish(), run.history


class _Run:
    """The loop state of one :meth:`StackedTrainer.train` call, savable at an epoch boundary."""

    def __init__(self, stack, rows, best, history, wait, active, epoch):
        self.stack, self.rows, self.best, self.history = stack, rows, best, history
        self.wait, self.active, self.epoch = wait, active, epoch

    @classmethod
    def start(cls, stack, params, shift, scale, seed):
        n_models = len(shift)
        history = {
            "best_epoch": np.zeros(n_models, dtype=np.int64),
            "epochs_run": np.zeros(n_models, dtype=np.int64),
            "train_loss": np.full(n_models, np.nan),
            "val_loss": np.full(n_models, np.inf),
        }
        stack.load(params, shift, scale, seed)
        return cls(
            stack,
            np.arange(n_models),  # which model each row of the stack holds
            {
                name: np.empty(np.shape(value), dtype=np.float32) for name, value in params.items()
            },  # filled as models finish
            history,
            np.zeros(n_models, dtype=np.int64),
            np.ones(n_models, dtype=bool),
            0,
        )

    @classmethod
    def restore(cls, stack, state, shift, scale):
        rows = np.asarray(state["rows"])
        stack.load(
            state["params"],
            shift[rows],
            scale[rows],
            int(state["seed"]),
            adam=state["adam"],
            step=int(state["step"]),
            best=state["stack_best"],
        )
        stack.generator.reset(state["generator"])
        best = {k: np.array(v) for k, v in state["best"].items()}
        history = {k: np.array(v) for k, v in state["history"].items()}
        active = np.array(state["active"], dtype=bool)
        return cls(stack, rows, best, history, np.array(state["wait"]), active, int(state["epoch"]))

    def end_epoch(self, epoch, train_loss, val_loss, patience):
        rows, history = self.rows, self.history
        trained = self.active[rows]  # a stopped model still in the stack changes nothing any more
        history["epochs_run"][rows[trained]] = epoch + 1
        # Keras's EarlyStopping: improvement is a strictly lower validation loss.
        improved = trained & (val_loss < history["val_loss"][rows])
        self.stack.snapshot(improved)
        for key, value in (("val_loss", val_loss), ("train_loss", train_loss)):
            history[key][rows[improved]] = value[improved]
        history["best_epoch"][rows[improved]] = epoch
        self.wait[rows] = np.where(improved, 0, self.wait[rows] + 1)
        stopping = trained & (self.wait[rows] >= patience) & (epoch > 0) & ~improved
        self.active[rows[stopping]] = False
        self.epoch = epoch + 1
        still = self.active[rows]
        if still.any() and 4 * still.sum() <= 3 * len(rows):
            # Once a quarter of the stack has stopped, drop those models (keeping their best
            # weights): copying the stack costs about one epoch, computing for them costs every epoch.
            _store(self.best, rows[~still], self.stack.best_weights(~still))
            self.stack.keep(still)
            self.rows = rows[still]

    def finish(self):
        _store(self.best, self.rows, self.stack.best_weights(np.ones(len(self.rows), dtype=bool)))
        return self.best

    def state(self, shuffle_rngs):
        stack = self.stack
        return {
            "epoch": self.epoch,
            "rows": self.rows.copy(),
            "params": {k: v.numpy() for k, v in stack.vars.items()},
            "adam": {k: (stack.m[k].numpy(), stack.v[k].numpy()) for k in stack.names},
            "step": int(stack.step.numpy()),
            "seed": stack.seed,
            "generator": stack.generator.state.numpy(),
            "stack_best": {k: v.numpy() for k, v in stack.best.items()},
            "best": {k: v.copy() for k, v in self.best.items()},
            "history": {k: v.copy() for k, v in self.history.items()},
            "wait": self.wait.copy(),
            "active": self.active.copy(),
            "shuffle_states": [rng.bit_generator.state for rng in shuffle_rngs],
        }


def _store(best, rows, weights):
    for name, value in weights.items():
        best[name][rows] = value


def _variable(value, trainable=True):
    """A float32 variable whose model axis (the first) may change size."""
    value = np.asarray(value, dtype=np.float32)
    return tf.Variable(value, trainable=trainable, shape=tf.TensorShape([None, *value.shape[1:]]))


class _Stack:
    """The weights, Adam state and compiled epoch of the models currently trained together.

    The variables leave the model axis open: loading a new group or dropping stopped models
    assigns new values to the same variables, and the compiled epoch serves them all.
    """

    def __init__(self, trainer, params):
        self.trainer = trainer
        self.names = list(params)
        self.vars = {k: _variable(v) for k, v in params.items()}
        self.best = {k: _variable(v, trainable=False) for k, v in params.items()}
        self.m = {k: _variable(v, trainable=False) for k, v in params.items()}
        self.v = {k: _variable(v, trainable=False) for k, v in params.items()}
        n_features = int(trainer.X.shape[1])
        self.shift = _variable(np.zeros((1, 1, n_features)), trainable=False)
        self.scale = _variable(np.ones((1, 1, n_features)), trainable=False)
        self.step = tf.Variable(0, dtype=tf.int64, trainable=False)
        self.seed = 0
        self.generator = tf.random.Generator.from_seed(0)
        # L2 is on the hidden blocks only; the gates and the heads are not penalised.
        self.regularised = [k for k in self.names if k.split("_")[-1].isdigit()]
        self.l2 = trainer.architecture.l2
        rows = tf.TensorSpec([None, None], tf.int32)
        self._epoch = tf.function(self._epoch_fn, input_signature=[rows, rows], autograph=False)
        self._snapshot = tf.function(
            self._snapshot_fn, input_signature=[tf.TensorSpec([None], tf.int32)], autograph=False
        )
        self._snapshot_all = tf.function(self._snapshot_all_fn, autograph=False)

    def load(self, params, shift, scale, seed, adam=None, step=0, best=None):
        """Start (or resume) training the models whose weights are stacked in ``params``."""
        for k in self.names:
            self.vars[k].assign(np.asarray(params[k], dtype=np.float32))
            self.best[k].assign(np.asarray(params[k] if best is None else best[k], dtype=np.float32))
            m, v = (np.zeros_like(params[k]), np.zeros_like(params[k])) if adam is None else adam[k]
            self.m[k].assign(np.asarray(m, dtype=np.float32))
            self.v[k].assign(np.asarray(v, dtype=np.float32))
        self.shift.assign(np.asarray(shift, dtype=np.float32)[:, None, :])
        self.scale.assign(np.asarray(scale, dtype=np.float32)[:, None, :])
        self.step.assign(step)
        self.seed = seed
        self.generator.reset_from_seed(seed)

    # --- compiled pieces -------------------------------------------------------------
    def _inputs(self, index):
        x = tf.gather(self.trainer.X, index)
        return (x - self.shift) / self.scale, tf.gather(self.trainer.Y, index)

    def _penalty(self):
        """Each model's weight penalty, added to its training and validation losses (and differentiated)."""
        return self.l2 * tf.add_n([_sum_of_squares(self.vars[k]) for k in self.regularised])

    def _epoch_fn(self, order, val_index):
        trainer, arch = self.trainer, self.trainer.architecture
        n_models = tf.shape(order)[0]

        def train_step(total, index):
            x, y = self._inputs(index)
            with tf.GradientTape() as tape:
                p = forward(self.vars, x, arch, self.generator)
                loss = tf.reduce_sum(soft_f1_cost(*soft_confusion(y, p, axis=1)), axis=-1) + self._penalty()
                total_loss = tf.reduce_sum(loss)  # models share no weights, so each gets its own gradient
            self._adam(tape.gradient(total_loss, [self.vars[k] for k in self.names]))
            return total + loss * tf.cast(tf.shape(index)[1], tf.float32)

        def validation_counts(counts, index):
            x, y = self._inputs(index)
            return tuple(a + b for a, b in zip(counts, soft_confusion(y, forward(self.vars, x, arch), axis=1)))

        train_loss = _fold(train_step, order, trainer.batch_size, tf.zeros([n_models]))
        train_loss /= tf.cast(tf.shape(order)[1], tf.float32)
        # Validation: soft-F1 over each model's whole split, plus the L2 penalty (as Keras reports).
        rows = _validation_rows(int(trainer.X.shape[1]), arch, trainer.batch_size)
        zeros = tf.zeros([n_models, int(trainer.Y.shape[1])])
        counts = _fold(validation_counts, val_index, rows, (zeros,) * 4)
        return train_loss, tf.reduce_sum(soft_f1_cost(*counts), axis=-1) + self._penalty()

    def _adam(self, grads):
        """One step of Keras's Adam, as TensorFlow's fused kernel (one pass over each weight)."""
        self.step.assign_add(1)
        t = tf.cast(self.step, tf.float32)
        settings = {"beta1_power": _BETA_1**t, "beta2_power": _BETA_2**t, "lr": self.trainer.learning_rate}
        settings.update(beta1=_BETA_1, beta2=_BETA_2, epsilon=_EPSILON)
        settings = {name: tf.cast(value, tf.float32) for name, value in settings.items()}
        for name, grad in zip(self.names, grads):
            tf.raw_ops.ResourceApplyAdam(
                var=self.vars[name].handle, m=self.m[name].handle, v=self.v[name].handle, grad=grad, **settings
            )
        gate = self.vars["gate"]
        gate.assign(gate * tf.cast(gate >= 0.0, gate.dtype))  # keras.constraints.NonNeg

    def _snapshot_fn(self, rows):
        for name in self.names:
            self.best[name].scatter_update(tf.IndexedSlices(tf.gather(self.vars[name], rows), rows))

    def _snapshot_all_fn(self):
        for name in self.names:
            self.best[name].assign(self.vars[name])

    # --- per-epoch driving -----------------------------------------------------------
    def epoch(self, order, val_index):
        """One pass over each model's training rows in the given order, then validation.

        Returns each model's mean batch loss and its validation loss.
        """
        train_loss, val_loss = self._epoch(tf.constant(order, dtype=tf.int32), tf.constant(val_index, dtype=tf.int32))
        return train_loss.numpy().astype(np.float64), val_loss.numpy().astype(np.float64)

    def snapshot(self, improved):
        """Copy the current weights of the improved models into their best-epoch weights."""
        if improved.all():  # common while the models still learn; a plain copy is cheapest
            self._snapshot_all()
        elif improved.any():
            self._snapshot(tf.constant(np.flatnonzero(improved), dtype=tf.int32))

    def best_weights(self, rows):
        return {name: self.best[name].numpy()[rows] for name in self.names}

    def keep(self, rows):
        """Drop the models not in ``rows`` (a boolean mask) from the stack, with their Adam state."""
        index = tf.constant(np.flatnonzero(rows), dtype=tf.int32)
        for variable in [
            *self.vars.values(),
            *self.best.values(),
            *self.m.values(),
            *self.v.values(),
            self.shift,
            self.scale,
        ]:
            variable.assign(tf.gather(variable, index))
