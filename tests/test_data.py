"""Tests for deepfeat.data: both CSV layouts, missing values, labels, errors."""

import ctypes
import logging
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from deepfeat.data import Dataset, _return_freed_heap, load_dataset
from deepfeat.errors import DataError

CLEVELAND = Path(__file__).parents[2] / "shared/datasets/cleveland"


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


@pytest.fixture
def header_csv(tmp_path):
    return write(tmp_path / "h.csv", "a,b,target\n1,2,0\n3,4,1\n5,6,1\n")


def load_text(tmp_path, text, **kwargs) -> Dataset:
    return load_dataset(write(tmp_path / "x.csv", text), **kwargs)


def error_of(tmp_path, text, **kwargs) -> str:
    with pytest.raises(DataError) as excinfo:
        load_text(tmp_path, text, **kwargs)
    message = str(excinfo.value)
    assert "\n" not in message
    return message


# --- layouts ------------------------------------------------------------------


def test_header_layout(header_csv):
    data = load_dataset(header_csv)
    np.testing.assert_array_equal(data.X, [[1, 2], [3, 4], [5, 6]])
    assert data.X.dtype == np.float64
    np.testing.assert_array_equal(data.y, [0, 1, 1])
    assert data.y.dtype == np.int64
    assert data.feature_names == ("a", "b")
    assert data.label_name == "target"
    assert data.source == str(header_csv)
    assert data.n_dropped == 0


def test_headerless_with_attribute_names_only(tmp_path):
    csv = write(tmp_path / "d.data", "1,2,0\n3,4,1\n")
    names = write(tmp_path / "attributes", " a , b ")  # no trailing newline, spaces
    data = load_dataset(csv, names)
    assert data.feature_names == ("a", "b")
    assert data.label_name == "label"
    np.testing.assert_array_equal(data.X, [[1, 2], [3, 4]])
    np.testing.assert_array_equal(data.y, [0, 1])


def test_headerless_with_all_column_names(tmp_path):
    csv = write(tmp_path / "d.data", "0,1,2\n1,3,4\n")
    names = write(tmp_path / "names", "cls,a,b\n")
    data = load_dataset(csv, names, label_column="cls")
    assert data.feature_names == ("a", "b")
    assert data.label_name == "cls"
    np.testing.assert_array_equal(data.X, [[1, 2], [3, 4]])
    # Without label_column the last named column is the label.
    assert load_dataset(csv, names).label_name == "b"


def test_label_by_index_and_name(header_csv):
    by_index = load_dataset(header_csv, label_column=0)
    assert by_index.label_name == "a"
    assert by_index.feature_names == ("b", "target")
    np.testing.assert_array_equal(by_index.y, [1, 3, 5])
    assert load_dataset(header_csv, label_column=np.int64(1)).label_name == "b"
    assert load_dataset(header_csv, label_column="b").feature_names == ("a", "target")


def test_string_labels_and_whitespace(tmp_path):
    data = load_text(tmp_path, "x, y ,kind\n1, 2, cat \n3,4,dog\n5,6,cat\n")
    assert data.feature_names == ("x", "y")
    assert data.y.dtype == object
    assert list(data.y) == ["cat", "dog", "cat"]


def test_whole_number_float_labels_become_ints(tmp_path):
    data = load_text(tmp_path, "x,y\n1,1.0\n2,3\n3,0.0\n")
    assert data.y.dtype == np.int64
    np.testing.assert_array_equal(data.y, [1, 3, 0])


def test_fractional_labels_stay_strings(tmp_path):
    assert list(load_text(tmp_path, "x,y\n1,0.5\n2,1\n").y) == ["0.5", "1"]


def test_blank_lines_are_skipped_and_line_numbers_kept(tmp_path):
    data = load_text(tmp_path, "x,y\n\n1,0\n   \n2,1\n\n")
    assert data.X.shape == (2, 1)
    data = load_text(tmp_path, "x,y\n\n1,0\n\nz,1\n")  # text: a categorical column
    assert data.levels == (("1", "z"),) and data.X[:, 0].tolist() == [0, 1]


def test_missing_values_dropped_counted_and_logged(tmp_path, caplog):
    text = "a,b,c\n1,2,0\n?,3,1\n4, ,1\n5,6,0\n7,8,1\n9, ? ,0\n"
    kept = load_text(tmp_path, text)
    assert kept.n_dropped == 0 and np.isnan(kept.X).sum() == 3  # missing cells are NaN until dropped
    with caplog.at_level(logging.INFO, logger="deepfeat.data"):
        data = kept.without_missing()
    assert data.n_dropped == 3
    np.testing.assert_array_equal(data.X, [[1, 2], [5, 6], [7, 8]])
    np.testing.assert_array_equal(data.y, [0, 0, 1])
    assert "dropped 3 of 6 rows" in caplog.text
    assert "rows 3, 4, 7" in caplog.text


def test_a_missing_label_is_an_error_naming_the_rows(tmp_path):
    message = error_of(tmp_path, "a,c\n1,0\n2,\n3, ? \n4,nan\n5,1\n")
    assert "label column 'c' is missing on 3 of 5 rows (rows 3, 4, 5)" in message


def test_single_sample_class_is_allowed(tmp_path):
    data = load_text(tmp_path, "x,y\n1,0\n2,0\n3,1\n")
    np.testing.assert_array_equal(data.y, [0, 0, 1])


@pytest.mark.skipif(not CLEVELAND.is_dir(), reason="Cleveland data not available")
def test_real_cleveland_file():
    data = load_dataset(CLEVELAND / "processed.cleveland.data", CLEVELAND / "attributes")
    assert data.X.shape == (303, 13) and np.isnan(data.X).sum() == 6
    data = data.without_missing()
    assert data.X.shape == (297, 13)
    assert data.n_dropped == 6
    assert sorted(np.unique(data.y)) == [0, 1, 2, 3, 4]
    assert data.feature_names[0] == "age" and data.feature_names[-1] == "thal"
    assert data.label_name == "label"


# --- errors -------------------------------------------------------------------


def test_a_column_holding_text_is_categorical_with_sorted_levels(tmp_path):
    data = load_text(tmp_path, "age,sex,y\n1,m,0\n3,f,1\n2,?,1\n4,10,0\n")
    assert data.levels == (None, ("10", "f", "m"))
    assert data.categorical.tolist() == [False, True]
    np.testing.assert_array_equal(data.X[:, 1], [2, 1, np.nan, 0])
    assert data.with_categorical("age").categorical.tolist() == [True, True]
    assert data.with_categorical(0).categorical.tolist() == [True, True]


def test_an_out_of_range_value_in_headerless_layout_counts_lines_from_one(tmp_path):
    csv = write(tmp_path / "d.data", "1,2,0\n3,4,1\n1e39,5,1\n")
    names = write(tmp_path / "names", "a,b")
    with pytest.raises(DataError, match="row 3, column 'a': '1e39' is beyond"):
        load_dataset(csv, names)


@pytest.mark.parametrize("value", ["inf", "-inf", "1e999"])
def test_non_finite_attribute_is_an_error(tmp_path, value):
    message = error_of(tmp_path, f"a,b,y\n1,2,0\n3,{value},1\n")
    assert f"row 3, column 'b': '{value}' is not a finite number" in message


@pytest.mark.parametrize("value", ["nan", "NA", "?", "", "null", "n/a"])
def test_missing_attribute_markers_are_nan(tmp_path, value):
    data = load_text(tmp_path, f"a,b,y\n1,2,0\n3,{value},1\n")
    assert np.isnan(data.X[1, 1]) and data.levels == (None, None) and data.missing.tolist() == [False, True]


def test_missing_file(tmp_path):
    with pytest.raises(DataError, match=r"nope\.csv: data file does not exist"):
        load_dataset(tmp_path / "nope.csv")


def test_directory(tmp_path):
    with pytest.raises(DataError, match="is a directory"):
        load_dataset(tmp_path)


@pytest.mark.parametrize("text", ["", "  \n\n"])
def test_empty_file(tmp_path, text):
    assert "x.csv: data file is empty" in error_of(tmp_path, text)


def test_header_only(tmp_path):
    assert "has a header row but no data rows" in error_of(tmp_path, "a,b,y\n")


def test_binary_file(tmp_path):
    path = tmp_path / "x.csv"
    path.write_bytes(b"a,b\x00\x01\n")
    with pytest.raises(DataError, match=r"x\.csv: data file is binary"):
        load_dataset(path)
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    with pytest.raises(DataError, match=r"x\.csv: data file is binary"):
        load_dataset(path)


# --- line endings and encodings -------------------------------------------------

ROWS = "a,b,y\n1,2,0\n3,4,1\n5,6,1\n"


@pytest.mark.parametrize(
    "data",
    [
        ROWS.replace("\n", "\r").encode(),  # old Mac
        ROWS.replace("\n", "\r\n").encode(),  # Windows
        b"\xef\xbb\xbf" + ROWS.encode(),  # UTF-8 with a byte-order mark (Excel's "CSV UTF-8")
        ROWS.replace("\n", "\r\n").encode("utf-16"),  # Excel's "Unicode text", with its byte-order mark
        b"a,b,y\r1,2,0\n3,4,1\r\n5,6,1\r",  # mixed: more lines than either ending counts
    ],
    ids=["CR", "CRLF", "UTF-8 BOM", "UTF-16", "mixed"],
)
def test_line_endings_and_byte_order_marks_read_alike(tmp_path, data):
    path = tmp_path / "x.csv"
    path.write_bytes(data)
    loaded = load_dataset(path)
    assert loaded.feature_names == ("a", "b")
    np.testing.assert_array_equal(loaded.X, [[1, 2], [3, 4], [5, 6]])
    np.testing.assert_array_equal(loaded.y, [0, 1, 1])


@pytest.mark.parametrize(
    "data, kwargs, plain",
    [
        (b'"a",y,b\r\n-1.5e3, good ,2\r\n3,bad,4.25\r\n5,good,+6', {"label_column": "y"}, True),
        (b"\xef\xbb\xbfa,b,y\n0.1,2,1\n3,4,0\n5,6,1\n", {}, True),
        ("\u00e2,b,y\n1,2,\u00e9t\u00e9\n3,4,hiver\n".encode("latin-1"), {}, True),
        (b"a,b,y\n1_0,2,0\n3,4,1\n", {}, False),  # Python's float reads 1_0, pandas' reader does not
        (b"a,b,y\n1,2,0\n\n3,4,1\n", {}, False),  # a blank line
        (b"a,b,y\n1,NA,0\n3,,1\n5,6,1\n", {}, False),  # missing cells: NaN, read row by row
        ("a,b,y\n\u0663,2,0\n3,4,1\n".encode(), {}, False),  # Python's float reads an Arabic-Indic 3
        (b"a,b,y\n0.30000000000000004,1e-310,0\n-2.2250738585072014e-308,123456789012345678901,1\n", {}, True),
    ],
    ids=[
        "CRLF, quoted name, label in the middle",
        "UTF-8 BOM",
        "Latin-1",
        "underscore",
        "blank line",
        "missing cells",
        "non-ASCII digit",
        "17 and more digits",
    ],
)
def test_plain_files_read_by_pandas_as_row_by_row(tmp_path, monkeypatch, data, kwargs, plain):
    # A quoted cell sends a file to the row-by-row reader, which reads it alike.
    header, first, rest = data.split(b"\n", 2)
    ending = b"\r" if first.endswith(b"\r") else b""
    cells = first.removesuffix(ending).split(b",")
    quoted = b"\n".join([header, b",".join([*cells[:-1], b'"%s"' % cells[-1]]) + ending, rest])
    row_by_row = load_dataset(write_bytes(tmp_path / "quoted.csv", quoted), **kwargs)
    calls = []
    read_csv = pd.read_csv
    monkeypatch.setattr(pd, "read_csv", lambda *args, **kw: calls.append(read_csv(*args, **kw)) or calls[-1])
    loaded = load_dataset(write_bytes(tmp_path / "plain.csv", data), **kwargs)
    assert bool(calls) == plain  # pandas' reader read it
    assert loaded.X.dtype == row_by_row.X.dtype == np.float64
    np.testing.assert_array_equal(loaded.X, row_by_row.X)
    np.testing.assert_array_equal(loaded.y, row_by_row.y)
    assert (loaded.feature_names, loaded.label_names, loaded.task) == (
        row_by_row.feature_names,
        row_by_row.label_names,
        row_by_row.task,
    )


def write_bytes(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def test_many_rows_with_mixed_endings_grow_the_table(tmp_path):
    path = tmp_path / "x.csv"
    # Lines ending alternately in CR and LF: twice as many as either ending counts.
    path.write_bytes(b"a,y\n" + b"".join(f"{i},0\r{i},1\n".encode() for i in range(500)))
    data = load_dataset(path)
    assert data.X.shape == (1000, 1) and data.X[-1, 0] == 499 and data.y[-1] == 1


def test_errors_count_lines_in_a_cr_only_file(tmp_path):
    path = tmp_path / "x.csv"
    path.write_bytes(b"a,b,y\r1,2,0\r\r3,1e39,1\r")
    with pytest.raises(DataError, match="row 4, column 'b': '1e39' is beyond"):
        load_dataset(path)


def test_latin1_is_read_and_said(tmp_path, caplog):
    path = tmp_path / "x.csv"
    path.write_bytes("\u00e2ge,poids,y\n1,2,0\n3,4,1\n".encode("latin-1"))
    with caplog.at_level(logging.WARNING, logger="deepfeat.data"):
        data = load_dataset(path)
    assert data.feature_names == ("\u00e2ge", "poids")
    assert "not UTF-8; read it as Latin-1" in caplog.text


def test_attribute_file_with_cr_endings(tmp_path):
    csv = write(tmp_path / "d.data", "1,2,0\n3,4,1\n")
    names = tmp_path / "names"
    names.write_bytes(b"a\rb\r")
    assert load_dataset(csv, names).feature_names == ("a", "b")


# --- what the first row is ----------------------------------------------------


@pytest.mark.parametrize("first", ["1,2,0", "1.5,?,3", " -2 ,1e3,0"])
def test_a_first_row_of_numbers_is_not_taken_for_names(tmp_path, first):
    message = error_of(tmp_path, f"{first}\n3,4,1\n")
    assert "is numbers, not column names" in message and "ATTRIBUTE_FILE" in message


def test_a_header_with_some_numeric_names_is_a_header(tmp_path):
    assert load_text(tmp_path, "1,2,label\n3,4,1\n5,6,0\n").feature_names == ("1", "2")


# --- values the networks cannot compute with ----------------------------------


@pytest.mark.parametrize("value", ["1e39", "-3.5e38"])
def test_values_beyond_float32_are_refused_by_row_and_column(tmp_path, value):
    message = error_of(tmp_path, f"a,b,y\n1,2,0\n3,{value},1\n")
    assert f"row 3, column 'b': '{value}' is beyond the float32 range" in message


def test_the_largest_float32_values_are_accepted(tmp_path):
    data = load_text(tmp_path, "a,y\n3.4e38,0\n-3.4e38,1\n")
    assert data.X[0, 0] == 3.4e38


def test_a_regression_label_beyond_float32_is_refused(tmp_path):
    message = error_of(tmp_path, "a,y\n1,0.5\n2,1e39\n3,2.5\n", task="regression")
    assert "row 3, column 'y': '1e39' is beyond the float32 range" in message


def test_a_file_name_longer_than_the_file_system_allows(tmp_path):
    with pytest.raises(DataError, match="cannot read data file: File name too long"):
        load_dataset(tmp_path / ("x" * 300 + ".csv"))


def test_precedence_ragged_row_then_missing_labels_then_bad_value(tmp_path):
    # The first bad value comes before the missing label in the file, but missing labels are said first.
    assert "missing on 1 of 3 rows (rows 4)" in error_of(tmp_path, "a,y\n1,0\nx,1\n3,\n")
    assert "row 5 has 3 fields" in error_of(tmp_path, "a,y\n1,0\nx,1\n3,\n4,5,6\n")
    # A row missing an attribute value is dropped, whatever else it holds.
    assert load_text(tmp_path, "a,b,y\n1,2,0\n?,x,1\n3,4,1\n").without_missing().n_dropped == 1


def test_ragged_row_names_the_line(tmp_path):
    message = error_of(tmp_path, "a,b,y\n1,2,0\n1,2,3,4\n")
    assert "x.csv: row 3 has 4 fields, expected 3" in message
    message = error_of(tmp_path, "a,b,y\n1,2,0\n1,2\n")
    assert "row 3 has 2 fields, expected 3" in message


def test_ragged_row_in_headerless_layout(tmp_path):
    csv = write(tmp_path / "d.data", "1,2,0\n1,2\n")
    with pytest.raises(DataError, match="row 2 has 2 fields, expected 3"):
        load_dataset(csv, write(tmp_path / "names", "a,b"))


def test_one_class_only(tmp_path):
    assert "label column 'y' has only one class ('0')" in error_of(tmp_path, "a,y\n1,0\n?,0\n3,0\n")
    with pytest.raises(DataError, match="MISSING=drop leaves 2 of 3 rows, all of one class"):
        load_text(tmp_path, "a,y\n1,0\n?,1\n3,0\n").without_missing()  # the row with the other class


def test_all_rows_dropped(tmp_path):
    with pytest.raises(DataError, match="all 2 data rows have missing values"):
        load_text(tmp_path, "a,y\n?,0\n,1\n").without_missing()


def test_single_column(tmp_path):
    assert "need at least one attribute column" in error_of(tmp_path, "y\n0\n1\n")


def test_attribute_count_mismatch_names_counts_and_files(tmp_path):
    csv = write(tmp_path / "d.data", "1,2,3,0\n")
    names = write(tmp_path / "names", "a")
    with pytest.raises(DataError) as excinfo:
        load_dataset(csv, names)
    message = str(excinfo.value)
    assert "names: attribute file has 1 names" in message
    assert "d.data has 4 columns" in message


def test_duplicate_names(tmp_path):
    assert "column name 'a' appears more than once" in error_of(tmp_path, "a,b,a\n1,2,0\n")
    csv = write(tmp_path / "d.data", "1,2,0\n")
    with pytest.raises(DataError, match="column name 'b' appears more than once"):
        load_dataset(csv, write(tmp_path / "names", "b,b"))


def test_empty_header_name(tmp_path):
    assert "header column 2 has no name" in error_of(tmp_path, "a,,y\n1,2,0\n")


def test_missing_attribute_file(tmp_path):
    csv = write(tmp_path / "d.data", "1,0\n")
    with pytest.raises(DataError, match="attrs: attribute file does not exist"):
        load_dataset(csv, tmp_path / "attrs")


def test_unknown_label_name_lists_columns(header_csv):
    with pytest.raises(DataError, match=r"no column named 'klass'.*columns are: a, b, target"):
        load_dataset(header_csv, label_column="klass")


def test_digit_string_label_is_a_name_not_an_index(header_csv):
    with pytest.raises(DataError, match="no column named '0'"):
        load_dataset(header_csv, label_column="0")


@pytest.mark.parametrize("index", [3, -1])
def test_label_index_out_of_range(header_csv, index):
    with pytest.raises(DataError, match=f"label column index {index} is out of range"):
        load_dataset(header_csv, label_column=index)


def _resident_mb():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS")) / 1024


@pytest.mark.skipif(
    not Path("/proc/self/status").exists() or not hasattr(ctypes.CDLL(None), "malloc_trim"), reason="glibc on Linux"
)
def test_the_heaps_free_pages_go_back_to_the_system_after_reading():
    # Small blocks freed with every tenth kept, as a parser leaves them: glibc keeps the holes.
    blocks = [np.ones(8192 // 8) for _ in range(40_000)]  # 320 MB of 8 kB blocks
    kept = blocks[::10]
    del blocks
    before = _resident_mb()
    _return_freed_heap()
    assert before - _resident_mb() > 150
    assert all(block.sum() == 1024 for block in kept)
