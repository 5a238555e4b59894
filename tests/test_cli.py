"""The ``deepfeat`` command in-process: flags, prompt, precedence, result files.

The command as a real process is run by test_resume.py (``python -m deepfeat`` with the answer piped
in, and the ``deepfeat`` console script) and test_bad_inputs.py.
"""

import csv
import io
import json
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

from deepfeat import cli
from deepfeat.config import ENV_VARIABLES
from deepfeat.errors import NoSkillWarning
from deepfeat.settings import SETTINGS
from deepfeat.skill import ValidationSkill

ROOT = Path(__file__).resolve().parents[1]
WINE = ROOT / "Data/wine.data"
WINE_NAMES = ROOT / "Data/wine.attributes"
CLEVELAND = ROOT.parent / "shared/datasets/cleveland"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    """An empty working directory and an environment without deepfeat settings."""
    for variable in (*ENV_VARIABLES, "EXP_OUTPUT_CSV_FILE", "OUTPUT_MODEL_DIR"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def set_env(monkeypatch, **settings):
    for variable, value in settings.items():
        monkeypatch.setenv(variable, str(value))


def read_weights(path):
    with open(path, newline="") as handle:
        header, *rows = list(csv.reader(handle))
    return header, np.array(rows, dtype=float)


# --- flags ----------------------------------------------------------------------------------


def test_help_lists_every_setting_resume_and_exit_statuses(capsys):
    with pytest.raises(SystemExit) as excinfo:
        cli.main(["--help"])
    assert excinfo.value.code == 0
    text = " ".join(capsys.readouterr().out.split()).replace("- ", "-")  # argparse wraps at hyphens too
    for spec in SETTINGS:  # every flag: its meaning, what it allows and its default
        assert f"{spec.flag} " in text
        assert " ".join(spec.help_text().split()).replace("- ", "-") in text
    assert "(one of: stacked, keras; default: stacked)" in text
    for words in ("run the same command again", "--restart", "130 interrupted (SIGINT)", "143 terminated (SIGTERM)"):
        assert words in text


def test_version(capsys):
    with pytest.raises(SystemExit):
        cli.main(["--version"])
    assert capsys.readouterr().out.startswith("deepfeat 0.")


def test_boolean_flags_alone_mean_true():
    args = cli.build_parser().parse_args(["--restart", "--save-models", "no"])
    assert args.RESTART == "true" and args.SAVE_MODELS == "no"
    assert cli.build_parser().parse_args([]).RESTART is None


# --- in-process runs ------------------------------------------------------------------------


def test_run_answers_the_prompt_and_writes_every_result(workdir, monkeypatch, capsys):
    set_env(monkeypatch, DATA_FILE=WINE, ATTRIBUTE_FILE=WINE_NAMES, MAX_EPOCHS=3, SEED=1)
    monkeypatch.setattr(sys, "stdin", io.StringIO("3\n"))
    assert cli.main([]) == 0
    out = capsys.readouterr().out
    assert out.startswith(
        "Task: classification, as label 'label' has 3 distinct whole numbers (at most 20); "
        "set TASK=regression (--task) to override.\nHow many models to train? Training 3 model(s) on "
    )
    assert "178 rows, 13 attributes, 3 classes" in out and "Results:" in out
    assert "models              Models (3 files, model_3_0.keras ...)" in out

    names = WINE_NAMES.read_text().strip().split(",")
    header, weights = read_weights(workdir / "ExpOutput/output_weights_3.csv")
    assert header == names
    assert weights.shape == (3, 13)
    np.testing.assert_allclose(weights.sum(axis=1), 1.0)
    with open(workdir / "ExpOutput/ranking_3.csv", newline="") as handle:
        ranking = list(csv.DictReader(handle))
    assert sorted(row["attribute"] for row in ranking) == sorted(names)
    assert (workdir / "ExpOutput/ranking_3.png").read_bytes().startswith(PNG_SIGNATURE)

    logs = json.loads((workdir / "Models/logs_3.json").read_text())
    assert list(logs) == ["0", "1", "2"]
    for log in logs.values():
        for key in ("best_epoch", "epochs_run", "seed", "loss", "val_loss"):
            assert key in log
        for prefix in ("", "val_"):
            for k in range(3):
                assert 0 <= log[f"{prefix}output_class_{k}_precision"] <= 1
                assert 0 <= log[f"{prefix}output_class_{k}_recall"] <= 1
        assert 1 <= log["best_epoch"] <= log["epochs_run"] <= 3

    import keras

    for i in range(3):
        model = keras.saving.load_model(workdir / f"Models/model_3_{i}.keras")
        gate = model.get_layer("importance").get_weights()[0]
        np.testing.assert_allclose(gate / gate.sum(), weights[i], rtol=1e-6)
        assert model.predict(np.loadtxt(WINE, delimiter=",")[:2, :13], verbose=0).shape == (2, 3)
    assert not (workdir / "Models/.deepfeat-run-3").exists()


def test_a_numeric_label_runs_as_regression_with_its_own_logs_and_readout(workdir, monkeypatch, capsys):
    from sklearn.datasets import make_friedman1

    X, y = make_friedman1(n_samples=200, n_features=6, noise=0.5, random_state=0)
    rows = "".join(",".join(f"{v:.4f}" for v in (*x, t)) + "\n" for x, t in zip(X, y))
    (workdir / "f.csv").write_text("a,b,c,d,e,noise,target\n" + rows)
    set_env(monkeypatch, DATA_FILE="f.csv", N_MODELS=2, MAX_EPOCHS=30, LEARNING_RATE=0.01, SEED=1)
    assert cli.main([]) == 0
    out = capsys.readouterr().out
    assert out.startswith(
        "Task: regression, as label 'target' has 200 distinct numbers, not all whole; "
        "set TASK=classification (--task) to override.\n"
    )
    assert "200 rows, 6 attributes, numeric label 'target'" in out
    assert "Validation R2 of the networks (each on its held-out rows): 0." in out and "Warning" not in out
    logs = json.loads((workdir / "Models/logs_2.json").read_text())
    for log in logs.values():
        assert {"rmse", "mae", "r2", "val_rmse", "val_mae", "val_r2", "val_r2_se"} <= set(log)
        assert not any(key.startswith("output_class") for key in log)
    header, weights = read_weights(workdir / "ExpOutput/output_weights_2.csv")
    assert header == ["a", "b", "c", "d", "e", "noise"] and weights.shape == (2, 6)

    import keras

    model = keras.saving.load_model(workdir / "Models/model_2_0.keras")
    predicted = model.predict(X[:50].astype("float32"), verbose=0)[:, 0]
    assert np.corrcoef(predicted, y[:50])[0, 1] > 0.8 and abs(predicted.mean() - y[:50].mean()) < 2  # target units


def test_flags_beat_environment_beat_dotenv(workdir, monkeypatch):
    (workdir / ".env").write_text(
        f"DATA_FILE={WINE}\nATTRIBUTE_FILE={WINE_NAMES}\nN_MODELS=2\nOUTPUT_DIR=dotenv_out\nMODEL_DIR=dotenv_models\n"
        "MAX_EPOCHS=1\nSAVE_MODELS=false\n"
    )
    set_env(monkeypatch, OUTPUT_DIR="env_out", MODEL_DIR="env_models")
    assert cli.main(["-q", "--output-dir", "flag_out"]) == 0
    assert (workdir / "flag_out/output_weights_2.csv").is_file()  # flag over environment
    assert (workdir / "env_models/logs_2.json").is_file()  # environment over .env
    assert not list(workdir.glob("env_models/*.keras"))  # .env over default
    for unused in ("env_out", "dotenv_out", "dotenv_models"):
        assert not (workdir / unused).exists()


@pytest.mark.skipif(not CLEVELAND.is_dir(), reason="the Cleveland data (../shared) is not here")
def test_cleveland_through_data_and_attribute_file(workdir, monkeypatch, capsys):
    set_env(
        monkeypatch,
        DATA_FILE=CLEVELAND / "processed.cleveland.data",
        ATTRIBUTE_FILE=CLEVELAND / "attributes",
        N_MODELS=2,
        MAX_EPOCHS=2,
        SAVE_MODELS=0,
    )
    assert cli.main(["-q"]) == 0
    out = capsys.readouterr().out
    assert "303 rows, 13 attributes (2 with missing cells, imputed: ca, thal), 5 classes" in out
    monkeypatch.setenv("MISSING", "drop")
    monkeypatch.setenv("CATEGORICAL", "cp,thal")
    assert cli.main(["-q"]) == 0
    out = capsys.readouterr().out
    assert "297 rows, 13 attributes (2 categorical: cp, thal), 5 classes (6 rows with missing values dropped)" in out
    assert "\n  models " not in out  # SAVE_MODELS off: no models to point at
    logs = json.loads((workdir / "Models/logs_2.json").read_text())
    assert {"output_class_4_precision", "val_output_class_4_recall"} <= set(logs["1"])
    assert "output_class_5_precision" not in logs["1"]
    header, _ = read_weights(workdir / "ExpOutput/output_weights_2.csv")
    assert header[:3] == ["age", "sex", "cp"] and len(header) == 13


@pytest.mark.parametrize(
    ("stability", "could_eliminate", "advice"),
    [
        (0.95, True, []),
        (0.5, True, ["Train more models (now 10; try 40)", "ELIMINATION_KEEP=0.5"]),
        (0.5, False, ["Train more models"]),
    ],
)
def test_low_stability_advice(stability, could_eliminate, advice):
    lines = cli._stability_lines(stability, 10, could_eliminate, at_chance=False)
    assert lines[0].endswith(f"{stability:.3f}")
    assert len(lines) == 1 + len(advice)
    for line, wanted in zip(lines[1:], advice):
        assert wanted in line


@pytest.mark.parametrize(
    ("settings", "suggested"),
    [
        ({}, True),
        ({"ELIMINATION_KEEP": 0.5}, False),  # already eliminating
        ({"NORMALIZATION": "row-l2"}, False),  # elimination cannot be combined with it
    ],
)
def test_elimination_is_suggested_only_where_it_can_run(workdir, monkeypatch, capsys, settings, suggested):
    # A learning rate at which the networks learn wine in a few epochs: advice is for networks that learned.
    set_env(
        monkeypatch,
        DATA_FILE=WINE,
        ATTRIBUTE_FILE=WINE_NAMES,
        N_MODELS=2,
        MAX_EPOCHS=4,
        LEARNING_RATE=0.01,
        SEED=0,
        **settings,
    )
    monkeypatch.setattr("deepfeat.importance.STABLE_SPEARMAN", 1.5)  # every run's stability counts as low
    assert cli.main(["-q", "--save-models", "no"]) == 0
    out = capsys.readouterr().out
    assert "no better than chance" not in out
    assert "Stability is low" in out
    assert ("ELIMINATION_KEEP=0.5" in out) is suggested


def test_stability_needs_two_models():
    assert cli._stability_lines(float("nan"), 1, True, False) == ["Split-half stability: needs at least 2 models."]
    one_attribute = ["Split-half stability: needs at least 2 attributes."]
    assert cli._stability_lines(float("nan"), 3, False, False) == one_attribute


def test_networks_at_chance_are_flagged_and_get_no_advice_to_train_more():
    lines = cli._trust_lines(ValidationSkill("AUROC", 0.51, 0.5, 0.03), 0.4, 10, could_eliminate=True)
    assert lines[0].endswith("0.510 (chance 0.5)")
    assert "no better than chance (0.5 +/- 0.030)" in lines[1]
    assert lines[2].endswith("0.400")
    assert len(lines) == 3  # neither "train more models" nor elimination: neither fixes no signal
    learned = cli._trust_lines(ValidationSkill("AUROC", 0.9, 0.5, 0.03), 0.4, 10, could_eliminate=True)
    assert not any("chance (" in line for line in learned[1:]) and "Train more models" in learned[2]
    unknown = cli._trust_lines(
        ValidationSkill("AUROC", float("nan"), 0.5, float("nan")), 0.95, 10, could_eliminate=True
    )
    assert unknown[0].startswith("Validation AUROC: not available")


def test_a_run_on_labels_unrelated_to_the_data_warns(workdir, monkeypatch, capsys):
    rng = np.random.default_rng(0)
    rows = np.column_stack([rng.standard_normal((200, 5)).round(4), rng.integers(0, 2, 200)])
    data = workdir / "noise.csv"
    np.savetxt(data, rows, delimiter=",", fmt=["%.4f"] * 5 + ["%d"], header="a,b,c,d,e,class", comments="")
    set_env(monkeypatch, DATA_FILE=data, N_MODELS=4, MAX_EPOCHS=20, LEARNING_RATE=0.01, SEED=0, SAVE_MODELS=0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert cli.main(["-q"]) == 0
    assert not [w for w in caught if issubclass(w.category, NoSkillWarning)]  # said once, in the readout
    out = capsys.readouterr().out
    assert "so this ranking is not backed by anything they learned" in out
    assert "Train more models" not in out


def test_recursive_elimination_with_decisions_from_the_command_line(workdir, monkeypatch, capsys):
    """Five models are enough for decisions, made in the first round; the rounds order the rest."""
    set_env(monkeypatch, DATA_FILE=WINE, ATTRIBUTE_FILE=WINE_NAMES, N_MODELS=5, MAX_EPOCHS=4, SEED=3, DECISIONS=1)
    assert cli.main(["-q", "--elimination-keep", "0.5", "--save-models", "no", "--learning-rate", "0.01"]) == 0
    out = capsys.readouterr().out
    assert "Recursive elimination: 3 rounds on 13, 7, 4 attributes" in out
    assert "Uniform importance" not in out
    assert "3 more models train on shuffled labels" in out
    summary = next(line for line in out.splitlines() if line.startswith("Decisions"))
    assert "(made in the first round, on every attribute)" in summary and "false-discovery rate of 0.05" in summary
    with open(workdir / "ExpOutput/ranking_5.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 13 and {row["decision"] for row in rows} <= {"confirmed", "tentative", "rejected"}
    counts = {word: sum(row["decision"] == word for row in rows) for word in ("confirmed", "tentative", "rejected")}
    assert ": " + ", ".join(f"{n} {word}" for word, n in counts.items()) + " at a" in summary
    assert all(0 <= float(row["p_value"]) <= 1 for row in rows)
    _, weights = read_weights(workdir / "ExpOutput/output_weights_5.csv")
    assert weights.shape == (5, 13)  # the null models are not among the results
    np.testing.assert_allclose(weights.sum(axis=1), 1.0)
    assert len(json.loads((workdir / "Models/logs_5.json").read_text())) == 5
    assert not (workdir / "Models/.deepfeat-run-5").exists()  # every round's checkpoint is gone


def test_the_memory_budget_does_not_change_any_model(workdir, monkeypatch, capsys):
    """64 MB trains these 2,000-column networks a few at a time, 4096 MB all at once: same weights."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((120, 2000)).round(3)
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    data = workdir / "wide.csv"
    header = ",".join(f"x{i}" for i in range(2000)) + ",class"
    np.savetxt(data, np.column_stack([X, y]), delimiter=",", fmt=["%.3f"] * 2000 + ["%d"], header=header, comments="")
    set_env(monkeypatch, DATA_FILE=data, N_MODELS=12, MAX_EPOCHS=4, LEARNING_RATE=0.01, SEED=11, SAVE_MODELS=0)
    weights = {}
    for budget in (64, 4096):
        monkeypatch.chdir(workdir)
        folder = workdir / f"budget-{budget}"
        assert cli.main(["-q", "--memory-budget-mb", str(budget), "--output-dir", str(folder)]) == 0
        weights[budget] = (folder / "output_weights_12.csv").read_bytes()
    capsys.readouterr()
    from deepfeat.ensemble import TrainingOptions, group_size
    from deepfeat.network import network_spec

    small = TrainingOptions(memory_budget_mb=64, learning_rate=0.01)
    assert (
        group_size(12, network_spec(2000, 2, small, "sigmoid"), 60, 60, small) < 12
    )  # really trained in several groups
    assert weights[64] == weights[4096]  # bit for bit


def test_a_run_that_diverges_exits_2_names_the_setting_and_keeps_no_progress(workdir, monkeypatch, capsys):
    set_env(monkeypatch, DATA_FILE=WINE, ATTRIBUTE_FILE=WINE_NAMES, N_MODELS=2, MAX_EPOCHS=3, LEARNING_RATE=1e9)
    assert cli.main([]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert "networks diverged" in lines[-1] and "LEARNING_RATE" in lines[-1] and "Traceback" not in lines[-1]
    assert not (workdir / "ExpOutput").exists() or not list((workdir / "ExpOutput").iterdir())
    assert not (workdir / "Models/.deepfeat-run-2").exists()  # a rerun with another rate starts afresh


# --- warnings in deepfeat's words -------------------------------------------------------------


def test_constant_and_unscalable_attributes_are_said_once_with_what_to_change(workdir, monkeypatch, caplog):
    rng = np.random.default_rng(0)
    n = 60
    columns = {
        "signal": rng.normal(size=n),
        "const": np.full(n, 5.0),
        "tiny": rng.normal(size=n) * 1e-15,  # below what standardisation rescales
        "offset": 1e6 + rng.normal(size=n) * 1e-4,  # its variation is lost in float32
        "small": rng.normal(size=n) * 1e-9,  # fine standardised, invisible unscaled
    }
    rows = "".join(",".join(repr(float(c[i])) for c in columns.values()) + f",{i % 2}\n" for i in range(n))
    (workdir / "d.csv").write_text(",".join(columns) + ",label\n" + rows)
    set_env(monkeypatch, DATA_FILE="d.csv")
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))  # stop at the prompt: no training needed
    with caplog.at_level("WARNING", logger="deepfeat.cli"):
        assert cli.main(["-q"]) == 2
    assert [record.getMessage() for record in caplog.records if record.name == "deepfeat.cli"] == [
        "attribute 'const' has the same value on every row: the networks cannot learn from it, so its "
        "rank is chance. Remove it from the data file.",
        "2 attributes (tiny, offset) vary too little for their size for NORMALIZATION=standard to rescale, "
        "so the networks see them as constant; rescale them in the data file (subtract a typical value, or change "
        "the unit): no NORMALIZATION can.",
    ]
    caplog.clear()
    with caplog.at_level("WARNING", logger="deepfeat.cli"):
        assert cli.main(["-q", "--normalization", "none"]) == 2
    said = [record.getMessage() for record in caplog.records if record.name == "deepfeat.cli"]
    assert len(said) == 3 and said[2].startswith(
        "attribute 'small' varies too little for its size for NORMALIZATION=none"
    )
    assert said[2].endswith("NORMALIZATION=standard (--normalization standard) rescales it.")


def test_library_warnings_are_one_line_without_source_paths(workdir, monkeypatch, capsys):
    from deepfeat import experiment
    from deepfeat.errors import DataError, DeepfeatWarning

    def warning_load(settings):
        warnings.warn_explicit("odd\n  input", UserWarning, "/x/site-packages/sklearn/utils/v.py", 7)
        warnings.warn("said by deepfeat", DeepfeatWarning, stacklevel=1)
        raise DataError("stop here")

    monkeypatch.setattr(experiment, "load_data", warning_load)
    set_env(monkeypatch, DATA_FILE="d.csv")
    assert cli.main([]) == 2
    assert capsys.readouterr().err.splitlines() == [
        "Warning: (sklearn, UserWarning) odd input",
        "Warning: said by deepfeat",
        "deepfeat: error: stop here",
    ]
    monkeypatch.setenv("DEEPFEAT_DEBUG", "1")  # shown as Python shows them: deepfeat leaves them alone
    with pytest.warns(UserWarning) as caught:
        assert cli.main([]) == 2
    assert [(str(w.message), w.filename) for w in caught][0] == ("odd\n  input", "/x/site-packages/sklearn/utils/v.py")
    assert str(caught[1].message) == "said by deepfeat"
