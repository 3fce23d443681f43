"""Talent attraction and return: housing, wage top-ups, family, schooling.

The budget, split evenly over the target places, buys `1 / yuan_per_talent`
skilled workers per yuan each active year; a share `retention_per_year` of the
attracted stock stays each year (brain drain takes the rest).
"""

from __future__ import annotations

import numpy as np

from model.config import TalentLever
from model.levers.base import Lever
from model.state import WorldState


class Talent(Lever):
    key = "talent"
    config: TalentLever

    def __init__(self, *args: object) -> None:
        super().__init__(*args)  # type: ignore[arg-type]
        self.targets = self.places(self.config.places, "north_park")
        self.stock_k = np.zeros(self.data.n_places)

    def apply(self, state: WorldState, year: int) -> float:
        c = self.config
        self.stock_k *= c.retention_per_year
        spend = c.annual_budget_yuan if c.active(year) and len(self.targets) else 0.0
        if spend:
            self.stock_k[self.targets] += spend / len(self.targets) / c.yuan_per_talent / 1000.0
        state.talent_k = state.talent_k + self.stock_k
        return spend
