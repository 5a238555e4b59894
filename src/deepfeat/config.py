"""Run settings from command-line flags, environment variables and a ``.env`` file.

This is the only module that reads the environment or ``.env``. What each setting is
called, how its text is parsed, what it allows and its default come from
:data:`deepfeat.settings.SETTINGS`; :class:`Settings` has one field per entry.

Precedence, highest first: command-line flags (passed as ``overrides``), the
environment, the ``.env`` file, the default. The 2021 names ``EXP_OUTPUT_CSV_FILE``
and ``OUTPUT_MODEL_DIR`` are accepted at every level, below the canonical name of
the same level.
"""

import difflib
import os
import sys
from collections.abc import Mapping
from dataclasses import fields, replace
from pathlib import Path
from typing import Any

from dotenv.parser import parse_stream

from .errors import ConfigError
from .settings import SETTINGS, Invalid, combination_problem, rewrite_alias, setting, settings_class

__all__ = [
    "DEBUG_VARIABLE",
    "ENV_VARIABLES",
    "Settings",
    "debug_requested",
    "load_settings",
    "parse_n_models",
    "with_n_models",
]

ENV_VARIABLES = tuple(s.variable for s in SETTINGS)
#: Set (to anything but ``0`` or empty) to see the full trace of an internal error; not a run setting.
DEBUG_VARIABLE = "DEEPFEAT_DEBUG"
# The settings' names with their 2021 ones.
_SETTING_NAMES = (*ENV_VARIABLES, *(alias for spec in SETTINGS for alias, _ in spec.aliases))
# How alike a .env name must be to a known one to count as a misspelling of it (MAX_EPOCH: 0.95).
_TYPO_CUTOFF = 0.8
# Longest value text quoted whole in a message; longer ones are shortened.
_SHOWN_CHARACTERS = 40


#: Validated settings for one run: one field per entry of :data:`deepfeat.settings.SETTINGS`.
Settings = settings_class(
    "Settings", SETTINGS, "Validated settings for one deepfeat run.", __name__, required=("data_file",)
)


def _nonempty(value: Any) -> str | None:
    """Return the stripped text of a raw value, or None when it counts as unset."""
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _shown(text: str) -> str:
    """``repr(text)``, shortened when it is long (a value of thousands of digits stays one line)."""
    if len(text) <= _SHOWN_CHARACTERS:
        return repr(text)
    return f"{text[: _SHOWN_CHARACTERS // 2]!r}... ({len(text)} characters)"


def _read_env_file(env_file: str | os.PathLike | None) -> dict[str, str | None]:
    """The names and values of ``env_file``; a line that is not ``NAME=value``, or that names a
    setting misspelt, is an error naming the file and the line."""
    try:
        if env_file is None or not Path(env_file).is_file():
            return {}
        with open(env_file, encoding="utf-8-sig") as stream:
            # python-dotenv's parser, without its interpolation (a value means what it says,
            # whatever os.environ holds) or its warning-and-skip for lines it cannot parse.
            bindings = list(parse_stream(stream))
    except UnicodeDecodeError:
        raise ConfigError(f"settings file {env_file} is not UTF-8 text") from None
    except OSError as exc:
        raise ConfigError(f"cannot read settings file {env_file}: {exc.strerror or exc}") from None
    values = {}
    for binding in bindings:
        line = f"{env_file}, line {binding.original.line}"
        if binding.error:
            text = binding.original.string.strip()
            raise ConfigError(f"{line}: cannot read {_shown(text)}; write NAME=value (quote a value with spaces)")
        if binding.key is None:  # a comment or a blank line
            continue
        _check_name(binding.key, line)
        if binding.value is None and binding.key in _SETTING_NAMES:
            raise ConfigError(f"{line}: {binding.key} has no value; write {binding.key}=value")
        values[binding.key] = binding.value
    return values


def _check_name(name: str, line: str) -> None:
    """Refuse a name that is not deepfeat's but looks meant as one (``MAX_EPOCH``, ``max_epochs``).

    Other names pass: a ``.env`` is shared with other tools (docker-compose reads ``UID``).
    """
    if name in _SETTING_NAMES:
        return
    if name == DEBUG_VARIABLE:  # read when anything, .env included, may have failed
        raise ConfigError(
            f"{line}: {DEBUG_VARIABLE} is read from the environment only; run {DEBUG_VARIABLE}=1 deepfeat"
        )
    close = [name.upper()] if name.upper() in _SETTING_NAMES else []
    close = close or difflib.get_close_matches(name.upper(), _SETTING_NAMES, n=1, cutoff=_TYPO_CUTOFF)
    if close:
        raise ConfigError(f"{line}: {name} is not a deepfeat setting; did you mean {close[0]}?")


def _lookup(spec, levels: list[tuple[str, Mapping[str, Any]]]):
    """Find the highest-precedence value for the setting ``spec``.

    Returns ``(variable, text, where)`` with the alias rewrite applied, or None.
    """
    names = ((spec.variable, "same"), *spec.aliases)
    for where, values in levels:
        for name, how in names:
            text = _nonempty(values.get(name))
            if text is not None:
                return name, rewrite_alias(how, text), where
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
    unknown = sorted(set(overrides) - set(_SETTING_NAMES))
    if unknown:
        raise ConfigError(f"unknown setting {unknown[0]!r}; known settings: {', '.join(ENV_VARIABLES)}")
    levels = [
        ("on the command line", overrides),
        ("in the environment", os.environ if environ is None else environ),
        (f"in {env_file}", _read_env_file(env_file)),
    ]
    values = {}
    for spec in SETTINGS:
        found = _lookup(spec, levels)
        if found is None:
            continue
        name, text, where = found
        values[spec.name] = _parse(spec, text, f"{name}={_shown(text)}", f" (set {where})")
    if "data_file" not in values:
        raise ConfigError(f"DATA_FILE is not set; set it on the command line, in the environment or in {env_file}")
    problem = combination_problem(values, lambda s: s.variable)
    if problem is not None:
        raise ConfigError(problem)
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
    return _parse(setting("n_models"), stripped, f"number of models {_shown(stripped)}")


def with_n_models(settings: Settings, n_models: int) -> Settings:
    """``settings`` with ``N_MODELS`` set (to a number asked for once they were loaded).

    Raises
    ------
    ConfigError
        If the number does not combine with the other settings (e.g. too few for ``DECISIONS``).
    """
    settings = replace(settings, n_models=n_models)
    problem = combination_problem({f.name: getattr(settings, f.name) for f in fields(settings)}, lambda s: s.variable)
    if problem is not None:
        raise ConfigError(problem)
    return settings


def _parse(spec, text, what, where=""):
    """``spec.parse(text)``; a refusal is a ConfigError saying ``what``, the problem, then ``where``."""
    try:
        return spec.parse(text)
    except Invalid as exc:
        problem = str(exc)
    except ValueError:  # int() refuses more digits than sys.get_int_max_str_digits()
        problem = f"has more digits than a number can have here (at most {sys.get_int_max_str_digits()})"
    raise ConfigError(f"{what} {problem}{where}")


def debug_requested(environ: Mapping[str, str] | None = None) -> bool:
    """Whether ``DEEPFEAT_DEBUG`` asks for full traces of internal errors.

    Parameters
    ----------
    environ : mapping of str to str, optional
        Environment variables; defaults to ``os.environ``.
    """
    value = (os.environ if environ is None else environ).get(DEBUG_VARIABLE, "").strip()
    return value not in ("", "0")
