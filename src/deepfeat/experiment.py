"""One experiment run: the configured data in, a fitted ensemble and its result files out."""

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .config import Settings
from .data import Dataset, load_dataset
from .estimator import DeepFeatureImportance
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
    estimator : DeepFeatureImportance
        The fitted ensemble.
    ranking : pandas.DataFrame
        The ranking table, most important attribute first.
    paths : OutputPaths
        Where the files were written.
    """

    estimator: DeepFeatureImportance
    ranking: pd.DataFrame
    paths: OutputPaths

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
    dataset = load_dataset(settings.data_file, settings.attribute_file, settings.label_column)
    check_writable(settings.output_dir, "OUTPUT_DIR")
    check_writable(settings.model_dir, "MODEL_DIR")
    return dataset


def estimator_for(settings: Settings, n_models: int) -> DeepFeatureImportance:
    """The estimator the runner's settings describe."""
    return DeepFeatureImportance(
        n_models=n_models,
        learning_rate=settings.learning_rate,
        batch_size=settings.batch_size,
        max_epochs=settings.max_epochs,
        patience=settings.patience,
        validation_fraction=settings.validation_fraction,
        normalization=settings.normalization,
        importance_init=settings.importance_init,
        trainer=settings.trainer,
        memory_budget_mb=settings.memory_budget_mb,
        random_state=settings.seed,
    )


def run_experiment(settings: Settings, dataset: Dataset, n_models: int, progress=None) -> ExperimentResult:
    """Train ``n_models`` networks on ``dataset`` and write every result file.

    Parameters
    ----------
    settings : Settings
    dataset : Dataset
        As returned by :func:`load_data`.
    n_models : int
    progress : callable, optional
        Passed to :meth:`DeepFeatureImportance.fit`.

    Returns
    -------
    ExperimentResult
    """
    estimator = estimator_for(settings, n_models).fit(dataset.X, dataset.y, progress=progress)
    names = list(dataset.feature_names)
    ranking = estimator.ranking(names)
    paths = output_paths(settings.output_dir, settings.model_dir, n_models)
    write_weights_csv(paths.weights_csv, names, estimator.importances_)
    write_ranking_csv(paths.ranking_csv, ranking)
    plot_ranking(paths.ranking_png, ranking, f"{Path(dataset.source).name}: attribute importance, {n_models} models")
    write_logs_json(paths.logs_json, estimator.history_)
    if settings.save_models:
        for i in range(n_models):
            with atomic_path(paths.model_path(i)) as path:
                estimator.ensemble_.keras_model(i, importance_init=settings.importance_init).save(path)
    return ExperimentResult(estimator, ranking, paths)
