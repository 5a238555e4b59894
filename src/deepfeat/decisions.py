"""Which attributes matter at all: confirmed, tentative or rejected, against networks that learnt nothing.

Beside the ensemble, :func:`~deepfeat.settings.null_models` more networks train on the same rows with the targets
shuffled among each network's training rows (and among its validation rows): the importances
they end with are what the gates do when there is nothing to learn (Altmann et al.,
"Permutation importance: a corrected feature importance measure", Bioinformatics 2010, with
the networks' gates in place of a forest's importances). Given the data, every network is an
independent trial, so for each attribute the importances of the real networks and of the null
ones are taken as two independent samples, and a one-sided Mann-Whitney U test in each direction asks whether
the attribute takes more (or less) of the real networks' weight than it does when nothing can
be learnt. Benjamini-Hochberg adjusts each direction over the attributes:

- ``confirmed``: more than under the null, at a false-discovery rate of ``alpha``;
- ``rejected``: less than under the null, at the same rate: the attribute gives way to others;
- ``tentative``: neither (not enough evidence), or every attribute when the networks predict
  their validation rows no better than chance.

The test assumes the null networks' importances are what an irrelevant attribute gets in a real
network. Two things bend that. As the relevant attributes draw weight to themselves an
irrelevant one tends to get less, which errs on the safe side. But the real networks all see
the same sample, so an irrelevant attribute's chance association with the label in it is
learnt by all of them alike, while each null network sees a fresh shuffle: the test is
conditional on the sample, and where the fit is weak and noise columns are many it confirms
more noise than ``alpha`` allows (BENCHMARKS.md: a false-discovery proportion of 0.26 on 300
columns with 5 relevant, 0 on every problem of 10-30 columns). The skill check keeps a label
the networks cannot learn from confirming anything. As with Boruta, an irrelevant attribute
that is correlated with a relevant one can be confirmed: the question answered is "does the
network use it", not "would it be needed without the others".
"""

from dataclasses import dataclass

import numpy as np
from scipy.stats import false_discovery_control, mannwhitneyu

__all__ = ["DECISION_WORDS", "Decisions", "decide"]

#: The decisions, from "more important than noise" to "less important than noise".
DECISION_WORDS = ("confirmed", "tentative", "rejected")


def _p_values(importances, null_importances, alternative):
    """Per attribute, the one-sided Mann-Whitney p-value of the real against the null importances."""
    p = mannwhitneyu(importances, null_importances, alternative=alternative, axis=0).pvalue
    return np.where(np.isnan(p), 1.0, p)  # every value tied: no evidence either way


@dataclass(frozen=True)
class Decisions:
    """A decision and a p-value for every attribute.

    Attributes
    ----------
    decisions : ndarray of str, shape (n_features,)
        One of :data:`DECISION_WORDS` each.
    p_values : ndarray of shape (n_features,)
        The Benjamini-Hochberg-adjusted p-value of "more important than under the null": an
        attribute is confirmed when it is below ``alpha``.
    alpha : float
        The false-discovery rate.
    reason : str or None
        Why every attribute is tentative, when the test was not made.
    """

    decisions: np.ndarray
    p_values: np.ndarray
    alpha: float
    reason: str | None = None

    def counts(self):
        """How many attributes got each decision, in :data:`DECISION_WORDS` order."""
        return {word: int((self.decisions == word).sum()) for word in DECISION_WORDS}

    def summary(self):
        """One line, e.g. ``"5 confirmed, 2 tentative, 6 rejected at a false-discovery rate of 0.05"``."""
        counts = ", ".join(f"{n} {word}" for word, n in self.counts().items())
        line = f"{counts} at a false-discovery rate of {self.alpha:g}"
        return line if self.reason is None else f"{line}: {self.reason}"


def decide(importances, null_importances, alpha, learned=True):
    """Decide, for each attribute, whether the networks found it more important than noise.

    Parameters
    ----------
    importances : array-like of shape (n_models, n_features)
        The ensemble's per-model importances (rows summing to one).
    null_importances : array-like of shape (n_null_models, n_features)
        Those of the networks trained on shuffled targets.
    alpha : float
        False-discovery rate, in (0, 1).
    learned : bool
        False when the networks predict no better than chance: every attribute is then
        tentative, as what they ranked is noise.

    Returns
    -------
    Decisions

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> real = np.column_stack([rng.uniform(0.5, 0.6, 20), rng.uniform(0.1, 0.2, 20), rng.uniform(0.25, 0.4, 20)])
    >>> null = rng.uniform(0.25, 0.4, (10, 3))
    >>> list(decide(real, null, 0.05).decisions)
    ['confirmed', 'rejected', 'tentative']
    """
    importances = np.asarray(importances, dtype=np.float64)
    null_importances = np.asarray(null_importances, dtype=np.float64)
    more = false_discovery_control(_p_values(importances, null_importances, "greater"))
    less = false_discovery_control(_p_values(importances, null_importances, "less"))
    if not learned:
        reason = "the networks predict their validation rows no better than chance, so every attribute is tentative"
        return Decisions(np.full(len(more), "tentative", dtype=object), more, alpha, reason)
    words = np.where(more < alpha, "confirmed", np.where(less < alpha, "rejected", "tentative")).astype(object)
    return Decisions(words, more, alpha)
