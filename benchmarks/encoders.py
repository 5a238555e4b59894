"""Encodings benchmark: categorical attributes, missing cells and piecewise-linear numbers, in one run.

Run with ``make bench-encoders`` (the default run, 22 minutes on 2 cores shared with other work) or::

    .venv/bin/python benchmarks/encoders.py --quick      # seconds: tiny problems, the smoke test's path
    .venv/bin/python benchmarks/encoders.py --seeds 0 1 2 --models 10 --max-epochs 300
    .venv/bin/python benchmarks/encoders.py --cleveland-models 100 --cleveland-lr 1e-4 --cleveland-epochs 2000
    .venv/bin/python benchmarks/encoders.py --json rows.json --output report.md
    .venv/bin/python benchmarks/encoders.py --report-from rows.json   # re-render a saved run

What it measures (issue 12), every part against a random forest's impurity and permutation
importances on the same data in the same run:

1. A categorical problem (:func:`categorical_problem`): a relevant 6-level categorical
   attribute whose effect zig-zags over its level codes (not monotone in them), two relevant
   numeric attributes, five irrelevant numeric ones and irrelevant categorical ones with 3, 8
   and 20 levels. deepfeat with the categorical attributes declared (one gate per one-hot
   block) and, for reference, with every attribute numeric (the codes as numbers). Target: the
   ranking AUROC at least the forest's; also whether the irrelevant 20-level attribute outranks
   the irrelevant numeric ones (mean rank, 1 = most important).
2. Every problem of ``synthetic.suite()`` with 20 % of the cells missing completely at random:
   ``missing="impute"`` (the NaN passed to the networks) against the complete data and against
   ``missing="drop"`` (run only where at least ``MIN_DROP_ROWS`` complete rows remain). Target:
   AUROC within 0.03 of the complete data's on every problem the networks learn, and every row
   used (each network's training plus validation rows are all the rows).
3. ``numeric_encoding="piecewise"`` against ``"linear"`` on the same complete data: AUROC per
   problem, the difference and the seed spread (the larger of the two encodings' ranges over
   the seeds). Target of the issue: piecewise adopted as the default only if it loses nowhere by
   more than the seed spread.
4. The paper's Cleveland data (``../shared/datasets/cleveland``, skipped when absent) with cp,
   thal, restecg and slope categorical against the same run with every attribute numeric (the
   6 missing cells imputed either way), interleaved pairs: split-half Spearman (``stability_``)
   at least 0.95, the top 4 among the clinically known predictors, and training time per model
   at most 1.5 times the all-numeric run's.

The forest (``FOREST_TREES`` trees; ``baselines.py`` uses 300, fewer here to keep the run in its
budget) sees the categorical attributes one-hot encoded (a missing cell a level of its own) and
the numeric ones with NaN median-imputed: impurity importance fitted on all rows, the one-hot
columns' importances summed per attribute; permutation importance (3 repeats) on 30 % held-out
rows, permuting each original attribute, i.e. its one-hot block as a whole.

deepfeat is the scikit-learn estimator at the library's defaults except the benchmark's fast
setting of ``quality.py`` (Adam's learning rate 1e-3) with the epoch cap and number of networks
lowered to fit the budget (``--models``, ``--max-epochs``; Cleveland ``--cleveland-models``,
``--cleveland-lr``, ``--cleveland-epochs``). The report (Markdown) goes to standard output,
progress to standard error.
"""

import argparse
import os
import time
import warnings
from dataclasses import asdict, dataclass, replace

# Before TensorFlow loads: keep its start-up chatter out of the report.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
from scipy.stats import rankdata  # noqa: E402
from sklearn.compose import ColumnTransformer  # noqa: E402
from sklearn.ensemble import RandomForestClassifier  # noqa: E402
from sklearn.impute import SimpleImputer  # noqa: E402
from sklearn.inspection import permutation_importance  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import OneHotEncoder  # noqa: E402

import metrics  # noqa: E402
import quality  # noqa: E402
import runs as runs_module  # noqa: E402
import synthetic  # noqa: E402
import variants  # noqa: E402
from deepfeat import DeepFeatureImportance  # noqa: E402
from deepfeat.data import load_dataset  # noqa: E402
from deepfeat.errors import NoSkillWarning  # noqa: E402

log, _cell, _table, _verdict = quality.log, quality._cell, quality._table, quality._verdict

CLEVELAND = quality.CLEVELAND
CLINICAL = quality.CLINICAL
CLEVELAND_CATEGORICAL = ("cp", "restecg", "slope", "thal")
MISSING_SHARE = 0.2
MIN_DROP_ROWS = 40  # fewer complete rows than this: missing="drop" is not run (reported as n/a)
TARGET_MISSING = 0.03
TARGET_STABILITY = 0.95
TARGET_TIME = 1.5
DEEPFEAT = "deepfeat"
DEEPFEAT_CODES = "deepfeat, all numeric"
RF_IMPURITY = "RF impurity"
RF_PERMUTATION = "RF permutation"
FORESTS = (RF_IMPURITY, RF_PERMUTATION)


@dataclass(frozen=True)
class Mode:
    """How much of the benchmark to run."""

    name: str
    seeds: tuple
    n_models: int  # networks per ensemble, parts 1-3
    max_epochs: int
    full_size: bool  # synthetic.suite() at its full sizes (else its quick sizes: 50 and 200 columns)
    categorical_rows: int
    forest_trees: int
    cleveland_models: int
    cleveland_lr: float
    cleveland_epochs: int
    timing_pairs: int  # interleaved (categorical, numeric) pairs on Cleveland, pair r at seed r


FULL = Mode(
    name="full",
    seeds=(0, 1),
    n_models=4,
    max_epochs=200,
    full_size=False,
    categorical_rows=1000,
    forest_trees=100,
    cleveland_models=100,
    cleveland_lr=variants.BENCH_LEARNING_RATE,
    cleveland_epochs=300,
    timing_pairs=2,
)
QUICK = Mode(
    name="quick",
    seeds=(0,),
    n_models=2,
    max_epochs=3,
    full_size=False,
    categorical_rows=300,
    forest_trees=10,
    cleveland_models=2,
    cleveland_lr=variants.BENCH_LEARNING_RATE,
    cleveland_epochs=3,
    timing_pairs=1,
)


def problems(mode):
    """``(name, make(seed) -> synthetic.Problem)``: the suite, or one small problem in quick mode."""
    if mode.name == "quick":
        return [("orange skin (300 rows, 6 cols)", lambda s: synthetic.orange_skin(300, s, 6))]
    return synthetic.suite(quick=not mode.full_size)


# --- data ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CategoricalProblem:
    """A table with categorical attributes (level codes 0..k-1) whose relevant attributes are known."""

    X: np.ndarray
    y: np.ndarray
    names: tuple
    categorical: np.ndarray  # bool per attribute
    truth: np.ndarray  # bool per attribute


#: The relevant categorical attribute's effect on the log-odds per level code: high on 0, 3, 4,
#: low on 1, 2, 5, so that its code correlates with the label by about -0.1 only.
LEVEL_EFFECTS = np.array([1.5, -1.5, -1.5, 1.5, 1.5, -1.5])
NOISE_LEVELS = (3, 8, 20)
N_NOISE_NUMERIC = 5


def categorical_problem(n_samples=1000, seed=0):
    """Part 1's problem: ``logit = LEVEL_EFFECTS[c] + x1 - 0.8 x2``, label Bernoulli(sigmoid(logit)).

    Attributes (columns in a random order drawn from the seed): the relevant 6-level ``c``,
    the relevant standard-normal ``x1`` and ``x2``, ``N_NOISE_NUMERIC`` irrelevant
    standard-normal ones and irrelevant uniform categorical ones with ``NOISE_LEVELS`` levels.
    """
    rng = np.random.default_rng(seed)
    level = rng.integers(0, len(LEVEL_EFFECTS), n_samples)
    x = rng.standard_normal((n_samples, 2 + N_NOISE_NUMERIC))
    noise = [rng.integers(0, k, n_samples) for k in NOISE_LEVELS]
    logit = LEVEL_EFFECTS[level] + x[:, 0] - 0.8 * x[:, 1]
    y = (rng.random(n_samples) < 1.0 / (1.0 + np.exp(-logit))).astype(np.int64)
    columns = [level, x[:, 0], x[:, 1], *x[:, 2:].T, *noise]
    names = (
        "rel_cat6",
        "rel_num1",
        "rel_num2",
        *(f"noise_num{i + 1}" for i in range(N_NOISE_NUMERIC)),
        *(f"noise_cat{k}" for k in NOISE_LEVELS),
    )
    categorical = np.array([True] + [False] * (2 + N_NOISE_NUMERIC) + [True] * len(NOISE_LEVELS))
    truth = np.array([True] * 3 + [False] * (N_NOISE_NUMERIC + len(NOISE_LEVELS)))
    order = rng.permutation(len(columns))
    X = np.column_stack(columns).astype(np.float64)[:, order]
    return CategoricalProblem(X, y, tuple(names[j] for j in order), categorical[order], truth[order])


def with_missing(X, share, rng):
    """``X`` with each cell missing (NaN) with probability ``share``, independently (MCAR)."""
    X = np.array(X, dtype=np.float64)
    X[rng.random(X.shape) < share] = np.nan
    return X


# --- the forest ------------------------------------------------------------------------------------
def _forest(categorical, n_trees, seed):
    """One-hot encoded categoricals (NaN a level of its own), median-imputed numeric NaN, then a forest."""
    categorical = np.asarray(categorical, dtype=bool)
    parts = []
    if (~categorical).any():
        parts.append(("numeric", SimpleImputer(strategy="median"), np.flatnonzero(~categorical)))
    if categorical.any():
        parts.append(("categorical", OneHotEncoder(handle_unknown="ignore"), np.flatnonzero(categorical)))
    prepare = ColumnTransformer(parts, sparse_threshold=0)
    return make_pipeline(prepare, RandomForestClassifier(n_trees, random_state=seed, n_jobs=1))


def _owners(pipeline, categorical):
    """The attribute of each column the fitted pipeline's forest sees."""
    owners = []
    for name, transformer, columns in pipeline[0].transformers_:
        if name == "numeric":
            owners += list(columns)
        elif name == "categorical":
            owners += [a for a, levels in zip(columns, transformer.categories_) for _ in levels]
    return np.array(owners, dtype=np.int64)


def forest_importances(X, y, categorical, seed, n_trees):
    """``{RF_IMPURITY: scores, RF_PERMUTATION: scores}``, one score per attribute, and the seconds each took."""
    categorical = np.asarray(categorical, dtype=bool)
    start = time.perf_counter()
    pipeline = _forest(categorical, n_trees, seed).fit(X, y)
    impurity = np.bincount(
        _owners(pipeline, categorical), weights=pipeline[-1].feature_importances_, minlength=X.shape[1]
    )
    middle = time.perf_counter()
    X_fit, X_held, y_fit, y_held = train_test_split(X, y, test_size=0.3, random_state=seed, stratify=y)
    pipeline = _forest(categorical, n_trees, seed).fit(X_fit, y_fit)
    permutation = permutation_importance(pipeline, X_held, y_held, n_repeats=3, random_state=seed, n_jobs=1)
    end = time.perf_counter()
    return {
        RF_IMPURITY: (impurity, middle - start),
        RF_PERMUTATION: (permutation.importances_mean, end - middle),
    }


# --- deepfeat ------------------------------------------------------------------------------------
def fit_deepfeat(X, y, seed, n_models, max_epochs, learning_rate=variants.BENCH_LEARNING_RATE, **params):
    """The estimator fitted at the benchmark's settings (``params`` on top), and its wall time."""
    estimator = DeepFeatureImportance(
        n_models, learning_rate=learning_rate, max_epochs=max_epochs, random_state=seed, **params
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NoSkillWarning)  # read off validation_skill_ instead
        start = time.perf_counter()
        estimator.fit(X, y)
    return estimator, time.perf_counter() - start


def _fit_facts(estimator, seconds):
    """What every deepfeat row records about a fit."""
    ensemble = estimator.ensemble_
    skill = estimator.validation_skill_
    return {
        "seconds": seconds,
        "n_models": len(ensemble.records),
        "epochs": float(np.mean([r["epochs_run"] for r in ensemble.records])),
        "val_auroc": float(skill.value),
        "at_chance": bool(skill.at_chance),
        "stability": float(estimator.stability_),
        # the rows each network trained or validated on: all of them, unless rows were dropped
        "rows_used": int(min(len(t) + len(v) for t, v in zip(ensemble.train_index, ensemble.val_index))),
    }


def _ranks(scores):
    """Rank of each attribute by ``scores``, 1 = most important (ties share the mean rank)."""
    return rankdata(-np.asarray(scores, dtype=np.float64), method="average")


# --- part 1: categorical problem ---------------------------------------------------------------------
def run_categorical(mode, rows=None):
    """One row per (seed, method): AUROC and every attribute's rank."""
    rows = [] if rows is None else rows  # a SavingList saves the run as it goes
    for seed in mode.seeds:
        problem = categorical_problem(mode.categorical_rows, seed)
        log(f"categorical problem seed {seed}: {problem.X.shape[0]} rows x {problem.X.shape[1]} attributes")
        common = {"seed": seed, "names": list(problem.names), "truth": problem.truth.tolist()}
        for method, mask in ((DEEPFEAT, problem.categorical), (DEEPFEAT_CODES, None)):
            estimator, seconds = fit_deepfeat(
                problem.X, problem.y, seed, mode.n_models, mode.max_epochs, categorical_features=mask
            )
            scores = estimator.feature_importances_
            rows.append(
                {
                    **common,
                    "method": method,
                    "auroc": metrics.auroc(scores, problem.truth),
                    "scores": scores.tolist(),
                    "ranks": _ranks(scores).tolist(),
                    **_fit_facts(estimator, seconds),
                }
            )
        for method, (scores, seconds) in forest_importances(
            problem.X, problem.y, problem.categorical, seed, mode.forest_trees
        ).items():
            rows.append(
                {
                    **common,
                    "method": method,
                    "auroc": metrics.auroc(scores, problem.truth),
                    "scores": scores.tolist(),
                    "ranks": _ranks(scores).tolist(),
                    "seconds": seconds,
                }
            )
    return rows


# --- parts 2 and 3: the synthetic suite -------------------------------------------------------------
def run_synthetic(mode, rows=None):
    """One row per (problem, seed, method, condition): complete/piecewise/impute/drop for deepfeat, the forests."""
    rows = [] if rows is None else rows  # a SavingList saves the run as it goes
    for name, make in problems(mode):
        for seed in mode.seeds:
            problem = make(seed)
            n_rows, n_columns = problem.X.shape
            missing = with_missing(problem.X, MISSING_SHARE, np.random.default_rng(10_000 + seed))
            complete_rows = int((~np.isnan(missing).any(axis=1)).sum())
            log(f"{name} seed {seed}: {n_rows} rows x {n_columns} columns; {complete_rows} rows without a gap")
            common = {"problem": name, "seed": seed, "n_rows": n_rows, "n_features": n_columns}
            runs = [
                ("complete", problem.X, {"numeric_encoding": "linear"}),
                ("piecewise", problem.X, {"numeric_encoding": "piecewise"}),
                ("impute", missing, {"missing": "impute"}),
                ("drop", missing, {"missing": "drop"}),
            ]
            for condition, X, params in runs:
                row = {**common, "method": DEEPFEAT, "condition": condition, "complete_rows": complete_rows}
                if condition == "drop" and complete_rows < MIN_DROP_ROWS:
                    rows.append({**row, "auroc": None, "note": f"{complete_rows} complete rows"})
                    continue
                try:
                    estimator, seconds = fit_deepfeat(X, problem.y, seed, mode.n_models, mode.max_epochs, **params)
                except ValueError as error:  # e.g. a class without training rows after dropping
                    log(f"  {condition}: {error}")
                    rows.append({**row, "auroc": None, "note": str(error)})
                    continue
                auroc = metrics.auroc(estimator.feature_importances_, problem.truth)
                rows.append({**row, "auroc": auroc, **_fit_facts(estimator, seconds)})
                log(f"  {condition}: AUROC {auroc:.3f}, validation {rows[-1]['val_auroc']:.3f}, {seconds:.0f} s")
            numeric = np.zeros(n_columns, dtype=bool)
            for condition, X in (("complete", problem.X), ("impute", missing)):
                for method, (scores, seconds) in forest_importances(
                    X, problem.y, numeric, seed, mode.forest_trees
                ).items():
                    auroc = metrics.auroc(scores, problem.truth)
                    rows.append(
                        {**common, "method": method, "condition": condition, "auroc": auroc, "seconds": seconds}
                    )
    return rows


# --- part 4: Cleveland ---------------------------------------------------------------------------------
def cleveland_data():
    """The Cleveland data set and its labels as codes, or None when it is not here."""
    if not (CLEVELAND / "processed.cleveland.data").is_file():
        return None
    data = load_dataset(CLEVELAND / "processed.cleveland.data", CLEVELAND / "attributes")
    _, codes = np.unique(data.y, return_inverse=True)
    return data, codes


def run_cleveland(mode, rows=None):
    """One row per fit: (pair, setting) for deepfeat, and the forests' rankings."""
    rows = [] if rows is None else rows  # a SavingList saves the run as it goes
    loaded = cleveland_data()
    if loaded is None:
        log(f"Cleveland data not found under {CLEVELAND}; skipped")
        return rows
    data, codes = loaded
    names = list(data.feature_names)
    mask = np.isin(names, CLEVELAND_CATEGORICAL)
    n_missing = int(np.isnan(data.X).sum())
    common = {"n_rows": len(data.X), "n_missing": n_missing}
    for pair in range(mode.timing_pairs):
        settings = ("categorical", "numeric") if pair % 2 == 0 else ("numeric", "categorical")
        for setting in settings:
            log(f"Cleveland pair {pair} (seed {pair}), {setting}, {mode.cleveland_models} models")
            estimator, seconds = fit_deepfeat(
                data.X,
                codes,
                pair,
                mode.cleveland_models,
                mode.cleveland_epochs,
                mode.cleveland_lr,
                categorical_features=mask if setting == "categorical" else None,
            )
            scores = estimator.feature_importances_
            order = metrics.top_k(scores, len(scores))
            rows.append(
                {
                    **common,
                    "method": DEEPFEAT,
                    "pair": pair,
                    "seed": pair,
                    "setting": setting,
                    "top": [names[i] for i in order],
                    "importance": [float(scores[i]) for i in order],
                    **_fit_facts(estimator, seconds),
                }
            )
    for seed in range(mode.timing_pairs):
        for method, (scores, seconds) in forest_importances(data.X, codes, mask, seed, mode.forest_trees).items():
            order = metrics.top_k(scores, len(scores))
            rows.append(
                {
                    **common,
                    "method": method,
                    "seed": seed,
                    "setting": "categorical",
                    "top": [names[i] for i in order],
                    "importance": [float(scores[i]) for i in order],
                    "seconds": seconds,
                }
            )
    return rows


# --- report ------------------------------------------------------------------------------------------
def _mean(values):
    values = [v for v in values if v is not None and np.isfinite(v)]
    return float(np.mean(values)) if values else float("nan")


def _order(rows, key):
    return list(dict.fromkeys(r[key] for r in rows))


def _pick(rows, **where):
    return [r for r in rows if all(r.get(k) == v for k, v in where.items())]


def _rank_summary(rows):
    """Mean rank (over seeds) of the irrelevant 20-level attribute and of the irrelevant numeric ones."""
    top_level = f"noise_cat{max(NOISE_LEVELS)}"
    wide = [r["ranks"][r["names"].index(top_level)] for r in rows]
    numeric = [np.mean([k for n, k in zip(r["names"], r["ranks"]) if n.startswith("noise_num")]) for r in rows]
    return _mean(wide), _mean(numeric)


def categorical_table(rows):
    if not rows:
        return ""
    names = sorted(rows[0]["names"], key=lambda n: (not n.startswith("rel"), n))
    body = []
    for method in _order(rows, "method"):
        chosen = _pick(rows, method=method)
        wide, numeric = _rank_summary(chosen)
        ranks = [_mean([r["ranks"][r["names"].index(n)] for r in chosen]) for n in names]
        body.append(
            [
                method,
                _cell(_mean([r["auroc"] for r in chosen])),
                ", ".join(_cell(r["auroc"]) for r in chosen),
                _cell(wide, 1),
                _cell(numeric, 1),
                *(_cell(k, 1) for k in ranks),
                _cell(_mean([r.get("val_auroc") for r in chosen])),
                _cell(_mean([r["seconds"] for r in chosen]), 1),
            ]
        )
    header = [
        "method",
        "AUROC (mean)",
        "AUROC per seed",
        f"rank of noise_cat{max(NOISE_LEVELS)}",
        "mean rank of noise_num*",
        *names,
        "validation AUROC",
        "seconds",
    ]
    n_columns = len(rows[0]["names"])
    return (
        f"#### Part 1: categorical problem ({n_columns} attributes, 3 relevant; ranks 1 = most important, "
        "mean over seeds)\n\n"
        f"rel_cat6: relevant, 6 levels, log-odds effect {', '.join(f'{v:+g}' for v in LEVEL_EFFECTS)} per code; "
        "rel_num1, rel_num2: relevant, linear; noise_cat3/8/20: irrelevant categorical with that many levels. "
        f'"{DEEPFEAT}": the categorical attributes declared (`categorical_features`); "{DEEPFEAT_CODES}": their '
        "codes as numbers.\n\n" + _table(header, body)
    )


def _problem_means(rows, problem, method, condition):
    return [r["auroc"] for r in _pick(rows, problem=problem, method=method, condition=condition)]


def learned_problems(rows):
    """Problems whose complete-data networks are not at chance on any seed."""
    out = []
    for problem in _order(rows, "problem"):
        chosen = _pick(rows, problem=problem, method=DEEPFEAT, condition="complete")
        if chosen and not any(r["at_chance"] for r in chosen):
            out.append(problem)
    return out


def missing_table(rows):
    if not rows:
        return ""
    learned = set(learned_problems(rows))
    body = []
    for problem in _order(rows, "problem"):
        complete, impute, drop = (_problem_means(rows, problem, DEEPFEAT, c) for c in ("complete", "impute", "drop"))
        chosen = _pick(rows, problem=problem, method=DEEPFEAT, condition="impute")
        drop_rows = _pick(rows, problem=problem, method=DEEPFEAT, condition="drop")
        used = all(r.get("rows_used") == r["n_rows"] for r in chosen)
        forests = [
            f"{_cell(_mean(_problem_means(rows, problem, m, 'complete')))} / "
            f"{_cell(_mean(_problem_means(rows, problem, m, 'impute')))}"
            for m in FORESTS
        ]
        body.append(
            [
                problem,
                f"{drop_rows[0]['n_features']}",
                "yes" if problem in learned else "no",
                _cell(_mean(complete)),
                _cell(_mean(impute)),
                f"{_mean(impute) - _mean(complete):+.3f}",
                "all" if used else "**no**",
                _cell(_mean(drop)),
                ", ".join(str(r["complete_rows"]) for r in drop_rows),
                *forests,
                _cell(
                    _mean(
                        [r["val_auroc"] for r in _pick(rows, problem=problem, condition="complete") if "val_auroc" in r]
                    )
                ),
                _cell(_mean([r["val_auroc"] for r in chosen])),
            ]
        )
    header = [
        "problem",
        "columns",
        "networks learn",
        "AUROC complete",
        "AUROC impute",
        "impute - complete",
        "rows used (impute)",
        "AUROC drop",
        "complete rows per seed",
        "RF impurity complete / 20 % missing",
        "RF permutation complete / 20 % missing",
        "validation AUROC complete",
        "validation AUROC impute",
    ]
    return (
        f"#### Part 2: {MISSING_SHARE:.0%} of the cells missing completely at random (mean over seeds)\n\n"
        '"networks learn": the complete-data networks not at chance on any seed; "drop": `missing="drop"`, run '
        f"only where at least {MIN_DROP_ROWS} complete rows remain (else n/a); the forest's missing cells are "
        "median-imputed.\n\n" + _table(header, body)
    )


def piecewise_summary(rows):
    """Per problem: mean AUROC linear and piecewise, the difference, the seed spread and whether it loses."""
    out = []
    for problem in _order(rows, "problem"):
        linear = _problem_means(rows, problem, DEEPFEAT, "complete")
        piecewise = _problem_means(rows, problem, DEEPFEAT, "piecewise")
        spread = max(np.ptp(linear), np.ptp(piecewise)) if len(linear) > 1 else float("nan")
        difference = _mean(piecewise) - _mean(linear)
        out.append(
            {
                "problem": problem,
                "linear": linear,
                "piecewise": piecewise,
                "difference": difference,
                "spread": float(spread),
                "loses": bool(np.isfinite(spread) and difference < -spread),
            }
        )
    return out


def piecewise_table(rows):
    if not rows:
        return ""
    body = []
    for s in piecewise_summary(rows):
        problem = s["problem"]
        facts = {c: _pick(rows, problem=problem, method=DEEPFEAT, condition=c) for c in ("complete", "piecewise")}
        body.append(
            [
                problem,
                ", ".join(_cell(v) for v in s["linear"]),
                ", ".join(_cell(v) for v in s["piecewise"]),
                f"**{s['difference']:+.3f}**",
                _cell(s["spread"]),
                "**yes**" if s["loses"] else "no",
                f"{_cell(_mean([r['val_auroc'] for r in facts['complete']]))} / "
                f"{_cell(_mean([r['val_auroc'] for r in facts['piecewise']]))}",
                f"{_cell(_mean([r['epochs'] for r in facts['complete']]), 0)} / "
                f"{_cell(_mean([r['epochs'] for r in facts['piecewise']]), 0)}",
                f"{_cell(_mean([r['seconds'] for r in facts['complete']]), 1)} / "
                f"{_cell(_mean([r['seconds'] for r in facts['piecewise']]), 1)}",
                _cell(_mean(_problem_means(rows, problem, RF_IMPURITY, "complete"))),
                _cell(_mean(_problem_means(rows, problem, RF_PERMUTATION, "complete"))),
            ]
        )
    header = [
        "problem",
        "AUROC linear per seed",
        "AUROC piecewise per seed",
        "piecewise - linear (means)",
        "seed spread",
        "loses by more",
        "validation AUROC linear / piecewise",
        "mean epochs linear / piecewise",
        "seconds linear / piecewise",
        "RF impurity",
        "RF permutation",
    ]
    return (
        '#### Part 3: `numeric_encoding="piecewise"` against `"linear"` (complete data)\n\n'
        'Seed spread: the larger of the two encodings\' ranges of AUROC over the seeds; "loses by more": '
        "piecewise's mean below linear's by more than the spread.\n\n" + _table(header, body)
    )


def timing_summary(rows):
    chosen = _pick(rows, method=DEEPFEAT)
    per_model = {
        s: [r["seconds"] / r["n_models"] for r in chosen if r["setting"] == s] for s in ("categorical", "numeric")
    }
    if not per_model["numeric"]:
        return None
    return per_model, _mean(per_model["categorical"]) / _mean(per_model["numeric"])


def cleveland_table(rows):
    if not rows:
        return "#### Part 4: Cleveland\n\nData not present; skipped."
    body = []
    for r in rows:
        deep = r["method"] == DEEPFEAT
        body.append(
            [
                f"{r['method']}, {r['setting']}",
                r["seed"],
                _cell(r["stability"]) if deep else "",
                ", ".join(r["top"][:6]),
                "yes" if all(n in CLINICAL for n in r["top"][:4]) else "**no**",
                _cell(r.get("val_auroc")) if deep else "",
                _cell(r["epochs"], 0) if deep else "",
                _cell(r["seconds"], 1),
                _cell(r["seconds"] / r["n_models"], 3) if deep else "",
            ]
        )
    header = [
        "method, setting",
        "seed",
        "split-half Spearman",
        "top 6",
        "top 4 clinical",
        "validation AUROC",
        "mean epochs",
        "seconds",
        "seconds per model",
    ]
    summary = timing_summary(rows)
    note = ""
    if summary is not None:
        per_model, ratio = summary
        note = (
            f"\n\nTraining time per model, categorical / numeric: {_cell(_mean(per_model['categorical']), 3)} s / "
            f"{_cell(_mean(per_model['numeric']), 3)} s = **{ratio:.2f}x** (pairs interleaved, the order alternating)."
        )
    r0 = rows[0]
    return (
        f"#### Part 4: Cleveland ({r0['n_rows']} rows, 13 attributes, {r0['n_missing']} missing cells imputed)\n\n"
        f"categorical: {', '.join(CLEVELAND_CATEGORICAL)} declared categorical; numeric: every attribute numeric. "
        f"Clinical set: {', '.join(CLINICAL)}.\n\n" + _table(header, body) + note
    )


def target_lines(categorical_rows, synthetic_rows, cleveland_rows):
    lines = []
    if categorical_rows:
        ours = _mean([r["auroc"] for r in _pick(categorical_rows, method=DEEPFEAT)])
        theirs = {m: _mean([r["auroc"] for r in _pick(categorical_rows, method=m)]) for m in FORESTS}
        lines.append(
            f"- Part 1, AUROC >= the forest's on the categorical problem: {ours:.3f} against "
            f"{theirs[RF_IMPURITY]:.3f} (impurity) and {theirs[RF_PERMUTATION]:.3f} (permutation): "
            f"{'PASS' if all(ours >= t for t in theirs.values()) else 'MISS'}"
        )
        parts = []
        for method in _order(categorical_rows, "method"):
            wide, numeric = _rank_summary(_pick(categorical_rows, method=method))
            parts.append(f"{method} {wide:.1f} vs {numeric:.1f} ({'outranks' if wide < numeric else 'does not'})")
        lines.append(
            f"- Part 1, irrelevant 20-level attribute's mean rank vs the irrelevant numeric ones': {'; '.join(parts)}"
        )
    if synthetic_rows:
        learned = learned_problems(synthetic_rows)
        misses = []
        for problem in learned:
            gap = _mean(_problem_means(synthetic_rows, problem, DEEPFEAT, "impute")) - _mean(
                _problem_means(synthetic_rows, problem, DEEPFEAT, "complete")
            )
            if gap < -TARGET_MISSING:
                misses.append(f"{problem} {gap:+.3f}")
        lines.append(
            f"- Part 2, AUROC with {MISSING_SHARE:.0%} missing (impute) within {TARGET_MISSING} of complete data on "
            f"the {len(learned)} problems the networks learn: {_verdict(misses)}"
        )
        imputed = _pick(synthetic_rows, method=DEEPFEAT, condition="impute")
        short = [f"{r['problem']} seed {r['seed']}" for r in imputed if r.get("rows_used") != r["n_rows"]]
        lines.append(f"- Part 2, no rows dropped with impute ({len(imputed)} fits): {_verdict(short)}")
        summary = piecewise_summary(synthetic_rows)
        losses = [f"{s['problem']} {s['difference']:+.3f} (spread {s['spread']:.3f})" for s in summary if s["loses"]]
        lines.append(
            "- Part 3, piecewise loses nowhere by more than the seed spread (adopt as default): "
            + (_verdict(losses) if all(np.isfinite(s["spread"]) for s in summary) else "one seed: spread not measured")
        )
    if cleveland_rows:
        ours = _pick(cleveland_rows, method=DEEPFEAT, setting="categorical")
        stable = [f"seed {r['seed']} {r['stability']:.3f}" for r in ours if r["stability"] < TARGET_STABILITY]
        lines.append(
            f"- Part 4, Cleveland split-half Spearman >= {TARGET_STABILITY} (categorical): "
            f"{', '.join(_cell(r['stability']) for r in ours)}: {_verdict(stable)}"
        )
        off = [
            f"seed {r['seed']}: {', '.join(r['top'][:4])}" for r in ours if not all(n in CLINICAL for n in r["top"][:4])
        ]
        lines.append(f"- Part 4, Cleveland top 4 among the clinical predictors (categorical): {_verdict(off)}")
        summary = timing_summary(cleveland_rows)
        if summary is not None:
            lines.append(
                f"- Part 4, training time per model categorical / numeric <= {TARGET_TIME:g}x: {summary[1]:.2f}x: "
                f"{'PASS' if summary[1] <= TARGET_TIME else 'MISS'}"
            )
    elif cleveland_rows is not None:
        lines.append("- Part 4, Cleveland: data not present; not measured")
    return "\n".join(lines)


def command_line(mode, skip=()):
    skipped = [f"--skip {' '.join(skip)}"] if skip else []
    if mode["name"] == "quick":
        return " ".join([".venv/bin/python benchmarks/encoders.py --quick", *skipped])
    words = ["make bench-encoders"]
    flags = {
        "seeds": "--seeds",
        "n_models": "--models",
        "max_epochs": "--max-epochs",
        "cleveland_models": "--cleveland-models",
        "cleveland_lr": "--cleveland-lr",
        "cleveland_epochs": "--cleveland-epochs",
        "timing_pairs": "--timing-pairs",
    }
    changed = []
    for key, flag in flags.items():
        value, default = mode[key], asdict(FULL)[key]
        if list(np.atleast_1d(value)) != list(np.atleast_1d(default)):
            changed.append(f"{flag} {' '.join(map(str, np.atleast_1d(value)))}")
    if mode["full_size"]:
        changed.append("--full-size")
    changed += skipped
    if changed:
        words = [".venv/bin/python benchmarks/encoders.py", *changed]
    return " ".join(words)


def report(categorical_rows, synthetic_rows, cleveland_rows, facts):
    mode = facts["mode"]
    command = command_line(mode, facts.get("skip", []))
    header = (
        f"Command: `{command}`; mode {mode['name']}; seeds {', '.join(map(str, mode['seeds']))}; "
        f"parts 1-3: {mode['n_models']} networks per ensemble, learning rate {variants.BENCH_LEARNING_RATE:g}, epoch "
        f"cap {mode['max_epochs']}, synthetic suite at its {'full' if mode['full_size'] else 'quick'} sizes; "
        f"Cleveland: {mode['cleveland_models']} networks, learning rate {mode['cleveland_lr']:g}, epoch cap "
        f"{mode['cleveland_epochs']}, {mode['timing_pairs']} interleaved pair(s); forest: {mode['forest_trees']} "
        f"trees; code {facts['commit']}; run {facts['date']} on {facts['machine']}; load average (1/5/15 min) "
        f"{facts['load_before']} before, {facts['load_after']} after; total {facts['seconds'] / 60:.1f} min."
    )
    parts = [
        header,
        "#### Targets\n\n" + target_lines(categorical_rows, synthetic_rows, cleveland_rows),
        categorical_table(categorical_rows),
        missing_table(synthetic_rows),
        piecewise_table(synthetic_rows),
        cleveland_table(cleveland_rows) if cleveland_rows is not None else "",
    ]
    return "\n\n".join(p for p in parts if p) + "\n"


#: In the order they run: the small categorical problem first, Cleveland once TensorFlow has started.
PARTS = ("categorical", "cleveland", "synthetic")


def measure(mode, skip=(), save=None):
    """Run every part not in ``skip``; the rows and facts :func:`report` takes (saved to ``save`` as they come)."""
    runs = {"categorical": run_categorical, "synthetic": run_synthetic, "cleveland": run_cleveland}
    return runs_module.measure_parts(
        mode,
        {part: runs[part] for part in PARTS},
        skip,
        save,
        log,
        skipped_rows=("cleveland",),  # None: "not run", where [] says the data were not found
        facts={"skip": [part for part in PARTS if part in skip]},
    )


def mode_from(args):
    """The mode the command line asks for: quick or full, with the options given on top."""
    mode = QUICK if args.quick else FULL
    changes = {
        "seeds": tuple(args.seeds) if args.seeds else None,
        "n_models": args.models,
        "max_epochs": args.max_epochs,
        "cleveland_models": args.cleveland_models,
        "cleveland_lr": args.cleveland_lr,
        "cleveland_epochs": args.cleveland_epochs,
        "timing_pairs": args.timing_pairs,
        "full_size": True if args.full_size else None,
    }
    return replace(mode, **{k: v for k, v in changes.items() if v is not None})


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny problems, 2 networks, 3 epochs (seconds)")
    parser.add_argument("--seeds", type=int, nargs="+", help=f"seeds of parts 1-3 (default {FULL.seeds})")
    parser.add_argument("--models", type=int, help=f"networks per ensemble, parts 1-3 (default {FULL.n_models})")
    parser.add_argument("--max-epochs", type=int, help=f"epoch cap, parts 1-3 (default {FULL.max_epochs})")
    parser.add_argument("--full-size", action="store_true", help="the synthetic suite at its full sizes")
    parser.add_argument("--cleveland-models", type=int, help=f"networks on Cleveland (default {FULL.cleveland_models})")
    parser.add_argument(
        "--cleveland-lr", type=float, help=f"learning rate on Cleveland (default {FULL.cleveland_lr:g})"
    )
    parser.add_argument(
        "--cleveland-epochs", type=int, help=f"epoch cap on Cleveland (default {FULL.cleveland_epochs})"
    )
    parser.add_argument("--timing-pairs", type=int, help=f"Cleveland's interleaved pairs (default {FULL.timing_pairs})")
    runs_module.add_arguments(parser, PARTS)
    args = parser.parse_args(argv)
    return runs_module.measure_or_render(args, lambda: measure(mode_from(args), args.skip, args.json), report)


if __name__ == "__main__":
    main()
