"""compare's tables over a posterior (`compare BASELINE.yaml OTHER.yaml... --posterior DIR`).

The runs (draw-major: in draw k every scenario, the baseline first, on draw
k's seeds) and the posterior's own tables come from the POSTERIOR capability
(experiments.engine.capabilities.posterior); what is compare's own is here:
each scenario's paired difference against the baseline, per draw and over
the posterior (experiments.analysis.uncertainty), written in the tables compare
always writes:

- `comparison.csv`: the same columns, then `ensemble` (the ensemble's mark);
  each scenario's level and paired difference are the mean over the
  posterior and the empirical quantile interval of the draws
  (INTERVAL_METHOD), inside the metric's bounds in that scenario (the fiscal
  cost at most the sum of its levers' budgets × active years, a change
  between the difference of the two scenarios' bounds:
  experiments.analysis.bounds); the unpaired interval and the width ratio
  need independent seeds and are not defined (nan); `replications` is per
  draw.
- `decision.csv`: the same columns, values and intervals over the posterior,
  then `sd_parameter`, `sd_monte_carlo`, `draws`, `distinct_draws`,
  `effective_draws`, `ensemble`.
- `timeseries.csv`: the same columns with `replication` numbering every run
  of a scenario (k·R + r), then `draw`.

The capability adds `posterior_effects.csv` (scenario × metric: every paired
difference and the yuan per additional north job), `posterior_draws.csv`,
`ranking.csv` and `ranking_orders.csv` (the other scenarios ranked by the
change in north-park and outside-province jobs and by the yuan per additional
north job, draw by draw), `draws.csv`, `posterior.json`.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from experiments.analysis.bounds import Bounds, change_bounds
from experiments.analysis.uncertainty import DrawStats, Measured, measure_groups, summarise
from experiments.compare.columns import (
    COMPARISON_FILE,
    DECISION_FILE,
    POSTERIOR_COMPARISON_COLUMNS,
    POSTERIOR_DECISION_COLUMNS,
    SCENARIO_TIMESERIES_COLUMNS,
    TIMESERIES_FILE,
)
from experiments.engine.capabilities.posterior import Grid, PosteriorDraws
from experiments.engine.store import RunRecord, RunStore, Task
from experiments.engine.tables import fmt, write_csv
from model.config import Scenario
from model.metrics import TIMESERIES_COLUMNS
from model.outcomes import COST_EFFECTIVENESS, DECISION, HORIZON, metric


def analyse_posterior(
    draws: PosteriorDraws,
    store: RunStore,
    tasks: Sequence[Task],
    scenarios: Sequence[Scenario],
    folder: Path,
    master_seed: int,
) -> dict[str, Any]:
    """Every table of a compare folder over the posterior (the baseline first); returns the manifest's entries."""
    names = [sc.name for sc in scenarios]
    base, others = names[0], names[1:]
    bounds = {sc.name: draws.bounds(sc) for sc in scenarios}
    reps = draws.replications
    with (folder / TIMESERIES_FILE).open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow((*SCENARIO_TIMESERIES_COLUMNS, "draw"))

        def timeseries(task: Task, rec: RunRecord) -> None:
            name, d, r = task.labels["scenario"], task.labels["draw"], task.labels["replication"]
            for row in rec.timeseries or []:
                writer.writerow([name, d * reps + r, *(fmt(row[c]) for c in TIMESERIES_COLUMNS[1:]), d])

        grid = draws.grid(store, tasks, "scenario", HORIZON, timeseries)
    measured = measure_groups(
        ((name, {m: grid[name][m] - grid[base][m] for m in HORIZON}) for name in others),
        draws.weights,
        lambda name, m: change_bounds(m, bounds[name], bounds[base]),
    )
    rows = comparison_rows(grid, names, measured, draws, bounds)
    write_csv(folder / COMPARISON_FILE, POSTERIOR_COMPARISON_COLUMNS, rows)
    write_csv(folder / DECISION_FILE, POSTERIOR_DECISION_COLUMNS, decision_rows(measured, others, draws.mark))
    return draws.write(folder, "scenario", measured, others, master_seed)


def comparison_rows(
    grid: Grid, names: Sequence[str], measured: Sequence[Measured], draws: PosteriorDraws, bounds: dict[str, Bounds]
) -> list[list[Any]]:
    """comparison.csv's columns over the posterior: level and paired change, no unpaired interval, the mark."""
    by = {(m.group, m.name): m.effect for m in measured}
    nan = math.nan
    rows = []
    for name in names:
        for m in HORIZON:
            level = summarise(DrawStats.of(grid[name][m]), bounds[name].level(m), weights=draws.weights)
            diff = by.get((name, m)) or summarise(
                DrawStats.of(grid[name][m] - grid[name][m]), metric(m).change_bounds(), weights=draws.weights
            )
            unpaired = [nan, nan, nan]
            cells = [*level.value_cells(), *diff.value_cells(), *unpaired, level.replications, draws.mark]
            rows.append([name, m, metric(m).unit, *cells])
    return rows


def decision_rows(measured: Sequence[Measured], others: Sequence[str], mark: str) -> list[list[Any]]:
    """Per other scenario: each DECISION change and the yuan per additional north job, over the posterior."""
    by = {(m.group, m.name): m.effect for m in measured}
    quantities = (*DECISION, COST_EFFECTIVENESS)
    return [[name, q, metric(q).unit, *by[(name, q)].decision_cells(), mark] for name in others for q in quantities]
