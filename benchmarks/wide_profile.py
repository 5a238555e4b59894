"""Where a stacked epoch's time goes on wide data: TensorFlow's profiler over one epoch, summed by op.

    .venv/bin/python benchmarks/wide_profile.py                  # 2,000 x 10,000, 20 models
    .venv/bin/python benchmarks/wide_profile.py --columns 2000 --top 20

Builds the stacked trainer on the synthetic data of ``benchmarks/speed.py`` (the default network
and settings, seed 0), runs one epoch to trace it, then profiles the next with
``tf.profiler.experimental`` and prints each op's time summed over TensorFlow's compute threads
(ops overlap, so the sum exceeds the epoch's wall time), largest first, and the epoch's wall and
CPU seconds.
"""

import argparse
import collections
import glob
import os
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # before TensorFlow loads: keep its start-up chatter out

sys.path.insert(0, str(Path(__file__).resolve().parent))

from speed import load  # noqa: E402  (the synthetic data of the speed benchmark)


def op_seconds(logdir):
    """Seconds per op (``name:type``) in the profiler's trace under ``logdir``, summed over threads."""
    from tensorflow.tsl.profiler.protobuf import xplane_pb2

    space = xplane_pb2.XSpace()
    space.ParseFromString(Path(sorted(glob.glob(f"{logdir}/**/*.xplane.pb", recursive=True))[-1]).read_bytes())
    totals = collections.Counter()
    for plane in space.planes:
        names = {key: meta.name for key, meta in plane.event_metadata.items()}
        for line in plane.lines:
            for event in line.events:
                name = names.get(event.metadata_id, "")
                if ":" in name and " " not in name and "::" not in name:  # an op's event: "scope/name:Type"
                    totals[name] += event.duration_ps / 1e12
    return totals


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=2_000)
    parser.add_argument("--columns", type=int, default=10_000)
    parser.add_argument("--models", type=int, default=20)
    parser.add_argument("--top", type=int, default=30, help="ops to list")
    args = parser.parse_args(argv)

    import tensorflow as tf

    from deepfeat.ensemble import TrainingOptions, plan_ensemble
    from deepfeat.stacked import StackedTrainer
    from deepfeat.tasks import CLASSIFICATION
    from deepfeat.training import TrainingData, TrainingHooks

    X, y = load({"data": "synthetic", "rows": args.rows, "columns": args.columns})
    options = replace(TrainingOptions(), max_epochs=2, patience=3)  # the first epoch traces, the second is profiled
    plan = plan_ensemble(X, y, args.models, options, 0, CLASSIFICATION)
    data = TrainingData.of(plan.encoding.rows(X), plan.target.values, plan.encoding.layout)
    group = plan.group_task(data, options, CLASSIFICATION, 0, args.models)

    class ProfileSecondEpoch(TrainingHooks):
        def epoch_end(self, task, epoch, n_training, get_state=None):
            if epoch == 1:
                tf.profiler.experimental.start(logdir)
                self.started = time.perf_counter(), time.process_time()
            else:
                self.wall, self.cpu = time.perf_counter() - self.started[0], time.process_time() - self.started[1]
                tf.profiler.experimental.stop()

    hooks = ProfileSecondEpoch()
    with tempfile.TemporaryDirectory() as logdir:
        StackedTrainer(data, options, CLASSIFICATION).train(group, hooks)
        totals = op_seconds(logdir)
    wall, cpu = hooks.wall, hooks.cpu
    print(
        f"{args.models} models, {args.rows:,} x {args.columns:,}: epoch {wall:.2f} s wall, {cpu:.2f} s CPU; load ",
        end="",
    )
    print(f"{os.getloadavg()[0]:.1f}; op time summed over threads {sum(totals.values()):.2f} s")
    for name, seconds in totals.most_common(args.top):
        print(f"{seconds:7.3f} s  {name}")


if __name__ == "__main__":
    main()
