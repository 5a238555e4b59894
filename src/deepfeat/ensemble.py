"""Train an ensemble of importance networks: per-model seeds and splits, groups of models, trainers.

:func:`train_ensemble` plans every model (seed, split, input and target scaling), cuts the
models into groups that fit the memory budget, trains each group with the trainer the options
name (each implements ``Trainer(data, options, task).train(group_task, hooks)``, see
:mod:`deepfeat.training`) — here, or through joblib on other processes or a Dask cluster (see
:mod:`deepfeat.parallel`) — and gathers the results.
"""

import logging
import math
import os
from contextlib import ExitStack
from dataclasses import dataclass, fields

import numpy as np
from sklearn.model_selection import train_test_split

from .encoding import EncodingLayout, InputEncoding, fit_encoding
from .errors import TrainingError
from .model import build_network, set_network_weights
from .network import network_spec
from .parallel import TRAINERS, make_trainer, parallel_workers, train_group, train_in_parallel
from .preprocessing import TargetScaling
from .settings import TrainingOptions, setting
from .stacked import bytes_per_model, predict_outputs
from .tasks import CLASSIFICATION
from .training import GroupTask, Interrupted, TrainingData, TrainingHooks, digest

__all__ = [
    "TRAINERS",
    "EnsembleResult",
    "check_fits_in_memory",
    "TrainingOptions",
    "fingerprint",
    "group_size",
    "input_layout",
    "make_trainer",
    "normalise_rows",
    "plan_ensemble",
    "train_ensemble",
    "train_group",
]

logger = logging.getLogger(__name__)


@dataclass
class EnsembleResult:
    """What training left: the best-epoch weights of every model and how each one trained.

    Attributes
    ----------
    params : dict of str to ndarray
        Stacked weights, model axis first (see :func:`deepfeat.network.network_spec`).
    encoding : InputEncoding
        How each model encodes and scales the attributes into its inputs.
    target_scaling : TargetScaling
        What each model's outputs stand for in the target's units.
    options : TrainingOptions
    task : deepfeat.tasks.Task
    spec : deepfeat.network.NetworkSpec
        The networks' layers and weights.
    records : list of dict
        Per model: ``seed``, ``best_epoch`` (1-based), ``epochs_run``, ``loss`` and ``val_loss``
        at the best epoch, and the task's scores (``task.scores``: for classification and
        multi-label each head's precision and recall on the training and validation rows, and
        ``val_auroc`` with ``val_auroc_null_sd``, see :func:`deepfeat.skill.validation_scores`;
        for regression RMSE, MAE and R² on both, and ``val_r2_se``). For regression the losses
        are those of the standardised target.
    train_index, val_index : list of ndarray
        Each model's training and validation rows.
    null_importances : ndarray of shape (n_null_models, n_features) or None
        The importances of the null models trained beside them on shuffled targets (see
        :meth:`deepfeat.training.GroupTask.target_rows`), for :func:`deepfeat.decisions.decide`;
        None when there were none.
    """

    params: dict
    encoding: InputEncoding
    target_scaling: TargetScaling
    options: object
    task: object
    spec: object
    records: list
    train_index: list
    val_index: list
    null_importances: np.ndarray | None = None

    @property
    def importances(self):
        """Each model's gate weights normalised to sum to one, shape (n_models, n_features)."""
        return normalise_rows(self.params[self.spec.layers[0].kernel])

    @property
    def skill(self):
        """How well the networks predict their validation rows (:meth:`deepfeat.tasks.Classification.skill`)."""
        return self.task.skill(self.records)

    def predict_outputs(self, X):
        """Every model's head outputs in the target's units, shape (n_models, n_samples, n_outputs).

        For classification these are the sigmoid heads' outputs, for regression the predicted targets.
        """
        outputs = predict_outputs(self.params, self.encoding, self.encoding.rows(X), self.spec)
        return outputs if self.target_scaling.is_identity else self.target_scaling.to_target(outputs)

    def keras_model(self, i):
        """Model ``i`` as a standalone ``keras.Model`` that takes the attributes as loaded."""
        spec, target = self.spec, self.target_scaling
        units = (
            {}
            if target.is_identity
            else {"target_shift": target.output_shift()[i], "target_scale": target.output_scale()[i]}
        )
        model = build_network(
            spec.n_attributes,
            spec.layers[-1].units,
            self.options,
            task=self.task,
            layout=self.encoding.layout,
            encoding=self.encoding.model(i),
            row_l2=self.encoding.row_l2,
            **units,
        )
        set_network_weights(model, {name: value[i] for name, value in self.params.items()}, spec)
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


def plan_splits(strata, n_rows, validation_fraction, how, run_seed, seeds):
    """Every model's training and validation rows, as arrays with one row per model.

    ``how`` is a ``validation_split`` choice; a "per-model" split is drawn from each of the
    models' ``seeds``, a "fixed" one from ``run_seed``; ``strata`` (or None) are kept in
    proportion.
    """
    if how == "per-model":
        splits = [split_rows(strata, n_rows, validation_fraction, s) for s in seeds]
    elif how == "fixed":
        splits = [split_rows(strata, n_rows, validation_fraction, run_seed)] * len(seeds)
    elif how == "last":
        splits = [tuple(train_test_split(np.arange(n_rows), test_size=validation_fraction, shuffle=False))] * len(seeds)
    else:
        raise ValueError(f"validation split {how!r} must be {setting('validation_split').range_text()}")
    return np.stack([train for train, _ in splits]), np.stack([val for _, val in splits])


def split_rows(strata, n_rows, validation_fraction, seed):
    """A random train/validation split, stratified when every stratum has two members."""
    rows = np.arange(n_rows)
    stratify = None
    if strata is not None:
        counts = np.bincount(strata)
        stratify = strata if counts[counts > 0].min() >= 2 else None
    try:
        train, val = train_test_split(rows, test_size=validation_fraction, random_state=seed % 2**32, stratify=stratify)
    except ValueError:  # a split too small to hold every stratum on both sides
        train, val = train_test_split(rows, test_size=validation_fraction, random_state=seed % 2**32)
    return np.sort(train), np.sort(val)


@dataclass(frozen=True)
class EnsemblePlan:
    """What each model of an ensemble starts from, fixed by the run seed.

    Attributes
    ----------
    seeds : list of int
        Per-model seeds; a model's initial weights, batch order, dropout and noise come from
        its seed (see :func:`deepfeat.training.model_streams`).
    train_index, val_index : ndarray of shape (n_models, n_train) and (n_models, n_val)
        Each model's training and validation rows.
    encoding : InputEncoding
    target : deepfeat.tasks.Target
    target_scaling : TargetScaling
    n_null : int
        How many of the models, the last ones, are null models (trained on shuffled targets).
    """

    seeds: list
    train_index: np.ndarray
    val_index: np.ndarray
    encoding: InputEncoding
    target: object
    target_scaling: TargetScaling
    n_null: int = 0

    def group_task(self, data, options, task, first, last):
        """The :class:`~deepfeat.training.GroupTask` of models ``first:last``."""
        models = slice(first, last)
        return GroupTask(
            data,
            options,
            task,
            tuple(range(first, last)),
            tuple(self.seeds[models]),
            self.encoding.subset(models).params,
            self.target_scaling.shift[models],
            self.target_scaling.scale[models],
            self.train_index[models],
            self.val_index[models],
            tuple(m >= len(self.seeds) - self.n_null for m in range(first, last)),
        )


def plan_ensemble(X, y, n_models, options, seed, task=CLASSIFICATION, null_models=0, categorical=None):
    """Draw every model's seed and split and fit its input encoding and target scaling (see :class:`EnsemblePlan`).

    The ``null_models`` come after the ``n_models``; the seeds of these do not depend on them.
    ``categorical`` (a boolean mask of the attributes, or None) says which attributes are
    categorical (see :class:`deepfeat.encoding.EncodingLayout`).

    Raises
    ------
    deepfeat.errors.TrainingError
        If so many models would not fit in memory (see :func:`check_fits_in_memory`).
    """
    target = task.encode(y)
    n_models += null_models
    layout = input_layout(X, options, categorical)
    check_fits_in_memory(
        n_models,
        len(X),
        network_spec(X.shape[1], target.values.shape[1], options, task.output_activation, layout.blocks),
    )
    seeds = model_seeds(seed, n_models)
    train_index, val_index = plan_splits(
        target.strata, len(X), options.validation_fraction, options.validation_split, seed, seeds
    )
    task.check_training_rows(target, train_index, options.validation_split)
    encoding = fit_encoding(options.normalization, X, train_index, layout)
    target_scaling = task.target_scaling(target, train_index)
    return EnsemblePlan(seeds, train_index, val_index, encoding, target, target_scaling, null_models)


def input_layout(X, options, categorical=None):
    """The :class:`~deepfeat.encoding.EncodingLayout` of the attributes ``X`` under ``options``."""
    return EncodingLayout.of(X, categorical, options.numeric_encoding, options.piecewise_bins)


def group_size(n_models, spec, n_train, n_val, options, workers=None):
    """How many models train together: as many as the memory budget holds (one at a time for
    Keras), and with several ``workers`` few enough that every worker gets a group."""
    if options.trainer == "keras":
        return 1
    per_model = bytes_per_model(spec, n_val, options.batch_size, n_train)
    share = n_models if workers is None else math.ceil(n_models / max(1, workers))
    return int(max(1, min(share, options.memory_budget_mb * 2**20 // per_model)))


class _RunHooks(TrainingHooks):
    """Progress, checkpointing and stopping for the groups of one :func:`train_ensemble` call."""

    def __init__(self, n_models, progress, checkpoint, stop):
        self.n_models, self.progress, self.checkpoint, self.stop = n_models, progress, checkpoint, stop
        self.finished = 0  # models of the groups already done

    def resume(self, task):
        return None if self.checkpoint is None else self.checkpoint.group_state(task.start, task.stop)

    def epoch_end(self, task, epoch, n_training, get_state=None):
        if self.progress is not None:
            self.progress(self.finished + len(task.models) - n_training, self.n_models, epoch, n_training)
        saving = self.checkpoint is not None and get_state is not None
        saved = saving and self.checkpoint.save_state(task.start, task.stop, get_state, now=self._stopping())
        if self._stopping():  # asked before or while saving: save this epoch, then stop
            if saving and not saved:
                self.checkpoint.save_state(task.start, task.stop, get_state, now=True)
            raise Interrupted(self.stop.signum)

    def _stopping(self):
        return self.stop is not None and self.stop.requested

    def group_done(self, task, result):
        if self.checkpoint is not None:
            self.checkpoint.save_group(task.start, task.stop, result.best, result.history)
        self._count_finished(len(task.models), int(np.max(result.history["epochs_run"])))

    def group_loaded(self, start, stop):
        """Models ``start:stop`` came from the checkpoint: they count as finished."""
        self._count_finished(stop - start, 0)

    def _count_finished(self, n, epoch):
        self.finished += n
        if self.progress is not None:
            self.progress(self.finished, self.n_models, epoch, 0)


def train_ensemble(
    X,
    y,
    n_models,
    options=TrainingOptions(),
    seed=0,
    *,
    task=CLASSIFICATION,
    progress=None,
    checkpoint=None,
    stop=None,
    n_jobs=None,
    null_models=0,
    categorical=None,
):
    """Train ``n_models`` importance networks, each on its own random split.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        The attributes: numbers, a categorical attribute's level codes (any numbers), NaN for
        a missing cell (imputed per model, see :mod:`deepfeat.encoding`).
    y : ndarray of shape (n_samples,) or (n_samples, n_labels)
        The target, as ``task`` reads it (see :meth:`deepfeat.tasks.Classification.encode` and
        the other tasks' ``encode``).
    n_models : int
    options : TrainingOptions
    seed : int
        Run seed; model ``i`` gets its own seed derived from it, and its result depends on
        nothing else (not on the memory budget or the other models).
    task : deepfeat.tasks.Task
    progress : callable, optional
        Called as ``progress(finished, n_models, epoch, n_training)`` after each epoch, where
        ``finished`` counts models that have stopped and ``n_training`` those still training.
    checkpoint : deepfeat.checkpoint.RunCheckpoint, optional
        Saves progress as training goes and, given the checkpoint of an interrupted call with
        the same arguments, continues it; the result is the same as without interruption. The
        stacked trainer resumes mid-epoch-loop, the Keras trainer at the last finished model.
    stop : deepfeat.training.StopRequest, optional
        A stop requested through it ends training at the end of the epoch, after saving (when
        groups train through joblib: when the next group comes back).
    n_jobs : int, optional
        Groups trained at once, as joblib reads it (see
        :func:`deepfeat.parallel.parallel_workers`): with one local worker (the default outside
        a ``joblib.parallel_config``) they train here, one after another; otherwise through
        joblib, e.g. on a Dask cluster under ``parallel_config(backend="dask")``, reporting
        progress and saving as each group comes back. The result is the same either way.
    null_models : int
        Null models to train as well, on shuffled targets, for
        :func:`deepfeat.decisions.decide` (see :attr:`EnsembleResult.null_importances`);
        the ``n_models`` come out the same with or without them.
    categorical : array of bool of shape (n_features,), optional
        Which attributes are categorical: one-hot encoded over their levels, each model's
        unseen levels in a column of their own. None: every attribute is numeric.

    Returns
    -------
    EnsembleResult

    Raises
    ------
    deepfeat.checkpoint.CheckpointMismatch
        If ``checkpoint`` holds a run with other arguments.
    deepfeat.training.Interrupted
        If a stop was requested; the progress is saved.
    """
    X = np.asarray(X, dtype=np.float64)
    plan = plan_ensemble(X, y, n_models, options, seed, task, null_models, categorical)
    data = TrainingData.of(plan.encoding.rows(X), plan.target.values, plan.encoding.layout)
    spec = network_spec(X.shape[1], data.Y.shape[1], options, task.output_activation, data.layout.blocks)
    n_real, n_models = n_models, n_models + null_models
    hooks = _RunHooks(n_models, progress, checkpoint, stop)
    results = {}
    with ExitStack() as context:
        if checkpoint is not None:
            identity = fingerprint(X, plan.target.values, n_real, options, seed, task, null_models, categorical)
            context.enter_context(checkpoint.session(identity))
            results = checkpoint.finished_groups()
        if stop is not None:
            context.callback(setattr, stop, "training", False)
            stop.training = True
        workers = parallel_workers(n_jobs)
        size = group_size(n_models, spec, plan.train_index.shape[1], plan.val_index.shape[1], options, workers)
        resumable = None if checkpoint is None else checkpoint.state_group()
        todo = []
        for first, last in _groups(n_models, size, results, resumable):
            if (first, last) in results:  # loaded from the checkpoint
                hooks.group_loaded(first, last)
            else:
                todo.append(plan.group_task(data, options, task, first, last))
        for group, result in _train(todo, workers, n_jobs, hooks, stop):
            results[group.start, group.stop] = result
            hooks.group_done(group, result)
    if stop is not None and stop.requested:
        raise Interrupted(stop.signum)
    _check_converged(results, n_models, options)
    return _gather(X, plan, results, spec, options, task)


# Per model, besides its rows and weights: seeds, scalings, and its record of scores.
_BOOKKEEPING_BYTES = 4096


def check_fits_in_memory(n_models, n_rows, spec):
    """Refuse, before anything is planned, an ensemble whose bookkeeping alone would not fit in
    this machine's memory: every model's rows (two int64 index arrays), trained weights and
    outputs are kept until the end.

    Raises
    ------
    deepfeat.errors.TrainingError
        Saying how many models would fit.
    """
    try:
        physical = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # not known here: no limit to check against
        return
    n_features, n_outputs = spec.n_inputs, spec.layers[-1].units
    per_model = 8 * n_rows * (1 + n_outputs) + 8 * n_features + 4 * spec.n_params + _BOOKKEEPING_BYTES
    if n_models * per_model > physical:
        raise TrainingError(
            f"{n_models} models would need about {n_models * per_model / 2**30:,.0f} GB to hold their splits and "
            f"trained weights, more than this machine's {physical / 2**30:,.0f} GB: at most about "
            f"{physical // per_model:,} fit"
        )


def _check_converged(results, n_models, options):
    """Refuse a result from networks that diverged: no epoch gave them a finite validation loss,
    or their weights are not finite."""
    diverged = np.zeros(n_models, dtype=bool)
    for (start, stop), result in results.items():
        diverged[start:stop] |= ~np.isfinite(result.history["val_loss"])
        for value in result.best.values():
            diverged[start:stop] |= ~np.isfinite(value).reshape(stop - start, -1).all(axis=1)
    if diverged.any():
        raise TrainingError(
            f"{diverged.sum()} of {n_models} networks diverged (non-finite losses or weights), so they give no "
            f"ranking: lower the learning rate (LEARNING_RATE, learning_rate; now {options.learning_rate:g}), "
            f"or scale the inputs (NORMALIZATION=standard; now {options.normalization})"
        )


def _train(groups, workers, n_jobs, hooks, stop):
    """Each group with its result as it is trained: here, in order (``workers`` None), or through
    joblib as results come back. Stops early when a stop is requested."""
    if workers is None:
        trainer = None
        for group in groups:
            if stop is not None and stop.requested:  # asked for between two groups
                return
            trainer = trainer or make_trainer(group.data, group.options, group.task)
            yield group, trainer.train(group, hooks)
        return
    by_start = {group.start: group for group in groups}
    results = train_in_parallel(groups, n_jobs)
    try:
        for result in results:
            yield by_start[result.models[0]], result
            if stop is not None and stop.requested:
                return
    finally:
        results.close()  # abandons the groups still out


def _groups(n_models, size, finished, resumable):
    """The ``(start, stop)`` of every group, in model order: those already finished, the one
    whose training can be resumed (unless it overlaps them), and the rest cut into groups of
    at most ``size``."""
    taken = sorted(finished)
    if resumable is not None and not any(a < resumable[1] and resumable[0] < b for a, b in taken):
        taken = sorted([*taken, tuple(resumable)])
    groups, start = [], 0
    for first, last in [*taken, (n_models, n_models)]:
        groups += [(s, min(s + size, first)) for s in range(start, first, size)]
        if first < last:
            groups.append((first, last))
        start = last
    return groups


def _gather(X, plan, results, spec, options, task):
    n_all = len(plan.seeds)
    best, history = _joined(results, n_all)
    n_models = n_all - plan.n_null
    gates = best[spec.layers[0].kernel]
    result = EnsembleResult(
        {name: value[:n_models] for name, value in best.items()},
        plan.encoding.subset(slice(n_models)),
        plan.target_scaling.subset(slice(n_models)),
        options,
        task,
        spec,
        [],
        list(plan.train_index[:n_models]),
        list(plan.val_index[:n_models]),
        normalise_rows(gates[n_models:]) if plan.n_null else None,
    )
    outputs = result.predict_outputs(X)
    for m in range(n_models):
        result.records.append(
            {
                "seed": plan.seeds[m],
                "best_epoch": int(history["best_epoch"][m]) + 1,
                "epochs_run": int(history["epochs_run"][m]),
                "loss": float(history["train_loss"][m]),
                "val_loss": float(history["val_loss"][m]),
                **task.scores(outputs[m], plan.target, plan.train_index[m], plan.val_index[m]),
            }
        )
    return result


def _joined(results, n_all):
    """The groups' best weights and histories, each joined along the model axis."""
    if list(results) == [(0, n_all)]:  # one group: its arrays are the whole, no copy
        return dict(results[0, n_all].best), dict(results[0, n_all].history)
    best, history = {}, {}
    for (start, stop), result in results.items():
        for parts, part in ((best, result.best), (history, result.history)):  # in place: no parts and whole at once
            for name, value in part.items():
                whole = parts.setdefault(name, np.empty((n_all, *np.shape(value)[1:]), np.asarray(value).dtype))
                whole[start:stop] = value
    return best, history


def fingerprint(X, targets, n_models, options, seed, task=CLASSIFICATION, null_models=0, categorical=None):
    """Everything that determines the result of :func:`train_ensemble`, as JSON-ready values.

    The data enter as a SHA-256 of their bytes, the options as the ``repr`` of each field that
    can change a result (not the memory budget, which changes only how models are grouped).
    """
    return {
        "data": digest(np.asarray(X, dtype=np.float64), np.asarray(targets, dtype=np.float32)),
        "n_models": int(n_models),
        "null_models": int(null_models),
        "categorical": [] if categorical is None else np.flatnonzero(categorical).tolist(),
        "seed": int(seed),
        "task": task.name,
        **{f.name: repr(getattr(options, f.name)) for f in fields(options) if setting(f.name).changes_results},
    }
