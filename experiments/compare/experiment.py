"""`compare BASELINE.yaml OTHER.yaml...`: policy packages against a baseline, on common random numbers.

Replication r of every scenario uses the same seed (spawned from one master
seed), and the model lays out each firm's draws so that they do not depend on
policy: the difference between two scenarios in replication r comes from
policy, not noise. The paired difference (per-replication differences, then a
t interval) is therefore much tighter than the difference of two independent
means (Welch), which is written beside it so the gain shows.

With `--ci-width W` replications are added in rounds until the 95% interval
half-width of both job shares, of every scenario's mean and of every paired
difference against the baseline, is at most W (or `--max-replications`);
finished runs are kept and reused (the seeds of the first k replications do
not depend on R).

Tables: `comparison.csv` (scenario × metric: mean and interval, paired
difference and interval, the unpaired interval), `decision.csv` (per scenario:
the changes in north-park, outside-province and all relocated jobs and in
fiscal cost, and the yuan per additional north job, each with its interval),
`timeseries.csv`, `scenarios/<name>.resolved.yaml`.

With `--posterior DIR` every scenario runs in each of K posterior draws
(experiments.analysis.ensemble) and the tables describe the effects over the
posterior, with the parameter and Monte-Carlo parts apart
(experiments.compare.posterior).
"""

from __future__ import annotations

import csv
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from experiments.analysis.ensemble import MIN_REPLICATIONS, Ensemble
from experiments.analysis.stats import Interval, ratio_interval, replications_for, welch
from experiments.engine.naming import derived_name, number_tag
from experiments.engine.pool import Engine
from experiments.engine.protocol import Experiment
from experiments.engine.seeds import replication_seeds
from experiments.engine.store import RunStore, Task, data_hashes, digest, scenario_content
from experiments.engine.tables import fmt, write_csv
from experiments.registry import DEFAULT_MAX_REPLICATIONS
from experiments.run.experiment import overrides_from
from model.config import LEVER_KEYS, Scenario
from model.errors import InputError
from model.metrics import TIMESERIES_COLUMNS
from model.outcomes import COST_EFFECTIVENESS, DECISION, HORIZON, metric
from model.scenario import dump_resolved, load_scenario
from model.world import world_for

MIN_ADAPTIVE_START = 3  # an SD from 2 replications is too noisy to plan the next round from
MAX_ROUND_GROWTH = 4  # nor should a few replications make one round jump more than 4-fold
SHARES = ("north_share_jobs", "outside_share_jobs")
COMPARISON_COLUMNS = (
    "scenario",
    "metric",
    "unit",
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
DECISION_COLUMNS = ("scenario", "quantity", "unit", "value", "ci_low", "ci_high", "replications")


def levers_of(scenario: Scenario) -> list[str]:
    return [k for k in LEVER_KEYS if getattr(scenario.policies, k) is not None]


@dataclass(frozen=True)
class Entry:
    path: Path
    scenario: Scenario

    @property
    def name(self) -> str:
        return self.scenario.name


def load_entries(paths: Sequence[Path], args: Any) -> list[Entry]:
    """Every file validated before anything runs: distinct names, the baseline's years and firm count."""
    overrides = {k: v for k, v in overrides_from(args).items() if k == "firms.count"}
    entries: list[Entry] = []
    seen: dict[str, Path] = {}
    for path in paths:
        scenario = load_scenario(path, overrides)
        world_for(scenario, path)
        if scenario.name in seen:
            raise InputError(
                path, "name", f"{scenario.name!r} is also the name of {seen[scenario.name]}", "distinct names"
            )
        seen[scenario.name] = path
        entries.append(Entry(Path(path), scenario))
    base = entries[0].scenario
    for e in entries[1:]:
        sc = e.scenario
        if (sc.years.start, sc.years.end) != (base.years.start, base.years.end):
            raise InputError(
                e.path,
                "years",
                f"{sc.years.start}-{sc.years.end} differs from the baseline's",
                f"the baseline's years {base.years.start}-{base.years.end}, so that runs pair year by year",
            )
        if sc.firms.count != base.firms.count:
            raise InputError(
                e.path,
                "firms.count",
                f"{sc.firms.count} differs from the baseline's",
                f"{base.firms.count} (the same firms draw the same numbers), or --firms N for all",
            )
    return entries


class Compare(Experiment):
    command = "compare"

    def load(self) -> None:
        self.entries = load_entries([self.args.baseline, *self.args.others], self.args)
        base = self.entries[0].scenario
        width, cap = self.args.ci_width, self.args.max_replications
        r = self.args.replications
        self.ensemble = Ensemble.from_args(self.args)
        if self.ensemble is not None:
            self.first_round = r if r is not None else base.replications
            if width is not None or self.first_round < MIN_REPLICATIONS:
                problem = "--ci-width" if width is not None else f"{self.first_round} replication(s) per draw"
                what = "no --ci-width" if width is not None else f"--replications ≥ {MIN_REPLICATIONS}"
                raise InputError("command line", "--posterior", f"given with {problem}", what)
            self.ensemble.check([e.scenario for e in self.entries])
        elif width is None:
            self.first_round = r if r is not None else base.replications
        elif r is not None and r > cap:
            raise InputError("command line", "--replications", f"{r} is more than --max-replications {cap}", "R ≤ M")
        else:
            self.first_round = max(r, 2) if r is not None else min(max(base.replications, MIN_ADAPTIVE_START), cap)

    @property
    def baseline(self) -> Entry:
        return self.entries[0]

    def default_name(self) -> str:
        names = [self.baseline.name, "vs", *(e.name for e in self.entries[1:])]
        extra = []
        if self.args.ci_width is not None:
            extra.append(number_tag("w", self.args.ci_width))
            if self.args.max_replications != DEFAULT_MAX_REPLICATIONS:
                extra.append(number_tag("m", self.args.max_replications))
        if self.ensemble is not None:
            extra += self.ensemble.name_tags()
        return derived_name("compare", names, self.args, extra)

    def inputs(self) -> dict[str, Any]:
        inputs = {
            "scenarios": [[e.name, scenario_content(e.scenario)] for e in self.entries],
            "replications": self.first_round,
            "ci_width": self.args.ci_width,
            "max_replications": self.args.max_replications if self.args.ci_width is not None else None,
            "seed": self.args.seed if self.args.seed is not None else self.baseline.scenario.seed,
        }
        if self.ensemble is not None:
            inputs["posterior"] = self.ensemble.inputs()
        return inputs

    def declared_seeds(self) -> Sequence[tuple[int | None, str]]:
        return [(self.baseline.scenario.seed, "baseline scenario file")]

    def plan(self, master_seed: int) -> list[Task]:
        self.master_seed = master_seed
        self.rounds: list[dict[str, Any]] = []
        if self.ensemble is not None:
            from experiments.compare.posterior import posterior_tasks

            return posterior_tasks(self, self.ensemble)
        return self.tasks_for(self.first_round)

    def tasks_for(self, replications: int) -> list[Task]:
        """Scenario-major; replication r of every scenario gets the same seed."""
        seeds = replication_seeds(self.master_seed, replications)
        return [
            Task(f"{e.name}-r{r:04d}", e.scenario, seed, {"scenario": e.name, "replication": r})
            for e in self.entries
            for r, seed in enumerate(seeds)
        ]

    def execute(self, engine: Engine, store: RunStore, tasks: list[Task]) -> list[Task]:
        """One round, or rounds until --ci-width is met (earlier rounds' runs are reused)."""
        n = self.first_round
        while True:
            self.run_stats.append(engine.run(tasks, store))
            if store.failures(tasks) or self.args.ci_width is None:
                return tasks
            values = collect(store, tasks, self.entries)
            widest, where = widest_share_half_width(values, self.baseline.name)
            self.rounds.append({"replications": n, "widest_half_width": widest, "at": where})
            if widest <= self.args.ci_width or n >= self.args.max_replications:
                return tasks
            n = next_round_size(values, self.baseline.name, n, self.args.ci_width, self.args.max_replications)
            tasks = self.tasks_for(n)

    def scenario_docs(self) -> list[dict[str, Any]]:
        """What the manifest says of each scenario: its file, description, levers and the hashes of its inputs."""
        return [
            {
                "name": e.name,
                "file": str(e.path),
                "description": " ".join(e.scenario.description.split()),
                "levers": levers_of(e.scenario),
                "config_hash": digest(scenario_content(e.scenario)),
                "data_files": data_hashes(e.scenario),
            }
            for e in self.entries
        ]

    def write_resolved(self, folder: Path, replications: int) -> None:
        """scenarios/<name>.resolved.yaml: each scenario as given, with the master seed and the replications."""
        (folder / "scenarios").mkdir()
        for e in self.entries:
            resolved = e.scenario.model_copy(update={"seed": self.master_seed, "replications": replications})
            (folder / "scenarios" / f"{e.name}.resolved.yaml").write_text(dump_resolved(resolved), encoding="utf-8")

    def analyse(self, tasks: Sequence[Task], store: RunStore, folder: Path) -> dict[str, Any]:
        if self.ensemble is not None:
            from experiments.compare.posterior import analyse_posterior

            return analyse_posterior(self, self.ensemble, tasks, store, folder)
        values = collect(store, tasks, self.entries, folder / "timeseries.csv")
        base = self.baseline.name
        rows = []
        for e in self.entries:
            for name in HORIZON:
                rows.append(comparison_row(e.name, name, values[e.name][name], values[base][name], e.name == base))
        write_csv(folder / "comparison.csv", COMPARISON_COLUMNS, rows)
        write_csv(folder / "decision.csv", DECISION_COLUMNS, decision_rows(values, [e.name for e in self.entries]))
        self.write_resolved(folder, len(values[base][HORIZON[0]]))
        n = len(values[base][HORIZON[0]])
        stopping = None
        if self.args.ci_width is not None:
            w = self.args.ci_width
            rows = [[i + 1, r["replications"], r["widest_half_width"], r["at"], w] for i, r in enumerate(self.rounds)]
            columns = ("round", "replications", "widest_half_width", "at", "ci_width", "met")
            write_csv(folder / "stopping.csv", columns, ([*row, row[2] <= w] for row in rows))
            met = bool(self.rounds) and self.rounds[-1]["widest_half_width"] <= self.args.ci_width
            stopping = {"ci_width": self.args.ci_width, "max_replications": self.args.max_replications, "met": met}
            stopping["rounds"] = self.rounds
        sc = self.baseline.scenario
        return {
            "baseline": base,
            "scenarios": self.scenario_docs(),
            "replications": n,
            "replication_seeds": replication_seeds(self.master_seed, n),
            "common_random_numbers": "replication r of every scenario uses replication_seeds[r]",
            "years": [sc.years.start, sc.years.end],
            "firms": sc.firms.count,
            "represented_firms": sc.firms.represented,
            "ci_width": stopping,
        }


Values = dict[str, dict[str, np.ndarray]]  # scenario -> metric -> (R,)


def collect(store: RunStore, tasks: Sequence[Task], entries: Sequence[Entry], timeseries: Path | None = None) -> Values:
    """Per-replication horizon metrics of every scenario (task order); optionally timeseries.csv on the way."""
    raw: dict[str, dict[str, list[float]]] = {e.name: {m: [] for m in HORIZON} for e in entries}
    fh = timeseries.open("w", encoding="utf-8", newline="") if timeseries else None
    writer = csv.writer(fh, lineterminator="\n") if fh else None
    if writer:
        writer.writerow(("scenario", *TIMESERIES_COLUMNS))
    try:
        for task, rec in store.records(tasks):
            name = task.labels["scenario"]
            for m in HORIZON:
                raw[name][m].append(float((rec.metrics or {})[m]))
            if writer:
                for row in rec.timeseries or []:
                    writer.writerow([name, task.labels["replication"], *(fmt(row[c]) for c in TIMESERIES_COLUMNS[1:])])
    finally:
        if fh:
            fh.close()
    return {s: {m: np.asarray(v, dtype=float) for m, v in ms.items()} for s, ms in raw.items()}


def comparison_row(scenario: str, name: str, x: np.ndarray, base: np.ndarray, is_base: bool) -> list[Any]:
    """Mean and interval, paired difference and interval, Welch interval, and their width ratio (all bounded)."""
    m = metric(name)
    value = Interval.of(x, m.bounds)
    diff = Interval.of(x - base, m.change_bounds())
    unpaired = (0.0, 0.0) if is_base else welch(x, base, m.change_bounds())
    width = unpaired[1] - unpaired[0]
    ratio = (diff.high - diff.low) / width if diff.defined and math.isfinite(width) and width > 0 else math.nan
    reps = int(np.isfinite(x).sum())
    return [
        scenario,
        name,
        m.unit,
        value.mean,
        value.low,
        value.high,
        diff.mean,
        diff.low,
        diff.high,
        *unpaired,
        ratio,
        reps,
    ]


def decision_rows(values: Values, names: Sequence[str]) -> list[list[Any]]:
    """Per scenario: the DECISION changes with paired intervals, then the yuan per additional north job (Fieller)."""
    base = values[names[0]]
    rows: list[list[Any]] = []
    for name in names[1:]:
        v = values[name]
        for q in DECISION:
            iv = Interval.of(v[q] - base[q], metric(q).change_bounds())
            rows.append([name, q, metric(q).unit, iv.mean, iv.low, iv.high, iv.n])
        ratio = ratio_interval(
            v["fiscal_cost_yuan"] - base["fiscal_cost_yuan"], v["to_north_jobs"] - base["to_north_jobs"]
        )
        rows.append(
            [name, COST_EFFECTIVENESS, metric(COST_EFFECTIVENESS).unit, ratio.mean, ratio.low, ratio.high, ratio.n]
        )
    return rows


def widest_share_half_width(values: Values, baseline: str) -> tuple[float, str]:
    """The largest share half-width W bounds (inf where an interval is undefined), and where it is."""
    worst, where = -math.inf, ""
    for name, v in values.items():
        for m in SHARES:
            checks = [("mean", Interval.of(v[m], metric(m).bounds))]
            if name != baseline:
                checks.append(("paired difference", Interval.of(v[m] - values[baseline][m], metric(m).change_bounds())))
            for what, iv in checks:
                half = iv.half_width if iv.defined else math.inf
                if half > worst:
                    worst, where = half, f"{name}: {metric(m).label[:1].lower()}{metric(m).label[1:]}, {what}"
    return worst, where


def next_round_size(values: Values, baseline: str, n: int, width: float, cap: int) -> int:
    """Grow by half, or to what the current SDs say is needed, whichever is more (≤ 4× and ≤ cap)."""
    needed = n + 1
    for name, v in values.items():
        for m in SHARES:
            samples = [v[m]] + ([v[m] - values[baseline][m]] if name != baseline else [])
            for x in samples:
                x = x[np.isfinite(x)]
                if len(x) >= 2:
                    needed = max(needed, replications_for(float(x.std(ddof=1)), width, cap))
    grown = max(math.ceil(n * 1.5), min(needed, n * MAX_ROUND_GROWTH))
    return min(cap, max(n + 1, grown))
