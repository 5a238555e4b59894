"""One experiment run: the configured data in, a fitted ensemble and its result files out.

A run saves its progress in ``MODEL_DIR/.deepfeat-run-N/`` (see :mod:`deepfeat.checkpoint`)
and deletes it once every result file is written, so the same command run again after an
interruption resumes it.
"""

import secrets
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .checkpoint import CheckpointMismatch, RunCheckpoint
from .config import Settings
from .data import Dataset, load_dataset
from .errors import ConfigError
from .estimator import SHARED_SETTINGS, DeepFeatureImportance, DeepFeatureImportanceRegressor
from .outputs import (
    OutputPaths,
    atomic_path,
    check_writable,
    output_paths,
    plot_ranking,
    write_logs_json,
    write_ranking_csv,
    write_weights_csv,
)


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


def open_checkpoint(settings: Settings, n_models: int) -> RunCheckpoint:
    """The checkpoint of a run of ``n_models`` models: ``MODEL_DIR/.deepfeat-run-N/``.

    With ``RESTART`` set, whatever it held is discarded.
    """
    folder = Path(settings.model_dir) / f".deepfeat-run-{n_models}"
    return RunCheckpoint(folder, interval=settings.checkpoint_seconds, restart=settings.restart)


# How the inputs in a checkpoint's fingerprint are called on the command line.
_SETTING_NAMES = {
    "data": "data",
    "seed": "SEED",
    "task": "TASK (or LABEL_COLUMN)",
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
        Defaults to :func:`open_checkpoint`.
    stop : deepfeat.training.StopRequest, optional
        Lets a stop be requested from outside (a signal handler).

    Returns
    -------
    ExperimentResult

    Raises
    ------
    deepfeat.errors.ConfigError
        If the checkpoint holds an unfinished run with other data or settings.
    deepfeat.training.Interrupted
        If a stop was requested through ``stop``; the progress so far is saved.
    """
    if checkpoint is None:
        checkpoint = open_checkpoint(settings, n_models)
    seed = None if settings.seed is not None else checkpoint.remember("random_state", lambda: secrets.randbelow(2**32))
    try:
        estimator = estimator_for(settings, n_models, seed, dataset.task).fit(
            dataset.X, dataset.y, progress=progress, checkpoint=checkpoint, stop=stop
        )
    except CheckpointMismatch as error:
        raise _mismatch_error(error) from None
    names = list(dataset.feature_names)
    ranking = estimator.ranking(names)
    paths = output_paths(settings.output_dir, settings.model_dir, n_models)
    write_weights_csv(paths.weights_csv, names, estimator.importances_)
    write_ranking_csv(paths.ranking_csv, ranking)
    plot_ranking(
        paths.ranking_png,
        ranking,
        f"{Path(dataset.source).name}: attribute importance for {dataset.label_name} ({dataset.task}), "
        f"{n_models} models",
    )
    write_logs_json(paths.logs_json, estimator.history_)
    model_files = [paths.model_path(i) for i in range(n_models)] if settings.save_models else []
    for i, model_file in enumerate(model_files):
        with atomic_path(model_file) as path:
            estimator.ensemble_.keras_model(i).save(path)
    checkpoint.discard()
    return ExperimentResult(estimator, ranking, paths, model_files)
