"""One experiment run: the configured data in, a fitted ensemble and its result files out.

A run saves its progress in ``MODEL_DIR/.deepfeat-run-N/`` (see :mod:`deepfeat.checkpoint`),
holding its lock while it trains, and deletes it once every result file is written, so the same
command run again after an interruption resumes it. The result files are replaced as one set
(:class:`deepfeat.outputs.ResultSet`).
"""

import re
import secrets
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .checkpoint import CheckpointMismatch, RunCheckpoint, RunInProgress
from .config import Settings
from .data import Dataset, load_dataset
from .encoding import check_attributes
from .errors import ConfigError, DataError, TrainingError, WriteError
from .estimator import SHARED_SETTINGS, DeepFeatureImportance, DeepFeatureImportanceRegressor
from .outputs import (
    OutputPaths,
    ResultSet,
    atomic_path,
    check_writable,
    finish_results,
    output_paths,
    plot_ranking,
    write_logs_json,
    write_ranking_csv,
    write_weights_csv,
)
from .settings import encoding_problem

# The names of a result set's journal and staging folders, with N (see outputs.ResultSet).
_PENDING_RESULTS = re.compile(r"\.deepfeat-results-([0-9]+)\.(?:json|staging)")


@dataclass
class ExperimentResult:
    """What a run produced.

    Attributes
    ----------
    estimator : DeepFeatureImportance or DeepFeatureImportanceRegressor
        The fitted ensemble.
    ranking : pandas.DataFrame
        The ranking table, most important attribute first.
    paths : OutputPaths
        Where the files were written.
    model_files : list of Path
        The saved models, one per network; empty when ``SAVE_MODELS`` is off.
    """

    estimator: object
    ranking: pd.DataFrame
    paths: OutputPaths
    model_files: list

    @property
    def stability(self):
        """Split-half Spearman correlation of the ensemble's rankings."""
        return self.estimator.stability_


def load_data(settings: Settings) -> Dataset:
    """Load and validate the configured dataset, and check the result folders can be written.

    Raises
    ------
    deepfeat.errors.DeepfeatError
        On bad data or unusable folders, before anything is trained or written.
    """
    dataset = load_dataset(settings.data_file, settings.attribute_file, settings.label_column, settings.task)
    dataset = dataset.with_categorical(settings.categorical)
    if settings.missing == "drop":
        dataset = dataset.without_missing()
    try:
        check_attributes(dataset.X, dataset.categorical, dataset.feature_names)
    except DataError as error:
        raise DataError(f"{dataset.source}: {error}") from None
    problem = encoding_problem(
        settings.normalization,
        settings.numeric_encoding,
        bool(dataset.categorical.any()),
        bool(dataset.missing.any()),
        lambda spec: spec.variable,
    )
    if problem is not None:
        raise ConfigError(f"{dataset.source}: {problem}")
    check_writable(settings.output_dir, "OUTPUT_DIR")
    check_writable(settings.model_dir, "MODEL_DIR")
    return dataset


#: The estimator of each task: the classifier reads a 2-D target as multi-label.
ESTIMATORS = {
    "classification": DeepFeatureImportance,
    "multilabel": DeepFeatureImportance,
    "regression": DeepFeatureImportanceRegressor,
}


def estimator_for(settings: Settings, n_models: int, random_state=None, task="classification"):
    """The estimator the runner's settings describe for ``task`` (a :class:`Dataset`'s);
    ``random_state`` stands in for an unset ``SEED``."""
    return ESTIMATORS[task](
        n_models=n_models,
        random_state=settings.seed if settings.seed is not None else random_state,
        **{spec.name: getattr(settings, spec.name) for spec in SHARED_SETTINGS},
    )


@contextmanager
def open_checkpoint(settings: Settings, n_models: int):
    """The checkpoint of a run of ``n_models`` models, ``MODEL_DIR/.deepfeat-run-N/``, locked for the block.

    Results of an earlier run of ``n_models`` that were being moved into place when it was
    killed are finished first (see :func:`finish_interrupted_results`); with ``RESTART`` set,
    whatever the checkpoint held is discarded.

    Yields
    ------
    RunCheckpoint

    Raises
    ------
    deepfeat.checkpoint.RunInProgress
        If a live run holds the checkpoint; nothing is touched.
    """
    checkpoint = _checkpoint(settings, n_models)
    with checkpoint.locked():
        _finish_results(settings, n_models)
        if settings.restart:
            checkpoint.discard()
        yield checkpoint


def finish_interrupted_results(settings: Settings) -> list[int]:
    """Finish, or undo, the result sets that runs killed while writing them left in the folders.

    A set whose journal was written is completed, one killed before that is removed, so that
    each folder holds one complete set per N (see :class:`deepfeat.outputs.ResultSet`). Sets
    whose run is still live are left to it.

    Returns
    -------
    list of int
        The N of every set moved into place.
    """
    found = {
        int(match[1])
        for folder in {Path(settings.output_dir), Path(settings.model_dir)}
        if folder.is_dir()
        for match in map(_PENDING_RESULTS.fullmatch, (path.name for path in folder.iterdir()))
        if match
    }
    finished = []
    for n_models in sorted(found):
        try:
            with _checkpoint(settings, n_models).locked():
                if _finish_results(settings, n_models):
                    finished.append(n_models)
        except RunInProgress:
            continue  # the live run writes them itself
    return finished


def _checkpoint(settings, n_models):
    folder = Path(settings.model_dir) / f".deepfeat-run-{n_models}"
    return RunCheckpoint(folder, interval=settings.checkpoint_seconds)


def _finish_results(settings, n_models):
    """:func:`deepfeat.outputs.finish_results` for the set of ``n_models``; call it holding that run's lock."""
    journal = output_paths(settings.output_dir, settings.model_dir, n_models).journal
    return finish_results(journal, (settings.output_dir, settings.model_dir))


# How the inputs in a checkpoint's fingerprint are called on the command line.
_SETTING_NAMES = {
    "data": "data",
    "seed": "SEED",
    "task": "TASK (or LABEL_COLUMN)",
    "null_models": "DECISIONS",
    "categorical": "CATEGORICAL",
    "format": "checkpoint format (from another deepfeat version)",
}


def _mismatch_error(error: CheckpointMismatch) -> ConfigError:
    names = list(dict.fromkeys(_SETTING_NAMES.get(key, key.upper()) for key in error.differences))
    return ConfigError(
        f"{error.folder} holds an unfinished run made with a different {', '.join(names)}; "
        "run the earlier command again to resume it, or set RESTART=1 (--restart) to discard it and start over"
    )


def run_experiment(
    settings: Settings, dataset: Dataset, n_models: int, progress=None, checkpoint=None, stop=None
) -> ExperimentResult:
    """Train ``n_models`` networks on ``dataset`` and write every result file.

    Training resumes from the run's checkpoint if an earlier run was interrupted, and the
    checkpoint is deleted once every file is written. When ``SEED`` is unset, the seed drawn
    is kept in the checkpoint so that a resumed run goes on with it.

    Parameters
    ----------
    settings : Settings
    dataset : Dataset
        As returned by :func:`load_data`.
    n_models : int
    progress : callable, optional
        Passed to :meth:`DeepFeatureImportance.fit`.
    checkpoint : RunCheckpoint, optional
        Defaults to :func:`open_checkpoint`'s, locked for the call.
    stop : deepfeat.training.StopRequest, optional
        Lets a stop be requested from outside (a signal handler).

    Returns
    -------
    ExperimentResult

    Raises
    ------
    deepfeat.errors.ConfigError
        If the checkpoint holds an unfinished run with other data or settings.
    deepfeat.checkpoint.RunInProgress
        If no ``checkpoint`` is given and a live run holds the run's own.
    deepfeat.errors.WriteError
        If the results cannot be written (a full disk): the earlier ones are untouched, and the
        checkpoint is kept, so that running again writes them without training.
    deepfeat.training.Interrupted
        If a stop was requested through ``stop``; the progress so far is saved.
    """
    if checkpoint is None:
        with open_checkpoint(settings, n_models) as checkpoint:
            return run_experiment(settings, dataset, n_models, progress, checkpoint, stop)
    seed = None if settings.seed is not None else checkpoint.remember("random_state", lambda: secrets.randbelow(2**32))
    try:
        estimator = estimator_for(settings, n_models, seed, dataset.task)
        estimator.set_params(categorical_features=dataset.categorical)
        estimator.fit(dataset.X, dataset.y, progress=progress, checkpoint=checkpoint, stop=stop)
    except CheckpointMismatch as error:
        raise _mismatch_error(error) from None
    except TrainingError:
        checkpoint.discard()  # its groups diverged: a run with other settings starts afresh
        raise
    names = list(dataset.feature_names)
    ranking = estimator.ranking(names)
    paths = output_paths(settings.output_dir, settings.model_dir, n_models)
    model_files = [paths.model_path(i) for i in range(n_models)] if settings.save_models else []
    title = (
        f"{Path(dataset.source).name}: attribute importance for {dataset.label_name} ({dataset.task}), "
        f"{n_models} models"
    )
    # Models saved by an earlier run of N belong to its set: a run that saves none removes them.
    replaced = [] if settings.save_models else [paths.model_path(i) for i in range(n_models)]
    try:
        with ResultSet(paths.journal, remove=replaced) as results:
            write_weights_csv(results.stage(paths.weights_csv), names, estimator.importances_)
            write_ranking_csv(results.stage(paths.ranking_csv), ranking)
            plot_ranking(results.stage(paths.ranking_png), ranking, title)
            write_logs_json(results.stage(paths.logs_json), estimator.history_)
            for i, model_file in enumerate(model_files):
                with atomic_path(results.stage(model_file)) as path:
                    estimator.ensemble_.keras_model(i).save(path)
    except WriteError as error:
        raise WriteError(
            f"{error}; the trained networks are kept in {checkpoint.folder}, so running the same command "
            "again writes the results without training"
        ) from None
    checkpoint.discard()
    return ExperimentResult(estimator, ranking, paths, model_files)
