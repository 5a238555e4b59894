"""Train many importance networks at once: weights stacked along a leading model axis.

Every model keeps its own initialisation, training/validation rows, batch order, dropout and
noise draws, Adam state and early stopping. Adam is elementwise, so one masked Adam over the
stacked weights is exactly one Adam per model; a model that has stopped is frozen by the mask
and later dropped from the stack so that it costs nothing.
"""

import math

import numpy as np
import tensorflow as tf

from .model import soft_confusion, soft_f1_cost

_BETA_1, _BETA_2, _EPSILON = 0.9, 0.999, 1e-7  # keras.optimizers.Adam defaults
_BYTES = 4  # float32
# Rows per inference call, chosen so that one call's gathered inputs stay small.
_INFERENCE_ELEMENTS = 2**24


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
    update temporaries); a step holds the gathered batch and the activations for backprop.
    """
    n_params = sum(math.prod(s) for s in parameter_shapes(n_features, n_classes, architecture).values())
    rows = max(batch_size, min(n_val, _inference_rows(1, n_features)))
    activations = rows * (3 * n_features + 4 * architecture.n_blocks * architecture.hidden_units + 4 * n_classes)
    return _BYTES * (6 * n_params + 2 * activations)


def forward(params, x, architecture, generator=None):
    """Class probabilities of stacked models; ``generator`` given means training mode.

    ``x`` has shape (n_models, batch, n_features) and is already normalised.
    """
    h = x * params["gate"][:, None, :]
    if architecture.gate_relu:
        h = tf.nn.relu(h)
    for block in range(architecture.n_blocks):
        h = tf.nn.relu(tf.matmul(h, params[f"kernel_{block}"]) + params[f"bias_{block}"][:, None, :])
        if generator is None:
            continue
        if block < architecture.n_blocks - 1 and architecture.noise_std > 0:
            h = h + generator.normal(tf.shape(h), stddev=architecture.noise_std)
        if architecture.dropout > 0:
            keep = generator.uniform(tf.shape(h)) >= architecture.dropout
            h = tf.where(keep, h / (1.0 - architecture.dropout), tf.zeros_like(h))
    return tf.sigmoid(tf.matmul(h, params["kernel_out"]) + params["bias_out"][:, None, :])


def predict_proba(params, shift, scale, X, architecture):
    """Each model's sigmoid outputs for the rows of ``X`` (already row-normalised if needed).

    Returns an array of shape (n_models, n_samples, n_classes).
    """
    tensors = {name: tf.constant(value) for name, value in params.items()}
    shift, scale = tf.constant(shift)[:, None, :], tf.constant(scale)[:, None, :]
    X = np.asarray(X, dtype=np.float32)
    rows = _inference_rows(len(shift), X.shape[1])
    parts = []
    for start in range(0, len(X), rows):
        chunk = tf.constant(X[start : start + rows])[None, :, :]
        parts.append(_predict_chunk(tensors, (chunk - shift) / scale, architecture).numpy())
    return np.concatenate(parts, axis=1)


@tf.function(reduce_retracing=True)
def _predict_chunk(params, x, architecture):
    return forward(params, x, architecture)


def _inference_rows(n_models, n_features):
    return max(1, _INFERENCE_ELEMENTS // max(1, n_models * n_features))


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

    def train(
        self, params, shift, scale, train_index, val_index, shuffle_rngs, seed, progress=None, resume=None, checkpoint=None
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
        run = _Run.start(self, params, shift, scale, seed) if resume is None else _Run.restore(self, resume, shift, scale)
        if resume is not None:
            for rng, state in zip(shuffle_rngs, resume["shuffle_states"]):
                rng.bit_generator.state = state
        n_train = train_index.shape[1]
        for epoch in range(run.epoch, self.max_epochs):
            if not run.active.any():
                break
            rows, stack = run.rows, run.stack
            order = np.stack([train_index[m][shuffle_rngs[m].permutation(n_train)] for m in rows])
            train_loss = stack.train_epoch(order, self.batch_size)
            val_loss = stack.validation_loss(val_index[rows])
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
    def start(cls, trainer, params, shift, scale, seed):
        n_models = len(shift)
        history = {
            "best_epoch": np.zeros(n_models, dtype=np.int64),
            "epochs_run": np.zeros(n_models, dtype=np.int64),
            "train_loss": np.full(n_models, np.nan),
            "val_loss": np.full(n_models, np.inf),
        }
        return cls(
            _Stack(trainer, params, shift, scale, seed),
            np.arange(n_models),  # which model each row of the stack holds
            {name: np.array(value, dtype=np.float32) for name, value in params.items()},
            history,
            np.zeros(n_models, dtype=np.int64),
            np.ones(n_models, dtype=bool),
            0,
        )

    @classmethod
    def restore(cls, trainer, state, shift, scale):
        rows = np.asarray(state["rows"])
        stack = _Stack(trainer, state["params"], shift[rows], scale[rows], int(state["seed"]), adam=state["adam"], step=int(state["step"]))
        for name, value in state["stack_best"].items():
            stack.best[name].assign(value)
        stack.generator.reset(state["generator"])
        active = np.asarray(state["active"], dtype=bool)
        stack.set_active(active[rows])
        return cls(stack, rows, dict(state["best"]), dict(state["history"]), np.asarray(state["wait"]), active, int(state["epoch"]))

    def end_epoch(self, epoch, train_loss, val_loss, patience):
        rows, history = self.rows, self.history
        history["epochs_run"][rows] = epoch + 1
        # Keras's EarlyStopping: improvement is a strictly lower validation loss.
        improved = val_loss < history["val_loss"][rows]
        self.stack.snapshot(improved)
        for key, value in (("val_loss", val_loss), ("train_loss", train_loss)):
            history[key][rows[improved]] = value[improved]
        history["best_epoch"][rows[improved]] = epoch
        self.wait[rows] = np.where(improved, 0, self.wait[rows] + 1)
        stopping = (self.wait[rows] >= patience) & (epoch > 0) & ~improved
        self.active[rows[stopping]] = False
        self.epoch = epoch + 1
        still = self.active[rows]
        if not still.all():
            self.stack.set_active(still)
        if still.any() and still.sum() <= len(rows) // 2:
            # Drop the stopped models from the computation, keeping their best weights.
            _store(self.best, rows[~still], self.stack.best_weights(~still))
            self.stack = self.stack.subset(still)
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


class _Stack:
    """The tf.Variables and compiled steps for the models currently trained together."""

    def __init__(self, trainer, params, shift, scale, seed, adam=None, step=0):
        self.trainer = trainer
        arch = trainer.architecture
        self.names = list(params)
        self.vars = {k: tf.Variable(np.asarray(v, dtype=np.float32), name=k) for k, v in params.items()}
        self.best = {k: tf.Variable(v) for k, v in self.vars.items()}
        if adam is None:
            adam = {k: (np.zeros_like(v), np.zeros_like(v)) for k, v in params.items()}
        self.m = {k: tf.Variable(adam[k][0], dtype=tf.float32) for k in self.names}
        self.v = {k: tf.Variable(adam[k][1], dtype=tf.float32) for k in self.names}
        self.step = tf.Variable(step, dtype=tf.int64)
        self.shift = tf.constant(np.asarray(shift, dtype=np.float32))[:, None, :]
        self.scale = tf.constant(np.asarray(scale, dtype=np.float32))[:, None, :]
        self.active = tf.Variable(np.ones(len(shift), dtype=np.float32))
        self.seed = seed
        self.generator = tf.random.Generator.from_seed(seed)
        # L2 is on the hidden blocks only; the gates and the heads are not penalised.
        self.regularised = [k for k in self.names if k.split("_")[-1].isdigit()]
        self.l2 = arch.l2
        n_val_rows = _inference_rows(len(shift), int(trainer.X.shape[1]))
        self.val_rows = n_val_rows
        self._train_step = tf.function(self._train_step_fn, jit_compile=False)
        self._val_counts = tf.function(self._val_counts_fn)
        self._snapshot = tf.function(self._snapshot_fn)

    # --- compiled pieces -------------------------------------------------------------
    def _inputs(self, index):
        x = tf.gather(self.trainer.X, index)
        return (x - self.shift) / self.scale, tf.gather(self.trainer.Y, index)

    def _penalty(self):
        axes = lambda v: list(range(1, len(v.shape)))  # noqa: E731 - every axis but the model axis
        return self.l2 * tf.add_n([tf.reduce_sum(tf.square(self.vars[k]), axis=axes(self.vars[k])) for k in self.regularised])

    def _train_step_fn(self, index):
        x, y = self._inputs(index)
        with tf.GradientTape() as tape:
            p = forward(self.vars, x, self.trainer.architecture, self.generator)
            loss = tf.reduce_sum(soft_f1_cost(*soft_confusion(y, p, axis=1)), axis=-1) + self._penalty()
            total = tf.reduce_sum(loss)  # models share no weights, so each gets its own gradient
        grads = tape.gradient(total, [self.vars[k] for k in self.names])
        self.step.assign_add(1)
        t = tf.cast(self.step, tf.float32)
        alpha = self.trainer.learning_rate * tf.sqrt(1.0 - _BETA_2**t) / (1.0 - _BETA_1**t)
        for name, grad in zip(self.names, grads):
            var, m, v = self.vars[name], self.m[name], self.v[name]
            mask = tf.reshape(self.active, [-1] + [1] * (len(var.shape) - 1))
            m.assign_add((grad - m) * (1.0 - _BETA_1) * mask)
            v.assign_add((tf.square(grad) - v) * (1.0 - _BETA_2) * mask)
            var.assign_sub(mask * (m * alpha) / (tf.sqrt(v) + _EPSILON))
        gate = self.vars["gate"]
        gate.assign(gate * tf.cast(gate >= 0.0, gate.dtype))  # keras.constraints.NonNeg
        return loss

    def _val_counts_fn(self, index):
        x, y = self._inputs(index)
        return soft_confusion(y, forward(self.vars, x, self.trainer.architecture), axis=1)

    def _snapshot_fn(self, improved):
        for name in self.names:
            mask = tf.reshape(improved, [-1] + [1] * (len(self.vars[name].shape) - 1))
            self.best[name].assign(tf.where(mask, self.vars[name], self.best[name]))

    # --- per-epoch driving -----------------------------------------------------------
    def train_epoch(self, order, batch_size):
        """One pass over each model's training rows in the given order; mean batch loss."""
        total = np.zeros(len(order))
        n_train = order.shape[1]
        for start in range(0, n_train, batch_size):
            batch = order[:, start : start + batch_size]
            total += self._train_step(tf.constant(batch, dtype=tf.int32)).numpy() * batch.shape[1]
        return total / n_train

    def validation_loss(self, val_index):
        """Soft-F1 over each model's whole validation split, plus the L2 penalty (as Keras reports)."""
        counts = None
        for start in range(0, val_index.shape[1], self.val_rows):
            part = self._val_counts(tf.constant(val_index[:, start : start + self.val_rows], dtype=tf.int32))
            counts = part if counts is None else [a + b for a, b in zip(counts, part)]
        data = tf.reduce_sum(soft_f1_cost(*counts), axis=-1)
        return (data + self._penalty()).numpy().astype(np.float64)

    def snapshot(self, improved):
        self._snapshot(tf.constant(improved))

    def set_active(self, still):
        self.active.assign(still.astype(np.float32))

    def best_weights(self, rows):
        return {name: self.best[name].numpy()[rows] for name in self.names}

    def subset(self, rows):
        """A new, smaller stack holding the given rows, with their Adam and best-weight state."""
        params = {k: self.vars[k].numpy()[rows] for k in self.names}
        adam = {k: (self.m[k].numpy()[rows], self.v[k].numpy()[rows]) for k in self.names}
        smaller = _Stack(
            self.trainer,
            params,
            self.shift.numpy()[rows, 0, :],
            self.scale.numpy()[rows, 0, :],
            self.seed + int(self.step.numpy()),
            adam=adam,
            step=int(self.step.numpy()),
        )
        for k in self.names:
            smaller.best[k].assign(self.best[k].numpy()[rows])
        return smaller
