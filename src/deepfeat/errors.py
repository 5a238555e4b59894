"""Exceptions for problems the user can fix (bad data, bad configuration), and warnings."""


class DeepfeatError(ValueError):
    """A problem with the user's input; its message is one line saying what and where."""


class ConfigError(DeepfeatError):
    """A setting (environment variable, ``.env`` entry or command-line flag) is invalid."""


class DataError(DeepfeatError):
    """The data file or attribute file cannot be used."""


class NoSkillWarning(UserWarning):
    """The fitted networks predict their validation rows no better than chance.

    Their importances are then not backed by anything they learned; see
    :class:`deepfeat.skill.ValidationSkill`.
    """
