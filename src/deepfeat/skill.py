"""Did the networks learn? Their skill on their own validation rows, against chance.

A network that predicts its held-out rows no better than chance has gates shaped by noise, so
the ranking they give is not backed by anything the network found in the data; training more
such networks only averages that noise into a stable-looking ranking. A classifier network is
scored by its one-vs-rest AUROC per head, averaged over the heads (chance: 0.5 whatever the
class balance); a regression network by its R² (chance: 0, predicting the mean). The ensemble
is scored by the mean over its networks.
"""

from dataclasses import dataclass

import numpy as np
from scipy.stats import rankdata

#: The ensemble is "at chance" when its mean validation AUROC is less than this many
#: no-skill standard deviations above 0.5.
CHANCE_Z = 2.0


def auroc(scores, truth):
    """Area under the ROC curve of ``scores`` for the boolean labels ``truth`` (ties count half).

    This is the Mann-Whitney statistic: the probability that a random positive scores above a
    random negative. NaN unless both labels occur.
    """
    truth = np.asarray(truth, dtype=bool)
    n_positive = int(truth.sum())
    n_negative = len(truth) - n_positive
    if n_positive == 0 or n_negative == 0:
        return float("nan")
    rank_sum = rankdata(scores)[truth].sum()
    return float((rank_sum - n_positive * (n_positive + 1) / 2) / (n_positive * n_negative))


def no_skill_sd(n_positive, n_negative):
    """Standard deviation of the AUROC of scores unrelated to the labels (no ties).

    Under that null the Mann-Whitney statistic has variance ``(n1 + n0 + 1) / (12 n1 n0)``.
    """
    return float(np.sqrt((n_positive + n_negative + 1) / (12.0 * n_positive * n_negative)))


def validation_scores(proba, Y):
    """One network's macro AUROC on its validation rows and that AUROC's no-skill deviation.

    Parameters
    ----------
    proba : ndarray of shape (n_rows, n_classes)
        The network's head outputs on its validation rows.
    Y : ndarray of shape (n_rows, n_classes)
        One-hot labels of those rows.

    Returns
    -------
    dict
        ``val_auroc``: mean over the heads whose class is present and absent among the rows;
        ``val_auroc_null_sd``: the root mean no-skill variance of those heads, an upper bound
        on the no-skill deviation of their mean. Both NaN when no head qualifies.
    """
    truth = np.asarray(Y) > 0.5
    aurocs, variances = [], []
    for k in range(truth.shape[1]):
        n_positive = int(truth[:, k].sum())
        n_negative = len(truth) - n_positive
        if n_positive and n_negative:
            aurocs.append(auroc(proba[:, k], truth[:, k]))
            variances.append(no_skill_sd(n_positive, n_negative) ** 2)
    if not aurocs:
        return {"val_auroc": float("nan"), "val_auroc_null_sd": float("nan")}
    return {"val_auroc": float(np.mean(aurocs)), "val_auroc_null_sd": float(np.sqrt(np.mean(variances)))}


def r2_scores(predicted, y):
    """One network's R² on some rows, and that R²'s standard error.

    R² is ``1 - SSE / SST`` with the rows' own mean (as :func:`sklearn.metrics.r2_score`),
    averaged over the outputs. It equals ``sum(d) / SST`` for the per-row gains
    ``d = (y - mean)² - (y - predicted)²``, so its standard error is ``sqrt(n) * sd(d) / SST``;
    predictions unrelated to ``y`` land at or below 0 within a few such errors.

    Returns
    -------
    (float, float)
        NaN for both when ``y`` is constant over the rows.
    """
    predicted, y = np.asarray(predicted, np.float64), np.asarray(y, np.float64)
    centred = (y - y.mean(axis=0)) ** 2
    gains = centred - (y - predicted) ** 2
    total = centred.sum(axis=0)
    if len(y) < 2 or not (total > 0).all():
        return float("nan"), float("nan")
    r2 = gains.sum(axis=0) / total
    se = np.sqrt(len(y)) * gains.std(axis=0, ddof=1) / total
    return float(r2.mean()), float(np.sqrt(np.mean(se**2)))


@dataclass(frozen=True)
class ValidationSkill:
    """How well an ensemble's networks predict their validation rows.

    Attributes
    ----------
    metric : str
        What the networks are scored by: ``"AUROC"`` or ``"R2"`` (R²).
    value : float
        Mean over the networks of each one's score on its validation rows.
    chance : float
        The score of a network with no skill: 0.5 for AUROC, 0 for R².
    sd : float
        How far from ``chance`` a network with no skill would typically land (for AUROC the
        no-skill deviation, for R² its standard error), root mean square over the networks:
        their rows overlap, so the mean over them is not credited with any further reduction.
    """

    metric: str
    value: float
    chance: float
    sd: float

    @property
    def z(self):
        """Standard deviations of no-skill above chance (NaN if unknown)."""
        return (self.value - self.chance) / self.sd

    @property
    def at_chance(self):
        """True when the networks are not clearly better than chance (False if unknown)."""
        return bool(self.z < CHANCE_Z)

    @classmethod
    def of(cls, records, metric, chance, key, sd_key):
        """The skill of the networks whose training records (``EnsembleResult.records``) are
        given, read from each record's ``key`` and ``sd_key``."""
        values = np.array([record[key] for record in records], dtype=np.float64)
        variances = np.array([record[sd_key] for record in records], dtype=np.float64) ** 2
        scored = ~np.isnan(values)
        if not scored.any():
            return cls(metric, float("nan"), chance, float("nan"))
        return cls(metric, float(values[scored].mean()), chance, float(np.sqrt(variances[scored].mean())))
