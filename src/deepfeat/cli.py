"""The ``deepfeat`` command: read settings, ask for the number of models, train, print the ranking.

Exit statuses: 0 success; 2 bad input or settings, or a file or folder that cannot be used (one
line on standard error); 1 an internal error (one line saying where its full trace is); 130
stopped by Ctrl-C (SIGINT) and 143 stopped by SIGTERM, the shell's 128 + signal number. A stop
during training waits for the end of the current epoch and saves the progress first (a second
signal stops at once); running the same command again resumes the run. Warnings are one line
each, without a library's source paths.
"""

import argparse
import logging
import os
import re
import signal
import sys
import tempfile
import threading
import traceback
import warnings
from contextlib import ExitStack, contextmanager

from . import __version__
from .cluster import dask_cluster
from .config import DEBUG_VARIABLE, ENV_VARIABLES, debug_requested, load_settings, parse_n_models, with_n_models
from .errors import DeepfeatError, DeepfeatWarning, NoSkillWarning
from .settings import SETTINGS, elimination_possible, null_models

EXIT_INTERNAL = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 128 + signal.SIGINT
EXIT_TERMINATED = 128 + signal.SIGTERM
_SHOWN_ROWS = 30
_SHOWN_NAMES = 5  # attribute names a warning lists before "and N more"
logger = logging.getLogger(__name__)
_METAVARS = {"int": "N", "float": "X", "bool": "BOOL", "path": "PATH", "column": "COLUMN", "text": "TEXT"}


def build_parser():
    """Command-line flags: one per setting, named after its variable (``N_MODELS`` -> ``--n-models``)."""
    parser = argparse.ArgumentParser(
        prog="deepfeat",
        description=(
            "Rank the attributes of a dataset (for predicting a class, a number or several labels) "
            "by training an ensemble of importance-gated neural networks. Settings come from flags, "
            "then the environment, then .env in the working directory."
        ),
        epilog=(
            "Progress is saved in MODEL_DIR/.deepfeat-run-N/ as training goes: after a crash, kill or "
            "Ctrl-C, run the same command again to continue (--restart discards it and starts over). "
            "Exit status: 0 done, 2 bad input or settings, 130 interrupted (SIGINT), 143 terminated (SIGTERM)."
        ),
    )
    for spec in SETTINGS:
        switch = {"nargs": "?", "const": "true"} if spec.kind == "bool" else {}  # ``--restart`` alone: true
        parser.add_argument(
            spec.flag,
            dest=spec.variable,
            metavar="{" + ",".join(spec.choices) + "}" if spec.choices else _METAVARS[spec.kind],
            # argparse reads % as a format: the help texts hold none, but escape them all the same
            help=(spec.help_text() + f"; variable {spec.variable}").replace("%", "%%"),
            **switch,
        )
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bar or informational messages")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    return parser


def main(argv=None):
    """Run the experiment; returns the exit status (0 success, 2 bad input, 130 SIGINT, 143 SIGTERM)."""
    args = build_parser().parse_args(argv)
    _quiet_tensorflow()
    console = logging.StreamHandler()
    console.setFormatter(_ConsoleFormatter("%(message)s"))
    logging.basicConfig(level=logging.WARNING if args.quiet else logging.INFO, handlers=[console])
    overrides = {name: value for name, value in vars(args).items() if name in ENV_VARIABLES}
    with _StopSignals() as signals, _console_warnings():
        try:
            return _run(overrides, args.quiet, signals)
        except DeepfeatError as error:
            print(f"deepfeat: error: {error}", file=sys.stderr)
            return EXIT_USAGE
        except KeyboardInterrupt:
            _print_interrupted(signals.checkpoint)
            return EXIT_TERMINATED if signals.received == signal.SIGTERM else EXIT_INTERRUPTED
        except OSError as error:  # the environment: a file or folder that went away, a full disk
            where = f"{error.filename}: " if error.filename is not None else ""
            print(f"deepfeat: error: {where}{error.strerror or error}", file=sys.stderr)
            return EXIT_USAGE
        except MemoryError:
            print(
                "deepfeat: error: out of memory; set a smaller MEMORY_BUDGET_MB (--memory-budget-mb), "
                "or train on fewer rows or attributes",
                file=sys.stderr,
            )
            return EXIT_USAGE
        except Exception as error:  # a bug: say where the trace is rather than print it
            print(f"deepfeat: internal error: {_internal_error_text(error)}", file=sys.stderr)
            return EXIT_INTERNAL


class _ConsoleFormatter(logging.Formatter):
    """Log records as their message alone, warnings marked ``Warning:`` like the readout's."""

    def format(self, record):
        text = super().format(record)
        return f"Warning: {text}" if record.levelno == logging.WARNING else text


def _internal_error_text(error):
    """What an internal error was and where its full trace is (printed above with DEEPFEAT_DEBUG)."""
    trace = traceback.format_exc()
    text = str(error).strip()
    what = f"{type(error).__name__}: {text.splitlines()[0]}" if text else type(error).__name__
    if debug_requested():
        print(trace, end="", file=sys.stderr)
        return f"{what} (a bug in deepfeat: please report it with the trace above)"
    try:
        with tempfile.NamedTemporaryFile("w", prefix="deepfeat-error-", suffix=".txt", delete=False) as handle:
            handle.write(trace)
        saved = f"the full trace is in {handle.name}, and {DEBUG_VARIABLE}=1 prints it"
    except OSError:
        saved = f"run again with {DEBUG_VARIABLE}=1 to see the full trace"
    return f"{what} (a bug in deepfeat: {saved}; please report it)"


@contextmanager
def _console_warnings():
    """While active, each warning is one line on standard error, without a library's source path.

    deepfeat's own (:class:`~deepfeat.errors.DeepfeatWarning`) read ``Warning: ...``; another
    library's say which library. With DEEPFEAT_DEBUG set, warnings show as Python shows them.
    """
    if debug_requested():
        yield
        return
    previous = warnings.showwarning

    def show(message, category, filename, lineno, file=None, line=None):
        text = " ".join(str(message).split()) or category.__name__
        if not issubclass(category, DeepfeatWarning):
            library = re.search(r"site-packages[/\\]([A-Za-z0-9_]+)", str(filename))
            text = f"({library[1] if library else 'Python'}, {category.__name__}) {text}"
        print(f"Warning: {text}", file=file or sys.stderr)

    warnings.showwarning = show
    try:
        yield
    finally:
        warnings.showwarning = previous


class _StopSignals:
    """While active, SIGINT and SIGTERM stop the run cleanly.

    During training the first signal asks training to save and stop at the end of the epoch;
    otherwise, or on a second signal, KeyboardInterrupt is raised at once. The previous
    handlers are restored on exit.
    """

    def __init__(self):
        from .training import StopRequest  # NumPy only: the handlers are set before TensorFlow loads

        self.stop = StopRequest()
        self.checkpoint = None  # set once the run's checkpoint is open, for the message
        self.received = None
        self._previous = {}

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():  # only it may set handlers
            for signum in (signal.SIGINT, signal.SIGTERM):
                self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(self, *exc):
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)

    def _handle(self, signum, frame):
        self.received = signum
        if self.stop.training and not self.stop.requested:
            self.stop.request(signum)
        else:
            raise KeyboardInterrupt


def _print_interrupted(checkpoint):
    saved = checkpoint.saved_progress() if checkpoint is not None else {"n_models": None}
    if saved["n_models"] is None:
        print("deepfeat: interrupted", file=sys.stderr)
        return
    print(
        f"Interrupted: {saved['finished']} of {saved['n_models']} models finished, progress saved in "
        f"{checkpoint.folder}; run the same command again to resume.",
        file=sys.stderr,
    )


def _run(overrides, quiet, signals):
    settings = load_settings(overrides)
    # Imported here so that --help and configuration errors answer without loading TensorFlow.
    with _native_stderr_muted():
        from .experiment import load_data

    dataset = load_data(settings)
    from .experiment import finish_interrupted_results  # loaded above

    for n_models in finish_interrupted_results(settings):
        logger.info("Finished moving the results of an interrupted run of %d model(s) into place.", n_models)
    for line in _data_warnings(dataset, settings.normalization):
        logger.warning(line)
    print(_task_line(dataset))
    with ExitStack() as cluster:
        if settings.dask_scheduler_address is not None:  # connect before asking anything
            print(f"Training on {cluster.enter_context(dask_cluster(settings.dask_scheduler_address))}.")
        return _train(settings, dataset, quiet, signals)


def _train(settings, dataset, quiet, signals):
    from .experiment import open_checkpoint, run_experiment  # loaded by _run

    if settings.n_models is None:
        settings = with_n_models(settings, _ask_n_models())
    n_models = settings.n_models
    with open_checkpoint(settings, n_models) as checkpoint:  # a live run's folder is refused here
        signals.checkpoint = checkpoint
        print(
            f"Training {n_models} model(s) on {dataset.source}: {dataset.X.shape[0]} rows, "
            f"{dataset.X.shape[1]} attributes{_encoding_text(dataset, settings)}, {_target_text(dataset)}"
            + (f" ({dataset.n_dropped} rows with missing values dropped)" if dataset.n_dropped else "")
        )
        if settings.decisions:
            print(
                f"Deciding which attributes matter: {null_models(n_models)} more models train on shuffled labels, "
                "as what noise looks like."
            )
        with _ProgressBar(disable=quiet) as bar, warnings.catch_warnings():
            warnings.simplefilter("ignore", NoSkillWarning)  # the readout says it in its own words
            result = run_experiment(
                settings, dataset, n_models, progress=bar.update, checkpoint=checkpoint, stop=signals.stop
            )
    _print_result(result)
    return 0


def _encoding_text(dataset, settings):
    """What the encoders do beyond the paper's numbers, e.g. `` (2 categorical: cp, thal; 1 with missing cells)``."""
    parts = []
    for what, columns in (("categorical", dataset.categorical), ("with missing cells, imputed", dataset.missing)):
        names = [name for name, on in zip(dataset.feature_names, columns) if on]
        if names:
            more = f" and {len(names) - _SHOWN_NAMES} more" if len(names) > _SHOWN_NAMES else ""
            parts.append(f"{len(names)} {what}: {', '.join(names[:_SHOWN_NAMES])}{more}")
    if settings.numeric_encoding == "piecewise":
        parts.append(f"numeric ones in {settings.piecewise_bins} piecewise-linear bins")
    return f" ({'; '.join(parts)})" if parts else ""


def _data_warnings(dataset, normalization):
    """Lines about attributes the networks cannot learn from, with what to change."""
    from .preprocessing import scaling_problems

    problems = scaling_problems(dataset.X, normalization)
    lines = []
    if len(problems.constant):
        subject, them, their = _attributes(dataset, problems.constant, "has", "have")
        lines.append(
            f"{subject} the same value on every row: the networks cannot learn from {them}, so "
            f"{their} rank is chance. Remove {them} from the data file."
        )
    for shows, advice in (
        (False, "rescale {them} in the data file (subtract a typical value, or change the unit): no NORMALIZATION can"),
        (True, "NORMALIZATION=standard (--normalization standard) rescales {them}"),
    ):
        unseen = problems.unseen[problems.standard_shows == shows]
        if len(unseen):
            subject, them, their = _attributes(dataset, unseen, "varies", "vary")
            lines.append(
                f"{subject} too little for {their} size for NORMALIZATION={normalization} to rescale, "
                f"so the networks see {them} as constant; {advice.format(them=them)}."
            )
    return lines


def _attributes(dataset, indices, singular, plural):
    """The subject of a warning about the attributes at ``indices`` (with the verb), and its pronouns."""
    names = [dataset.feature_names[i] for i in indices]
    if len(names) == 1:
        return f"attribute {names[0]!r} {singular}", "it", "its"
    more = f" and {len(names) - _SHOWN_NAMES} more" if len(names) > _SHOWN_NAMES else ""
    return f"{len(names)} attributes ({', '.join(names[:_SHOWN_NAMES])}{more}) {plural}", "them", "their"


def _task_line(dataset):
    """Which task the run does and why, and how to choose another."""
    if dataset.task_reason.startswith("TASK="):
        return f"Task: {dataset.task} ({dataset.task_reason})."
    others = "/".join(task for task in ("classification", "regression") if task != dataset.task)
    if dataset.task == "multilabel":
        return f"Task: multilabel, as {dataset.task_reason} are named."
    return f"Task: {dataset.task}, as {dataset.task_reason}; set TASK={others} (--task) to override."


def _target_text(dataset):
    if dataset.task == "regression":
        return f"numeric label {dataset.label_name!r}"
    if dataset.task == "multilabel":
        positives = ", ".join(f"{name}={value}" for name, value in zip(dataset.label_names, dataset.positive_values))
        return f"{len(dataset.label_names)} labels (counted as 1: {positives})"
    return f"{len(set(dataset.y.tolist()))} classes"


def _ask_n_models():
    print("How many models to train? ", end="", flush=True)
    line = sys.stdin.readline()
    if not line:
        print()
        raise DeepfeatError("no number of models given: answer the prompt or set N_MODELS")
    return parse_n_models(line)


class _ProgressBar:
    """tqdm bar over finished models, showing the epoch and how many models still train.

    Drawn at the first progress report, so that a refusal before training (a checkpoint of
    other settings) is the only line on the terminal.
    """

    def __init__(self, disable):
        self.disable = disable
        self.bar = None

    def update(self, finished, n_models, epoch, n_training):
        if self.bar is None:
            from tqdm import tqdm

            self.bar = tqdm(total=n_models, unit="model", disable=self.disable, file=sys.stderr, dynamic_ncols=True)
        if self.bar.total != n_models:  # recursive elimination trains n_models per round
            self.bar.total = n_models
        self.bar.update(finished - self.bar.n)
        self.bar.set_postfix(epoch=epoch, training=n_training, refresh=False)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.bar is not None:
            self.bar.close()


def _print_result(result):
    from .elimination import round_sizes

    ranking = result.ranking
    shown = ranking.head(_SHOWN_ROWS)
    width = max(len("attribute"), *(len(name) for name in shown["attribute"]))
    decided = "decision" in ranking
    print()
    print(
        f"{'rank':>4}  {'attribute':<{width}}  {'importance':>10}  {'95% interval':>17}  {'mean rank':>9}"
        + ("  decision   p-value" if decided else "")
    )
    for row in shown.itertuples():
        interval = f"{row.ci_low:.4f}-{row.ci_high:.4f}"
        print(
            f"{row.rank:>4}  {row.attribute:<{width}}  {row.importance:>10.4f}  {interval:>17}  {row.mean_rank:>9.1f}"
            + (f"  {row.decision:<9}  {row.p_value:>7.2g}" if decided else "")
        )
    if len(ranking) > _SHOWN_ROWS:
        print(f"... {len(ranking) - _SHOWN_ROWS} more in {result.paths.ranking_csv}")
    estimator = result.estimator
    rounds = estimator.elimination_.rounds
    if len(rounds) == 1:
        print(f"\nUniform importance would be {1 / len(ranking):.4f}.")
    else:
        sizes = ", ".join(str(len(features)) for features, _ in rounds)
        print(
            f"\nRecursive elimination: {len(rounds)} rounds on {sizes} attributes; "
            "an attribute kept for more rounds ranks higher."
        )
    # Elimination could help only if it is off, allowed, and would run a second round here.
    could_eliminate = (
        len(rounds) == 1 and elimination_possible(estimator.normalization) and len(round_sizes(len(ranking), 0.5)) > 1
    )
    for line in _trust_lines(
        estimator.validation_skill_, result.stability, len(estimator.importances_), could_eliminate
    ):
        print(line)
    if estimator.decision_result_ is not None:
        first = " (made in the first round, on every attribute)" if len(rounds) > 1 else ""
        print(f"Decisions{first}: {estimator.decision_result_.summary()}.")
    paths = result.paths
    print("\nResults:")
    for label, path in (
        ("importance weights", paths.weights_csv),
        ("ranking table", paths.ranking_csv),
        ("ranking plot", paths.ranking_png),
        ("training logs", paths.logs_json),
    ):
        print(f"  {label:<19} {path}")
    if result.model_files:
        print(f"  {'models':<19} {paths.model_dir} ({len(result.model_files)} files, {result.model_files[0].name} ...)")


def _trust_lines(skill, stability, n_models, could_eliminate):
    """The readout's lines on whether to trust the ranking: did the networks learn, is it stable."""
    return _skill_lines(skill) + _stability_lines(stability, n_models, could_eliminate, skill.at_chance)


def _skill_lines(skill):
    if skill.value != skill.value:  # NaN: no validation split could be scored
        return [f"Validation {skill.metric}: not available (no validation split could be scored)."]
    lines = [
        f"Validation {skill.metric} of the networks (each on its held-out rows): {skill.value:.3f} "
        f"(chance {skill.chance:g})"
    ]
    if skill.at_chance:
        lines.append(
            f"Warning: the networks predict their held-out rows no better than chance "
            f"({skill.chance:g} +/- {skill.sd:.3f}), so this ranking is not backed by anything they learned and "
            "may be noise. More models will not help: the attributes may not predict the label, or "
            "there are too few rows for the networks to find how they do."
        )
    return lines


def _stability_lines(stability, n_models, could_eliminate, at_chance):
    """The readout's lines about split-half stability, with advice when it is low."""
    from .importance import STABLE_SPEARMAN

    if stability != stability:  # NaN: fewer than two models, or a single attribute
        return [f"Split-half stability: needs at least {'2 models' if n_models < 2 else '2 attributes'}."]
    lines = [f"Split-half stability (Spearman between the two halves of the ensemble): {stability:.3f}"]
    if stability < STABLE_SPEARMAN and not at_chance:  # averaging more noise would not help
        lines.append(
            "Stability is low: another run may rank the attributes differently. "
            f"Train more models (now {n_models}; try {max(4 * n_models, 20)})."
        )
        if could_eliminate:
            # In BENCHMARKS.md elimination raised precision@k and stability over one ensemble.
            lines.append("Or try ELIMINATION_KEEP=0.5 (recursive elimination; about 3 times the training time).")
    return lines


def _quiet_tensorflow():
    # TensorFlow's C++ start-up chatter is noise on a terminal (level 2 no longer hides it);
    # users who want it can set TF_CPP_MIN_LOG_LEVEL themselves.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    logging.getLogger("tensorflow").setLevel(logging.ERROR)


@contextmanager
def _native_stderr_muted():
    """Point file descriptor 2 at /dev/null for the block, unless TensorFlow's C++ logs are wanted.

    Importing TensorFlow prints oneDNN and CPU-feature notices from C++ before its logging is set
    up, whatever TF_CPP_MIN_LOG_LEVEL says. Python exceptions still surface after the block.
    """
    if os.environ.get("TF_CPP_MIN_LOG_LEVEL") in ("0", "1"):  # info or warnings asked for
        yield
        return
    sys.stderr.flush()
    try:
        saved = os.dup(2)
    except OSError:  # no file descriptor 2 to mute
        yield
        return
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def console_main():
    """Entry point of the ``deepfeat`` console script."""
    sys.exit(main())
