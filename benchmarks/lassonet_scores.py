"""LassoNet importance scores, run in its own process (and usually its own virtualenv).

LassoNet needs PyTorch, which deepfeat does not; keeping it out of the TensorFlow process
also keeps the two libraries' thread pools apart. ``quality.py`` calls this script as::

    PYTHON benchmarks/lassonet_scores.py IN.npz OUT.npz

where IN.npz holds ``X`` (standardised), ``y`` (class codes) and ``seed``, and optionally
``regression`` (true: ``y`` is a numeric target, standardised, and LassoNetRegressor ranks;
``targets.py`` sets it); OUT.npz receives
``scores``, one per column: the penalty at which the column leaves LassoNet's regularisation
path (Lemhadri et al., JMLR 2021), larger meaning more important; and ``seconds``, the time
the path took.
"""

import sys
import time

import numpy as np
import torch
from lassonet import LassoNetClassifier, LassoNetRegressor


def main(source, target):
    data = np.load(source)
    seed = int(data["seed"])
    torch.set_num_threads(1)
    regression = "regression" in data.files and bool(data["regression"])
    # The package's defaults (one hidden layer of 100 units, path multiplier 1.02).
    model = (LassoNetRegressor if regression else LassoNetClassifier)(verbose=0, random_state=seed, torch_seed=seed)
    y = data["y"].astype(np.float32 if regression else np.int64)
    start = time.perf_counter()
    model.path(data["X"].astype(np.float32), y, return_state_dicts=False)
    seconds = time.perf_counter() - start
    np.savez(target, scores=np.asarray(model.feature_importances_, dtype=np.float64), seconds=seconds)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
