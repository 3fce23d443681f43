"""Per-job payments to firms that relocate north: the southern push levers.

`relocation_aid` funds relocated jobs; `labour_resettlement` helps move and
re-employ workers, which also keeps part of the workforce's skills (a smaller
productivity loss at settlement). Both are paid first come, first served, in
the random batch order of the year, while the year's budget lasts.
"""

from __future__ import annotations

import numpy as np

from model.config import LabourResettlementLever, PerJobAid
from model.levers.base import Lever
from model.state import Offer, WorldState


class _PerJob(Lever):
    config: PerJobAid

    def __init__(self, *args: object) -> None:
        super().__init__(*args)  # type: ignore[arg-type]
        c = self.config
        grid = np.zeros((self.data.n_places, self.data.n_industries, self.data.n_places))
        o = self.places(c.origins, "origin")
        k = self.industries(c.industries)
        d = self.places(c.destinations, "north_park")
        grid[np.ix_(o, k, d)] = c.yuan_per_job
        self.grid = grid

    def retention(self) -> float:
        return 0.0

    def apply(self, state: WorldState, year: int) -> float:
        c = self.config
        if c.active(year) and c.yuan_per_job > 0 and c.annual_budget_yuan > 0:
            state.offers.append(Offer(self.key, self.grid, c.annual_budget_yuan, self.retention()))
        return 0.0  # spending happens at settlement


class RelocationAid(_PerJob):
    key = "relocation_aid"


class LabourResettlement(_PerJob):
    key = "labour_resettlement"
    config: LabourResettlementLever

    def retention(self) -> float:
        return self.config.worker_retention
