"""Smoke tests of the decisions benchmark: its Boruta, its scores, its tables and a tiny --quick run."""

import sys
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

import decisions  # noqa: E402


def test_boruta_confirms_the_signal_and_rejects_the_noise():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((200, 6))
    y = (X[:, 1] + X[:, 4] > 0).astype(int)
    words, runs = decisions.boruta(X, y, 0, max_runs=15, n_trees=10)
    assert list(words[[1, 4]]) == ["confirmed", "confirmed"]
    assert "confirmed" not in words[[0, 2, 3, 5]]
    assert 1 <= runs <= 14  # maxRuns 15: at most 14 forests, as the R package counts


def test_discoveries_counts_false_discoveries_and_power():
    truth = np.array([True, True, False, False])
    scores = decisions.discoveries(np.array(["confirmed", "tentative", "confirmed", "rejected"]), truth)
    assert scores == {
        "confirmed": 2,
        "tentative": 1,
        "rejected": 1,
        "false_confirmed": 1,
        "fdp": 0.5,
        "power": 0.5,
    }
    assert decisions.discoveries(np.array(["tentative"] * 4), truth)["fdp"] == 0.0  # nothing confirmed


def test_copies_are_row_permutations_of_real_columns():
    X = np.arange(40, dtype=float).reshape(10, 4)
    padded, sources = decisions.with_copies(X, 6, np.random.default_rng(1))
    assert padded.shape == (10, 10) and np.array_equal(padded[:, :4], X)
    for k, j in enumerate(sources):
        assert sorted(padded[:, 4 + k]) == sorted(X[:, j])


def _rows():
    facts = {
        "mode": asdict(decisions.QUICK),
        "commit": "abc1234",
        "machine": "test",
        "load_before": "1",
        "load_after": "1",
        "date": "2026-12-02",
        "seconds": 60.0,
    }
    real = [
        {
            "dataset": "wine",
            "seed": s,
            "n_real": 13,
            "n_copies": 20,
            "copies_confirmed": int(s == 0),
            "real_confirmed": 5,
            "real_rejected": 1,
            "copies_rejected": 3,
            "seconds": 1.0,
            "val_auroc": 0.9,
            "skill_z": 9.0,
            "at_chance": False,
        }
        for s in range(4)
    ]
    shuffled = [
        {
            "dataset": "wine",
            "seed": 0,
            "n_features": 13,
            "confirmed": 0,
            "raw_confirmed": 1,
            "raw_rejected": 0,
            "seconds": 1.0,
            "val_auroc": 0.5,
            "skill_z": 0.1,
            "at_chance": True,
        }
    ]
    timing = [
        {
            "data": "Cleveland",
            "setting": "benchmark (lr 1e-3)",
            "n_models": 100,
            "repeat": 0,
            "decisions": d,
            "seconds": t,
        }
        for d, t in ((False, 10.0), (True, 13.0))
    ]
    return {"real_rows": real, "shuffled_rows": shuffled, "timing_rows": timing, "facts": facts}


def test_report_tables_and_targets_from_saved_rows():
    truth_rows = [
        {
            "problem": "p",
            "seed": 0,
            "n_features": 10,
            "n_relevant": 2,
            "method": method,
            "seconds": 1.0,
            "fdp": 0.0,
            "power": power,
            "confirmed": 2,
            "tentative": 8,
            "rejected": 0,
            "false_confirmed": 0,
            **extra,
        }
        for method, power, extra in (
            (
                decisions.DEEPFEAT,
                1.0,
                {
                    "val_auroc": 0.9,
                    "skill_z": 8.0,
                    "at_chance": False,
                    "auroc": 1.0,
                    "auroc_without": 1.0,
                    "identical": True,
                    "seconds_without": 0.8,
                },
            ),
            (decisions.BORUTA, 0.5, {"runs": 12}),
        )
    ]
    text = decisions.report(synthetic_rows=truth_rows, **_rows())
    assert "| p | 10 / 2 | 1 of 1 | 0.900 | 0.000 | 1.000 | 2.0/8.0/0.0 | 0.000 | 0.500 | 2.0/8.0/0.0 | 12 |" in text
    assert "| wine | 4 | 13 + 20 | 4 of 4 | 3 of 4 | 0.750 (0.194-0.994) | 1 |" in text
    assert "| wine | 13 | 1 | 1 of 1 | 0.500 | 0 | 1 | 1 of 1 | 0 |" in text
    assert "| Cleveland | benchmark (lr 1e-3) | 100 + 50 | 10.0 | 13.0 | 1.30 | **1.30** |" in text
    assert "Power >= Boruta's on the runs the networks learn (1 runs): mean 1.000 against 0.500: PASS" in text
    assert "No permuted copy confirmed in >= 95% of the real-data runs: 3 of 4 = 75.0%" in text and "MISS" in text
    assert "bit-identical in 1 of 1 checked runs" in text


@pytest.mark.slow
def test_quick_run_end_to_end(capsys):
    text = decisions.main(["--quick", "--skip", "real", "shuffled", "timing"])
    assert capsys.readouterr().out.strip() == text.strip()
    synthetic_table = text.split("#### Synthetic problems")[1].split("####")[0]
    header = next(line for line in synthetic_table.splitlines() if line.startswith("| problem"))
    assert header.count("|") == 12 and "deepfeat FDP" in header and "Boruta power" in header
    assert "| wide (30 cols) | 30 / 3 | " in synthetic_table
    assert "**mean, all problems and seeds**" in synthetic_table
    auroc_table = text.split("#### Ranking AUROC")[1].split("####")[0]
    assert "| wide (30 cols) |" in auroc_table and "| 1 of 1 |" in auroc_table  # the same importances either way
    assert "Average FDP <= alpha" in text
