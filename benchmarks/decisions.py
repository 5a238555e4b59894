"""Decisions benchmark: confirmed, tentative or rejected per attribute, against Boruta, in one run.

Run with ``make bench-decisions`` (the full benchmark, 42 minutes on 2 cores shared with other work) or::

    .venv/bin/python benchmarks/decisions.py --quick      # seconds: tiny problems, the smoke test's path
    .venv/bin/python benchmarks/decisions.py --json rows.json --output report.md
    .venv/bin/python benchmarks/decisions.py --report-from rows.json   # re-render a saved run

What it measures (issue 14), deepfeat at ``alpha`` 0.05 with its null networks
(:mod:`deepfeat.decisions`), every part in the same run:

1. Every synthetic classification problem of ``synthetic.suite()`` (relevant columns known):
   the false-discovery proportion (share of the confirmed attributes that are irrelevant; 0 when
   none is confirmed) and the power (share of the relevant attributes confirmed) of deepfeat's
   decisions and of Boruta on a random forest fitted to the same data, per problem and on
   average; which runs the networks learn (``validation_skill_`` not at chance).
2. Real data that ships with scikit-learn (wine, breast cancer) with 20 extra columns, each a
   row-permuted copy of a real column: every confirmed copy is a false discovery; the share of
   runs with no copy confirmed, with its Clopper-Pearson 95 % interval.
3. The label shuffled against the data: how many attributes are confirmed (must be none), and how
   many the test itself would confirm without the skill check that makes every attribute
   tentative when the networks are at chance.
4. Ranking AUROC (mean importance against the relevant columns) with and without decisions at
   the same ``random_state``, and whether the importances are bit-for-bit the same (the null
   networks get later seeds, so the real networks should not change).
5. Training time with decisions over without (``deepfeat.ensemble.train_ensemble`` with and
   without ``null_models``), interleaved, on Cleveland (``../shared/datasets/cleveland``, at the
   quality benchmark's settings for it: 100 models, benchmark and paper learning rates) and on
   the suite's wide problem.

Boruta is implemented here, following the rule of the R package (Kursa and Rudnicki, "Feature
Selection with the Boruta Package", J. Stat. Softw. 36(11), 2010, and its ``Boruta`` function):
each run adds a row-permuted shadow copy of every attribute not yet rejected (at least five
shadows), fits a random forest, and counts a hit for every attribute whose importance beats the
largest shadow importance; after each run, with ``n`` runs done, an undecided attribute with
``h`` hits is confirmed when ``P(Binom(n, 1/2) >= h)`` and rejected when
``P(Binom(n, 1/2) <= h)``, Bonferroni-adjusted over all attributes, is below ``alpha``; rejected
attributes leave the data, confirmed ones stay; at most ``maxRuns`` = 100 (99 forests), the rest
stay tentative. The importance is the impurity decrease of a 50-tree forest (the R package's
``getImpRfGini`` and BorutaPy's choice) rather than the R default's permutation Z score, to keep
the run in its time budget; ``alpha`` is 0.05 like deepfeat's (the R default is 0.01).

deepfeat is the scikit-learn estimator at the library's defaults except the benchmark's fast
setting of ``quality.py`` (Adam's learning rate 1e-3, epoch cap 500) and 20 networks (so 10 null
networks). The report (Markdown) goes to standard output, progress to standard error.
"""

import argparse
import os
import time
import warnings
from dataclasses import dataclass, replace

# Before TensorFlow loads: keep its start-up chatter out of the report.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
from scipy.stats import beta, binom  # noqa: E402
from sklearn.datasets import load_breast_cancer, load_wine  # noqa: E402
from sklearn.ensemble import RandomForestClassifier  # noqa: E402

import metrics  # noqa: E402
import quality  # noqa: E402
import runs as runs_module  # noqa: E402
import synthetic  # noqa: E402
import variants  # noqa: E402
from deepfeat import DeepFeatureImportance  # noqa: E402
from deepfeat.data import load_dataset  # noqa: E402
from deepfeat.decisions import decide  # noqa: E402
from deepfeat.ensemble import train_ensemble  # noqa: E402
from deepfeat.errors import NoSkillWarning  # noqa: E402
from deepfeat.settings import null_models  # noqa: E402

log, _cell, _table, _verdict = quality.log, quality._cell, quality._table, quality._verdict

ALPHA = 0.05
DEEPFEAT = "deepfeat"
BORUTA = "Boruta (RF)"
TARGET_NO_COPY = 0.95
TARGET_TIME = 1.5
REAL = {"wine": load_wine, "breast cancer": load_breast_cancer}


@dataclass(frozen=True)
class Mode:
    """How much of the benchmark to run."""

    name: str
    seeds: tuple
    check_seeds: tuple  # seeds also trained without decisions (AUROC, identity, time)
    n_models: int
    max_epochs: int
    boruta_runs: int  # Boruta's maxRuns
    boruta_trees: int
    n_copies: int
    real_seeds: tuple
    shuffled: tuple  # datasets trained with the label shuffled
    shuffled_seeds: tuple
    cleveland_models: int
    cleveland_paper: bool  # also time Cleveland at the paper's learning rate
    timing_repeats: int  # interleaved (without, with) pairs on Cleveland at the benchmark's rate and the wide problem
    paper_repeats: int  # the same at the paper's rate (slow)


FULL = Mode(
    name="full",
    seeds=(0, 1, 2),
    check_seeds=(0,),
    n_models=20,
    max_epochs=variants.BENCH_MAX_EPOCHS,
    boruta_runs=100,
    boruta_trees=50,
    n_copies=20,
    real_seeds=tuple(range(10)),
    shuffled=("wine", "breast cancer", "orange skin", "make_classification 2-class"),
    shuffled_seeds=(0, 1),
    cleveland_models=100,
    cleveland_paper=True,
    timing_repeats=2,
    paper_repeats=1,
)
QUICK = Mode(
    name="quick",
    seeds=(0,),
    check_seeds=(0,),
    n_models=5,
    max_epochs=2,
    boruta_runs=8,
    boruta_trees=10,
    n_copies=5,
    real_seeds=(0,),
    shuffled=("wine",),
    shuffled_seeds=(0,),
    cleveland_models=5,
    cleveland_paper=False,
    timing_repeats=1,
    paper_repeats=1,
)


def problems(mode):
    """``(name, make(seed) -> synthetic.Problem)``: the suite, or one tiny wide problem in quick mode."""
    if mode.name == "quick":
        return [("wide (30 cols)", lambda s: synthetic.wide(120, s, 30, 3))]
    return synthetic.suite()


def wide_problem(mode):
    """The suite's wide problem (the one timed)."""
    return next((name, make) for name, make in problems(mode) if name.startswith("wide"))


# --- Boruta ------------------------------------------------------------------------------------
def boruta(X, y, seed, max_runs=100, alpha=ALPHA, n_trees=100):
    """Boruta's decisions with a random forest's impurity importance (see the module docstring).

    Returns
    -------
    decisions : ndarray of str, shape (n_features,)
        "confirmed", "tentative" or "rejected".
    runs : int
        Forests fitted.
    """
    rng = np.random.default_rng(seed)
    n_features = X.shape[1]
    decisions = np.full(n_features, "tentative", dtype=object)
    hits = np.zeros(n_features, dtype=np.int64)
    runs = 0
    while (decisions == "tentative").any() and runs + 1 < max_runs:  # the R code's (runs + 1 -> runs) < maxRuns
        runs += 1
        kept = np.flatnonzero(decisions != "rejected")
        shadows = X[:, kept]
        while shadows.shape[1] < 5:  # at least five shadows
            shadows = np.hstack([shadows, shadows])
        shadows = rng.permuted(shadows, axis=0)  # every shadow column permuted on its own
        forest = RandomForestClassifier(n_trees, random_state=int(rng.integers(2**31 - 1)), n_jobs=1)
        importance = forest.fit(np.hstack([X[:, kept], shadows]), y).feature_importances_
        hits[kept] += importance[: len(kept)] > importance[len(kept) :].max()
        undecided = decisions == "tentative"
        accept = np.minimum(binom.sf(hits - 1, runs, 0.5) * n_features, 1.0) < alpha  # P(Binom >= hits), Bonferroni
        reject = np.minimum(binom.cdf(hits, runs, 0.5) * n_features, 1.0) < alpha
        decisions[undecided & accept] = "confirmed"
        decisions[undecided & reject] = "rejected"
    return decisions, runs


# --- scoring -----------------------------------------------------------------------------------
def discoveries(decisions, truth):
    """Counts, false-discovery proportion and power of ``decisions`` against the boolean ``truth``."""
    decisions, truth = np.asarray(decisions), np.asarray(truth, dtype=bool)
    confirmed = decisions == "confirmed"
    false = int((confirmed & ~truth).sum())
    return {
        "confirmed": int(confirmed.sum()),
        "tentative": int((decisions == "tentative").sum()),
        "rejected": int((decisions == "rejected").sum()),
        "false_confirmed": false,
        "fdp": false / confirmed.sum() if confirmed.any() else 0.0,
        "power": float(confirmed[truth].mean()) if truth.any() else float("nan"),
    }


def fit_deepfeat(X, y, seed, mode, decisions):
    """The estimator fitted at the benchmark's settings, and its wall time."""
    estimator = DeepFeatureImportance(
        mode.n_models,
        decisions=decisions,
        alpha=ALPHA,
        learning_rate=variants.BENCH_LEARNING_RATE,
        max_epochs=mode.max_epochs,
        random_state=seed,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NoSkillWarning)  # read off validation_skill_ instead
        start = time.perf_counter()
        estimator.fit(X, y)
    return estimator, time.perf_counter() - start


def _skill(estimator):
    skill = estimator.validation_skill_
    return {"val_auroc": float(skill.value), "skill_z": float(skill.z), "at_chance": bool(skill.at_chance)}


def run_synthetic(mode, rows=None):
    """One row per (problem, seed, method); deepfeat rows also carry the with/without-decisions check."""
    rows = [] if rows is None else rows  # a SavingList saves the run as it goes
    for name, make in problems(mode):
        for seed in mode.seeds:
            problem = make(seed)
            n_rows, n_columns = problem.X.shape
            log(f"{name} seed {seed}: {n_rows} rows x {n_columns} columns, {len(problem.relevant)} relevant")
            common = {"problem": name, "seed": seed, "n_features": n_columns, "n_relevant": len(problem.relevant)}
            estimator, seconds = fit_deepfeat(problem.X, problem.y, seed, mode, True)
            row = {
                **common,
                "method": DEEPFEAT,
                "seconds": seconds,
                **discoveries(estimator.decisions_, problem.truth),
                **_skill(estimator),
                "auroc": metrics.auroc(estimator.feature_importances_, problem.truth),
            }
            if seed in mode.check_seeds:
                plain, plain_seconds = fit_deepfeat(problem.X, problem.y, seed, mode, False)
                row.update(
                    auroc_without=metrics.auroc(plain.feature_importances_, problem.truth),
                    identical=bool(np.array_equal(plain.importances_, estimator.importances_)),
                    seconds_without=plain_seconds,
                )
            rows.append(row)
            start = time.perf_counter()
            decisions, runs = boruta(problem.X, problem.y, seed, mode.boruta_runs, ALPHA, mode.boruta_trees)
            rows.append(
                {
                    **common,
                    "method": BORUTA,
                    "seconds": time.perf_counter() - start,
                    "runs": runs,
                    **discoveries(decisions, problem.truth),
                }
            )
    return rows


# --- real data with permuted copies ---------------------------------------------------------------
def with_copies(X, n_copies, rng):
    """``X`` and ``n_copies`` row-permuted copies of its columns (drawn without replacement while they last)."""
    sources = rng.choice(X.shape[1], n_copies, replace=n_copies > X.shape[1])
    copies = np.column_stack([rng.permutation(X[:, j]) for j in sources])
    return np.hstack([X, copies]), sources


def run_real(mode, rows=None):
    """One row per (dataset, seed): how many of the permuted copies and of the real columns were confirmed."""
    rows = [] if rows is None else rows  # a SavingList saves the run as it goes
    for name, load in REAL.items():
        X, y = load(return_X_y=True)
        for seed in mode.real_seeds:
            rng = np.random.default_rng(seed)
            padded, _ = with_copies(X.astype(np.float64), mode.n_copies, rng)
            log(f"{name} + {mode.n_copies} permuted copies, seed {seed}")
            estimator, seconds = fit_deepfeat(padded, y, seed, mode, True)
            copy = np.arange(padded.shape[1]) >= X.shape[1]
            confirmed = estimator.decisions_ == "confirmed"
            rows.append(
                {
                    "dataset": name,
                    "seed": seed,
                    "n_real": X.shape[1],
                    "n_copies": mode.n_copies,
                    "copies_confirmed": int(confirmed[copy].sum()),
                    "real_confirmed": int(confirmed[~copy].sum()),
                    "real_rejected": int((estimator.decisions_[~copy] == "rejected").sum()),
                    "copies_rejected": int((estimator.decisions_[copy] == "rejected").sum()),
                    "seconds": seconds,
                    **_skill(estimator),
                }
            )
    return rows


# --- shuffled label ----------------------------------------------------------------------------
def shuffled_data(name, mode, seed):
    if name in REAL:
        X, y = REAL[name](return_X_y=True)
        return X.astype(np.float64), y
    problem = dict(problems(mode))[name](seed)
    return problem.X, problem.y


def run_shuffled(mode, rows=None):
    """One row per (dataset, seed) with the label permuted against the rows."""
    rows = [] if rows is None else rows  # a SavingList saves the run as it goes
    for name in mode.shuffled:
        for seed in mode.shuffled_seeds:
            X, y = shuffled_data(name, mode, seed)
            y = np.random.default_rng(1000 + seed).permutation(y)
            log(f"{name}, label shuffled, seed {seed}")
            estimator, seconds = fit_deepfeat(X, y, seed, mode, True)
            ensemble = estimator.ensemble_
            raw = decide(ensemble.importances, ensemble.null_importances, ALPHA, learned=True)
            rows.append(
                {
                    "dataset": name,
                    "seed": seed,
                    "n_features": X.shape[1],
                    "confirmed": int((estimator.decisions_ == "confirmed").sum()),
                    "raw_confirmed": int((raw.decisions == "confirmed").sum()),
                    "raw_rejected": int((raw.decisions == "rejected").sum()),
                    "seconds": seconds,
                    **_skill(estimator),
                }
            )
    return rows


# --- training time -----------------------------------------------------------------------------
def _timed_pair(X, y, n_models, options, seed, repeats):
    """Interleaved runs of ``train_ensemble`` without and with the null networks; one row per run."""
    out = []
    for repeat in range(repeats):
        order = (0, null_models(n_models)) if repeat % 2 == 0 else (null_models(n_models), 0)
        for extra in order:
            start = time.perf_counter()
            train_ensemble(X, y, n_models, options, seed, null_models=extra)
            out.append({"repeat": repeat, "decisions": extra > 0, "seconds": time.perf_counter() - start})
    return out


def run_timing(mode, rows=None):
    """Rows of (data, setting, repeat, decisions, seconds)."""
    rows = [] if rows is None else rows  # a SavingList saves the run as it goes
    cases = []
    if (quality.CLEVELAND / "processed.cleveland.data").is_file():
        data = load_dataset(quality.CLEVELAND / "processed.cleveland.data", quality.CLEVELAND / "attributes")
        _, codes = np.unique(data.y, return_inverse=True)
        models = mode.cleveland_models
        cases.append(("Cleveland", "benchmark (lr 1e-3)", data.X, codes, models, variants.DEFAULT, mode.timing_repeats))
        if mode.cleveland_paper:
            cases.append(("Cleveland", "paper (lr 1e-4)", data.X, codes, models, variants.PAPER, mode.paper_repeats))
    else:
        log(f"Cleveland data not found under {quality.CLEVELAND}; its timing skipped")
    name, make = wide_problem(mode)
    problem = make(0)
    warm = synthetic.orange_skin(60, 0)  # TensorFlow's one-time start-up, charged to no timed run
    train_ensemble(warm.X, warm.y, 1, replace(variants.base_options(), max_epochs=1), 0)
    cases.append(
        (name, "benchmark (lr 1e-3)", problem.X, problem.y, mode.n_models, variants.DEFAULT, mode.timing_repeats)
    )
    for data_name, setting, X, y, n_models, variant, repeats in cases:
        options = variants.base_options(**variant.changes)
        if mode.name == "quick":
            options = replace(options, max_epochs=mode.max_epochs)
        log(f"timing {data_name}, {setting}, {n_models} models (+{null_models(n_models)} null)")
        for row in _timed_pair(X, np.asarray(y), n_models, options, 0, repeats):
            rows.append({"data": data_name, "setting": setting, "n_models": n_models, **row})
    return rows


# --- report ------------------------------------------------------------------------------------
def _mean(rows, key):
    values = [r[key] for r in rows if r.get(key) is not None and np.isfinite(r[key])]
    return float(np.mean(values)) if values else float("nan")


def clopper_pearson(successes, n, level=0.95):
    """Two-sided exact interval of a binomial share."""
    tail = (1 - level) / 2
    low = 0.0 if successes == 0 else float(beta.ppf(tail, successes, n - successes + 1))
    high = 1.0 if successes == n else float(beta.ppf(1 - tail, successes + 1, n - successes))
    return low, high


def _order(rows, key):
    return list(dict.fromkeys(r[key] for r in rows))


def _counts(chosen):
    return "/".join(_cell(_mean(chosen, k), 1) for k in ("confirmed", "tentative", "rejected"))


def learnt(rows):
    """The (problem, seed) pairs whose networks learnt (validation skill not at chance)."""
    return {(r["problem"], r["seed"]) for r in rows if r["method"] == DEEPFEAT and not r["at_chance"]}


def synthetic_table(rows):
    learned = learnt(rows)
    body = []
    for problem in _order(rows, "problem"):
        ours = [r for r in rows if r["problem"] == problem and r["method"] == DEEPFEAT]
        theirs = [r for r in rows if r["problem"] == problem and r["method"] == BORUTA]
        body.append(
            [
                problem,
                f"{ours[0]['n_features']} / {ours[0]['n_relevant']}",
                f"{sum((problem, r['seed']) in learned for r in ours)} of {len(ours)}",
                _cell(_mean(ours, "val_auroc")),
                _cell(_mean(ours, "fdp")),
                _cell(_mean(ours, "power")),
                _counts(ours),
                _cell(_mean(theirs, "fdp")),
                _cell(_mean(theirs, "power")),
                _counts(theirs),
                _cell(_mean(theirs, "runs"), 0),
            ]
        )
    for label, keep in (
        ("mean, all problems and seeds", lambda r: True),
        ("mean, runs the networks learn", lambda r: (r["problem"], r["seed"]) in learned),
    ):
        ours = [r for r in rows if r["method"] == DEEPFEAT and keep(r)]
        theirs = [r for r in rows if r["method"] == BORUTA and keep(r)]
        body.append(
            [
                f"**{label}**",
                "",
                f"{len(ours)} runs",
                _cell(_mean(ours, "val_auroc")),
                f"**{_cell(_mean(ours, 'fdp'))}**",
                f"**{_cell(_mean(ours, 'power'))}**",
                _counts(ours),
                f"**{_cell(_mean(theirs, 'fdp'))}**",
                f"**{_cell(_mean(theirs, 'power'))}**",
                _counts(theirs),
                _cell(_mean(theirs, "runs"), 0),
            ]
        )
    header = [
        "problem",
        "columns / relevant",
        "networks learn (seeds)",
        "validation AUROC",
        "deepfeat FDP",
        "deepfeat power",
        "deepfeat C/T/R",
        "Boruta FDP",
        "Boruta power",
        "Boruta C/T/R",
        "Boruta forests",
    ]
    return (
        f"#### Synthetic problems: false-discovery proportion and power at alpha {ALPHA:g} (mean over seeds)\n\n"
        "FDP: share of the confirmed attributes that are irrelevant (0 when none is confirmed); power: share "
        "of the relevant attributes confirmed; C/T/R: mean numbers confirmed / tentative / rejected. "
        "A run's networks learn when `validation_skill_` is not at chance.\n\n" + _table(header, body)
    )


def auroc_table(rows):
    ours = [r for r in rows if r["method"] == DEEPFEAT]
    body = []
    for problem in _order(ours, "problem"):
        chosen = [r for r in ours if r["problem"] == problem]
        checked = [r for r in chosen if "identical" in r]
        body.append(
            [
                problem,
                _cell(_mean(chosen, "auroc")),
                _cell(_mean(checked, "auroc")),
                _cell(_mean(checked, "auroc_without")),
                f"{sum(r['identical'] for r in checked)} of {len(checked)}",
                _cell(_mean(checked, "seconds_without"), 1),
                _cell(_mean(checked, "seconds"), 1),
                _cell(_mean(checked, "seconds") / _mean(checked, "seconds_without"), 2),
            ]
        )
    checked = [r for r in ours if "identical" in r]
    body.append(
        [
            "**mean**",
            _cell(_mean(ours, "auroc")),
            _cell(_mean(checked, "auroc")),
            _cell(_mean(checked, "auroc_without")),
            f"{sum(r['identical'] for r in checked)} of {len(checked)}",
            _cell(_mean(checked, "seconds_without"), 1),
            _cell(_mean(checked, "seconds"), 1),
            _cell(_mean(checked, "seconds") / _mean(checked, "seconds_without"), 2),
        ]
    )
    seeds = ", ".join(str(s) for s in sorted({r["seed"] for r in checked}))
    header = [
        "problem",
        "AUROC with decisions (all seeds)",
        f"AUROC with (seed {seeds})",
        f"AUROC without (seed {seeds})",
        "importances bit-identical",
        "seconds without",
        "seconds with",
        "time ratio",
    ]
    return (
        "#### Ranking AUROC with and without decisions (same `random_state`)\n\n"
        'The estimator fitted twice, `decisions=True` and `decisions=False`; "bit-identical": '
        "`np.array_equal` of the two `importances_`. The times are single fits beside other work (see the "
        "interleaved timing below).\n\n" + _table(header, body)
    )


def _real_row(label, chosen, columns, bold=False):
    """One row of the real-data table over the runs ``chosen``."""
    clean = sum(r["copies_confirmed"] == 0 for r in chosen)
    low, high = clopper_pearson(clean, len(chosen))
    share = f"{clean / len(chosen):.3f}"
    return [
        label,
        len(chosen),
        columns,
        f"{sum(not r['at_chance'] for r in chosen)} of {len(chosen)}",
        f"{clean} of {len(chosen)}",
        f"{f'**{share}**' if bold else share} ({low:.3f}-{high:.3f})",
        sum(r["copies_confirmed"] for r in chosen),
        _cell(_mean(chosen, "copies_rejected"), 1),
        _cell(_mean(chosen, "real_confirmed"), 1),
        _cell(_mean(chosen, "real_rejected"), 1),
    ]


def real_table(rows):
    if not rows:
        return ""
    body = []
    for dataset in _order(rows, "dataset"):
        chosen = [r for r in rows if r["dataset"] == dataset]
        body.append(_real_row(dataset, chosen, f"{chosen[0]['n_real']} + {chosen[0]['n_copies']}"))
    body.append(_real_row("**all**", rows, "", bold=True))
    header = [
        "dataset",
        "runs (seeds)",
        "columns: real + copies",
        "networks learn",
        "runs with no copy confirmed",
        "share (95 % CI)",
        "copies confirmed (total)",
        "copies rejected (mean)",
        "real confirmed (mean)",
        "real rejected (mean)",
    ]
    return (
        "#### Real data with row-permuted copies of real columns\n\n"
        "Each seed draws which columns are copied and the permutations, and the networks' seeds; "
        "interval: Clopper-Pearson.\n\n" + _table(header, body)
    )


def _shuffled_row(label, chosen, columns, bold=False):
    """One row of the shuffled-label table over the runs ``chosen``."""
    confirmed = sum(r["confirmed"] for r in chosen)
    return [
        label,
        columns,
        len(chosen),
        f"{sum(r['at_chance'] for r in chosen)} of {len(chosen)}",
        _cell(_mean(chosen, "val_auroc")),
        f"**{confirmed}**" if bold else confirmed,
        sum(r["raw_confirmed"] for r in chosen),
        f"{sum(r['raw_confirmed'] > 0 for r in chosen)} of {len(chosen)}",
        sum(r["raw_rejected"] for r in chosen),
    ]


def shuffled_table(rows):
    if not rows:
        return ""
    body = []
    for dataset in _order(rows, "dataset"):
        chosen = [r for r in rows if r["dataset"] == dataset]
        body.append(_shuffled_row(dataset, chosen, chosen[0]["n_features"]))
    body.append(_shuffled_row("**all**", rows, "", bold=True))
    header = [
        "data",
        "columns",
        "runs",
        "flagged at chance",
        "validation AUROC",
        "confirmed",
        "confirmed by the test alone",
        "runs with any (test alone)",
        "rejected by the test alone",
    ]
    return (
        "#### Label shuffled against the data\n\n"
        '"confirmed": `decisions_` as the estimator gives them (all tentative when the networks are at '
        'chance); "by the test alone": `deepfeat.decisions.decide(..., learned=True)` on the same '
        "importances, i.e. without the skill check.\n\n" + _table(header, body)
    )


def timing_summary(rows):
    """Per (data, setting): mean seconds without and with, and the ratio of the means."""
    out = []
    for data in _order(rows, "data"):
        for setting in _order([r for r in rows if r["data"] == data], "setting"):
            chosen = [r for r in rows if r["data"] == data and r["setting"] == setting]
            without = [r["seconds"] for r in chosen if not r["decisions"]]
            with_ = [r["seconds"] for r in chosen if r["decisions"]]
            ratios = [w / o for w, o in zip(with_, without)]
            out.append(
                {
                    "data": data,
                    "setting": setting,
                    "n_models": chosen[0]["n_models"],
                    "without": without,
                    "with": with_,
                    "ratio": float(np.mean(with_) / np.mean(without)),
                    "ratios": ratios,
                }
            )
    return out


def timing_table(rows):
    if not rows:
        return ""
    body = [
        [
            s["data"],
            s["setting"],
            f"{s['n_models']} + {null_models(s['n_models'])}",
            ", ".join(f"{v:.1f}" for v in s["without"]),
            ", ".join(f"{v:.1f}" for v in s["with"]),
            ", ".join(f"{v:.2f}" for v in s["ratios"]),
            f"**{s['ratio']:.2f}**",
        ]
        for s in timing_summary(rows)
    ]
    header = ["data", "setting", "models + null", "s without", "s with", "ratio per pair", "ratio of means"]
    return "#### Training time with decisions / without (`train_ensemble`, seed 0, interleaved pairs)\n\n" + _table(
        header, body
    )


def target_lines(synthetic_rows, real_rows, shuffled_rows, timing_rows):
    lines = []
    ours = [r for r in synthetic_rows if r["method"] == DEEPFEAT]
    fdp = _mean(ours, "fdp")
    lines.append(
        f"- Average FDP <= alpha ({ALPHA:g}) over the synthetic problems and seeds: "
        f"{fdp:.3f} (Boruta {_mean([r for r in synthetic_rows if r['method'] == BORUTA], 'fdp'):.3f}): "
        f"{'PASS' if fdp <= ALPHA else 'MISS'}"
    )
    learned = learnt(synthetic_rows)
    pick = [r for r in synthetic_rows if (r["problem"], r["seed"]) in learned]
    mine, theirs = (_mean([r for r in pick if r["method"] == m], "power") for m in (DEEPFEAT, BORUTA))
    misses = []
    for problem in _order(pick, "problem"):
        a, b = (
            _mean([r for r in pick if r["problem"] == problem and r["method"] == m], "power")
            for m in (DEEPFEAT, BORUTA)
        )
        if a < b:
            misses.append(f"{problem} {a:.3f} < {b:.3f}")
    if pick:
        lines.append(
            f"- Power >= Boruta's on the runs the networks learn ({len(pick) // 2} runs): mean {mine:.3f} against "
            f"{theirs:.3f}: {'PASS' if mine >= theirs else 'MISS'}; per problem: {_verdict(misses)}"
        )
    else:
        lines.append("- Power >= Boruta's on the runs the networks learn: no run's networks learnt (not measured)")
    if real_rows:
        clean = sum(r["copies_confirmed"] == 0 for r in real_rows)
        share = clean / len(real_rows)
        low, _ = clopper_pearson(clean, len(real_rows))
        lines.append(
            f"- No permuted copy confirmed in >= {TARGET_NO_COPY:.0%} of the real-data runs: "
            f"{clean} of {len(real_rows)} "
            f"= {share:.1%} (95 % CI from {low:.1%}): {'PASS' if share >= TARGET_NO_COPY else 'MISS'}"
        )
    if shuffled_rows:
        total = sum(r["confirmed"] for r in shuffled_rows)
        raw = sum(r["raw_confirmed"] for r in shuffled_rows)
        lines.append(
            f"- Nothing confirmed with a shuffled label: {total} confirmed over {len(shuffled_rows)} runs "
            f"({raw} by the test alone, without the skill check): {'PASS' if total == 0 else 'MISS'}"
        )
    checked = [r for r in ours if "identical" in r]
    same = sum(r["identical"] for r in checked)
    lines.append(
        f"- Ranking unchanged by decisions: importances bit-identical in {same} of {len(checked)} checked runs, "
        f"AUROC {_mean(checked, 'auroc'):.4f} with against {_mean(checked, 'auroc_without'):.4f} without: "
        f"{'PASS' if same == len(checked) else 'MISS'}"
    )
    for s in timing_summary(timing_rows):
        lines.append(
            f"- Training time with decisions <= {TARGET_TIME:g}x, {s['data']} {s['setting']}: {s['ratio']:.2f}x: "
            f"{'PASS' if s['ratio'] <= TARGET_TIME else 'MISS'}"
        )
    return "\n".join(lines)


def report(synthetic_rows, real_rows, shuffled_rows, timing_rows, facts):
    mode = facts["mode"]
    command = "make bench-decisions" if mode["name"] == "full" else ".venv/bin/python benchmarks/decisions.py --quick"
    header = (
        f"Command: `{command}`; mode {mode['name']}; alpha {ALPHA:g}; {mode['n_models']} models per ensemble "
        f"(+{null_models(mode['n_models'])} null), learning rate {variants.BENCH_LEARNING_RATE:g}, epoch cap "
        f"{mode['max_epochs']}; synthetic seeds {', '.join(map(str, mode['seeds']))} (also without decisions: "
        f"{', '.join(map(str, mode['check_seeds']))}); real-data seeds {len(mode['real_seeds'])} "
        f"({mode['real_seeds'][0]}-{mode['real_seeds'][-1]}); shuffled-label seeds "
        f"{', '.join(map(str, mode['shuffled_seeds']))}; Boruta: maxRuns {mode['boruta_runs']}, "
        f"{mode['boruta_trees']} trees; code {facts['commit']}; run {facts['date']} on {facts['machine']}; "
        f"load average (1/5/15 min) {facts['load_before']} before, {facts['load_after']} after; "
        f"total {facts['seconds'] / 60:.1f} min."
    )
    parts = [
        header,
        "#### Targets\n\n" + target_lines(synthetic_rows, real_rows, shuffled_rows, timing_rows),
        synthetic_table(synthetic_rows),
        auroc_table(synthetic_rows),
        real_table(real_rows),
        shuffled_table(shuffled_rows),
        timing_table(timing_rows),
    ]
    return "\n\n".join(p for p in parts if p) + "\n"


#: In the order they run: the cheap parts first, the timing once TensorFlow has started.
PARTS = ("shuffled", "real", "timing", "synthetic")


def measure(mode, skip=(), save=None):
    """Run every part not in ``skip``; the rows and facts :func:`report` takes (saved to ``save`` as they come)."""
    runs = {"synthetic": run_synthetic, "real": run_real, "shuffled": run_shuffled, "timing": run_timing}
    return runs_module.measure_parts(mode, {part: runs[part] for part in PARTS}, skip, save, log)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny problems, 5 models, 2 epochs (seconds)")
    runs_module.add_arguments(parser, PARTS)
    args = parser.parse_args(argv)
    return runs_module.measure_or_render(
        args, lambda: measure(QUICK if args.quick else FULL, args.skip, args.json), report
    )


if __name__ == "__main__":
    main()
