"""The rankings deepfeat is compared with: one score per column, larger meaning more important.

Every function takes ``(X, y, seed)`` with ``y`` holding class codes and returns an array of
shape (n_features,). Settings are the libraries' usual ones, fixed here so that a run is
reproducible; none of them is tuned on the benchmark's problems.
"""

import os
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

import numpy as np
from sklearn.ensemble import RandomForestClassifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_selection import mutual_info_classif
from sklearn.inspection import permutation_importance
from sklearn.linear_model import LogisticRegressionCV
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

N_TREES = 300


def _forest(seed):
    return RandomForestClassifier(n_estimators=N_TREES, random_state=seed, n_jobs=1)


def rf_impurity(X, y, seed):
    """Mean decrease in impurity of a random forest fitted on all rows."""
    return _forest(seed).fit(X, y).feature_importances_


def rf_permutation(X, y, seed):
    """Drop in held-out accuracy when a column is permuted (forest fitted on 70 % of the rows).

    Three permutations per column rather than scikit-learn's default five: on the wide problem
    this baseline would otherwise cost more than everything else in the benchmark together.
    """
    X_fit, X_held, y_fit, y_held = train_test_split(X, y, test_size=0.3, random_state=seed, stratify=y)
    forest = _forest(seed).fit(X_fit, y_fit)
    return permutation_importance(forest, X_held, y_held, n_repeats=3, random_state=seed, n_jobs=1).importances_mean


def mutual_information(X, y, seed):
    """Nearest-neighbour estimate of each column's mutual information with the label."""
    return mutual_info_classif(X, y, random_state=seed)


def l1_logistic(X, y, seed):
    """Largest absolute coefficient over classes of an L1 logistic regression on standardised data.

    The penalty is chosen by 5-fold cross-validation over 10 values. Columns it drops all score 0
    (ties); that is the method as practitioners use it. liblinear is much faster than saga on
    wide data but handles two classes only.
    """
    model = LogisticRegressionCV(
        Cs=10,
        l1_ratios=(1.0,),
        solver="liblinear" if len(np.unique(y)) == 2 else "saga",
        cv=5,
        max_iter=2000,
        scoring="accuracy",
        random_state=seed,
        use_legacy_attributes=False,
    )
    with warnings.catch_warnings():
        # saga stops short of convergence at the weakest penalties on small data; the ranking
        # comes from the chosen penalty, where it has converged.
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(StandardScaler().fit_transform(X), y)
    return np.abs(model.coef_).max(axis=0)


BASELINES = {
    "RF impurity": rf_impurity,
    "RF permutation": rf_permutation,
    "mutual information": mutual_information,
    "L1 logistic": l1_logistic,
}


def lassonet_python(explicit=None):
    """The interpreter that can run LassoNet: ``explicit``, else $LASSONET_PYTHON, else this one if it can.

    Returns None when none can (LassoNet is then left out of the run).
    """
    candidates = [explicit, os.environ.get("LASSONET_PYTHON"), sys.executable]
    for python in candidates:
        if not python:
            continue
        probe = subprocess.run([python, "-c", "import lassonet"], capture_output=True)
        if probe.returncode == 0:
            return python
    return None


class LassoNetRun:
    """LassoNet's path importance (see ``lassonet_scores.py``) computed by ``python`` in the background.

    LassoNet is the slowest baseline and runs on one core, so the benchmark starts it first and
    trains deepfeat meanwhile; :meth:`result` waits for it. ``regression`` ranks for a numeric
    ``y`` with LassoNetRegressor (``targets.py``); the default is the classifier on class codes.
    """

    def __init__(self, X, y, seed, python, regression=False):
        self._folder = tempfile.TemporaryDirectory()
        folder = Path(self._folder.name)
        source, self._target = folder / "in.npz", folder / "out.npz"
        if regression:  # a numeric target, standardised like the columns, for LassoNetRegressor
            y = (y - np.mean(y)) / np.std(y)
        np.savez(source, X=StandardScaler().fit_transform(X), y=y, seed=seed, regression=regression)
        script = Path(__file__).with_name("lassonet_scores.py")
        self._process = subprocess.Popen(
            [python, str(script), str(source), str(self._target)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )

    def result(self):
        """The scores and LassoNet's own wall time in seconds (not counting the wait)."""
        _, errors = self._process.communicate()
        if self._process.returncode != 0:
            raise RuntimeError(f"LassoNet failed: {errors.decode(errors='replace').strip()}")
        with np.load(self._target) as saved:
            scores, seconds = saved["scores"], float(saved["seconds"])
        self._folder.cleanup()
        return scores, seconds
