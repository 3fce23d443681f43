"""Classified guidance: industries encouraged to move north, or told to stay.

Encouraged industries at the targeted origins get +1 in the push term and +1
in the choice's `guidance` term for northern parks; restricted ones get −1 in
the push term. Only administrative cost is spent.
"""

from __future__ import annotations

from model.config import IndustryGuidanceLever
from model.levers.base import Lever
from model.state import WorldState


class IndustryGuidance(Lever):
    key = "industry_guidance"
    config: IndustryGuidanceLever

    def __init__(self, *args: object) -> None:
        super().__init__(*args)  # type: ignore[arg-type]
        self.origins = self.places(self.config.origins, "origin")
        self.encouraged = self.industries(self.config.encouraged)
        self.restricted = self.industries(self.config.restricted)
        self.parks = self.data.of_kind("north_park")

    def apply(self, state: WorldState, year: int) -> float:
        c = self.config
        if not c.active(year):
            return 0.0
        for o in self.origins:
            state.guidance_push[o, self.encouraged] += 1.0
            state.guidance_push[o, self.restricted] -= 1.0
            for k in self.encouraged:
                state.guidance_pull[o, k, self.parks] += 1.0
        return c.annual_cost_yuan
