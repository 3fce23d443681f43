"""What is measured each year and over the horizon of one replication."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from model.levers import REGISTRY
from model.world import WorldData

TIMESERIES_COLUMNS: tuple[str, ...] = (
    "replication",
    "year",
    "firms_active",
    "relocations",
    "relocated_jobs",
    "to_north_jobs",
    "to_outside_jobs",
    "north_share_jobs",
    "fiscal_cost_yuan",
    "start_jobs",
    "stayed_jobs",
    "closures",
    "closed_jobs",
    "jobs_in_north_parks",
    "mean_move_probability",
    *(f"fiscal_{key}_yuan" for key in REGISTRY),
)
FLOW_COLUMNS: tuple[str, ...] = ("replication", "year", "origin", "destination", "industry", "firms", "jobs")
SUMMARY_METRICS: tuple[str, ...] = (
    "north_share_jobs",
    "outside_share_jobs",
    "relocated_firms",
    "relocated_jobs",
    "to_north_jobs",
    "to_outside_jobs",
    "fiscal_cost_yuan",
    "cost_per_north_job_yuan",
    "closed_jobs",
    "jobs_in_north_parks_end",
)


@dataclass
class YearRecord:
    """One year of one run. Firm and job counts are for the represented population."""

    year: int
    firms_active: float
    relocations: float
    relocated_jobs: float
    to_north_jobs: float
    to_outside_jobs: float
    closures: float
    closed_jobs: float
    start_jobs: float
    stayed_jobs: float
    jobs_in_north_parks: float
    mean_move_probability: float
    fiscal_by_lever: dict[str, float]
    flow_firms: np.ndarray = field(repr=False)  # (P_from, P_to, K)
    flow_jobs: np.ndarray = field(repr=False)

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
            "to_outside_jobs": self.to_outside_jobs,
            "north_share_jobs": share,
            "fiscal_cost_yuan": self.fiscal_cost_yuan,
            "start_jobs": self.start_jobs,
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
    """One replication's tables, in memory. Files are written elsewhere."""

    seed: int
    timeseries: list[dict[str, float]]
    flows: list[tuple[int, str, str, str, float, float]]  # year, origin, destination, industry, firms, jobs
    metrics: dict[str, float]

    @classmethod
    def from_records(cls, records: list[YearRecord], data: WorldData, seed: int) -> Results:
        flows = []
        for rec in records:
            for a, b, k in zip(*np.nonzero(rec.flow_firms), strict=True):
                flows.append(
                    (
                        rec.year,
                        data.place_ids[a],
                        data.place_ids[b],
                        data.industry_ids[k],
                        float(rec.flow_firms[a, b, k]),
                        float(rec.flow_jobs[a, b, k]),
                    )
                )
        return cls(seed=seed, timeseries=[r.row() for r in records], flows=flows, metrics=horizon_metrics(records))


class YearTotals(Protocol):
    """What the horizon metrics read from a year (a YearRecord, or another model's row)."""

    relocations: float
    relocated_jobs: float
    to_north_jobs: float
    to_outside_jobs: float
    closed_jobs: float
    jobs_in_north_parks: float

    @property
    def fiscal_cost_yuan(self) -> float: ...


def horizon_metrics(records: Sequence[YearTotals]) -> dict[str, float]:
    """Whole-horizon figures of one replication (DESIGN §5 summary.json)."""
    moved = sum(r.relocated_jobs for r in records)
    north = sum(r.to_north_jobs for r in records)
    outside = sum(r.to_outside_jobs for r in records)
    fiscal = sum(r.fiscal_cost_yuan for r in records)
    return {
        "north_share_jobs": north / moved if moved > 0 else math.nan,
        "outside_share_jobs": outside / moved if moved > 0 else math.nan,
        "relocated_firms": sum(r.relocations for r in records),
        "relocated_jobs": moved,
        "to_north_jobs": north,
        "to_outside_jobs": outside,
        "fiscal_cost_yuan": fiscal,
        "cost_per_north_job_yuan": fiscal / north if north > 0 else math.nan,
        "closed_jobs": sum(r.closed_jobs for r in records),
        "jobs_in_north_parks_end": records[-1].jobs_in_north_parks if records else 0.0,
    }
