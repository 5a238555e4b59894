"""Speed and memory benchmark: the stacked trainer against the one-by-one Keras reference, in one run.

Run with ``make bench-speed`` (the full benchmark, about ten minutes on 2 cores) or::

    .venv/bin/python benchmarks/speed.py --quick          # about two minutes: smaller problems
    .venv/bin/python benchmarks/speed.py --only cleveland shapes

Every measurement runs in a fresh Python process, one after another, so that no trainer profits
from another's warm caches; each process first trains one model for one epoch on a tiny problem,
so that TensorFlow's one-time start-up is not charged to the trainer being timed. The speed-ups
are ratios of per-model wall times measured in the same run on the same machine. Peak memory is
the process's peak resident set size (``VmHWM``) during training, its count restarted after the
data are loaded; "before" is the resident set size when training starts.

* Cleveland (``../shared/datasets/cleveland``, 297 rows x 13 attributes, 5 classes): the paper's
  network and settings but a fixed number of epochs (patience above the epoch count), so both
  trainers do the same work: three runs of 100 models stacked, interleaved with three models
  trained one by one with Keras, so that both meet the same load from other work; medians.
* The paper run: 100 models at the paper's exact settings with early stopping, stacked.
* Wide data (2,000 rows, 2,000 and 10,000 columns) and long data (100,000 rows): synthetic
  (``sklearn.datasets.make_classification``, 3 classes), fixed epochs, stacked against Keras.
* Memory: peak resident memory against the number of models and against the number of columns,
  at the default memory budget and at a small one that forces training in groups.

Wall times include everything ``train_ensemble`` does (splits, tracing or building the models,
training, the final predictions), not the data loading. Beside them, the machine's speed at the
batched matrix products of the paper's network, measured in the benchmark's own process before
and after the measurements. The report (Markdown) goes to standard output, progress to standard
error. ``benchmarks/wide_command.py`` times the whole command on a wide table.
"""

import argparse
import contextlib
import datetime
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # before TensorFlow loads: keep its start-up chatter out

CLEVELAND = Path(__file__).resolve().parents[2] / "shared/datasets/cleveland"
PAPER_MODELS = 100


def cleveland_specs(quick):
    """Fixed-epoch Cleveland runs of both trainers, interleaved so that both meet the same load; the paper run."""
    epochs = 20 if quick else 100
    fixed = {"data": "cleveland", "group": "cleveland", "epochs": epochs, "patience": epochs + 1}
    specs = []
    for _ in range(1 if quick else 3):
        specs.append({**fixed, "trainer": "stacked", "n_models": PAPER_MODELS})
        specs.append({**fixed, "trainer": "keras", "n_models": 1})
    if not quick:
        specs.append(
            {
                "data": "cleveland",
                "group": "paper",
                "trainer": "stacked",
                "n_models": PAPER_MODELS,
                "epochs": 2000,
                "patience": 15,
            }
        )
    return specs


def shape_specs(quick):
    """Wide and long synthetic data, both trainers, fixed epochs."""
    if quick:
        shapes = [("wide", 500, 2_000, 5, 3, 1), ("long", 20_000, 13, 10, 1, 1)]
    else:
        shapes = [
            ("wide", 2_000, 2_000, 20, 20, 2),
            ("wide", 2_000, 10_000, 20, 20, 1),
            ("long", 100_000, 13, 50, 3, 1),
        ]
    specs = []
    for group, rows, columns, n_stacked, epochs, n_keras in shapes:
        data = {"data": "synthetic", "rows": rows, "columns": columns, "epochs": epochs, "patience": epochs + 1}
        specs.append({**data, "group": group, "trainer": "stacked", "n_models": n_stacked})
        specs.append({**data, "group": group, "trainer": "keras", "n_models": n_keras})
    return specs


def memory_specs(quick):
    """Peak memory against the number of models (Cleveland) and the number of columns (2,000 rows)."""
    small_budget = 64
    models = [50, 200] if quick else [50, 200, 500, 1000]
    columns = [1_000, 4_000] if quick else [1_000, 2_500, 5_000, 10_000]
    specs = []
    for budget in (2048, small_budget):
        for n in models:
            specs.append(
                {
                    "group": "memory-models",
                    "data": "cleveland",
                    "trainer": "stacked",
                    "n_models": n,
                    "epochs": 2,
                    "patience": 3,
                    "budget": budget,
                }
            )
    for budget in (2048, 256):
        for c in columns:
            specs.append(
                {
                    "group": "memory-columns",
                    "data": "synthetic",
                    "rows": 2_000,
                    "columns": c,
                    "trainer": "stacked",
                    "n_models": 20,
                    "epochs": 2,
                    "patience": 3,
                    "budget": budget,
                }
            )
    return specs


GROUPS = {"cleveland": cleveland_specs, "shapes": shape_specs, "memory": memory_specs}


# --- the worker: one measurement in its own process ---------------------------------------
def load(spec):
    """The spec's data as ``(X, y_codes)``."""
    if spec["data"] == "cleveland":
        from deepfeat.data import load_dataset

        dataset = load_dataset(CLEVELAND / "processed.cleveland.data", CLEVELAND / "attributes")
        return dataset.X, dataset.y
    from sklearn.datasets import make_classification

    X, y = make_classification(
        n_samples=spec["rows"],
        n_features=spec["columns"],
        n_informative=min(10, spec["columns"]),
        n_redundant=0,
        n_classes=3,
        random_state=0,
    )
    return X.astype("float32"), y


def memory_mb(field):
    """A memory figure of this process from /proc/self/status ("VmRSS": now, "VmHWM": peak), in MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def reset_peak():
    """Start the peak-memory count afresh (Linux 4.0+), so that loading the data is not counted."""
    # Where it cannot, the peak is since the process started, which can only overstate it.
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def measure(spec):
    """Train as the spec says; wall time, peak memory and what the memory estimate predicted."""
    from deepfeat import ensemble, stacked
    from deepfeat.ensemble import TrainingOptions, train_ensemble

    X, y = load(spec)
    options = TrainingOptions(
        max_epochs=spec["epochs"],
        patience=spec["patience"],
        trainer=spec["trainer"],
        memory_budget_mb=spec.get("budget", 2048),
    )
    # TensorFlow's one-time start-up, on a tiny problem with the same trainer.
    warm = np.random.default_rng(0)
    train_ensemble(
        warm.normal(size=(40, X.shape[1])), np.arange(40) % 2, 1, TrainingOptions(max_epochs=1, trainer=spec["trainer"])
    )
    reset_peak()
    base = memory_mb("VmRSS")
    start, cpu_start = time.perf_counter(), time.process_time()
    result = train_ensemble(X, y, spec["n_models"], options, seed=0)
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu_start
    n_val = len(result.val_index[0])
    n_train = len(result.train_index[0])
    network = result.spec
    group_size = ensemble.group_size(spec["n_models"], network, n_train, n_val, options)
    per_model = stacked.bytes_per_model(network, n_val, options.batch_size, n_train)
    epochs = [r["epochs_run"] for r in result.records]
    return {
        **spec,
        "seconds": seconds,
        "per_model_s": seconds / spec["n_models"],
        "per_model_cpu_s": cpu_seconds / spec["n_models"],  # all threads: less sensitive to other work
        "peak_mb": memory_mb("VmHWM"),
        "base_mb": base,
        "group_size": group_size,
        "estimate_mb": group_size * per_model / 2**20,
        "epochs_mean": float(np.mean(epochs)),
        "epochs_max": int(np.max(epochs)),
        "model_epochs": int(np.sum(epochs)),
        "load": os.getloadavg()[0],  # other work on the machine, for the record
    }


def run_worker(spec):
    """Run one measurement in a fresh interpreter; its result dict."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, __file__, "--worker", json.dumps(spec)], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"worker failed for {spec}:\n{done.stderr[-3000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    what = f"{spec['group']:15s} {spec['trainer']:7s} {spec['n_models']:5d} models"
    took = time.perf_counter() - started
    print(
        f"{what}: {result['seconds']:7.1f} s training, peak {result['peak_mb']:6.0f} MiB ({took:.0f} s)",
        file=sys.stderr,
    )
    return result


def matmul_gflops(n_models=PAPER_MODELS, rows=64, width=128, products=50):
    """The machine's speed, in GFLOPS, at the batched products of the paper's network: ``(models, rows, width) x
    (models, width, width)``, ``products`` of them in one graph call (the best of three calls)."""
    import tensorflow as tf

    generator = tf.random.Generator.from_seed(0)
    a, b = generator.normal([n_models, rows, width]), generator.normal([n_models, width, width])
    run = tf.function(lambda: tf.add_n([tf.matmul(a + i, b)[:, :1, :1] for i in range(products)]), autograph=False)
    run().numpy()  # trace
    seconds = []
    for _ in range(3):
        started = time.perf_counter()
        run().numpy()
        seconds.append(time.perf_counter() - started)
    return 2 * n_models * rows * width * width * products / min(seconds) / 1e9


# --- the report -----------------------------------------------------------------------------
def row(*cells):
    return "| " + " | ".join(str(c) for c in cells) + " |"


def table(header, rows):
    return "\n".join([row(*header), row(*["---"] * len(header)), *rows]) if rows else ""


def data_label(r):
    if r["data"] == "cleveland":
        return "Cleveland 297 x 13"
    return f"{r['rows']:,} x {r['columns']:,}"


def speed_table(results):
    runs = {}
    for r in results:
        if r["group"] in ("cleveland", "wide", "long"):
            runs.setdefault((data_label(r), r["epochs"]), {}).setdefault(r["trainer"], []).append(r)
    rows = []
    for (label, epochs), by_trainer in runs.items():
        s, k = by_trainer.get("stacked"), by_trainer.get("keras")
        if s is None or k is None:
            continue
        # Medians over repeated runs; the Keras time is per model.
        s_model = float(np.median([r["per_model_s"] for r in s]))
        k_model = float(np.median([r["per_model_s"] for r in k]))
        s_wall = float(np.median([r["seconds"] for r in s]))
        peaks = f"{max(r['peak_mb'] for r in s):.0f} / {max(r['peak_mb'] for r in k):.0f} MiB"
        n_keras = sum(r["n_models"] for r in k)
        cpu = float(np.median([r["per_model_cpu_s"] for r in k]) / np.median([r["per_model_cpu_s"] for r in s]))
        stacked_runs = f"{s[0]['n_models']} x {len(s)}, {s_wall:.1f} s"
        speed_up = f"**{k_model / s_model:.0f}x**"
        cells = [label, epochs, stacked_runs, f"{s_model:.3f}", n_keras, f"{k_model:.2f}", speed_up, f"{cpu:.0f}x"]
        rows.append(row(*cells, peaks))
    header = ["data", "epochs", "stacked: models x runs, wall", "stacked s/model", "Keras: models timed"]
    return table(header + ["Keras s/model", "speed-up", "CPU-time ratio", "peak RSS stacked / Keras"], rows)


def paper_table(results):
    rows = [
        row(
            r["n_models"],
            f"**{r['seconds']:.1f} s**",
            f"{r['epochs_mean']:.0f} / {r['epochs_max']}",
            f"{r['model_epochs']:,}",
            f"{r['peak_mb']:.0f} MiB",
        )
        for r in results
        if r["group"] == "paper"
    ]
    return table(["models", "wall", "epochs per model (mean / max)", "model-epochs", "peak RSS"], rows)


def memory_table(results, group, key, label):
    rows = [
        row(
            f"{r[key]:,}",
            f"{r['budget']} MiB",
            r["group_size"],
            f"{r['estimate_mb']:.0f} MiB",
            f"{r['base_mb']:.0f} MiB",
            f"{r['peak_mb']:.0f} MiB",
            f"{r['peak_mb'] - r['base_mb']:.0f} MiB",
        )
        for r in results
        if r["group"] == group
    ]
    header = [label, "budget", "group size", "estimate (group)", "RSS before training", "peak RSS", "peak - before"]
    return table(header, rows)


def report(results, quick, gflops):
    import tensorflow as tf

    today = datetime.date.today().isoformat()
    machine = f"{platform.machine()}, {os.cpu_count()} cores, {platform.system()} {platform.release()}"
    load = np.mean([r["load"] for r in results])
    parts = [
        f"Measured {today} on {machine}; Python {platform.python_version()}, TensorFlow {tf.__version__}"
        + (" (`--quick`)" if quick else "")
        + f"; mean 1-minute load average at the end of the measurements {load:.1f}; batched products of the "
        + f"paper's network (100 x (64 x 128) x (128 x 128)) at {gflops[0]:.0f} GFLOPS before the measurements, "
        + f"{gflops[1]:.0f} after.",
        "",
    ]
    for title, table in (
        ("Per-model wall time, fixed epochs (the same work for both trainers)", speed_table(results)),
        ("The paper run (100 models, paper settings, early stopping)", paper_table(results)),
        (
            "Peak memory against the number of models (Cleveland, 2 epochs)",
            memory_table(results, "memory-models", "n_models", "models"),
        ),
        (
            "Peak memory against the number of columns (2,000 rows, 20 models, 2 epochs)",
            memory_table(results, "memory-columns", "columns", "columns"),
        ),
    ):
        if table:
            parts += [f"**{title}**", "", table, ""]
    return "\n".join(parts)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller problems and fewer models (about two minutes)")
    parser.add_argument("--only", nargs="+", choices=sorted(GROUPS), help="run only these groups of measurements")
    parser.add_argument("--json", type=Path, help="also write every measured row here")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(measure(json.loads(args.worker))))
        return
    specs = [spec for name in (args.only or GROUPS) for spec in GROUPS[name](args.quick)]
    if not CLEVELAND.is_dir():
        print(f"{CLEVELAND} not found: the Cleveland measurements are skipped", file=sys.stderr)
        specs = [s for s in specs if s["data"] != "cleveland"]
    before = matmul_gflops()
    results = [run_worker(spec) for spec in specs]
    gflops = (before, matmul_gflops())
    if args.json:
        args.json.write_text(json.dumps({"gflops": gflops, "results": results}, indent=1))
    print(report(results, args.quick, gflops))


if __name__ == "__main__":
    main()
