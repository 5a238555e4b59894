"""Can a neural network learn Passemiers et al.'s RING at the benchmark's size at all?

Run with ``make bench-ring`` (= ``.venv/bin/python benchmarks/ring_learnability.py``, about two minutes
on 2 cores).

The quality benchmark's RING problem has 1000 rows (each deepfeat network trains on half of
them) and 100 columns, 2 of them relevant. deepfeat misses it; this measures whether that is
deepfeat's doing or the network family's: the held-out AUROC of scikit-learn's own
multi-layer perceptron (three hidden layers of 128, as deepfeat's network), of the same
perceptron given every column's square too (which makes a ring linear in the relevant
squares), of deepfeat's networks (their validation AUROC, each on its own held-out half), and
of a random forest, with 2, 10 and 100 columns. Rows are split in halves: train, test.
"""

import os
import sys
import warnings

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
from sklearn.ensemble import RandomForestClassifier  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.metrics import roc_auc_score  # noqa: E402
from sklearn.neural_network import MLPClassifier  # noqa: E402

import synthetic  # noqa: E402
import variants  # noqa: E402

SEEDS = (0, 1, 2)
COLUMNS = (2, 10, 100)
N_ROWS = 1000
N_MODELS = 10


def _perceptron(seed):
    return MLPClassifier(
        (128, 128, 128), alpha=1e-3, early_stopping=True, n_iter_no_change=30, max_iter=1000, random_state=seed
    )


def held_out_aurocs(X, y, seed):
    """Each learner's test AUROC after training on the first half of the rows."""
    half = len(y) // 2
    train, test = slice(None, half), slice(half, None)
    squares = np.hstack([X, X**2])
    scores = {}
    for name, model, data in (
        ("perceptron", _perceptron(seed), X),
        ("perceptron on x and x^2", _perceptron(seed), squares),
        ("random forest", RandomForestClassifier(500, random_state=seed, n_jobs=-1), X),
    ):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(data[train], y[train])
        scores[name] = roc_auc_score(y[test], model.predict_proba(data[test])[:, 1])
    result, _ = variants.train(X, y, N_MODELS, variants.DEFAULT, seed)
    scores["deepfeat networks (validation)"] = result.final_ensemble().skill.value
    return scores


def main():
    print(f"RING, {N_ROWS} rows, half for training; held-out AUROC, mean over seeds {', '.join(map(str, SEEDS))}\n")
    table = {}
    for n_columns in COLUMNS:
        for seed in SEEDS:
            problem = synthetic.passemiers("ring", N_ROWS, seed, n_columns)
            for name, value in held_out_aurocs(problem.X, problem.y, seed).items():
                table.setdefault(name, {}).setdefault(n_columns, []).append(value)
            print(f"  done: {n_columns} columns, seed {seed}", file=sys.stderr, flush=True)
    print("| learner | " + " | ".join(f"{c} columns" for c in COLUMNS) + " |")
    print("|---|" + "---|" * len(COLUMNS))
    for name, by_columns in table.items():
        print(f"| {name} | " + " | ".join(f"{np.mean(by_columns[c]):.3f}" for c in COLUMNS) + " |")


if __name__ == "__main__":
    main()
