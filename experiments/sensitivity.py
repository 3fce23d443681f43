"""Global sensitivity analysis: Morris screening and Sobol' indices through SALib.

`python run.py sensitivity EXPERIMENT.yaml` reads an experiment file whose
`design.method` is `morris` or `sobol` and whose factors all have a `range`.
The factors become a SALib problem (names = dotted key paths, bounds = ranges);
SALib draws the design with the design seed; every design point is run
`replications` times on common random numbers (replication r has the same seed
at every point) through the experiment engine, so the runs stream to
`DIR/<name>/runs/` and `--resume` continues an interrupted analysis. Each
point's outcome is the mean over its replications, then SALib analyses each
outcome with a seeded bootstrap, so the same seed gives the same bytes.

Why average before the analysis: Morris and Sobol' estimators expect one output
per design point. With common random numbers, two points that differ only in
an inert factor give bit-identical runs, so an inert factor's elementary
effects (and its Sobol' indices) are exactly 0, not noise; averaging
replications then only shrinks the model's own noise in the influential ones.

Run counts: Morris = r·(k+1) points (r = `design.samples` trajectories, k
factors, `design.levels` = p grid levels, even); Sobol' (Saltelli's scheme,
first-order and total indices only) = N·(k+2) points (N = `design.samples`
base samples, best a power of 2). Each point is run `replications` times.

Writes `DIR/<name>/`: `indices.csv` (outcome, factor, index, value, conf),
`indices.md`, `points.csv` (the design as run, with each outcome's
replication mean), `plots/indices_<outcome>.png`, `manifest.json`, and the
resumable state `runs/` (with `runs/experiment.json`).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import math
import sys
import textwrap
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from experiments.cli_common import add_engine_options, engine_options
from experiments.design import MAX_POINTS, LoadedExperiment, Value, design_seed, load_experiment
from experiments.engine import RunStore, Task, run_tasks
from experiments.outputs import package_version, provenance, publish, write_csv
from experiments.runner import replication_seeds
from model.errors import InputError
from model.scenario import dump_resolved

logger = logging.getLogger(__name__)

METHODS = ("morris", "sobol")
INDICES: dict[str, tuple[str, ...]] = {"morris": ("mu_star", "mu", "sigma"), "sobol": ("S1", "ST")}
# The index whose bootstrap CI half-width SALib reports (the other indices have none).
CONF_OF: dict[str, str] = {"mu_star": "mu_star_conf", "S1": "S1_conf", "ST": "ST_conf"}
NUM_RESAMPLES = 1000  # bootstrap resamples for the CIs: cheap next to the model runs, steadier than SALib's 100
CONF_LEVEL = 0.95
PLOTS_DIR = "plots"
INSTALL_HINT = 'pip install -e ".[sensitivity]" (or pip install "SALib>=1.4")'

EXIT_OK, EXIT_ERROR = 0, 1


# --------------------------------------------------------------------------- SALib


@dataclass(frozen=True)
class SALib:
    """The four SALib functions used, imported only when the command runs (SALib is an optional extra)."""

    morris_sample: Callable[..., np.ndarray]
    morris_analyze: Callable[..., Any]
    sobol_sample: Callable[..., np.ndarray]
    sobol_analyze: Callable[..., Any]
    version: str | None


def require_salib() -> SALib:
    """SALib's samplers and analysers, or an InputError (exit 2) that says how to install it."""
    try:
        from SALib.analyze import morris as morris_analyze
        from SALib.analyze import sobol as sobol_analyze
        from SALib.sample import morris as morris_sample
        from SALib.sample import sobol as sobol_sample
    except ImportError:
        raise InputError(
            "command line", "sensitivity", "SALib is not installed", f"install the extra: {INSTALL_HINT}"
        ) from None
    return SALib(
        morris_sample.sample,
        morris_analyze.analyze,
        sobol_sample.sample,
        sobol_analyze.analyze,
        package_version("SALib"),
    )


# --------------------------------------------------------------------------- the design


@dataclass(frozen=True)
class Design:
    """A SALib design: the problem, SALib's raw sample `x` and the points the model runs (integers rounded).

    `x` (not the rounded points) goes to the Morris analysis: SALib finds each
    trajectory's steps from it.
    """

    method: str
    names: list[str]
    bounds: list[tuple[float, float]]
    integer: list[bool]
    samples: int
    levels: int
    sample_seed: int
    analysis_seed: int
    x: np.ndarray
    points: list[dict[str, Value]]

    def problem(self) -> dict[str, Any]:
        return _problem(self.names, self.bounds)


def _problem(names: Sequence[str], bounds: Sequence[tuple[float, float]]) -> dict[str, Any]:
    """A fresh SALib problem dict each time: SALib adds keys to the one it is given."""
    return {"num_vars": len(names), "names": list(names), "bounds": [list(b) for b in bounds]}


def analysis_seed(sample_seed: int) -> int:
    """The bootstrap seed, derived from the design seed; never 0 (SALib's Sobol' treats 0 as 'unseeded')."""
    value = int(np.random.SeedSequence([sample_seed, 2]).generate_state(1, np.uint32)[0])
    return value or 1


def build_design(loaded: LoadedExperiment, master_seed: int, salib: SALib) -> Design:
    """Sample the factors' ranges with SALib (seeded) and turn the rows into design points."""
    exp = loaded.experiment
    method, n, levels = exp.design.method, exp.design.samples, exp.design.levels
    names = list(exp.factors)
    bounds = []
    for factor in exp.factors.values():
        assert factor.range is not None  # the Experiment validator requires a range for morris and sobol
        bounds.append((float(factor.range[0]), float(factor.range[1])))
    integer = [f.integer for f in exp.factors.values()]
    n_points = n * (len(names) + 1) if method == "morris" else n * (len(names) + 2)
    if n_points > MAX_POINTS:
        raise InputError(
            loaded.path, "design.samples", f"{n} gives {n_points} design points", f"at most {MAX_POINTS} points"
        )
    seed = design_seed(loaded, master_seed)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if method == "morris":
            x = salib.morris_sample(_problem(names, bounds), n, num_levels=levels, seed=seed)
        else:
            x = salib.sobol_sample(_problem(names, bounds), n, calc_second_order=False, seed=seed)
    for w in caught:  # e.g. scipy's note on powers of 2, already said once by check_design
        logger.info("SALib: %s", w.message)
    x = np.asarray(x, dtype=float)
    points = [_point(names, integer, row) for row in x]
    return Design(method, names, bounds, integer, n, levels, seed, analysis_seed(seed), x, points)


def _point(names: Sequence[str], integer: Sequence[bool], row: np.ndarray) -> dict[str, Value]:
    """One sample row as factor values; integer factors are rounded to the nearest whole number."""
    return {
        name: (round(float(v)) if is_int else float(v)) for name, is_int, v in zip(names, integer, row, strict=True)
    }


def check_design(loaded: LoadedExperiment) -> None:
    """Reject what SALib would reject later, with the key path, before anything runs."""
    exp, path = loaded.experiment, loaded.path
    method = exp.design.method
    if method not in METHODS:
        raise InputError(
            path,
            "design.method",
            f"{method!r} is not a sensitivity method",
            "morris or sobol (grid and lhs: use the sweep command)",
        )
    if exp.design.samples < 2:
        what = "trajectories" if method == "morris" else "base samples"
        raise InputError(path, "design.samples", f"{exp.design.samples} {what}", "at least 2 (bootstrap CIs need them)")
    if method == "morris" and exp.design.levels % 2:
        raise InputError(path, "design.levels", f"{exp.design.levels} grid levels", "an even number for morris, e.g. 4")
    if method == "sobol" and exp.design.samples & (exp.design.samples - 1):
        logger.warning(
            "design.samples = %d is not a power of 2: Sobol' sequences balance best at 2^m base samples",
            exp.design.samples,
        )


# --------------------------------------------------------------------------- resumable state


def fingerprint(loaded: LoadedExperiment, design: Design, seeds: Sequence[int]) -> str:
    """A hash of everything that decides the runs, so --resume cannot mix runs of different designs."""
    base = loaded.scenario_at({}).model_dump(mode="json")
    payload = json.dumps({"points": design.points, "seeds": list(seeds), "base": base}, sort_keys=True)
    return "sha256:" + hashlib.sha256(payload.encode()).hexdigest()


# --------------------------------------------------------------------------- outcomes per point


def point_means(store: RunStore, tasks: Sequence[Task], n_points: int, outcomes: Sequence[str]) -> np.ndarray:
    """(points, outcomes): each point's outcome averaged over its replications (finite values only).

    Records are read one at a time in task order, so memory stays flat and the
    sums are the same whatever order the runs finished in.
    """
    values: list[list[list[float]]] = [[[] for _ in outcomes] for _ in range(n_points)]
    for record in store.records(tasks):
        if record.metrics is None:
            continue
        p = int(record.labels["point"])
        for j, name in enumerate(outcomes):
            v = float(record.metrics[name])
            if math.isfinite(v):
                values[p][j].append(v)
    means = np.full((n_points, len(outcomes)), math.nan)
    for p, row in enumerate(values):
        for j, vs in enumerate(row):
            if vs:
                means[p, j] = math.fsum(vs) / len(vs)
    return means


# --------------------------------------------------------------------------- analysis


@dataclass(frozen=True)
class IndexRow:
    outcome: str
    factor: str
    index: str
    value: float
    conf: float | None  # half-width of the 95% bootstrap CI; None where SALib gives none


def analyse(
    design: Design, y: np.ndarray, outcomes: Sequence[str], salib: SALib
) -> tuple[list[IndexRow], dict[str, str]]:
    """Indices of every outcome; outcomes that cannot be analysed get a note instead of rows."""
    rows: list[IndexRow] = []
    notes: dict[str, str] = {}
    for j, outcome in enumerate(outcomes):
        col = y[:, j]
        missing = int(np.count_nonzero(~np.isfinite(col)))
        if missing:
            notes[outcome] = f"undefined at {missing} of {len(col)} design points (no finite value in any replication)"
            continue
        if design.method == "sobol" and float(np.ptp(col)) == 0.0:
            notes[outcome] = "the same value at every design point: there is no variance to apportion"
            continue
        rows.extend(_analyse_one(design, col, outcome, salib))
    return rows, notes


def _analyse_one(design: Design, y: np.ndarray, outcome: str, salib: SALib) -> list[IndexRow]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if design.method == "morris":
            si = salib.morris_analyze(
                design.problem(),
                design.x,
                y,
                num_resamples=NUM_RESAMPLES,
                conf_level=CONF_LEVEL,
                num_levels=design.levels,
                seed=design.analysis_seed,
            )
        else:
            si = salib.sobol_analyze(
                design.problem(),
                y,
                calc_second_order=False,
                num_resamples=NUM_RESAMPLES,
                conf_level=CONF_LEVEL,
                seed=design.analysis_seed,
            )
    for w in caught:
        logger.info("SALib (%s): %s", outcome, w.message)
    rows = []
    for i, factor in enumerate(design.names):
        for index in INDICES[design.method]:
            conf_key = CONF_OF.get(index)
            conf = float(np.asarray(si[conf_key])[i]) if conf_key else None
            rows.append(IndexRow(outcome, factor, index, float(np.asarray(si[index])[i]), conf))
    return rows


# --------------------------------------------------------------------------- files


def write_indices_csv(path: Path, rows: Sequence[IndexRow]) -> None:
    write_csv(
        path,
        ("outcome", "factor", "index", "value", "conf"),
        ((r.outcome, r.factor, r.index, r.value, "" if r.conf is None else r.conf) for r in rows),
    )


def write_points_csv(path: Path, design: Design, y: np.ndarray, outcomes: Sequence[str]) -> None:
    write_csv(
        path,
        ("point", *design.names, *outcomes),
        ((p, *point.values(), *y[p]) for p, point in enumerate(design.points)),
    )


def _num(value: float) -> str:
    """A figure for the report: thousands separators for large values, 4 significant digits otherwise."""
    if not math.isfinite(value):
        return "n/a"
    if abs(value) >= 1e4:
        return f"{value:,.0f}"
    return f"{value:.4g}"


def _by_outcome(rows: Sequence[IndexRow]) -> dict[str, dict[str, dict[str, IndexRow]]]:
    """outcome → factor → index → row."""
    table: dict[str, dict[str, dict[str, IndexRow]]] = {}
    for r in rows:
        table.setdefault(r.outcome, {}).setdefault(r.factor, {})[r.index] = r
    return table


def _ranking_key(method: str) -> str:
    return "mu_star" if method == "morris" else "ST"


def _conf(conf: float | None) -> float:
    """A missing confidence half-width is shown as n/a, never as 0."""
    return math.nan if conf is None else conf


def _inert_lines(names: Sequence[str], factors: dict[str, Any], index: str, label: str) -> list[str]:
    """The factors whose index is exactly 0: no effect at any sampled point (common random numbers)."""
    inert = [f for f in names if factors[f][index].value == 0.0]
    if not inert:
        return []
    return ["", f"No effect at any sampled point ({label} = 0 exactly): " + ", ".join(f"`{f}`" for f in inert) + "."]


def _ranked(method: str, factors: dict[str, dict[str, IndexRow]]) -> list[str]:
    """Factors by importance (μ* or ST), largest first; ties keep the experiment's order."""
    key = _ranking_key(method)
    return sorted(factors, key=lambda f: -factors[f][key].value)


def design_text(loaded: LoadedExperiment, design: Design) -> str:
    exp = loaded.experiment
    k, n = len(design.names), design.samples
    if design.method == "morris":
        how = (
            f"Morris screening: r = {n} trajectories on a p = {design.levels}-level grid, "
            f"r·(k+1) = {len(design.points)} points"
        )
    else:
        how = (
            f"Sobol' indices (Saltelli sampling, first and total order): N = {n} base samples, "
            f"N·(k+2) = {len(design.points)} points"
        )
    runs = len(design.points) * exp.replications
    return f"{how}, k = {k} factors; × {exp.replications} replication(s) = {runs} model runs"


def write_report(
    path: Path,
    loaded: LoadedExperiment,
    design: Design,
    rows: Sequence[IndexRow],
    notes: dict[str, str],
    plotted: dict[str, str],
) -> None:
    """indices.md: the design, one table per outcome with the factors ranked, and how to read them."""
    exp = loaded.experiment
    title = "Morris screening" if design.method == "morris" else "Sobol' indices"
    lines = [
        f"# Sensitivity of `{exp.name}`: {title}",
        "",
        f"Experiment `{loaded.path.name}`, base scenario `{exp.base}`"
        + (f", {exp.firms} firms" if exp.firms else "")
        + ".",
        "",
        design_text(loaded, design) + ".",
        "Each design point's outcome is the mean of its replications; replication r uses the same seed at every "
        "point (common random numbers), so differences between points come from the factors, not from noise.",
        "",
        "| factor | range |",
        "|---|---|",
    ]
    for name, (lo, hi), is_int in zip(design.names, design.bounds, design.integer, strict=True):
        lines.append(f"| `{name}` | {_num(lo)} to {_num(hi)}{' (whole numbers)' if is_int else ''} |")
    table = _by_outcome(rows)
    for outcome in exp.outcomes:
        lines += ["", f"## {outcome}", ""]
        if outcome in notes:
            lines.append(f"Not analysed: {notes[outcome]}.")
            continue
        factors = table[outcome]
        if design.method == "morris":
            lines += ["| factor | μ* | ± 95% CI | μ | σ |", "|---|---:|---:|---:|---:|"]
            for f in _ranked(design.method, factors):
                ix = factors[f]
                conf = ix["mu_star"].conf
                lines.append(
                    f"| `{f}` | {_num(ix['mu_star'].value)} | {_num(_conf(conf))} "
                    f"| {_num(ix['mu'].value)} | {_num(ix['sigma'].value)} |"
                )
            lines += _inert_lines(design.names, factors, "mu_star", "μ*")
        else:
            lines += ["| factor | S1 | ± 95% CI | ST | ± 95% CI |", "|---|---:|---:|---:|---:|"]
            for f in _ranked(design.method, factors):
                ix = factors[f]
                lines.append(
                    f"| `{f}` | {_num(ix['S1'].value)} | {_num(_conf(ix['S1'].conf))} "
                    f"| {_num(ix['ST'].value)} | {_num(_conf(ix['ST'].conf))} |"
                )
            lines += _inert_lines(design.names, factors, "ST", "ST")
        if outcome in plotted:
            lines += ["", f"![{outcome}]({plotted[outcome]})"]
    lines += ["", "## How to read this", ""]
    if design.method == "morris":
        lines += [
            f"- An elementary effect is the change in the outcome when one factor moves by a step of "
            f"Δ = p/(2(p−1)) = {design.levels / (2 * (design.levels - 1)):.3g} of its range, divided by Δ: "
            "it is in outcome units per whole range of the factor.",
            "- μ* (mean absolute elementary effect) ranks the factors by influence; ± is the half-width of its 95% "
            f"bootstrap confidence interval ({NUM_RESAMPLES} resamples of the trajectories).",
            "- μ is the signed mean (the direction, when μ ≈ ±μ*); σ (their standard deviation) large next to μ* "
            "means the effect depends on where the other factors are (non-linearity or interactions).",
            "- Morris screens; it does not apportion variance. Use `design.method: sobol` on the factors that "
            "matter for that.",
        ]
    else:
        lines += [
            "- S1 (first order) is the share of the outcome's variance over the ranges due to the factor alone; "
            "ST (total) adds every interaction it takes part in. ST ≥ S1 up to sampling error; ST − S1 measures "
            "interactions; ST ≈ 0 means the factor can be fixed anywhere in its range.",
            f"- ± is the half-width of the 95% bootstrap confidence interval ({NUM_RESAMPLES} resamples). With few "
            "base samples the intervals are wide and S1 can come out slightly negative: that is estimation noise.",
        ]
    lines += [
        "- Figures depend on the ranges: a factor given a wider range looks more influential.",
        "- The model is stochastic: common random numbers keep most of its noise out of the differences between "
        "points, and more firms or replications shrink the rest, which otherwise shows up as small effects "
        "(and as σ or ST − S1).",
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


# --------------------------------------------------------------------------- plot


def plot_indices(
    path: Path, loaded: LoadedExperiment, design: Design, outcome: str, factors: dict[str, dict[str, IndexRow]]
) -> Path:
    """Horizontal bars of the indices with 95% CI whiskers, most influential factor on top."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from experiments.plots import DPI, PNG_METADATA

    order = list(reversed(_ranked(design.method, factors)))  # barh draws bottom-up
    k = len(order)
    fig = Figure(figsize=(8.5, 1.9 + 0.5 * k), layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    draw = _draw_morris if design.method == "morris" else _draw_sobol
    handles, caption = draw(ax, design, outcome, [factors[f] for f in order])
    caption += (
        f" Each point is the mean of {loaded.experiment.replications} replication(s) on common random numbers. "
        "Indices depend on the ranges given to the factors."
    )
    ax.set_yticks(np.arange(k), order, fontsize=9)
    ax.set_ylim(-0.6, k - 0.4)
    ax.grid(axis="x", alpha=0.3)
    # The most influential factor is on top, so the lower right is where the bars are shortest.
    ax.legend([a for a, _ in handles], [t for _, t in handles], loc="lower right", fontsize=8, framealpha=0.9)
    title = "Morris screening" if design.method == "morris" else "Sobol' indices"
    ax.set_title(f"{title} of {outcome} — experiment {loaded.experiment.name}", fontsize=11)
    fig.supxlabel("\n".join(textwrap.wrap(caption, 120)), x=0.01, ha="left", fontsize=7.5, color="#444444")
    fig.savefig(path, dpi=DPI, metadata=PNG_METADATA)
    fig.clear()
    return path


Handles = list[tuple[Any, str]]


def _draw_morris(ax: Any, design: Design, outcome: str, rows: list[dict[str, IndexRow]]) -> tuple[Handles, str]:
    """μ* bars with CI whiskers, σ as open diamonds on the same (outcome per range) scale."""
    from matplotlib.ticker import FuncFormatter

    from experiments.plots import NORTH_COLOUR, OUTSIDE_COLOUR

    y = np.arange(len(rows), dtype=float)
    mu_star = np.array([r["mu_star"].value for r in rows])
    conf = np.array([r["mu_star"].conf or 0.0 for r in rows])
    sigma = np.array([r["sigma"].value for r in rows])
    bars = ax.barh(y, mu_star, height=0.6, color=NORTH_COLOUR, xerr=conf, capsize=4)
    (diamonds,) = ax.plot(
        sigma, y, linestyle="none", marker="D", markersize=6, markerfacecolor="white", markeredgecolor=OUTSIDE_COLOUR
    )
    ax.set_xlabel(f"{outcome}: elementary effect, per whole factor range")
    ax.set_xlim(left=0)
    if max(float(np.max(mu_star + conf)), float(np.max(sigma))) >= 1e4:
        ax.xaxis.set_major_formatter(FuncFormatter(_thousands))
    caption = (
        f"Bars: μ*, the mean absolute elementary effect over {design.samples} Morris trajectories "
        f"({design.levels}-level grid); whiskers: its 95% bootstrap confidence interval. Diamonds: σ, the spread "
        "of the elementary effects (non-linearity or interactions)."
    )
    return [(bars, "μ*, mean absolute elementary effect (95% CI)"), (diamonds, "σ of the elementary effects")], caption


def _draw_sobol(ax: Any, design: Design, outcome: str, rows: list[dict[str, IndexRow]]) -> tuple[Handles, str]:
    """ST and S1 bars side by side with CI whiskers, on a 0–1 share-of-variance axis."""
    from experiments.plots import NORTH_COLOUR, OUTSIDE_COLOUR

    y = np.arange(len(rows), dtype=float)
    s1 = np.array([r["S1"].value for r in rows])
    s1c = np.array([r["S1"].conf or 0.0 for r in rows])
    st = np.array([r["ST"].value for r in rows])
    stc = np.array([r["ST"].conf or 0.0 for r in rows])
    half = 0.18
    st_bars = ax.barh(y + half, st, height=2 * half, color=NORTH_COLOUR, xerr=stc, capsize=3)
    s1_bars = ax.barh(y - half, s1, height=2 * half, color=OUTSIDE_COLOUR, xerr=s1c, capsize=3)
    ax.axvline(0.0, color="#444444", linewidth=0.8)
    lo = min(0.0, float(np.min(s1 - s1c)), float(np.min(st - stc)))
    hi = max(1.0, float(np.max(s1 + s1c)), float(np.max(st + stc)))
    ax.set_xlim(lo - 0.02, hi + 0.02)
    ax.set_xlabel(f"{outcome}: share of variance")
    caption = (
        f"Bars: Sobol' indices from N = {design.samples} base samples ({len(design.points)} points); "
        "whiskers: 95% bootstrap confidence intervals. S1 = share of variance due to the factor alone, "
        "ST = including its interactions."
    )
    return [(st_bars, "ST, total index (95% CI)"), (s1_bars, "S1, first-order index (95% CI)")], caption


def _thousands(value: float, _pos: object = None) -> str:
    return f"{value:,.0f}"


# --------------------------------------------------------------------------- manifest and publishing


def build_manifest(
    loaded: LoadedExperiment,
    design: Design,
    master: int,
    seeds: Sequence[int],
    outcomes_analysed: Sequence[str],
    salib: SALib,
    started_at: float,
    wall_seconds: float,
    executed: int,
) -> dict[str, Any]:
    exp = loaded.experiment
    base = loaded.scenario_at({})
    return {
        "experiment": exp.name,
        "experiment_file": str(loaded.path),
        "experiment_sha256": "sha256:" + hashlib.sha256(loaded.path.read_bytes()).hexdigest(),
        "base": exp.base,
        "base_config_hash": "sha256:" + hashlib.sha256(dump_resolved(base).encode()).hexdigest(),
        "method": design.method,
        "design": {
            "samples": design.samples,
            "levels": design.levels if design.method == "morris" else None,
            "sample_seed": design.sample_seed,
            "analysis_seed": design.analysis_seed,
            "num_resamples": NUM_RESAMPLES,
            "conf_level": CONF_LEVEL,
        },
        "factors": {
            name: {"range": list(b), "integer": i}
            for name, b, i in zip(design.names, design.bounds, design.integer, strict=True)
        },
        "outcomes": list(exp.outcomes),
        "outcomes_analysed": list(outcomes_analysed),
        "points": len(design.points),
        "replications": exp.replications,
        "runs": len(design.points) * exp.replications,
        "runs_executed_now": executed,
        "seed": master,
        "replication_seeds": list(seeds),
        "firms": base.firms.count,
        "years": [base.years.start, base.years.end],
        **provenance(started_at, wall_seconds, SALib=salib.version),
    }


# --------------------------------------------------------------------------- command


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "experiment", type=Path, metavar="EXPERIMENT.yaml", help="experiment file with design.method morris or sobol"
    )
    add_engine_options(parser)


def run(args: argparse.Namespace) -> int:
    """Sample, run (streamed to runs/), average replications, analyse, write the result files."""
    salib = require_salib()
    loaded = load_experiment(args.experiment)
    check_design(loaded)
    exp = loaded.experiment
    folder = args.out / exp.name
    options = engine_options(args)
    started_at, t0 = time.time(), time.perf_counter()

    master, _ = loaded.master_seed(RunStore(folder).read_state() if options.resume else None)
    design = build_design(loaded, master, salib)
    seeds = replication_seeds(master, exp.replications)
    tasks = loaded.tasks(design.points, master)
    _check_state(loaded, folder, design, master, seeds, options.resume)

    store = RunStore(folder)
    executed, failed = run_tasks(tasks, store, options)
    if failed:
        first = next(r for r in store.records(tasks) if r.error)
        print(
            f"relocsim: {failed} of {len(tasks)} runs failed (first: {first.task_id}: {first.error}); "
            f"no indices written. The runs are in {store.runs}: fix the cause and rerun with --resume",
            file=sys.stderr,
        )
        return EXIT_ERROR

    y = point_means(store, tasks, len(design.points), exp.outcomes)
    rows, notes = analyse(design, y, exp.outcomes, salib)
    analysed = [o for o in exp.outcomes if o not in notes]
    for outcome, note in notes.items():
        logger.warning("%s not analysed: %s", outcome, note)

    def build(tmp: Path) -> None:
        write_indices_csv(tmp / "indices.csv", rows)
        write_points_csv(tmp / "points.csv", design, y, exp.outcomes)
        plots = tmp / PLOTS_DIR
        plots.mkdir()
        plotted = {}
        table = _by_outcome(rows)
        for outcome in analysed:
            name = f"indices_{outcome}.png"
            plot_indices(plots / name, loaded, design, outcome, table[outcome])
            plotted[outcome] = f"{PLOTS_DIR}/{name}"
        write_report(tmp / "indices.md", loaded, design, rows, notes, plotted)
        manifest = build_manifest(
            loaded, design, master, seeds, analysed, salib, started_at, time.perf_counter() - t0, executed
        )
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")

    publish(folder, build)
    if not args.quiet:
        _print_summary(loaded, design, rows, notes, folder, executed, time.perf_counter() - t0)
    return EXIT_OK


def _check_state(
    loaded: LoadedExperiment, folder: Path, design: Design, master: int, seeds: Sequence[int], resume: bool
) -> None:
    """On --resume, refuse runs made for another design; then record this design for the next resume."""
    digest = fingerprint(loaded, design, seeds)
    if resume:
        state = RunStore(folder).read_state()
        if state is not None and state.get("fingerprint") != digest:
            raise InputError(
                loaded.path,
                "--resume",
                f"the runs in {folder / 'runs'} were made for a different design (the experiment, its base or "
                "its seed changed)",
                "rerun without --resume to start afresh",
            )
    state = {
        "method": design.method,
        "master_seed": master,
        "design_seed": design.sample_seed,
        "points": len(design.points),
        "replications": len(seeds),
        "fingerprint": digest,
    }
    RunStore(folder).write_state(state)


def _print_summary(
    loaded: LoadedExperiment,
    design: Design,
    rows: Sequence[IndexRow],
    notes: dict[str, str],
    folder: Path,
    executed: int,
    wall_seconds: float,
) -> None:
    """The design, the run count and each outcome's three most influential factors."""
    print(
        f"{loaded.experiment.name}: {design_text(loaded, design)} ({executed} run now) "
        f"in {wall_seconds:.1f} s -> {folder}"
    )
    key = _ranking_key(design.method)
    table = _by_outcome(rows)
    for outcome in loaded.experiment.outcomes:
        if outcome in notes:
            print(f"  {outcome}: not analysed ({notes[outcome]})")
            continue
        top = _ranked(design.method, table[outcome])[:3]
        parts = []
        for f in top:
            r = table[outcome][f][key]
            parts.append(f"{f} {_num(r.value)} ± {_num(r.conf if r.conf is not None else math.nan)}")
        print(f"  {outcome} ({'μ*' if key == 'mu_star' else 'ST'}): " + "; ".join(parts))
