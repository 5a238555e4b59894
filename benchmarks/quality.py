"""Ranking-quality benchmark: deepfeat's rankings and the alternatives, scored in one run.

Run with ``make bench-quality`` (the full benchmark, about half an hour on 2 cores) or::

    .venv/bin/python benchmarks/quality.py --quick      # a few minutes: one seed, smaller problems
    .venv/bin/python benchmarks/quality.py --output report.md --json rows.json
    .venv/bin/python benchmarks/quality.py --report-from rows.json   # re-render a saved run

LassoNet is scored when an interpreter that can import ``lassonet`` is found (``--lassonet-python``
or $LASSONET_PYTHON; see BENCHMARKS.md), and left out otherwise.

It scores, on problems whose relevant columns are known (``synthetic.py``), the AUROC of each
method's importance scores against the truth and its precision at k (k = number relevant); for
deepfeat also the split-half stability of the ensemble (Spearman correlation and top-k Jaccard
index between the average importances of the first and second half of the models). On the
datasets that ship with scikit-learn it scores the cross-validated accuracy of a fixed classifier
on each method's top-k columns, and on the paper's Cleveland data (read from
``../shared/datasets/cleveland`` when present) stability and where the clinically known
predictors land. The report (Markdown) goes to standard output; progress goes to standard error.

deepfeat is trained with the runner's defaults except Adam's learning rate, 1e-3 instead of the
paper's 1e-4 (and an epoch cap of 500 instead of 2000, never reached); Cleveland is also run at
the paper's exact settings. Training variants (gate start, input normalisation, L1 on the gates,
early-stopping patience, validation split, recursive elimination of columns, the paper's learning
rate) and readouts (gate, gate times first-layer weight norm) are compared on a panel of the
problems. For every deepfeat ensemble the report also gives its networks' validation AUROC and
whether the runner would flag it as no better than chance (``deepfeat.skill``).
"""

import argparse
import datetime
import json
import os
import platform
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path

# Before TensorFlow loads: keep its start-up chatter out of the report.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
from sklearn.datasets import load_breast_cancer, load_digits, load_wine  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.model_selection import StratifiedKFold, cross_val_score, train_test_split  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

import baselines  # noqa: E402
import metrics  # noqa: E402
import synthetic  # noqa: E402
import variants  # noqa: E402
from deepfeat.data import load_dataset  # noqa: E402
from deepfeat.importance import mean_importance, split_half_stability  # noqa: E402

CLEVELAND = Path(__file__).resolve().parents[2] / "shared/datasets/cleveland"
#: Predictors the clinical literature on the Cleveland data agrees on.
CLINICAL = ("ca", "thal", "cp", "oldpeak", "exang", "thalach")
DEEPFEAT = "deepfeat"
L2X_SET = ("L2X XOR", "orange skin", "nonlinear additive", "switch")
FIRST_READOUT = next(iter(metrics.READOUTS))


@dataclass(frozen=True)
class Mode:
    """How much of the benchmark to run."""

    name: str
    seeds: tuple
    n_models: int
    configs: tuple  # deepfeat variants scored on every problem (the first is the default; see --everywhere)
    ensemble_sizes: tuple
    panel: tuple  # problems the training variants are compared on
    panel_seeds: tuple
    variants: tuple
    real_seeds: tuple
    cleveland_models: int
    cleveland_paper: bool  # also train Cleveland at the paper's exact settings
    lassonet: bool


FULL = Mode(
    name="full",
    seeds=(0, 1, 2),
    n_models=20,
    configs=(variants.DEFAULT,),
    ensemble_sizes=(4, 10, 20),
    panel=("RING", "RING+XOR+SUM", "unit trap", "wide (300 cols)"),
    panel_seeds=(0,),
    variants=tuple(variants.VARIANTS),
    real_seeds=(0, 1, 2),
    cleveland_models=100,
    cleveland_paper=True,
    lassonet=True,
)
QUICK = Mode(
    name="quick",
    seeds=(0,),
    n_models=10,
    configs=(variants.DEFAULT,),
    ensemble_sizes=(4, 10),
    panel=("unit trap",),
    panel_seeds=(0,),
    variants=tuple(v for v in variants.VARIANTS if v.changes.get("learning_rate") is None),
    real_seeds=(0,),
    cleveland_models=20,
    cleveland_paper=False,
    lassonet=False,
)

REAL = {
    "wine": (load_wine, (2, 4, 6)),
    "breast cancer": (load_breast_cancer, (3, 5, 10)),
    "digits": (load_digits, (8, 16, 32)),
}


def log(message):
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def timed(function, *args):
    start = time.perf_counter()
    value = function(*args)
    return value, time.perf_counter() - start


def rankings(X, y, seed, configs, n_models, lassonet_python):
    """Every method's scores on one dataset.

    Returns
    -------
    ensembles : dict
        ``{variant name: (EnsembleResult, seconds)}`` for each deepfeat configuration.
    baseline : dict
        ``{baseline name: (scores, seconds)}``.
    """
    lassonet = baselines.LassoNetRun(X, y, seed, lassonet_python) if lassonet_python else None
    ensembles = {variant.name: variants.train(X, y, n_models, variant, seed) for variant in configs}
    baseline = {name: timed(function, X, y, seed) for name, function in baselines.BASELINES.items()}
    if lassonet is not None:
        baseline["LassoNet"] = lassonet.result()
    return ensembles, baseline


def deepfeat_methods(configs):
    """``(method name, variant name, readout name, readout)`` for every deepfeat configuration and readout."""
    out = []
    for variant in configs:
        label = DEEPFEAT if variant is variants.DEFAULT else f"{DEEPFEAT} {variant.name}"
        out += [(f"{label} ({readout})", variant.name, readout, read) for readout, read in metrics.READOUTS.items()]
    return out


# --- synthetic problems ----------------------------------------------------------------------
def run_synthetic(mode, lassonet_python, trained):
    """One row per (problem, seed, method): auroc, precision, and for deepfeat stability.

    ``trained`` receives each ensemble, keyed by (problem, seed, variant name), for
    :func:`run_variants` to reuse.
    """
    rows = []
    for name, make in synthetic.suite(quick=mode.name == "quick"):
        for seed in mode.seeds:
            problem = make(seed)
            n_rows, n_columns = problem.X.shape
            log(f"{name} seed {seed}: {n_rows} rows x {n_columns} columns, {len(problem.relevant)} relevant")
            common = {"problem": name, "family": problem.family, "seed": seed}
            ensembles, baseline = rankings(problem.X, problem.y, seed, mode.configs, mode.n_models, lassonet_python)
            for variant_name, trained_run in ensembles.items():
                trained[name, seed, variant_name] = trained_run
            for method, variant_name, readout, read in deepfeat_methods(mode.configs):
                result, seconds = ensembles[variant_name]
                importances = read(result)
                scores = metrics.summarise(importances, problem.truth)
                if readout == FIRST_READOUT:  # the networks' skill is the same whatever the readout
                    skill = result.final_ensemble().skill
                    scores.update(val_auroc=skill.value, skill_z=skill.z, at_chance=skill.at_chance)
                rows.append({**common, "method": method, "seconds": seconds, **scores})
                for size in mode.ensemble_sizes:
                    subset = metrics.summarise(importances[:size], problem.truth)
                    rows.append({**common, "method": method, "ensemble": size, **subset})
            for method, (scores, seconds) in baseline.items():
                rows.append(
                    {
                        **common,
                        "method": method,
                        "seconds": seconds,
                        "auroc": metrics.auroc(scores, problem.truth),
                        "precision": metrics.precision_at_k(scores, problem.truth),
                    }
                )
    return rows


def run_variants(mode, trained):
    """One row per (panel problem, seed, variant, readout); ensembles in ``trained`` are reused."""
    makers = dict(synthetic.suite(quick=mode.name == "quick"))
    rows = []
    for name in mode.panel:
        for seed in mode.panel_seeds:
            problem = makers[name](seed)
            for variant in mode.variants:
                if (name, seed, variant.name) in trained:
                    result, seconds = trained[name, seed, variant.name]
                else:
                    log(f"variant {variant.name!r} on {name} seed {seed}")
                    result, seconds = variants.train(problem.X, problem.y, mode.n_models, variant, seed)
                epochs = float(np.mean([r["epochs_run"] for r in result.records]))
                for readout, read in metrics.READOUTS.items():
                    scores = metrics.summarise(read(result), problem.truth)
                    rows.append(
                        {
                            "problem": name,
                            "seed": seed,
                            "variant": variant.name,
                            "readout": readout,
                            "seconds": seconds,
                            "epochs": epochs,
                            **scores,
                        }
                    )
    return rows


# --- real data: accuracy on each method's top-k columns ---------------------------------------
def topk_accuracy(X, y, columns, seed):
    """5-fold cross-validated accuracy of standardised logistic regression on ``columns``."""
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=5000))
    folds = StratifiedKFold(5, shuffle=True, random_state=seed)
    return float(cross_val_score(model, X[:, columns], y, cv=folds).mean())


def run_real(mode, lassonet_python):
    """Rank on one stratified half of the rows, score top-k accuracy on the other half."""
    rows = []
    for name, (load, ks) in REAL.items():
        X, y = load(return_X_y=True)
        X = X.astype(np.float64)
        for seed in mode.real_seeds:
            log(f"{name} seed {seed}")
            rank_rows, eval_rows = train_test_split(np.arange(len(y)), test_size=0.5, random_state=seed, stratify=y)
            X_rank, y_rank, X_eval, y_eval = X[rank_rows], y[rank_rows], X[eval_rows], y[eval_rows]
            ensembles, scores = rankings(X_rank, y_rank, seed, mode.configs, mode.n_models, lassonet_python)
            for method, variant_name, _, read in deepfeat_methods(mode.configs):
                result, seconds = ensembles[variant_name]
                scores[method] = mean_importance(read(result)), seconds
            everything = topk_accuracy(X_eval, y_eval, np.arange(X.shape[1]), seed)
            rows.append(
                {"dataset": name, "seed": seed, "method": "all columns", "k": X.shape[1], "accuracy": everything}
            )
            for method, (ranking, seconds) in scores.items():
                for k in ks:
                    accuracy = topk_accuracy(X_eval, y_eval, metrics.top_k(ranking, k), seed)
                    rows.append(
                        {
                            "dataset": name,
                            "seed": seed,
                            "method": method,
                            "k": k,
                            "accuracy": accuracy,
                            "seconds": seconds,
                        }
                    )
    return rows


# --- Cleveland ---------------------------------------------------------------------------------
def run_cleveland(mode):
    """Stability and clinical plausibility of the ranking on the paper's data, if it is here."""
    if not (CLEVELAND / "processed.cleveland.data").is_file():
        log(f"Cleveland data not found under {CLEVELAND}; skipped")
        return []
    data = load_dataset(CLEVELAND / "processed.cleveland.data", CLEVELAND / "attributes")
    _, codes = np.unique(data.y, return_inverse=True)
    settings = [(f"benchmark (lr 1e-3){'' if v is variants.DEFAULT else ', ' + v.name}", v) for v in mode.configs]
    if mode.cleveland_paper:
        settings.insert(0, ("paper (lr 1e-4)", variants.PAPER))
    rows = []
    for label, variant in settings:
        log(f"Cleveland, {mode.cleveland_models} models, {label}")
        result, seconds = variants.train(data.X, codes, mode.cleveland_models, variant, 0)
        skill = result.final_ensemble().skill
        for readout, read in metrics.READOUTS.items():
            importances = read(result)
            mean = mean_importance(importances)
            order = metrics.top_k(mean, len(mean))
            top = [data.feature_names[i] for i in order]
            rows.append(
                {
                    "setting": label,
                    "readout": readout,
                    "n_models": mode.cleveland_models,
                    "seconds": seconds,
                    "spearman": split_half_stability(importances),
                    "jaccard4": metrics.top_k_jaccard(importances, 4),
                    "top": top,
                    "importance": [float(mean[i]) for i in order],
                    "top4_clinical": all(name in CLINICAL for name in top[:4]),
                    "val_auroc": skill.value,
                }
            )
    return rows


# --- report ----------------------------------------------------------------------------------
def _mean(rows, key):
    values = [r[key] for r in rows if r.get(key) is not None and np.isfinite(r[key])]
    return float(np.mean(values)) if values else float("nan")


def _cell(value, digits=3):
    return "n/a" if value is None or not np.isfinite(value) else f"{value:.{digits}f}"


def _table(header, body):
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in body]
    return "\n".join(lines)


def _methods(rows):
    seen = []
    for r in rows:
        if r["method"] not in seen:
            seen.append(r["method"])
    return seen


def synthetic_tables(rows):
    """AUROC and precision@k per problem x method (mean over seeds), wall time, stability."""
    full = [r for r in rows if "ensemble" not in r]
    problems = list(dict.fromkeys(r["problem"] for r in full))
    methods = _methods(full)
    out = []
    for key, title in (
        ("auroc", "AUROC of the importance scores against the relevant columns"),
        ("precision", "Precision at k (k = number of relevant columns)"),
    ):
        body = []
        for problem in problems:
            cells = [_mean([r for r in full if r["problem"] == problem and r["method"] == m], key) for m in methods]
            best = max(c for c in cells if np.isfinite(c))
            body.append([problem] + [f"**{_cell(c)}**" if c == best else _cell(c) for c in cells])
        body.append(["mean"] + [_cell(_mean([r for r in full if r["method"] == m], key)) for m in methods])
        out.append(f"#### {title} (mean over seeds; best in bold)\n\n" + _table(["problem"] + methods, body))
    body = [[m, _cell(_mean([r for r in full if r["method"] == m], "seconds"), 1)] for m in methods]
    out.append(
        "#### Wall time per ranking (s, mean over problems and seeds; deepfeat: training the whole ensemble)\n\n"
        + _table(["method", "seconds"], body)
    )
    deep = [r for r in full if r["method"].startswith(DEEPFEAT)]
    body = []
    for problem in problems:
        cells = []
        for m in _methods(deep):
            chosen = [r for r in deep if r["problem"] == problem and r["method"] == m]
            cells.append(f"{_cell(_mean(chosen, 'spearman'), 2)} / {_cell(_mean(chosen, 'jaccard'), 2)}")
        body.append([problem] + cells)
    out.append(
        "#### deepfeat split-half stability: Spearman / top-k Jaccard between two disjoint halves of the ensemble\n\n"
        + _table(["problem"] + _methods(deep), body)
    )
    return "\n\n".join(out)


def skill_table(rows):
    """Per problem: the networks' validation AUROC, how many seeds the console would flag, ranking AUROC."""
    scored = [r for r in rows if "ensemble" not in r and "val_auroc" in r]
    out = []
    for m in _methods(scored):
        body = []
        for problem in dict.fromkeys(r["problem"] for r in scored):
            chosen = [r for r in scored if r["problem"] == problem and r["method"] == m]
            body.append(
                [
                    problem,
                    _cell(_mean(chosen, "val_auroc")),
                    f"{_cell(min(r['skill_z'] for r in chosen), 1)} to {_cell(max(r['skill_z'] for r in chosen), 1)}",
                    f"{sum(r['at_chance'] for r in chosen)} of {len(chosen)}",
                    _cell(_mean(chosen, "auroc")),
                ]
            )
        out.append(
            f"#### Did the networks learn? {m}: validation AUROC against chance (see README)\n\n"
            + _table(
                ["problem", "validation AUROC", "no-skill z (min to max)", "seeds flagged at chance", "ranking AUROC"],
                body,
            )
        )
    return "\n\n".join(out)


def ensemble_table(rows):
    sized = [r for r in rows if "ensemble" in r]
    body = []
    for m in _methods(sized):
        for size in sorted({r["ensemble"] for r in sized}):
            chosen = [r for r in sized if r["method"] == m and r["ensemble"] == size]
            low = min(r["auroc"] for r in chosen)
            body.append(
                [
                    m,
                    size,
                    _cell(_mean(chosen, "auroc")),
                    _cell(low),
                    _cell(_mean(chosen, "precision")),
                    _cell(_mean(chosen, "spearman")),
                    _cell(_mean(chosen, "jaccard")),
                ]
            )
    return "#### Number of models (the first n models of each ensemble; all synthetic problems and seeds)\n\n" + _table(
        ["readout", "models", "mean AUROC", "worst AUROC", "precision@k", "split-half Spearman", "top-k Jaccard"], body
    )


def variant_table(rows, mode):
    if not rows:
        return ""
    problems = list(dict.fromkeys(r["problem"] for r in rows))
    body = []
    for name in dict.fromkeys(r["variant"] for r in rows):
        for readout in metrics.READOUTS:
            chosen = [r for r in rows if r["variant"] == name and r["readout"] == readout]
            per_problem = [_cell(_mean([r for r in chosen if r["problem"] == p], "auroc")) for p in problems]
            body.append(
                [
                    name,
                    readout,
                    _cell(_mean(chosen, "auroc")),
                    *per_problem,
                    _cell(_mean(chosen, "spearman")),
                    _cell(_mean(chosen, "epochs"), 0),
                    _cell(_mean(chosen, "seconds"), 1),
                ]
            )
    header = ["variant", "readout", "mean AUROC", *problems, "split-half Spearman", "epochs", "seconds"]
    seeds = ", ".join(str(s) for s in mode.panel_seeds)
    return f"#### Training variants (AUROC; {mode.n_models} models; seeds {seeds})\n\n" + _table(header, body)


def real_table(rows):
    if not rows:
        return ""
    datasets = list(dict.fromkeys(r["dataset"] for r in rows))
    methods = _methods(rows)
    body = []
    for dataset in datasets:
        ks = sorted({r["k"] for r in rows if r["dataset"] == dataset and r["method"] != "all columns"})
        for m in methods:
            chosen = [r for r in rows if r["dataset"] == dataset and r["method"] == m]
            if m == "all columns":
                body.append([dataset, m, *["" for _ in ks], _cell(_mean(chosen, "accuracy"))])
            else:
                body.append(
                    [
                        dataset,
                        m,
                        *[_cell(_mean([r for r in chosen if r["k"] == k], "accuracy")) for k in ks],
                        _cell(_mean(chosen, "accuracy")),
                    ]
                )
    return (
        "#### Real data: accuracy of logistic regression on each method's top-k columns\n\n"
        "Ranked on a stratified half of the rows, accuracy by 5-fold CV on the other half; mean over seeds. "
        "The k columns differ per dataset (wine 2/4/6, breast cancer 3/5/10, digits 8/16/32).\n\n"
        + _table(["dataset", "method", "k1", "k2", "k3", "mean"], body)
    )


def cleveland_table(rows):
    if not rows:
        return "#### Cleveland\n\nData not present; skipped."
    body = []
    for r in rows:
        top = ", ".join(f"{n} ({v:.3f})" for n, v in zip(r["top"][:6], r["importance"][:6]))
        body.append(
            [
                r["setting"],
                r["readout"],
                r["n_models"],
                _cell(r["spearman"]),
                _cell(r["jaccard4"], 2),
                "yes" if r["top4_clinical"] else "no",
                top,
                _cell(r.get("val_auroc")),
                _cell(r["seconds"], 1),
            ]
        )
    return "#### Cleveland (297 rows, 13 attributes, 5 classes)\n\n" + _table(
        [
            "setting",
            "readout",
            "models",
            "split-half Spearman",
            "top-4 Jaccard",
            "top 4 clinical",
            "top 6 (mean importance)",
            "validation AUROC",
            "seconds",
        ],
        body,
    )


def targets(synthetic_rows, real_rows, cleveland_rows):
    """Each target of the issue with PASS or MISS, for every deepfeat readout."""
    lines = []
    full = [r for r in synthetic_rows if "ensemble" not in r]
    readouts = [m for m in _methods(full) if m.startswith(DEEPFEAT)]
    others = [m for m in _methods(full) if not m.startswith(DEEPFEAT)]
    problems = list(dict.fromkeys(r["problem"] for r in full))
    for ours in readouts:
        misses = []
        for problem in problems:
            mine = _mean([r for r in full if r["problem"] == problem and r["method"] == ours], "auroc")
            best, best_name = max(
                (_mean([r for r in full if r["problem"] == problem and r["method"] == m], "auroc"), m) for m in others
            )
            if mine < best:
                misses.append(f"{problem} {mine:.4f} < {best_name} {best:.4f}")
        lines.append(f"- {ours}: AUROC >= best baseline on every synthetic problem: {_verdict(misses)}")
        low = [
            (problem, _mean([r for r in full if r["problem"] == problem and r["method"] == ours], "auroc"))
            for problem in L2X_SET
            if problem in problems
        ]
        bad = [f"{p} {v:.3f}" for p, v in low if v < 0.98]
        lines.append(f"- {ours}: AUROC >= 0.98 on the L2X/INVASE set: {_verdict(bad)}")
        if real_rows:
            misses = []
            for dataset in dict.fromkeys(r["dataset"] for r in real_rows):
                mine = _mean([r for r in real_rows if r["dataset"] == dataset and r["method"] == ours], "accuracy")
                forest = _mean(
                    [r for r in real_rows if r["dataset"] == dataset and r["method"] == "RF impurity"], "accuracy"
                )
                if mine < forest:
                    misses.append(f"{dataset} {mine:.4f} < {forest:.4f}")
            lines.append(f"- {ours}: top-k accuracy >= RF-impurity-selected columns: {_verdict(misses)}")
    for r in cleveland_rows:
        ok = r["spearman"] >= 0.95 and r["top4_clinical"]
        lines.append(
            f"- Cleveland, {r['n_models']} models, {r['setting']}, {r['readout']}: "
            f"split-half Spearman {r['spearman']:.3f} (>= 0.95), top 4 {', '.join(r['top'][:4])} all clinical: "
            f"{'PASS' if ok else 'MISS'}"
        )
    return "\n".join(lines)


def _verdict(misses):
    return "PASS" if not misses else "MISS (" + "; ".join(misses) + ")"


def command_line(mode):
    """The command that runs ``mode``."""
    extra = [f'"{v.name}"' for v in mode.configs[1:]]
    if mode.name == "full" and not extra:
        return "make bench-quality"
    words = [".venv/bin/python benchmarks/quality.py"] + (["--quick"] if mode.name == "quick" else [])
    return " ".join(words + (["--everywhere"] + extra if extra else []))


def report(mode, synthetic_rows, variant_rows, real_rows, cleveland_rows, lassonet_python, seconds, date):
    command = command_line(mode)
    if lassonet_python:
        lassonet = "included"
    else:
        lassonet = "not run (" + ("quick mode" if not mode.lassonet else "lassonet not importable") + ")"
    header = (
        f"Command: `{command}`; mode {mode.name}; seeds {', '.join(map(str, mode.seeds))} "
        f"(variants: {', '.join(map(str, mode.panel_seeds))}; real data: {', '.join(map(str, mode.real_seeds))}); "
        f"{mode.n_models} models per ensemble; run {date} on {platform.machine()} "
        f"{platform.system()} with {os.cpu_count()} CPUs (shared with other work: times are indicative); "
        f"total {seconds / 60:.1f} min. "
        f"LassoNet: {lassonet}."
    )
    parts = [
        header,
        "#### Targets\n\n" + targets(synthetic_rows, real_rows, cleveland_rows),
        synthetic_tables(synthetic_rows),
        skill_table(synthetic_rows),
        ensemble_table(synthetic_rows),
        variant_table(variant_rows, mode),
        real_table(real_rows),
        cleveland_table(cleveland_rows),
    ]
    return "\n\n".join(p for p in parts if p) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--quick", action="store_true", help="one seed, smaller problems, fewer variants (a few minutes)"
    )
    parser.add_argument(
        "--everywhere",
        nargs="*",
        default=[],
        choices=[v.name for v in variants.VARIANTS[1:]],
        help="training variants to score on every problem and dataset beside the default (each adds about half a run)",
    )
    parser.add_argument(
        "--skip",
        nargs="*",
        default=[],
        choices=["synthetic", "variants", "real", "cleveland"],
        help="parts to leave out",
    )
    parser.add_argument(
        "--lassonet-python",
        help="interpreter with lassonet installed (default: $LASSONET_PYTHON, else this one if it can import it)",
    )
    parser.add_argument("--output", type=Path, help="also write the Markdown report here")
    parser.add_argument("--json", type=Path, help="write every measured row here (before the report is made)")
    parser.add_argument("--report-from", type=Path, help="skip the measuring: rebuild the report from a --json file")
    args = parser.parse_args(argv)
    mode = QUICK if args.quick else FULL
    by_name = {v.name: v for v in variants.VARIANTS}
    mode = replace(mode, configs=mode.configs + tuple(by_name[name] for name in args.everywhere))
    if args.report_from:
        saved = json.loads(args.report_from.read_text())
    else:
        saved = measure(mode, args)
        if args.json:
            args.json.write_text(json.dumps(saved, indent=1, default=str))
    text = report(mode, **saved)
    print(text)
    if args.output:
        args.output.write_text(text)


def measure(mode, args):
    """Run every part of the benchmark not skipped; the rows and facts :func:`report` takes."""
    lassonet_python = baselines.lassonet_python(args.lassonet_python) if mode.lassonet else None
    if mode.lassonet and lassonet_python is None:
        log("lassonet is not importable (see BENCHMARKS.md for a separate virtualenv); LassoNet left out")
    start = time.perf_counter()
    trained = {}
    synthetic_rows = [] if "synthetic" in args.skip else run_synthetic(mode, lassonet_python, trained)
    variant_rows = [] if "variants" in args.skip else run_variants(mode, trained)
    real_rows = [] if "real" in args.skip else run_real(mode, lassonet_python)
    cleveland_rows = [] if "cleveland" in args.skip else run_cleveland(mode)
    return {
        "synthetic_rows": synthetic_rows,
        "variant_rows": variant_rows,
        "real_rows": real_rows,
        "cleveland_rows": cleveland_rows,
        "lassonet_python": lassonet_python,
        "seconds": time.perf_counter() - start,
        "date": datetime.date.today().isoformat(),
    }


if __name__ == "__main__":
    main()
