"""attribute's tables over a posterior (`attribute PACKAGE.yaml --posterior DIR`): Shapley values per draw.

The runs and the posterior's own tables come from the POSTERIOR capability
(experiments.engine.capabilities.posterior): draw k, then replication r, then
every subset of the levers, all with draw k's parameter values and
replication r on `draw_seeds[k][r]`, so each replication's game v(S) gives
exact Shapley values as without --posterior. What is attribute's own is here:
each lever's Shapley value of each metric, per draw (mean over its
replications) and over the posterior, with the parameter and Monte-Carlo
parts apart (experiments.analysis.uncertainty), written in the tables
attribute always writes:

- `attribution.csv`, `totals.csv`: the same columns, then `ensemble` (the
  ensemble's mark); each Shapley value, value without and with the levers
  and change is the mean over the posterior with the empirical quantile
  interval of the draws (INTERVAL_METHOD), inside its bounds
  (experiments.analysis.bounds: a lever's Shapley value of the fiscal cost
  between −(the others' budgets) and the package's budgets, × their active
  years; the package's change in fiscal cost between 0 and its budgets);
  alone and last are means over every run; `replications` is per draw.
- `decision.csv`: the same columns, then `sd_parameter`, `sd_monte_carlo`,
  `draws`, `distinct_draws`, `effective_draws`, `ensemble`; the yuan per
  additional north job is per draw the lever's Shapley share of the fiscal
  cost over its share of the north-park jobs; a lever's own spending lies in
  [0, its budget × its active years].

The capability adds `posterior_effects.csv` (lever × metric, and
`whole_package` for the package's total change), `posterior_draws.csv`,
`ranking.csv` and `ranking_orders.csv` (the levers ranked by their Shapley
values of the north-park and outside-province jobs and by their yuan per
additional north job, draw by draw), `draws.csv`, `posterior.json`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from experiments.analysis.bounds import Bounds, difference, shapley_bounds
from experiments.analysis.quantiles import DrawWeights
from experiments.analysis.shapley import shapley_values
from experiments.analysis.uncertainty import DrawStats, Effect, measure_groups, summarise
from experiments.attribute.columns import (
    ATTRIBUTION_FILE,
    DECISION_FILE,
    OWN_SPEND,
    POSTERIOR_ATTRIBUTION_COLUMNS,
    POSTERIOR_DECISION_COLUMNS,
    POSTERIOR_TOTALS_COLUMNS,
    TOTALS_FILE,
)
from experiments.attribute.package import Package
from experiments.engine.capabilities.posterior import PosteriorDraws
from experiments.engine.store import RunRecord, RunStore, Task
from experiments.engine.tables import write_csv
from model.outcomes import COST_EFFECTIVENESS, DECISION, metric

PACKAGE = "whole_package"  # the group of the package's total change in posterior_effects.csv


def analyse_posterior(
    draws: PosteriorDraws,
    pkg: Package,
    metrics: Sequence[str],
    store: RunStore,
    tasks: Sequence[Task],
    folder: Path,
    master_seed: int,
) -> dict[str, Any]:
    """Every table of an attribute folder over the posterior; returns the manifest's posterior entries."""
    games, spend = read_games(draws, pkg, metrics, store, tasks)
    phis = {m: shapley_grid(g) for m, g in games.items()}
    groups: list[tuple[str, dict[str, np.ndarray]]] = [
        (lever, {m: p[:, :, i] for m, p in phis.items()}) for i, lever in enumerate(pkg.levers)
    ]
    groups.append((PACKAGE, {m: g[:, :, -1] - g[:, :, 0] for m, g in games.items()}))
    full, none = draws.bounds(pkg.scenario), Bounds({})  # the empty subset has no lever: it spends nothing

    def bounds(group: str, m: str) -> tuple[float, float]:
        return difference(full.level(m), none.level(m)) if group == PACKAGE else shapley_bounds(m, full, group)

    measured = measure_groups(groups, draws.weights, bounds)
    by = {(m.group, m.name): m.effect for m in measured}
    mark, weights = draws.mark, draws.weights
    rows = [[*row, mark] for row in attribution_rows(pkg.levers, games, by)]
    write_csv(folder / ATTRIBUTION_FILE, POSTERIOR_ATTRIBUTION_COLUMNS, rows)
    rows = [[*row, mark] for row in totals_rows(games, by, weights, (none, full))]
    write_csv(folder / TOTALS_FILE, POSTERIOR_TOTALS_COLUMNS, rows)
    years = (pkg.scenario.years.start, pkg.scenario.years.end)  # own spending is summed over every year
    caps = draws.bounds(pkg.scenario, years)
    rows = [[*row, mark] for row in decision_rows(pkg.levers, by, spend, weights, caps)]
    write_csv(folder / DECISION_FILE, POSTERIOR_DECISION_COLUMNS, rows)
    return draws.write(folder, "lever", measured, pkg.levers, master_seed)


def read_games(
    draws: PosteriorDraws, pkg: Package, metrics: Sequence[str], store: RunStore, tasks: Sequence[Task]
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """games[metric]: (K, R, 2^levers) values; spend[lever]: (K, R) what it spent in the full package."""
    full = pkg.subsets - 1
    spend = {lever: np.full((draws.k, draws.replications), math.nan) for lever in pkg.levers}

    def spending(task: Task, rec: RunRecord) -> None:
        if task.labels["subset"] == full:
            d, r = task.labels["draw"], task.labels["replication"]
            for lever in pkg.levers:
                spend[lever][d, r] = math.fsum(row.get(f"fiscal_{lever}_yuan", 0.0) for row in rec.timeseries or [])

    grid = draws.grid(store, tasks, "subset", metrics, spending)
    games = {m: np.stack([grid[mask][m] for mask in range(pkg.subsets)], axis=-1) for m in metrics}
    return games, spend


def shapley_grid(games: np.ndarray) -> np.ndarray:
    """(K, R, levers) exact Shapley values of each replication's game (NaN for a game with a NaN)."""
    k, reps, n = games.shape
    values = [[shapley_values([float(v) for v in games[d, r]]) for r in range(reps)] for d in range(k)]
    return np.array(values, dtype=float).reshape(k, reps, n.bit_length() - 1)


def _mean(x: np.ndarray) -> float:
    ok = np.isfinite(x)
    return float(x[ok].mean()) if ok.any() else math.nan


def attribution_rows(levers: Sequence[str], games: dict[str, np.ndarray], by: dict[tuple[str, str], Effect]) -> list:
    rows: list[list[Any]] = []
    for m, g in games.items():
        full = g.shape[2] - 1
        ok = np.all(np.isfinite(g), axis=2)
        total = by[(PACKAGE, m)].mean
        for i, lever in enumerate(levers):
            bit = 1 << i
            phi = by[(lever, m)]
            alone = _mean(np.where(ok, g[:, :, bit] - g[:, :, 0], math.nan))
            last = _mean(np.where(ok, g[:, :, full] - g[:, :, full & ~bit], math.nan))
            share = phi.mean / total if total and math.isfinite(total) else math.nan
            rows.append([m, metric(m).unit, lever, *phi.value_cells(), share, alone, last, phi.replications])
    return rows


def totals_rows(
    games: dict[str, np.ndarray],
    by: dict[tuple[str, str], Effect],
    weights: DrawWeights,
    bounds: tuple[Bounds, Bounds],
) -> list[list[Any]]:
    """totals.csv's columns: without the levers, with the package (`bounds`: of each), the change."""
    rows: list[list[Any]] = []
    none, full = bounds
    for m, g in games.items():
        mm = metric(m)
        without = summarise(DrawStats.of(g[:, :, 0]), none.level(m), weights=weights).value_cells()
        with_all = summarise(DrawStats.of(g[:, :, -1]), full.level(m), weights=weights).value_cells()
        change = by[(PACKAGE, m)]
        rows.append([m, mm.unit, *without, *with_all, *change.value_cells(), change.replications])
    ratio = by[(PACKAGE, COST_EFFECTIVENESS)]
    nan = math.nan
    rows.append(
        [COST_EFFECTIVENESS, metric(COST_EFFECTIVENESS).unit, *[nan] * 6, *ratio.value_cells(), ratio.replications]
    )
    return rows


def decision_rows(
    levers: Sequence[str],
    by: dict[tuple[str, str], Effect],
    spend: dict[str, np.ndarray],
    weights: DrawWeights,
    caps: Bounds,
) -> list[list[Any]]:
    """Per lever: its Shapley changes, its yuan per additional north job, its own spending in [0, its cap]."""
    rows: list[list[Any]] = []
    for lever in levers:
        for q in (*DECISION, COST_EFFECTIVENESS):
            rows.append([lever, q, metric(q).unit, *by[(lever, q)].decision_cells()])
        own = summarise(DrawStats.of(spend[lever]), (0.0, caps.spend_cap(lever)), weights=weights)
        rows.append([lever, OWN_SPEND, "yuan", *own.decision_cells()])
    return rows
