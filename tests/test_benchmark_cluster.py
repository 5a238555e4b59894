"""Smoke tests of the Dask-cluster benchmark's pure functions (no cluster is started)."""

import math
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

import cluster  # noqa: E402


def test_per_worker_ratio_is_one_when_each_worker_is_as_fast_as_here():
    assert cluster.per_worker_ratio(10.0, 10.0, 1) == 1.0
    assert cluster.per_worker_ratio(10.0, 5.0, 2) == 1.0  # two workers, twice as fast in all
    assert cluster.per_worker_ratio(10.0, 10.0, 2) == 0.5
    assert cluster.verdict(0.9) == "met" and cluster.verdict(0.89) == "missed"


def test_epoch_split_puts_the_first_epochs_extra_time_into_setup():
    # 1.5 s before training, then 2 s per epoch, 0.75 s after the last epoch.
    setup, per_epoch, finish = cluster.epoch_split(8.25, [3.5, 5.5, 7.5])
    assert per_epoch == pytest.approx(2.0) and setup == pytest.approx(1.5) and finish == pytest.approx(0.75)
    assert cluster.epoch_split(3.0, [2.5]) == (0.0, 2.5, 0.5)


def test_projection_counts_rounds_of_full_groups():
    p = cluster.project(1000, 32, 19, model_epoch_s=0.1, setup_s=5.0, finish_s=1.0, epochs=100)
    assert p["groups"] == 53 and p["rounds"] == 2
    assert p["group_s"] == pytest.approx(5.0 + 100 * 19 * 0.1 + 1.0)
    assert p["training_s"] == pytest.approx(2 * p["group_s"])
    assert cluster.project(64, 8, 8, 1.0, 0.0, 0.0, 1)["rounds"] == 1


def test_scatter_estimate_grows_with_the_tree_copys_rounds():
    one = cluster.scatter_estimate(1.25e9, 1)
    assert one == pytest.approx(2.0)  # client -> scheduler -> worker, 1 s a hop
    assert cluster.scatter_estimate(1.25e9, 3) == pytest.approx(4.0)  # one round: two copies
    assert cluster.scatter_estimate(1.25e9, 32) == pytest.approx(2.0 + 2 * math.ceil(math.log(32, 3)))


def test_dask_tasks_counts_only_training_tasks_and_their_workers():
    stream = [("batch_of__train_shipped_3_calls-ab", "w1"), ("ship_group-cd", "w2"), ("other-ef", "w3")]
    assert cluster.dask_tasks(stream) == (2, 2)


def test_tables_render_markdown():
    text = cluster.table(["a", "b"], [cluster.row(1, 2)])
    assert text.splitlines() == ["| a | b |", "| --- | --- |", "| 1 | 2 |"]
    assert cluster.table(["a"], []) == ""
    assert cluster.runs([1.0, 3.0, 2.0]) == "2.00 (1.00, 3.00, 2.00)" and cluster.runs([1.5]) == "1.50"
