"""attribute's tables over replications (no --posterior): each lever's exact Shapley values, means and intervals.

Per replication the game v(S) of each metric (every subset S of the levers on
the same seed) is split into exact Shapley values (experiments.analysis.shapley),
which add up to the package's total change; means and 95% intervals are taken
across the replications whose every subset has a finite value. Each lever's
cost-effectiveness is its Shapley share of the fiscal cost over its Shapley
share of the jobs moved north (Fieller's interval for the ratio).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from experiments.analysis.shapley import shapley_values
from experiments.analysis.stats import Interval, ratio_interval
from experiments.attribute.columns import (
    ATTRIBUTION_COLUMNS,
    ATTRIBUTION_FILE,
    DECISION_COLUMNS,
    DECISION_FILE,
    OWN_SPEND,
    TOTALS_COLUMNS,
    TOTALS_FILE,
)
from experiments.attribute.package import Package
from experiments.engine.store import RunStore, Task
from experiments.engine.tables import write_csv
from model.outcomes import COST_EFFECTIVENESS, DECISION, metric


def analyse_replications(
    pkg: Package, metrics: Sequence[str], store: RunStore, tasks: Sequence[Task], folder: Path
) -> None:
    """attribution.csv, totals.csv and decision.csv from the runs (replication-major: every subset of r, then r + 1)."""
    n = pkg.subsets
    games: dict[str, list[list[float]]] = {m: [] for m in metrics}
    spend: dict[str, list[float]] = {lever: [] for lever in pkg.levers}
    records = [rec for _task, rec in store.records(tasks)]
    for r in range(len(records) // n):
        block = records[r * n : (r + 1) * n]
        for m in metrics:
            games[m].append([float((rec.metrics or {})[m]) for rec in block])
        full = block[-1].timeseries or []
        for lever in pkg.levers:
            spend[lever].append(math.fsum(row.get(f"fiscal_{lever}_yuan", 0.0) for row in full))
    phis = {m: [shapley_values(g) for g in games[m]] for m in metrics}
    write_csv(folder / ATTRIBUTION_FILE, ATTRIBUTION_COLUMNS, attribution_rows(pkg.levers, games, phis))
    write_csv(folder / TOTALS_FILE, TOTALS_COLUMNS, [*totals_rows(games), package_ratio_row(games)])
    write_csv(folder / DECISION_FILE, DECISION_COLUMNS, decision_rows(pkg.levers, phis, spend))


def _finite(games: list[list[float]]) -> list[int]:
    return [r for r, g in enumerate(games) if all(math.isfinite(x) for x in g)]


def attribution_rows(
    levers: Sequence[str], games: dict[str, list[list[float]]], phis: dict[str, list[list[float]]]
) -> list[list[Any]]:
    rows: list[list[Any]] = []
    for m, gs in games.items():
        ok = _finite(gs)
        full = len(gs[0]) - 1 if gs else 0
        total = Interval.of([gs[r][full] - gs[r][0] for r in ok]).mean
        bounds = metric(m).change_bounds()
        for i, lever in enumerate(levers):
            bit = 1 << i
            phi = Interval.of([phis[m][r][i] for r in ok], bounds)
            alone = Interval.of([gs[r][bit] - gs[r][0] for r in ok]).mean
            last = Interval.of([gs[r][full] - gs[r][full & ~bit] for r in ok]).mean
            share = phi.mean / total if total and math.isfinite(total) else math.nan
            rows.append([m, metric(m).unit, lever, phi.mean, phi.low, phi.high, share, alone, last, len(ok)])
    return rows


def totals_rows(games: dict[str, list[list[float]]]) -> list[list[Any]]:
    rows = []
    for m, gs in games.items():
        ok = _finite(gs)
        if not gs:
            continue
        full = len(gs[0]) - 1
        mm = metric(m)
        start = Interval.of([gs[r][0] for r in ok], mm.bounds)
        end = Interval.of([gs[r][full] for r in ok], mm.bounds)
        change = Interval.of([gs[r][full] - gs[r][0] for r in ok], mm.change_bounds())
        rows.append([m, mm.unit, *_triple(start), *_triple(end), *_triple(change), len(ok)])
    return rows


def package_ratio_row(games: dict[str, list[list[float]]]) -> list[Any]:
    """The whole package's yuan per additional north job: change in cost over change in north jobs (Fieller)."""
    cost, north = games["fiscal_cost_yuan"], games["to_north_jobs"]
    full = len(cost[0]) - 1 if cost else 0
    ratio = ratio_interval([g[full] - g[0] for g in cost], [g[full] - g[0] for g in north])
    nan = math.nan
    return [COST_EFFECTIVENESS, metric(COST_EFFECTIVENESS).unit, nan, nan, nan, nan, nan, nan, *_triple(ratio), ratio.n]


def _triple(iv: Interval) -> tuple[float, float, float]:
    return iv.mean, iv.low, iv.high


def decision_rows(
    levers: Sequence[str], phis: dict[str, list[list[float]]], spend: dict[str, list[float]]
) -> list[list[Any]]:
    """Per lever: its Shapley share of each DECISION change, yuan per additional north job, its own spending."""
    rows: list[list[Any]] = []
    for i, lever in enumerate(levers):
        for q in DECISION:
            iv = Interval.of([p[i] for p in phis[q]], metric(q).change_bounds())
            rows.append([lever, q, metric(q).unit, *_triple(iv), iv.n])
        ratio = ratio_interval([p[i] for p in phis["fiscal_cost_yuan"]], [p[i] for p in phis["to_north_jobs"]])
        rows.append([lever, COST_EFFECTIVENESS, metric(COST_EFFECTIVENESS).unit, *_triple(ratio), ratio.n])
        own = Interval.of(spend[lever], (0.0, math.inf))
        rows.append([lever, OWN_SPEND, "yuan", *_triple(own), own.n])
    return rows
