"""Shared by the benchmarks that run in parts: the machine's facts, a list that saves as it grows, the loop."""

import datetime
import json
import os
import platform
import subprocess
import time
from dataclasses import asdict
from pathlib import Path


def load_average():
    """The 1-, 5- and 15-minute load averages, as ``"a / b / c"``."""
    return " / ".join(f"{value:.2f}" for value in os.getloadavg())


def commit():
    """The short commit of the checkout, with "+ uncommitted changes" when the tree differs from it."""
    root = Path(__file__).resolve().parents[1]

    def git(*words):
        return subprocess.run(["git", *words], cwd=root, capture_output=True, text=True).stdout.strip()

    short = git("rev-parse", "--short", "HEAD") or "unknown"
    return short + (" + uncommitted changes" if git("status", "--porcelain", "--untracked-files=no") else "")


class SavingList(list):
    """A list that calls ``save()`` after every append, so that an interrupted run keeps what it measured."""

    def __init__(self, save):
        super().__init__()
        self._save = save

    def append(self, item):
        super().append(item)
        self._save()


def measure_parts(mode, runs, skip=(), save=None, log=print, skipped_rows=(), facts=None):
    """Run ``runs[part](mode, rows)`` for each part (in the order of ``runs``) not in ``skip``.

    Returns the rows of every part (``"<part>_rows"``; a skipped part's are ``[]``, or None where
    ``skipped_rows`` names it) and ``"facts"``: the mode, the commit, the machine, the date, the
    load averages before and after, the seconds taken, and the ``facts`` given (a dict). Saved as JSON to
    ``save`` (a path, if given) after every row.
    """
    facts = {
        "mode": asdict(mode),
        "commit": commit(),
        "machine": f"{platform.machine()} {platform.system()} with {os.cpu_count()} CPUs (shared with other work)",
        "load_before": load_average(),
        "date": datetime.date.today().isoformat(),
        **(facts or {}),
    }
    saved = {f"{part}_rows": None if part in skip and part in skipped_rows else [] for part in runs}
    start = time.perf_counter()

    def checkpoint():
        facts.update(seconds=time.perf_counter() - start, load_after=load_average())
        saved["facts"] = facts
        if save is not None:
            save.write_text(json.dumps(saved, indent=1, default=str))

    for part, run in runs.items():
        if part not in skip:
            log(f"part {part} ({(time.perf_counter() - start) / 60:.1f} min so far)")
            saved[f"{part}_rows"] = SavingList(checkpoint)
            run(mode, saved[f"{part}_rows"])
        checkpoint()
    return saved


def add_arguments(parser, parts):
    """The options of a benchmark run in ``parts``: which to skip, where to save and write, or what to render."""
    parser.add_argument("--skip", nargs="*", default=[], choices=parts, help="parts to leave out")
    parser.add_argument("--output", type=Path, help="also write the Markdown report here")
    parser.add_argument("--json", type=Path, help="write every measured row here (as the run goes)")
    parser.add_argument("--report-from", type=Path, help="measure nothing: render the report of a --json file")


def measure_or_render(args, measure, report):
    """The report of ``measure()``, or of the rows saved in ``args.report_from``: printed, written to
    ``args.output`` if given, and returned."""
    saved = json.loads(args.report_from.read_text()) if args.report_from else measure()
    text = report(**saved)
    print(text)
    if args.output:
        args.output.write_text(text)
    return text
