"""The paper run timed with two versions of deepfeat, alternately, in one run on one machine.

For a change that must not slow training (such as where the random draws come from), check out
the earlier version beside this one and run, for example::

    git worktree add /tmp/deepfeat-before <commit>
    .venv/bin/python benchmarks/versions.py /tmp/deepfeat-before/src src --repeats 3

Each measurement runs in a fresh Python process whose ``deepfeat`` is imported from the given
``src`` folder, one version after the other (A B A B ...), so that both meet the same load from
other work; each process first trains one model for one epoch on a tiny problem, so that
TensorFlow's start-up is not charged. Two measurements on the paper's Cleveland data
(``../shared/datasets/cleveland``), 100 models with the paper's settings: the paper run with
early stopping, and 100 epochs with early stopping off (the same work for both versions). The
report (Markdown) goes to standard output: medians, and the ratio of the second version to
the first.
"""

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

CLEVELAND = Path(__file__).resolve().parents[2] / "shared/datasets/cleveland"
MEASUREMENTS = {"paper run (early stopping)": {}, "100 epochs, no early stopping": {"max_epochs": 100, "patience": 101}}


def measure(changes):
    """Seconds to train the 100-model Cleveland ensemble with ``changes`` to the paper's options."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    from deepfeat.data import load_dataset
    from deepfeat.ensemble import TrainingOptions, train_ensemble

    dataset = load_dataset(CLEVELAND / "processed.cleveland.data", CLEVELAND / "attributes")
    _, codes = np.unique(dataset.y, return_inverse=True)
    warm = np.random.default_rng(0)
    train_ensemble(warm.normal(size=(40, dataset.X.shape[1])), np.arange(40) % 2, 1, TrainingOptions(max_epochs=1))
    start = time.perf_counter()
    result = train_ensemble(dataset.X, codes, 100, TrainingOptions(**changes), 0)
    seconds = time.perf_counter() - start
    epochs = int(sum(r["epochs_run"] for r in result.records))
    return {"seconds": seconds, "model_epochs": epochs, "load": os.getloadavg()[0]}


def run(tree, changes):
    env = {**os.environ, "PYTHONPATH": str(Path(tree).resolve())}
    done = subprocess.run(
        [sys.executable, __file__, "--worker", json.dumps(changes)], capture_output=True, text=True, env=env
    )
    if done.returncode != 0:
        raise RuntimeError(f"worker failed for {tree}:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("trees", nargs="*", help="the two src folders to compare: before, after")
    parser.add_argument("--repeats", type=int, default=3, help="measurements of each kind per version (default 3)")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(measure(json.loads(args.worker))))
        return
    if len(args.trees) != 2:
        parser.error("give two src folders: before and after")
    started = time.perf_counter()
    rows = []
    for name, changes in MEASUREMENTS.items():
        for repeat in range(args.repeats):
            for version, tree in zip(("before", "after"), args.trees):
                result = run(tree, changes)
                rows.append({"measurement": name, "version": version, **result})
                print(f"{name} {version} #{repeat}: {result['seconds']:.1f} s", file=sys.stderr)
    print(
        f"Command: `.venv/bin/python benchmarks/versions.py {' '.join(args.trees)} --repeats {args.repeats}`; "
        f"run {datetime.date.today()} on {platform.machine()} {platform.system()} with {os.cpu_count()} CPUs; "
        f"load average {np.mean([r['load'] for r in rows]):.1f} at the measurements; "
        f"total {(time.perf_counter() - started) / 60:.1f} min.\n"
    )
    print(
        "| measurement | before: s (median; runs) | after: s (median; runs) | after / before "
        "| model-epochs before / after | ms per model-epoch before / after |"
    )
    print("|---|---|---|---|---|---|")
    for name in MEASUREMENTS:
        times = {
            v: [r["seconds"] for r in rows if r["measurement"] == name and r["version"] == v]
            for v in ("before", "after")
        }
        epochs = {
            v: [r["model_epochs"] for r in rows if r["measurement"] == name and r["version"] == v]
            for v in ("before", "after")
        }
        before, after = np.median(times["before"]), np.median(times["after"])
        per_epoch = [1000 * np.median(np.divide(times[v], epochs[v])) for v in ("before", "after")]
        print(
            f"| {name} | {before:.1f} ({', '.join(f'{t:.1f}' for t in times['before'])}) | "
            f"{after:.1f} ({', '.join(f'{t:.1f}' for t in times['after'])}) | {after / before:.2f} | "
            f"{int(np.median(epochs['before']))} / {int(np.median(epochs['after']))} | "
            f"{per_epoch[0]:.2f} / {per_epoch[1]:.2f} |"
        )


if __name__ == "__main__":
    main()
