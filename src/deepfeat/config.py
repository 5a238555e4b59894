"""Run settings from command-line flags, environment variables and a ``.env`` file.

This is the only module that reads the environment or ``.env``. What each setting is
called, how its text is parsed, what it allows and its default come from
:data:`deepfeat.settings.SETTINGS`; :class:`Settings` has one field per entry.

Precedence, highest first: command-line flags (passed as ``overrides``), the
environment, the ``.env`` file, the default. The 2021 names ``EXP_OUTPUT_CSV_FILE``
and ``OUTPUT_MODEL_DIR`` are accepted at every level, below the canonical name of
the same level.
"""

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dotenv import dotenv_values

from .errors import ConfigError
from .settings import SETTINGS, Invalid, combination_problem, rewrite_alias, setting, settings_class

__all__ = ["ENV_VARIABLES", "Settings", "load_settings", "parse_n_models"]

ENV_VARIABLES = tuple(s.variable for s in SETTINGS)


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


def _read_env_file(env_file: str | os.PathLike | None) -> dict[str, str | None]:
    if env_file is None or not Path(env_file).is_file():
        return {}
    try:
        # No interpolation: a value means what it says, whatever os.environ holds.
        return dotenv_values(env_file, interpolate=False)
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read settings file {env_file}: {exc}") from None


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
    known = set(ENV_VARIABLES) | {alias for spec in SETTINGS for alias, _ in spec.aliases}
    unknown = sorted(set(overrides) - known)
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
        try:
            values[spec.name] = spec.parse(text)
        except Invalid as exc:
            raise ConfigError(f"{name}={text!r} {exc} (set {where})") from None
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
    try:
        return setting("n_models").parse(stripped)
    except Invalid as exc:
        raise ConfigError(f"number of models {stripped!r} {exc}") from None
