"""Per-job payments to firms that relocate north: relocation aid and labour resettlement.

`relocation_aid` funds relocated jobs; `labour_resettlement` helps move and
re-employ workers, which also keeps part of the workforce's skills (a smaller
productivity loss at settlement). Both are paid first come, first served, in
the random batch order of the year, while the year's budget lasts, and only
for moves from the named origins to the named northern parks.

Where they act (DESIGN §3): the money is offered only for moves to the
northern parks, so it enters those parks' utilities (the `subsidy` choice
term: "pull") and nothing else. It reaches the move decision only through the
inclusive value of the destinations: a firm whose best options improve is
more likely to move at all, and the extra movers are drawn from staying and
from the other nests, never added to them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from model.levers.base import PULL, Lever
from model.schema import Fraction, IndustryIds, OriginIds, ParkIds, Timed, Yuan, ids, quantity

if TYPE_CHECKING:
    from model.state import WorldState


class PerJobAidConfig(Timed):
    origins: OriginIds = ids(None, label="Eligible origins", description="origin ids; None = every origin")
    destinations: ParkIds = ids(None, label="Qualifying parks", description="north park ids; None = every north park")
    industries: IndustryIds = ids(None, label="Eligible industries", description="industry ids; None = every industry")
    yuan_per_job: Yuan = quantity(0.0, unit="yuan per job", label="Payment per relocated job")
    annual_budget_yuan: Yuan = quantity(
        0.0, unit="yuan per year", label="Annual budget", description="paid first come, first served, until spent"
    )


class RelocationAidConfig(PerJobAidConfig):
    pass


class LabourResettlementConfig(PerJobAidConfig):
    worker_retention: Fraction = quantity(
        0.5, unit="share of the skill loss", label="Worker retention", description="share of the skill loss avoided"
    )


class _PerJob(Lever):
    """A yuan-per-job grid over (origin, industry, destination), offered each active year."""

    acts_on = frozenset({PULL})
    yearly_cap = "annual_budget_yuan"
    config: PerJobAidConfig

    def __init__(self, *args: object) -> None:
        super().__init__(*args)  # type: ignore[arg-type]
        c = self.config
        grid = np.zeros((self.data.n_places, self.data.n_industries, self.data.n_places))
        o = self.place_targets("origins")
        k = self.industry_targets("industries")
        d = self.place_targets("destinations")
        grid[np.ix_(o, k, d)] = c.yuan_per_job
        self.grid = grid

    def retention(self) -> float:
        return 0.0

    def apply(self, state: WorldState, year: int) -> float:
        c = self.config
        if c.active(year) and c.yuan_per_job > 0 and c.annual_budget_yuan > 0:
            state.offers.append(self.offer(self.grid, c.annual_budget_yuan, self.retention()))
        return 0.0  # spending happens at settlement


class RelocationAid(_PerJob):
    key = "relocation_aid"
    label = "Relocation aid"
    summary = "Aid per job relocated from a southern origin to a northern park, while the year's budget lasts."
    config_class = RelocationAidConfig
    config: RelocationAidConfig


class LabourResettlement(_PerJob):
    key = "labour_resettlement"
    label = "Labour resettlement"
    summary = "Pays per job for moving and re-employing workers; keeps part of the skills a move loses."
    config_class = LabourResettlementConfig
    config: LabourResettlementConfig

    def retention(self) -> float:
        return self.config.worker_retention
