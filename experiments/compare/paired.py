"""compare's analysis on common random numbers (no --posterior): paired differences, decision table, --ci-width samples.

Replication r of every scenario runs on the same seed, so the difference
between two scenarios in replication r comes from policy, not noise: the
paired interval (per-replication differences, then a t interval) is much
tighter than the difference of two independent means (Welch), which is
written beside it so the gain shows.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from experiments.analysis.stats import Interval, ratio_interval, welch
from experiments.compare.columns import (
    COMPARISON_COLUMNS,
    COMPARISON_FILE,
    DECISION_COLUMNS,
    DECISION_FILE,
    SCENARIO_TIMESERIES_COLUMNS,
    SHARES,
    TIMESERIES_FILE,
)
from experiments.engine.capabilities.adaptive import Sample
from experiments.engine.store import RunStore, Task
from experiments.engine.tables import fmt, write_csv
from model.metrics import TIMESERIES_COLUMNS
from model.outcomes import COST_EFFECTIVENESS, DECISION, HORIZON, metric

Values = dict[str, dict[str, np.ndarray]]  # scenario -> metric -> (R,)


def collect(store: RunStore, tasks: Sequence[Task], names: Sequence[str], timeseries: Path | None = None) -> Values:
    """Per-replication horizon metrics of every scenario (task order); optionally timeseries.csv on the way."""
    raw: dict[str, dict[str, list[float]]] = {name: {m: [] for m in HORIZON} for name in names}
    fh = timeseries.open("w", encoding="utf-8", newline="") if timeseries else None
    writer = csv.writer(fh, lineterminator="\n") if fh else None
    if writer:
        writer.writerow(SCENARIO_TIMESERIES_COLUMNS)
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


def analyse_paired(store: RunStore, tasks: Sequence[Task], names: Sequence[str], folder: Path) -> int:
    """timeseries.csv, comparison.csv and decision.csv; returns the replications per scenario."""
    values = collect(store, tasks, names, folder / TIMESERIES_FILE)
    base = names[0]
    rows = []
    for name in names:
        for m in HORIZON:
            rows.append(comparison_row(name, m, values[name][m], values[base][m], name == base))
    write_csv(folder / COMPARISON_FILE, COMPARISON_COLUMNS, rows)
    write_csv(folder / DECISION_FILE, DECISION_COLUMNS, decision_rows(values, names))
    return len(values[base][HORIZON[0]])


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


def share_samples(values: Values, baseline: str) -> list[Sample]:
    """What --ci-width bounds: both job shares of every scenario's mean and of its paired difference."""
    out = []
    for name, v in values.items():
        for m in SHARES:
            mm = metric(m)
            label = f"{mm.label[:1].lower()}{mm.label[1:]}"
            out.append(Sample(f"{name}: {label}, mean", v[m], mm.bounds))
            if name != baseline:
                out.append(
                    Sample(f"{name}: {label}, paired difference", v[m] - values[baseline][m], mm.change_bounds())
                )
    return out
