"""Run settings from command-line flags, environment variables and a ``.env`` file.

This is the only module that reads the environment or ``.env``. Every setting is
described once, in ``_SPECS``: its variable name, the :class:`Settings` field it
fills, how the raw text is parsed and what values are allowed. Defaults live on
:class:`Settings` itself.

Precedence, highest first: command-line flags (passed as ``overrides``), the
environment, the ``.env`` file, the default. The 2021 names ``EXP_OUTPUT_CSV_FILE``
and ``OUTPUT_MODEL_DIR`` are accepted at every level, below the canonical name of
the same level.
"""

import math
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dotenv import dotenv_values

from deepfeat.errors import ConfigError

__all__ = ["ENV_VARIABLES", "Settings", "load_settings", "parse_n_models"]

NORMALIZATIONS = ("standard", "column-l2", "row-l2", "none")
IMPORTANCE_INITS = ("ones", "uniform", "glorot-relu")
TRAINERS = ("stacked", "keras")
VALIDATION_SPLITS = ("per-model", "fixed", "last")

# The largest seed numpy's legacy seeding (used by keras.utils.set_random_seed) takes.
_MAX_SEED = 2**32 - 1
_TRUE = ("1", "true", "yes")
_FALSE = ("0", "false", "no")


@dataclass(frozen=True)
class Settings:
    """Validated settings for one deepfeat run.

    Parameters
    ----------
    data_file : Path
        CSV file with the attributes and the class label.
    attribute_file : Path or None
        File naming the columns of a headerless ``data_file``; None means
        ``data_file`` has a header row.
    label_column : str, int or None
        Column name or 0-based index of the class label; None means the last column.
    n_models : int or None
        Number of networks to train; None means the runner asks on standard input.
    output_dir : Path
        Folder for importance tables and plots.
    model_dir : Path
        Folder for saved models and training logs.
    seed : int or None
        Random seed; None means fresh randomness.
    learning_rate : float
        Adam learning rate, > 0.
    batch_size : int
        Mini-batch size, >= 1.
    max_epochs : int
        Upper bound on training epochs per model, >= 1.
    patience : int
        Early-stopping patience in epochs, >= 0.
    validation_fraction : float
        Share of rows held out for validation, strictly between 0 and 1.
    validation_split : str
        One of ``"per-model"`` (a stratified random split per model), ``"fixed"`` (one such
        split for every model) or ``"last"`` (the last rows in file order, the 2021 code).
    normalization : str
        One of ``"standard"``, ``"column-l2"``, ``"row-l2"``, ``"none"``.
    importance_init : str
        One of ``"ones"``, ``"uniform"``, ``"glorot-relu"``.
    trainer : str
        One of ``"stacked"``, ``"keras"``.
    memory_budget_mb : int
        Memory the stacked trainer may use, in MB, >= 64.
    elimination_keep : float
        Recursive elimination: share of the attributes each round keeps, > 0 and <= 1;
        1 (the default) trains a single ensemble, as the paper does.
    save_models : bool
        Whether to save each trained model.
    checkpoint_seconds : float
        Least seconds between two saves of the progress of models still training, >= 0
        (0: after every epoch). Finished models are saved at once.
    restart : bool
        Discard the saved progress of an unfinished run with the same number of models in
        ``model_dir`` and start over, instead of resuming it.
    """

    data_file: Path
    attribute_file: Path | None = None
    label_column: str | int | None = None
    n_models: int | None = None
    output_dir: Path = Path("ExpOutput")
    model_dir: Path = Path("Models")
    seed: int | None = None
    learning_rate: float = 1e-4
    batch_size: int = 64
    max_epochs: int = 2000
    patience: int = 15
    validation_fraction: float = 0.5
    validation_split: str = "per-model"
    normalization: str = "standard"
    importance_init: str = "ones"
    trainer: str = "stacked"
    memory_budget_mb: int = 2048
    elimination_keep: float = 1.0
    save_models: bool = True
    checkpoint_seconds: float = 30.0
    restart: bool = False


class _Invalid(Exception):
    """Raised by parsers and checks; carries the end of a ConfigError message."""


# --- parsers: raw (stripped, non-empty) text -> value --------------------------


def _parse_int(text: str) -> int:
    if not re.fullmatch(r"[+-]?[0-9]+", text):
        raise _Invalid("is not a whole number")
    return int(text)


def _parse_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise _Invalid("is not a number") from None
    if not math.isfinite(value):
        raise _Invalid("is not a finite number")
    return value


def _parse_bool(text: str) -> bool:
    lowered = text.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise _Invalid(f"is not a boolean; use one of: {', '.join(_TRUE + _FALSE)}")


def _parse_path(text: str) -> Path:
    return Path(text).expanduser()


def _parse_label_column(text: str) -> str | int:
    # All digits means an index; anything else (even "-1") is a column name.
    return int(text) if re.fullmatch(r"[0-9]+", text) else text


def _choice(*options: str) -> Callable[[str], str]:
    def parse(text: str) -> str:
        lowered = text.lower()
        if lowered not in options:
            raise _Invalid(f"must be one of: {', '.join(options)}")
        return lowered

    return parse


# --- checks on parsed values --------------------------------------------------


def _at_least(low: float) -> Callable[[Any], None]:
    def check(value: Any) -> None:
        if value < low:
            raise _Invalid(f"must be >= {low}")

    return check


def _greater_than(low: float) -> Callable[[Any], None]:
    def check(value: Any) -> None:
        if not value > low:
            raise _Invalid(f"must be > {low}")

    return check


def _between(low: float, high: float, *, inclusive: bool) -> Callable[[Any], None]:
    def check(value: Any) -> None:
        inside = low <= value <= high if inclusive else low < value < high
        if not inside:
            kind = "inclusive" if inclusive else "exclusive"
            raise _Invalid(f"must be between {low} and {high} ({kind})")

    return check


def _share(value: Any) -> None:
    if not 0 < value <= 1:
        raise _Invalid("must be > 0 and <= 1")


def _no_check(value: Any) -> None:
    """Accept every parsed value."""


def _csv_file_to_dir(text: str) -> str:
    # The 2021 variable named the ranking CSV itself; its folder is what we need.
    return str(Path(text).parent) if text.lower().endswith(".csv") else text


@dataclass(frozen=True)
class _Spec:
    variable: str
    field: str
    parse: Callable[[str], Any]
    check: Callable[[Any], None] = _no_check
    # Older variable names, each with a rewrite of its raw text.
    aliases: tuple[tuple[str, Callable[[str], str]], ...] = ()


_SPECS = (
    _Spec("DATA_FILE", "data_file", _parse_path),
    _Spec("ATTRIBUTE_FILE", "attribute_file", _parse_path),
    _Spec("LABEL_COLUMN", "label_column", _parse_label_column),
    _Spec("N_MODELS", "n_models", _parse_int, _at_least(1)),
    _Spec(
        "OUTPUT_DIR",
        "output_dir",
        _parse_path,
        aliases=(("EXP_OUTPUT_CSV_FILE", _csv_file_to_dir),),
    ),
    _Spec("MODEL_DIR", "model_dir", _parse_path, aliases=(("OUTPUT_MODEL_DIR", str),)),
    _Spec("SEED", "seed", _parse_int, _between(0, _MAX_SEED, inclusive=True)),
    _Spec("LEARNING_RATE", "learning_rate", _parse_float, _greater_than(0)),
    _Spec("BATCH_SIZE", "batch_size", _parse_int, _at_least(1)),
    _Spec("MAX_EPOCHS", "max_epochs", _parse_int, _at_least(1)),
    _Spec("PATIENCE", "patience", _parse_int, _at_least(0)),
    _Spec(
        "VALIDATION_FRACTION",
        "validation_fraction",
        _parse_float,
        _between(0, 1, inclusive=False),
    ),
    _Spec("VALIDATION_SPLIT", "validation_split", _choice(*VALIDATION_SPLITS)),
    _Spec("NORMALIZATION", "normalization", _choice(*NORMALIZATIONS)),
    _Spec("IMPORTANCE_INIT", "importance_init", _choice(*IMPORTANCE_INITS)),
    _Spec("TRAINER", "trainer", _choice(*TRAINERS)),
    _Spec("MEMORY_BUDGET_MB", "memory_budget_mb", _parse_int, _at_least(64)),
    _Spec("ELIMINATION_KEEP", "elimination_keep", _parse_float, _share),
    _Spec("SAVE_MODELS", "save_models", _parse_bool),
    _Spec("CHECKPOINT_SECONDS", "checkpoint_seconds", _parse_float, _at_least(0)),
    _Spec("RESTART", "restart", _parse_bool),
)

ENV_VARIABLES = tuple(spec.variable for spec in _SPECS)
_SPEC_BY_VARIABLE = {spec.variable: spec for spec in _SPECS}
_N_MODELS = _SPEC_BY_VARIABLE["N_MODELS"]


def _convert(spec: _Spec, text: str) -> Any:
    value = spec.parse(text)
    spec.check(value)
    return value


def _nonempty(value: Any) -> str | None:
    """Return the stripped text of a raw value, or None when it counts as unset."""
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _read_env_file(env_file: str | os.PathLike | None) -> dict[str, str | None]:
    if env_file is None or not Path(env_file).is_file():
        return {}
    try:
        # No interpolation: a value means what it says, whatever os.environ holds.
        return dotenv_values(env_file, interpolate=False)
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read settings file {env_file}: {exc}") from None


def _lookup(spec: _Spec, levels: list[tuple[str, Mapping[str, Any]]]):
    """Find the highest-precedence value for ``spec``.

    Returns ``(variable, text, where)`` with the alias rewrite applied, or None.
    """
    names = ((spec.variable, str), *spec.aliases)
    for where, values in levels:
        for name, rewrite in names:
            text = _nonempty(values.get(name))
            if text is not None:
                return name, rewrite(text), where
    return None


def load_settings(
    overrides: Mapping[str, Any] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    env_file: str | os.PathLike | None = ".env",
) -> Settings:
    """Collect and validate the run settings.

    Parameters
    ----------
    overrides : mapping of str to str or None, optional
        Values from the command line, keyed by variable name (e.g. ``"N_MODELS"``);
        None values are ignored.
    environ : mapping of str to str, optional
        Environment variables; defaults to ``os.environ``.
    env_file : path-like or None, default ".env"
        Settings file read with python-dotenv; a missing file (or None) is skipped.

    Returns
    -------
    Settings
        The validated settings.

    Raises
    ------
    ConfigError
        If a value is invalid, ``DATA_FILE`` is not set anywhere, or ``overrides``
        holds an unknown name. The message names the variable, the value, what is
        allowed and where the value came from.
    """
    overrides = dict(overrides or {})
    known = set(ENV_VARIABLES) | {alias for spec in _SPECS for alias, _ in spec.aliases}
    unknown = sorted(set(overrides) - known)
    if unknown:
        raise ConfigError(
            f"unknown setting {unknown[0]!r}; known settings: {', '.join(ENV_VARIABLES)}"
        )
    levels = [
        ("on the command line", overrides),
        ("in the environment", os.environ if environ is None else environ),
        (f"in {env_file}", _read_env_file(env_file)),
    ]
    values = {}
    for spec in _SPECS:
        found = _lookup(spec, levels)
        if found is None:
            continue
        name, text, where = found
        try:
            values[spec.field] = _convert(spec, text)
        except _Invalid as exc:
            raise ConfigError(f"{name}={text!r} {exc} (set {where})") from None
    if "data_file" not in values:
        raise ConfigError(
            "DATA_FILE is not set; set it on the command line, in the environment "
            f"or in {env_file}"
        )
    return Settings(**values)


def parse_n_models(text: str) -> int:
    """Parse a number of models typed by the user.

    Parameters
    ----------
    text : str
        The raw answer; surrounding whitespace is ignored.

    Returns
    -------
    int
        The number of models, >= 1.

    Raises
    ------
    ConfigError
        If ``text`` is not a positive whole number.
    """
    stripped = text.strip()
    try:
        return _convert(_N_MODELS, stripped)
    except _Invalid as exc:
        raise ConfigError(f"number of models {stripped!r} {exc}") from None
