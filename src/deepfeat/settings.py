"""Every setting of deepfeat, described once: name, variable, type, default, range or choices, help.

This module is the single source of truth that the rest derives from: :mod:`deepfeat.config`
parses the environment with it, the command line builds its flags and their ``--help`` from it,
:class:`deepfeat.ensemble.TrainingOptions` and the estimator's parameters (their defaults and
``_parameter_constraints``) are made from it, and tests check the README's settings table and
``.env.example`` against it. It imports neither TensorFlow nor scikit-learn.

Rules that tie settings together (which combinations are refused, what one implies for
another) are here too, as functions the library, the runner and the readout all call.

Scopes: ``"run"`` settings belong to the command-line runner only (files, folders, seeds,
checkpoints); ``"training"`` settings decide how each network of an ensemble is trained and
are fields of ``TrainingOptions`` and parameters of the estimator; ``"ensemble"`` settings
shape the whole ensemble (the estimator's and the runner's, not ``TrainingOptions``').
"""

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, make_dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "MAX_SEED",
    "SETTINGS",
    "Invalid",
    "Setting",
    "TrainingOptions",
    "by_scope",
    "combination_problem",
    "decisions_problem",
    "elimination_possible",
    "encoding_problem",
    "gate_relu",
    "min_models",
    "null_models",
    "rewrite_alias",
    "setting",
    "settings_class",
]

# The largest seed NumPy's legacy seeding takes (scikit-learn's check_random_state uses it).
MAX_SEED = 2**32 - 1
TRUE_WORDS = ("1", "true", "yes")
FALSE_WORDS = ("0", "false", "no")


class Invalid(ValueError):
    """A value a setting does not accept; the message is the end of a sentence about the value."""


@dataclass(frozen=True)
class Setting:
    """One setting.

    Attributes
    ----------
    name : str
        Python name: the field of ``Settings``/``TrainingOptions`` and the estimator's parameter.
    kind : str
        ``"int"``, ``"float"``, ``"bool"``, ``"choice"``, ``"path"``, ``"text"`` or ``"column"``
        (label columns: all digits is a 0-based index, anything else a name; several,
        comma-separated, make a tuple).
    default
        The value when the setting is not given (None: unset).
    help : str
        What it means, in one line.
    scope : str
        ``"run"``, ``"training"`` or ``"ensemble"`` (see the module's description).
    choices : tuple of str
        The allowed values of a ``"choice"``.
    low, high : float or None
        Bounds of a number; ``closed`` says which are included (``"left"``, ``"right"``,
        ``"both"`` or ``"neither"``, as scikit-learn's ``Interval``).
    excluded : tuple of int
        Whole numbers within the bounds that are not allowed (``n_jobs=0``).
    aliases : tuple of (str, str)
        Older variable names, each with how its text is rewritten (``"same"`` or
        ``"csv-folder"``: a value ending in ``.csv`` means its folder).
    unset : str
        What an unset value (default None) means, for the help and the README.
    changes_results : bool
        False for a setting that changes only how the work is done (so a run resumed with
        another value goes on, and its help says that results do not depend on it).
    """

    name: str
    kind: str
    default: Any
    help: str
    scope: str = "run"
    choices: tuple = ()
    low: float | None = None
    high: float | None = None
    closed: str = "both"
    excluded: tuple = ()
    aliases: tuple = ()
    unset: str = "unset"
    changes_results: bool = True

    @property
    def variable(self):
        """The environment variable (and ``.env`` key)."""
        return self.name.upper()

    @property
    def flag(self):
        """The command-line flag."""
        return "--" + self.name.replace("_", "-")

    def parse(self, text):
        """The value of the stripped, non-empty ``text``; raises :class:`Invalid`."""
        value = _PARSERS[self.kind](self, text)
        self.check(value)
        return value

    def check(self, value):
        """Raise :class:`Invalid` unless the (parsed) ``value`` is in range."""
        if self.low is None and self.high is None:
            return
        low_ok = self.low is None or (value >= self.low if self.closed in ("left", "both") else value > self.low)
        high_ok = self.high is None or (value <= self.high if self.closed in ("right", "both") else value < self.high)
        if not (low_ok and high_ok) or value in self.excluded:
            raise Invalid(f"must be {self.range_text()}")

    def range_text(self):
        """The allowed values in words, e.g. ``">= 1"``, ``"in (0, 1]"`` or ``"one of: a, b"``."""
        if self.kind == "choice":
            return "one of: " + ", ".join(self.choices)
        if self.low is not None and self.high is not None:
            left = "[" if self.closed in ("left", "both") else "("
            right = "]" if self.closed in ("right", "both") else ")"
            return f"in {left}{_number(self.low)}, {_number(self.high)}{right}"
        if self.low is not None:
            excluded = "".join(f", not {_number(value)}" for value in self.excluded)
            return (">= " if self.closed in ("left", "both") else "> ") + _number(self.low) + excluded
        if self.high is not None:
            return ("<= " if self.closed in ("right", "both") else "< ") + _number(self.high)
        if self.kind == "bool":
            return (
                "true or false (also "
                + ", ".join(f"{t}/{f}" for t, f in zip(TRUE_WORDS, FALSE_WORDS) if t != "true")
                + ")"
            )
        return ""

    def default_text(self):
        """The default as a user writes it (``unset`` text for None)."""
        if self.default is None:
            return self.unset
        if isinstance(self.default, bool):
            return str(self.default).lower()
        if isinstance(self.default, float):
            return _number(self.default)
        return str(self.default)

    def help_text(self):
        """The help with the allowed values and the default, as ``--help`` shows it."""
        allowed = self.range_text()
        return f"{self.full_help()} ({allowed + '; ' if allowed else ''}default: {self.default_text()})"

    def full_help(self):
        """The help, and that results do not depend on the setting where they do not."""
        return self.help if self.changes_results else f"{self.help}; results do not depend on it"

    def validate(self, value):
        """Raise ValueError, naming the setting and ``value``, unless ``value`` is allowed."""
        if self.kind == "choice" and value not in self.choices:
            raise ValueError(f"{self.name}={value!r} must be {self.range_text()}")
        try:
            self.check(value)
        except (Invalid, TypeError):
            raise ValueError(f"{self.name}={value!r} must be {self.range_text()}") from None


def _number(value):
    """A number as a person writes it: ``1``, ``0.5``, ``1e-4``, ``4294967295``."""
    if isinstance(value, int) or value.is_integer():
        return str(int(value))
    if abs(value) < 1e-3:
        mantissa, exponent = f"{value:.6e}".split("e")
        return f"{mantissa.rstrip('0').rstrip('.')}e{int(exponent)}"
    return f"{value:g}"


def _parse_int(spec, text):
    if not re.fullmatch(r"[+-]?[0-9]+", text):
        raise Invalid("is not a whole number")
    return int(text)


def _parse_float(spec, text):
    try:
        value = float(text)
    except ValueError:
        raise Invalid("is not a number") from None
    if not math.isfinite(value):
        raise Invalid("is not a finite number")
    return value


def _parse_bool(spec, text):
    lowered = text.lower()
    if lowered in TRUE_WORDS:
        return True
    if lowered in FALSE_WORDS:
        return False
    raise Invalid(f"is not a boolean; use one of: {', '.join(TRUE_WORDS + FALSE_WORDS)}")


def _parse_choice(spec, text):
    lowered = text.lower()
    if lowered not in spec.choices:
        raise Invalid(f"must be one of: {', '.join(spec.choices)}")
    return lowered


def _parse_path(spec, text):
    return Path(text).expanduser()


def _parse_column(spec, text):
    # All digits means an index; anything else (even "-1") is a column name.
    columns = tuple(int(c) if re.fullmatch(r"[0-9]+", c) else c for c in (c.strip() for c in text.split(",")))
    if "" in columns:
        raise Invalid("has an empty column name between commas")
    return columns[0] if len(columns) == 1 else columns


_PARSERS = {
    "int": _parse_int,
    "float": _parse_float,
    "bool": _parse_bool,
    "choice": _parse_choice,
    "path": _parse_path,
    "text": lambda spec, text: text,
    "column": _parse_column,
}


def rewrite_alias(how, text):
    """An alias's raw text as the canonical setting reads it."""
    if how == "csv-folder":  # the 2021 variable named the ranking CSV itself; its folder is what we need
        return str(Path(text).parent) if text.lower().endswith(".csv") else text
    return text


def null_models(n_models):
    """How many null networks train beside ``n_models`` for decisions: half as many, rounded up."""
    return math.ceil(n_models / 2)


def min_models(alpha):
    """The fewest networks with which decisions (:mod:`deepfeat.decisions`) can confirm anything at ``alpha``.

    The smallest p-value the one-sided Mann-Whitney test can give ``n`` real against ``k`` null
    networks is ``1 / C(n + k, k)``, all real ones above all null ones (its exact distribution,
    which scipy uses whenever ``k <= 8``, i.e. for every ``alpha`` above about 1e-6).

    Examples
    --------
    >>> min_models(0.05)
    5
    """
    n_models = 1
    while 1 / math.comb(n_models + null_models(n_models), n_models) >= alpha:
        n_models += 1
    return n_models


SETTINGS = (
    Setting(
        "data_file",
        "path",
        None,
        "CSV file of attribute columns and a label column (or several, see LABEL_COLUMN); its first "
        "row is a header unless ATTRIBUTE_FILE is set",
        unset="required",
    ),
    Setting(
        "attribute_file",
        "path",
        None,
        "file of comma-separated names of every column, or of the attribute columns only (the "
        "label then being the last), for a headerless DATA_FILE",
    ),
    Setting(
        "label_column",
        "column",
        None,
        "column holding the label: a 0-based index (all digits) or a column name; several, "
        "comma-separated, for multi-label",
        unset="the last column",
    ),
    Setting(
        "task",
        "choice",
        "auto",
        "what the label is: classification (a class per row), regression (a number per row), "
        "multilabel (several yes/no label columns), or auto (chosen from the label's values: "
        "several columns are multilabel, text or at most 20 distinct whole numbers or two values "
        "are classification, other numbers regression)",
        choices=("auto", "classification", "regression", "multilabel"),
    ),
    Setting(
        "categorical",
        "column",
        None,
        "attribute columns to treat as categorical (one-hot, one gate over the levels): comma-separated "
        "names or 0-based column indices; a column holding any non-numeric value is categorical anyway",
        unset="only the columns holding text",
    ),
    Setting(
        "missing",
        "choice",
        "impute",
        "what a missing attribute cell ('?', empty, NA) becomes: impute (each network fills a numeric cell "
        "with its training rows' median and adds a missing-indicator input to the attribute's block; a "
        "categorical cell is a level of its own) or drop (rows with any missing cell are dropped, as the "
        "paper did)",
        "ensemble",
        choices=("impute", "drop"),
    ),
    Setting(
        "n_models",
        "int",
        None,
        "number of networks to train",
        low=1,
        unset="asks on standard input",
    ),
    Setting(
        "output_dir",
        "path",
        Path("ExpOutput"),
        "folder for output_weights_N.csv, ranking_N.csv and ranking_N.png",
        aliases=(("EXP_OUTPUT_CSV_FILE", "csv-folder"),),
    ),
    Setting(
        "model_dir",
        "path",
        Path("Models"),
        "folder for model_N_i.keras, logs_N.json and the progress of unfinished runs",
        aliases=(("OUTPUT_MODEL_DIR", "same"),),
    ),
    Setting(
        "seed",
        "int",
        None,
        "random seed of the run: each model's split, initial weights, batch order, dropout and noise "
        "come from its own stream derived from it",
        low=0,
        high=MAX_SEED,
        unset="fresh randomness",
    ),
    Setting("learning_rate", "float", 1e-4, "Adam's learning rate", "training", low=0, closed="neither"),
    Setting("batch_size", "int", 64, "mini-batch size", "training", low=1),
    Setting("max_epochs", "int", 2000, "most epochs any network trains for", "training", low=1),
    Setting(
        "patience",
        "int",
        15,
        "early-stopping patience: epochs without a lower validation loss before a network stops "
        "(its best epoch's weights are kept)",
        "training",
        low=0,
    ),
    Setting(
        "validation_fraction",
        "float",
        0.5,
        "share of the rows each network holds out for early stopping",
        "training",
        low=0,
        high=1,
        closed="neither",
    ),
    Setting(
        "validation_split",
        "choice",
        "per-model",
        "which rows are held out: per-model (a stratified random split per network), fixed (one such "
        "split shared by every network) or last (the last rows in file order for every network, the "
        "2021 code)",
        "training",
        choices=("per-model", "fixed", "last"),
    ),
    Setting(
        "normalization",
        "choice",
        "standard",
        "input scaling: standard (fitted on each network's training rows), column-l2 (each column "
        "divided by its L2 norm, the 2021 code), row-l2 (each row scaled to unit norm, the paper's "
        "text) or none",
        "training",
        choices=("standard", "column-l2", "row-l2", "none"),
    ),
    Setting(
        "numeric_encoding",
        "choice",
        "linear",
        "how a numeric attribute enters its network: linear (its scaled value, the paper) or piecewise "
        "(a piecewise-linear encoding over PIECEWISE_BINS quantile bins of each network's training rows, "
        "so that a network can use a non-monotone effect directly); either way one gate per attribute",
        "training",
        choices=("linear", "piecewise"),
    ),
    Setting(
        "piecewise_bins",
        "int",
        8,
        "quantile bins per numeric attribute of NUMERIC_ENCODING=piecewise (fewer where the attribute has "
        "fewer distinct values)",
        "training",
        low=2,
        high=256,
    ),
    Setting(
        "importance_init",
        "choice",
        "ones",
        "starting gate values: ones, uniform in [0, 1], or glorot-relu (the 2021 code: uniform in "
        "[-sqrt 3, sqrt 3] with a ReLU after the gates)",
        "training",
        choices=("ones", "uniform", "glorot-relu"),
    ),
    Setting(
        "hidden_units",
        "int",
        128,
        "width of each hidden Dense(ReLU) layer of the networks",
        "training",
        low=1,
    ),
    Setting(
        "hidden_layers",
        "int",
        3,
        "number of hidden Dense(ReLU) layers; each but the last is followed by Gaussian noise, every one by dropout",
        "training",
        low=1,
    ),
    Setting(
        "l2",
        "float",
        1e-3,
        "L2 penalty on the hidden layers' kernels and biases (Keras's convention: l2 * sum of squares)",
        "training",
        low=0,
    ),
    Setting(
        "noise_std",
        "float",
        0.005,
        "standard deviation of the Gaussian noise added after each hidden layer but the last, in training",
        "training",
        low=0,
    ),
    Setting(
        "dropout",
        "float",
        0.5,
        "dropout rate after each hidden layer, in training",
        "training",
        low=0,
        high=1,
        closed="left",
    ),
    Setting(
        "gate_l1",
        "float",
        0.0,
        "L1 penalty on the importance gates (not in the paper): strength * sum of the gates, added to "
        "each network's loss",
        "training",
        low=0,
    ),
    Setting(
        "trainer",
        "choice",
        "stacked",
        "stacked trains the networks of a group together in one computation; keras fits one "
        "keras.Model after another (the reference)",
        "training",
        choices=("stacked", "keras"),
    ),
    Setting(
        "memory_budget_mb",
        "int",
        2048,
        "memory, in MB, for one group of networks trained together",
        "training",
        low=64,
        changes_results=False,
    ),
    Setting(
        "elimination_keep",
        "float",
        1.0,
        "recursive elimination (not in the paper): after each ensemble keep this share of the "
        "attributes, the most important, and train a new ensemble on them, down to 4; 1 trains one "
        "ensemble (the paper's method), 0.5 ranks better for about 3 times the training time; not "
        "with NORMALIZATION=row-l2",
        "ensemble",
        low=0,
        high=1,
        closed="right",
    ),
    Setting(
        "decisions",
        "bool",
        False,
        "decide for each attribute whether it matters: confirmed (more important than noise), rejected "
        "(less) or tentative, against half as many networks again trained on shuffled labels (not in "
        f"the paper; 1.2-1.7 times the training time); needs N_MODELS >= {min_models(0.05)} at ALPHA=0.05",
        "ensemble",
    ),
    Setting(
        "alpha",
        "float",
        0.05,
        "false-discovery rate of the decisions: the expected share of confirmed attributes that are noise",
        "ensemble",
        low=0,
        high=1,
        closed="neither",
    ),
    Setting(
        "n_jobs",
        "int",
        None,
        "groups of networks trained at once, through joblib: -1 for every core (or every worker "
        "thread of a Dask cluster), N for N processes",
        "ensemble",
        low=-1,
        excluded=(0,),
        unset="one group at a time in this process, or every worker thread of the Dask cluster in use",
        changes_results=False,
    ),
    Setting(
        "dask_scheduler_address",
        "text",
        None,
        "address of a Dask scheduler (e.g. tcp://10.0.0.5:8786) whose workers train the groups of "
        "networks; needs deepfeat[dask]",
        unset="train on this machine",
        changes_results=False,
    ),
    Setting("save_models", "bool", True, "save each trained network as MODEL_DIR/model_N_i.keras"),
    Setting(
        "checkpoint_seconds",
        "float",
        30.0,
        "least seconds between two saves of the progress of networks still training (0: after every "
        "epoch); finished networks are saved at once",
        low=0,
    ),
    Setting(
        "restart",
        "bool",
        False,
        "discard the saved progress of an unfinished run with the same N in MODEL_DIR and start over, "
        "instead of resuming it",
    ),
)

_BY_NAME = {s.name: s for s in SETTINGS}


def setting(name):
    """The :class:`Setting` called ``name``."""
    return _BY_NAME[name]


def by_scope(*scopes):
    """The settings of the given scopes, in their order in :data:`SETTINGS`."""
    return tuple(s for s in SETTINGS if s.scope in scopes)


def settings_class(name, specs, summary, module, required=(), validate=False):
    """A frozen dataclass with one field per setting of ``specs``, defaulting to the setting's default.

    The ``required`` fields have no default and come first; the docstring lists every field
    with its help. With ``validate``, a value a setting does not allow raises ValueError.
    """
    fields = [(s.name, Any) for s in specs if s.name in required]
    fields += [(s.name, Any, field(default=s.default)) for s in specs if s.name not in required]
    namespace = {}
    if validate:

        def __post_init__(self):
            for spec in specs:
                spec.validate(getattr(self, spec.name))

        namespace["__post_init__"] = __post_init__
    cls = make_dataclass(name, fields, frozen=True, namespace=namespace)
    cls.__module__ = module  # where it is defined, so that instances pickle
    cls.__doc__ = f"{summary}\n\nAttributes\n----------\n" + "".join(
        f"{s.name} : {s.kind}\n    {s.help_text()}\n" for s in specs
    )
    return cls


#: How each network of an ensemble is trained: one field per "training" setting, defaulting to
#: the paper's value. Picklable and light, so that it can travel to where training happens.
TrainingOptions = settings_class(
    "TrainingOptions", by_scope("training"), "How each network of an ensemble is trained.", __name__, validate=True
)


# --- rules between settings ------------------------------------------------------------------


def gate_relu(importance_init):
    """Whether a ReLU follows the gates: the 2021 code's start comes with its ReLU."""
    return importance_init == "glorot-relu"


def elimination_possible(normalization):
    """Whether recursive elimination can run with this normalisation.

    Row-l2 scales each row over the attributes a round keeps, so a round's networks could not
    be widened back to the data as loaded.
    """
    return normalization != "row-l2"


def decisions_problem(decisions, n_models, alpha, names):
    """What is wrong with asking for ``decisions`` from ``n_models`` networks at ``alpha``, or None.

    ``names`` says how the three settings are called (``(decisions, n_models, alpha)``).
    """
    if decisions and n_models is not None and n_models < min_models(alpha):
        return (
            f"{names[0]} needs at least {min_models(alpha)} models for any decision at {names[2]}={alpha:g}, "
            f"got {names[1]}={n_models}: train more, or turn {names[0]} off"
        )
    return None


def encoding_problem(normalization, numeric_encoding, categorical, missing, name_of=lambda s: s.name):
    """What is wrong with scaling rows by ``normalization`` given what the encoders must do, or None.

    ``categorical`` and ``missing`` say whether the data has categorical attributes and missing
    cells to impute. Row-l2 scales a row of numbers to unit norm: with one-hot levels, imputed
    cells or piecewise bins the row is not one.
    """
    if normalization != "row-l2":
        return None
    parts = [
        what
        for what, present in (
            ("categorical attributes", categorical),
            ("missing cells to impute", missing),
            (f"{name_of(setting('numeric_encoding'))}={numeric_encoding!r}", numeric_encoding != "linear"),
        )
        if present
    ]
    if not parts:
        return None
    return (
        f"{name_of(setting('normalization'))}='row-l2' scales whole rows of numbers, so it cannot be combined "
        f"with {' or '.join(parts)}: use standard, column-l2 or none"
    )


def combination_problem(values: Mapping[str, Any], name_of=lambda s: s.name):
    """What is wrong with how the settings in ``values`` combine, or None.

    Parameters
    ----------
    values : mapping of setting name to value
        Settings missing from it take their defaults.
    name_of : callable
        How a :class:`Setting` is called in the message (its ``name`` for the estimator, its
        ``variable`` for the runner).
    """

    def get(name):
        return values.get(name, setting(name).default)

    keep, normalization = get("elimination_keep"), get("normalization")
    if keep < 1 and not elimination_possible(normalization):
        return (
            f"{name_of(setting('elimination_keep'))}={keep!r} cannot be combined with "
            f"{name_of(setting('normalization'))}={normalization!r}: rows would be scaled over the kept "
            "attributes only"
        )
    problem = encoding_problem(normalization, get("numeric_encoding"), False, False, name_of)
    if problem is not None:
        return problem
    names = [name_of(setting(name)) for name in ("decisions", "n_models", "alpha")]
    return decisions_problem(get("decisions"), get("n_models"), get("alpha"), names)
