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
import re
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from experiments.cli_common import (
    add_engine_options,
    add_run_overrides,
    engine_options,
    int_in,
    is_name,
    output_name,
    positive_float,
)
from experiments.engine import RunRecord, RunStore, Task, run_tasks
from experiments.outputs import provenance, publish, write_csv
from experiments.runner import draw_master_seed, replication_seeds
from experiments.stats import Interval, replications_for, welch
from model.config import LEVER_KEYS, MAX_REPLICATIONS, Scenario
from model.errors import InputError, short
from model.metrics import TIMESERIES_COLUMNS
from model.scenario import dump_resolved, load_scenario
from model.world import data_paths, world_for

logger = logging.getLogger(__name__)

EXIT_OK, EXIT_ERROR = 0, 1
DEFAULT_MAX_REPLICATIONS = 200
MIN_ADAPTIVE_START = 3  # an SD from 2 replications is too noisy to plan the next round from
MAX_ROUND_GROWTH = 4  # nor should a few replications make one round jump more than 4-fold
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
    add_run_overrides(
        parser,
        replications="replications per scenario (default: the baseline's `replications`); with --ci-width, "
        "the first round",
        seed="master seed (default: the baseline's `seed`, else drawn and recorded)",
        firms="firms.count for every scenario",
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
        "--name", type=output_name, metavar="NAME", help="output folder name (default compare_<baseline name>)"
    )
    add_engine_options(parser)


def run(args: argparse.Namespace) -> int:
    """Run the comparison, write its folder and print the headline effects."""
    started_at, t0 = time.time(), time.perf_counter()
    if args.ci_width is not None and args.ci_width > 1:
        raise InputError("command line", "--ci-width", f"{args.ci_width} is out of range", "a share in (0, 1]")
    entries = load_entries([args.baseline, *args.others], args.firms)
    name = args.name if args.name is not None else f"compare_{entries[0].scenario.name}"
    if not is_name(name):
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
        from experiments.compare_report import print_summary

        print_summary(comparison, info, folder, time.perf_counter() - t0)
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
    """Write every table, report and figure into a temporary folder, then swap them in (runs/ stays)."""

    def build(tmp: Path) -> None:
        write_csv(tmp / "comparison.csv", CSV_COLUMNS, (row.csv() for row in comparison.rows.values()))
        write_csv(tmp / "timeseries.csv", ("scenario", *TIMESERIES_COLUMNS), comparison.collected.timeseries_rows)
        (tmp / "scenarios").mkdir()
        for e in comparison.entries:
            (tmp / "scenarios" / f"{e.name}.resolved.yaml").write_text(dump_resolved(e.scenario), encoding="utf-8")
        (tmp / "plots").mkdir()
        from experiments.compare_report import plot_forest, plot_timeseries, render_markdown

        plot_forest(comparison, tmp / "plots" / "forest.png")
        plot_timeseries(comparison, tmp / "plots" / "timeseries.png")
        (tmp / "comparison.md").write_text(render_markdown(comparison, info), encoding="utf-8")
        (tmp / "manifest.json").write_text(
            json.dumps(_manifest(comparison, info, wall_seconds), indent=2) + "\n", encoding="utf-8"
        )

    publish(folder, build)


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
                "levers": levers_of(e.scenario),
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
        **provenance(info.started_at, wall_seconds),
    }


def levers_of(scenario: Scenario) -> list[str]:
    return [k for k in LEVER_KEYS if getattr(scenario.policies, k) is not None]
