"""Industry-cluster parks: focus industries and supplier support per park.

While funded, the target parks count `industries` among their focus
industries (the choice's `focus` term) and remove a share `supplier_support`
of the supply-chain penalty that thin clusters impose on relocated firms.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from model.levers.base import PULL, Lever
from model.schema import Fraction, IndustryList, ParkIds, Timed, Yuan, ids, quantity

if TYPE_CHECKING:
    from model.state import WorldState


class ClusterParksConfig(Timed):
    parks: ParkIds = ids(None, label="Cluster parks", description="north park ids; None = every north park")
    industries: IndustryList = ids((), label="Cluster industries", description="industry ids added as focus")
    supplier_support: Fraction = quantity(
        0.5, unit="share of the penalty", label="Supplier support", description="thin-cluster penalty removed"
    )
    annual_budget_yuan: Yuan = quantity(0.0, unit="yuan per year", label="Annual budget")


class ClusterParks(Lever):
    key = "cluster_parks"
    label = "Industry-cluster parks"
    acts_on = frozenset({PULL})
    yearly_cap = "annual_budget_yuan"
    summary = "Adds focus industries to northern parks and supports suppliers, easing thin-cluster costs."
    config_class = ClusterParksConfig
    config: ClusterParksConfig

    def __init__(self, *args: object) -> None:
        super().__init__(*args)  # type: ignore[arg-type]
        self.parks = self.place_targets("parks")
        self.focus = self.industry_targets("industries") if self.config.industries else []

    def apply(self, state: WorldState, year: int) -> float:
        c = self.config
        if not c.active(year):
            return 0.0
        for k in self.focus:
            state.focus[self.parks, k] = True
        state.supplier_support[self.parks] = c.supplier_support
        return c.annual_budget_yuan
