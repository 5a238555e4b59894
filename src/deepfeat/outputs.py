"""Result files: importance weights, ranking table and plot, training logs, model paths.

Every file is written atomically (temporary file in the target directory, fsync, ``os.replace``),
so an interrupted run never leaves a truncated result where a previous complete one stood. A
run's files are also replaced as a set (:class:`ResultSet`): written into hidden staging folders
first, then moved into place under a journal, so that the folders hold either the complete
earlier set or the complete new one, whenever the process is killed.
"""

import csv
import io
import json
import logging
import math
import os
import re
import shutil
import tempfile
import warnings
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from deepfeat.errors import ConfigError, DeepfeatWarning, WriteError

logger = logging.getLogger(__name__)

RANKING_COLUMNS = ("rank", "attribute", "importance", "std", "ci_low", "ci_high", "mean_rank", "rank_std")
MAX_PLOTTED_ATTRIBUTES = 40
#: Bar colours of the decisions (:data:`deepfeat.decisions.DECISION_WORDS`) in the ranking plot.
DECISION_COLORS = {"confirmed": "tab:green", "tentative": "tab:orange", "rejected": "tab:gray"}


def _new_file_mode() -> int:
    """Return the mode an ordinary ``open(..., "w")`` would give a new file under the current umask."""
    # mkstemp creates 0o600 files; results should be as readable as any other file the user writes.
    # os.umask can only be read by setting it, so set it back at once.
    umask = os.umask(0o022)
    os.umask(umask)
    return 0o666 & ~umask


@contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path next to `path`, then move it onto `path` if the block succeeds.

    For writers that need a file name (e.g. ``keras.Model.save``). The temporary name is
    ``.<name>.<random>.tmp<suffix>``, so it keeps the target's suffix (``.keras`` stays ``.keras``).
    On success the file is fsynced and renamed into place with ``os.replace``; on any exception
    (including ``KeyboardInterrupt``) it is deleted and the existing `path`, if any, is untouched.

    Parameters
    ----------
    path : str or os.PathLike
        Final destination. Missing parent directories are created.

    Yields
    ------
    pathlib.Path
        An existing, empty temporary file for the writer to overwrite.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(
        delete=False, dir=path.parent, prefix=f".{path.name}.", suffix=f".tmp{path.suffix}"
    ) as handle:
        tmp_path = Path(handle.name)
    try:
        yield tmp_path
        with open(tmp_path, "rb+") as written:
            os.fsync(written.fileno())
        os.chmod(tmp_path, _new_file_mode())
        os.replace(tmp_path, path)
    except BaseException:
        tmp_path.unlink(missing_ok=True)
        raise
    logger.debug("wrote %s", path)


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write `data` to `path` atomically (see :func:`atomic_path`).

    Parameters
    ----------
    path : str or os.PathLike
        Destination file; parent directories are created.
    data : bytes
        Complete file content.
    """
    with atomic_path(path) as tmp_path:
        tmp_path.write_bytes(data)


def atomic_write_text(path: str | os.PathLike, text: str, encoding: str = "utf-8") -> None:
    """Write `text` to `path` atomically, without newline translation.

    Parameters
    ----------
    path : str or os.PathLike
        Destination file; parent directories are created.
    text : str
        Complete file content.
    encoding : str, default "utf-8"
        Text encoding.
    """
    atomic_write_bytes(path, text.encode(encoding))


def write_weights_csv(path: str | os.PathLike, feature_names: Sequence[str], importances) -> None:
    """Write one row of normalised importance weights per model, under a header of attribute names.

    Values are written with ``repr(float)``, the shortest text that reads back to the identical
    double, so the file round-trips exactly.

    Parameters
    ----------
    path : str or os.PathLike
        Destination CSV file.
    feature_names : sequence of str
        Attribute names, one per column.
    importances : array-like of shape (n_models, n_features)
        Normalised importance weights of each model.

    Raises
    ------
    ValueError
        If `importances` is not 2-D or its width differs from ``len(feature_names)``.
    """
    weights = np.asarray(importances, dtype=float)
    names = [str(name) for name in feature_names]
    if weights.ndim != 2 or weights.shape[1] != len(names):
        raise ValueError(f"importances must have shape (n_models, {len(names)}), got {weights.shape}")
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(names)
    writer.writerows([repr(float(value)) for value in row] for row in weights)
    atomic_write_text(path, buffer.getvalue())


def _to_jsonable(value):
    """Convert numpy scalars/arrays and nested containers to plain JSON types; non-finite floats become None."""
    if isinstance(value, Mapping):
        return {str(key): _to_jsonable(item) for key, item in value.items()}
    if isinstance(value, np.ndarray):
        return _to_jsonable(value.tolist())
    if isinstance(value, (list, tuple)):
        return [_to_jsonable(item) for item in value]
    if isinstance(value, np.generic):
        return _to_jsonable(value.item())
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None  # NaN/Infinity are not valid JSON; a diverged loss reads as null.
    return value


def write_logs_json(path: str | os.PathLike, logs: Sequence[Mapping]) -> None:
    """Write per-model training logs as a JSON object keyed ``"0"`` .. ``"N-1"``.

    Numpy scalars and arrays are converted to Python numbers and lists; NaN and infinite
    floats are written as ``null`` so the file is strict JSON.

    Parameters
    ----------
    path : str or os.PathLike
        Destination JSON file.
    logs : sequence of mapping
        One log (e.g. loss history, epochs, seed) per model, in model order.
    """
    document = {str(index): _to_jsonable(log) for index, log in enumerate(logs)}
    atomic_write_text(path, json.dumps(document, indent=2, allow_nan=False) + "\n")


def _check_ranking(ranking: pd.DataFrame) -> None:
    """Raise ValueError if `ranking` lacks a column of the ranking table."""
    missing = [column for column in RANKING_COLUMNS if column not in ranking.columns]
    if missing:
        raise ValueError(f"ranking table lacks columns {missing}")


def write_ranking_csv(path: str | os.PathLike, ranking: pd.DataFrame) -> None:
    """Write the ranking table to CSV without the index.

    Parameters
    ----------
    path : str or os.PathLike
        Destination CSV file.
    ranking : pandas.DataFrame
        Ranking table with at least the columns in ``RANKING_COLUMNS``.
    """
    _check_ranking(ranking)
    atomic_write_text(path, ranking.to_csv(index=False, lineterminator="\n"))


def plot_ranking(path: str | os.PathLike, ranking: pd.DataFrame, title: str) -> None:
    """Draw the ranking as a horizontal bar chart with confidence intervals and save it as PNG.

    The most important attribute is at the top; each bar runs from the uniform importance
    ``1/F`` to the attribute's importance (blue above it, grey below; with a ``decision``
    column, coloured by decision instead, with a legend); error bars span ``ci_low``..``ci_high``
    (missing intervals draw no bar); a dashed line marks ``1/F``.
    Only the top ``MAX_PLOTTED_ATTRIBUTES`` attributes are drawn, and the title says so when
    some are left out. Uses the Agg canvas directly, so no display or pyplot state is involved.

    Text is drawn as it is: a ``$`` in a name is a dollar sign, not the start of a formula.
    Characters the font lacks show as boxes, said once in a :class:`~deepfeat.errors.DeepfeatWarning`.

    Parameters
    ----------
    path : str or os.PathLike
        Destination PNG file.
    ranking : pandas.DataFrame
        Ranking table with at least the columns in ``RANKING_COLUMNS``.
    title : str
        Figure title.
    """
    _check_ranking(ranking)
    with matplotlib.rc_context({"text.parse_math": False}), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        png = _ranking_png(ranking, title)
    missing = []
    for warning in caught:
        glyph = _MISSING_GLYPH.match(str(warning.message))
        if glyph is None:
            warnings.warn_explicit(warning.message, warning.category, warning.filename, warning.lineno)
        elif chr(int(glyph[1])) not in missing:
            missing.append(chr(int(glyph[1])))
    if missing:
        warnings.warn(
            f"{Path(path).name}: the plot's font has no {' '.join(missing)}, drawn as boxes; "
            "the ranking table has every name in full",
            DeepfeatWarning,
            stacklevel=2,
        )
    atomic_write_bytes(path, png)


# How matplotlib says that a character is not in the font: "Glyph 28201 (...) missing from font(s) ...".
_MISSING_GLYPH = re.compile(r"Glyph (\d+) .*missing from font")


def _ranking_png(ranking: pd.DataFrame, title: str) -> bytes:
    """The bytes of the PNG that :func:`plot_ranking` describes."""
    n_total = len(ranking)
    shown = ranking.sort_values("importance", ascending=False, kind="stable").head(MAX_PLOTTED_ATTRIBUTES)
    n_shown = len(shown)
    importance = shown["importance"].to_numpy(dtype=float)
    below = np.nan_to_num(importance - shown["ci_low"].to_numpy(dtype=float), nan=0.0).clip(min=0.0)
    above = np.nan_to_num(shown["ci_high"].to_numpy(dtype=float) - importance, nan=0.0).clip(min=0.0)

    figure = Figure(figsize=(8.0, max(3.0, 1.2 + 0.28 * n_shown)), layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    positions = np.arange(n_shown)
    # Bars grow from the uniform importance 1/F: ensemble importances often differ from it by a
    # few percent, which bars from zero would hide.
    uniform = 1.0 / n_total if n_total else 0.0
    if "decision" in shown:
        colors = shown["decision"].map(DECISION_COLORS).to_numpy()
    else:
        colors = np.where(importance >= uniform, "tab:blue", "tab:gray")
    axes.barh(
        positions,
        importance - uniform,
        left=uniform,
        xerr=np.vstack([below, above]),
        color=colors,
        error_kw={"ecolor": "black", "capsize": 2, "linewidth": 0.8},
    )
    axes.set_yticks(positions, labels=[str(name) for name in shown["attribute"]])
    axes.set_ylim(n_shown - 0.5, -0.5)  # most important on top, no padding rows
    if n_total:
        axes.axvline(uniform, color="tab:red", linestyle="--", linewidth=1, label=f"uniform (1/{n_total})")
        handles = axes.get_legend_handles_labels()[0]
        if "decision" in shown:
            handles += [Patch(color=color, label=word) for word, color in DECISION_COLORS.items()]
        axes.legend(handles=handles, loc="best")
    axes.set_xlabel("mean normalised importance (bars start at the uniform importance)")
    if n_shown < n_total:
        title = f"{title}\n(top {n_shown} of {n_total} attributes)"
    axes.set_title(title)

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100)
    return buffer.getvalue()


@dataclass(frozen=True)
class OutputPaths:
    """Where one run with `n_models` models writes its results.

    Attributes
    ----------
    weights_csv, ranking_csv, ranking_png : pathlib.Path
        ``output_weights_{N}.csv``, ``ranking_{N}.csv``, ``ranking_{N}.png`` in the output directory.
    logs_json : pathlib.Path
        ``logs_{N}.json`` in the model directory.
    model_dir : pathlib.Path
        Directory holding the saved models.
    n_models : int
        Number of models N.
    journal : pathlib.Path
        ``.deepfeat-results-{N}.json`` in the model directory: the :class:`ResultSet` journal.
    """

    weights_csv: Path
    ranking_csv: Path
    ranking_png: Path
    logs_json: Path
    model_dir: Path
    n_models: int
    journal: Path

    def model_path(self, index: int) -> Path:
        """Return ``model_{N}_{index}.keras`` in the model directory.

        Parameters
        ----------
        index : int
            0-based model index, ``0 <= index < n_models``.

        Returns
        -------
        pathlib.Path
            Path of the saved model.
        """
        if not 0 <= index < self.n_models:
            raise ValueError(f"model index {index} is outside 0..{self.n_models - 1}")
        return self.model_dir / f"model_{self.n_models}_{index}.keras"


def output_paths(output_dir: str | os.PathLike, model_dir: str | os.PathLike, n_models: int) -> OutputPaths:
    """Build the result paths of a run; nothing is created.

    Parameters
    ----------
    output_dir : str or os.PathLike
        Directory for the weights CSV, ranking CSV and ranking PNG.
    model_dir : str or os.PathLike
        Directory for the saved models and the training logs.
    n_models : int
        Number of models, at least 1; it is part of every file name.

    Returns
    -------
    OutputPaths
    """
    if n_models < 1:
        raise ValueError(f"n_models must be at least 1, got {n_models}")
    output_dir, model_dir = Path(output_dir), Path(model_dir)
    return OutputPaths(
        weights_csv=output_dir / f"output_weights_{n_models}.csv",
        ranking_csv=output_dir / f"ranking_{n_models}.csv",
        ranking_png=output_dir / f"ranking_{n_models}.png",
        logs_json=model_dir / f"logs_{n_models}.json",
        model_dir=model_dir,
        n_models=n_models,
        journal=model_dir / f".deepfeat-results-{n_models}.json",
    )


class ResultSet:
    """The files of one run, made visible together or not at all.

    Each file is written into a hidden staging folder beside its destination
    (``.deepfeat-results-N.staging/``, so that moving it is a rename within one file system);
    :meth:`install` then writes the journal, the list of every move and removal, atomically, and
    carries it out. Before the journal exists the destinations are untouched, and
    :meth:`discard` (or a later :func:`finish_results`) only removes the staging folders; once
    it exists the set counts as written, and :func:`finish_results` completes the moves of a
    process killed half-way. The folders thus hold the complete earlier set or, once finished,
    the complete new one.

    Use it as a context manager: the block writes, a normal exit installs, an exception
    discards. An ``OSError`` while writing (a full disk) is raised as
    :class:`~deepfeat.errors.WriteError`, naming the file.

    Parameters
    ----------
    journal : path-like
        Where the journal goes: :attr:`OutputPaths.journal`.
    remove : iterable of path-like
        Files of an earlier set that the new one replaces by nothing (saved models of a run
        that now saves none); removed on installing unless staged.
    """

    def __init__(self, journal, remove=()):
        self.journal = Path(journal)
        self._staged = {}  # destination -> staged file
        self._folders = []
        self._remove = [Path(path) for path in remove]
        self._writing = None

    def stage(self, destination) -> Path:
        """The path to write the file that is to be installed at ``destination``.

        Parameters
        ----------
        destination : path-like
            The file's final place.

        Returns
        -------
        pathlib.Path
            A path in the staging folder beside ``destination``, which is created.
        """
        destination = self._writing = Path(destination)
        folder = _staging_folder(self.journal, destination.parent)
        if folder not in self._folders:
            shutil.rmtree(folder, ignore_errors=True)  # a killed run's, never journaled (see __enter__)
            folder.mkdir(parents=True)
            self._folders.append(folder)
        self._staged[destination] = folder / destination.name
        return self._staged[destination]

    def install(self):
        """Write the journal, then move every staged file into place and remove the replaced ones."""
        base = self.journal.parent
        journal = {
            "moves": [[_relative(staged, base), _relative(final, base)] for final, staged in self._staged.items()],
            "remove": [_relative(path, base) for path in self._remove if path not in self._staged],
            "folders": [_relative(folder, base) for folder in self._folders],
        }
        try:
            atomic_write_text(self.journal, json.dumps(journal, indent=1) + "\n")
        except OSError as exc:
            self.discard()
            raise WriteError(f"cannot write {self.journal}: {exc.strerror or exc}") from None
        finish_results(self.journal, ())

    def discard(self):
        """Remove the staging folders, and so every file written so far."""
        for folder in self._folders:
            shutil.rmtree(folder, ignore_errors=True)

    def __enter__(self):
        finish_results(self.journal, ())  # an earlier set whose moves a killed process left undone
        return self

    def __exit__(self, kind, error, traceback):
        if error is None:
            self.install()
            return False
        self.discard()
        if isinstance(error, OSError):
            raise WriteError(
                f"cannot write {self._writing}: {error.strerror or error}; the earlier results are untouched"
            ) from None
        return False


def finish_results(journal, folders) -> bool:
    """Complete or undo the :class:`ResultSet` that ``journal`` belongs to, as its process left it.

    With the journal there, the remaining moves and removals are done and the journal deleted;
    without it, the staging folders of that set in ``folders`` are removed. Only call it when no
    live process is writing that set (see :meth:`deepfeat.checkpoint.RunCheckpoint.locked`).

    Parameters
    ----------
    journal : path-like
        :attr:`OutputPaths.journal` of the set.
    folders : iterable of path-like
        The folders its files go to (OUTPUT_DIR and MODEL_DIR), for staging folders left
        without a journal.

    Returns
    -------
    bool
        Whether a journal was there, so files were moved into place.

    Raises
    ------
    deepfeat.errors.WriteError
        If a file cannot be moved; the journal stays for the next try.
    """
    journal = Path(journal)
    try:
        entries = json.loads(journal.read_text(encoding="utf-8"))
    except FileNotFoundError:
        for folder in folders:
            shutil.rmtree(_staging_folder(journal, Path(folder)), ignore_errors=True)
        return False
    except (OSError, ValueError) as exc:
        raise WriteError(f"{journal}: cannot read the list of result files to move ({exc}); delete it") from None
    base = journal.parent
    try:
        for staged, final in entries["moves"]:
            if (base / staged).exists():  # not yet moved by the process that wrote the journal
                os.replace(base / staged, base / final)
        for path in entries["remove"]:
            (base / path).unlink(missing_ok=True)
    except OSError as exc:
        raise WriteError(
            f"cannot move the results into place ({exc.filename}: {exc.strerror}); "
            f"{journal} lists what is left to do, run the same command again to finish"
        ) from None
    for folder in entries["folders"]:
        shutil.rmtree(base / folder, ignore_errors=True)
    journal.unlink()
    logger.debug("installed the results listed in %s", journal)
    return True


def _staging_folder(journal: Path, folder: Path) -> Path:
    return folder / f"{journal.stem}.staging"


def _relative(path: Path, base: Path) -> str:
    """``path`` relative to ``base``, so that a journal stays right when both folders move together."""
    return os.path.relpath(path, base)


def check_writable(directory: str | os.PathLike, what: str = "output directory") -> Path:
    """Make sure results can be written into `directory`, creating it if needed.

    Called before any training so a bad path fails in seconds, not after hours. If the check
    fails, every directory it created is removed again.

    Parameters
    ----------
    directory : str or os.PathLike
        Directory that will receive result files.
    what : str, default "output directory"
        What the directory is, for the error message (e.g. ``"OUTPUT_DIR"``).

    Returns
    -------
    pathlib.Path
        `directory`, which now exists.

    Raises
    ------
    ConfigError
        If the path, or one of its parents, exists and is not a directory, or the directory
        cannot be created, or a file cannot be created in it.
    """
    directory = Path(directory)
    missing = []
    ancestor = directory
    try:
        while not ancestor.exists() and ancestor != ancestor.parent:
            missing.append(ancestor)
            ancestor = ancestor.parent
    except OSError as exc:  # a name longer than the file system allows, say
        raise ConfigError(f"{what} {str(directory)!r} cannot be used: {exc.strerror or exc}") from None
    if not ancestor.is_dir():
        raise ConfigError(f"{what} {str(directory)!r} cannot be used: {str(ancestor)!r} is not a directory")

    created = []
    try:
        for path in reversed(missing):
            path.mkdir()
            created.append(path)
        # A real file is the only reliable test (ACLs, read-only mounts, root); it vanishes on close.
        with tempfile.TemporaryFile(dir=directory):
            pass
    except OSError as exc:
        for path in reversed(created):
            path.rmdir()
        action = "cannot be created" if len(created) < len(missing) else "is not writable"
        raise ConfigError(f"{what} {str(directory)!r} {action}: {exc.strerror or exc}") from exc
    return directory
