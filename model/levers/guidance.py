"""Classified guidance: industries encouraged to move north, or told to stay.

Encouraged industries at the targeted origins get +1 in the push term and +1
in the choice's `guidance` term for northern parks; restricted ones get −1 in
the push term. It acts on both: on staying (the guidance is given to firms at
the southern origins) and on the northern parks' utility for the encouraged
industries. Only administrative cost is spent.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from model.levers.base import PULL, PUSH, Lever
from model.schema import IndustryList, OriginIds, Timed, Yuan, ids, quantity

if TYPE_CHECKING:
    from model.state import WorldState


class IndustryGuidanceConfig(Timed):
    encouraged: IndustryList = ids((), label="Encouraged industries", description="industry ids encouraged north")
    restricted: IndustryList = ids((), label="Restricted industries", description="industry ids asked to stay")
    origins: OriginIds = ids(None, label="Origins", description="origin ids; None = every origin")
    annual_cost_yuan: Yuan = quantity(0.0, unit="yuan per year", label="Annual administration cost")


class IndustryGuidance(Lever):
    key = "industry_guidance"
    label = "Industry guidance"
    acts_on = frozenset({PUSH, PULL})
    summary = "Encourages named industries at the origins to move north (push and pull) or asks others to stay."
    config_class = IndustryGuidanceConfig
    yearly_cap = "annual_cost_yuan"
    config: IndustryGuidanceConfig

    def __init__(self, *args: object) -> None:
        super().__init__(*args)  # type: ignore[arg-type]
        self.origins = self.place_targets("origins")
        self.encouraged = self.industry_targets("encouraged")
        self.restricted = self.industry_targets("restricted")
        self.parks = self.data.of_kind("north_park")

    def apply(self, state: WorldState, year: int) -> float:
        c = self.config
        if not c.active(year):
            return 0.0
        pull = state.guidance_pull_to_add()
        for o in self.origins:
            state.guidance_push[o, self.encouraged] += 1.0
            state.guidance_push[o, self.restricted] -= 1.0
            for k in self.encouraged:
                pull[o, k, self.parks] += 1.0
        return c.annual_cost_yuan
