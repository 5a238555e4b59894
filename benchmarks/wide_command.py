"""The whole ``deepfeat`` command on a wide table, against the arithmetic it cannot avoid, in one run.

Run with ``make bench-speed`` (which also runs ``benchmarks/speed.py``) or::

    .venv/bin/python benchmarks/wide_command.py                 # 2,000 x 10,000, 20 models, 6 epochs
    .venv/bin/python benchmarks/wide_command.py --rows 500 --columns 2000 --epochs 4

It writes a synthetic CSV (``sklearn.datasets.make_classification``, 3 classes, four decimals per
value; 150 MB at the default size) to a temporary folder, runs the command line on it under
``/usr/bin/time -v`` (20 models, a fixed number of epochs: the patience is above it, seed 0), and
prints, as Markdown:

* start-up: the time before the first epoch starts (the end of the first epoch, less one epoch),
  which covers Python and TensorFlow starting, reading the CSV, planning and tracing;
* the time per epoch: the median gap between the ends of consecutive epochs, read off the
  progress bar, which the command draws at the end of the first epoch and redraws at the end
  of every later one (each redraw shows the epoch before it);
* the user and system CPU time and the peak resident memory of the whole command;
* the arithmetic bound: a TensorFlow probe, run in this process just before and just after the
  command, of the first layer's batched products of an epoch at the same shapes — for every
  training batch the forward product ``(models, batch, columns) x (models, columns, hidden)``
  and the two of its gradient, for every validation chunk (a batch's worth of rows) the forward
  product — and the ratio of the epoch to it;
* beside it, the epoch's Adam updates of that layer's kernel alone (one fused pass over the
  weights, both moments and the gradient per batch): memory traffic no product overlaps.

The figures are ratios within one run on one machine; the load average is printed beside them.
"""

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # before TensorFlow loads: keep its start-up chatter out

sys.path.insert(0, str(Path(__file__).resolve().parent))

from speed import load  # noqa: E402  (the synthetic data of the speed benchmark)

SEED = 0
#: The targets of the issue "Wide tables at the speed of the arithmetic".
TARGETS = {"epoch_ratio": 2.0, "system_share": 0.10, "startup_s": 10.0, "peak_mb": 2048}
_EPOCH = re.compile(r"epoch=(\d+), training=(\d+)")


def write_csv(path, rows, columns):
    """A synthetic classification table with a header, four decimals per value, the label last."""
    X, y = load({"data": "synthetic", "rows": rows, "columns": columns})
    with open(path, "w") as handle:
        handle.write(",".join([*(f"x{j}" for j in range(columns)), "label"]) + "\n")
        row_format = "%.4f," * columns + "%d\n"
        for values, label in zip(X.tolist(), y.tolist()):
            handle.write(row_format % (*values, label))
    return path


def epoch_ends(writes, n_models, epochs):
    """The times at which each epoch ended, from the progress bar's timed writes ``(seconds, text)``.

    The bar is drawn when the first epoch ends; the redraw at the end of epoch ``k + 1`` shows
    ``epoch=k`` (the postfix set at the end of the epoch before), while all ``n_models`` train.
    """
    drawn = re.compile(rf"\b0/{n_models} \[")
    ends = []
    for seconds, text in writes:
        if not ends and drawn.search(text):
            ends.append(seconds)
        for match in _EPOCH.finditer(text):
            shown, training = int(match.group(1)), int(match.group(2))
            if shown == len(ends) and shown < epochs and training == n_models:
                ends.append(seconds)
    if len(ends) != epochs:
        raise RuntimeError(
            f"read {len(ends)} epoch ends off the progress bar, expected {epochs} (the bar redraws at most "
            "every 0.1 s: are the epochs shorter?)"
        )
    return ends


def time_report(text):
    """User and system seconds and peak resident MiB from the report of ``/usr/bin/time -v``."""

    def field(name):
        return float(re.search(rf"{re.escape(name)}: ([\d.]+)", text).group(1))

    return {
        "user_s": field("User time (seconds)"),
        "system_s": field("System time (seconds)"),
        "peak_mb": field("Maximum resident set size (kbytes)") / 1024,
    }


def run_command(csv, folder, n_models, epochs):
    """Run ``deepfeat`` on ``csv`` under ``/usr/bin/time -v``; its epoch ends and resource use."""
    accounting = folder / "time.txt"
    command = [
        *("/usr/bin/time", "-v", "-o", str(accounting)),
        *(sys.executable, "-m", "deepfeat", "--data-file", str(csv), "--n-models", str(n_models)),
        *("--max-epochs", str(epochs), "--patience", str(epochs + 1), "--seed", str(SEED)),
        *("--output-dir", str(folder / "out"), "--model-dir", str(folder / "models")),
    ]
    started = time.perf_counter()
    # In the temporary folder: a .env in the working directory would set other data files.
    process = subprocess.Popen(
        command, cwd=folder, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    writes = []
    while chunk := process.stderr.read1(1 << 16):
        writes.append((time.perf_counter() - started, chunk.decode(errors="replace")))
    wall = time.perf_counter() - started
    if process.wait() != 0:
        raise RuntimeError(f"deepfeat failed:\n{''.join(text for _, text in writes)[-3000:]}")
    ends = epoch_ends(writes, n_models, epochs)
    epoch = statistics.median(np.diff(ends)) if epochs > 1 else float("nan")
    return {"wall_s": wall, "first_epoch_end_s": ends[0], "epoch_s": epoch, **time_report(accounting.read_text())}


def probe_epoch(n_models, n_train, n_val, columns, hidden, batch_size, repeats=3):
    """Seconds of an epoch's first-layer products at these shapes (the median of ``repeats``).

    One graph call per batch, as many as the epoch has: within one graph, TensorFlow would
    compute equal products once.
    """
    import tensorflow as tf

    def batches(n):
        return [min(batch_size, n - start) for start in range(0, n, batch_size)]

    generator = tf.random.Generator.from_seed(SEED)
    kernel = generator.normal([n_models, columns, hidden])
    inputs = {rows: generator.normal([n_models, rows, columns]) for rows in set(batches(n_train) + batches(n_val))}
    upstream = {rows: generator.normal([n_models, rows, hidden]) for rows in inputs}

    @tf.function(autograph=False)
    def training(x, g):  # forward, and the gradients for the kernel and for the inputs
        products = [tf.matmul(x, kernel), tf.matmul(x, g, transpose_a=True), tf.matmul(g, kernel, transpose_b=True)]
        return tf.add_n([product[:, :1, :1] for product in products])

    @tf.function(autograph=False)
    def validation(x):
        return tf.matmul(x, kernel)[:, :1, :1]

    def epoch():
        corners = [training(inputs[rows], upstream[rows]) for rows in batches(n_train)]
        corners += [validation(inputs[rows]) for rows in batches(n_val)]
        return [corner.numpy() for corner in corners]

    epoch()  # trace
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        epoch()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def probe_adam(n_models, n_train, columns, hidden, batch_size, repeats=3):
    """Seconds of an epoch's Adam updates of the first layer's kernel (one fused pass per batch), the median.

    Not arithmetic but memory traffic: each update reads the weights, both moments and the
    gradient and writes three of them, which no product of the epoch overlaps.
    """
    import tensorflow as tf

    from deepfeat.stacked import BETA_1, BETA_2, EPSILON

    shape = [n_models, columns, hidden]
    weights, m, v = (tf.Variable(tf.zeros(shape)) for _ in range(3))
    gradient = tf.random.Generator.from_seed(SEED).normal(shape)
    settings = dict(beta1_power=BETA_1, beta2_power=BETA_2, lr=1e-4, beta1=BETA_1, beta2=BETA_2, epsilon=EPSILON)

    @tf.function(autograph=False)
    def update():
        tf.raw_ops.ResourceApplyAdam(var=weights.handle, m=m.handle, v=v.handle, grad=gradient, **settings)
        return weights[0, 0, 0]

    update().numpy()  # trace
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        for _ in range(-(-n_train // batch_size)):
            update()
        update().numpy()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def commit():
    done = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False)
    return done.stdout.strip() or "unknown"


def measure(rows, columns, n_models, epochs, folder):
    """Everything the report shows, measured in this run."""
    from deepfeat.settings import TrainingOptions

    options = TrainingOptions()
    n_val = round(rows * options.validation_fraction)
    shapes = (n_models, rows - n_val, n_val, columns, options.hidden_units, options.batch_size)
    started = time.perf_counter()
    csv = write_csv(folder / "wide.csv", rows, columns)
    print(f"wrote {csv.stat().st_size / 1e6:.0f} MB in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    adam_shapes = (n_models, rows - n_val, columns, options.hidden_units, options.batch_size)
    loads = [os.getloadavg()[0]]
    bound_before, adam_before = probe_epoch(*shapes), probe_adam(*adam_shapes)
    command = run_command(csv, folder, n_models, epochs)
    loads.append(os.getloadavg()[0])
    bound_after, adam_after = probe_epoch(*shapes), probe_adam(*adam_shapes)
    loads.append(os.getloadavg()[0])
    bound, adam = (bound_before + bound_after) / 2, (adam_before + adam_after) / 2
    return {
        **command,
        "rows": rows,
        "columns": columns,
        "n_models": n_models,
        "epochs": epochs,
        "csv_mb": csv.stat().st_size / 1e6,
        "startup_s": command["first_epoch_end_s"] - command["epoch_s"],
        "bound_s": bound,
        "bound_range": (bound_before, bound_after),
        "epoch_ratio": command["epoch_s"] / bound,
        "adam_s": adam,
        "adam_range": (adam_before, adam_after),
        "system_share": command["system_s"] / (command["user_s"] + command["system_s"]),
        "loads": loads,
    }


def report(r):
    def verdict(key, value):
        return "met" if value <= TARGETS[key] else "**missed**"

    before, after = r["bound_range"]
    cpu = r["user_s"] + r["system_s"]
    lines = [
        f"`deepfeat` on {r['rows']:,} x {r['columns']:,} ({r['csv_mb']:.0f} MB CSV), {r['n_models']} models, "
        f"{r['epochs']} epochs, seed {SEED}; commit {commit()}; 1-minute load average "
        + " / ".join(f"{load:.1f}" for load in r["loads"])
        + " (before / after the command / after the last probe).",
        "",
        "| measure | value | target | |",
        "| --- | --- | --- | --- |",
        f"| start-up (before the first epoch) | {r['startup_s']:.1f} s | <= {TARGETS['startup_s']:.0f} s "
        f"| {verdict('startup_s', r['startup_s'])} |",
        f"| time per epoch | {r['epoch_s']:.2f} s | | |",
        f"| arithmetic bound per epoch (probe before / after) | {r['bound_s']:.2f} s "
        f"({before:.2f} / {after:.2f}) | | |",
        f"| epoch / bound | {r['epoch_ratio']:.2f}x | <= {TARGETS['epoch_ratio']:.0f}x "
        f"| {verdict('epoch_ratio', r['epoch_ratio'])} |",
        f"| the kernel's Adam updates per epoch (before / after) | {r['adam_s']:.2f} s "
        f"({r['adam_range'][0]:.2f} / {r['adam_range'][1]:.2f}) | | |",
        f"| epoch / (bound + Adam) | {r['epoch_s'] / (r['bound_s'] + r['adam_s']):.2f}x | | |",
        f"| CPU time user / system | {r['user_s']:.1f} s / {r['system_s']:.1f} s | | |",
        f"| system share of CPU time | {r['system_share']:.1%} | <= {TARGETS['system_share']:.0%} "
        f"| {verdict('system_share', r['system_share'])} |",
        f"| peak resident memory | {r['peak_mb']:.0f} MiB | <= {TARGETS['peak_mb']} MiB "
        f"| {verdict('peak_mb', r['peak_mb'])} |",
        f"| whole command (wall; CPU) | {r['wall_s']:.1f} s; {cpu:.1f} s | | |",
    ]
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=2_000)
    parser.add_argument("--columns", type=int, default=10_000)
    parser.add_argument("--models", type=int, default=20)
    parser.add_argument("--epochs", type=int, default=6)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        result = measure(args.rows, args.columns, args.models, args.epochs, Path(folder))
    print(report(result))


if __name__ == "__main__":
    main()
