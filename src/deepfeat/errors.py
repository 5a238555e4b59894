"""Exceptions for problems the user can fix (bad data, bad configuration, a full disk), and warnings."""


class DeepfeatError(ValueError):
    """A problem with the user's input; its message is one line saying what and where."""


class ConfigError(DeepfeatError):
    """A setting (environment variable, ``.env`` entry or command-line flag) is invalid."""


class DataError(DeepfeatError):
    """The data file or attribute file cannot be used."""


class WriteError(DeepfeatError):
    """A result or progress file cannot be written (a full disk, a lost permission)."""


class TrainingError(DeepfeatError):
    """Training cannot give a usable result with these settings: it diverged, or would not fit in memory."""


class DeepfeatWarning(UserWarning):
    """Something about the input or the results the user should know; its message is one line."""


class NoSkillWarning(DeepfeatWarning):
    """The fitted networks predict their validation rows no better than chance.

    Their importances are then not backed by anything they learned; see
    :class:`deepfeat.skill.ValidationSkill`.
    """
