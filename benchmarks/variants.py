"""deepfeat training variants compared by the benchmark, and how to train one.

A variant is the library's ``TrainingOptions`` with some fields changed, optionally with an L1
penalty on the gates (not a library option: added here by patching the stacked trainer's
penalty for the duration of one training run) or with the library's recursive elimination.
"""

import time
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field, replace

import numpy as np
import tensorflow as tf

from deepfeat import stacked
from deepfeat.elimination import train_eliminating
from deepfeat.ensemble import TrainingOptions
from deepfeat.model import Architecture

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
    gate_l1 : float
        Strength of an L1 penalty on the gates, added to every model's loss (0: none).
    keep : float
        Recursive elimination (``deepfeat.elimination``): after each ensemble, keep this share
        of the columns and train a new ensemble on them; 1 means a single ensemble.
    """

    name: str
    changes: dict = field(default_factory=dict)
    gate_l1: float = 0.0
    keep: float = 1.0


def base_options(**changes):
    """The runner's defaults with the benchmark's learning rate and epoch cap, then ``changes``."""
    options = TrainingOptions(learning_rate=BENCH_LEARNING_RATE, max_epochs=BENCH_MAX_EPOCHS)
    if changes.get("importance_init") == "glorot-relu":
        # The 2021 code's start goes with its ReLU after the gates (as the estimator does).
        changes = {"architecture": Architecture(gate_relu=True), **changes}
    return replace(options, **changes)


DEFAULT = Variant("default (ones, standard)")
#: The runner's defaults exactly, i.e. the paper's settings.
PAPER = Variant("paper lr 1e-4", {"learning_rate": TrainingOptions.learning_rate, "max_epochs": TrainingOptions.max_epochs})
#: L1 on the gates at the strength that did best in a first sweep (1e-3, 1e-2, 5e-2).
GATE_L1 = Variant("gate L1 5e-2", gate_l1=5e-2)
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


@contextmanager
def gate_l1_penalty(strength):
    """Add ``strength * sum(|gate|)`` to each model's training and validation loss."""
    original = stacked._Stack._penalty

    @tf.autograph.experimental.do_not_convert  # plain TensorFlow ops; nothing for AutoGraph to rewrite
    def penalty(self):
        return original(self) + strength * tf.reduce_sum(tf.abs(self.vars["gate"]), axis=1)

    stacked._Stack._penalty = penalty
    try:
        yield
    finally:
        stacked._Stack._penalty = original


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
    with gate_l1_penalty(variant.gate_l1) if variant.gate_l1 > 0 else nullcontext():
        result = train_eliminating(X, y, n_models, options, seed, variant.keep)
    return result, time.perf_counter() - start
