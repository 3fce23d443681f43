"""`compare BASELINE.yaml OTHER.yaml...`: policy packages against a baseline, with paired uncertainty.

Every scenario is run for the same R replications on common random numbers:
replication r of every scenario uses the same seed (spawned from one master
seed), and the model draws each firm's random numbers in a year whatever the
policy, so the difference between two scenarios in replication r comes from
policy, not from noise. The paired difference (per-replication differences,
then a t interval) is therefore much tighter than the difference of two
independent means (Welch), which is written beside it so the gain shows.

With `--ci-width W` replications are added in rounds until the 95% CI
half-width of both job shares (`north_share_jobs`, `outside_share_jobs`) is at
most W, for every scenario's mean and every scenario's paired difference
against the baseline. Shares are the only metrics on a common scale; jobs and
yuan are not bounded by W. Finished runs are kept in `runs/` and reused by the
next round (the seeds of the first k replications do not depend on R).

Writes `DIR/<name>/` (default name `compare_<baseline name>`): comparison.csv,
comparison.md, timeseries.csv, manifest.json, scenarios/*.resolved.yaml,
plots/forest.png, plots/timeseries.png, and runs/ (one file per finished run).
Tables are built from the run files in task order, so they are byte-identical
whatever the engine or the worker count.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import math
import platform
import re
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from experiments.cli_common import add_engine_options, engine_options, int_in, positive_float
from experiments.engine import RunRecord, RunStore, Task, run_tasks
from experiments.outputs import atomic_dir, fmt, git_commit, package_version, write_csv
from experiments.runner import draw_master_seed, replication_seeds
from experiments.stats import Interval, replications_for, welch
from model.config import LEVER_KEYS, MAX_FIRMS, MAX_REPLICATIONS, Scenario
from model.errors import InputError, short
from model.metrics import TIMESERIES_COLUMNS
from model.scenario import dump_resolved, load_scenario
from model.world import data_paths, world_for

logger = logging.getLogger(__name__)

EXIT_OK, EXIT_ERROR = 0, 1
DEFAULT_MAX_REPLICATIONS = 200
MIN_ADAPTIVE_START = 3  # an SD from 2 replications is too noisy to plan the next round from
MAX_ROUND_GROWTH = 4  # nor should a few replications make one round jump more than 4-fold
NAME_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
CSV_COLUMNS = (
    "scenario",
    "metric",
    "mean",
    "ci_low",
    "ci_high",
    "diff",
    "diff_ci_low",
    "diff_ci_high",
    "unpaired_diff_ci_low",
    "unpaired_diff_ci_high",
    "paired_to_unpaired_width",
    "replications",
)


@dataclass(frozen=True)
class Metric:
    """A headline metric: how it is labelled and scaled, and whether it is already an effect."""

    key: str
    label: str
    short: str  # figure panel title
    kind: str  # share | jobs | yuan | yuan_per_job
    effect: bool = False  # already measured against the baseline: its diff is the value itself


METRICS: tuple[Metric, ...] = (
    Metric("north_share_jobs", "North share of relocated jobs", "North share", "share"),
    Metric("outside_share_jobs", "Outside-province share of relocated jobs", "Outside share", "share"),
    Metric("relocated_jobs", "Relocated jobs", "Relocated jobs", "jobs"),
    Metric("fiscal_cost_yuan", "Fiscal cost", "Fiscal cost", "yuan"),
    Metric("cost_per_north_job_yuan", "Fiscal cost per job moved north", "Cost per north job", "yuan_per_job"),
    Metric("additional_north_jobs", "Additional jobs moved north", "Additional north jobs", "jobs", effect=True),
    Metric(
        "cost_per_additional_north_job_yuan",
        "Extra fiscal cost per additional north job",
        "Extra cost per additional north job",
        "yuan_per_job",
        effect=True,
    ),
)
METRIC_BY_KEY = {m.key: m for m in METRICS}
SHARE_METRICS = ("north_share_jobs", "outside_share_jobs")
W_BOUNDS = (
    "W bounds the 95% CI half-width of north_share_jobs and outside_share_jobs (shares of relocated jobs, 0-1): "
    "every scenario's mean and every scenario's paired difference against the baseline. "
    "Metrics in jobs or yuan are not bounded by W."
)


# --------------------------------------------------------------------------- command line


def configure(parser: argparse.ArgumentParser) -> None:
    """The `compare` arguments (engine options shared with the other experiment commands)."""
    parser.add_argument("baseline", type=Path, metavar="BASELINE.yaml", help="the scenario every other is compared to")
    parser.add_argument("others", nargs="+", type=Path, metavar="OTHER.yaml", help="scenarios to compare")
    parser.add_argument(
        "--replications",
        type=int_in(1, MAX_REPLICATIONS, "replications"),
        metavar="R",
        help="replications per scenario (default: the baseline's `replications`); with --ci-width, the first round",
    )
    parser.add_argument(
        "--ci-width",
        type=positive_float("ci-width"),
        metavar="W",
        help="add replications until every share CI half-width (means and paired differences) is <= W, e.g. 0.01",
    )
    parser.add_argument(
        "--max-replications",
        type=int_in(2, MAX_REPLICATIONS, "max-replications"),
        default=DEFAULT_MAX_REPLICATIONS,
        metavar="M",
        help=f"with --ci-width, stop at M replications (default {DEFAULT_MAX_REPLICATIONS})",
    )
    parser.add_argument(
        "--seed",
        type=int_in(0, 2**63 - 1, "seed"),
        metavar="S",
        help="master seed (default: the baseline's `seed`, else drawn and recorded)",
    )
    parser.add_argument(
        "--firms", type=int_in(1, MAX_FIRMS, "firms"), metavar="N", help="firms.count for every scenario"
    )
    parser.add_argument("--name", metavar="NAME", help="output folder name (default compare_<baseline name>)")
    add_engine_options(parser)


def run(args: argparse.Namespace) -> int:
    """Run the comparison, write its folder and print the headline effects."""
    started_at, t0 = time.time(), time.perf_counter()
    if args.ci_width is not None and args.ci_width > 1:
        raise InputError("command line", "--ci-width", f"{args.ci_width} is out of range", "a share in (0, 1]")
    entries = load_entries([args.baseline, *args.others], args.firms)
    name = args.name if args.name is not None else f"compare_{entries[0].scenario.name}"
    if not NAME_PATTERN.match(name):
        raise InputError("command line", "--name", f"{short(name)} is not allowed", "letters, digits, '_' and '-'")
    start = _first_round_size(args, entries[0].scenario)
    master, seed_source = _master_seed(args.seed, entries[0].scenario)
    folder = args.out / name
    store = RunStore(folder)
    options = engine_options(args)
    say = (lambda text: None) if args.quiet else print

    if not options.resume:
        _clear_runs(store, entries)
    n, rounds = start, []
    while True:
        tasks = build_tasks(entries, replication_seeds(master, n))
        resume = options.resume or bool(rounds)  # later rounds keep the runs of earlier ones
        if resume:
            _drop_stale(store, tasks)
        executed, failed = run_tasks(tasks, store, replace(options, resume=resume))
        if failed:
            _report_failures(store, tasks, folder)
            return EXIT_ERROR
        comparison = analyse(entries, collect(store, tasks, entries, n))
        widest = comparison.widest_share_half_width()
        rounds.append({"replications": n, "runs_executed": executed, "widest_half_width": widest[0], "at": widest[1]})
        if args.ci_width is None:
            break
        say(f"round {len(rounds)}: {n} replications, widest share CI half-width {widest[0]:.4f} ({widest[1]})")
        if widest[0] <= args.ci_width or n >= args.max_replications:
            break
        n = next_round_size(comparison, args.ci_width, args.max_replications)

    stopping = None
    if args.ci_width is not None:
        stopping = {
            "ci_width": args.ci_width,
            "bounds": W_BOUNDS,
            "max_replications": args.max_replications,
            "met": rounds[-1]["widest_half_width"] <= args.ci_width,
            "replications_needed": n if rounds[-1]["widest_half_width"] <= args.ci_width else None,
            "rounds": rounds,
        }
    executed_total = sum(r["runs_executed"] for r in rounds)
    info = RunInfo(name, master, seed_source, replication_seeds(master, n), stopping, executed_total, started_at)
    write_results(folder, comparison, info, time.perf_counter() - t0)
    if not args.quiet:
        _print_summary(comparison, info, folder, time.perf_counter() - t0)
    return EXIT_OK


def _first_round_size(args: argparse.Namespace, baseline: Scenario) -> int:
    """R: --replications, else the baseline's `replications`; with --ci-width the first round (2 ≤ R ≤ M)."""
    if args.ci_width is None:
        return args.replications if args.replications is not None else baseline.replications
    if args.replications is None:
        return min(max(baseline.replications, MIN_ADAPTIVE_START), args.max_replications)
    if args.replications > args.max_replications:
        raise InputError(
            "command line",
            "--replications",
            f"{args.replications} is more than --max-replications {args.max_replications}",
            "R <= M",
        )
    return max(args.replications, 2)


def _master_seed(cli_seed: int | None, baseline: Scenario) -> tuple[int, str]:
    """--seed, else the baseline's seed, else one drawn now (recorded in the manifest)."""
    if cli_seed is not None:
        return cli_seed, "--seed"
    if baseline.seed is not None:
        return baseline.seed, "baseline scenario file"
    return draw_master_seed(), "drawn (no --seed and no seed in the baseline)"


# --------------------------------------------------------------------------- scenarios and tasks


@dataclass(frozen=True)
class Entry:
    """One compared scenario: its file, the validated scenario and the hash its runs are labelled with."""

    path: Path
    scenario: Scenario
    config_hash: str

    @property
    def name(self) -> str:
        return self.scenario.name


def load_entries(paths: Sequence[Path], firms: int | None) -> list[Entry]:
    """Validate every file before anything runs: names distinct, same horizon and firm count as the baseline."""
    overrides: dict[str, Any] = {} if firms is None else {"firms.count": firms}
    entries: list[Entry] = []
    seen: dict[str, Path] = {}
    for path in paths:
        scenario = load_scenario(path, overrides)
        world_for(scenario, path)
        if scenario.name in seen:
            raise InputError(
                path,
                "name",
                f"{scenario.name!r} is also the name of {seen[scenario.name]}",
                "a distinct name per compared scenario",
            )
        seen[scenario.name] = path
        entries.append(Entry(path, scenario, _config_hash(scenario)))
    base = entries[0].scenario
    for entry in entries[1:]:
        sc = entry.scenario
        if (sc.years.start, sc.years.end) != (base.years.start, base.years.end):
            raise InputError(
                entry.path,
                "years",
                f"{sc.years.start}-{sc.years.end} differs from the baseline's",
                f"the baseline's years {base.years.start}-{base.years.end}, so that runs can be paired year by year",
            )
        if sc.firms.count != base.firms.count:
            raise InputError(
                entry.path,
                "firms.count",
                f"{sc.firms.count} differs from the baseline's",
                f"{base.firms.count} (the same firms draw the same numbers), or --firms N for all",
            )
    return entries


def _config_hash(scenario: Scenario) -> str:
    """What a run depends on besides its seed: the resolved scenario (minus seed and counts) and its data files.

    Stored in each run's labels, so that `--resume` and later `--ci-width`
    rounds reuse a run only if it was made from the same scenario and data.
    """
    core = scenario.model_copy(update={"seed": None, "replications": 1, "description": ""})
    digest = hashlib.sha256(dump_resolved(core).encode())
    for path in data_paths(scenario):
        digest.update(path.read_bytes())
    return "sha256:" + digest.hexdigest()


def build_tasks(entries: Sequence[Entry], seeds: Sequence[int]) -> list[Task]:
    """Scenario-major task list; replication r of every scenario gets seeds[r] (common random numbers)."""
    return [
        Task(
            f"{e.name}-r{r:04d}",
            e.scenario,
            seed,
            {"scenario": e.name, "replication": r, "config_hash": e.config_hash},
        )
        for e in entries
        for r, seed in enumerate(seeds)
    ]


def _clear_runs(store: RunStore, entries: Sequence[Entry]) -> None:
    """A fresh (not --resume) comparison starts from no runs of its scenarios, whatever R they were run with.

    Later --ci-width rounds resume, so without this they could pick up runs an
    earlier invocation left behind (made perhaps by another version of the model).
    """
    if not store.runs.is_dir():
        return
    names = "|".join(re.escape(e.name) for e in entries)
    run_file = re.compile(rf"^(?:{names})-r\d{{4,}}(?:\.error)?\.json$")
    for path in store.runs.iterdir():
        if run_file.match(path.name):
            path.unlink()


def _drop_stale(store: RunStore, tasks: Sequence[Task]) -> None:
    """Delete finished runs made with another seed or scenario, so they are run again rather than reused."""
    for task in tasks:
        if not store.done(task.task_id):
            continue
        rec = store.read(task.task_id)
        if rec is None or rec.seed != task.seed or rec.labels.get("config_hash") != task.labels["config_hash"]:
            logger.warning("%s: stored run is from another seed or scenario version; running it again", task.task_id)
            store.path(task.task_id).unlink(missing_ok=True)


def _report_failures(store: RunStore, tasks: Sequence[Task], folder: Path) -> None:
    failed = [t.task_id for t in tasks if store.path(t.task_id, error=True).is_file()]
    first = store.read(failed[0])
    detail = first.error if first is not None else "?"
    print(
        f"relocsim: {len(failed)} of {len(tasks)} runs failed (first: {failed[0]}: {detail}); "
        f"errors are in {folder / 'runs'}/*.error.json; no comparison was written. "
        "Fix the cause and rerun with --resume to keep the finished runs.",
        file=sys.stderr,
    )


# --------------------------------------------------------------------------- statistics


# --------------------------------------------------------------------------- collecting and analysing


@dataclass
class Collected:
    """Per-replication values read back from the store, in task order."""

    replications: int
    values: dict[str, dict[str, np.ndarray]]  # scenario -> metric -> (R,)
    years: np.ndarray  # (Y,)
    yearly_share: dict[str, np.ndarray]  # scenario -> (R, Y) north share per year
    timeseries_rows: list[list[Any]]  # scenario, replication, year, ... in task order


def collect(store: RunStore, tasks: Sequence[Task], entries: Sequence[Entry], n: int) -> Collected:
    """Read every run (task order) into arrays; add the metrics defined against the baseline."""
    raw: dict[str, dict[str, list[float]]] = {e.name: {} for e in entries}
    yearly: dict[str, list[list[float]]] = {e.name: [] for e in entries}
    rows: list[list[Any]] = []
    years: list[float] = []
    for rec in store.records(tasks):
        name, rep = rec.labels["scenario"], int(rec.labels["replication"])
        metrics, series = _finished(rec)
        for key, value in metrics.items():
            raw[name].setdefault(key, []).append(value)
        years = [row["year"] for row in series]
        yearly[name].append([row["north_share_jobs"] for row in series])
        rows.extend([name, rep, *(row[c] for c in TIMESERIES_COLUMNS[1:])] for row in series)
    values = {name: {k: np.asarray(v, dtype=float) for k, v in m.items()} for name, m in raw.items()}
    for name, m in values.items():
        if len(m.get("north_share_jobs", ())) != n:
            raise RuntimeError(f"{name}: expected {n} finished runs in the store")
    _add_effect_metrics(values, entries[0].name)
    return Collected(
        n,
        values,
        np.asarray(years, dtype=float),
        {k: np.asarray(v, dtype=float) for k, v in yearly.items()},
        rows,
    )


def _finished(rec: RunRecord) -> tuple[dict[str, float], list[dict[str, float]]]:
    if rec.error is not None or rec.metrics is None or rec.timeseries is None:
        raise RuntimeError(f"run {rec.task_id} has no results: {rec.error}")
    return rec.metrics, rec.timeseries


def _add_effect_metrics(values: dict[str, dict[str, np.ndarray]], baseline: str) -> None:
    """additional_north_jobs and cost_per_additional_north_job_yuan, replication by replication."""
    b = values[baseline]
    for m in values.values():
        extra_jobs = m["to_north_jobs"] - b["to_north_jobs"]
        extra_yuan = m["fiscal_cost_yuan"] - b["fiscal_cost_yuan"]
        m["additional_north_jobs"] = extra_jobs
        with np.errstate(divide="ignore", invalid="ignore"):
            m["cost_per_additional_north_job_yuan"] = np.where(extra_jobs != 0, extra_yuan / extra_jobs, np.nan)


@dataclass(frozen=True)
class Row:
    """One (scenario, metric) line of comparison.csv."""

    scenario: str
    metric: str
    value: Interval
    diff: Interval
    unpaired: tuple[float, float]
    replications: int

    @property
    def width_ratio(self) -> float:
        """Paired CI width ÷ unpaired CI width (NaN for the baseline and where either is undefined)."""
        unpaired = self.unpaired[1] - self.unpaired[0]
        paired = self.diff.high - self.diff.low
        if not (math.isfinite(paired) and math.isfinite(unpaired)) or unpaired <= 0:
            return math.nan
        return paired / unpaired

    def csv(self) -> list[Any]:
        return [
            self.scenario,
            self.metric,
            self.value.mean,
            self.value.low,
            self.value.high,
            self.diff.mean,
            self.diff.low,
            self.diff.high,
            *self.unpaired,
            self.width_ratio,
            self.replications,
        ]


@dataclass
class Comparison:
    entries: list[Entry]
    collected: Collected
    rows: dict[tuple[str, str], Row]

    @property
    def baseline(self) -> str:
        return self.entries[0].name

    @property
    def others(self) -> list[str]:
        return [e.name for e in self.entries[1:]]

    def widest_share_half_width(self) -> tuple[float, str]:
        """The largest half-width W bounds (inf if a CI is undefined), and where it is."""
        worst, where = -math.inf, ""
        for (name, metric), row in self.rows.items():
            if metric not in SHARE_METRICS:
                continue
            checks = [("mean", row.value.half_width)]
            if name != self.baseline:
                checks.append(("paired diff", row.diff.half_width))
            for what, half in checks:
                half = half if math.isfinite(half) else math.inf
                if half > worst:
                    worst, where = half, f"{name} {metric} {what}"
        return worst, where


def analyse(entries: Sequence[Entry], collected: Collected) -> Comparison:
    """Mean and CI per scenario, paired difference and its CI, and the Welch CI for contrast."""
    base = collected.values[entries[0].name]
    rows: dict[tuple[str, str], Row] = {}
    for entry in entries:
        values = collected.values[entry.name]
        is_base = entry is entries[0]
        for metric in METRICS:
            x = values[metric.key]
            value = Interval.of(x)
            if metric.effect:
                # already a paired effect: its baseline is 0 (no extra jobs, no extra yuan)
                diff = value
                unpaired = _effect_unpaired(metric.key, values, base) if not is_base else (math.nan, math.nan)
            else:
                diff = Interval.of(x - base[metric.key])
                unpaired = welch(x, base[metric.key]) if not is_base else (0.0, 0.0)
            if is_base and metric.key == "additional_north_jobs":
                unpaired = (0.0, 0.0)
            finite = int(np.isfinite(x).sum())
            rows[(entry.name, metric.key)] = Row(entry.name, metric.key, value, diff, unpaired, finite)
    return Comparison(list(entries), collected, rows)


def _effect_unpaired(key: str, values: dict[str, np.ndarray], base: dict[str, np.ndarray]) -> tuple[float, float]:
    """Welch CI of the effect had the scenarios been run on independent seeds (none for a ratio)."""
    if key == "additional_north_jobs":
        return welch(values["to_north_jobs"], base["to_north_jobs"])
    return math.nan, math.nan


def next_round_size(comparison: Comparison, width: float, cap: int) -> int:
    """Grow by half, or to what the current SDs say is needed, whichever is more (≤ 4× and ≤ cap)."""
    n = comparison.collected.replications
    base = comparison.collected.values[comparison.baseline]
    needed = n + 1
    for name, values in comparison.collected.values.items():
        for metric in SHARE_METRICS:
            samples = [values[metric]]
            if name != comparison.baseline:
                samples.append(values[metric] - base[metric])
            for x in samples:
                x = x[np.isfinite(x)]
                if len(x) >= 2:
                    needed = max(needed, replications_for(float(x.std(ddof=1)), width, cap))
    grown = max(math.ceil(n * 1.5), min(needed, n * MAX_ROUND_GROWTH))
    return min(cap, max(n + 1, grown))


# --------------------------------------------------------------------------- writing


@dataclass(frozen=True)
class RunInfo:
    name: str
    master_seed: int
    seed_source: str
    seeds: list[int]
    stopping: dict[str, Any] | None
    runs_executed: int  # by this invocation; finished runs found in runs/ are reused
    started_at: float


def write_results(folder: Path, comparison: Comparison, info: RunInfo, wall_seconds: float) -> None:
    """Write every table, report and figure into a temporary folder, then swap it in (runs/ moves with it)."""
    with atomic_dir(folder) as tmp:
        write_csv(tmp / "comparison.csv", CSV_COLUMNS, (row.csv() for row in comparison.rows.values()))
        write_csv(tmp / "timeseries.csv", ("scenario", *TIMESERIES_COLUMNS), comparison.collected.timeseries_rows)
        (tmp / "scenarios").mkdir()
        for e in comparison.entries:
            (tmp / "scenarios" / f"{e.name}.resolved.yaml").write_text(dump_resolved(e.scenario), encoding="utf-8")
        (tmp / "plots").mkdir()
        plot_forest(comparison, tmp / "plots" / "forest.png")
        plot_timeseries(comparison, tmp / "plots" / "timeseries.png")
        (tmp / "comparison.md").write_text(render_markdown(comparison, info), encoding="utf-8")
        (tmp / "manifest.json").write_text(
            json.dumps(_manifest(comparison, info, wall_seconds), indent=2) + "\n", encoding="utf-8"
        )
        runs = folder / "runs"
        if runs.is_dir():
            runs.rename(tmp / "runs")  # last step: the streamed runs stay resumable until the tables are complete


def _manifest(comparison: Comparison, info: RunInfo, wall_seconds: float) -> dict[str, Any]:
    base = comparison.entries[0].scenario
    return {
        "command": "compare",
        "name": info.name,
        "baseline": comparison.baseline,
        "scenarios": [
            {
                "name": e.name,
                "file": str(e.path),
                "config_hash": e.config_hash,
                "levers": _levers(e.scenario),
                "data_files": {
                    str(p): "sha256:" + hashlib.sha256(p.read_bytes()).hexdigest() for p in data_paths(e.scenario)
                },
            }
            for e in comparison.entries
        ],
        "seed": info.master_seed,
        "seed_source": info.seed_source,
        "replication_seeds": info.seeds,
        "replications": comparison.collected.replications,
        "runs_executed": info.runs_executed,
        "common_random_numbers": "replication r of every scenario uses replication_seeds[r]",
        "years": [base.years.start, base.years.end],
        "firms": base.firms.count,
        "ci_width": info.stopping,
        "versions": {
            "python": platform.python_version(),
            "mesa": package_version("mesa"),
            "numpy": np.__version__,
            "relocsim": package_version("relocsim"),
        },
        "git_commit": git_commit(),
        "argv": sys.argv,
        "start_time": datetime.fromtimestamp(info.started_at, UTC).isoformat(timespec="seconds"),
        "wall_seconds": round(wall_seconds, 3),
    }


def _levers(scenario: Scenario) -> list[str]:
    return [k for k in LEVER_KEYS if getattr(scenario.policies, k) is not None]


# --------------------------------------------------------------------------- the report


def _bare(metric: Metric, v: float, signed: bool) -> str:
    """A number in the metric's display scale, without its unit (shares: % or, `signed`, percentage points)."""
    if not math.isfinite(v):
        return "n/a"
    sign = "+" if signed else ""
    if metric.kind == "share":
        return f"{v * 100:{sign}.2f}" if signed else f"{v * 100:.1f}"
    if metric.kind == "yuan":
        return f"{v / 1e6:{sign},.0f}"
    return f"{v:{sign},.0f}"


def _unit(metric: Metric, text: str, signed: bool) -> str:
    if metric.kind == "share":
        return text + (" pp" if signed else "%")
    if metric.kind == "yuan":
        return f"CNY {text} m"
    return f"CNY {text}" if metric.kind == "yuan_per_job" else text


def _number(metric: Metric, v: float, signed: bool = False) -> str:
    """A value in the metric's natural unit; `signed` for effects (percentage points for shares)."""
    return "n/a" if not math.isfinite(v) else _unit(metric, _bare(metric, v, signed), signed)


def _range(metric: Metric, lo: float, hi: float, signed: bool = False, unit: bool = True) -> str:
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return "n/a"
    if lo == hi:
        return "no variation"
    text = f"{_bare(metric, lo, signed)} to {_bare(metric, hi, signed)}"
    return _unit(metric, text, signed) if unit else text


def _with_ci(metric: Metric, iv: Interval, signed: bool = False) -> str:
    """'mean (low to high)', the unit written once, on the mean."""
    text = _number(metric, iv.mean, signed)
    if math.isfinite(iv.low):
        text += f" ({_range(metric, iv.low, iv.high, signed, unit=False)})"
    return text


def _ratio(v: float) -> str:
    return "n/a" if not math.isfinite(v) else f"{v:.2f}"


def render_markdown(comparison: Comparison, info: RunInfo) -> str:
    """comparison.md: what was compared, how, the effects with CIs, and what pairing gained."""
    c = comparison
    n = c.collected.replications
    base = c.entries[0].scenario
    lines = [
        f"# Policy comparison against `{c.baseline}`",
        "",
        f"{len(c.others)} scenario(s) compared with the baseline `{c.baseline}`, each run for **{n} replications** "
        f"on common random numbers, {base.years.start}–{base.years.end}, {base.firms.count:,} simulated firms "
        f"(standing for {base.firms.represented:,.0f}). Effects are paired differences against the baseline "
        "with 95% confidence intervals (CI).",
        "",
        "## What was compared",
        "",
        "| Scenario | Role | File | Levers | Description |",
        "|---|---|---|---|---|",
    ]
    for i, e in enumerate(c.entries):
        levers = ", ".join(_levers(e.scenario)) or "none"
        desc = " ".join(e.scenario.description.split()).replace("|", "/")
        lines.append(f"| `{e.name}` | {'baseline' if i == 0 else 'policy'} | `{e.path}` | {levers} | {desc} |")
    seeds = ", ".join(str(s) for s in info.seeds[:3]) + (", …" if len(info.seeds) > 3 else "")
    lines += [
        "",
        "## How it was run",
        "",
        f"- Replications: {n} per scenario. Replication r of every scenario uses the same seed, and each firm "
        "draws the same random numbers in a given year whatever the policy, so scenarios differ by policy, not noise.",
        f"- Master seed: {info.master_seed} ({info.seed_source}); replication seeds "
        f"`SeedSequence({info.master_seed}).spawn({n})`: {seeds} (all in `manifest.json`). The other files' "
        "`seed` and `replications` keys are not used: one master seed serves every scenario.",
        "- Per-scenario CI: Student t over replications. Paired CI: t interval of the per-replication differences "
        "(scenario − baseline, same seed). Unpaired CI: Welch interval of the difference of two independent means, "
        "what the same runs would give without common random numbers.",
    ]
    lines += _stopping_lines(info.stopping)
    lines += _glance(c)
    lines += _pairing_gain(c)
    for name in c.others:
        lines += _scenario_table(c, name)
    lines += [
        "",
        "## Figures",
        "",
        "![Paired effects with 95% CIs](plots/forest.png)",
        "",
        "Forest plot: each scenario's paired effect on each headline metric (dot and thick line: mean and 95% CI); "
        "the thin grey line is the unpaired CI of the same difference. The vertical line marks no effect.",
        "",
        "![North share of relocated jobs per year](plots/timeseries.png)",
        "",
        "Top: north share of the jobs relocated each year (mean and 95% CI band). Bottom: the paired difference "
        "against the baseline, year by year.",
        "",
        "## Reading the numbers",
        "",
        "- The CIs measure simulation noise across replications only; they do not include uncertainty in the "
        "behavioural coefficients or the data, which `sweep` and `sensitivity` explore.",
        "- Shares are of all jobs relocated over the horizon; share effects are in percentage points (pp).",
        "- *Additional jobs moved north* is the scenario's jobs moved to the co-built parks minus the baseline's in "
        "the same replication. *Extra fiscal cost per additional north job* is (scenario − baseline fiscal cost) ÷ "
        "additional north jobs, per replication, then averaged; it is undefined (n/a) in a replication with no "
        "additional jobs and unstable when they are near zero, so it is shown as a value, not as a difference.",
        "- Files: `comparison.csv` (a row per scenario and metric), `timeseries.csv` (a row per scenario, "
        "replication and year), `manifest.json` (seeds, versions, stopping rule), `scenarios/` (resolved "
        "scenarios), `runs/` (one file per run, reused by `--resume`).",
        "",
    ]
    return "\n".join(lines)


def _stopping_lines(stopping: dict[str, Any] | None) -> list[str]:
    if stopping is None:
        return []
    w = stopping["ci_width"]
    sizes = " → ".join(str(r["replications"]) for r in stopping["rounds"])
    last = stopping["rounds"][-1]
    if stopping["met"]:
        outcome = (
            f"**{stopping['replications_needed']} replications were enough** (widest half-width "
            f"{last['widest_half_width']:.4f}, at {last['at']})."
        )
    else:
        outcome = (
            f"**The maximum of {stopping['max_replications']} replications was reached before the target**: the "
            f"widest half-width is still {last['widest_half_width']:.4f}, at {last['at']}."
        )
    return [
        f"- Stopping rule (`--ci-width {fmt(w)}`): replications were added in rounds until every bounded CI "
        f"half-width was at most {fmt(w)} ({w * 100:g} percentage points). {W_BOUNDS} "
        f"Rounds: {sizes} replications. {outcome}",
    ]


def _glance(c: Comparison) -> list[str]:
    keys = ("north_share_jobs", "additional_north_jobs", "fiscal_cost_yuan", "cost_per_additional_north_job_yuan")
    heads = ("North share (pp)", "Additional north jobs", "Extra fiscal cost", "Extra cost per additional north job")
    lines = [
        "",
        "## Effects at a glance",
        "",
        "Paired effect against the baseline, with its 95% CI. ✱ marks an effect whose CI excludes zero.",
        "",
        "| Scenario | " + " | ".join(heads) + " |",
        "|---|" + "---|" * len(keys),
    ]
    for name in c.others:
        cells = []
        for key in keys:
            row = c.rows[(name, key)]
            mark = " ✱" if row.diff.excludes_zero() else ""
            cells.append(_with_ci(METRIC_BY_KEY[key], row.diff, signed=True) + mark)
        lines.append(f"| `{name}` | " + " | ".join(cells) + " |")
    return lines


def _pairing_gain(c: Comparison) -> list[str]:
    """The paired-to-unpaired CI width ratio of the north share, per scenario, and what it saves."""
    lines = [
        "",
        "## What pairing gained",
        "",
        "Width of the paired CI of the north-share effect ÷ width of the unpaired (Welch) CI of the same difference, "
        "and how many times as many replications independent runs would need for the same precision (1 ÷ ratio²):",
        "",
    ]
    for name in c.others:
        r = c.rows[(name, "north_share_jobs")].width_ratio
        saving = f"about {1 / r**2:,.1f}× as many replications" if math.isfinite(r) and r > 0 else "n/a"
        lines.append(f"- `{name}`: {_ratio(r)} ({saving})")
    lines += [
        "",
        "Pairing gains most for a small lever, whose runs follow the baseline's closely; a large package changes "
        "which firms move and when, so its runs drift away from the baseline's and the ratio approaches 1. "
        "The ratio for every metric is in the tables below and in `comparison.csv` (`paired_to_unpaired_width`).",
    ]
    return lines


def _scenario_table(c: Comparison, name: str) -> list[str]:
    lines = [
        "",
        f"## `{name}` against `{c.baseline}`",
        "",
        f"| Metric | `{c.baseline}` (95% CI) | `{name}` (95% CI) | Paired effect (95% CI) | Unpaired 95% CI | "
        "Paired ÷ unpaired width |",
        "|---|---|---|---|---|---|",
    ]
    for metric in METRICS:
        row, brow = c.rows[(name, metric.key)], c.rows[(c.baseline, metric.key)]
        base_text = "—" if metric.effect else _with_ci(metric, brow.value)
        value_text = "—" if metric.effect else _with_ci(metric, row.value)
        mark = " ✱" if row.diff.excludes_zero() else ""
        lines.append(
            f"| {metric.label} | {base_text} | {value_text} | {_with_ci(metric, row.diff, signed=True)}{mark} | "
            f"{_range(metric, *row.unpaired, signed=True)} | {_ratio(row.width_ratio)} |"
        )
    fiscal = c.rows[(name, "fiscal_cost_yuan")].diff.mean
    jobs = c.rows[(name, "additional_north_jobs")].diff.mean
    if math.isfinite(fiscal) and math.isfinite(jobs) and jobs != 0:
        lines += [
            "",
            f"Ratio of the mean extra cost to the mean additional north jobs: CNY {fiscal / jobs:,.0f} per job "
            "(steadier than the mean of per-replication ratios when additional jobs vary around zero).",
        ]
    return lines


def _print_summary(c: Comparison, info: RunInfo, folder: Path, wall_seconds: float) -> None:
    """The effect on the north share per scenario, paired and unpaired, for the terminal."""
    n = c.collected.replications
    print(f"compare: {len(c.entries)} scenarios × {n} replications in {wall_seconds:.1f} s -> {folder}")
    if info.stopping is not None:
        s = info.stopping
        if s["met"]:
            print(f"  --ci-width {fmt(s['ci_width'])}: {s['replications_needed']} replications needed")
        else:
            print(
                f"  --ci-width {fmt(s['ci_width'])}: maximum of {s['max_replications']} replications reached; "
                f"widest half-width {s['rounds'][-1]['widest_half_width']:.4f} ({s['rounds'][-1]['at']})"
            )
    share = METRIC_BY_KEY["north_share_jobs"]
    print(f"  north share of relocated jobs, {c.baseline}: {_with_ci(share, c.rows[(c.baseline, share.key)].value)}")
    for name in c.others:
        row = c.rows[(name, share.key)]
        print(
            f"  {name}: effect {_with_ci(share, row.diff, signed=True)}; unpaired CI "
            f"{_range(share, *row.unpaired, signed=True)}; paired/unpaired width {_ratio(row.width_ratio)}"
        )


# --------------------------------------------------------------------------- figures

SCENARIO_COLOURS = ("#000000", "#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442")
PLOT_SCALE = {"share": (100.0, "percentage points"), "jobs": (1.0, "jobs"), "yuan": (1e-6, "CNY million")}


def _colour(i: int) -> str:
    return SCENARIO_COLOURS[i % len(SCENARIO_COLOURS)]


def _scale(metric: Metric) -> tuple[float, str]:
    return PLOT_SCALE.get(metric.kind, (1.0, "CNY per job"))


def _tick(value: float, _pos: object = None) -> str:
    """Thousands separators for large ticks, never a 1e6 offset."""
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:,.4g}"


def plot_forest(c: Comparison, path: Path) -> Path:
    """Each scenario's paired effect on each headline metric, CIs as lines, unpaired CIs in grey, 0 marked."""
    from matplotlib.lines import Line2D
    from matplotlib.ticker import FuncFormatter

    from experiments.plots import add_caption, new_figure, save_png

    others = c.others
    cols = 2
    rows_n = math.ceil((len(METRICS) + 1) / cols)
    fig = new_figure(11.0, rows_n * (0.9 + 0.32 * len(others)) + 1.2)
    axes = fig.subplots(rows_n, cols, squeeze=False).ravel()
    y = np.arange(len(others))[::-1].astype(float)
    for ax, metric in zip(axes, METRICS, strict=False):
        factor, unit = _scale(metric)
        for yi, name, i in zip(y, others, range(1, len(others) + 1), strict=True):
            row = c.rows[(name, metric.key)]
            lo, hi = row.unpaired
            if math.isfinite(lo):
                ax.plot([lo * factor, hi * factor], [yi - 0.22] * 2, color="#999999", linewidth=1.2)
            if math.isfinite(row.diff.low):
                ax.plot([row.diff.low * factor, row.diff.high * factor], [yi, yi], color=_colour(i), linewidth=3)
            if math.isfinite(row.diff.mean):
                ax.plot(row.diff.mean * factor, yi, "o", color=_colour(i), markersize=5)
            else:
                ax.text(0, yi, " n/a", va="center", fontsize=8, color="#666666")
        ax.axvline(0, color="#333333", linewidth=0.9)
        ax.set_yticks(y, others, fontsize=8)
        ax.set_ylim(-0.7, len(others) - 0.3)
        ax.xaxis.set_major_formatter(FuncFormatter(_tick))
        ax.tick_params(axis="x", labelsize=7.5)
        what = "value" if metric.key == "cost_per_additional_north_job_yuan" else "effect"
        ax.set_title(f"{metric.short}: {what}, {unit}", fontsize=9)
        ax.grid(axis="x", alpha=0.3)
    legend_ax = axes[len(METRICS)]
    legend_ax.axis("off")
    legend_ax.legend(
        [
            Line2D([], [], color="#0072B2", linewidth=3, marker="o"),
            Line2D([], [], color="#999999", linewidth=1.2),
            Line2D([], [], color="#333333", linewidth=0.9),
        ],
        ["Paired effect: mean and 95% CI", "Unpaired (Welch) 95% CI", "No effect (0)"],
        loc="center",
        fontsize=8.5,
        frameon=False,
    )
    for ax in axes[len(METRICS) + 1 :]:
        ax.axis("off")
    fig.suptitle(f"Effects against the baseline scenario {c.baseline!r}", fontsize=11)
    add_caption(
        fig,
        f"Dot and thick line: mean over {c.collected.replications} replications of the paired difference "
        "(scenario − baseline, same seed) and its 95% Student-t CI. Grey line: 95% Welch CI of the same difference "
        "as if the runs had independent seeds. Extra cost per additional north job is already a ratio of paired "
        "differences and is drawn as a value; n/a where undefined.",
    )
    return save_png(fig, path)


def plot_timeseries(c: Comparison, path: Path) -> Path:
    """North share per year per scenario (bands), and the paired yearly difference against the baseline."""
    from matplotlib.ticker import MaxNLocator, PercentFormatter

    from experiments.plots import add_caption, mean_band, new_figure, save_png

    years = c.collected.years
    shares = c.collected.yearly_share
    fig = new_figure(9.0, 8.0)
    top, bottom = fig.subplots(2, 1, sharex=True)
    for i, e in enumerate(c.entries):
        mean, lo, hi = mean_band(shares[e.name])
        top.plot(years, mean, color=_colour(i), linewidth=2, marker="o", markersize=3, label=e.name)
        if c.collected.replications >= 2:
            top.fill_between(years, np.clip(lo, 0, 1), np.clip(hi, 0, 1), color=_colour(i), alpha=0.15, linewidth=0)
        if i > 0:
            d_mean, d_lo, d_hi = mean_band((shares[e.name] - shares[c.baseline]) * 100)
            bottom.plot(years, d_mean, color=_colour(i), linewidth=2, marker="o", markersize=3)
            bottom.fill_between(years, d_lo, d_hi, color=_colour(i), alpha=0.15, linewidth=0)
    top.yaxis.set_major_formatter(PercentFormatter(xmax=1.0, decimals=0))
    top.set_ylabel("North share of jobs relocated that year")
    top.set_title("North share of relocated jobs per year", fontsize=10)
    fig.legend(loc="outside upper center", ncol=min(4, len(c.entries)), fontsize=8.5, frameon=False)
    bottom.axhline(0, color="#333333", linewidth=0.9)
    bottom.set_ylabel(f"Paired difference vs {c.baseline} (pp)")
    bottom.set_title("Effect on the yearly north share (scenario − baseline, same seed)", fontsize=10)
    bottom.set_xlabel("Year")
    bottom.xaxis.set_major_locator(MaxNLocator(integer=True, nbins=min(len(years), 13)))
    for ax in (top, bottom):
        ax.grid(alpha=0.3)
    add_caption(
        fig,
        f"Lines: mean of {c.collected.replications} replications. Bands: 95% Student-t CI of that mean "
        "(top clipped to 0–100%; bottom: CI of the per-replication paired differences). A year in which a "
        "replication moved no jobs has no share and is left out of that year's mean.",
    )
    return save_png(fig, path)
