"""deepfeat.experiment: the plot and the table agree, unset seeds survive a resume, checkpoint errors."""

import json
from pathlib import Path

import pandas as pd
import pytest

from deepfeat import experiment
from deepfeat.checkpoint import CheckpointMismatch
from deepfeat.config import Settings
from deepfeat.training import Interrupted, StopRequest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def dataset():
    return experiment.load_data(
        Settings(data_file=ROOT / "Data/wine.data", attribute_file=ROOT / "Data/wine.attributes")
    )


def settings_in(folder, **changes):
    base = Settings(
        data_file=ROOT / "Data/wine.data",
        output_dir=folder / "out",
        model_dir=folder / "models",
        max_epochs=6,
        patience=1,
        learning_rate=1e-2,
        save_models=False,
        checkpoint_seconds=0,
    )
    return Settings(**{**base.__dict__, **changes})


def test_plot_title_names_the_data_and_n_and_shows_the_ranking_csv(dataset, tmp_path, monkeypatch):
    plotted = {}
    original = experiment.plot_ranking

    def spy(path, ranking, title):
        plotted.update(ranking=ranking.copy(), title=title)
        original(path, ranking, title)

    monkeypatch.setattr(experiment, "plot_ranking", spy)
    result = experiment.run_experiment(settings_in(tmp_path, seed=0), dataset, 2)
    assert plotted["title"] == "wine.data: attribute importance for label (classification), 2 models"
    assert result.paths.ranking_png.read_bytes().startswith(b"\x89PNG")
    table = pd.read_csv(result.paths.ranking_csv)
    pd.testing.assert_frame_equal(table, plotted["ranking"], check_exact=True, check_dtype=False)
    weights = pd.read_csv(result.paths.weights_csv)
    assert (table.set_index("attribute")["importance"] - weights.mean()[table["attribute"]]).abs().max() < 1e-12


def test_a_drawn_seed_is_kept_for_the_resumed_run(dataset, tmp_path):
    settings = settings_in(tmp_path / "a")  # SEED unset
    request = StopRequest()

    def stop(finished, n_models, epoch, n_training):
        if epoch == 2:
            request.request()

    with pytest.raises(Interrupted):
        experiment.run_experiment(settings, dataset, 2, progress=stop, stop=request)
    run = json.loads((tmp_path / "a/models/.deepfeat-run-2/run.json").read_text())
    assert isinstance(run["values"]["random_state"], int)

    # A new seed would make the ensemble's fingerprint differ and the resume be refused.
    result = experiment.run_experiment(settings, dataset, 2)
    assert len(result.estimator.history_) == 2
    assert not (tmp_path / "a/models/.deepfeat-run-2").exists()


def test_mismatch_names_the_settings_to_change():
    error = experiment._mismatch_error(
        CheckpointMismatch(
            Path("m/.deepfeat-run-2"), {"data": (1, 2), "importance_init": (1, 2), "hidden_units": (1, 2)}
        )
    )
    message = str(error)
    folder = Path("m/.deepfeat-run-2")
    different = "data, IMPORTANCE_INIT, HIDDEN_UNITS"
    assert message.startswith(f"{folder} holds an unfinished run made with a different {different};")
    assert "RESTART=1" in message and "\n" not in message
