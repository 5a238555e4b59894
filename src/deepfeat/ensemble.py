"""Train an ensemble of importance networks: per-model splits, seeds, initial weights and trainers."""

import hashlib
import logging
from contextlib import nullcontext
from dataclasses import dataclass, field, fields

import keras
import numpy as np
from sklearn.model_selection import train_test_split

from . import stacked
from .model import Architecture, build_network, soft_f1_loss
from .preprocessing import InputScaling, fit_scaling
from .skill import validation_scores

logger = logging.getLogger(__name__)

TRAINERS = ("stacked", "keras")
#: How the models' validation rows are chosen: a stratified random split per model; one such
#: split shared by every model; or the last rows of the data in file order for every model
#: (the 2021 code's split).
VALIDATION_SPLITS = ("per-model", "fixed", "last")


@dataclass(frozen=True)
class TrainingOptions:
    """How each model of the ensemble is trained; the defaults are the paper's.

    Attributes
    ----------
    learning_rate, batch_size, max_epochs, patience, validation_fraction
        Adam's learning rate, mini-batch size, epoch limit, early-stopping patience (in epochs,
        on the validation loss) and the share of rows each model holds out for validation.
    validation_split : str
        One of :data:`VALIDATION_SPLITS`.
    normalization : str
        One of :data:`deepfeat.preprocessing.NORMALIZATIONS`.
    importance_init : str
        One of :data:`deepfeat.layers.IMPORTANCE_INITS`.
    trainer : str
        "stacked" trains all models in one computation; "keras" fits one ``keras.Model`` after
        another (the reference implementation).
    memory_budget_mb : int
        Models are trained in groups small enough to stay within this much memory.
    architecture : Architecture
    """

    learning_rate: float = 1e-4
    batch_size: int = 64
    max_epochs: int = 2000
    patience: int = 15
    validation_fraction: float = 0.5
    validation_split: str = "per-model"
    normalization: str = "standard"
    importance_init: str = "ones"
    trainer: str = "stacked"
    memory_budget_mb: int = 2048
    architecture: Architecture = field(default_factory=Architecture)


@dataclass
class EnsembleResult:
    """What training left: the best-epoch weights of every model and how each one trained.

    Attributes
    ----------
    params : dict of str to ndarray
        Stacked weights, model axis first (see :func:`deepfeat.stacked.parameter_shapes`).
    scaling : InputScaling
        The input normalisation of each model.
    architecture : Architecture
    records : list of dict
        Per model: ``seed``, ``best_epoch`` (1-based), ``epochs_run``, ``loss`` and ``val_loss``
        at the best epoch, each class head's precision and recall on the training and
        validation rows, and ``val_auroc`` with ``val_auroc_null_sd`` (see
        :func:`deepfeat.skill.validation_scores`).
    train_index, val_index : list of ndarray
        Each model's training and validation rows.
    """

    params: dict
    scaling: InputScaling
    architecture: Architecture
    records: list
    train_index: list
    val_index: list

    @property
    def importances(self):
        """Each model's gate weights normalised to sum to one, shape (n_models, n_features)."""
        return normalise_rows(self.params["gate"])

    def predict_proba(self, X):
        """Every model's sigmoid head outputs, shape (n_models, n_samples, n_classes)."""
        return stacked.predict_proba(self.params, self.scaling.shift, self.scaling.scale, self.scaling.rows(X), self.architecture)

    def keras_model(self, i, importance_init="ones"):
        """Model ``i`` as a standalone ``keras.Model`` that takes the attributes as loaded."""
        n_features = self.params["gate"].shape[1]
        n_classes = self.params["bias_out"].shape[1]
        model = build_network(
            n_features,
            n_classes,
            self.architecture,
            importance_init=importance_init,
            shift=self.scaling.shift[i],
            scale=self.scaling.scale[i],
            row_l2=self.scaling.row_l2,
        )
        set_network_weights(model, {name: value[i] for name, value in self.params.items()}, self.architecture)
        return model


def normalise_rows(weights):
    """Scale each row to sum to one; an all-zero row (a model whose gates all died) becomes uniform."""
    weights = np.asarray(weights, dtype=np.float64)
    totals = weights.sum(axis=1, keepdims=True)
    dead = totals[:, 0] <= 0
    if dead.any():
        logger.warning("%d model(s) ended with every importance weight at 0; counted as uniform", dead.sum())
    safe = np.where(totals > 0, totals, 1.0)
    return np.where(dead[:, None], 1.0 / weights.shape[1], weights / safe)


def model_seeds(seed, n_models):
    """Independent per-model seeds derived from one run seed."""
    return [int(s.generate_state(1)[0]) for s in np.random.SeedSequence(seed).spawn(n_models)]


def plan_splits(y_codes, validation_fraction, how, run_seed, seeds):
    """Every model's training and validation rows, as arrays with one row per model.

    ``how`` is one of :data:`VALIDATION_SPLITS`; a "per-model" split is drawn from each of the
    models' ``seeds``, a "fixed" one from ``run_seed``.
    """
    if how == "per-model":
        splits = [split_rows(y_codes, validation_fraction, s) for s in seeds]
    elif how == "fixed":
        splits = [split_rows(y_codes, validation_fraction, run_seed)] * len(seeds)
    elif how == "last":
        rows = np.arange(len(y_codes))
        splits = [tuple(train_test_split(rows, test_size=validation_fraction, shuffle=False))] * len(seeds)
    else:
        raise ValueError(f"validation split {how!r} must be one of: {', '.join(VALIDATION_SPLITS)}")
    return np.stack([train for train, _ in splits]), np.stack([val for _, val in splits])


def _warn_of_unseen_classes(y_codes, train_index, n_classes, how):
    # A file sorted by class with VALIDATION_SPLIT=last is the usual way to get here.
    unseen = np.stack([np.bincount(y_codes[rows], minlength=n_classes) == 0 for rows in train_index])
    if unseen.any():
        logger.warning(
            "%d of %d model(s) have no training rows of class(es) %s, counting the sorted class labels "
            "from 1 (validation split %r): they cannot learn to recognise them",
            unseen.any(axis=1).sum(),
            len(train_index),
            ", ".join(str(k + 1) for k in np.flatnonzero(unseen.any(axis=0))),
            how,
        )


def split_rows(y_codes, validation_fraction, seed):
    """A random train/validation split, stratified by class when every class has two members."""
    rows = np.arange(len(y_codes))
    counts = np.bincount(y_codes)
    stratify = y_codes if counts[counts > 0].min() >= 2 else None
    try:
        train, val = train_test_split(rows, test_size=validation_fraction, random_state=seed % 2**32, stratify=stratify)
    except ValueError:  # a split too small to hold every class on both sides
        train, val = train_test_split(rows, test_size=validation_fraction, random_state=seed % 2**32)
    return np.sort(train), np.sort(val)


def initial_params(n_features, n_classes, architecture, importance_init, rng):
    """One model's starting weights, drawn like Keras's defaults (GlorotUniform kernels, zero biases)."""
    params = {}
    for name, shape in stacked.parameter_shapes(n_features, n_classes, architecture).items():
        if name == "gate":
            params[name] = _gate_start(importance_init, n_features, rng)
        elif name.startswith("kernel"):
            limit = np.sqrt(6.0 / (shape[0] + shape[1]))
            params[name] = rng.uniform(-limit, limit, size=shape)
        else:
            params[name] = np.zeros(shape)
    return {name: value.astype(np.float32) for name, value in params.items()}


def _gate_start(importance_init, n_features, rng):
    if importance_init == "ones":
        return np.ones(n_features)
    if importance_init == "uniform":
        return rng.uniform(0.0, 1.0, size=n_features)
    if importance_init == "glorot-relu":
        return rng.uniform(-np.sqrt(3.0), np.sqrt(3.0), size=n_features)
    raise ValueError(f"unknown importance init {importance_init!r}")


def set_network_weights(model, params, architecture):
    """Copy one model's weights (a dict as from :func:`initial_params`) into a Keras network."""
    model.get_layer("importance").set_weights([params["gate"]])
    for block in range(architecture.n_blocks):
        model.get_layer(f"dense_{block}").set_weights([params[f"kernel_{block}"], params[f"bias_{block}"]])
    model.get_layer("heads").set_weights([params["kernel_out"], params["bias_out"]])


def network_weights(model, architecture):
    """The inverse of :func:`set_network_weights`."""
    params = {"gate": model.get_layer("importance").get_weights()[0]}
    for block in range(architecture.n_blocks):
        params[f"kernel_{block}"], params[f"bias_{block}"] = model.get_layer(f"dense_{block}").get_weights()
    params["kernel_out"], params["bias_out"] = model.get_layer("heads").get_weights()
    return params


@dataclass(frozen=True)
class EnsemblePlan:
    """What each model of an ensemble starts from, fixed by the run seed.

    Attributes
    ----------
    seeds : list of int
        Per-model seeds.
    train_index, val_index : ndarray of shape (n_models, n_train) and (n_models, n_val)
        Each model's training and validation rows.
    scaling : InputScaling
    params : dict of str to ndarray
        Stacked initial weights, model axis first.
    """

    seeds: list
    train_index: np.ndarray
    val_index: np.ndarray
    scaling: InputScaling
    params: dict

    def shuffle_generators(self):
        """Fresh per-model generators of the batch order, a stream apart from the initial weights'."""
        return [np.random.default_rng([seed, _SHUFFLE_STREAM]) for seed in self.seeds]


_SHUFFLE_STREAM = 1


def plan_ensemble(X, y_codes, n_models, options, seed):
    """Draw every model's seed, split, input scaling and initial weights (see :class:`EnsemblePlan`)."""
    n_classes = int(np.max(y_codes)) + 1
    seeds = model_seeds(seed, n_models)
    train_index, val_index = plan_splits(y_codes, options.validation_fraction, options.validation_split, seed, seeds)
    _warn_of_unseen_classes(y_codes, train_index, n_classes, options.validation_split)
    scaling = fit_scaling(options.normalization, X, train_index)
    shapes = stacked.parameter_shapes(X.shape[1], n_classes, options.architecture)
    params = {name: np.empty((n_models, *shape), dtype=np.float32) for name, shape in shapes.items()}
    for m, s in enumerate(seeds):  # straight into the stacked arrays: no second copy of every model
        rng = np.random.default_rng(s)
        for name, value in initial_params(X.shape[1], n_classes, options.architecture, options.importance_init, rng).items():
            params[name][m] = value
    return EnsemblePlan(seeds, train_index, val_index, scaling, params)


def train_ensemble(X, y_codes, n_models, options=TrainingOptions(), seed=0, progress=None, checkpoint=None):
    """Train ``n_models`` importance networks, each on its own random split.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    y_codes : ndarray of shape (n_samples,)
        Class indices 0..n_classes-1.
    n_models : int
    options : TrainingOptions
    seed : int
        Run seed; model ``i`` gets its own seed derived from it.
    progress : callable, optional
        Called as ``progress(finished, n_models, epoch, n_training)`` after each epoch, where
        ``finished`` counts models that have stopped and ``n_training`` those still training.
    checkpoint : deepfeat.checkpoint.RunCheckpoint, optional
        Saves progress as training goes and, given the checkpoint of an interrupted call with
        the same arguments, continues it; the result is the same as without interruption. The
        stacked trainer resumes mid-epoch-loop, the Keras trainer at the last finished model.

    Returns
    -------
    EnsembleResult

    Raises
    ------
    deepfeat.checkpoint.CheckpointMismatch
        If ``checkpoint`` holds a run with other arguments.
    deepfeat.checkpoint.Interrupted
        If a stop was requested from ``checkpoint``; its progress is saved.
    """
    if options.trainer not in TRAINERS:
        raise ValueError(f"trainer {options.trainer!r} must be one of: {', '.join(TRAINERS)}")
    X = np.asarray(X, dtype=np.float64)
    y_codes = np.asarray(y_codes)
    plan = plan_ensemble(X, y_codes, n_models, options, seed)
    seeds, train_index, val_index, scaling, params = plan.seeds, plan.train_index, plan.val_index, plan.scaling, plan.params
    rngs = plan.shuffle_generators()
    Y = np.eye(int(y_codes.max()) + 1, dtype=np.float32)[y_codes]
    train = _train_stacked if options.trainer == "stacked" else _train_one_by_one
    session = nullcontext()
    if checkpoint is not None:
        session = checkpoint.session(fingerprint(X, y_codes, n_models, options, seed))
    with session:
        best, history = train(
            scaling.rows(X), Y, params, scaling, train_index, val_index, rngs, seeds, options, progress, checkpoint
        )
    result = EnsembleResult(best, scaling, options.architecture, [], list(train_index), list(val_index))
    proba = result.predict_proba(X)
    predicted = proba > 0.5
    for m in range(n_models):
        result.records.append(
            {
                "seed": seeds[m],
                "best_epoch": int(history["best_epoch"][m]) + 1,
                "epochs_run": int(history["epochs_run"][m]),
                "loss": float(history["train_loss"][m]),
                "val_loss": float(history["val_loss"][m]),
                **_head_scores(predicted[m][train_index[m]], Y[train_index[m]], ""),
                **_head_scores(predicted[m][val_index[m]], Y[val_index[m]], "val_"),
                **validation_scores(proba[m][val_index[m]], Y[val_index[m]]),
            }
        )
    return result


def fingerprint(X, y_codes, n_models, options, seed):
    """Everything that determines the result of :func:`train_ensemble`, as JSON-ready values.

    The data enter as a SHA-256 of their bytes, the options as the ``repr`` of each field.
    """
    digest = hashlib.sha256()
    for array in (np.ascontiguousarray(X, dtype=np.float64), np.ascontiguousarray(y_codes, dtype=np.int64)):
        digest.update(repr(array.shape).encode())
        digest.update(array.tobytes())
    return {
        "data": digest.hexdigest(),
        "n_models": int(n_models),
        "seed": int(seed),
        **{f.name: repr(getattr(options, f.name)) for f in fields(options)},
    }


def _head_scores(predicted, Y, prefix):
    """Precision and recall of each class head at threshold 0.5, keyed as the 2021 logs were."""
    scores = {}
    truth = Y > 0.5
    for k in range(Y.shape[1]):
        tp = np.sum(predicted[:, k] & truth[:, k])
        n_predicted, n_true = predicted[:, k].sum(), truth[:, k].sum()
        scores[f"{prefix}output_class_{k}_precision"] = float(tp / n_predicted) if n_predicted else 0.0
        scores[f"{prefix}output_class_{k}_recall"] = float(tp / n_true) if n_true else 0.0
    return scores


def chunk_size(n_models, n_features, n_classes, n_val, options):
    """How many models fit in one stacked group under the memory budget."""
    per_model = stacked.bytes_per_model(n_features, n_classes, n_val, options.architecture, options.batch_size)
    return int(max(1, min(n_models, options.memory_budget_mb * 2**20 // per_model)))


def _train_stacked(X, Y, params, scaling, train_index, val_index, rngs, seeds, options, progress, checkpoint):
    n_models = len(seeds)
    size = chunk_size(n_models, X.shape[1], Y.shape[1], val_index.shape[1], options)
    trainer = stacked.StackedTrainer(
        X,
        Y,
        options.architecture,
        learning_rate=options.learning_rate,
        batch_size=options.batch_size,
        max_epochs=options.max_epochs,
        patience=options.patience,
    )
    best, history = {}, {}
    for start in range(0, n_models, size):
        group = slice(start, min(start + size, n_models))
        saved = None if checkpoint is None else checkpoint.finished_group(group.start, group.stop)
        if saved is not None:
            part_best, part_history = saved["best"], saved["history"]
            if progress is not None:
                progress(group.stop, n_models, int(part_history["epochs_run"].max()), 0)
        else:
            part_best, part_history = _train_group(
                trainer, group, params, scaling, train_index, val_index, rngs, seeds, progress, checkpoint
            )
        for parts, part in ((best, part_best), (history, part_history)):  # in place: no parts and whole at once
            for name, value in part.items():
                parts.setdefault(name, np.empty((n_models, *value.shape[1:]), value.dtype))[group] = value
    return best, history


def _train_group(trainer, group, params, scaling, train_index, val_index, rngs, seeds, progress, checkpoint):
    """Train (or go on training) one group of the stacked path; saved to ``checkpoint`` when done."""
    n_models = len(seeds)
    report = None
    if progress is not None:

        def report(epoch, n_active):
            progress(group.stop - n_active, n_models, epoch, n_active)

    resume = save = None
    if checkpoint is not None:
        resume = checkpoint.group_state(group.start, group.stop)

        def save(get_state):
            checkpoint.epoch_done(group.start, group.stop, get_state)

    result = trainer.train(
        {name: value[group] for name, value in params.items()},
        scaling.shift[group],
        scaling.scale[group],
        train_index[group],
        val_index[group],
        rngs[group],
        seeds[group.start],
        report,
        resume=resume,
        checkpoint=save,
    )
    if checkpoint is not None:
        checkpoint.save_group(group.start, group.stop, *result)
    return result


def _append(parts, new):
    for name, value in new.items():
        parts.setdefault(name, []).append(value)


def _concatenated(parts):
    return {name: np.concatenate(values) for name, values in parts.items()}


def _train_one_by_one(X, Y, params, scaling, train_index, val_index, rngs, seeds, options, progress, checkpoint):
    """The reference path: one ``keras.Model.fit`` per model, with Keras's own early stopping.

    A checkpoint keeps finished models only: an interrupted model starts again.
    """
    arch = options.architecture
    best, history = {}, {}
    for m, seed in enumerate(seeds):
        saved = None if checkpoint is None else checkpoint.finished_group(m, m + 1)
        if saved is not None:
            _append(best, saved["best"])
            _append(history, saved["history"])
            continue
        model = build_network(X.shape[1], Y.shape[1], arch, shift=scaling.shift[m], scale=scaling.scale[m], seed=seed)
        set_network_weights(model, {name: value[m] for name, value in params.items()}, arch)
        model.compile(optimizer=keras.optimizers.Adam(options.learning_rate), loss=soft_f1_loss)
        stopper = keras.callbacks.EarlyStopping(patience=options.patience, restore_best_weights=True)
        batches = _ShuffledBatches(X[train_index[m]], Y[train_index[m]], options.batch_size, rngs[m])
        # Keras reads a few batches before training starts, so reshuffle when each epoch begins.
        callbacks = [stopper, keras.callbacks.LambdaCallback(on_epoch_begin=lambda epoch, logs, b=batches: b.shuffle())]
        if progress is not None:
            callbacks.append(keras.callbacks.LambdaCallback(on_epoch_end=lambda e, logs, m=m: progress(m, len(seeds), e + 1, 1)))
        if checkpoint is not None:
            # Saves nothing mid-model; honours a requested stop at the end of the epoch.
            stop_point = keras.callbacks.LambdaCallback(on_epoch_end=lambda *_, m=m: checkpoint.epoch_done(m, m + 1))
            callbacks.append(stop_point)
        fitted = model.fit(
            batches,
            epochs=options.max_epochs,
            validation_data=(X[val_index[m]], Y[val_index[m]]),
            validation_batch_size=len(val_index[m]),
            callbacks=callbacks,
            shuffle=False,  # the batches already come in the model's own order
            verbose=0,
        )
        epoch = stopper.best_epoch
        model_best = {name: value[None] for name, value in network_weights(model, arch).items()}
        model_history = {
            "best_epoch": np.array([epoch]),
            "epochs_run": np.array([len(fitted.history["loss"])]),
            "train_loss": np.array([fitted.history["loss"][epoch]]),
            "val_loss": np.array([fitted.history["val_loss"][epoch]]),
        }
        if checkpoint is not None:
            checkpoint.save_group(m, m + 1, model_best, model_history)
        _append(best, model_best)
        _append(history, model_history)
    if progress is not None:
        progress(len(seeds), len(seeds), options.max_epochs, 0)
    return _concatenated(best), _concatenated(history)


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
