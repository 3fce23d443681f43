"""Hard environment: transport and telecom investment in northern places.

Spending is split evenly over the target places; it raises a place's
infrastructure score after `lag_years`, with diminishing returns
(max_gain · (1 − exp(−invested / saturation_yuan))).
"""

from __future__ import annotations

import numpy as np

from model.config import InfrastructureLever
from model.levers.base import Lever, saturating
from model.state import WorldState


class Infrastructure(Lever):
    key = "infrastructure"
    config: InfrastructureLever

    def __init__(self, *args: object) -> None:
        super().__init__(*args)  # type: ignore[arg-type]
        self.targets = self.places(self.config.places, "north_park")
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
