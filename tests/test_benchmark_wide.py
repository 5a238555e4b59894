"""Smoke tests of the wide-table benchmarks: the CSV, the progress bar and /usr/bin/time read, probe, profile."""

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

import wide_command  # noqa: E402
import wide_profile  # noqa: E402
from deepfeat.data import load_dataset  # noqa: E402


def test_the_csv_has_four_decimals_and_loads(tmp_path):
    path = wide_command.write_csv(tmp_path / "w.csv", 30, 7)
    lines = path.read_text().splitlines()
    assert lines[0] == "x0,x1,x2,x3,x4,x5,x6,label" and len(lines) == 31
    assert all(len(cell.split(".")[1]) == 4 for cell in lines[1].split(",")[:-1])
    data = load_dataset(path)
    assert data.X.shape == (30, 7) and set(np.unique(data.y)) <= {0, 1, 2}


def test_epoch_ends_are_read_off_the_progress_bar():
    bar = "\r  0%|          | 0/3 [00:0{}<?, ?model/s{}]"
    writes = [
        (0.5, "Warning: something\n"),
        (10.0, bar.format(0, "")),  # drawn when the first epoch ends
        (12.0, bar.format(2, ", epoch=1, training=3")),  # the end of epoch 2 shows epoch 1
        (14.5, bar.format(4, ", epoch=2, training=3")),
        (14.6, "\r100%|##########| 3/3 [00:04<00:00, epoch=3, training=3]"),  # the group is done
        (20.0, "\r100%|##########| 3/3 [00:10<00:00, epoch=3, training=0]\n"),
    ]
    assert wide_command.epoch_ends(writes, 3, 3) == [10.0, 12.0, 14.5]
    with pytest.raises(RuntimeError, match="read 1 epoch ends"):
        wide_command.epoch_ends(writes[:2], 3, 3)


def test_the_resource_report_of_usr_bin_time():
    text = (
        "\tUser time (seconds): 30.00\n\tSystem time (seconds): 4.61\n\tMaximum resident set size (kbytes): 2048000\n"
    )
    assert wide_command.time_report(text) == {"user_s": 30.0, "system_s": 4.61, "peak_mb": 2000.0}


def test_the_probes_time_an_epoch_of_products_and_of_adam_updates():
    assert 0 < wide_command.probe_epoch(2, 10, 7, 16, 4, 4, repeats=1) < 10
    assert 0 < wide_command.probe_adam(2, 10, 16, 4, 4, repeats=1) < 10


def test_the_profile_sums_the_ops_of_one_epoch(capsys):
    wide_profile.main(["--rows", "60", "--columns", "20", "--models", "2", "--top", "3"])
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("2 models, 60 x 20: epoch ")
    assert len(lines) == 4 and all(line.strip().split()[1] == "s" for line in lines[1:])  # the three largest ops
