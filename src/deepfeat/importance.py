"""Turn the ensemble's per-model importances into a ranking with its uncertainty."""

import numpy as np
import pandas as pd
from scipy.stats import rankdata, spearmanr

#: Below this split-half Spearman correlation a ranking is not reproducible enough to trust.
STABLE_SPEARMAN = 0.9
_BOOTSTRAP_COLUMNS = 256


def mean_importance(importances):
    """Average of the per-model importances, normalised again to sum to one."""
    mean = np.asarray(importances, dtype=np.float64).mean(axis=0)
    return mean / mean.sum()


def ranks(importances):
    """Each model's rank of each attribute, 1 = most important (ties share the average rank)."""
    return rankdata(-np.asarray(importances), axis=1)


def split_half_stability(importances):
    """Spearman correlation between the average rankings of the two halves of the ensemble.

    The models are independent draws, so the first and second halves are two disjoint
    ensembles; a value near 1 means another run would rank the attributes the same way.
    Returns NaN for fewer than two models or a single attribute.
    """
    importances = np.asarray(importances)
    half = len(importances) // 2
    if half == 0 or importances.shape[1] < 2:
        return float("nan")
    first, second = importances[:half].mean(axis=0), importances[half : 2 * half].mean(axis=0)
    if np.ptp(first) == 0 or np.ptp(second) == 0:
        return float("nan")
    return float(spearmanr(first, second).statistic)


def bootstrap_interval(importances, n_boot=1000, level=0.95, seed=0):
    """Percentile bootstrap interval of the mean importance, resampling models.

    Returns
    -------
    low, high : ndarray of shape (n_features,)
    """
    importances = np.asarray(importances, dtype=np.float64)
    n_models = len(importances)
    rng = np.random.default_rng(seed)
    # Resampling as multinomial weights keeps memory at n_boot x n_features.
    weights = rng.multinomial(n_models, np.full(n_models, 1.0 / n_models), size=n_boot) / n_models
    tail = (1.0 - level) / 2.0 * 100.0
    low, high = np.empty(importances.shape[1]), np.empty(importances.shape[1])
    # A few hundred attributes at a time: percentile sorts a copy of its input, n_boot x width.
    for start in range(0, importances.shape[1], _BOOTSTRAP_COLUMNS):
        columns = slice(start, start + _BOOTSTRAP_COLUMNS)
        means = weights @ importances[:, columns]
        low[columns], high[columns] = np.percentile(means, [tail, 100.0 - tail], axis=0)
    return low, high


def ranking_table(importances, feature_names, n_boot=1000, seed=0, decisions=None):
    """One row per attribute, most important first.

    Parameters
    ----------
    importances : ndarray of shape (n_models, n_features)
        Each model's normalised importances.
    feature_names : sequence of str
    n_boot, seed
        Bootstrap resamples of the interval, and their seed.
    decisions : deepfeat.decisions.Decisions, optional
        Adds the columns ``p_value`` and ``decision``.

    Returns
    -------
    pandas.DataFrame
        Columns ``rank``, ``attribute``, ``importance`` (mean), ``std`` (across models),
        ``ci_low``, ``ci_high`` (95% bootstrap interval of the mean), ``mean_rank`` and
        ``rank_std`` (1 = most important); with ``decisions``, ``p_value`` and ``decision``.

    Examples
    --------
    >>> table = ranking_table([[0.7, 0.3], [0.6, 0.4]], ["a", "b"])
    >>> list(table["attribute"])
    ['a', 'b']
    """
    importances = np.asarray(importances, dtype=np.float64)
    model_ranks = ranks(importances)
    low, high = bootstrap_interval(importances, n_boot=n_boot, seed=seed)
    table = pd.DataFrame(
        {
            "attribute": list(feature_names),
            "importance": mean_importance(importances),
            "std": importances.std(axis=0),
            "ci_low": low,
            "ci_high": high,
            "mean_rank": model_ranks.mean(axis=0),
            "rank_std": model_ranks.std(axis=0),
        }
    )
    if decisions is not None:
        table["p_value"] = decisions.p_values
        table["decision"] = list(decisions.decisions)
    table = table.sort_values(["importance", "mean_rank"], ascending=[False, True], kind="stable").reset_index(
        drop=True
    )
    table.insert(0, "rank", np.arange(1, len(table) + 1))
    return table
