"""deepfeat training variants compared by the benchmark, and how to train one.

A variant is the library's ``TrainingOptions`` with some fields changed, optionally with an L1
penalty on the gates (not a library option: added here by patching the stacked trainer's
penalty for the duration of one training run) or with recursive elimination of the columns
(not a library option either: a loop of ensembles around ``train_ensemble``).
"""

import itertools
import time
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field, replace

import numpy as np
import tensorflow as tf

from deepfeat import stacked
from deepfeat.ensemble import TrainingOptions, train_ensemble
from deepfeat.importance import mean_importance
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
        Recursive elimination: after each ensemble, keep this share of the columns (those with
        the highest mean importance) and train a new ensemble on them, down to
        ``MIN_COLUMNS``; 1 means a single ensemble on every column.
    """

    name: str
    changes: dict = field(default_factory=dict)
    gate_l1: float = 0.0
    keep: float = 1.0


#: Recursive elimination stops before a round would leave fewer columns than this.
MIN_COLUMNS = 4


@dataclass
class StagedResult:
    """The ensembles of a recursive elimination, first (all columns) to last (fewest).

    Attributes
    ----------
    stages : list of (ndarray of int, EnsembleResult)
        The columns each round trained on, and its ensemble.
    n_features : int
    """

    stages: list
    n_features: int

    @property
    def records(self):
        """Every model of every round, for the benchmark's epoch counts."""
        return [record for _, result in self.stages for record in result.records]

    def combine(self, readout):
        """Per-model scores over all columns: a later round outranks every earlier one.

        A column that left after round ``s`` scores ``s + v``, where ``v`` in [0, 1] is its
        (normalised) readout in that round; the columns of the last round score ``S + v``.
        Model ``m`` of every round fills row ``m``. Rows are normalised to sum to one, so the
        scores go through the same ranking and stability code as a single ensemble's.
        """
        n_models = len(self.stages[0][1].records)
        scores = np.zeros((n_models, self.n_features))
        for round_index, (columns, result) in enumerate(self.stages):
            scores[:, columns] = round_index + readout(result)
        return scores / scores.sum(axis=1, keepdims=True)


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
    result : deepfeat.ensemble.EnsembleResult or StagedResult
        A ``StagedResult`` for a variant with recursive elimination.
    seconds : float
        Wall time of the training.
    """
    options = base_options(**variant.changes)
    y = np.asarray(y)
    start = time.perf_counter()
    with gate_l1_penalty(variant.gate_l1) if variant.gate_l1 > 0 else nullcontext():
        if variant.keep < 1:
            result = _eliminate(X, y, n_models, options, seed, variant.keep)
        else:
            result = train_ensemble(X, y, n_models, options, seed)
    return result, time.perf_counter() - start


def _eliminate(X, y, n_models, options, seed, keep):
    """Ensembles on fewer and fewer columns, each round keeping the previous round's best ``keep``."""
    columns = np.arange(X.shape[1])
    stages = []
    for round_index in itertools.count():
        # Round 0 is the plain ensemble; later rounds get seeds of their own so as not to repeat its draws.
        result = train_ensemble(X[:, columns], y, n_models, options, seed + 7919 * round_index)
        stages.append((columns, result))
        n_next = int(np.ceil(len(columns) * keep))
        if n_next < MIN_COLUMNS or n_next == len(columns):
            return StagedResult(stages, X.shape[1])
        columns = columns[np.argsort(-mean_importance(result.importances), kind="stable")[:n_next]]
