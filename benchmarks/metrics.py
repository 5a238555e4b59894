"""Scores of a ranking against a known truth, stability scores, and importance readouts of an ensemble."""

import numpy as np

from deepfeat.ensemble import normalise_rows
from deepfeat.importance import mean_importance, split_half_stability
from deepfeat.skill import auroc  # noqa: F401  (the scores as a detector of the relevant columns; ties count half)


def top_k(scores, k):
    """Indices of the ``k`` highest scores; ties go to the lower column index."""
    return np.argsort(-np.asarray(scores, dtype=np.float64), kind="stable")[:k]


def precision_at_k(scores, truth, k=None):
    """Share of the ``k`` top-scored columns that are relevant; ``k`` defaults to the number relevant."""
    truth = np.asarray(truth, dtype=bool)
    k = int(truth.sum()) if k is None else k
    return float(truth[top_k(scores, k)].mean())


def top_k_jaccard(importances, k):
    """Jaccard index of the top-``k`` sets of the two halves of an ensemble (models in order)."""
    importances = np.asarray(importances)
    half = len(importances) // 2
    first = set(top_k(importances[:half].mean(axis=0), k))
    second = set(top_k(importances[half : 2 * half].mean(axis=0), k))
    return len(first & second) / len(first | second)


def stability(importances, k):
    """Split-half Spearman correlation and top-``k`` Jaccard index of per-model importances."""
    return split_half_stability(importances), top_k_jaccard(importances, k)


def gate_importances(result):
    """The paper's readout: each model's gates normalised to sum to one, shape (n_models, n_features)."""
    return result.importances


def gate_weight_importances(result):
    """Gate times the L2 norm of the attribute's row of the first dense kernel, normalised per model.

    The first layer sees ``gate_j * x_j`` and multiplies it by row ``j`` of ``kernel_0``, so the
    product is the size of the attribute's actual path into the network. The L2 penalty shrinks
    the rows of attributes the network does not use, which the gate alone does not show.
    """
    rows = np.linalg.norm(result.params["kernel_0"].astype(np.float64), axis=2)
    return normalise_rows(result.params["gate"] * rows)


def _every_round(readout):
    """``readout`` of an ``EliminationResult``: over its rounds, as ``EliminationResult.scores`` says."""

    def read(elimination):
        return elimination.scores(readout)

    read.__doc__ = readout.__doc__
    return read


#: Readouts of a trained ``deepfeat.elimination.EliminationResult`` (what ``variants.train`` returns).
READOUTS = {"gate": _every_round(gate_importances), "gate x W0-norm": _every_round(gate_weight_importances)}


def summarise(importances, truth):
    """AUROC, precision@k, split-half Spearman and top-k Jaccard of one ensemble's importances."""
    truth = np.asarray(truth, dtype=bool)
    mean = mean_importance(importances)
    spearman, jaccard = stability(importances, int(truth.sum()))
    return {
        "auroc": auroc(mean, truth),
        "precision": precision_at_k(mean, truth),
        "spearman": spearman,
        "jaccard": jaccard,
    }
