"""The tables of a `discover` folder, read and checked: packages.csv, worlds.csv, outcomes.csv, boxes.csv,
trajectory.csv and factors.csv.

`read_discovery(folder)` gives the `Discovery` the report's Markdown
(experiments.discover.report) and figures (experiments.discover.figures) are
drawn from. A damaged table is one InputError naming the file.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from experiments.discover.boxes import Box, Restriction, Step
from experiments.discover.columns import (
    BOX_COLUMNS,
    BOXES_FILE,
    OUTCOMES_FILE,
    PACKAGE_COLUMNS,
    PACKAGES_FILE,
    TRAJECTORY_COLUMNS,
    TRAJECTORY_FILE,
    WORLD,
    WORLDS_FILE,
)
from model.errors import InputError, short
from model.outcomes import Metric
from report.read import Factor, Row, header, read_factors, read_table


@dataclass
class PackageResult:
    """One package's verdict, its world-level results and its boxes."""

    name: str
    file: str
    worlds: int
    replications: int
    failed_worlds: int
    undefined_worlds: int
    metric: Metric
    rule: str  # change_below | change_above
    bound: float
    verdict: str
    density_min: float
    failed: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))  # per world
    world_change: np.ndarray = field(default_factory=lambda: np.zeros(0))
    prim: list[Box] = field(default_factory=list)
    cart: list[Box] = field(default_factory=list)
    trajectory: list[Step] = field(default_factory=list)

    @property
    def judged(self) -> int:
        return self.worlds - self.undefined_worlds

    def rule_words(self) -> str:
        """`the change in north-park jobs is below +10,000`."""
        side = "below" if self.rule == "change_below" else "above"
        label = self.metric.label[:1].lower() + self.metric.label[1:]
        return f"the change in {label} is {side} {self.metric.text(self.bound, change=True)}"


@dataclass(frozen=True)
class Discovery:
    folder: Path
    factors: list[Factor]
    worlds: dict[str, np.ndarray]  # uncertainty key -> its value in each world
    packages: list[PackageResult]

    def factor(self, key: str) -> Factor:
        return next(f for f in self.factors if f.key == key)


def read_discovery(folder: Path) -> Discovery:
    columns = header(folder, WORLDS_FILE)
    if not columns or columns[0] != WORLD:
        raise InputError(folder / WORLDS_FILE, "header", "no world column first", "world, <uncertainty key paths>")
    keys = columns[1:]
    factors = read_factors(folder, keys)
    rows = read_table(folder, WORLDS_FILE, columns)
    worlds = {k: np.array([row.number(k, allow_nan=False) for row in rows]) for k in keys}
    if [row.integer(WORLD) for row in rows] != list(range(len(rows))):
        raise InputError(folder / WORLDS_FILE, WORLD, "worlds not numbered 0, 1, … in order", "one row per world")
    packages = {row.name("package"): _package(row) for row in read_table(folder, PACKAGES_FILE, PACKAGE_COLUMNS)}
    _read_outcomes(folder, packages, len(rows))
    for row in read_table(folder, BOXES_FILE, BOX_COLUMNS, allow_empty=True):
        _add_box_row(row, packages, keys)
    for row in read_table(folder, TRAJECTORY_FILE, TRAJECTORY_COLUMNS, allow_empty=True):
        p = _known(row, packages)
        p.trajectory.append(
            Step(
                row.integer("box"),
                row.integer("step"),
                row.number("coverage"),
                row.number("density"),
                row.number("mass"),
                row.integer("restricted_dims"),
                bool(row.flag("chosen")),
            )
        )
    return Discovery(folder, factors, worlds, list(packages.values()))


def _package(row: Row) -> PackageResult:
    return PackageResult(
        row.name("package"),
        row.text("file"),
        row.integer("worlds"),
        row.integer("replications"),
        row.integer("failed_worlds"),
        row.integer("undefined_worlds"),
        row.metric("metric"),
        row.text("rule"),
        row.number("bound", allow_nan=False),
        row.text("verdict"),
        row.number("density_min", allow_nan=False),
    )


def _known(row: Row, packages: dict[str, PackageResult]) -> PackageResult:
    name = row.name("package")
    if name not in packages:
        raise InputError(row.path, f"row {row.line}, column package", f"{short(name)} is not in {PACKAGES_FILE}")
    return packages[name]


def _read_outcomes(folder: Path, packages: dict[str, PackageResult], n_worlds: int) -> None:
    """Each package's failed flag and mean change per world (the same on every replication row of a world)."""
    for p in packages.values():
        p.failed = np.zeros(n_worlds, dtype=bool)
        p.world_change = np.full(n_worlds, math.nan)
    for row in read_table(folder, OUTCOMES_FILE, ("package", WORLD, "world_mean_change", "failed")):
        p = _known(row, packages)
        w = row.integer(WORLD)
        if w >= n_worlds:
            raise InputError(row.path, f"row {row.line}, column world", f"{w} is not in {WORLDS_FILE}")
        p.failed[w] = bool(row.flag("failed"))
        p.world_change[w] = row.number("world_mean_change")


def _add_box_row(row: Row, packages: dict[str, PackageResult], keys: list[str]) -> None:
    """One (box, dimension) row: a new box on its first row, one more restriction on the others."""
    p = _known(row, packages)
    method = row.text("method")
    if method not in ("prim", "cart"):
        raise InputError(row.path, f"row {row.line}, column method", short(method), "prim or cart")
    boxes = p.prim if method == "prim" else p.cart
    index = row.integer("box")
    if not boxes or boxes[-1].index != index:
        boxes.append(
            Box(
                method,
                index,
                row.number("coverage"),
                row.number("density"),
                row.number("mass"),
                row.integer("worlds"),
                row.integer("failures"),
                bool(row.flag("meets_density_min")),
                (),
            )
        )
    dim = row.text("dimension")
    if not dim:
        return
    if dim not in keys:
        raise InputError(row.path, f"row {row.line}, column dimension", short(dim), f"a column of {WORLDS_FILE}")
    r = Restriction(
        dim,
        row.number("low"),
        row.number("high"),
        bool(row.flag("low_restricted")),
        bool(row.flag("high_restricted")),
        row.number("qp_low"),
        row.number("qp_high"),
        row.number("reproduce_coverage_pct"),
        row.number("reproduce_density_pct"),
    )
    boxes[-1] = replace(boxes[-1], restrictions=(*boxes[-1].restrictions, r))
