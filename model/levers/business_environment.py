"""Soft environment: market institutions and resource allocation.

Each active year adds `gain_per_year` to the targets' business-environment
score, up to `max_gain` in all; gains already made persist after the lever ends.
"""

from __future__ import annotations

from model.config import BusinessEnvironmentLever
from model.levers.base import Lever
from model.state import WorldState


class BusinessEnvironment(Lever):
    key = "business_environment"
    config: BusinessEnvironmentLever

    def __init__(self, *args: object) -> None:
        super().__init__(*args)  # type: ignore[arg-type]
        self.targets = self.places(self.config.places, "north_park")
        self.gained = 0.0

    def apply(self, state: WorldState, year: int) -> float:
        c = self.config
        if not c.active(year):
            spend = 0.0
        else:
            self.gained = min(c.max_gain, self.gained + c.gain_per_year)
            spend = c.annual_budget_yuan
        state.environment[self.targets] = state.environment[self.targets] + self.gained
        state.environment[:] = state.environment.clip(0.0, 1.0)
        return spend
