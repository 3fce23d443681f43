"""What is measured each year, and over the report and hindcast windows of one replication."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

import numpy as np

from model.levers import REGISTRY
from model.world import WorldData

if TYPE_CHECKING:
    from model.config import Years

TIMESERIES_COLUMNS: tuple[str, ...] = (
    "replication",
    "year",
    "firms_active",
    "relocations",
    "relocated_jobs",
    "to_north_jobs",
    "to_jiangsu_jobs",
    "to_outside_jobs",
    "north_share_jobs",
    "fiscal_cost_yuan",
    "start_jobs",
    "born_firms",
    "born_jobs",
    "stayed_jobs",
    "closures",
    "closed_jobs",
    "jobs_in_north_parks",
    "mean_move_probability",
    *(f"fiscal_{key}_yuan" for key in REGISTRY),
)
FLOW_COLUMNS: tuple[str, ...] = ("replication", "year", "origin", "destination", "industry", "firms", "jobs")
STOCK_COLUMNS: tuple[str, ...] = ("replication", "year", "place", "industry", "firms", "jobs")
MOBILITY_COLUMNS: tuple[str, ...] = ("replication", "year", "size_band", "age_band", "firms", "movers")
# Bands of firm size (jobs) and age (years) for the mobility table: lower bounds, each band up to the next.
SIZE_BANDS_JOBS: tuple[float, ...] = (0.0, 50.0, 200.0, 1000.0)
AGE_BANDS_YEARS: tuple[float, ...] = (0.0, 5.0, 10.0, 20.0)


def band_labels(bounds: Sequence[float], unit: str) -> list[str]:
    """`0-50 jobs`, …, `1000+ jobs`."""
    labels = [f"{a:g}-{b:g} {unit}" for a, b in itertools.pairwise(bounds)]
    return [*labels, f"{bounds[-1]:g}+ {unit}"]


def sparse_flows(entries: np.ndarray, weight: float, n_places: int, n_industries: int) -> np.ndarray:
    """(5, m) flows of a year: origin, destination, industry, firms, jobs, one column per distinct triple.

    `entries` (4, n) are the year's moves: origin, destination, industry and
    jobs (represented) of each mover. Kept sparse: a year has a few thousand
    origin–destination–industry cells with moves out of places² × industries.
    """
    if entries.shape[1] == 0:
        return np.zeros((5, 0))
    o, d, k = (entries[i].astype(np.int64) for i in range(3))
    keys = (o * n_places + d) * n_industries + k
    cells, inverse = np.unique(keys, return_inverse=True)
    firms = np.bincount(inverse, minlength=len(cells)) * weight
    jobs = np.bincount(inverse, weights=entries[3], minlength=len(cells))
    return np.stack(
        [cells // (n_places * n_industries), (cells // n_industries) % n_places, cells % n_industries, firms, jobs]
    ).astype(float)


@dataclass
class YearRecord:
    """One year of one run. Firm and job counts are for the represented population.

    Jobs accounting: start_jobs + born_jobs = stayed_jobs + relocated_jobs + closed_jobs.
    """

    year: int
    firms_active: float
    relocations: float
    relocated_jobs: float
    to_north_jobs: float
    to_jiangsu_jobs: float
    to_outside_jobs: float
    born_firms: float
    born_jobs: float
    closures: float
    closed_jobs: float
    start_jobs: float
    stayed_jobs: float
    jobs_in_north_parks: float
    mean_move_probability: float
    fiscal_by_lever: dict[str, float]
    flows: np.ndarray = field(repr=False)  # (5, m): origin, destination, industry, firms, jobs
    stocks: np.ndarray = field(repr=False)  # (2, P, K): firms and jobs at each place and industry, start of year
    mobility: np.ndarray = field(repr=False)  # (2, S, A): firms at the start and movers, by size and age band

    @property
    def fiscal_cost_yuan(self) -> float:
        return float(sum(self.fiscal_by_lever.values()))

    def row(self) -> dict[str, float]:
        """The year's timeseries row (without the replication column)."""
        share = self.to_north_jobs / self.relocated_jobs if self.relocated_jobs > 0 else math.nan
        row: dict[str, float] = {
            "year": self.year,
            "firms_active": self.firms_active,
            "relocations": self.relocations,
            "relocated_jobs": self.relocated_jobs,
            "to_north_jobs": self.to_north_jobs,
            "to_jiangsu_jobs": self.to_jiangsu_jobs,
            "to_outside_jobs": self.to_outside_jobs,
            "north_share_jobs": share,
            "fiscal_cost_yuan": self.fiscal_cost_yuan,
            "start_jobs": self.start_jobs,
            "born_firms": self.born_firms,
            "born_jobs": self.born_jobs,
            "stayed_jobs": self.stayed_jobs,
            "closures": self.closures,
            "closed_jobs": self.closed_jobs,
            "jobs_in_north_parks": self.jobs_in_north_parks,
            "mean_move_probability": self.mean_move_probability,
        }
        for key in REGISTRY:
            row[f"fiscal_{key}_yuan"] = self.fiscal_by_lever.get(key, 0.0)
        return row


@dataclass
class Results:
    """One replication's tables, in memory. Files are written elsewhere.

    `metrics` are over the report window (summary.json); `hindcast` the same
    figures over the hindcast window (empty without one).
    """

    seed: int
    timeseries: list[dict[str, float]]
    flows: list[tuple[int, str, str, str, float, float]]  # year, origin, destination, industry, firms, jobs
    metrics: dict[str, float]
    hindcast: dict[str, float] = field(default_factory=dict)
    stocks: list[tuple[int, str, str, float, float]] = field(default_factory=list)  # year, place, industry, firms, jobs
    mobility: list[tuple[int, str, str, float, float]] = field(default_factory=list)  # year, size, age, firms, movers

    @classmethod
    def from_records(cls, records: list[YearRecord], data: WorldData, seed: int, years: Years | None = None) -> Results:
        flows = []
        stocks = []
        mobility = []
        sizes, ages = band_labels(SIZE_BANDS_JOBS, "jobs"), band_labels(AGE_BANDS_YEARS, "years")
        # Through `tolist()`: Python ints and floats of the same values, without one numpy scalar per entry.
        places, industries = data.place_ids, data.industry_ids
        for rec in records:
            y = rec.year
            movers = rec.mobility.tolist()
            for i, size in enumerate(sizes):
                for j, age in enumerate(ages):
                    mobility.append((y, size, age, movers[0][i][j], movers[1][i][j]))
            o, d, k = (a.astype(int).tolist() for a in rec.flows[:3])
            firms, jobs = rec.flows[3].tolist(), rec.flows[4].tolist()
            flows += [
                (y, places[a], places[b], industries[c], n, j)
                for a, b, c, n, j in zip(o, d, k, firms, jobs, strict=True)
            ]
            p, c = np.nonzero(rec.stocks[0])
            firms, jobs = rec.stocks[0, p, c].tolist(), rec.stocks[1, p, c].tolist()
            stocks += [
                (y, places[a], industries[b], n, j)
                for a, b, n, j in zip(p.tolist(), c.tolist(), firms, jobs, strict=True)
            ]
        report = years.report if years is not None else None
        hindcast = years.hindcast if years is not None else None
        return cls(
            seed=seed,
            timeseries=[r.row() for r in records],
            flows=flows,
            metrics=horizon_metrics(in_window(records, report)),
            hindcast=horizon_metrics(in_window(records, hindcast)) if hindcast is not None else {},
            stocks=stocks,
            mobility=mobility,
        )


def in_window(records: Sequence[YearRecord], window: tuple[int, int] | None) -> list[YearRecord]:
    """The records of the years first..last (all of them for None)."""
    if window is None:
        return list(records)
    first, last = window
    return [r for r in records if first <= r.year <= last]


class YearTotals(Protocol):
    """What the horizon metrics read from a year (a YearRecord, or another model's row)."""

    relocations: float
    relocated_jobs: float
    to_north_jobs: float
    to_jiangsu_jobs: float
    to_outside_jobs: float
    closed_jobs: float
    jobs_in_north_parks: float

    @property
    def fiscal_cost_yuan(self) -> float: ...


def horizon_metrics(records: Sequence[YearTotals]) -> dict[str, float]:
    """Figures of one replication over the given years (DESIGN §5 summary.json)."""
    moved = sum(r.relocated_jobs for r in records)
    north = sum(r.to_north_jobs for r in records)
    jiangsu = sum(r.to_jiangsu_jobs for r in records)
    outside = sum(r.to_outside_jobs for r in records)
    fiscal = sum(r.fiscal_cost_yuan for r in records)
    return {
        "north_share_jobs": north / moved if moved > 0 else math.nan,
        "jiangsu_share_jobs": jiangsu / moved if moved > 0 else math.nan,
        "outside_share_jobs": outside / moved if moved > 0 else math.nan,
        "relocated_firms": sum(r.relocations for r in records),
        "relocated_jobs": moved,
        "to_north_jobs": north,
        "to_jiangsu_jobs": jiangsu,
        "to_outside_jobs": outside,
        "fiscal_cost_yuan": fiscal,
        "cost_per_north_job_yuan": fiscal / north if north > 0 else math.nan,
        "closed_jobs": sum(r.closed_jobs for r in records),
        "jobs_in_north_parks_end": records[-1].jobs_in_north_parks if records else 0.0,
    }
