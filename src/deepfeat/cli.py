"""The ``deepfeat`` command: read settings, ask for the number of models, train, print the ranking."""

import argparse
import logging
import os
import sys

from . import __version__
from .config import ENV_VARIABLES, load_settings, parse_n_models
from .errors import DeepfeatError

EXIT_USAGE = 2
EXIT_INTERRUPTED = 130
_SHOWN_ROWS = 30


def build_parser():
    """Command-line flags: one per setting, named after its variable (``N_MODELS`` -> ``--n-models``)."""
    parser = argparse.ArgumentParser(
        prog="deepfeat",
        description=(
            "Rank the attributes of a classification dataset by training an ensemble of "
            "importance-gated neural networks. Settings come from flags, then the environment, "
            "then .env in the working directory."
        ),
    )
    for variable in ENV_VARIABLES:
        parser.add_argument(
            "--" + variable.lower().replace("_", "-"),
            dest=variable,
            metavar="VALUE",
            help=f"overrides {variable}",
        )
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bar or informational messages")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    return parser


def main(argv=None):
    """Run the experiment; returns the exit status (0 success, 2 bad input, 130 interrupted)."""
    args = build_parser().parse_args(argv)
    _quiet_tensorflow()
    logging.basicConfig(level=logging.WARNING if args.quiet else logging.INFO, format="%(message)s")
    overrides = {name: value for name, value in vars(args).items() if name in ENV_VARIABLES}
    try:
        return _run(overrides, quiet=args.quiet)
    except DeepfeatError as error:
        print(f"deepfeat: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("deepfeat: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


def _run(overrides, quiet):
    settings = load_settings(overrides)
    # Imported here so that --help and configuration errors answer without loading TensorFlow.
    from .experiment import load_data, run_experiment

    dataset = load_data(settings)
    n_models = settings.n_models if settings.n_models is not None else _ask_n_models()
    print(
        f"Training {n_models} model(s) on {dataset.source}: {dataset.X.shape[0]} rows, "
        f"{dataset.X.shape[1]} attributes, {len(set(dataset.y.tolist()))} classes"
        + (f" ({dataset.n_dropped} rows with missing values dropped)" if dataset.n_dropped else "")
    )
    with _ProgressBar(n_models, disable=quiet) as bar:
        result = run_experiment(settings, dataset, n_models, progress=bar.update)
    _print_result(result)
    return 0


def _ask_n_models():
    print("How many models to train? ", end="", flush=True)
    line = sys.stdin.readline()
    if not line:
        print()
        raise DeepfeatError("no number of models given: answer the prompt or set N_MODELS")
    return parse_n_models(line)


class _ProgressBar:
    """tqdm bar over finished models, showing the epoch and how many models still train."""

    def __init__(self, n_models, disable):
        from tqdm import tqdm

        self.bar = tqdm(total=n_models, unit="model", disable=disable, file=sys.stderr, dynamic_ncols=True)

    def update(self, finished, n_models, epoch, n_training):
        self.bar.update(finished - self.bar.n)
        self.bar.set_postfix(epoch=epoch, training=n_training, refresh=False)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.bar.close()


def _print_result(result):
    ranking = result.ranking
    shown = ranking.head(_SHOWN_ROWS)
    width = max(len("attribute"), *(len(name) for name in shown["attribute"]))
    print()
    print(f"{'rank':>4}  {'attribute':<{width}}  {'importance':>10}  {'95% interval':>17}  {'mean rank':>9}")
    for row in shown.itertuples():
        interval = f"{row.ci_low:.4f}-{row.ci_high:.4f}"
        print(f"{row.rank:>4}  {row.attribute:<{width}}  {row.importance:>10.4f}  {interval:>17}  {row.mean_rank:>9.1f}")
    if len(ranking) > _SHOWN_ROWS:
        print(f"... {len(ranking) - _SHOWN_ROWS} more in {result.paths.ranking_csv}")
    print(f"\nUniform importance would be {1 / len(ranking):.4f}.")
    _print_stability(result.stability, len(result.estimator.importances_))
    paths = result.paths
    print("\nResults:")
    for label, path in (
        ("importance weights", paths.weights_csv),
        ("ranking table", paths.ranking_csv),
        ("ranking plot", paths.ranking_png),
        ("training logs", paths.logs_json),
    ):
        print(f"  {label:<19} {path}")
    print(f"  {'models':<19} {paths.model_dir}")


def _print_stability(stability, n_models):
    from .importance import STABLE_SPEARMAN

    if stability != stability:  # NaN: fewer than two models
        print("Split-half stability: needs at least 2 models.")
        return
    print(f"Split-half stability (Spearman between the two halves of the ensemble): {stability:.3f}")
    if stability < STABLE_SPEARMAN:
        print(
            f"Stability is low: another run may rank the attributes differently. "
            f"Train more models (now {n_models}; try {max(4 * n_models, 20)})."
        )


def _quiet_tensorflow():
    # TensorFlow's C++ start-up chatter is noise on a terminal (level 2 no longer hides it);
    # users who want it can set TF_CPP_MIN_LOG_LEVEL themselves.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    logging.getLogger("tensorflow").setLevel(logging.ERROR)


def console_main():
    """Entry point of the ``deepfeat`` console script."""
    sys.exit(main())
