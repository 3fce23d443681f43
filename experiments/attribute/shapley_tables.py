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
from experiments.analysis.shapley_sampled import Order, marginal_effects, order_se, sampled_shapley
from experiments.analysis.stats import Interval, bounded_interval, ratio_interval, t975
from experiments.attribute.columns import (
    ATTRIBUTION_COLUMNS,
    ATTRIBUTION_FILE,
    DECISION_COLUMNS,
    DECISION_FILE,
    OWN_SPEND,
    SAMPLING_COLUMNS,
    SAMPLING_FILE,
    TOTALS_COLUMNS,
    TOTALS_FILE,
)
from experiments.attribute.package import Package
from experiments.engine.store import RunStore, Task
from experiments.engine.tables import write_csv
from model.outcomes import COST_EFFECTIVENESS, DECISION, metric


def analyse_replications(
    pkg: Package,
    metrics: Sequence[str],
    store: RunStore,
    tasks: Sequence[Task],
    folder: Path,
    orders: Sequence[Order] | None = None,
) -> None:
    """attribution.csv, totals.csv and decision.csv from the runs (replication-major: every subset of r, then r + 1).

    With `orders` (--permutations) only the package's sampled subsets ran: the Shapley values are the
    permutation-sampling estimates, their intervals combine the orders' and the replications' errors, and
    sampling.csv gives both.
    """
    masks = pkg.masks
    n, size = len(masks), 1 << len(pkg.levers)
    games: dict[str, list[list[float]]] = {m: [] for m in metrics}
    spend: dict[str, list[float]] = {lever: [] for lever in pkg.levers}
    records = [rec for _task, rec in store.records(tasks)]
    for r in range(len(records) // n):
        block = records[r * n : (r + 1) * n]
        for m in metrics:
            game = [math.nan] * size  # a subset that did not run stays NaN
            for mask, rec in zip(masks, block, strict=True):
                game[mask] = float((rec.metrics or {})[m])
            games[m].append(game)
        full = block[-1].timeseries or []
        for lever in pkg.levers:
            spend[lever].append(math.fsum(row.get(f"fiscal_{lever}_yuan", 0.0) for row in full))
    errors: dict[str, list[tuple[float, float]]] | None = None  # per metric and lever: (se, t quantile)
    if orders is None:
        phis = {m: [shapley_values(g) for g in games[m]] for m in metrics}
    else:
        k = len(pkg.levers)
        phis = {m: [sampled_shapley(dict(enumerate(g)), orders, k) for g in games[m]] for m in metrics}
        parts = {m: sampling_errors(games[m], phis[m], orders, masks, k) for m in metrics}
        errors = {m: [(se, t975(df) if math.isfinite(df) else math.nan) for *_, se, df in parts[m]] for m in metrics}
        write_csv(folder / SAMPLING_FILE, SAMPLING_COLUMNS, sampling_rows(pkg.levers, phis, parts, masks, len(orders)))
    rows = attribution_rows(pkg.levers, games, phis, masks, errors)
    write_csv(folder / ATTRIBUTION_FILE, ATTRIBUTION_COLUMNS, rows)
    write_csv(folder / TOTALS_FILE, TOTALS_COLUMNS, [*totals_rows(games, masks), package_ratio_row(games)])
    write_csv(folder / DECISION_FILE, DECISION_COLUMNS, decision_rows(pkg.levers, phis, spend, errors))


def sampling_errors(
    games: list[list[float]], phis: list[list[float]], orders: Sequence[Order], masks: Sequence[int], k: int
) -> list[tuple[float, float, float, float]]:
    """Per lever: the orders' standard error a, the replications' b, the two combined √(a² + b²) and its df.

    The orders' error is that of the per-order marginal effects averaged over the replications (it still
    holds some replication noise, so the combination errs on the wide side); the replications' is the
    standard error of the estimate across replications (the same orders in each). The degrees of freedom
    are Welch–Satterthwaite's, (a² + b²)² / (a⁴/(N − 1) + b⁴/(R − 1)), so that with few replications the
    interval's t quantile is as wide as an exact value's.
    """
    ok = _finite(games, masks)
    if not ok:
        return [(math.nan, math.nan, math.nan, math.nan)] * k
    per_rep = [marginal_effects(dict(enumerate(games[r])), orders, k) for r in ok]
    mean_effects = [[math.fsum(e[p][i] for e in per_rep) / len(ok) for i in range(k)] for p in range(len(orders))]
    by_order = order_se(mean_effects)
    out = []
    for i in range(k):
        a, b = by_order[i], _se([phis[r][i] for r in ok])
        se = math.hypot(a, b)
        denominator = a**4 / (len(orders) - 1) + b**4 / (len(ok) - 1) if len(ok) > 1 and len(orders) > 1 else 0.0
        df = se**4 / denominator if denominator > 0 else math.nan
        out.append((a, b, se, df))
    return out


def _se(xs: Sequence[float]) -> float:
    """The standard error of the mean (NaN below 2 values)."""
    if len(xs) < 2:
        return math.nan
    m = math.fsum(xs) / len(xs)
    return math.sqrt(math.fsum((x - m) ** 2 for x in xs) / (len(xs) - 1) / len(xs))


def sampling_rows(
    levers: Sequence[str],
    phis: dict[str, list[list[float]]],
    parts: dict[str, list[tuple[float, float, float, float]]],
    masks: Sequence[int],
    n_orders: int,
) -> list[list[Any]]:
    """sampling.csv: per metric and lever the estimate, the orders' and the replications' errors and both."""
    rows: list[list[Any]] = []
    for m, per_lever in parts.items():
        for i, (by_order, by_rep, se, df) in enumerate(per_lever):
            mean = Interval.of([p[i] for p in phis[m]]).mean
            rows.append([m, metric(m).unit, levers[i], mean, by_order, by_rep, se, df, n_orders, len(masks)])
    return rows


def _finite(games: list[list[float]], masks: Sequence[int] | None = None) -> list[int]:
    """The replications whose every subset that ran (all, or `masks`) has a finite value."""
    return [r for r, g in enumerate(games) if all(math.isfinite(g[m]) for m in (masks or range(len(g))))]


def attribution_rows(
    levers: Sequence[str],
    games: dict[str, list[list[float]]],
    phis: dict[str, list[list[float]]],
    masks: Sequence[int] | None = None,
    errors: dict[str, list[tuple[float, float]]] | None = None,
) -> list[list[Any]]:
    """Per metric and lever; with `errors` (sampled values: se, t) the interval is the mean ± t·se."""
    rows: list[list[Any]] = []
    for m, gs in games.items():
        ok = _finite(gs, masks)
        full = len(gs[0]) - 1 if gs else 0
        total = Interval.of([gs[r][full] - gs[r][0] for r in ok]).mean
        bounds = metric(m).change_bounds()
        for i, lever in enumerate(levers):
            bit = 1 << i
            phi = Interval.of([phis[m][r][i] for r in ok], bounds)
            if errors is not None:
                phi = _widened(phi, errors[m][i], bounds)
            alone = Interval.of([gs[r][bit] - gs[r][0] for r in ok]).mean
            last = Interval.of([gs[r][full] - gs[r][full & ~bit] for r in ok]).mean
            share = phi.mean / total if total and math.isfinite(total) else math.nan
            rows.append([m, metric(m).unit, lever, phi.mean, phi.low, phi.high, share, alone, last, len(ok)])
    return rows


def _widened(iv: Interval, error: tuple[float, float], bounds: tuple[float, float]) -> Interval:
    """The mean ± t·se (kept inside the bounds as Interval keeps its own), NaN where se is not defined.

    A value with no error at all (se = 0: every order and replication agree) is the point itself.
    """
    se, t = error
    if se == 0:
        return Interval(iv.mean, iv.mean, iv.mean, iv.n)
    if not (math.isfinite(se) and math.isfinite(t)):
        return Interval(iv.mean, math.nan, math.nan, iv.n)
    low, high = bounded_interval(iv.mean, se, t, bounds)
    return Interval(iv.mean, low, high, iv.n)


def totals_rows(games: dict[str, list[list[float]]], masks: Sequence[int] | None = None) -> list[list[Any]]:
    rows = []
    for m, gs in games.items():
        ok = _finite(gs, masks)
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
    levers: Sequence[str],
    phis: dict[str, list[list[float]]],
    spend: dict[str, list[float]],
    errors: dict[str, list[tuple[float, float]]] | None = None,
) -> list[list[Any]]:
    """Per lever: its Shapley share of each DECISION change, yuan per additional north job, its own spending.

    With `errors` (sampled values) the changes' intervals combine both errors; the ratio's (Fieller's, across
    replications) counts the replications' only.
    """
    rows: list[list[Any]] = []
    for i, lever in enumerate(levers):
        for q in DECISION:
            iv = Interval.of([p[i] for p in phis[q]], metric(q).change_bounds())
            if errors is not None:
                iv = _widened(iv, errors[q][i], metric(q).change_bounds())
            rows.append([lever, q, metric(q).unit, *_triple(iv), iv.n])
        ratio = ratio_interval([p[i] for p in phis["fiscal_cost_yuan"]], [p[i] for p in phis["to_north_jobs"]])
        rows.append([lever, COST_EFFECTIVENESS, metric(COST_EFFECTIVENESS).unit, *_triple(ratio), ratio.n])
        own = Interval.of(spend[lever], (0.0, math.inf))
        rows.append([lever, OWN_SPEND, "yuan", *_triple(own), own.n])
    return rows
