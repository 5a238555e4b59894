"""The reference trainer: one ``keras.Model.fit`` per model, with Keras's own early stopping.

It starts every model from the same initial weights and batch order as the stacked trainer
(both come from the model's own streams) and is what the stacked trainer is tested against.
Dropout and noise are Keras's own draws. It saves no state mid-model: an interrupted model
starts again.
"""

import keras
import numpy as np

from .model import build_network, network_weights, set_network_weights
from .network import network_spec
from .stacked import BETA_1, BETA_2, EPSILON
from .training import GroupResult, model_streams

__all__ = ["KerasTrainer"]


class KerasTrainer:
    """Train the models of a group one after another, each as a ``keras.Model``.

    Parameters
    ----------
    data : deepfeat.training.TrainingData
    options : deepfeat.settings.TrainingOptions
    task : deepfeat.tasks.Task
    """

    def __init__(self, data, options, task):
        self.data = data
        self.options = options
        self.task = task
        self.spec = network_spec(data.X.shape[1], data.Y.shape[1], options, task.output_activation, data.layout.blocks)

    def train(self, group, hooks):
        """Train the models of ``group``; see :meth:`deepfeat.stacked.StackedTrainer.train`."""
        best, history = [], []
        for position, seed in enumerate(group.seeds):
            model_best, model_history = self._train_one(group, position, seed, hooks)
            best.append(model_best)
            history.append(model_history)
        return GroupResult(
            tuple(group.models),
            {name: np.stack([b[name] for b in best]) for name in best[0]},
            {name: np.array([h[name] for h in history]) for name in history[0]},
        )

    def _train_one(self, group, position, seed, hooks):
        X, Y, options = self.data.X, self.data.Y, self.options
        init, shuffle, _ = model_streams(seed)
        model = build_network(
            X.shape[1],
            Y.shape[1],
            options,
            task=self.task,
            layout=self.data.layout,
            encoding={name: value[position] for name, value in group.encoding.items()},
            seed=seed,
        )
        set_network_weights(model, self.spec.initial_weights(init), self.spec)
        adam = keras.optimizers.Adam(options.learning_rate, beta_1=BETA_1, beta_2=BETA_2, epsilon=EPSILON)
        model.compile(optimizer=adam, loss=self.task.keras_loss)
        stopper = keras.callbacks.EarlyStopping(patience=options.patience, restore_best_weights=True)
        rows, val_rows = group.train_index[position], group.val_index[position]
        Y = Y[group.target_rows(position)]  # shuffled for a null model
        Y = (Y - group.target_shift[position]) / group.target_scale[position]  # float32, as the stacked trainer's
        batches = _ShuffledBatches(X[rows], Y[rows], options.batch_size, shuffle)
        n_after = len(group.seeds) - position - 1  # models of the group still to train after this one
        callbacks = [
            stopper,
            # Keras reads a few batches before training starts, so reshuffle when each epoch begins.
            keras.callbacks.LambdaCallback(on_epoch_begin=lambda epoch, logs: batches.shuffle()),
            # Progress, and a requested stop honoured at the end of the epoch.
            keras.callbacks.LambdaCallback(
                on_epoch_end=lambda epoch, logs: hooks.epoch_end(group, epoch + 1, n_after + 1)
            ),
        ]
        fitted = model.fit(
            batches,
            epochs=options.max_epochs,
            validation_data=(X[val_rows], Y[val_rows]),
            validation_batch_size=len(val_rows),
            callbacks=callbacks,
            shuffle=False,  # the batches already come in the model's own order
            verbose=0,
        )
        epoch = stopper.best_epoch
        history = {
            "best_epoch": epoch,
            "epochs_run": len(fitted.history["loss"]),
            "train_loss": fitted.history["loss"][epoch],
            "val_loss": fitted.history["val_loss"][epoch],
        }
        return network_weights(model, self.spec), history


class _ShuffledBatches(keras.utils.PyDataset):
    """Mini-batches in an order drawn from the model's own generator, like the stacked trainer's."""

    def __init__(self, X, Y, batch_size, rng):
        super().__init__()
        self.X, self.Y, self.batch_size, self.rng = X, Y, batch_size, rng
        self.order = np.arange(len(X))

    def __len__(self):
        return -(-len(self.X) // self.batch_size)

    def __getitem__(self, index):
        rows = self.order[index * self.batch_size : (index + 1) * self.batch_size]
        return self.X[rows], self.Y[rows]

    def shuffle(self):
        self.order = self.rng.permutation(len(self.X))
