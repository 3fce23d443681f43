"""Pairing assistance and co-built park upgrading.

Raises the strength of the pairing tie between a park and its southern partner
(the `pairing` choice term becomes 1 + strength_gain) and transfers management
know-how (business environment + environment_gain) while funded; upgrades made
persist after the lever ends.
"""

from __future__ import annotations

from model.config import PairingLever
from model.levers.base import Lever
from model.state import WorldState


class Pairing(Lever):
    key = "pairing"
    config: PairingLever

    def __init__(self, *args: object) -> None:
        super().__init__(*args)  # type: ignore[arg-type]
        self.parks = self.places(self.config.parks, "north_park")
        self.started = False

    def apply(self, state: WorldState, year: int) -> float:
        c = self.config
        active = c.active(year)
        self.started = self.started or active
        if self.started:
            state.pairing_strength[self.parks] += c.strength_gain
            state.environment[self.parks] = (state.environment[self.parks] + c.environment_gain).clip(0, 1)
        return c.annual_budget_yuan if active else 0.0
