"""Classification datasets whose relevant columns are known, for scoring rankings against the truth.

Every generator takes ``n_samples`` and a ``seed`` and returns a :class:`Problem`. Unless a
generator says otherwise the columns are put in a random order drawn from the seed, so that a
method (or a tie-break) that favours the first columns gains nothing; ``relevant`` says where
the relevant columns ended up.

Sources
-------
* L2X: Chen, Song, Wainwright, Jordan, "Learning to Explain: An Information-Theoretic
  Perspective on Model Interpretation", ICML 2018, section 5.1, and its released
  ``synthetic/make_data.py``.
* INVASE: Yoon, Jordon, van der Schaar, "INVASE: Instance-wise Variable Selection using Neural
  Networks", ICLR 2019, section 5.1, and its released ``data_generation.py``.
* Passemiers, Folco, Raimondi, Moreau, "A quantitative benchmark of neural network feature
  selection methods for detecting nonlinear signals", Scientific Reports 14, 2024, and its
  released ``src/data.py`` (XOR, RING, RING+XOR, RING+XOR+SUM).
"""

from dataclasses import dataclass

import numpy as np
from sklearn.datasets import make_classification


@dataclass(frozen=True)
class Problem:
    """One generated dataset.

    Attributes
    ----------
    name : str
    X : ndarray of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,)
        Class codes 0..n_classes-1.
    relevant : ndarray of int
        Sorted indices of the columns the label depends on.
    family : str
        Which group of the benchmark the problem belongs to ("l2x", "passemiers", "sklearn",
        "units", "wide").
    """

    name: str
    X: np.ndarray
    y: np.ndarray
    relevant: np.ndarray
    family: str

    @property
    def truth(self):
        """Boolean mask of the relevant columns, shape (n_features,)."""
        mask = np.zeros(self.X.shape[1], dtype=bool)
        mask[self.relevant] = True
        return mask


def _shuffled(name, X, y, relevant, family, rng):
    """Permute the columns of ``X`` and say where the relevant ones went."""
    order = rng.permutation(X.shape[1])  # new column j holds old column order[j]
    moved = np.flatnonzero(np.isin(order, relevant))
    return Problem(name, X[:, order], np.asarray(y, dtype=np.int64), np.sort(moved), family)


def _bernoulli(rng, odds):
    """Labels with P(y=1) = 1 / (1 + odds), the two papers' convention (they call ``odds`` the logit)."""
    return (rng.random(len(odds)) < 1.0 / (1.0 + odds)).astype(np.int64)


def _orange_odds(X):
    return np.exp(np.sum(X**2, axis=1) - 4.0)


def _additive_odds(X):
    # L2X's paper prints exp(-100 sin(2 x1) + 2|x2| + x3 + exp(-x4)) and its released code uses
    # -100 sin(0.2 x1) + |x2| + x3 + exp(-x4) - 2.4; with either, the sine term decides nearly
    # every label and x2..x4 are relevant in name only. INVASE's released code (below) scales
    # the sine by -10, which leaves all four columns a real share of the signal.
    return np.exp(-10.0 * np.sin(0.2 * X[:, 0]) + np.abs(X[:, 1]) + X[:, 2] + np.exp(-X[:, 3]) - 2.4)


def l2x_xor(n_samples=1000, seed=0, n_features=10):
    """L2X / INVASE "XOR" (INVASE syn1): X ~ N(0, I_10), odds = exp(x1 * x2); 2 relevant."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n_samples, n_features))
    y = _bernoulli(rng, np.exp(X[:, 0] * X[:, 1]))
    return _shuffled("L2X XOR", X, y, [0, 1], "l2x", rng)


def orange_skin(n_samples=1000, seed=0, n_features=10):
    """L2X / INVASE "orange skin" (syn2): odds = exp(sum_{i<=4} x_i^2 - 4); 4 relevant."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n_samples, n_features))
    y = _bernoulli(rng, _orange_odds(X[:, :4]))
    return _shuffled("orange skin", X, y, [0, 1, 2, 3], "l2x", rng)


def nonlinear_additive(n_samples=1000, seed=0, n_features=10):
    """L2X / INVASE "nonlinear additive" (syn3), as in INVASE's released code: 4 relevant."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n_samples, n_features))
    y = _bernoulli(rng, _additive_odds(X[:, :4]))
    return _shuffled("nonlinear additive", X, y, [0, 1, 2, 3], "l2x", rng)


def switch(n_samples=1000, seed=0, n_features=11):
    """L2X "switch feature": x1 from a mixture of N(+3, 1) and N(-3, 1) with equal weights.

    Rows from the +3 component take their label from orange skin on x2..x5, the others from
    the nonlinear additive model on x6..x9; x10, x11 are noise (the paper's 11 dimensions).
    Relevant: x1..x9.
    """
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n_samples, n_features))
    upper = rng.random(n_samples) < 0.5
    X[:, 0] += np.where(upper, 3.0, -3.0)
    odds = np.where(upper, _orange_odds(X[:, 1:5]), _additive_odds(X[:, 5:9]))
    y = _bernoulli(rng, odds)
    return _shuffled("switch", X, y, list(range(9)), "l2x", rng)


def _ring(X, width):
    """Inside a ring of radius 0.35 around the centre of the unit square (Passemiers et al.)."""
    return np.abs(np.sqrt((X[:, 0] - 0.5) ** 2 + (X[:, 1] - 0.5) ** 2) - 0.35) <= width


def _xor(X, margin):
    return (X[:, 0] - 0.5) * (0.5 - X[:, 1]) >= margin


def passemiers(kind, n_samples=1000, seed=0, n_features=100):
    """Passemiers et al.'s XOR, RING, RING+XOR and RING+XOR+SUM.

    X ~ U(0, 1)^p; the label is a deterministic rule on the first 2, 2, 4 or 6 columns, with
    the thresholds of the released code that make the classes roughly balanced; SUM has
    Gaussian noise (sd 0.2) inside the rule. X is then centred to [-1, 1] as in their benchmark.

    Parameters
    ----------
    kind : {"xor", "ring", "ring+xor", "ring+xor+sum"}
    """
    rng = np.random.default_rng(seed)
    X = rng.random((n_samples, n_features))
    if kind == "xor":
        y, relevant = _xor(X, 0.0), [0, 1]
    elif kind == "ring":
        y, relevant = _ring(X, 0.1151), [0, 1]
    elif kind == "ring+xor":
        y, relevant = _ring(X, 0.0704) | _xor(X[:, 2:4], 0.0337), [0, 1, 2, 3]
    elif kind == "ring+xor+sum":
        total = X[:, 4] + X[:, 5] + rng.normal(0.0, 0.2, size=n_samples)
        y = _ring(X, 0.0479) | _xor(X[:, 2:4], 0.0598) | (total >= 1.4074)
        relevant = list(range(6))
    else:
        raise ValueError(f"unknown Passemiers dataset {kind!r}")
    return _shuffled(kind.upper(), 2.0 * X - 1.0, y, relevant, "passemiers", rng)


def informative(n_samples=1000, seed=0, n_features=20, n_informative=5, n_classes=2, family="sklearn", name=None):
    """``make_classification`` with ``n_informative`` informative columns, the rest pure noise.

    No redundant or repeated columns, so "relevant" is unambiguous: the informative ones,
    moved to random positions.
    """
    rng = np.random.default_rng(seed)
    X, y = make_classification(
        n_samples=n_samples,
        n_features=n_features,
        n_informative=n_informative,
        n_redundant=0,
        n_repeated=0,
        n_classes=n_classes,
        n_clusters_per_class=2,
        flip_y=0.02,
        shuffle=False,  # informative columns first; _shuffled moves them
        random_state=int(rng.integers(2**31 - 1)),
    )
    if name is None:
        name = f"make_classification {n_classes}-class"
    return _shuffled(name, X, y, list(range(n_informative)), family, rng)


def unit_trap(n_samples=1000, seed=0, n_features=20, n_informative=4):
    """The relevant columns measured in units of 1e4 and the noise columns in units of 1e-3.

    A ranking that reads raw weight sizes on unscaled inputs (or a normalisation that lets the
    large columns dominate) puts the noise first; a scale-free method is unaffected.
    """
    base = informative(n_samples, seed, n_features, n_informative, name="unit trap", family="units")
    scale = np.where(base.truth, 1e4, 1e-3)
    return Problem(base.name, base.X * scale, base.y, base.relevant, base.family)


def wide(n_samples=600, seed=0, n_features=1000, n_informative=5):
    """Many more columns than the network's hidden width, few of them relevant."""
    return informative(n_samples, seed, n_features, n_informative, name=f"wide ({n_features} cols)", family="wide")


def suite(quick=False):
    """The benchmark's synthetic problems as ``(name, make(seed) -> Problem)`` pairs.

    ``quick`` keeps every problem but makes the large ones smaller.
    """
    n_wide = 200 if quick else 300
    n_columns = 50 if quick else 100
    return [
        ("L2X XOR", lambda s: l2x_xor(1000, s)),
        ("orange skin", lambda s: orange_skin(1000, s)),
        ("nonlinear additive", lambda s: nonlinear_additive(1000, s)),
        ("switch", lambda s: switch(1000, s)),
        ("XOR", lambda s: passemiers("xor", 1000, s, n_columns)),
        ("RING", lambda s: passemiers("ring", 1000, s, n_columns)),
        ("RING+XOR", lambda s: passemiers("ring+xor", 1000, s, n_columns)),
        ("RING+XOR+SUM", lambda s: passemiers("ring+xor+sum", 1000, s, n_columns)),
        ("make_classification 2-class", lambda s: informative(1000, s, 20, 5, 2)),
        ("make_classification 4-class", lambda s: informative(1000, s, 30, 6, 4)),
        ("unit trap", lambda s: unit_trap(1000, s)),
        (f"wide ({n_wide} cols)", lambda s: wide(600, s, n_wide)),
    ]
