"""Lever attribution: the exact Shapley decomposition of a package's effect.

A policy package moves a metric from v(∅) (the world without its levers) to
v(N) (all of them). Levers interact — aid sends more firms north, which makes
a park's talent or cluster support worth more — so "the effect of lever i"
depends on which levers are already there. The Shapley value averages lever
i's marginal effect over every order in which the levers could be added:

    φ_i = Σ_{S ⊆ N∖{i}} |S|! (k − |S| − 1)! / k! · (v(S ∪ {i}) − v(S))

It is the only split that sums exactly to v(N) − v(∅) (efficiency), gives
equal shares to levers that act alike (symmetry) and nothing to a lever that
changes nothing (dummy). Computing it exactly needs all 2^k subsets of the
package, so k is capped at `MAX_LEVERS`. Every subset is run with the same
replication seeds (common random numbers), so within a replication the
differences between subsets come from the levers, not from noise; φ is
computed per replication and then averaged with a t-interval.

Outputs in `DIR/<name>/`: `attribution.csv`, `attribution.md`,
`plots/waterfall_<metric>.png`, `manifest.json` (written last, all renamed
into place at the end) and `runs/` (the streamed, resumable model runs).
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import json
import logging
import math
import sys
import textwrap
import time
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from experiments.cli_common import add_engine_options, add_run_overrides, engine_options, output_name
from experiments.engine import RunStore, Task, run_tasks
from experiments.outputs import publish, scenario_manifest, write_csv
from experiments.runner import draw_master_seed, replication_seeds
from experiments.stats import Interval
from model.config import LEVER_KEYS, Scenario
from model.errors import InputError
from model.metrics import SUMMARY_METRICS
from model.scenario import dump_resolved, load_raw, validate_mapping
from model.world import world_for

logger = logging.getLogger(__name__)

MAX_LEVERS = 8  # 2^8 = 256 model runs per replication
DEFAULT_METRICS: tuple[str, ...] = ("north_share_jobs", "to_north_jobs", "fiscal_cost_yuan")
SHARE_METRICS = frozenset({"north_share_jobs", "outside_share_jobs"})
BILLIONS_METRICS = frozenset({"fiscal_cost_yuan"})
CSV_COLUMNS: tuple[str, ...] = (
    "metric",
    "lever",
    "shapley_mean",
    "ci_low",
    "ci_high",
    "share_of_total",
    "alone_mean",
    "last_mean",
    "replications",
)
EFFICIENCY_RTOL = 1e-12
EXIT_OK, EXIT_ERROR = 0, 1
END_COLOUR = "#666666"  # start and end bars of the waterfall


# --------------------------------------------------------------------------- the Shapley value


def shapley_values(v: Sequence[float]) -> list[float]:
    """Exact Shapley values of a game given as v[bitmask] for all 2^k subsets (bit i = lever i).

    The sum is done in exact rational arithmetic (floats are dyadic rationals),
    so a dummy lever gets exactly 0, an additive game gives back each lever's
    own effect up to one rounding, and efficiency holds to a few ulps. A game
    with a non-finite value (e.g. a share with no moves) has no values: NaN.
    """
    n = len(v)
    k = n.bit_length() - 1
    if n < 1 or n != 1 << k:
        raise ValueError(f"a game needs 2^k values, got {n}")
    if not all(math.isfinite(x) for x in v):
        return [math.nan] * k
    exact = [Fraction(x) for x in v]
    weights = [Fraction(math.factorial(s) * math.factorial(k - s - 1), math.factorial(k)) for s in range(k)]
    phi = []
    for i in range(k):
        bit = 1 << i
        total = Fraction(0)
        for mask in range(n):
            if not mask & bit:
                total += weights[mask.bit_count()] * (exact[mask | bit] - exact[mask])
        phi.append(float(total))
    _check_efficiency(phi, v)
    return phi


def _check_efficiency(phi: Sequence[float], v: Sequence[float]) -> None:
    """Σφ = v(N) − v(∅): a property of the formula, so a failure here is a bug, not bad input."""
    gap = math.fsum(phi) - (v[-1] - v[0])
    scale = max(1.0, max(abs(x) for x in v))
    if abs(gap) > EFFICIENCY_RTOL * scale:
        raise ArithmeticError(f"Shapley values miss efficiency by {gap!r} (scale {scale!r})")


# --------------------------------------------------------------------------- the package and its subsets


@dataclass(frozen=True)
class Package:
    """A scenario file read as a package: its merged mapping, its levers (registry order), the full scenario."""

    path: Path
    raw: dict[str, Any]
    levers: tuple[str, ...]
    scenario: Scenario

    @property
    def k(self) -> int:
        return len(self.levers)

    @property
    def subsets(self) -> int:
        return 1 << len(self.levers)

    def lever_names(self, mask: int) -> list[str]:
        return [lever for i, lever in enumerate(self.levers) if mask >> i & 1]

    def subset_name(self, mask: int) -> str:
        suffix = f"__s{mask}"
        return self.scenario.name[: 64 - len(suffix)] + suffix

    def subset_scenario(self, mask: int) -> Scenario:
        """The package with only the levers in `mask`; world, behaviour and everything else kept."""
        data = copy.deepcopy(self.raw)
        policies = data.setdefault("policies", {})
        for i, lever in enumerate(self.levers):
            if not mask >> i & 1:
                del policies[lever]
        data["name"] = self.subset_name(mask)
        return validate_mapping(data, self.path)


def load_package(path: str | Path, firms: int | None = None) -> Package:
    """Read a scenario file as a package of 1..MAX_LEVERS levers (the sections present under `policies`)."""
    path = Path(path)
    raw = load_raw(path)
    policies = raw.get("policies")
    if isinstance(policies, dict):
        present = [key for key, value in policies.items() if value is not None]
        if len(present) > MAX_LEVERS:
            raise InputError(
                path,
                "policies",
                f"{len(present)} levers ({', '.join(map(str, present))}) would need 2^{len(present)} runs "
                "per replication",
                f"1 to {MAX_LEVERS} lever sections",
            )
    if firms is not None:
        raw.setdefault("firms", {})
        if isinstance(raw["firms"], dict):
            raw["firms"]["count"] = firms
    scenario = validate_mapping(raw, path)
    world_for(scenario, path)  # every place and industry the levers name exists
    levers = tuple(key for key in LEVER_KEYS if getattr(scenario.policies, key) is not None)
    if not levers:
        raise InputError(path, "policies", "the package has no levers", f"1 to {MAX_LEVERS} lever sections")
    return Package(path, raw, levers, scenario)


def _scenario_hash(scenario: Scenario) -> str:
    return hashlib.sha256(dump_resolved(scenario).encode()).hexdigest()[:16]


def build_tasks(package: Package, replications: int, master_seed: int) -> list[Task]:
    """Every subset × replication; replication r has the same seed in every subset (common random numbers).

    Replication-major order, so a run stopped early leaves whole replications.
    """
    seeds = replication_seeds(master_seed, replications)
    scenarios = [package.subset_scenario(mask) for mask in range(package.subsets)]
    hashes = [_scenario_hash(sc) for sc in scenarios]
    tasks = []
    for r, seed in enumerate(seeds):
        for mask, scenario in enumerate(scenarios):
            labels = {
                "subset": mask,
                "levers": "+".join(package.lever_names(mask)) or "(none)",
                "replication": r,
                "master_seed": master_seed,
                "scenario_hash": hashes[mask],
            }
            tasks.append(Task(task_id(mask, r), scenario, seed, labels))
    return tasks


def task_id(mask: int, replication: int) -> str:
    return f"s{mask:03d}-r{replication:04d}"


def _stored_master_seed(store: RunStore, package: Package, replications: int) -> int | None:
    """On --resume without a seed: the master seed the stored runs were made with."""
    for r in range(replications):
        for mask in range(package.subsets):
            rec = store.read(task_id(mask, r))
            if rec is not None and isinstance(rec.labels.get("master_seed"), int):
                return int(rec.labels["master_seed"])
    return None


def check_stored(store: RunStore, tasks: Sequence[Task]) -> None:
    """Refuse to resume from runs made with another package, seed or firm count."""
    for task in tasks:
        rec = store.read(task.task_id)
        if rec is not None and (rec.seed != task.seed or rec.labels != task.labels):
            raise InputError(
                store.runs,
                task.task_id,
                "was run with a different package, seed or firm count",
                "the same command line, or run without --resume to start afresh",
            )


# --------------------------------------------------------------------------- from runs to attribution


@dataclass(frozen=True)
class LeverStat:
    lever: str
    shapley_mean: float
    ci_low: float
    ci_high: float
    share_of_total: float
    alone_mean: float
    last_mean: float
    replications: int


@dataclass(frozen=True)
class MetricAttribution:
    """One metric's decomposition: start v(∅), end v(N), total change and each lever's share."""

    metric: str
    start: Interval
    end: Interval
    total: Interval
    levers: tuple[LeverStat, ...]
    replications: int
    own_spend_yuan: dict[str, float] | None = None  # each lever's own fiscal spend in the full package

    def by_size(self) -> list[LeverStat]:
        """Levers by |Shapley value|, largest first (the waterfall order); ties keep package order."""
        return sorted(self.levers, key=lambda s: -abs(s.shapley_mean) if math.isfinite(s.shapley_mean) else 0.0)


def attribute_metric(
    metric: str, levers: Sequence[str], games: Sequence[Sequence[float]], own_spend: dict[str, float] | None = None
) -> MetricAttribution:
    """Shapley values per replication (games[r][mask]), then their means and 95% t-intervals."""
    k = len(levers)
    full = (1 << k) - 1
    games = [g for g in games if all(math.isfinite(x) for x in g)]
    phis = [shapley_values(g) for g in games]
    total = Interval.of([g[full] - g[0] for g in games])
    stats = []
    for i, lever in enumerate(levers):
        bit = 1 << i
        phi = Interval.of([p[i] for p in phis])
        alone = Interval.of([g[bit] - g[0] for g in games]).mean
        last = Interval.of([g[full] - g[full & ~bit] for g in games]).mean
        share = phi.mean / total.mean if total.mean != 0 and math.isfinite(total.mean) else math.nan
        stats.append(LeverStat(lever, phi.mean, phi.low, phi.high, share, alone, last, len(games)))
    return MetricAttribution(
        metric,
        Interval.of([g[0] for g in games]),
        Interval.of([g[full] for g in games]),
        total,
        tuple(stats),
        len(games),
        own_spend,
    )


@dataclass(frozen=True)
class Collected:
    games: dict[str, list[list[float]]]  # metric → complete replication → value per subset
    complete: list[int]  # replications with every subset run finished
    failed: list[str]  # task ids that raised or did not finish
    own_spend_yuan: dict[str, list[float]]  # lever → its fiscal spend in the full package, per complete replication


def collect(store: RunStore, package: Package, tasks: Sequence[Task], metrics: Sequence[str]) -> Collected:
    """Read the runs (tasks as `build_tasks` orders them) into one game per (metric, replication).

    A replication with any subset missing or failed is left out: its game would be incomplete.
    """
    n = package.subsets
    replications = len(tasks) // n
    games: dict[str, list[list[float]]] = {m: [] for m in metrics}
    spend: dict[str, list[float]] = {lever: [] for lever in package.levers}
    complete, failed = [], []
    for r in range(replications):
        block = tasks[r * n : (r + 1) * n]
        records = [store.read(t.task_id) for t in block]
        bad = [t.task_id for t, rec in zip(block, records, strict=True) if rec is None or rec.metrics is None]
        if bad:
            failed.extend(bad)
            continue
        complete.append(r)
        for m in metrics:
            games[m].append([float(rec.metrics[m]) for rec in records])  # type: ignore[index]
        for lever in package.levers:
            rows = records[-1].timeseries or []  # type: ignore[union-attr]
            spend[lever].append(math.fsum(row.get(f"fiscal_{lever}_yuan", 0.0) for row in rows))
    return Collected(games, complete, failed, spend)


def attribute(package: Package, collected: Collected, metrics: Sequence[str]) -> list[MetricAttribution]:
    out = []
    for m in metrics:
        own = None
        if m == "fiscal_cost_yuan":
            own = {lever: Interval.of(values).mean for lever, values in collected.own_spend_yuan.items()}
        out.append(attribute_metric(m, package.levers, collected.games[m], own))
    return out


# --------------------------------------------------------------------------- files


def _csv_rows(results: Sequence[MetricAttribution]) -> list[list[Any]]:
    return [
        [
            res.metric,
            s.lever,
            s.shapley_mean,
            s.ci_low,
            s.ci_high,
            s.share_of_total,
            s.alone_mean,
            s.last_mean,
            s.replications,
        ]
        for res in results
        for s in res.levers
    ]


def _value(metric: str, x: float, change: bool = False) -> str:
    """A figure as a reader wants it: shares in % (changes in percentage points), total spending in billions."""
    if not math.isfinite(x):
        return "n/a"
    sign = "+" if change else ""
    if metric in SHARE_METRICS:
        return f"{x * 100:{sign}.2f} pp" if change else f"{x:.2%}"
    if metric in BILLIONS_METRICS:
        return f"{x / 1e9:{sign},.3f} bn yuan"
    return f"{x:{sign},.0f}"


def _ci(metric: str, iv: Interval | LeverStat, change: bool = True) -> str:
    lo, hi = (iv.low, iv.high) if isinstance(iv, Interval) else (iv.ci_low, iv.ci_high)
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return "(no CI: 1 replication)"
    return f"({_value(metric, lo, change)} to {_value(metric, hi, change)})"


def report_markdown(
    package: Package, results: Sequence[MetricAttribution], info: dict[str, Any], figures: dict[str, str]
) -> str:
    """attribution.md: what was run, then one table per metric with the waterfall beside it."""
    k = package.k
    lines = [
        f"# Lever attribution: {package.scenario.name}",
        "",
        f"Package `{package.path}` with {k} lever(s): {', '.join(f'`{x}`' for x in package.levers)}.",
        f"All {package.subsets} subsets of the levers were run ({info['runs']} model runs) with "
        f"{info['replications']} replication(s) on common random numbers (master seed {info['seed']}; "
        f"replication r uses the same seed in every subset), {info['firms']:,} simulated firms, "
        f"years {info['years'][0]}–{info['years'][1]}.",
        "",
        "**Shapley value** φ of a lever: its marginal effect averaged over every order in which the levers "
        "could be added to the package, φ_i = Σ_{S ⊆ N∖{i}} |S|!(k−|S|−1)!/k! · (v(S∪{i}) − v(S)). "
        "Per replication the φ sum exactly to v(N) − v(∅), the package's total effect. "
        "Interval: 95% Student-t confidence interval of the mean across replications. "
        "**Alone**: v({i}) − v(∅), the lever on its own. **Last**: v(N) − v(N∖{i}), what dropping it "
        "from the full package loses. When alone and last differ, the lever interacts with the others. "
        "A share of the total is negative for a lever that works against the package, and can then exceed 100% "
        "for the others.",
        "",
    ]
    if info["failed"]:
        lines += [
            f"**{len(info['failed'])} run(s) failed or did not finish**; their replications are left out "
            f"(see `runs/*.error.json`). Complete replications: {len(info['complete'])}.",
            "",
        ]
    for res in results:
        m = res.metric
        lines += [
            f"## {m}",
            "",
            f"Without the levers v(∅) = {_value(m, res.start.mean)} {_ci(m, res.start, False)}; "
            f"full package v(N) = {_value(m, res.end.mean)} {_ci(m, res.end, False)}; "
            f"total effect {_value(m, res.total.mean, True)} {_ci(m, res.total)} "
            f"({res.replications} replication(s)).",
            "",
        ]
        spend = res.own_spend_yuan is not None
        head = "| lever | Shapley φ (95% CI) | share of total | alone | last |"
        rule = "|---|---|---:|---:|---:|"
        if spend:
            head += " own spend in the package |"
            rule += "---:|"
        lines += [head, rule]
        for s in res.by_size():
            share = f"{s.share_of_total:.1%}" if math.isfinite(s.share_of_total) else "n/a"
            row = (
                f"| `{s.lever}` | {_value(m, s.shapley_mean, True)} {_ci(m, s)} | {share} | "
                f"{_value(m, s.alone_mean, True)} | {_value(m, s.last_mean, True)} |"
            )
            if spend:
                row += f" {_value(m, res.own_spend_yuan[s.lever])} |"  # type: ignore[index]
            lines.append(row)
        alone_sum = math.fsum(s.alone_mean for s in res.levers)
        lines += [
            "",
            f"Sum of the alone effects {_value(m, alone_sum, True)} vs total {_value(m, res.total.mean, True)}: "
            f"interactions between levers account for {_value(m, res.total.mean - alone_sum, True)}.",
        ]
        if spend:
            lines.append(
                "Check: where each lever's spending does not depend on the others (fixed budgets), its Shapley "
                "value equals its own spend; per-job aid spends more when other levers send more firms north, "
                "and the Shapley split then credits part of that spending to those levers."
            )
        if m in figures:
            lines += ["", f"![waterfall of {m}]({figures[m]})"]
        lines.append("")
    return "\n".join(lines)


def plot_waterfall(res: MetricAttribution, path: Path, package_name: str) -> Path:
    """Start bar v(∅), one floating bar per lever (largest |φ| first) with CI whiskers, end bar v(N)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter

    from experiments.plots import DPI, NORTH_COLOUR, OUTSIDE_COLOUR, PNG_METADATA

    m = res.metric
    order = res.by_size()
    n = len(order) + 2
    fig = Figure(figsize=(max(6.5, 0.9 * n + 2.5), 5.2), layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.bar(0, res.start.mean, color=END_COLOUR, width=0.65)
    level = res.start.mean
    tops = [res.start.mean, res.end.mean, 0.0]
    for x, s in enumerate(order, start=1):
        colour = NORTH_COLOUR if s.shapley_mean >= 0 else OUTSIDE_COLOUR
        ax.bar(x, s.shapley_mean, bottom=level, color=colour, width=0.65)
        ax.plot([x - 1.325, x - 0.325], [level, level], color="#999999", linewidth=0.7)
        new = level + s.shapley_mean
        label_at = max(level, new)
        if math.isfinite(s.ci_low) and math.isfinite(s.ci_high):
            ax.errorbar(
                x,
                new,
                yerr=[[s.shapley_mean - s.ci_low], [s.ci_high - s.shapley_mean]],
                color="#222222",
                capsize=3,
                linewidth=0.9,
            )
            tops += [level + s.ci_low, level + s.ci_high]
            label_at = max(label_at, level + s.ci_high)  # above the whisker, not crossed by it
        ax.annotate(
            _value(m, s.shapley_mean, True),
            (x, label_at),
            xytext=(0, 3),
            textcoords="offset points",
            ha="center",
            va="bottom",
            fontsize=7.5,
        )
        level = new
    ax.plot([n - 2.325, n - 1.325], [level, level], color="#999999", linewidth=0.7)
    ax.bar(n - 1, res.end.mean, color=END_COLOUR, width=0.65)
    for x, value in ((0, res.start.mean), (n - 1, res.end.mean)):
        ax.annotate(_value(m, value), (x, value), xytext=(0, 3), textcoords="offset points", ha="center", fontsize=8)
    labels = ["without levers", *(s.lever.replace("_", "\n") for s in order), "full package"]
    ax.set_xticks(range(n), labels, fontsize=8)
    finite = [t for t in tops if math.isfinite(t)]
    lo, hi = min(finite), max(finite)
    ax.set_ylim(min(0.0, lo * 1.1), hi * 1.12 if hi > 0 else 1.0)
    if m in SHARE_METRICS:
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"{v:.0%}"))
    elif m in BILLIONS_METRICS:
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"{v / 1e9:,.1f} bn"))
    else:
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"{v:,.0f}"))
    ax.set_ylabel(m)
    ax.grid(axis="y", alpha=0.3)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.set_title(f"Which lever did it: Shapley attribution of {m} — package {package_name}", fontsize=11)
    whiskers = (
        "Whiskers: 95% confidence interval of each lever's mean Shapley value (Student t across replications)."
        if res.replications >= 2
        else "One replication, so no confidence intervals."
    )
    caption = (
        f"Grey bars: mean over {res.replications} replication(s) without the package's levers and with all of them. "
        "Blue (up) / orange (down) bars: each lever's Shapley value, its effect averaged over every order of adding "
        f"the levers, largest first; they sum exactly to the total change. {whiskers} "
        "All subsets share the replications' random numbers."
    )
    fig.supxlabel("\n".join(textwrap.wrap(caption, 130)), x=0.01, ha="left", fontsize=7.5, color="#444444")
    fig.savefig(path, dpi=DPI, metadata=PNG_METADATA)
    fig.clear()
    return path


# --------------------------------------------------------------------------- the command


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("package", type=Path, metavar="PACKAGE.yaml", help="a scenario whose policies are the levers")
    add_run_overrides(
        parser,
        replications="replications per subset (default: the package's)",
        seed="master seed (default: the package's)",
        firms="override firms.count",
    )
    parser.add_argument(
        "--metric",
        action="extend",
        nargs="+",
        metavar="M",
        help=f"metric(s) to attribute (default: {' '.join(DEFAULT_METRICS)}); any of {', '.join(SUMMARY_METRICS)}",
    )
    parser.add_argument(
        "--name", type=output_name, metavar="NAME", help="result folder DIR/NAME (default: the package's name)"
    )
    add_engine_options(parser)


def _metrics(chosen: Sequence[str] | None) -> list[str]:
    metrics = list(dict.fromkeys(chosen or DEFAULT_METRICS))
    for m in metrics:
        if m not in SUMMARY_METRICS:
            raise InputError("command line", "--metric", f"{m!r} is not a metric", ", ".join(SUMMARY_METRICS))
    return metrics


def run(args: argparse.Namespace) -> int:
    started, t0 = time.time(), time.perf_counter()
    metrics = _metrics(args.metric)
    package = load_package(args.package, firms=args.firms)
    name = args.name or package.scenario.name
    replications = args.replications or package.scenario.replications
    folder = args.out / name
    store = RunStore(folder)
    options = engine_options(args)
    master = args.seed if args.seed is not None else package.scenario.seed
    if master is None and options.resume:
        master = _stored_master_seed(store, package, replications)
    if master is None:
        master = draw_master_seed()
    tasks = build_tasks(package, replications, master)
    if options.resume:
        check_stored(store, tasks)
    logger.info("%s: %d levers, %d subsets × %d replications", name, package.k, package.subsets, replications)
    run_tasks(tasks, store, options)
    collected = collect(store, package, tasks, metrics)
    if not collected.complete:
        print(
            f"relocsim: no replication finished all {package.subsets} subsets; "
            f"{len(collected.failed)} run(s) failed (see {store.runs}/*.error.json); nothing written",
            file=sys.stderr,
        )
        return EXIT_ERROR
    results = attribute(package, collected, metrics)
    wall = time.perf_counter() - t0
    seeds = replication_seeds(master, replications)
    info = {
        "runs": len(tasks),
        "replications": replications,
        "seed": master,
        "firms": package.scenario.firms.count,
        "years": [package.scenario.years.start, package.scenario.years.end],
        "complete": collected.complete,
        "failed": collected.failed,
    }

    def build(tmp: Path) -> None:
        write_csv(tmp / "attribution.csv", CSV_COLUMNS, _csv_rows(results))
        (tmp / "plots").mkdir()
        figures = {}
        for res in results:
            plot_waterfall(res, tmp / "plots" / f"waterfall_{res.metric}.png", package.scenario.name)
            figures[res.metric] = f"plots/waterfall_{res.metric}.png"
        (tmp / "attribution.md").write_text(report_markdown(package, results, info, figures), encoding="utf-8")
        full = package.scenario.model_copy(update={"seed": master, "replications": replications})
        record = scenario_manifest(full, seeds, started, wall)
        record.update(
            {
                "command_name": "attribute",
                "package": str(package.path),
                "name": name,
                "levers": list(package.levers),
                "subsets": package.subsets,
                "runs": len(tasks),
                "metrics": metrics,
                "complete_replications": collected.complete,
                "failed_runs": collected.failed,
            }
        )
        (tmp / "manifest.json").write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")

    publish(folder, build)
    if not args.quiet:
        _print_summary(name, package, results, len(tasks), wall, folder)
    if collected.failed:
        print(
            f"relocsim: {len(collected.failed)} run(s) failed; {len(collected.complete)} of {replications} "
            f"replications used (see {store.runs}/*.error.json)",
            file=sys.stderr,
        )
        return EXIT_ERROR
    return EXIT_OK


def _print_summary(
    name: str, package: Package, results: Sequence[MetricAttribution], runs: int, wall: float, folder: Path
) -> None:
    print(f"{name}: {package.k} levers, {package.subsets} subsets, {runs} runs in {wall:.1f} s -> {folder}")
    for res in results:
        m = res.metric
        print(
            f"  {m}: {_value(m, res.start.mean)} without levers -> {_value(m, res.end.mean)} with the package, "
            f"change {_value(m, res.total.mean, True)} {_ci(m, res.total)}"
        )
        for s in res.by_size():
            share = f"{s.share_of_total:6.1%}" if math.isfinite(s.share_of_total) else "   n/a"
            print(f"    {s.lever:22s} {share}  {_value(m, s.shapley_mean, True)} {_ci(m, s)}")


__all__ = [
    "DEFAULT_METRICS",
    "MAX_LEVERS",
    "MetricAttribution",
    "Package",
    "attribute_metric",
    "build_tasks",
    "collect",
    "configure",
    "load_package",
    "run",
    "shapley_values",
]
