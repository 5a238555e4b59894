"""deepfeat training variants compared by the benchmark, and how to train one.

A variant is the library's ``TrainingOptions`` with some fields changed (an L1 penalty on the
gates is the ``gate_l1`` option), optionally with the library's recursive elimination.
"""

import time
from dataclasses import dataclass, field, replace

import numpy as np

from deepfeat.elimination import train_eliminating
from deepfeat.ensemble import TrainingOptions

#: The benchmark's faster setting: the paper's everything except Adam's learning rate, 10x the
#: paper's 1e-4, with the epoch cap lowered to match (runs stop early long before it).
BENCH_LEARNING_RATE = 1e-3
BENCH_MAX_EPOCHS = 500


@dataclass(frozen=True)
class Variant:
    """One way of training the ensemble.

    Attributes
    ----------
    name : str
    changes : dict
        ``TrainingOptions`` fields that differ from the benchmark's base options.
    keep : float
        Recursive elimination (``deepfeat.elimination``): after each ensemble, keep this share
        of the columns and train a new ensemble on them; 1 means a single ensemble.
    """

    name: str
    changes: dict = field(default_factory=dict)
    keep: float = 1.0


def base_options(**changes):
    """The runner's defaults with the benchmark's learning rate and epoch cap, then ``changes``."""
    return replace(TrainingOptions(learning_rate=BENCH_LEARNING_RATE, max_epochs=BENCH_MAX_EPOCHS), **changes)


DEFAULT = Variant("default (ones, standard)")
#: The runner's defaults exactly, i.e. the paper's settings.
PAPER = Variant(
    "paper lr 1e-4", {"learning_rate": TrainingOptions.learning_rate, "max_epochs": TrainingOptions.max_epochs}
)
#: L1 on the gates at the strength that did best in a first sweep (1e-3, 1e-2, 5e-2).
GATE_L1 = Variant("gate L1 5e-2", {"gate_l1": 5e-2})
#: The training variants; each is compared with DEFAULT on the same problems and seeds.
VARIANTS = [
    DEFAULT,
    Variant("init uniform", {"importance_init": "uniform"}),
    Variant("init glorot-relu (2021 code)", {"importance_init": "glorot-relu"}),
    Variant("norm column-l2", {"normalization": "column-l2"}),
    Variant("norm row-l2", {"normalization": "row-l2"}),
    Variant("norm none", {"normalization": "none"}),
    GATE_L1,
    Variant("patience 50", {"patience": 50}),
    Variant("split fixed", {"validation_split": "fixed"}),
    Variant("split last (2021 code)", {"validation_split": "last"}),
    Variant("recursive elimination 1/2", keep=0.5),
    PAPER,
]


def train(X, y, n_models, variant=DEFAULT, seed=0):
    """Train an ensemble the variant's way.

    Returns
    -------
    result : deepfeat.elimination.EliminationResult
        Every round's ensemble (a single round unless the variant eliminates).
    seconds : float
        Wall time of the training.
    """
    options = base_options(**variant.changes)
    y = np.asarray(y)
    start = time.perf_counter()
    result = train_eliminating(X, y, n_models, options, seed, variant.keep)
    return result, time.perf_counter() - start
