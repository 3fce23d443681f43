"""Industry-cluster parks: focus industries and supplier support per park.

While funded, the target parks count `industries` among their focus
industries (the choice's `focus` term) and remove a share `supplier_support`
of the supply-chain penalty that thin clusters impose on relocated firms.
"""

from __future__ import annotations

from model.config import ClusterParksLever
from model.levers.base import Lever
from model.state import WorldState


class ClusterParks(Lever):
    key = "cluster_parks"
    config: ClusterParksLever

    def __init__(self, *args: object) -> None:
        super().__init__(*args)  # type: ignore[arg-type]
        self.parks = self.places(self.config.parks, "north_park")
        self.focus = self.industries(self.config.industries) if self.config.industries else []

    def apply(self, state: WorldState, year: int) -> float:
        c = self.config
        if not c.active(year):
            return 0.0
        for k in self.focus:
            state.focus[self.parks, k] = True
        state.supplier_support[self.parks] = c.supplier_support
        return c.annual_budget_yuan
