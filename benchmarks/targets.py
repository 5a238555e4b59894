"""Ranking quality for regression and multi-label targets: deepfeat and the alternatives in one run.

Run with::

    .venv/bin/python benchmarks/targets.py              # the full run: seeds 0, 1, 2 (7-10 minutes on 2 cores)
    .venv/bin/python benchmarks/targets.py --quick      # under 2 minutes: one seed, smaller problems, fewer models
    .venv/bin/python benchmarks/targets.py --seeds 3 4 --output report.md --json rows.json
    .venv/bin/python benchmarks/targets.py --report-from rows.json   # re-render a saved run

LassoNet (LassoNetRegressor) is scored on the regression problems when an interpreter that can
import ``lassonet`` is found, as in ``quality.py`` (``--lassonet-python`` or $LASSONET_PYTHON;
see BENCHMARKS.md), and left out otherwise and in quick mode.

Four parts, every method on the same data in the same run:

1. Regression problems whose relevant columns are known (Friedman #1 padded with noise columns;
   ``x1 x2 + sin(x3)`` among standard-normal columns): AUROC of each method's importance scores
   against the truth and precision at k (k = number relevant), as ``quality.py`` scores its
   classification problems. Baselines: random-forest impurity and held-out permutation
   importance, mutual information, LassoNet.
2. Diabetes (``load_diabetes``): each method ranks the columns on the training rows of a
   random split; a RidgeCV on the top k of them is scored by R² on the test rows.
3. Multi-label: ``make_multilabel_classification``'s features (all informative, see
   :func:`multilabel`) beside twice as many noise columns independent of the labels, scored like
   part 1 against a multi-output random forest's impurity and mutual information averaged over
   the labels.
4. Did the networks learn? deepfeat's ``validation_skill_`` (R² or AUROC against chance) on
   every problem, and on every problem again with the target shuffled against the rows, where
   it must be flagged (``at_chance``, with a :class:`deepfeat.errors.NoSkillWarning`).

deepfeat is the scikit-learn estimators (``DeepFeatureImportanceRegressor``, and
``DeepFeatureImportance`` with a 0/1 label matrix) at the library's defaults except the
benchmark's documented fast setting of ``quality.py`` (Adam's learning rate 1e-3, epoch cap
500) and the number of networks. The report (Markdown) goes to standard output; progress goes
to standard error.
"""

import argparse
import datetime
import json
import os
import platform
import time
import warnings
from dataclasses import asdict, dataclass, replace
from pathlib import Path

# Before TensorFlow loads: keep its start-up chatter out of the report.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
from sklearn.datasets import load_diabetes, make_friedman1, make_multilabel_classification  # noqa: E402
from sklearn.ensemble import RandomForestRegressor  # noqa: E402
from sklearn.feature_selection import mutual_info_regression  # noqa: E402
from sklearn.inspection import permutation_importance  # noqa: E402
from sklearn.linear_model import RidgeCV  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

import baselines  # noqa: E402
import metrics  # noqa: E402
import quality  # noqa: E402
import runs  # noqa: E402
import synthetic  # noqa: E402
import variants  # noqa: E402
from deepfeat import DeepFeatureImportance, DeepFeatureImportanceRegressor  # noqa: E402
from deepfeat.errors import NoSkillWarning  # noqa: E402

DEEPFEAT = quality.DEEPFEAT
#: deepfeat's settings beside the library defaults: the benchmark's fast setting (``variants.py``).
DEEPFEAT_SETTINGS = {"learning_rate": variants.BENCH_LEARNING_RATE, "max_epochs": variants.BENCH_MAX_EPOCHS}
FOREST = "RF impurity"
DIABETES_TEST_SHARE = 0.3
RIDGE_ALPHAS = np.logspace(-3, 3, 13)
log, timed, _mean, _cell, _table, _methods, _verdict = (
    quality.log,
    quality.timed,
    quality._mean,
    quality._cell,
    quality._table,
    quality._methods,
    quality._verdict,
)


@dataclass(frozen=True)
class Mode:
    """How much of the benchmark to run."""

    name: str
    seeds: tuple
    n_models: int
    n_rows: int  # rows of the generated problems
    diabetes_ks: tuple
    lassonet: bool


FULL = Mode(name="full", seeds=(0, 1, 2), n_models=20, n_rows=1000, diabetes_ks=(2, 4, 6), lassonet=True)
QUICK = Mode(name="quick", seeds=(0,), n_models=6, n_rows=500, diabetes_ks=(2, 4, 6), lassonet=False)


# --- problems ----------------------------------------------------------------------------------
def _permuted(name, X, y, relevant, family, rng):
    """``synthetic.Problem`` with the columns in a random order (``y`` left as it is: numbers or a label matrix)."""
    order = rng.permutation(X.shape[1])  # new column j holds old column order[j]
    return synthetic.Problem(name, X[:, order], y, np.flatnonzero(np.isin(order, relevant)), family)


def friedman(n_samples=1000, seed=0, n_features=50, noise=1.0):
    """Friedman #1: y = 10 sin(pi x1 x2) + 20 (x3 - 0.5)² + 10 x4 + 5 x5 + N(0, noise²), X ~ U(0, 1).

    ``make_friedman1`` draws the other ``n_features - 5`` columns as independent U(0, 1) noise;
    5 relevant.
    """
    rng = np.random.default_rng(seed)
    X, y = make_friedman1(n_samples, n_features, noise=noise, random_state=int(rng.integers(2**31 - 1)))
    return _permuted("Friedman #1", X, y, np.arange(5), "regression", rng)


def interaction(n_samples=1000, seed=0, n_features=30, noise=0.5):
    """y = x1 x2 + sin(x3) + N(0, noise²) among ``n_features`` standard-normal columns; 3 relevant.

    The product has no marginal effect in either of its columns, so a ranking that scores one
    column at a time misses both.
    """
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n_samples, n_features))
    y = X[:, 0] * X[:, 1] + np.sin(X[:, 2]) + rng.normal(0.0, noise, n_samples)
    return _permuted("x1 x2 + sin(x3)", X, y, np.arange(3), "regression", rng)


def multilabel(n_samples=1000, seed=0, n_informative=10, n_noise=20, n_labels=5):
    """``make_multilabel_classification`` features beside independent noise columns of the same kind.

    The generator draws, for every label, a distribution over all its features (each one's
    probability uniform at random, then normalised), and a row's feature counts from the
    distributions of the labels it has: every one of its ``n_informative`` features is
    informative. Each noise column is a row-permuted copy of one of them, so it has the same
    distribution (counts) and none of the dependence: only the dependence on the labels tells
    the two kinds apart. Rows with no label are allowed; the label matrix is 0/1,
    shape (n_samples, n_labels).
    """
    rng = np.random.default_rng(seed)
    X, Y = make_multilabel_classification(
        n_samples,
        n_informative,
        n_classes=n_labels,
        n_labels=2,
        random_state=int(rng.integers(2**31 - 1)),
    )
    copies = rng.integers(n_informative, size=n_noise)
    noise = np.column_stack([rng.permutation(X[:, j]) for j in copies])
    name = f"multi-label ({n_labels} labels, {n_informative} + {n_noise} cols)"
    return _permuted(name, np.hstack([X, noise]), Y.astype(np.int64), np.arange(n_informative), "multi-label", rng)


def problems(mode):
    """The scored problems, each a function ``make(seed) -> Problem``."""
    n = mode.n_rows
    return [lambda s: friedman(n, s), lambda s: interaction(n, s), lambda s: multilabel(n, s)]


# --- methods -----------------------------------------------------------------------------------
def _regression_forest(seed):
    return RandomForestRegressor(n_estimators=baselines.N_TREES, random_state=seed, n_jobs=1)


def rf_impurity_regression(X, y, seed):
    """Mean decrease in impurity (variance) of a random forest fitted on all rows."""
    return _regression_forest(seed).fit(X, y).feature_importances_


def rf_permutation_regression(X, y, seed):
    """Drop in held-out R² when a column is permuted (forest on 70 % of the rows; 3 repeats, as for classes)."""
    X_fit, X_held, y_fit, y_held = train_test_split(X, y, test_size=0.3, random_state=seed)
    forest = _regression_forest(seed).fit(X_fit, y_fit)
    return permutation_importance(forest, X_held, y_held, n_repeats=3, random_state=seed, n_jobs=1).importances_mean


def mutual_information_regression(X, y, seed):
    """Nearest-neighbour estimate of each column's mutual information with the target."""
    return mutual_info_regression(X, y, random_state=seed)


def mutual_information_labels(X, Y, seed):
    """``baselines.mutual_information`` of each label, averaged over the labels."""
    return np.mean([baselines.mutual_information(X, Y[:, k], seed) for k in range(Y.shape[1])], axis=0)


#: Baselines for a numeric target, each ``(X, y, seed) -> scores``.
REGRESSION_BASELINES = {
    FOREST: rf_impurity_regression,
    "RF permutation": rf_permutation_regression,
    "mutual information": mutual_information_regression,
}
#: Baselines for a 0/1 label matrix: ``baselines.rf_impurity`` fits a multi-output forest on it.
MULTILABEL_BASELINES = {FOREST: baselines.rf_impurity, "mutual information": mutual_information_labels}


def fit_deepfeat(X, y, seed, n_models, regression, **changes):
    """deepfeat's regressor (``regression``) or classifier fitted on ``X`` and ``y`` at the benchmark's settings.

    Returns
    -------
    model : fitted estimator
    seconds : float
    warned : bool
        Whether ``fit`` warned with :class:`NoSkillWarning`.
    """
    estimator = DeepFeatureImportanceRegressor if regression else DeepFeatureImportance
    model = estimator(n_models, random_state=seed, **{**DEEPFEAT_SETTINGS, **changes})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", NoSkillWarning)
        model, seconds = timed(model.fit, X, y)
    return model, seconds, any(issubclass(w.category, NoSkillWarning) for w in caught)


def skill_row(model, warned, **facts):
    """The networks' validation skill, as a row of the skill table."""
    skill = model.validation_skill_
    epochs = float(np.mean([record["epochs_run"] for record in model.history_]))
    return {
        **facts,
        "metric": skill.metric,
        "value": skill.value,
        "chance": skill.chance,
        "z": skill.z,
        "at_chance": skill.at_chance,
        "warned": warned,
        "epochs": epochs,
    }


def ranking_row(common, method, scores, seconds, truth):
    """AUROC and precision@k of a baseline's scores, as a row of ``quality.synthetic_tables``."""
    return {
        **common,
        "method": method,
        "seconds": seconds,
        "auroc": metrics.auroc(scores, truth),
        "precision": metrics.precision_at_k(scores, truth),
    }


def _lassonet(X, y, seed, lassonet_python):
    return baselines.LassoNetRun(X, y, seed, lassonet_python, regression=True) if lassonet_python else None


def _shuffled_target(y, seed):
    """``y``'s rows in a random order: the same values (and label combinations), no relation to ``X``."""
    return np.asarray(y)[np.random.default_rng([seed, 1]).permutation(len(y))]


# --- parts 1, 3 and 4: known relevant columns --------------------------------------------------
def run_known(mode, lassonet_python):
    """Rankings scored against the truth, and the skill rows (real and shuffled target) of each problem."""
    ranking_rows, skill_rows = [], []
    for make in problems(mode):
        for seed in mode.seeds:
            problem = make(seed)
            name = problem.name
            regression = problem.family == "regression"
            n_rows, n_columns = problem.X.shape
            log(f"{name} seed {seed}: {n_rows} rows x {n_columns} columns, {len(problem.relevant)} relevant")
            common = {"problem": name, "family": problem.family, "seed": seed}
            lassonet = _lassonet(problem.X, problem.y, seed, lassonet_python) if regression else None
            model, seconds, warned = fit_deepfeat(problem.X, problem.y, seed, mode.n_models, regression)
            scores = metrics.summarise(model.importances_, problem.truth)
            ranking_rows.append({**common, "method": DEEPFEAT, "seconds": seconds, **scores})
            skill_rows.append(skill_row(model, warned, **common, target="real", auroc=scores["auroc"]))
            chosen = REGRESSION_BASELINES if regression else MULTILABEL_BASELINES
            for method, function in chosen.items():
                importance, seconds = timed(function, problem.X, problem.y, seed)
                ranking_rows.append(ranking_row(common, method, importance, seconds, problem.truth))
            if lassonet is not None:
                importance, seconds = lassonet.result()
                ranking_rows.append(ranking_row(common, "LassoNet", importance, seconds, problem.truth))
            log(f"{name} seed {seed}: target shuffled")
            shuffled = _shuffled_target(problem.y, seed)
            model, _, warned = fit_deepfeat(problem.X, shuffled, seed, mode.n_models, regression)
            ranking = metrics.auroc(model.feature_importances_, problem.truth)
            skill_rows.append(skill_row(model, warned, **common, target="shuffled", auroc=ranking))
    return ranking_rows, skill_rows


# --- part 2: diabetes, R² of a ridge on each method's top-k columns ----------------------------
def ridge_r2(X_train, y_train, X_test, y_test, columns):
    """Test R² of a standardised RidgeCV fitted on the training rows' ``columns``."""
    model = make_pipeline(StandardScaler(), RidgeCV(alphas=RIDGE_ALPHAS))
    return float(model.fit(X_train[:, columns], y_train).score(X_test[:, columns], y_test))


def run_diabetes(mode, lassonet_python):
    """Rank on the training rows of each seed's split, score the test R² of a ridge on the top k."""
    data = load_diabetes()
    X, y, names = data.data, data.target, np.asarray(data.feature_names)
    rows, skill_rows = [], []
    for seed in mode.seeds:
        log(f"diabetes seed {seed}")
        train, test = train_test_split(np.arange(len(y)), test_size=DIABETES_TEST_SHARE, random_state=seed)
        X_train, y_train, X_test, y_test = X[train], y[train], X[test], y[test]
        common = {"problem": "diabetes", "family": "regression", "seed": seed}
        lassonet = _lassonet(X_train, y_train, seed, lassonet_python)
        model, seconds, warned = fit_deepfeat(X_train, y_train, seed, mode.n_models, True)
        skill_rows.append(skill_row(model, warned, **common, target="real"))
        rankings = {DEEPFEAT: (model.feature_importances_, seconds)}
        rankings.update({m: timed(f, X_train, y_train, seed) for m, f in REGRESSION_BASELINES.items()})
        if lassonet is not None:
            rankings["LassoNet"] = lassonet.result()
        everything = ridge_r2(X_train, y_train, X_test, y_test, np.arange(X.shape[1]))
        rows.append({"seed": seed, "method": "all columns", "k": X.shape[1], "r2": everything})
        for method, (ranking, seconds) in rankings.items():
            for k in mode.diabetes_ks:
                columns = metrics.top_k(ranking, k)
                r2 = ridge_r2(X_train, y_train, X_test, y_test, columns)
                top = names[columns].tolist()
                rows.append({"seed": seed, "method": method, "k": k, "r2": r2, "seconds": seconds, "columns": top})
        log(f"diabetes seed {seed}: target shuffled")
        model, _, warned = fit_deepfeat(X_train, _shuffled_target(y_train, seed), seed, mode.n_models, True)
        skill_rows.append(skill_row(model, warned, **common, target="shuffled"))
    return rows, skill_rows


# --- report ------------------------------------------------------------------------------------
def diabetes_table(rows, ks):
    """Test R² per method and k, mean over seeds; best per k in bold."""
    if not rows:
        return ""
    methods = [m for m in _methods(rows) if m != "all columns"]
    cells = {(m, k): _mean([r for r in rows if r["method"] == m and r["k"] == k], "r2") for m in methods for k in ks}
    best = {k: max(cells[m, k] for m in methods) for k in ks}
    body = [
        [m, *[f"**{_cell(cells[m, k])}**" if cells[m, k] == best[k] else _cell(cells[m, k]) for k in ks]]
        + [_cell(np.mean([cells[m, k] for k in ks]))]
        for m in methods
    ]
    everything = _mean([r for r in rows if r["method"] == "all columns"], "r2")
    body.append(["all columns", *["" for _ in ks], _cell(everything)])
    largest = [r for r in rows if r["method"] != "all columns" and r["k"] == max(ks)]
    chosen = [[r["seed"], r["method"], ", ".join(r["columns"])] for r in largest]
    return (
        "#### Diabetes: test R² of RidgeCV on each method's top-k columns (mean over seeds; best per k in bold)\n\n"
        f"Ranked on {1 - DIABETES_TEST_SHARE:.0%} of the 442 rows, R² on the other {DIABETES_TEST_SHARE:.0%}; "
        "a new random split per seed.\n\n"
        + _table(["method", *[f"k = {k}" for k in ks], "mean"], body)
        + f"\n\nThe top {max(ks)} columns, most important first:\n\n"
        + _table(["seed", "method", f"top {max(ks)}"], chosen)
    )


def skill_table(rows):
    """Per problem and target (real or shuffled): deepfeat's validation skill and how often it was flagged."""
    body = []
    for problem in dict.fromkeys(r["problem"] for r in rows):
        for target in ("real", "shuffled"):
            chosen = [r for r in rows if r["problem"] == problem and r["target"] == target]
            if not chosen:
                continue
            z = [r["z"] for r in chosen]
            body.append(
                [
                    problem,
                    target,
                    chosen[0]["metric"],
                    _cell(_mean(chosen, "value")),
                    f"{_cell(min(z), 1)} to {_cell(max(z), 1)}",
                    f"{sum(r['at_chance'] for r in chosen)} of {len(chosen)}",
                    f"{sum(r['warned'] for r in chosen)} of {len(chosen)}",
                    _cell(_mean(chosen, "epochs"), 0),
                    _cell(_mean(chosen, "auroc")) if "auroc" in chosen[0] else "",
                ]
            )
    return (
        "#### Did the networks learn? deepfeat's validation skill, real and shuffled target\n\n"
        "R² (chance 0) for a numeric target, mean per-label AUROC (chance 0.5) for the label matrix; "
        "z: standard errors above chance; flagged: `validation_skill_.at_chance` (z < 2); "
        "warned: `fit` emitted `NoSkillWarning`.\n\n"
        + _table(
            [
                "problem",
                "target",
                "metric",
                "validation skill",
                "z (min to max over seeds)",
                "seeds flagged at chance",
                "seeds warned",
                "epochs",
                "ranking AUROC",
            ],
            body,
        )
    )


def targets(ranking_rows, diabetes_rows, skill_rows, ks):
    """Each target with PASS or MISS."""

    def mean_auroc(problem, method):
        return _mean([r for r in ranking_rows if r["problem"] == problem and r["method"] == method], "auroc")

    lines = []
    for family, what in (("regression", "regression"), ("multi-label", "multi-label")):
        names = list(dict.fromkeys(r["problem"] for r in ranking_rows if r["family"] == family))
        misses = [
            f"{p} {mean_auroc(p, DEEPFEAT):.4f} < {mean_auroc(p, FOREST):.4f}"
            for p in names
            if mean_auroc(p, DEEPFEAT) < mean_auroc(p, FOREST)
        ]
        if names:
            lines.append(f"- {what} AUROC >= the random forest's ({FOREST}): {_verdict(misses)}")
    if diabetes_rows:
        misses = []
        for k in ks:
            ours, forest = (
                _mean([r for r in diabetes_rows if r["method"] == m and r["k"] == k], "r2") for m in (DEEPFEAT, FOREST)
            )
            if ours < forest:
                misses.append(f"k = {k}: {ours:.4f} < {forest:.4f}")
        lines.append(f"- diabetes top-k test R² >= RF-impurity-selected columns at every k: {_verdict(misses)}")

    def where(r):
        return f"{r['problem']} seed {r['seed']} (z {r['z']:.1f})"

    flagged = [where(r) for r in skill_rows if r["target"] == "real" and (r["at_chance"] or r["warned"])]
    lines.append(f"- skill check: no real problem flagged at chance: {_verdict(flagged)}")
    for family, what in (("regression", "regression problem"), ("multi-label", "multi-label problem (extra)")):
        shuffled = [r for r in skill_rows if r["target"] == "shuffled" and r["family"] == family]
        missed = [where(r) for r in shuffled if not (r["at_chance"] and r["warned"])]
        if shuffled:
            lines.append(f"- skill check: every shuffled-target {what} flagged and warned: {_verdict(missed)}")
    return "\n".join(lines)


def command_line(mode, seeds):
    """The command that runs ``mode`` with ``seeds``."""
    words = [".venv/bin/python benchmarks/targets.py"] + (["--quick"] if mode.name == "quick" else [])
    if tuple(seeds) != (QUICK if mode.name == "quick" else FULL).seeds:
        words += ["--seeds", *map(str, seeds)]
    return " ".join(words)


def report(ranking_rows, diabetes_rows, skill_rows, facts):
    """The Markdown report of a measured (or saved) run."""
    mode = Mode(**{key: tuple(v) if isinstance(v, list) else v for key, v in facts["mode"].items()})
    if facts["lassonet_python"]:
        lassonet = "included (regression problems and diabetes)"
    else:
        lassonet = "not run (" + ("quick mode" if not mode.lassonet else "lassonet not importable") + ")"
    settings = ", ".join(f"{k}={v:g}" for k, v in DEEPFEAT_SETTINGS.items())
    header = (
        f"Command: `{command_line(mode, mode.seeds)}`; mode {mode.name}; seeds {', '.join(map(str, mode.seeds))}; "
        f"deepfeat: {mode.n_models} models per ensemble, library defaults except {settings}; "
        f"{mode.n_rows} rows per generated problem; run {facts['date']} at commit {facts['commit']} on "
        f"{platform.machine()} {platform.system()} with {os.cpu_count()} CPUs (shared with other work: times are "
        f"indicative); load average (1/5/15 min) {facts['load_before']} before, {facts['load_after']} after; "
        f"total {facts['seconds'] / 60:.1f} min. LassoNet: {lassonet}."
    )
    parts = [
        header,
        "#### Targets\n\n" + targets(ranking_rows, diabetes_rows, skill_rows, mode.diabetes_ks),
        "RF permutation and LassoNet rank the regression problems only (n/a: not run); their means are over those."
        if ranking_rows
        else "",
        quality.synthetic_tables(ranking_rows) if ranking_rows else "",
        diabetes_table(diabetes_rows, mode.diabetes_ks),
        skill_table(skill_rows),
    ]
    return "\n\n".join(p for p in parts if p) + "\n"


def measure(mode, seeds, lassonet_python):
    """Run every part; the rows and facts :func:`report` takes."""
    mode = replace(mode, seeds=tuple(seeds))
    facts = {"mode": asdict(mode), "commit": runs.commit(), "lassonet_python": lassonet_python}
    facts["load_before"] = runs.load_average()
    start = time.perf_counter()
    ranking_rows, skill_rows = run_known(mode, lassonet_python)
    diabetes_rows, diabetes_skill = run_diabetes(mode, lassonet_python)
    facts.update(
        seconds=time.perf_counter() - start, load_after=runs.load_average(), date=datetime.date.today().isoformat()
    )
    return {
        "ranking_rows": ranking_rows,
        "diabetes_rows": diabetes_rows,
        "skill_rows": skill_rows + diabetes_skill,
        "facts": facts,
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="one seed, 500 rows, 6 models (under 2 minutes)")
    parser.add_argument("--seeds", nargs="+", type=int, help="seeds to run (default: 0 1 2; quick: 0)")
    for flag, kind, text in (
        ("--lassonet-python", str, "interpreter with lassonet (default: $LASSONET_PYTHON, else this one if it can)"),
        ("--output", Path, "also write the Markdown report here"),
        ("--json", Path, "write every measured row (and the run's facts) here"),
        ("--report-from", Path, "measure nothing: render the report of a run saved with --json"),
    ):
        parser.add_argument(flag, type=kind, help=text)
    args = parser.parse_args(argv)
    mode = QUICK if args.quick else FULL
    if args.report_from:  # the saved run says its mode and seeds
        saved = json.loads(args.report_from.read_text())
    else:
        lassonet_python = baselines.lassonet_python(args.lassonet_python) if mode.lassonet else None
        if mode.lassonet and lassonet_python is None:
            log("lassonet is not importable (see BENCHMARKS.md for a separate virtualenv); LassoNet left out")
        saved = measure(mode, args.seeds or mode.seeds, lassonet_python)
        if args.json:
            args.json.write_text(json.dumps(saved, indent=1, default=str))
    text = report(**saved)
    print(text)
    if args.output:
        args.output.write_text(text)


if __name__ == "__main__":
    main()
