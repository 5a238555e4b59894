"""Tests for deepfeat.config: precedence, aliases, validation messages."""

import dataclasses
import os
import sys
from pathlib import Path

import numpy as np
import pytest

from deepfeat.config import ENV_VARIABLES, Settings, debug_requested, load_settings, parse_n_models
from deepfeat.errors import ConfigError
from deepfeat.settings import setting

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def env_file(tmp_path):
    """A .env file path in a temporary folder, written by the test."""
    return tmp_path / ".env"


def load(overrides=None, environ=None, env_file=None):
    """load_settings isolated from the real environment and the real .env."""
    return load_settings(overrides, environ=environ or {}, env_file=env_file)


def test_defaults_with_only_data_file():
    settings = load({"DATA_FILE": "d.csv"})
    assert settings == Settings(data_file=Path("d.csv"))
    assert settings.output_dir == Path("ExpOutput")
    assert settings.model_dir == Path("Models")
    assert settings.n_models is None and settings.seed is None
    assert settings.learning_rate == 1e-4
    assert settings.save_models is True


def test_every_variable_maps_to_a_settings_field():
    assert [f.name.upper() for f in dataclasses.fields(Settings)] == list(ENV_VARIABLES)


def test_readme_table_and_env_example_match_the_specification():
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import settings_docs
    finally:
        sys.path.remove(str(ROOT / "scripts"))
    for path, (current, wanted) in settings_docs.updated().items():
        assert current == wanted, f"{path.name} disagrees with deepfeat.settings: run scripts/settings_docs.py"
    table = settings_docs.readme_table()
    assert all(f"| `{v}` |" in table for v in ENV_VARIABLES)
    assert "| `LEARNING_RATE` | `1e-4` | > 0 | Adam's learning rate |" in table


def test_all_variables_parsed(env_file):
    env_file.write_text(
        "DATA_FILE=a.csv\nATTRIBUTE_FILE=a.names\nLABEL_COLUMN=num\nN_MODELS=7\n"
        "OUTPUT_DIR=out\nMODEL_DIR=mod\nSEED=42\nLEARNING_RATE=0.01\nBATCH_SIZE=8\n"
        "MAX_EPOCHS=5\nPATIENCE=0\nVALIDATION_FRACTION=0.25\nVALIDATION_SPLIT=Fixed\nNORMALIZATION=Column-L2\n"
        "IMPORTANCE_INIT=glorot-relu\nHIDDEN_UNITS=16\nHIDDEN_LAYERS=2\nL2=0\nNOISE_STD=0.1\nDROPOUT=0.25\n"
        "GATE_L1=1e-3\nTRAINER=keras\nMEMORY_BUDGET_MB=64\nELIMINATION_KEEP=0.5\nSAVE_MODELS=no\n"
        "CHECKPOINT_SECONDS=0\nRESTART=yes\n"
    )
    assert load(env_file=env_file) == Settings(
        data_file=Path("a.csv"),
        attribute_file=Path("a.names"),
        label_column="num",
        n_models=7,
        output_dir=Path("out"),
        model_dir=Path("mod"),
        seed=42,
        learning_rate=0.01,
        batch_size=8,
        max_epochs=5,
        patience=0,
        validation_fraction=0.25,
        validation_split="fixed",
        normalization="column-l2",
        importance_init="glorot-relu",
        hidden_units=16,
        hidden_layers=2,
        l2=0.0,
        noise_std=0.1,
        dropout=0.25,
        gate_l1=1e-3,
        trainer="keras",
        memory_budget_mb=64,
        elimination_keep=0.5,
        save_models=False,
        checkpoint_seconds=0.0,
        restart=True,
    )


def test_precedence_flag_over_env_over_dotenv_over_default(env_file):
    env_file.write_text("DATA_FILE=d.csv\nN_MODELS=2\nBATCH_SIZE=3\nPATIENCE=4\n")
    environ = {"N_MODELS": "20", "BATCH_SIZE": "30"}
    settings = load({"N_MODELS": "200"}, environ, env_file)
    assert settings.n_models == 200
    assert settings.batch_size == 30
    assert settings.patience == 4
    assert settings.max_epochs == 2000


def test_none_and_empty_values_count_as_unset(env_file):
    env_file.write_text("DATA_FILE=d.csv\nN_MODELS=2\nLABEL_COLUMN=\n")
    settings = load({"N_MODELS": None}, {"N_MODELS": "  "}, env_file)
    assert settings.n_models == 2
    assert settings.label_column is None


def test_missing_env_file_is_fine(tmp_path):
    settings = load_settings(environ={"DATA_FILE": "d.csv"}, env_file=tmp_path / "absent.env")
    assert settings.data_file == Path("d.csv")


def test_default_env_file_is_read_from_working_directory(tmp_path, monkeypatch):
    (tmp_path / ".env").write_text("DATA_FILE=from_dotenv.csv\n")
    monkeypatch.chdir(tmp_path)
    assert load_settings(environ={}).data_file == Path("from_dotenv.csv")


def test_env_file_does_not_touch_os_environ(env_file, monkeypatch):
    monkeypatch.delenv("PATIENCE", raising=False)
    env_file.write_text("DATA_FILE=d.csv\nPATIENCE=3\n")
    load_settings(env_file=env_file)
    assert "PATIENCE" not in os.environ


def test_data_file_required():
    with pytest.raises(ConfigError, match="DATA_FILE is not set"):
        load()


def test_aliases(env_file):
    settings = load(
        environ={
            "DATA_FILE": "d.csv",
            "EXP_OUTPUT_CSV_FILE": "results/ranking.csv",
            "OUTPUT_MODEL_DIR": "old_models",
        }
    )
    assert settings.output_dir == Path("results")
    assert settings.model_dir == Path("old_models")
    # An alias value that is not a .csv file is the folder itself.
    assert load({"DATA_FILE": "d", "EXP_OUTPUT_CSV_FILE": "res"}).output_dir == Path("res")


def test_canonical_name_wins_over_alias_at_same_level():
    environ = {"DATA_FILE": "d", "MODEL_DIR": "new", "OUTPUT_MODEL_DIR": "old"}
    assert load(environ=environ).model_dir == Path("new")


def test_alias_at_higher_level_wins_over_canonical_below(env_file):
    env_file.write_text("DATA_FILE=d\nOUTPUT_DIR=from_dotenv\n")
    settings = load(environ={"EXP_OUTPUT_CSV_FILE": "env/x.csv"}, env_file=env_file)
    assert settings.output_dir == Path("env")


@pytest.mark.parametrize(
    ("text", "expected"),
    [("3", 3), ("0", 0), ("target", "target"), ("-1", "-1"), ("3a", "3a")],
)
def test_label_column_all_digits_is_an_index(text, expected):
    assert load({"DATA_FILE": "d", "LABEL_COLUMN": text}).label_column == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1", True),
        ("TRUE", True),
        ("yes", True),
        ("Yes", True),
        ("0", False),
        ("false", False),
        ("NO", False),
    ],
)
def test_boolean_parsing(text, expected):
    assert load({"DATA_FILE": "d", "SAVE_MODELS": text}).save_models is expected


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("LEARNING_RATE", "abc", "LEARNING_RATE='abc' is not a number"),
        ("LEARNING_RATE", "0", "LEARNING_RATE='0' must be > 0"),
        ("LEARNING_RATE", "nan", "LEARNING_RATE='nan' is not a finite number"),
        ("PATIENCE", "-1", "PATIENCE='-1' must be >= 0"),
        ("N_MODELS", "0", "N_MODELS='0' must be >= 1"),
        ("N_MODELS", "2.5", "N_MODELS='2.5' is not a whole number"),
        ("BATCH_SIZE", "many", "BATCH_SIZE='many' is not a whole number"),
        ("MAX_EPOCHS", "0", "MAX_EPOCHS='0' must be >= 1"),
        ("MEMORY_BUDGET_MB", "63", "MEMORY_BUDGET_MB='63' must be >= 64"),
        ("ELIMINATION_KEEP", "0", "ELIMINATION_KEEP='0' must be in (0, 1]"),
        ("ELIMINATION_KEEP", "1.5", "ELIMINATION_KEEP='1.5' must be in (0, 1]"),
        ("SEED", "-5", "SEED='-5' must be in [0, 4294967295]"),
        ("VALIDATION_FRACTION", "1", "VALIDATION_FRACTION='1' must be in (0, 1)"),
        ("VALIDATION_FRACTION", "0", "VALIDATION_FRACTION='0' must be in (0, 1)"),
        (
            "NORMALIZATION",
            "zscore",
            "NORMALIZATION='zscore' must be one of: standard, column-l2, row-l2, none",
        ),
        ("IMPORTANCE_INIT", "zeros", "IMPORTANCE_INIT='zeros' must be one of: ones,"),
        ("TRAINER", "torch", "TRAINER='torch' must be one of: stacked, keras"),
        ("VALIDATION_SPLIT", "random", "VALIDATION_SPLIT='random' must be one of: per-model, fixed, last"),
        ("SAVE_MODELS", "maybe", "SAVE_MODELS='maybe' is not a boolean; use one of: 1,"),
        ("CHECKPOINT_SECONDS", "-1", "CHECKPOINT_SECONDS='-1' must be >= 0"),
        ("RESTART", "please", "RESTART='please' is not a boolean"),
        ("HIDDEN_UNITS", "0", "HIDDEN_UNITS='0' must be >= 1"),
        ("DROPOUT", "1", "DROPOUT='1' must be in [0, 1)"),
        ("GATE_L1", "-0.1", "GATE_L1='-0.1' must be >= 0"),
    ],
)
def test_validation_errors_name_variable_and_value(variable, value, message):
    with pytest.raises(ConfigError) as excinfo:
        load({"DATA_FILE": "d", variable: value})
    text = str(excinfo.value)
    assert message in text
    assert "(set on the command line)" in text
    assert "\n" not in text


def test_error_says_where_the_value_came_from(env_file):
    env_file.write_text("DATA_FILE=d\nPATIENCE=soon\n")
    with pytest.raises(ConfigError, match=r"PATIENCE='soon' .*\(set in .*\.env\)"):
        load(env_file=env_file)
    with pytest.raises(ConfigError, match=r"PATIENCE='x' .*\(set in the environment\)"):
        load(environ={"DATA_FILE": "d", "PATIENCE": "x"})


def test_elimination_with_row_l2_is_refused_by_name():
    with pytest.raises(ConfigError, match=r"^ELIMINATION_KEEP=0.5 cannot be combined with NORMALIZATION='row-l2'"):
        load({"DATA_FILE": "d", "ELIMINATION_KEEP": "0.5", "NORMALIZATION": "row-l2"})


def test_unknown_override_is_rejected():
    with pytest.raises(ConfigError, match="unknown setting 'NOT_A_SETTING'"):
        load({"NOT_A_SETTING": "1"})


@pytest.mark.parametrize(("text", "expected"), [("5", 5), (" 12\n", 12), ("+3", 3)])
def test_parse_n_models_accepts_positive_whole_numbers(text, expected):
    assert parse_n_models(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("abc", "number of models 'abc' is not a whole number"),
        ("", "number of models '' is not a whole number"),
        ("1.5", "number of models '1.5' is not a whole number"),
        ("0", "number of models '0' must be >= 1"),
        ("-2", "number of models '-2' must be >= 1"),
    ],
)
def test_parse_n_models_rejects(text, message):
    with pytest.raises(ConfigError, match=message.replace(".", r"\.")):
        parse_n_models(text)


def test_the_library_implements_exactly_the_specified_choices():
    from deepfeat.encoding import fit_encoding
    from deepfeat.ensemble import TRAINERS, plan_splits
    from deepfeat.network import GATE_INITS

    assert tuple(GATE_INITS) == setting("importance_init").choices
    assert tuple(TRAINERS) == setting("trainer").choices
    X, strata = np.arange(24.0).reshape(8, 3), np.arange(8) % 2
    for method in setting("normalization").choices:
        fit_encoding(method, X, [np.arange(4)])
    for how in setting("validation_split").choices:
        plan_splits(strata, 8, 0.5, how, 0, [1, 2])
    with pytest.raises(ValueError, match="'zscore' must be one of: standard, column-l2, row-l2, none"):
        fit_encoding("zscore", X, [np.arange(4)])


# --- .env lines that cannot be read, and names that are nearly settings ------------------


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("MAX EPOCHS=3", r"line 3: cannot read 'MAX EPOCHS=3'; write NAME=value"),
        ('LABEL_COLUMN="class', r"line 3: cannot read 'LABEL_COLUMN=\"class'"),
        ("= 5", r"line 3: cannot read '= 5'"),
        ("MAX_EPOCH=3", r"line 3: MAX_EPOCH is not a deepfeat setting; did you mean MAX_EPOCHS\?"),
        ("PATIENT=3", r"did you mean PATIENCE\?"),
        ("max_epochs=3", r"max_epochs is not a deepfeat setting; did you mean MAX_EPOCHS\?"),
        ("OUTPUT_MODEL_DIRS=m", r"did you mean OUTPUT_MODEL_DIR\?"),
        ("N_MODELS", r"line 3: N_MODELS has no value; write N_MODELS=value"),
        ("DEEPFEAT_DEBUG=1", r"line 3: DEEPFEAT_DEBUG is read from the environment only"),
    ],
)
def test_a_bad_env_line_is_an_error_naming_file_and_line(env_file, line, message):
    env_file.write_text(f"# settings\nDATA_FILE=d.csv\n{line}\nPATIENCE=3\n")
    with pytest.raises(ConfigError, match=message) as excinfo:
        load(env_file=env_file)
    assert str(excinfo.value).startswith(f"{env_file}, line 3: ")
    assert "\n" not in str(excinfo.value)


def test_other_tools_names_in_env_are_left_alone(env_file, caplog):
    env_file.write_text("UID=1000\nGID=1000\nCOMPOSE_PROJECT_NAME=x\nTF_CPP_MIN_LOG_LEVEL=0\nDATA_FILE=d.csv\n")
    with caplog.at_level("WARNING"):
        assert load(env_file=env_file).data_file == Path("d.csv")
    assert caplog.text == ""  # nor python-dotenv's own warnings


def test_env_with_a_byte_order_mark_and_crlf(env_file):
    env_file.write_bytes(b"\xef\xbb\xbfDATA_FILE=d.csv\r\nN_MODELS=4\r\n")
    settings = load(env_file=env_file)
    assert settings.data_file == Path("d.csv") and settings.n_models == 4


def test_env_that_is_not_utf8(env_file):
    env_file.write_bytes(b"DATA_FILE=caf\xe9.csv\n")
    with pytest.raises(ConfigError, match=r"settings file .*\.env is not UTF-8 text"):
        load(env_file=env_file)


# --- numbers of more digits than Python converts ------------------------------------------


@pytest.mark.parametrize("variable", ["N_MODELS", "SEED", "BATCH_SIZE"])
def test_thousands_of_digits_are_a_short_one_line_error(variable):
    with pytest.raises(ConfigError) as excinfo:
        load({"DATA_FILE": "d", variable: "9" * 5000})
    message = str(excinfo.value)
    assert message.startswith(f"{variable}='99999999999999999999'... (5000 characters) has more digits than")
    assert message.endswith("(set on the command line)") and len(message) < 200


def test_thousands_of_digits_at_the_prompt():
    with pytest.raises(ConfigError, match=r"^number of models '1{20}'\.\.\. \(4301 characters\) has more digits"):
        parse_n_models("1" * 4301)


@pytest.mark.parametrize(("value", "wanted"), [(None, False), ("", False), ("0", False), ("1", True), ("yes", True)])
def test_debug_switch(value, wanted):
    assert debug_requested({} if value is None else {"DEEPFEAT_DEBUG": value}) is wanted
