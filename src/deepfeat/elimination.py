"""Recursive elimination: ensembles on fewer and fewer attributes, each round keeping the best.

With many attributes and few rows the networks of one ensemble can fit the noise columns as
readily as the signal, and the gates of the relevant attributes barely stand out. Each round
here trains a whole ensemble, then keeps the share ``keep`` of the attributes with the highest
mean importance for the next round, until another round would leave fewer than
:data:`MIN_FEATURES`. An attribute that took part in a later round ranks above every
attribute dropped before it; within a round, by that round's importances.

``keep=1`` is a single round: exactly :func:`deepfeat.ensemble.train_ensemble`.

Decisions (:mod:`deepfeat.decisions`) come from the first round, the only one that sees every
attribute and the only one with null networks: a later round trains on the attributes the one
before ranked highest, so its networks are no fair trial of them against noise. The rounds
refine the order only.
"""

import math
from dataclasses import dataclass, replace

import numpy as np

from .checkpoint import CheckpointMismatch
from .decisions import decide
from .ensemble import input_layout, train_ensemble
from .importance import mean_importance
from .network import network_spec
from .settings import combination_problem
from .tasks import CLASSIFICATION

#: No round trains on fewer attributes than this (unless the data has fewer).
MIN_FEATURES = 4


def round_sizes(n_features, keep):
    """Number of attributes each round trains on: all of them, then ``ceil(keep * previous)``.

    Rounds stop before one would train on fewer than :data:`MIN_FEATURES` attributes or on as
    many as the round before.

    Examples
    --------
    >>> round_sizes(100, 0.5)
    [100, 50, 25, 13, 7, 4]
    >>> round_sizes(13, 1.0)
    [13]
    """
    sizes = [n_features]
    while True:
        n_next = math.ceil(keep * sizes[-1])
        if n_next < MIN_FEATURES or n_next >= sizes[-1]:
            return sizes
        sizes.append(n_next)


#: Round ``r`` of a run with seed ``s`` uses seed ``s + ROUND_SEED_STRIDE * r``: the first
#: round is the plain ensemble, and the runs of nearby seeds (a benchmark's 0, 1, 2, ...) never
#: share a round's seed.
ROUND_SEED_STRIDE = 7919


@dataclass
class EliminationResult:
    """The ensembles of every round, first (all attributes) to last (fewest).

    Attributes
    ----------
    rounds : list of (ndarray of int, EnsembleResult)
        The attributes (column indices, in the order the round saw them: most important in
        the round before first) each round trained on, and its ensemble.
    n_features : int
        Number of attributes of the data.
    layout : deepfeat.encoding.EncodingLayout
        Which network inputs each attribute of the data becomes.
    """

    rounds: list
    n_features: int
    layout: object

    @property
    def features(self):
        """The attributes of the last round."""
        return self.rounds[-1][0]

    @property
    def records(self):
        """The training records (see ``EnsembleResult.records``) of every round's models, in order."""
        return [record for _, result in self.rounds for record in result.records]

    @property
    def rounds_survived(self):
        """For each attribute, the number of rounds it took part in, shape (n_features,)."""
        counts = np.zeros(self.n_features, dtype=np.int64)
        for features, _ in self.rounds:
            counts[features] += 1
        return counts

    @property
    def importances(self):
        """Per-model scores over all attributes from the gates; see :meth:`scores`."""
        return self.scores(lambda result: result.importances)

    def scores(self, readout):
        """Per-model scores over all attributes; each row sums to one.

        An attribute last seen in round ``r`` (0-based) scores ``r + v``, where ``v`` is what
        ``readout`` (an ``EnsembleResult`` to per-model, row-normalised importances) gives it in
        that round's model, so a later round outranks every earlier one; model ``m`` of every
        round fills row ``m``. With a single round, ``readout`` of that ensemble.
        """
        if len(self.rounds) == 1:
            return readout(self.rounds[0][1])
        scores = np.zeros((len(self.rounds[0][1].records), self.n_features))
        for round_index, (features, result) in enumerate(self.rounds):
            scores[:, features] = round_index + readout(result)
        return scores / scores.sum(axis=1, keepdims=True)

    def decisions(self, alpha):
        """The first round's :class:`~deepfeat.decisions.Decisions` at ``alpha``; None without null networks."""
        first = self.rounds[0][1]
        if first.null_importances is None:
            return None
        return decide(first.importances, first.null_importances, alpha, learned=not first.skill.at_chance)

    def final_ensemble(self):
        """The last round's ensemble, taking every attribute: the dropped ones get zero weights.

        A dropped attribute's weights (every weight with an attribute or input axis: its gate
        and its block's first-layer rows) are 0 and its inputs 0 (see
        :meth:`deepfeat.encoding.InputEncoding.widened`), so the networks compute exactly
        what the last round's did and can be used (and saved) on the data as loaded.
        """
        features, result = self.rounds[-1]
        if len(features) == self.n_features:
            return result
        n_models = len(result.records)
        inputs = self.layout.positions(result.encoding.layout, features)["inputs"]
        params = dict(result.params)
        for axes, index, size in (
            (result.spec.feature_axes, features, self.n_features),
            (result.spec.input_axes, inputs, self.layout.n_inputs),
        ):
            for name, axis in axes.items():
                value = np.moveaxis(params[name], 1 + axis, 1)
                wide = np.zeros((n_models, size, *value.shape[2:]), dtype=value.dtype)
                wide[:, index] = value
                params[name] = np.moveaxis(wide, 1, 1 + axis)
        spec = network_spec(
            self.n_features,
            result.spec.layers[-1].units,
            result.options,
            result.task.output_activation,
            self.layout.blocks,
        )
        encoding = result.encoding.widened(self.layout, features)
        return replace(result, params=params, encoding=encoding, spec=spec)


def train_eliminating(
    X,
    y,
    n_models,
    options,
    seed=0,
    keep=1.0,
    *,
    task=CLASSIFICATION,
    progress=None,
    checkpoint=None,
    stop=None,
    n_jobs=None,
    null_models=0,
    categorical=None,
):
    """Train an ensemble per round of recursive elimination (see the module's description).

    Parameters
    ----------
    X, y, n_models, options, seed, task, stop, n_jobs, categorical
        As for :func:`deepfeat.ensemble.train_ensemble`; round ``r`` uses the seed
        ``seed + ROUND_SEED_STRIDE * r``.
    keep : float
        Share of the attributes each round keeps, in (0, 1]; 1 trains a single ensemble.
    progress : callable, optional
        ``progress(finished, total, epoch, n_training)`` as for ``train_ensemble``, counting
        the models of every round: ``total`` is ``n_models`` times the number of rounds, plus
        the null networks.
    checkpoint : deepfeat.checkpoint.RunCheckpoint, optional
        With several rounds, round ``r`` keeps its progress in the part ``round-<r>``. The
        checkpoint remembers ``keep``.
    null_models : int
        Null networks to train in the first round, for :meth:`EliminationResult.decisions`.

    Returns
    -------
    EliminationResult

    Raises
    ------
    deepfeat.checkpoint.CheckpointMismatch
        If ``checkpoint`` holds a run with another ``keep`` or other inputs.
    deepfeat.training.Interrupted
        If a stop was requested; the progress is saved.
    ValueError
        If ``keep`` is outside (0, 1] or cannot be combined with the options (see
        :func:`deepfeat.settings.combination_problem`).
    """
    if not 0 < keep <= 1:
        raise ValueError(f"keep must be in (0, 1], got {keep!r}")
    problem = combination_problem({"elimination_keep": keep, "normalization": options.normalization})
    if problem is not None:
        raise ValueError(problem)
    sizes = round_sizes(X.shape[1], keep)
    if checkpoint is not None:
        # The rounds live in parts of the checkpoint, one ensemble in the checkpoint itself:
        # a run resumed with another ``keep`` would not find (or would ignore) what was saved.
        saved = checkpoint.remember("elimination_keep", lambda: keep)
        if saved != keep:
            raise CheckpointMismatch(checkpoint.folder, {"elimination_keep": (saved, keep)})
    features = np.arange(X.shape[1])
    rounds = []
    counts = [n_models + null_models] + [n_models] * (len(sizes) - 1)  # models each round trains
    for r, size in enumerate(sizes):
        if r:
            previous = mean_importance(rounds[-1][1].importances)
            features = features[np.argsort(-previous, kind="stable")[:size]]  # most important first
        result = train_ensemble(
            # The first round takes X itself; ``X[:, features]`` would copy it, column-major.
            X if r == 0 else np.take(X, features, axis=1),
            y,
            n_models,
            options,
            seed + ROUND_SEED_STRIDE * r,
            task=task,
            progress=_round_progress(progress, sum(counts[:r]), sum(counts)),
            checkpoint=checkpoint.part(f"round-{r}") if checkpoint is not None and len(sizes) > 1 else checkpoint,
            stop=stop,
            n_jobs=n_jobs,
            null_models=counts[r] - n_models,
            categorical=None if categorical is None else np.asarray(categorical, bool)[features],
        )
        rounds.append((features, result))
    return EliminationResult(rounds, X.shape[1], input_layout(X, options, categorical))


def _round_progress(progress, before, total):
    """A round's progress as progress over every round: ``before`` models were trained before it."""
    if progress is None:
        return None

    def report(finished, _, epoch, n_training):
        progress(before + finished, total, epoch, n_training)

    return report


__all__ = ["MIN_FEATURES", "ROUND_SEED_STRIDE", "EliminationResult", "round_sizes", "train_eliminating"]
