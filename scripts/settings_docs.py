"""Write README.md's settings table and .env.example's settings from deepfeat.settings.

    .venv/bin/python scripts/settings_docs.py           # rewrite both in place
    .venv/bin/python scripts/settings_docs.py --check   # exit 1 if either is out of date

Each file keeps its own text around the generated part, which lies between two marker lines.
A test runs the check, so a setting added to the specification fails the tests until this
script has been run.
"""

import argparse
import sys
import textwrap
from pathlib import Path

from deepfeat.settings import SETTINGS

ROOT = Path(__file__).resolve().parents[1]
README_MARKERS = (
    "<!-- settings table: made by scripts/settings_docs.py from src/deepfeat/settings.py -->",
    "<!-- end of settings table -->",
)
ENV_MARKERS = (
    "# --- every setting (made by scripts/settings_docs.py from src/deepfeat/settings.py) ---",
    "# --- end of settings ---",
)
#: Values .env.example sets (uncommented) rather than leaving at their defaults.
ENV_EXAMPLE_VALUES = {"data_file": "Data/wine.data", "attribute_file": "Data/wine.attributes"}
_ALIAS_NOTES = {"csv-folder": "; a value ending in .csv means its folder", "same": ""}


def _aliases(spec):
    return "".join(f" (2021 name: `{name}`{_ALIAS_NOTES[how]})" for name, how in spec.aliases)


def readme_table():
    """The Markdown table of every setting."""
    rows = ["| variable | default | allowed | meaning |", "| --- | --- | --- | --- |"]
    for spec in SETTINGS:
        default = spec.default_text() if spec.default is None else f"`{spec.default_text()}`"
        allowed = (
            spec.range_text().replace("one of: ", "").replace(", ", " \\| ")
            if spec.kind == "choice"
            else spec.range_text()
        )
        rows.append(f"| `{spec.variable}` | {default} | {allowed} | {spec.full_help()}{_aliases(spec)} |")
    return "\n".join(rows)


def env_example():
    """Every setting as ``.env`` lines, each after a comment with its help and default."""
    lines = []
    for spec in SETTINGS:
        text = spec.help_text() + _aliases(spec).replace("`", "")
        comment = text[0].upper() + text[1:]
        lines += textwrap.wrap(comment, 96, initial_indent="# ", subsequent_indent="# ")
        if spec.name in ENV_EXAMPLE_VALUES:
            lines.append(f"{spec.variable}={ENV_EXAMPLE_VALUES[spec.name]}")
        else:
            lines.append(f"# {spec.variable}={'' if spec.default is None else spec.default_text()}")
    return "\n".join(lines)


def _replace_between(text, markers, body, path):
    start, end = markers
    if start not in text or end not in text:
        raise SystemExit(f"{path}: the markers {start!r} and {end!r} are missing")
    before, rest = text.split(start, 1)
    _, after = rest.split(end, 1)
    return f"{before}{start}\n{body}\n{end}{after}"


def updated():
    """``{path: (current text, text as it should be)}`` for both files."""
    result = {}
    for name, markers, body in (
        ("README.md", README_MARKERS, readme_table()),
        (".env.example", ENV_MARKERS, env_example()),
    ):
        path = ROOT / name
        text = path.read_text(encoding="utf-8")
        result[path] = (text, _replace_between(text, markers, body, path))
    return result


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only report whether the files are up to date")
    args = parser.parse_args(argv)
    stale = []
    for path, (current, wanted) in updated().items():
        if current != wanted:
            stale.append(path.name)
            if not args.check:
                path.write_text(wanted, encoding="utf-8")
    if args.check and stale:
        print(f"out of date: {', '.join(stale)}; run scripts/settings_docs.py", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
