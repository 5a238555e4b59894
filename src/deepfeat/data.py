"""Loading a tabular dataset from CSV: attribute columns and one or more label columns.

Two layouts are supported: a CSV whose first row names the columns, and the UCI
layout of a headerless CSV plus an attribute file holding one line of
comma-separated column names. Cells are parsed here rather than by pandas so that
every error can name the file, the row (its line number in the file) and the
column. Rows with a missing attribute value (``?`` or an empty cell) are dropped; a
missing label is an error.

The label columns are read as the task asks (:func:`choose_task` picks one for ``"auto"``):
class labels, one number per row (regression), or several two-valued columns (multi-label).
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
# A label cell that is one of these (any case) is missing too: it names no class or number.
MISSING_LABELS = (*MISSING_MARKERS, "nan", "na", "n/a", "null", "none")
#: ``TASK=auto`` treats whole-number labels as classes when there are at most this many.
AUTO_MAX_CLASSES = 20
TASK_NAMES = ("classification", "regression", "multilabel")
# Name given to the label column when the attribute file names only the attributes.
DEFAULT_LABEL_NAME = "label"
_INT64_LIMIT = 2**63
_ROWS_LOGGED = 10


@dataclass(frozen=True, eq=False)
class Dataset:
    """A loaded dataset, rows with missing attribute values removed.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features), dtype float64
        Attribute values, all finite.
    y : ndarray of shape (n_samples,) or (n_samples, n_labels)
        The target, as ``task`` reads it: class labels (int64 when every label is a whole
        number, else str objects); float64 numbers (regression); 0/1 int64, one column per
        label (multi-label).
    feature_names : tuple of str
        Attribute names, in column order.
    label_names : tuple of str
        Names of the label columns (one, except for multi-label).
    source : str
        Path of the data file.
    n_dropped : int
        Number of rows dropped because they had a missing value.
    task : str
        ``"classification"``, ``"regression"`` or ``"multilabel"``.
    task_reason : str
        Why: the rule of :func:`choose_task` that applied, or that the task was asked for.
    positive_values : tuple of str
        Multi-label: each label column's value that counts as 1; empty otherwise.
    """

    X: np.ndarray
    y: np.ndarray
    feature_names: tuple[str, ...]
    label_names: tuple[str, ...]
    source: str
    n_dropped: int
    task: str = "classification"
    task_reason: str = ""
    positive_values: tuple[str, ...] = ()

    @property
    def label_name(self):
        """The label column's name (the names, comma-separated, for multi-label)."""
        return ", ".join(self.label_names)


@dataclass(frozen=True)
class _Row:
    line: int  # 1-based line number in the file where the row starts
    cells: list[str]


def load_dataset(data_file, attribute_file=None, label_column=None, task="auto") -> Dataset:
    """Load a CSV dataset.

    Parameters
    ----------
    data_file : path-like
        CSV file. Its first row is the header unless ``attribute_file`` is given.
    attribute_file : path-like, optional
        File with one line of comma-separated names for a headerless ``data_file``:
        either one name per column, or one per attribute column only, in which case
        the last column is the label and is called ``"label"``.
    label_column : str, int or sequence of them, optional
        Column name, or 0-based column index, of the label; several for multi-label.
        None (default) means the last column.
    task : {"auto", "classification", "regression", "multilabel"}
        How to read the label; ``"auto"`` chooses by :func:`choose_task`.

    Returns
    -------
    Dataset
        The attributes, target and column names.

    Raises
    ------
    DataError
        If a file cannot be read or its contents cannot be used; the message names
        the file and, where it applies, the row, column and value.
    """
    if task != "auto" and task not in TASK_NAMES:
        raise ValueError(f"task {task!r} must be one of: auto, {', '.join(TASK_NAMES)}")
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
    label_indices = _label_indices(label_column, names, source)
    label_names = tuple(names[i] for i in label_indices)
    _check_labels_present(rows, label_indices, names, source)

    kept = _drop_missing(rows, source)
    attribute_indices = [i for i in range(len(names)) if i not in label_indices]
    if not attribute_indices:
        raise DataError(f"{source}: every column is a label ({', '.join(label_names)}); no attribute column is left")
    X = _parse_attributes(kept, attribute_indices, names, source)
    columns = [[row.cells[i].strip() for row in kept] for i in label_indices]
    if task == "auto":
        task, reason = choose_task(columns, label_names)
    else:
        reason = f"TASK={task}"
    y, positive = _READERS[task](columns, kept, label_names, source)
    return Dataset(
        X=X,
        y=y,
        feature_names=tuple(names[i] for i in attribute_indices),
        label_names=label_names,
        source=source,
        n_dropped=len(rows) - len(kept),
        task=task,
        task_reason=reason,
        positive_values=positive,
    )


def choose_task(columns, names):
    """The task ``TASK=auto`` picks for the label columns' cells, and why, in words.

    - several label columns: ``"multilabel"``;
    - a label that is not a number (text, ``true``/``false``): ``"classification"``;
    - numbers with only two distinct values (``0``/``1``, ``0.0``/``1.0``, ``-1``/``1``):
      ``"classification"``;
    - whole numbers with at most :data:`AUTO_MAX_CLASSES` distinct values: ``"classification"``;
    - other numbers (some not whole, or more distinct whole numbers): ``"regression"``.

    Parameters
    ----------
    columns : list of list of str
        Each label column's stripped cells.
    names : sequence of str
        The label columns' names.

    Returns
    -------
    (str, str)
    """
    if len(columns) > 1:
        return "multilabel", f"{len(columns)} label columns"
    cells, name = columns[0], names[0]
    numbers = [_as_number(cell) for cell in cells]
    if any(number is None for number in numbers):
        text = next(cell for cell, number in zip(cells, numbers) if number is None)
        return "classification", f"label {name!r} has text values such as {text!r}"
    distinct = len(set(numbers))
    if distinct == 2:
        return "classification", f"label {name!r} has two values"
    whole = all(number.is_integer() for number in numbers)
    if whole and distinct <= AUTO_MAX_CLASSES:
        return "classification", f"label {name!r} has {distinct} distinct whole numbers (at most {AUTO_MAX_CLASSES})"
    what = (
        f"{distinct} distinct whole numbers (more than {AUTO_MAX_CLASSES})"
        if whole
        else f"{distinct} distinct numbers, not all whole"
    )
    return "regression", f"label {name!r} has {what}"


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


def _label_indices(label_column, names: list[str], source: str) -> list[int]:
    if label_column is None:
        return [len(names) - 1]
    wanted = label_column if isinstance(label_column, (list, tuple)) else [label_column]
    indices = [_label_index(column, names, source) for column in wanted]
    for position, index in enumerate(indices):
        if index in indices[:position]:
            raise DataError(f"{source}: label column {names[index]!r} is listed twice in {', '.join(map(str, wanted))}")
    return indices


def _label_index(label_column, names: list[str], source: str) -> int:
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
    raise TypeError(f"label_column must be a str, int, a sequence of them, or None, not {type(label_column)}")


# --- values -------------------------------------------------------------------


def _is_missing(cell: str) -> bool:
    return cell.strip() in MISSING_MARKERS


def _check_labels_present(rows: list[_Row], label_indices: list[int], names: list[str], source: str) -> None:
    """A row without its label cannot be used, and dropping it would hide a gap in the data: refuse."""
    for index in label_indices:
        missing = [row.line for row in rows if row.cells[index].strip().lower() in MISSING_LABELS]
        if missing:
            shown = ", ".join(map(str, missing[:_ROWS_LOGGED])) + (", ..." if len(missing) > _ROWS_LOGGED else "")
            raise DataError(
                f"{source}: label column {names[index]!r} is missing on {len(missing)} of {len(rows)} rows "
                f"(rows {shown}); fill them in or remove those rows"
            )


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


def _as_number(text: str) -> float | None:
    """The finite number ``text`` denotes, or None."""
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _parse_labels(cells: list[str]) -> np.ndarray:
    labels = [cell.strip() for cell in cells]
    as_ints = [_as_int(label) for label in labels]
    if all(value is not None for value in as_ints):
        return np.array(as_ints, dtype=np.int64)
    return np.array(labels, dtype=object)


def _read_classes(columns, rows, names, source):
    (name,) = _single_label(names, "classification", source)
    y = _parse_labels(columns[0])
    classes = np.unique(y)
    if len(classes) < 2:
        raise DataError(f"{source}: label column {name!r} has only one class ('{classes[0]}'); need at least 2")
    return y, ()


def _read_numbers(columns, rows, names, source):
    (name,) = _single_label(names, "regression", source)
    values = []
    for cell, row in zip(columns[0], rows):
        value = _as_number(cell)
        if value is None:
            raise DataError(
                f"{source}: row {row.line}, column {name!r}: {cell!r} is not a finite number, which "
                "TASK=regression needs (set TASK=classification for class labels)"
            )
        values.append(value)
    y = np.array(values, dtype=np.float64)
    if y.min() == y.max():
        raise DataError(
            f"{source}: label column {name!r} is {columns[0][0]!r} on every row; a regression target must vary"
        )
    return y, ()


def _read_indicators(columns, rows, names, source):
    """Each column as 0/1: of its two values, the larger number (or the later text, alphabetically) is 1."""
    y, positive = [], []
    for cells, name in zip(columns, names):
        numbers = [_as_number(cell) for cell in cells]
        numeric = all(number is not None for number in numbers)
        keys = numbers if numeric else cells
        values = sorted(set(keys))
        if len(values) != 2:
            detail = (
                f"has only one value ({cells[0]!r})"
                if len(values) < 2
                else f"has {len(values)} values, such as {cells[keys.index(values[2])]!r} on row "
                f"{rows[keys.index(values[2])].line}"
            )
            raise DataError(f"{source}: multi-label column {name!r} {detail}; each label column needs exactly two")
        y.append([key == values[1] for key in keys])
        positive.append(cells[keys.index(values[1])])
    return np.array(y, dtype=np.int64).T, tuple(positive)


def _single_label(names, task, source):
    if len(names) != 1:
        raise DataError(
            f"{source}: TASK={task} takes one label column, but {len(names)} are named ({', '.join(names)}); "
            "set TASK=multilabel for several yes/no labels, or name one column"
        )
    return names


_READERS = {"classification": _read_classes, "regression": _read_numbers, "multilabel": _read_indicators}
