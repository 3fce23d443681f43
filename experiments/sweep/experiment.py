"""`sweep EXPERIMENT.yaml`: factors over a grid or a Latin hypercube, one tidy table, differences against the base.

Every (point, replication) is a task; replication r uses the same seed at
every point and in the base scenario (common random numbers), so each point's
difference against the base is a paired one with a tight interval, and a
point whose interval includes 0 is within noise of the base (`within_noise`,
greyed in the figures). A run that fails is recorded in the `error` column and
the sweep goes on.

Tables: `results.csv` (+ `results.parquet` with the `parquet` extra): a row
per (point, replication): `point, replication, seed, <factor key paths>,
<outcomes>, error`; `points.csv`: per point and outcome the mean and its 95%
interval, the paired difference against the base and its interval,
`within_noise`; `base.csv`: the base scenario's mean and interval per outcome;
`factors.csv`: each factor's label and unit.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from experiments.analysis.stats import Interval
from experiments.design.points import BASE, PointsExperiment, outcome_values
from experiments.engine.store import RunStore, Task
from experiments.engine.tables import fmt, write_csv
from experiments.sweep.columns import BASE_COLUMNS, BASE_FILE, POINT, POINT_TAIL, POINTS_FILE
from experiments.sweep.parquet import ParquetSink
from model.errors import InputError
from model.outcomes import metric

RESERVED = ("point", "replication", "seed", "error")


class Sweep(PointsExperiment):
    command = "sweep"
    tolerates_failures = True

    def check_method(self) -> None:
        exp, path = self.loaded.experiment, self.loaded.path
        if exp.design.method not in ("grid", "lhs"):
            raise InputError(
                path,
                "design.method",
                f"{exp.design.method!r} is a sensitivity design (python run.py sensitivity {path})",
                "grid or lhs for sweep",
            )
        for key in exp.factors:
            if key in RESERVED:
                raise InputError(path, f"factors.{key}", "is not a factor a sweep can vary", "a scenario key path")

    def plan(self, master_seed: int) -> list[Task]:
        exp = self.loaded.experiment
        self.dseed = self.loaded.design_seed(master_seed) if exp.design.method == "lhs" else None
        points = self.loaded.lhs_points(self.dseed) if self.dseed is not None else self.loaded.grid_points()
        return self.points_tasks(points, master_seed)

    def analyse(self, tasks: Sequence[Task], store: RunStore, folder: Path) -> dict[str, Any]:
        outcomes = list(self.loaded.experiment.outcomes)
        factors = self.loaded.factor_names
        write_results(folder, tasks, store, factors, outcomes, self.points)
        at, base, errors = outcome_values(store, tasks, outcomes, len(self.points))
        write_points(folder / POINTS_FILE, self.points, factors, outcomes, at, base)
        rows = []
        for j, o in enumerate(outcomes):
            iv = Interval.of(base[:, j], metric(o).bounds)
            rows.append([o, metric(o).unit, iv.n, iv.mean, iv.low, iv.high])
        write_csv(folder / BASE_FILE, BASE_COLUMNS, rows)
        self.write_factors(folder)
        self.write_experiment(folder, sample_seed=self.dseed)
        return {
            **self.common_manifest(),
            "design": {"method": self.loaded.experiment.design.method, "seed": self.dseed},
            "points_values": self.points,
            "failed_runs": len(errors),
            "failures": errors[:20],
        }


def write_results(
    folder: Path,
    tasks: Sequence[Task],
    store: RunStore,
    factors: Sequence[str],
    outcomes: Sequence[str],
    points: Sequence[dict[str, Any]],
) -> None:
    """results.csv (+ .parquet), streamed one run at a time in task order."""
    sink = ParquetSink.open(folder / "results.parquet", factors, points, outcomes)
    with (folder / "results.csv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["point", "replication", "seed", *factors, *outcomes, "error"])
        for task, rec in store.records(tasks):
            if task.labels["point"] == BASE:
                continue
            metrics = rec.metrics or {}
            values = [float(metrics.get(o, math.nan)) if rec.ok else math.nan for o in outcomes]
            row = [task.labels["point"], task.labels["replication"], task.seed, *(task.labels[f] for f in factors)]
            row += [*values, rec.error or ""]
            writer.writerow([fmt(v) for v in row])
            if sink is not None:
                sink.add(row)
    if sink is not None:
        sink.close()


def write_points(
    path: Path,
    points: Sequence[dict[str, Any]],
    factors: Sequence[str],
    outcomes: Sequence[str],
    at: np.ndarray,
    base: np.ndarray,
) -> None:
    """Per point and outcome: mean and interval, paired difference against the base and interval, within noise."""
    rows = []
    for p, point in enumerate(points):
        for j, o in enumerate(outcomes):
            m = metric(o)
            x = at[p, :, j]
            value = Interval.of(x, m.bounds)
            diff = Interval.of(x - base[:, j], m.change_bounds())
            failed = int(np.isnan(x).sum())
            noise = "" if not diff.defined else ("false" if diff.excludes_zero() else "true")
            if diff.defined and diff.low == diff.high == 0:
                noise = "true"
            head = [p, *(point[f] for f in factors), o, m.unit, value.n, failed]
            rows.append([*head, value.mean, value.low, value.high, diff.mean, diff.low, diff.high, noise])
    write_csv(path, [POINT, *factors, *POINT_TAIL], rows)
