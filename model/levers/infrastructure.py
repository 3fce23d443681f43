"""Hard environment: transport and telecom investment in northern places.

Spending is split evenly over the target places; it raises a place's
infrastructure score after `lag_years`, with diminishing returns
(max_gain · (1 − exp(−invested / saturation_yuan))).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import numpy as np
from pydantic import Field

from model.levers.base import PULL, Lever, saturating
from model.schema import Fraction, ParkIds, Timed, Yuan, ids, quantity

if TYPE_CHECKING:
    from model.state import WorldState


class InfrastructureConfig(Timed):
    places: ParkIds = ids(None, label="Target parks", description="north park ids; None = every north park")
    annual_budget_yuan: Yuan = quantity(
        0.0, unit="yuan per year", label="Annual budget", description="spent in full each active year"
    )
    max_gain: Fraction = quantity(0.2, unit="score points (0-1)", label="Largest infrastructure gain")
    saturation_yuan: Annotated[float, Field(gt=0, le=1e14)] = quantity(
        2e9, unit="yuan per place", label="Saturation investment", description="invested yuan giving 63% of max_gain"
    )
    lag_years: Annotated[int, Field(ge=0, le=20)] = quantity(
        2, unit="years", label="Lag", description="years before investment counts"
    )


class Infrastructure(Lever):
    key = "infrastructure"
    label = "Infrastructure"
    acts_on = frozenset({PULL})
    yearly_cap = "annual_budget_yuan"
    summary = "Transport and telecom investment raises northern parks' infrastructure scores, with lags."
    config_class = InfrastructureConfig
    config: InfrastructureConfig

    def __init__(self, *args: object) -> None:
        super().__init__(*args)  # type: ignore[arg-type]
        self.targets = self.place_targets("places")
        self.invested_by_year: dict[int, np.ndarray] = {}

    def apply(self, state: WorldState, year: int) -> float:
        c = self.config
        spend = c.annual_budget_yuan if c.active(year) and len(self.targets) else 0.0
        per_place = np.zeros(self.data.n_places)
        per_place[self.targets] = spend / max(len(self.targets), 1)
        self.invested_by_year[year] = per_place
        ready = sum(
            (v for y, v in self.invested_by_year.items() if y <= year - c.lag_years),
            start=np.zeros(self.data.n_places),
        )
        gain = c.max_gain * saturating(ready, c.saturation_yuan)
        state.infrastructure = np.minimum(1.0, state.infrastructure + gain)
        return spend
