"""`attribute PACKAGE.yaml --posterior DIR`: every lever subset in every posterior draw, Shapley values per draw.

Tasks: draw k, then replication r, then every subset of the levers, all with
draw k's parameter values and replication r on `draw_seeds[k][r]`
(experiments.analysis.ensemble): common random numbers across the subsets of a draw,
so each replication's game v(S) gives exact Shapley values as without
--posterior. Each lever's Shapley value of each metric is then taken per draw
(mean over its replications) and over the posterior, with the parameter and
Monte-Carlo parts apart (experiments.analysis.uncertainty).

Tables, the same files as without --posterior, plus the posterior's own:
- `attribution.csv`, `totals.csv`: the same columns; each Shapley value,
  value without and with the levers and change is the mean over the posterior
  with its prediction interval (INTERVAL_METHOD); alone and last are means
  over every run; `replications` is per draw.
- `decision.csv`: the same columns, then `sd_parameter`, `sd_monte_carlo`,
  `draws`; the yuan per additional north job is per draw the lever's Shapley
  share of the fiscal cost over its share of the north-park jobs.
- `posterior_effects.csv` (lever × metric, and `whole_package` for the
  package's total change), `posterior_draws.csv`, `ranking.csv` and
  `ranking_orders.csv` (the levers ranked by their Shapley values of the
  north-park and outside-province jobs and by their yuan per additional north
  job, draw by draw), `draws.csv`, `posterior.json`.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from experiments.analysis.ensemble import CRN, Ensemble
from experiments.analysis.shapley import shapley_values
from experiments.analysis.uncertainty import (
    DrawStats,
    Effect,
    Measured,
    rankings_of,
    ratio_effect,
    summarise,
    write_tables,
)
from experiments.attribute.experiment import ATTRIBUTION_COLUMNS, DECISION_COLUMNS, OWN_SPEND, TOTALS_COLUMNS, Package
from experiments.engine.store import RunStore, Task
from experiments.engine.tables import write_csv
from model.outcomes import COST_EFFECTIVENESS, DECISION, metric
from model.scenario import set_path, validate_mapping

if TYPE_CHECKING:
    from experiments.attribute.experiment import Attribute

PACKAGE = "whole_package"  # the group of the package's total change in posterior_effects.csv
POSTERIOR_DECISION_COLUMNS = (*DECISION_COLUMNS, "sd_parameter", "sd_monte_carlo", "draws")


def draw_package(pkg: Package, ens: Ensemble, k: int) -> Package:
    """The package with draw k's parameter values (checked against the scenario first: errors name posterior.csv)."""
    ens.apply(pkg.scenario, k)
    raw = copy.deepcopy(pkg.raw)
    for key, value in ens.sets[k].items():
        set_path(raw, key, value)
    return Package(pkg.path, raw, pkg.levers, validate_mapping(raw, pkg.path))


def posterior_tasks(pkg: Package, ens: Ensemble, master_seed: int) -> list[Task]:
    reps = pkg.scenario.replications
    seeds = ens.seeds(master_seed, reps)
    tasks = []
    for k in range(ens.k):
        drawn = draw_package(pkg, ens, k)
        scenarios = [drawn.subset_scenario(mask) for mask in range(pkg.subsets)]
        for r in range(reps):
            for mask, sc in enumerate(scenarios):
                labels = {"draw": k, "subset": mask, "replication": r}
                tasks.append(Task(f"d{k:04d}-s{mask:03d}-r{r:04d}", sc, seeds[k][r], labels))
    return tasks


def read_games(
    exp: Attribute, tasks: Sequence[Task], store: RunStore, k: int, reps: int
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """games[metric]: (K, R, 2^levers) values; spend[lever]: (K, R) what it spent in the full package."""
    pkg = exp.package
    n = pkg.subsets
    games = {m: np.full((k, reps, n), math.nan) for m in exp.metrics}
    spend = {lever: np.full((k, reps), math.nan) for lever in pkg.levers}
    for task, rec in store.records(tasks):
        d, r, mask = task.labels["draw"], task.labels["replication"], task.labels["subset"]
        for m in exp.metrics:
            games[m][d, r, mask] = float((rec.metrics or {})[m])
        if mask == n - 1:
            for lever in pkg.levers:
                spend[lever][d, r] = math.fsum(row.get(f"fiscal_{lever}_yuan", 0.0) for row in rec.timeseries or [])
    return games, spend


def shapley_grid(games: np.ndarray) -> np.ndarray:
    """(K, R, levers) exact Shapley values of each replication's game (NaN for a game with a NaN)."""
    k, reps, n = games.shape
    values = [[shapley_values([float(v) for v in games[d, r]]) for r in range(reps)] for d in range(k)]
    return np.array(values, dtype=float).reshape(k, reps, n.bit_length() - 1)


def measure(levers: Sequence[str], games: dict[str, np.ndarray], phis: dict[str, np.ndarray]) -> list[Measured]:
    """Each lever's Shapley value of every metric and its yuan per additional north job; the package's total."""
    out: list[Measured] = []
    groups: list[tuple[str, dict[str, np.ndarray]]] = [
        (lever, {m: p[:, :, i] for m, p in phis.items()}) for i, lever in enumerate(levers)
    ]
    groups.append((PACKAGE, {m: g[:, :, -1] - g[:, :, 0] for m, g in games.items()}))
    for group, values in groups:
        found = {}
        for m, x in values.items():
            ds = DrawStats.of(x)
            found[m] = Measured(group, m, ds, summarise(ds, metric(m).change_bounds()))
        out += found.values()
        north = found["to_north_jobs"].effect
        ds, effect = ratio_effect(values["fiscal_cost_yuan"], values["to_north_jobs"], north)
        out.append(Measured(group, COST_EFFECTIVENESS, ds, effect))
    return out


def _mean(x: np.ndarray) -> float:
    ok = np.isfinite(x)
    return float(x[ok].mean()) if ok.any() else math.nan


def _triple(e: Effect) -> tuple[float, float, float]:
    return e.mean, e.low, e.high


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
            rows.append([m, metric(m).unit, lever, *_triple(phi), share, alone, last, phi.replications])
    return rows


def totals_rows(games: dict[str, np.ndarray], by: dict[tuple[str, str], Effect]) -> list[list[Any]]:
    rows: list[list[Any]] = []
    for m, g in games.items():
        mm = metric(m)
        without = summarise(DrawStats.of(g[:, :, 0]), mm.bounds)
        with_all = summarise(DrawStats.of(g[:, :, -1]), mm.bounds)
        change = by[(PACKAGE, m)]
        rows.append([m, mm.unit, *_triple(without), *_triple(with_all), *_triple(change), change.replications])
    ratio = by[(PACKAGE, COST_EFFECTIVENESS)]
    nan = math.nan
    rows.append([COST_EFFECTIVENESS, metric(COST_EFFECTIVENESS).unit, *[nan] * 6, *_triple(ratio), ratio.replications])
    return rows


def decision_rows(levers: Sequence[str], by: dict[tuple[str, str], Effect], spend: dict[str, np.ndarray]) -> list:
    rows: list[list[Any]] = []
    for lever in levers:
        for q in (*DECISION, COST_EFFECTIVENESS):
            e = by[(lever, q)]
            rows.append(
                [lever, q, metric(q).unit, *_triple(e), e.replications, e.sd_parameter, e.sd_monte_carlo, e.draws]
            )
        own = summarise(DrawStats.of(spend[lever]), (0.0, math.inf))
        rows.append(
            [lever, OWN_SPEND, "yuan", *_triple(own), own.replications, own.sd_parameter, own.sd_monte_carlo, own.draws]
        )
    return rows


def analyse_posterior(
    exp: Attribute, ens: Ensemble, tasks: Sequence[Task], store: RunStore, folder: Path
) -> dict[str, Any]:
    pkg = exp.package
    reps = pkg.scenario.replications
    games, spend = read_games(exp, tasks, store, ens.k, reps)
    phis = {m: shapley_grid(g) for m, g in games.items()}
    measured = measure(pkg.levers, games, phis)
    by = {(m.group, m.name): m.effect for m in measured}
    write_csv(folder / "attribution.csv", ATTRIBUTION_COLUMNS, attribution_rows(pkg.levers, games, by))
    write_csv(folder / "totals.csv", TOTALS_COLUMNS, totals_rows(games, by))
    write_csv(folder / "decision.csv", POSTERIOR_DECISION_COLUMNS, decision_rows(pkg.levers, by, spend))
    write_tables(folder, "lever", measured, rankings_of(measured, pkg.levers), ens.particles)
    ens.write(folder, reps)
    exp.write_levers_and_scenario(folder)
    sc = pkg.scenario
    return {
        "package": str(pkg.path),
        "scenario": sc.name,
        "levers": list(pkg.levers),
        "subsets": pkg.subsets,
        "metrics": exp.metrics,
        "replications": reps,
        "posterior": ens.manifest(exp.master_seed, reps),
        "common_random_numbers": CRN,
        "years": [sc.years.start, sc.years.end],
        "firms": sc.firms.count,
    }
