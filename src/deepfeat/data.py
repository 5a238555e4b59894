"""Loading a tabular dataset from CSV: attribute columns and one or more label columns.

Two layouts are supported: a CSV whose first row names the columns, and the UCI
layout of a headerless CSV plus an attribute file holding one line of
comma-separated column names. A plain file (no quotes in its rows, every line a row of the right
number of fields, every value a finite number, every label present) is parsed by pandas' C reader,
whose numbers matched Python's ``float`` bit for bit on every value checked (BENCHMARKS.md); any
other file is read row by row here, so that every error can name the file, the row (its line
number in the file) and the column. That reader streams the file, each row's attribute values going straight into a
preallocated float array, so that loading takes a few times the file's size in memory.
A missing attribute cell (``?``, an empty cell, ``NA``, ``nan``, ``null``) is read as NaN (what
becomes of it is :meth:`Dataset.without_missing` or the encoders' imputation); an attribute
column holding any other text is categorical, its cells read as the codes 0, 1, ... of its
levels in sorted order. A missing label is an error. Text is UTF-8 (with or without a
byte-order mark), UTF-16 with a byte-order mark, or else read as Latin-1; lines may end in LF, CRLF or CR.

The label columns are read as the task asks (:func:`choose_task` picks one for ``"auto"``):
class labels, one number per row (regression), or several two-valued columns (multi-label).
"""

import codecs
import csv
import ctypes
import logging
import math
import re
from dataclasses import dataclass, replace
from itertools import chain
from numbers import Integral
from pathlib import Path

import numpy as np

from deepfeat.errors import DataError

__all__ = ["Dataset", "load_dataset"]

logger = logging.getLogger(__name__)

MISSING_MARKERS = ("", "?", "nan", "na", "n/a", "null")
# A label cell that is one of these (any case) is missing too: it names no class or number.
# ("none" can be an attribute's level, such as a smoking status.)
MISSING_LABELS = (*MISSING_MARKERS, "none")
#: ``TASK=auto`` treats whole-number labels as classes when there are at most this many.
AUTO_MAX_CLASSES = 20
TASK_NAMES = ("classification", "regression", "multilabel")
# Name given to the label column when the attribute file names only the attributes.
DEFAULT_LABEL_NAME = "label"
_INT64_LIMIT = 2**63
_ROWS_LOGGED = 10
#: The largest magnitude a value may have: the networks compute in float32.
FLOAT32_MAX = float(np.finfo(np.float32).max)
_CHUNK = 1 << 20  # bytes read at a time when looking at a file's encoding
# Encodings in which a comma or line end is always its ASCII byte, and how a line's cells decode.
_PLAIN_ENCODINGS = {"utf-8": "utf-8", "utf-8-sig": "utf-8", "latin-1": "latin-1"}
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


@dataclass(frozen=True, eq=False)
class Dataset:
    """A loaded dataset.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features), dtype float64
        Attribute values: finite numbers, a text column's level codes, NaN for a missing cell.
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
        Number of rows dropped because they had a missing value (see :meth:`without_missing`).
    task : str
        ``"classification"``, ``"regression"`` or ``"multilabel"``.
    task_reason : str
        Why: the rule of :func:`choose_task` that applied, or that the task was asked for.
    positive_values : tuple of str
        Multi-label: each label column's value that counts as 1; empty otherwise.
    levels : tuple
        Per attribute, None for a numeric column, or the sorted levels (str) of a text
        column, whose cells ``X`` holds as their positions in it.
    columns : tuple of str
        Every column's name, in file order (attributes and labels).
    lines : ndarray of int
        Each row's line number in the file.
    categorical : ndarray of bool or None
        Per attribute, whether it is categorical: the text columns, and those named to
        :meth:`with_categorical`. None means the text columns.
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
    levels: tuple = ()
    columns: tuple[str, ...] = ()
    lines: np.ndarray | None = None
    categorical: np.ndarray | None = None

    def __post_init__(self):
        if self.categorical is None:
            object.__setattr__(self, "categorical", self.text_columns)

    @property
    def label_name(self):
        """The label column's name (the names, comma-separated, for multi-label)."""
        return ", ".join(self.label_names)

    @property
    def text_columns(self):
        """Per attribute, whether it holds text (and so is categorical whatever is asked)."""
        return np.array([levels is not None for levels in self.levels], dtype=bool)

    @property
    def missing(self):
        """Per attribute, whether it has a missing cell."""
        return np.isnan(self.X).any(axis=0)

    def with_categorical(self, asked, what="CATEGORICAL"):
        """This dataset with the attribute columns ``asked`` categorical too.

        Parameters
        ----------
        asked : str, int, sequence of them, or None
            Column names or 0-based column indices of the file (as ``LABEL_COLUMN``).
        what : str
            The setting's name, for the error.

        Raises
        ------
        DataError
            If one is not a column, or is a label column.
        """
        if asked is None:
            return self
        mask = self.categorical.copy()
        for column in asked if isinstance(asked, tuple | list) else (asked,):
            if isinstance(column, int):
                if not 0 <= column < len(self.columns):
                    raise DataError(
                        f"{self.source}: {what} names column index {column}, but the file has columns 0 to "
                        f"{len(self.columns) - 1}"
                    )
                name = self.columns[column]
            else:
                name = column
                if name not in self.columns:
                    raise DataError(
                        f"{self.source}: {what} names {name!r}, which is not a column "
                        f"(columns: {', '.join(self.columns)})"
                    )
            if name in self.label_names:
                raise DataError(
                    f"{self.source}: {what} names {name!r}, the label column; only attributes can be categorical"
                )
            mask[self.feature_names.index(name)] = True
        return replace(self, categorical=mask)

    def without_missing(self):
        """This dataset without its rows that have a missing attribute cell (``MISSING=drop``, the paper's way).

        Raises
        ------
        DataError
            If every row has one.
        """
        kept = ~np.isnan(self.X).any(axis=1)
        if kept.all():
            return self
        if not kept.any():
            raise DataError(f"{self.source}: all {len(self.X)} data rows have missing values ('?' or empty)")
        dropped = self.lines[~kept]
        shown = ", ".join(str(line) for line in dropped[:_ROWS_LOGGED]) + (
            ", ..." if len(dropped) > _ROWS_LOGGED else ""
        )
        logger.info(
            "%s: dropped %d of %d rows with missing values (rows %s)", self.source, len(dropped), len(kept), shown
        )
        if self.task != "regression" and len(np.unique(self.y[kept], axis=0)) < 2:
            raise DataError(
                f"{self.source}: MISSING=drop leaves {kept.sum()} of {len(kept)} rows, all of one class; "
                "at least two classes are needed: set MISSING=impute to keep the rows"
            )
        return replace(
            self, X=self.X[kept], y=self.y[kept], n_dropped=self.n_dropped + len(dropped), lines=self.lines[kept]
        )


@dataclass(frozen=True)
class _Row:
    line: int  # 1-based line number in the file where the row starts
    cells: list[str]


@dataclass(frozen=True)
class _Table:
    """The rows of a data file, as read by :func:`_read_table`."""

    X: np.ndarray  # NaN for a missing cell, a text column's level codes
    labels: list  # per label column, its stripped cells
    lines: np.ndarray  # each row's line number
    levels: tuple = ()  # per attribute, None or a text column's sorted levels; () when none has text


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
    path = Path(data_file)
    encoding, n_lines = _look_at(path, "data file")
    try:
        with open(path, encoding=encoding, newline=None) as stream:  # CR and CRLF read as LF
            rows = _csv_rows(stream, source)
            first = next(rows, None)
            if first is None:
                raise DataError(f"{source}: data file is empty")
            if attribute_file is None:
                names = _header_names(first, source)
            else:
                names = _attribute_names(Path(attribute_file), len(first.cells), source)
                rows = chain([first], rows)
            _check_names(names, source)
            label_indices = _label_indices(label_column, names, source)
            label_names = tuple(names[i] for i in label_indices)
            attribute_indices = [i for i in range(len(names)) if i not in label_indices]
            if not attribute_indices:
                raise DataError(
                    f"{source}: every column is a label ({', '.join(label_names)}); no attribute column is left"
                )
            plain = first.line == 1 and _read_plain_table(
                path, encoding, int(attribute_file is None), len(names), attribute_indices, label_indices
            )
            table = plain or _read_table(rows, names, attribute_indices, label_indices, n_lines, source)
    except OSError as exc:
        raise DataError(f"{source}: cannot read data file: {exc.strerror or exc}") from None
    if task == "auto":
        task, reason = choose_task(table.labels, label_names)
    else:
        reason = f"TASK={task}"
    y, positive = _READERS[task](table.labels, table.lines, label_names, source)
    return Dataset(
        X=table.X,
        y=y,
        feature_names=tuple(names[i] for i in attribute_indices),
        label_names=label_names,
        source=source,
        n_dropped=0,
        task=task,
        task_reason=reason,
        positive_values=positive,
        levels=table.levels or (None,) * len(attribute_indices),
        columns=tuple(names),
        lines=table.lines,
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


def _look_at(path: Path, what: str) -> tuple[str, int]:
    """The encoding to read ``path`` with, and at least how many lines it has, in one pass.

    Raises DataError if the file is absent, a directory, unreadable, binary or blank.
    """
    try:
        if not path.exists():
            raise DataError(f"{path}: {what} does not exist")
        if path.is_dir():
            raise DataError(f"{path}: {what} is a directory, not a file")
        with open(path, "rb") as handle:
            chunk = handle.read(_CHUNK)
            encoding = next((name for bom, name in _BOMS if chunk.startswith(bom)), "utf-8")
            utf8 = codecs.getincrementaldecoder(encoding)() if encoding != "utf-16" else None
            newlines = returns = 0
            blank = True
            while chunk:
                if utf8 is not None:
                    if b"\x00" in chunk:
                        raise DataError(f"{path}: {what} is binary, not text")
                    try:
                        utf8.decode(chunk)
                    except UnicodeDecodeError:
                        utf8, encoding = None, "latin-1"  # any byte is a Latin-1 character
                newlines += chunk.count(b"\n")
                returns += chunk.count(b"\r")
                blank = blank and not chunk.translate(None, b" \t\r\n\x00\xef\xbb\xbf\xff\xfe")
                chunk = handle.read(_CHUNK)
    except OSError as exc:
        raise DataError(f"{path}: cannot read {what}: {exc.strerror or exc}") from None
    if blank:
        raise DataError(f"{path}: {what} is empty")
    if encoding == "latin-1":
        logger.warning("%s: %s is not UTF-8; read it as Latin-1 (save it as UTF-8 if names look wrong)", path, what)
    # CRLF counts once, a CR-only file by its CRs; a mix can have more lines, which _read_table allows for.
    return encoding, max(newlines, returns) + 1


def _read_text(path: Path, what: str) -> str:
    encoding, _ = _look_at(path, what)
    try:
        return path.read_text(encoding=encoding)  # universal newlines: CR and CRLF read as LF
    except UnicodeDecodeError:  # UTF-16 with an odd number of bytes, say
        raise DataError(f"{path}: {what} is not readable as {encoding} text") from None
    except OSError as exc:
        raise DataError(f"{path}: cannot read {what}: {exc.strerror or exc}") from None


def _csv_rows(stream, source: str):
    """The non-blank CSV rows of the text ``stream``, each with the line number it starts on."""
    reader = csv.reader(stream, skipinitialspace=True)
    line = 1
    try:
        for cells in reader:
            # A blank or whitespace-only line is not a row (e.g. a trailing newline).
            if len(cells) > 1 or (cells and cells[0].strip()):
                yield _Row(line, cells)
            line = reader.line_num + 1
    except csv.Error as exc:
        raise DataError(f"{source}: row {line}: {exc}") from None
    except UnicodeDecodeError:  # UTF-16 with an odd number of bytes, say
        raise DataError(f"{source}: row {line}: the text cannot be read as {stream.encoding}") from None


# --- column names -------------------------------------------------------------


def _header_names(header: _Row, source: str) -> list[str]:
    names = [cell.strip() for cell in header.cells]
    numbers = [_as_number(name) is not None for name in names]
    if any(numbers) and all(number or name in MISSING_MARKERS for number, name in zip(numbers, names)):
        shown = ",".join(names[:5]) + (",..." if len(names) > 5 else "")
        raise DataError(
            f"{source}: the first row ({shown}) is numbers, not column names; for a file without a "
            "header row set ATTRIBUTE_FILE to a file naming the columns, or add a header row"
        )
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


def _read_plain_table(path, encoding, skip, n_columns, attribute_indices, label_indices) -> _Table | None:
    """The table of a plain file (see the module's text), its first ``skip`` lines skipped; None for any other.

    pandas' C reader neither checks the number of fields of a row nor keeps line numbers, so the
    rows are first checked to have no quotes and ``n_columns`` fields on each line; what it
    cannot parse, or a value out of range or a missing label, sends the file to :func:`_read_table`.
    """
    if encoding not in _PLAIN_ENCODINGS:
        return None
    labels = [[] for _ in label_indices]
    n_rows = 0
    with open(path, "rb") as handle:  # line by line: the check holds no more than a line
        if handle.read(len(codecs.BOM_UTF8)) != codecs.BOM_UTF8:
            handle.seek(0)
        # An odd number of quotes: a quoted name goes on over the line end.
        if any(handle.readline().count(b'"') % 2 for _ in range(skip)):
            return None
        for line in handle:
            line = line.removesuffix(b"\n").removesuffix(b"\r")
            # Quotes may hide commas and line ends; a lone CR ends a line that this count would miss.
            if b'"' in line or b"\r" in line or line.count(b",") != n_columns - 1:
                return None
            for column, index in zip(labels, label_indices):
                if 2 * index < n_columns:
                    cell = line.split(b",", index + 1)[index]
                else:
                    cell = line.rsplit(b",", n_columns - index)[1]
                column.append(cell.decode(_PLAIN_ENCODINGS[encoding]).strip())
            n_rows += 1
    if not n_rows or any(cell.lower() in MISSING_LABELS for column in labels for cell in column):
        return None
    # Imported here: the command line's other paths (help, signals) start without pandas.
    import pandas as pd

    try:
        frame = pd.read_csv(
            path,
            header=None,
            skiprows=skip,
            usecols=attribute_indices,
            dtype=np.float64,
            engine="c",
            encoding=encoding,
            na_filter=False,  # a missing cell is an error here, which sends the file to the row reader
            low_memory=False,  # one pass, not chunks concatenated afterwards
        )
    except ValueError:
        return None
    X = _row_major([column.to_numpy() for _, column in frame.items()])
    del frame
    _return_freed_heap()
    if len(X) != n_rows or not -FLOAT32_MAX <= X.min() <= X.max() <= FLOAT32_MAX:  # NaN fails too
        return None
    return _Table(X=X, labels=labels, lines=np.arange(skip + 1, skip + 1 + n_rows))


def _return_freed_heap():
    """Hand the C heap's free pages back to the system, where the C library can (glibc's ``malloc_trim``).

    glibc keeps freed small blocks for reuse: pandas' reader leaves about the table's size there
    (150 MB for a 150 MB file), which nothing later reuses, since the training's large buffers
    are mapped apart from the heap.
    """
    try:
        trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):  # not glibc: nothing to do
        return
    trim(0)


def _row_major(columns, block=64):
    """The ``columns`` side by side in one row-major array, as the trainers read rows.

    A few columns at a time: a whole-table transpose strides through memory and took three times as long.
    """
    X = np.empty((len(columns[0]), len(columns)))
    for start in range(0, len(columns), block):
        X[:, start : start + block] = np.stack(columns[start : start + block], axis=1)
    return X


def _read_table(rows, names, attribute_indices, label_indices, capacity, source) -> _Table:
    """Read the data rows into a float array, row by row; the first problem found is raised.

    A row of the wrong length is an error at once. Missing labels are collected over the whole
    file and refused together; a missing attribute cell is NaN; a cell holding other text makes
    its column categorical; the first number out of range is refused once the file is known to
    have no missing label.
    """
    X = np.empty((capacity, len(attribute_indices)))
    lines = np.empty(capacity, dtype=np.int64)
    labels = [[] for _ in label_indices]
    missing_labels = {index: [] for index in label_indices}
    texts = {}  # attribute position -> {row: text} for the cells that are no number
    bad_value = None  # the message about the first unusable value, raised at the end
    n_rows = kept = 0
    for row in rows:
        n_rows += 1
        cells = row.cells
        if len(cells) != len(names):
            raise DataError(f"{source}: row {row.line} has {len(cells)} fields, expected {len(names)}")
        label_cells = [cells[i].strip() for i in label_indices]
        missing = [i for i, cell in zip(label_indices, label_cells) if cell.lower() in MISSING_LABELS]
        if missing or bad_value is not None:
            for index in missing:
                missing_labels[index].append(row.line)
            continue
        try:
            values = [float(cells[i]) for i in attribute_indices]
        except ValueError:  # a missing cell is NaN; other text goes to its column's levels
            values = [_attribute_value(cells[i], position, kept, texts) for position, i in enumerate(attribute_indices)]
        if not all(-FLOAT32_MAX <= value <= FLOAT32_MAX for value in values if value == value):  # NaN: missing
            bad_value = _out_of_range(row, values, attribute_indices, names, source)
            continue
        if kept == len(lines):  # more lines than counted (a file mixing CR and LF endings)
            X, lines = np.resize(X, (2 * kept, X.shape[1])), np.resize(lines, 2 * kept)
        X[kept] = values
        lines[kept] = row.line
        for column, cell in zip(labels, label_cells):
            column.append(cell)
        kept += 1
    if n_rows == 0:
        raise DataError(f"{source}: data file has a header row but no data rows")
    _check_labels_present(missing_labels, n_rows, names, source)
    if bad_value is not None:
        raise DataError(bad_value)
    # Leading rows of a C-ordered array: a view, not a copy of the whole table.
    X = X[:kept]
    levels = tuple(
        _text_levels(X, position, texts[position]) if position in texts else None for position in range(X.shape[1])
    )
    return _Table(X=X, labels=labels, lines=lines[:kept], levels=levels if texts else ())


def _attribute_value(cell, position, row, texts):
    """A cell's number; NaN for a missing cell, or for text, which is kept in ``texts``."""
    number = _as_float(cell)
    if number is not None:
        return number
    text = cell.strip()
    if text.lower() not in MISSING_MARKERS:
        texts.setdefault(position, {})[row] = text
    return math.nan


def _text_levels(X, position, texts):
    """Turn the column ``position`` of ``X``, whose cells ``texts`` (by row) hold text, into level codes.

    Its numbers count as text too (``1.5`` is the level ``"1.5"``); the levels, sorted, are returned.
    """
    column = X[:, position]
    cells = {row: text for row, text in texts.items()}
    for row in np.flatnonzero(~np.isnan(column)):
        cells[int(row)] = f"{column[row]:g}"
    levels = sorted(set(cells.values()))
    code = {level: i for i, level in enumerate(levels)}
    column[:] = math.nan
    for row, text in cells.items():
        column[row] = code[text]
    return tuple(levels)


def _check_labels_present(missing_labels, n_rows, names, source) -> None:
    """A row without its label cannot be used, and dropping it would hide a gap in the data: refuse."""
    for index, missing in missing_labels.items():
        if missing:
            shown = ", ".join(map(str, missing[:_ROWS_LOGGED])) + (", ..." if len(missing) > _ROWS_LOGGED else "")
            raise DataError(
                f"{source}: label column {names[index]!r} is missing on {len(missing)} of {n_rows} rows "
                f"(rows {shown}); fill them in or remove those rows"
            )


def _out_of_range(row, values, indices, names, source) -> str:
    """The message about the first of ``values`` (read from ``row``) that is not finite or too large."""
    value, i = next((v, i) for v, i in zip(values, indices) if v == v and not -FLOAT32_MAX <= v <= FLOAT32_MAX)
    where = f"{source}: row {row.line}, column {names[i]!r}: {row.cells[i].strip()!r}"
    if not math.isfinite(value):
        return f"{where} is not a finite number"
    return f"{where} is beyond the float32 range the networks compute in (about +/-3.4e38); rescale the column"


def _as_float(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


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


def _read_classes(columns, lines, names, source):
    (name,) = _single_label(names, "classification", source)
    y = _parse_labels(columns[0])
    classes = np.unique(y)
    if len(classes) < 2:
        raise DataError(f"{source}: label column {name!r} has only one class ('{classes[0]}'); need at least 2")
    return y, ()


def _read_numbers(columns, lines, names, source):
    (name,) = _single_label(names, "regression", source)
    values = []
    for cell, line in zip(columns[0], lines):
        value = _as_number(cell)
        if value is None:
            raise DataError(
                f"{source}: row {line}, column {name!r}: {cell!r} is not a finite number, which "
                "TASK=regression needs (set TASK=classification for class labels)"
            )
        if abs(value) > FLOAT32_MAX:
            raise DataError(
                f"{source}: row {line}, column {name!r}: {cell!r} is beyond the float32 range the networks "
                "compute in (about +/-3.4e38); rescale the column"
            )
        values.append(value)
    y = np.array(values, dtype=np.float64)
    if y.min() == y.max():
        raise DataError(
            f"{source}: label column {name!r} is {columns[0][0]!r} on every row; a regression target must vary"
        )
    return y, ()


def _read_indicators(columns, lines, names, source):
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
                f"{lines[keys.index(values[2])]}"
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
