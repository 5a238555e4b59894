"""Write the bundled default dataset, ``Data/wine.data`` and ``Data/wine.attributes``.

The data come from :func:`sklearn.datasets.load_wine`, which ships the UCI
"Wine recognition" data inside scikit-learn, so nothing is downloaded. The
output is deterministic: running the script again rewrites identical files.

Usage::

    python scripts/make_wine_data.py [--out-dir Data]
"""

import argparse
from pathlib import Path

from sklearn.datasets import load_wine

DEFAULT_OUT_DIR = Path(__file__).resolve().parents[1] / "Data"


def clean_name(name):
    """Make a feature name safe for a one-line comma-separated attribute file.

    Parameters
    ----------
    name : str
        Feature name as scikit-learn gives it.

    Returns
    -------
    str
        The name with ``/`` (as in ``od280/od315_...``) replaced by ``_``.
    """
    return name.replace("/", "_")


def write_wine(out_dir):
    """Write ``wine.data`` and ``wine.attributes`` into `out_dir`.

    Parameters
    ----------
    out_dir : pathlib.Path
        Folder to write into; created if missing.

    Returns
    -------
    tuple of pathlib.Path
        Paths of the data file and the attribute file.
    """
    wine = load_wine()
    out_dir.mkdir(parents=True, exist_ok=True)
    data_path = out_dir / "wine.data"
    attr_path = out_dir / "wine.attributes"
    # repr() gives the shortest string that round-trips each float exactly.
    lines = [",".join([*(repr(float(v)) for v in row), str(int(label))]) for row, label in zip(wine.data, wine.target)]
    data_path.write_text("\n".join(lines) + "\n", encoding="utf-8", newline="\n")
    attr_path.write_text(
        ",".join(clean_name(n) for n in wine.feature_names) + "\n",
        encoding="utf-8",
        newline="\n",
    )
    return data_path, attr_path


def main(argv=None):
    """Parse the command line and write the files.

    Parameters
    ----------
    argv : list of str, optional
        Arguments; defaults to ``sys.argv[1:]``.
    """
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out-dir",
        type=Path,
        default=DEFAULT_OUT_DIR,
        help="output folder (default: the repository's Data/)",
    )
    args = parser.parse_args(argv)
    for path in write_wine(args.out_dir):
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
