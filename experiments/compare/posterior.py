"""`compare BASELINE.yaml OTHER.yaml... --posterior DIR`: every scenario in every posterior draw.

Tasks, draw-major: in draw k every scenario (the baseline first) with draw k's
parameter values, replication r on `draw_seeds[k][r]` (experiments.analysis.ensemble),
so a scenario's paired difference against the baseline within a draw is free
of noise the policy did not cause. The analysis (experiments.analysis.uncertainty)
takes each effect per draw (mean over its replications) and over the
posterior, with the parameter and Monte-Carlo parts apart.

Tables, the same files as without --posterior, plus the posterior's own:
- `comparison.csv`: the same columns; each scenario's level and paired
  difference are the mean over the posterior and its prediction interval
  (INTERVAL_METHOD); the unpaired interval and the width ratio need
  independent seeds and are not defined (nan); `replications` is per draw.
- `decision.csv`: the same columns, values and intervals over the posterior,
  then `sd_parameter`, `sd_monte_carlo`, `draws`.
- `timeseries.csv`: the same columns with `replication` numbering every run
  of a scenario (k·R + r), then `draw`.
- `posterior_effects.csv` (scenario × metric: every paired difference and the
  yuan per additional north job), `posterior_draws.csv` (the same per draw),
  `ranking.csv` and `ranking_orders.csv` (the other scenarios ranked by the
  change in north-park and outside-province jobs and by the yuan per
  additional north job, draw by draw), `draws.csv`, `posterior.json`.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from experiments.analysis.ensemble import CRN, Ensemble
from experiments.analysis.uncertainty import (
    DrawStats,
    Effect,
    Measured,
    rankings_of,
    ratio_effect,
    summarise,
    write_tables,
)
from experiments.compare.experiment import COMPARISON_COLUMNS, DECISION_COLUMNS
from experiments.engine.store import RunStore, Task
from experiments.engine.tables import fmt, write_csv
from model.metrics import TIMESERIES_COLUMNS
from model.outcomes import COST_EFFECTIVENESS, DECISION, HORIZON, metric

if TYPE_CHECKING:
    from experiments.compare.experiment import Compare

POSTERIOR_DECISION_COLUMNS = (*DECISION_COLUMNS, "sd_parameter", "sd_monte_carlo", "draws")
Grid = dict[str, dict[str, np.ndarray]]  # scenario -> metric -> (K draws, R replications)


def posterior_tasks(exp: Compare, ens: Ensemble) -> list[Task]:
    """Draw k × scenario × replication r; every scenario of draw k on draw k's seeds."""
    reps = exp.first_round
    seeds = ens.seeds(exp.master_seed, reps)
    tasks = []
    for k in range(ens.k):
        for e in exp.entries:
            scenario = ens.apply(e.scenario, k)
            for r in range(reps):
                labels = {"draw": k, "scenario": e.name, "replication": r}
                tasks.append(Task(f"d{k:04d}-{e.name}-r{r:04d}", scenario, seeds[k][r], labels))
    return tasks


def collect_grid(store: RunStore, tasks: Sequence[Task], names: Sequence[str], k: int, reps: int, ts: Path) -> Grid:
    """Every run's horizon metrics as (draw, replication) arrays; timeseries.csv on the way."""
    grid = {s: {m: np.full((k, reps), math.nan) for m in HORIZON} for s in names}
    with ts.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(("scenario", *TIMESERIES_COLUMNS, "draw"))
        for task, rec in store.records(tasks):
            name, d, r = task.labels["scenario"], task.labels["draw"], task.labels["replication"]
            for m in HORIZON:
                grid[name][m][d, r] = float((rec.metrics or {})[m])
            for row in rec.timeseries or []:
                writer.writerow([name, d * reps + r, *(fmt(row[c]) for c in TIMESERIES_COLUMNS[1:]), d])
    return grid


def measure(grid: Grid, base: str, others: Sequence[str]) -> list[Measured]:
    """Each other scenario's paired difference of every metric, and its yuan per additional north job."""
    out = []
    for name in others:
        diffs = {m: grid[name][m] - grid[base][m] for m in HORIZON}
        found = {}
        for m in HORIZON:
            ds = DrawStats.of(diffs[m])
            found[m] = Measured(name, m, ds, summarise(ds, metric(m).change_bounds()))
        out += found.values()
        ds, effect = ratio_effect(diffs["fiscal_cost_yuan"], diffs["to_north_jobs"], found["to_north_jobs"].effect)
        out.append(Measured(name, COST_EFFECTIVENESS, ds, effect))
    return out


def comparison_rows(grid: Grid, names: Sequence[str], measured: Sequence[Measured]) -> list[list[Any]]:
    """comparison.csv's columns over the posterior: level and paired change, no unpaired interval."""
    by = {(m.group, m.name): m.effect for m in measured}
    nan = math.nan
    rows = []
    for name in names:
        for m in HORIZON:
            level = summarise(DrawStats.of(grid[name][m]), metric(m).bounds)
            diff = by.get((name, m)) or summarise(
                DrawStats.of(grid[name][m] - grid[name][m]), metric(m).change_bounds()
            )
            rows.append([name, m, metric(m).unit, *_triple(level), *_triple(diff), nan, nan, nan, level.replications])
    return rows


def decision_rows(measured: Sequence[Measured], others: Sequence[str]) -> list[list[Any]]:
    by = {(m.group, m.name): m.effect for m in measured}
    rows = []
    for name in others:
        for q in (*DECISION, COST_EFFECTIVENESS):
            e = by[(name, q)]
            rows.append(
                [name, q, metric(q).unit, *_triple(e), e.replications, e.sd_parameter, e.sd_monte_carlo, e.draws]
            )
    return rows


def _triple(e: Effect) -> tuple[float, float, float]:
    return e.mean, e.low, e.high


def analyse_posterior(
    exp: Compare, ens: Ensemble, tasks: Sequence[Task], store: RunStore, folder: Path
) -> dict[str, Any]:
    names = [e.name for e in exp.entries]
    base, others = names[0], names[1:]
    reps = exp.first_round
    grid = collect_grid(store, tasks, names, ens.k, reps, folder / "timeseries.csv")
    measured = measure(grid, base, others)
    write_csv(folder / "comparison.csv", COMPARISON_COLUMNS, comparison_rows(grid, names, measured))
    write_csv(folder / "decision.csv", POSTERIOR_DECISION_COLUMNS, decision_rows(measured, others))
    write_tables(folder, "scenario", measured, rankings_of(measured, others), ens.particles)
    ens.write(folder, reps)
    exp.write_resolved(folder, reps)
    sc = exp.baseline.scenario
    return {
        "baseline": base,
        "scenarios": exp.scenario_docs(),
        "replications": reps,
        "posterior": ens.manifest(exp.master_seed, reps),
        "common_random_numbers": CRN,
        "years": [sc.years.start, sc.years.end],
        "firms": sc.firms.count,
        "represented_firms": sc.firms.represented,
        "ci_width": None,
    }
