"""Loading a tabular classification dataset from CSV.

Two layouts are supported: a CSV whose first row names the columns, and the UCI
layout of a headerless CSV plus an attribute file holding one line of
comma-separated column names. Cells are parsed here rather than by pandas so that
every error can name the file, the row (its line number in the file) and the
column. Rows with a missing value (``?`` or an empty cell) are dropped.
"""

import csv
import io
import logging
import math
import re
from dataclasses import dataclass
from numbers import Integral
from pathlib import Path

import numpy as np

from deepfeat.errors import DataError

__all__ = ["Dataset", "load_dataset"]

logger = logging.getLogger(__name__)

MISSING_MARKERS = ("", "?")
# Name given to the label column when the attribute file names only the attributes.
DEFAULT_LABEL_NAME = "label"
_INT64_LIMIT = 2**63
_ROWS_LOGGED = 10


@dataclass(frozen=True, eq=False)
class Dataset:
    """A loaded dataset, rows with missing values removed.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features), dtype float64
        Attribute values, all finite.
    y : ndarray of shape (n_samples,)
        Class labels: int64 when every label is a whole number, else str objects.
    feature_names : tuple of str
        Attribute names, in column order.
    label_name : str
        Name of the label column.
    source : str
        Path of the data file.
    n_dropped : int
        Number of rows dropped because they had a missing value.
    """

    X: np.ndarray
    y: np.ndarray
    feature_names: tuple[str, ...]
    label_name: str
    source: str
    n_dropped: int


@dataclass(frozen=True)
class _Row:
    line: int  # 1-based line number in the file where the row starts
    cells: list[str]


def load_dataset(data_file, attribute_file=None, label_column=None) -> Dataset:
    """Load a CSV classification dataset.

    Parameters
    ----------
    data_file : path-like
        CSV file. Its first row is the header unless ``attribute_file`` is given.
    attribute_file : path-like, optional
        File with one line of comma-separated names for a headerless ``data_file``:
        either one name per column, or one per attribute column only, in which case
        the last column is the label and is called ``"label"``.
    label_column : str or int, optional
        Column name, or 0-based column index, of the class label. None (default)
        means the last column.

    Returns
    -------
    Dataset
        The attributes, labels and column names.

    Raises
    ------
    DataError
        If a file cannot be read or its contents cannot be used; the message names
        the file and, where it applies, the row, column and value.
    """
    source = str(data_file)
    rows = _read_csv_rows(Path(data_file), "data file")
    if attribute_file is None:
        names = _header_names(rows.pop(0), source)
        if not rows:
            raise DataError(f"{source}: data file has a header row but no data rows")
    else:
        names = _attribute_names(Path(attribute_file), len(rows[0].cells), source)
    _check_names(names, source)
    _check_row_lengths(rows, len(names), source)
    label_index = _label_index(label_column, names, source)

    kept = _drop_missing(rows, source)
    attribute_indices = [i for i in range(len(names)) if i != label_index]
    X = _parse_attributes(kept, attribute_indices, names, source)
    y = _parse_labels([row.cells[label_index] for row in kept])
    _check_classes(y, names[label_index], source)
    return Dataset(
        X=X,
        y=y,
        feature_names=tuple(names[i] for i in attribute_indices),
        label_name=names[label_index],
        source=source,
        n_dropped=len(rows) - len(kept),
    )


# --- reading ------------------------------------------------------------------


def _read_text(path: Path, what: str) -> str:
    if not path.exists():
        raise DataError(f"{path}: {what} does not exist")
    if path.is_dir():
        raise DataError(f"{path}: {what} is a directory, not a file")
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DataError(f"{path}: {what} is not UTF-8 text") from None
    except OSError as exc:
        raise DataError(f"{path}: cannot read {what}: {exc.strerror}") from None
    if "\x00" in text:
        raise DataError(f"{path}: {what} is binary, not text")
    if not text.strip():
        raise DataError(f"{path}: {what} is empty")
    return text


def _read_csv_rows(path: Path, what: str) -> list[_Row]:
    """Read the non-blank CSV rows of ``path``, each with its line number."""
    reader = csv.reader(io.StringIO(_read_text(path, what)), skipinitialspace=True)
    rows = []
    line = 1
    try:
        for cells in reader:
            # A blank or whitespace-only line is not a row (e.g. a trailing newline).
            if len(cells) > 1 or (cells and cells[0].strip()):
                rows.append(_Row(line, cells))
            line = reader.line_num + 1
    except csv.Error as exc:
        raise DataError(f"{path}: row {line}: {exc}") from None
    if not rows:
        raise DataError(f"{path}: {what} has no rows")
    return rows


# --- column names -------------------------------------------------------------


def _header_names(header: _Row, source: str) -> list[str]:
    names = [cell.strip() for cell in header.cells]
    for position, name in enumerate(names, start=1):
        if not name:
            raise DataError(f"{source}: header column {position} has no name")
    return names


def _attribute_names(path: Path, n_columns: int, source: str) -> list[str]:
    # Names may be split over lines as well as by commas; empty entries are ignored.
    names = [name.strip() for name in re.split(r"[,\n]", _read_text(path, "attribute file"))]
    names = [name for name in names if name]
    if len(names) == n_columns - 1:
        return [*names, DEFAULT_LABEL_NAME]
    if len(names) != n_columns:
        raise DataError(
            f"{path}: attribute file has {len(names)} names but data file {source} has "
            f"{n_columns} columns; expected {n_columns} names (all columns) or "
            f"{n_columns - 1} (attributes only, label last)"
        )
    return names


def _check_names(names: list[str], source: str) -> None:
    if len(names) < 2:
        raise DataError(
            f"{source}: found {len(names)} column; need at least one attribute column "
            "and a label column (is the file comma-separated?)"
        )
    seen = set()
    for name in names:
        if name in seen:
            raise DataError(f"{source}: column name {name!r} appears more than once")
        seen.add(name)


def _check_row_lengths(rows: list[_Row], n_columns: int, source: str) -> None:
    for row in rows:
        if len(row.cells) != n_columns:
            raise DataError(f"{source}: row {row.line} has {len(row.cells)} fields, expected {n_columns}")


def _label_index(label_column, names: list[str], source: str) -> int:
    if label_column is None:
        return len(names) - 1
    if isinstance(label_column, Integral) and not isinstance(label_column, bool):
        if not 0 <= label_column < len(names):
            raise DataError(
                f"{source}: label column index {label_column} is out of range; "
                f"the file has {len(names)} columns (0 to {len(names) - 1})"
            )
        return int(label_column)
    if isinstance(label_column, str):
        if label_column not in names:
            raise DataError(
                f"{source}: no column named {label_column!r} for the label; columns are: {', '.join(names)}"
            )
        return names.index(label_column)
    raise TypeError(f"label_column must be a str, int or None, not {type(label_column)}")


# --- values -------------------------------------------------------------------


def _is_missing(cell: str) -> bool:
    return cell.strip() in MISSING_MARKERS


def _drop_missing(rows: list[_Row], source: str) -> list[_Row]:
    kept, dropped = [], []
    for row in rows:
        (dropped if any(_is_missing(cell) for cell in row.cells) else kept).append(row)
    if not kept:
        raise DataError(f"{source}: all {len(rows)} data rows have missing values ('?' or empty)")
    if dropped:
        shown = ", ".join(str(row.line) for row in dropped[:_ROWS_LOGGED])
        more = ", ..." if len(dropped) > _ROWS_LOGGED else ""
        logger.info(
            "%s: dropped %d of %d rows with missing values (rows %s%s)",
            source,
            len(dropped),
            len(rows),
            shown,
            more,
        )
    return kept


def _parse_number(cell: str, row: _Row, name: str, source: str) -> float:
    try:
        value = float(cell)
    except ValueError:
        raise DataError(f"{source}: row {row.line}, column {name!r}: {cell.strip()!r} is not a number") from None
    if not math.isfinite(value):
        raise DataError(f"{source}: row {row.line}, column {name!r}: {cell.strip()!r} is not a finite number")
    return value


def _parse_attributes(rows: list[_Row], indices: list[int], names: list[str], source: str) -> np.ndarray:
    return np.array(
        [[_parse_number(row.cells[i], row, names[i], source) for i in indices] for row in rows],
        dtype=np.float64,
    )


def _as_int(text: str) -> int | None:
    """Return the whole number ``text`` denotes (``"3"``, ``"1.0"``) if it fits int64."""
    try:
        value = int(text)
    except ValueError:
        try:
            number = float(text)
        except ValueError:
            return None
        if not number.is_integer():  # also rejects nan and inf
            return None
        value = int(number)
    return value if abs(value) < _INT64_LIMIT else None


def _parse_labels(cells: list[str]) -> np.ndarray:
    labels = [cell.strip() for cell in cells]
    as_ints = [_as_int(label) for label in labels]
    if all(value is not None for value in as_ints):
        return np.array(as_ints, dtype=np.int64)
    return np.array(labels, dtype=object)


def _check_classes(y: np.ndarray, label_name: str, source: str) -> None:
    classes = np.unique(y)
    if len(classes) < 2:
        raise DataError(f"{source}: label column {label_name!r} has only one class ('{classes[0]}'); need at least 2")
