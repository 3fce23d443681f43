"""Pairing assistance and co-built park upgrading.

Raises the strength of the pairing tie between a park and its southern partner
(the `pairing` choice term becomes 1 + strength_gain) and transfers management
know-how (business environment + environment_gain) while funded; upgrades made
persist after the lever ends.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from pydantic import Field

from model.levers.base import PULL, Lever
from model.schema import Fraction, ParkIds, Timed, Yuan, ids, quantity

if TYPE_CHECKING:
    from model.state import WorldState


class PairingConfig(Timed):
    parks: ParkIds = ids(None, label="Co-built parks", description="north park ids; None = every north park")
    annual_budget_yuan: Yuan = quantity(0.0, unit="yuan per year", label="Annual budget")
    strength_gain: Annotated[float, Field(ge=0, le=10)] = quantity(
        0.5, unit="pairing strength", label="Pairing-tie gain", description="added to the pairing term; persists"
    )
    environment_gain: Fraction = quantity(
        0.05, unit="score points (0-1)", label="Business-environment gain", description="management know-how"
    )


class Pairing(Lever):
    key = "pairing"
    label = "Pairing assistance"
    acts_on = frozenset({PULL})
    yearly_cap = "annual_budget_yuan"
    summary = "Strengthens each co-built park's tie to its southern partner and transfers management know-how."
    config_class = PairingConfig
    config: PairingConfig

    def __init__(self, *args: object) -> None:
        super().__init__(*args)  # type: ignore[arg-type]
        self.parks = self.place_targets("parks")
        self.started = False

    def apply(self, state: WorldState, year: int) -> float:
        c = self.config
        active = c.active(year)
        self.started = self.started or active
        if self.started:
            state.pairing_strength[self.parks] += c.strength_gain
            state.environment[self.parks] = (state.environment[self.parks] + c.environment_gain).clip(0, 1)
        return c.annual_budget_yuan if active else 0.0
