"""Bad input through the command line: exit status 2, one line saying what and where, earlier results kept.

Every case runs ``deepfeat`` in-process on top of an output folder and a model folder that already
hold results, and checks that not a byte of them changed and nothing was added.
"""

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from deepfeat import cli
from deepfeat.config import ENV_VARIABLES

ROOT = Path(__file__).resolve().parents[1]
GOOD_ROWS = "1.0,2.0,0\n2.0,1.0,1\n3.0,0.5,0\n0.5,3.0,1\n"
# Results of an earlier run that no failed run may touch.
EARLIER = {
    "out/output_weights_2.csv": b"a,b\n0.5,0.5\n0.25,0.75\n",
    "out/ranking_2.csv": b"rank,attribute\n1,b\n2,a\n",
    "models/logs_2.json": b'{"0": {}, "1": {}}\n',
    "models/model_2_0.keras": b"not really a model",
}


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    """A working directory with earlier results in out/ and models/, and no deepfeat settings around."""
    for variable in (*ENV_VARIABLES, "EXP_OUTPUT_CSV_FILE", "OUTPUT_MODEL_DIR"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("OUTPUT_DIR", "out")
    monkeypatch.setenv("MODEL_DIR", "models")
    monkeypatch.chdir(tmp_path)
    for name, data in EARLIER.items():
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_bytes(data)
    (tmp_path / "good.csv").write_text("a,b,label\n" + GOOD_ROWS)
    return tmp_path


def snapshot(folder):
    """Every file under ``folder`` with its bytes."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def write(path, data):
    if isinstance(data, bytes):
        path.write_bytes(data)
    else:
        path.write_text(data)


# (case id, files to create, environment, flags, stdin, words the message must contain)
CASES = [
    ("missing data file", {}, {"DATA_FILE": "absent.csv"}, [], None, ["absent.csv", "does not exist"]),
    ("empty data file", {"d.csv": ""}, {"DATA_FILE": "d.csv"}, [], None, ["d.csv", "empty"]),
    ("header only", {"d.csv": "a,b,label\n"}, {"DATA_FILE": "d.csv"}, [], None, ["d.csv", "no data rows"]),
    (
        "binary data file",
        {"d.csv": b"\x89PNG\r\n\x1a\n\x00\x00\x00"},
        {"DATA_FILE": "d.csv"},
        [],
        None,
        ["d.csv", "binary, not text"],
    ),
    ("data file is a folder", {}, {"DATA_FILE": "out"}, [], None, ["out", "directory"]),
    (
        "a text column that identifies rows",
        {"d.csv": "a,b,label\n1,x1,0\n3,x2,1\n2,x3,0\n4,x4,1\n"},
        {"DATA_FILE": "d.csv"},
        [],
        None,
        ["d.csv", "categorical column 'b'", "4 distinct values in 4 rows", "identifies rows", "drop the column"],
    ),
    (
        "CATEGORICAL names no column",
        {},
        {"DATA_FILE": "good.csv", "CATEGORICAL": "a,colour"},
        [],
        None,
        ["good.csv", "CATEGORICAL names 'colour'", "not a column"],
    ),
    (
        "CATEGORICAL names the label",
        {},
        {"DATA_FILE": "good.csv"},
        ["--categorical", "2"],
        None,
        ["CATEGORICAL names 'label'", "the label column"],
    ),
    (
        "CATEGORICAL index past the columns",
        {},
        {"DATA_FILE": "good.csv", "CATEGORICAL": "7"},
        [],
        None,
        ["CATEGORICAL names column index 7", "columns 0 to 2"],
    ),
    (
        "an attribute missing in every row",
        {"d.csv": "a,b,label\n?,2,0\n,1,1\nNA,3,0\n?,4,1\n"},
        {"DATA_FILE": "d.csv"},
        [],
        None,
        ["d.csv", "'a' is missing in every row"],
    ),
    (
        "MISSING=drop leaves one class",
        {"d.csv": "a,b,label\n1,2,0\n?,1,1\n3,3,0\n4,,1\n"},
        {"DATA_FILE": "d.csv", "MISSING": "drop"},
        [],
        None,
        ["d.csv", "MISSING=drop leaves 2 of 4 rows", "one class", "MISSING=impute"],
    ),
    (
        "MISSING not a choice",
        {},
        {"DATA_FILE": "good.csv", "MISSING": "mean"},
        [],
        None,
        ["MISSING", "'mean'", "impute, drop"],
    ),
    (
        "infinity",
        {"d.csv": "a,b,label\n1,2,0\n-inf,4,1\n"},
        {"DATA_FILE": "d.csv"},
        [],
        None,
        ["d.csv", "row 3", "'a'", "not a finite number"],
    ),
    (
        "ragged row",
        {"d.csv": "a,b,label\n1,2,0\n3,4,1,9\n"},
        {"DATA_FILE": "d.csv"},
        [],
        None,
        ["d.csv", "row 3", "4 fields", "expected 3"],
    ),
    (
        "one class only",
        {"d.csv": "a,b,label\n1,2,0\n3,4,0\n"},
        {"DATA_FILE": "d.csv"},
        [],
        None,
        ["d.csv", "'label'", "only one class"],
    ),
    (
        "attribute file does not match the columns",
        {"d.csv": GOOD_ROWS, "names.txt": "a,b,c,d,e\n"},
        {"DATA_FILE": "d.csv", "ATTRIBUTE_FILE": "names.txt"},
        [],
        None,
        ["names.txt", "5 names", "3 columns"],
    ),
    (
        "attribute file repeats a name",
        {"d.csv": GOOD_ROWS, "names.txt": "a,a,label\n"},
        {"DATA_FILE": "d.csv", "ATTRIBUTE_FILE": "names.txt"},
        [],
        None,
        ["d.csv", "'a'", "more than once"],
    ),
    (
        "unknown label column",
        {},
        {"DATA_FILE": "good.csv", "LABEL_COLUMN": "class"},
        [],
        None,
        ["good.csv", "'class'", "columns are: a, b, label"],
    ),
    ("label index out of range", {}, {"DATA_FILE": "good.csv"}, ["--label-column", "7"], None, ["good.csv", "index 7"]),
    ("text at the prompt", {}, {"DATA_FILE": "good.csv"}, [], "many\n", ["number of models 'many'", "whole number"]),
    ("zero at the prompt", {}, {"DATA_FILE": "good.csv"}, [], "0\n", ["number of models '0'", ">= 1"]),
    ("negative at the prompt", {}, {"DATA_FILE": "good.csv"}, [], "-3\n", ["number of models '-3'", ">= 1"]),
    ("end of input at the prompt", {}, {"DATA_FILE": "good.csv"}, [], "", ["no number of models", "N_MODELS"]),
    ("N_MODELS zero", {}, {"DATA_FILE": "good.csv", "N_MODELS": "0"}, [], None, ["N_MODELS='0'", "in the environment"]),
    (
        "output folder is a file",
        {},
        {"DATA_FILE": "good.csv", "OUTPUT_DIR": "good.csv"},
        [],
        None,
        ["OUTPUT_DIR", "good.csv", "not a directory"],
    ),
    (
        "output folder under a file",
        {},
        {"DATA_FILE": "good.csv", "OUTPUT_DIR": "good.csv/results"},
        [],
        None,
        ["OUTPUT_DIR", "good.csv/results", "not a directory"],
    ),
    (
        "model folder under a file",
        {},
        {"DATA_FILE": "good.csv", "MODEL_DIR": "out/ranking_2.csv/models"},
        [],
        None,
        ["MODEL_DIR", "ranking_2.csv", "not a directory"],
    ),
    (
        "learning rate zero",
        {},
        {"DATA_FILE": "good.csv"},
        ["--learning-rate", "0"],
        None,
        ["LEARNING_RATE='0'", "> 0", "on the command line"],
    ),
    (
        "validation fraction out of range",
        {},
        {"DATA_FILE": "good.csv", "VALIDATION_FRACTION": "1.5"},
        [],
        None,
        ["VALIDATION_FRACTION='1.5'", "must be in (0, 1)"],
    ),
    (
        "negative patience in .env",
        {".env": "DATA_FILE=good.csv\nPATIENCE=-2\n"},
        {},
        [],
        None,
        ["PATIENCE='-2'", ".env"],
    ),
    (
        "unknown trainer",
        {},
        {"DATA_FILE": "good.csv", "TRAINER": "torch"},
        [],
        None,
        ["TRAINER='torch'", "stacked, keras"],
    ),
    (
        "negative checkpoint interval",
        {},
        {"DATA_FILE": "good.csv", "CHECKPOINT_SECONDS": "-1"},
        [],
        None,
        ["CHECKPOINT_SECONDS='-1'"],
    ),
    ("no data file set", {}, {}, [], None, ["DATA_FILE is not set"]),
    (
        "regression on a text label",
        {"d.csv": "a,b,label\n1,2,3.5\n3,4,high\n"},
        {"DATA_FILE": "d.csv", "TASK": "regression"},
        [],
        None,
        ["d.csv", "row 3", "'label'", "'high'", "TASK=regression"],
    ),
    (
        "missing labels",
        {"d.csv": "a,b,label\n1,2,0\n3,4,\n5,6,1\n7,8,?\n"},
        {"DATA_FILE": "d.csv"},
        [],
        None,
        ["d.csv", "'label'", "missing on 2 of 4 rows", "rows 3, 5"],
    ),
    (
        "multi-label column with three values",
        {"d.csv": "a,x,y\n1,0,0\n3,1,1\n5,0,2\n"},
        {"DATA_FILE": "d.csv", "LABEL_COLUMN": "x,y"},
        [],
        None,
        ["d.csv", "multi-label column 'y'", "'2'", "row 4"],
    ),
    (
        "label listed twice",
        {"d.csv": "a,x,y\n1,0,0\n3,1,1\n"},
        {"DATA_FILE": "d.csv"},
        ["--label-column", "x,1"],
        None,
        ["d.csv", "'x' is listed twice"],
    ),
    ("empty label name", {}, {"DATA_FILE": "good.csv", "LABEL_COLUMN": "a,,b"}, [], None, ["LABEL_COLUMN='a,,b'"]),
    # --- labels: NaN, NA and null name no class ---
    (
        "NaN, NA and null labels",
        {"d.csv": "a,b,label\n1,2,0\n3,4,NaN\n5,6,1\n7,8,NA\n9,1,null\n"},
        {"DATA_FILE": "d.csv"},
        [],
        None,
        ["d.csv", "'label'", "missing on 3 of 5 rows", "rows 3, 5, 6"],
    ),
    # --- values the networks cannot compute with, and file names the file system refuses ---
    (
        "value beyond float32",
        {"d.csv": "a,b,label\n1,2,0\n3,1e39,1\n"},
        {"DATA_FILE": "d.csv"},
        [],
        None,
        ["d.csv", "row 3", "'b'", "'1e39'", "float32"],
    ),
    (
        "regression label beyond float32",
        {"d.csv": "a,b,y\n1,2,0.5\n3,4,-4e38\n5,6,1.5\n"},
        {"DATA_FILE": "d.csv", "TASK": "regression"},
        [],
        None,
        ["d.csv", "row 3", "'y'", "'-4e38'", "float32"],
    ),
    (
        "data file name too long",
        {},
        {"DATA_FILE": "x" * 300 + ".csv"},
        [],
        None,
        ["x" * 300 + ".csv", "cannot read data file", "too long"],
    ),
    (
        "output folder name too long",
        {},
        {"DATA_FILE": "good.csv", "OUTPUT_DIR": "o" * 300},
        [],
        None,
        ["OUTPUT_DIR", "cannot be used", "too long"],
    ),
    # --- a headerless file without ATTRIBUTE_FILE ---
    (
        "numbers as the header",
        {"d.csv": GOOD_ROWS},
        {"DATA_FILE": "d.csv"},
        [],
        None,
        ["d.csv", "first row (1.0,2.0,0) is numbers", "ATTRIBUTE_FILE"],
    ),
    # --- line endings: still a message naming the row, in the file's own numbering ---
    (
        "text in a CR-only file",
        {"d.csv": b"a,b,label\r1,2,0\r3,1e39,1\r"},
        {"DATA_FILE": "d.csv"},
        [],
        None,
        ["d.csv", "row 3", "'1e39'", "beyond the float32 range"],
    ),
    # --- settings files ---
    (
        ".env line that cannot be read",
        {".env": "DATA_FILE=good.csv\nMAX EPOCHS=3\n"},
        {},
        [],
        None,
        [".env, line 2", "cannot read 'MAX EPOCHS=3'", "NAME=value"],
    ),
    (
        "misspelt setting in .env",
        {".env": "DATA_FILE=good.csv\nMAX_EPOCH=3\n"},
        {},
        [],
        None,
        [".env, line 2", "MAX_EPOCH is not a deepfeat setting", "did you mean MAX_EPOCHS?"],
    ),
    (
        "setting in lower case in .env",
        {".env": "DATA_FILE=good.csv\nn_models=3\n"},
        {},
        [],
        None,
        [".env, line 2", "did you mean N_MODELS?"],
    ),
    (
        ".env not UTF-8",
        {".env": b"DATA_FILE=caf\xe9.csv\n"},
        {},
        [],
        None,
        [".env", "not UTF-8"],
    ),
    # --- numbers of thousands of digits ---
    (
        "N_MODELS of 5000 digits",
        {},
        {"DATA_FILE": "good.csv", "N_MODELS": "9" * 5000},
        [],
        None,
        ["N_MODELS='99999", "(5000 characters)", "more digits", "in the environment"],
    ),
    (
        "5000 digits at the prompt",
        {},
        {"DATA_FILE": "good.csv"},
        [],
        "7" * 5000 + "\n",
        ["number of models '77777", "(5000 characters)", "more digits"],
    ),
    ("SEED of 5000 digits", {}, {"DATA_FILE": "good.csv"}, ["--seed", "1" * 5000], None, ["SEED='1111", "more digits"]),
    # --- decisions ---
    ("ALPHA of 0", {}, {"DATA_FILE": "good.csv", "ALPHA": "0"}, [], None, ["ALPHA='0'", "must be in (0, 1)"]),
    ("ALPHA of 1", {}, {"DATA_FILE": "good.csv"}, ["--alpha", "1"], None, ["ALPHA='1'", "must be in (0, 1)"]),
    (
        "DECISIONS with too few models",
        {},
        {"DATA_FILE": "good.csv", "DECISIONS": "true", "N_MODELS": "4"},
        [],
        None,
        ["DECISIONS needs at least 5 models", "ALPHA=0.05", "N_MODELS=4", "DECISIONS off"],
    ),
    (
        "DECISIONS with too few models at the prompt",
        {},
        {"DATA_FILE": "good.csv", "DECISIONS": "yes", "ALPHA": "0.01"},
        [],
        "6\n",
        ["DECISIONS needs at least 7 models", "ALPHA=0.01", "N_MODELS=6"],
    ),
]


@pytest.mark.parametrize(
    ("files", "environ", "flags", "stdin", "words"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_bad_input_exits_2_with_one_line_and_keeps_earlier_results(
    workdir, monkeypatch, capsys, files, environ, flags, stdin, words
):
    for name, data in files.items():
        write(workdir / name, data)
    for variable, value in environ.items():
        monkeypatch.setenv(variable, value)
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin if stdin is not None else ""))
    before = snapshot(workdir)

    status = cli.main(flags)

    captured = capsys.readouterr()
    assert status == 2
    lines = captured.err.splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith("deepfeat: error: ")
    for word in words:
        assert word in lines[0]
    assert "Traceback" not in captured.out + captured.err
    assert snapshot(workdir) == before


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write into read-only folders")
def test_read_only_output_folder(workdir, monkeypatch, capsys):
    locked = workdir / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    monkeypatch.setenv("DATA_FILE", "good.csv")
    try:
        status = cli.main(["--output-dir", "locked/results"])
    finally:
        locked.chmod(0o700)
    lines = capsys.readouterr().err.splitlines()
    assert status == 2 and len(lines) == 1 and "OUTPUT_DIR" in lines[0]


def test_console_script_prints_only_the_error(tmp_path):
    """A real process, so that nothing else (warnings, a traceback) can reach the terminal."""
    script = Path(sys.executable).parent / "deepfeat"
    if not script.exists():
        pytest.skip(f"no console script next to {sys.executable}")
    env = {k: v for k, v in os.environ.items() if k not in ENV_VARIABLES}
    env.update(DATA_FILE=str(ROOT / "Data/wine.data"), N_MODELS="none")
    result = subprocess.run([str(script)], capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "deepfeat: error: N_MODELS='none' is not a whole number (set in the environment)"
    ]
    assert result.stdout == ""


def test_a_full_disk_while_writing_results_keeps_the_earlier_ones_and_the_trained_networks(
    workdir, monkeypatch, capsys, caplog
):
    from deepfeat import experiment

    monkeypatch.setenv("DATA_FILE", "good.csv")
    monkeypatch.setenv("N_MODELS", "2")
    monkeypatch.setenv("MAX_EPOCHS", "2")
    before = snapshot(workdir)
    with monkeypatch.context() as patch:

        def full_disk(path, logs):  # the disk fills up after the weights, the ranking and its plot
            raise OSError(28, "No space left on device")

        patch.setattr(experiment, "write_logs_json", full_disk)
        status = cli.main(["-q"])
    lines = capsys.readouterr().err.splitlines()
    assert status == 2 and len(lines) == 1, lines
    assert lines[0] == (
        f"deepfeat: error: cannot write {Path('models/logs_2.json')}: No space left on device; the earlier results "
        f"are untouched; the trained networks are kept in {Path('models/.deepfeat-run-2')}, so running the same "
        "command again writes the results without training"
    )
    kept = {name: data for name, data in snapshot(workdir).items() if ".deepfeat-run-2" not in name}
    assert kept == before  # nothing staged is left, nothing earlier changed

    with caplog.at_level("INFO", logger="deepfeat.checkpoint"):
        assert cli.main(["-q"]) == 0
    assert "2 of 2 models finished" in caplog.text  # loaded, not trained again
    assert (workdir / "models/logs_2.json").read_bytes() != EARLIER["models/logs_2.json"]
    assert not (workdir / "models/.deepfeat-run-2").exists()


def test_an_internal_error_is_one_line_saying_where_the_trace_is(workdir, monkeypatch, capsys):
    from deepfeat import experiment

    def broken(settings):
        raise RuntimeError("boom\nsecond line")

    monkeypatch.setattr(experiment, "load_data", broken)
    monkeypatch.setenv("DATA_FILE", "good.csv")
    assert cli.main([]) == 1
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("deepfeat: internal error: RuntimeError: boom (a bug in deepfeat: ")
    trace = Path(lines[0].split("the full trace is in ")[1].split(",")[0])
    try:
        assert "Traceback" in trace.read_text() and "second line" in trace.read_text()
    finally:
        trace.unlink()
    assert "DEEPFEAT_DEBUG=1 prints it" in lines[0]

    monkeypatch.setenv("DEEPFEAT_DEBUG", "1")
    assert cli.main([]) == 1
    err = capsys.readouterr().err
    assert err.startswith("Traceback (most recent call last):") and "RuntimeError: boom" in err
    assert err.splitlines()[-1].startswith("deepfeat: internal error: RuntimeError: boom (a bug in deepfeat")


def test_a_vanished_file_is_one_line_not_a_traceback(workdir, monkeypatch, capsys):
    from deepfeat import experiment

    def vanished(settings):
        raise FileNotFoundError(2, "No such file or directory", "good.csv")

    monkeypatch.setattr(experiment, "load_data", vanished)
    monkeypatch.setenv("DATA_FILE", "good.csv")
    assert cli.main([]) == 2
    assert capsys.readouterr().err.splitlines() == ["deepfeat: error: good.csv: No such file or directory"]
