"""Soft environment: market institutions and resource allocation.

Each active year adds `gain_per_year` to the targets' business-environment
score, up to `max_gain` in all; gains already made persist after the lever ends.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from model.levers.base import PULL, Lever
from model.schema import Fraction, ParkIds, Timed, Yuan, ids, quantity

if TYPE_CHECKING:
    from model.state import WorldState


class BusinessEnvironmentConfig(Timed):
    places: ParkIds = ids(None, label="Target parks", description="north park ids; None = every north park")
    annual_budget_yuan: Yuan = quantity(0.0, unit="yuan per year", label="Annual budget")
    gain_per_year: Fraction = quantity(0.02, unit="score points (0-1) per year", label="Gain per active year")
    max_gain: Fraction = quantity(0.2, unit="score points (0-1)", label="Largest total gain")


class BusinessEnvironment(Lever):
    key = "business_environment"
    label = "Business environment"
    acts_on = frozenset({PULL})
    yearly_cap = "annual_budget_yuan"
    summary = "Market institutions and resource allocation raise northern parks' business-environment scores."
    config_class = BusinessEnvironmentConfig
    config: BusinessEnvironmentConfig

    def __init__(self, *args: object) -> None:
        super().__init__(*args)  # type: ignore[arg-type]
        self.targets = self.place_targets("places")
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
