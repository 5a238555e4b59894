"""Peak memory of loading a large CSV with ``deepfeat.data.load_dataset``, for one or more versions.

Writes a CSV of about ``--size-mb`` megabytes (``--columns`` numeric attributes with ``--decimals``
decimals, and a class label, from a fixed seed) into a temporary folder, then loads it in a fresh Python process
per version, whose ``deepfeat`` is imported from the given ``src`` folder. Each process reports
its peak resident memory (``ru_maxrss``) after importing deepfeat, and after loading; the
difference is what loading costs. For example, to compare with the last commit::

    mkdir -p /tmp/deepfeat-before && git archive HEAD src | tar -x -C /tmp/deepfeat-before
    .venv/bin/python benchmarks/load_memory.py /tmp/deepfeat-before/src src

The report (Markdown) goes to standard output.
"""

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def write_csv(path, size_mb, n_columns, decimals, seed=0):
    """A CSV of about ``size_mb`` MB: a header, then rows of ``n_columns`` numbers and a class label."""
    rng = np.random.default_rng(seed)
    header = ",".join(f"x{i}" for i in range(n_columns)) + ",label\n"
    block = 10_000
    with open(path, "w") as handle:
        handle.write(header)
        while handle.tell() < size_mb * 1e6:
            X = rng.normal(size=(block, n_columns)) * 10
            y = rng.integers(0, 3, size=block)
            lines = ("".join(f"{v:.{decimals}f}," for v in row) + f"{label}\n" for row, label in zip(X, y))
            handle.write("".join(lines))
    return path.stat().st_size


def peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kilobytes


def measure(path):
    """Peak memory (MB) after importing deepfeat and after loading ``path``, and the seconds it took."""
    from deepfeat.data import load_dataset

    imported = peak_mb()
    start = time.perf_counter()
    dataset = load_dataset(path)
    seconds = time.perf_counter() - start
    return {"import_mb": imported, "peak_mb": peak_mb(), "seconds": seconds, "shape": list(dataset.X.shape)}


def run(tree, path):
    env = {**os.environ, "PYTHONPATH": str(Path(tree).resolve())}
    done = subprocess.run([sys.executable, __file__, "--worker", str(path)], capture_output=True, text=True, env=env)
    if done.returncode != 0:
        raise RuntimeError(f"worker failed for {tree}:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("trees", nargs="*", default=[str(ROOT / "src")], help="src folders to measure (default: src)")
    parser.add_argument("--size-mb", type=float, default=50, help="size of the CSV in MB (default 50)")
    parser.add_argument("--columns", type=int, default=20, help="attribute columns (default 20)")
    parser.add_argument("--decimals", type=int, default=6, help="decimals of each value (default 6)")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(measure(args.worker)))
        return
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "big.csv"
        size = write_csv(path, args.size_mb, args.columns, args.decimals)
        results = [(tree, run(tree, path)) for tree in args.trees]
    mb = size / 1e6
    print(
        f"CSV of {mb:.1f} MB ({args.columns} attributes with {args.decimals} decimals, and a label); "
        f"{platform.node()}, load {os.getloadavg()[0]:.1f}"
    )
    print()
    print("| src | rows x attributes | peak RSS (MB) | of which loading (MB) | loading / file size | seconds |")
    print("| --- | --- | --- | --- | --- | --- |")
    for tree, r in results:
        loading = r["peak_mb"] - r["import_mb"]
        rows, columns = r["shape"]
        print(
            f"| {tree} | {rows} x {columns} | {r['peak_mb']:.0f} | {loading:.0f} | {loading / mb:.1f}x "
            f"| {r['seconds']:.1f} |"
        )


if __name__ == "__main__":
    main()
