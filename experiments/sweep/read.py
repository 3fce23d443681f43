"""The tables of a `sweep` folder, read and checked: points.csv, base.csv, factors.csv.

`read_sweep(folder)` gives the `Sweep` that the report's Markdown
(experiments.sweep.report) and its figures (experiments.sweep.figures) are
drawn from, with the figure kind its design calls for. A damaged table is one
InputError naming the file before anything is written.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from experiments.sweep.columns import BASE_COLUMNS, BASE_FILE, POINT, POINT_TAIL, POINTS_FILE
from model.csvfile import without
from model.errors import InputError, short
from report.read import Estimate, Factor, factor_value, header, in_order, read_factors, read_table

POINTS_NEEDED = (POINT, *without(POINT_TAIL, "unit"))  # and the factor columns, named by the header
BASE_NEEDED = without(BASE_COLUMNS, "unit", "runs")


@dataclass(frozen=True)
class Point:
    """One design point × outcome of points.csv."""

    index: int
    values: tuple[float | str, ...]  # one per factor
    mean: Estimate
    diff: Estimate
    within_noise: bool | None  # None: not judged (no interval)
    runs: int
    failed: int


@dataclass(frozen=True)
class Sweep:
    folder: Path
    factors: list[Factor]
    outcomes: list[str]
    points: dict[str, list[Point]]
    base: dict[str, Estimate]

    @property
    def replications(self) -> int:
        return max((p.runs + p.failed for ps in self.points.values() for p in ps), default=0)

    @property
    def judged(self) -> bool:
        """Whether any point could be judged against noise (not with one replication)."""
        return any(p.within_noise is not None for ps in self.points.values() for p in ps)

    @property
    def n_points(self) -> int:
        return len(self.points[self.outcomes[0]])

    def distinct(self, k: int) -> list[float | str]:
        """The distinct values of factor k, numbers in order."""
        return sorted({p.values[k] for p in self.points[self.outcomes[0]]}, key=_order)

    def is_grid(self) -> bool:
        """Every combination of the factors' distinct values once: a full grid (else an LHS design)."""
        seen = {p.values for p in self.points[self.outcomes[0]]}
        size = math.prod(len(self.distinct(k)) for k in range(len(self.factors)))
        return len(seen) == size == self.n_points

    def numeric(self, k: int) -> bool:
        return all(isinstance(v, float) for v in self.distinct(k))

    def figure_kind(self) -> str:
        """line (1 factor), heatmap (2 on a grid), scatter (2 numeric off a grid), main effects (the rest)."""
        if len(self.factors) == 1:
            return "line"
        if len(self.factors) == 2 and self.is_grid():
            return "heatmap"
        if len(self.factors) == 2 and self.numeric(0) and self.numeric(1):
            return "scatter"
        return "main effects"


def _order(value: float | str) -> tuple[int, float, str]:
    return (0, value, "") if isinstance(value, float) else (1, 0.0, value)


def read_sweep(folder: Path) -> Sweep:
    """points.csv, base.csv and factors.csv, checked."""
    columns = header(folder, "points.csv")
    if "point" not in columns or "outcome" not in columns or columns.index("outcome") < columns.index("point"):
        raise InputError(folder / "points.csv", "header", "no point … outcome columns", "point, <factors>, outcome, …")
    keys = columns[columns.index("point") + 1 : columns.index("outcome")]
    factors = read_factors(folder, keys)
    points: dict[str, list[Point]] = {}
    for row in read_table(folder, POINTS_FILE, POINTS_NEEDED):
        name = row.metric("outcome").name
        point = Point(
            row.integer("point"),
            tuple(factor_value(row.text(k)) for k in keys),
            row.estimate("mean", "ci_low", "ci_high"),
            row.estimate("diff", "diff_ci_low", "diff_ci_high"),
            row.flag("within_noise"),
            row.integer("runs"),
            row.integer("failed"),
        )
        points.setdefault(name, []).append(point)
    outcomes = list(points)
    counts = {len(ps) for ps in points.values()}
    if len(counts) != 1:
        raise InputError(folder / "points.csv", "outcome", "outcomes with different numbers of points", "every point")
    base = {}
    for row in read_table(folder, BASE_FILE, BASE_NEEDED):
        base[row.metric("outcome").name] = row.estimate("mean", "ci_low", "ci_high")
    missing = [o for o in outcomes if o not in base]
    if missing:
        raise InputError(folder / "base.csv", "outcome", f"no row for {short(missing[0])}", ", ".join(outcomes))
    return Sweep(folder, factors, in_order(outcomes), points, base)
