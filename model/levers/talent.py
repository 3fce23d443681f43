"""Talent attraction and return: housing, wage top-ups, family, schooling.

The budget, split evenly over the target places, buys `1 / yuan_per_talent`
skilled workers per yuan each active year; a share `retention_per_year` of the
attracted stock stays each year (brain drain takes the rest).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import numpy as np
from pydantic import Field

from model.levers.base import PULL, Lever
from model.schema import Fraction, ParkIds, Timed, Yuan, ids, quantity

if TYPE_CHECKING:
    from model.state import WorldState


class TalentConfig(Timed):
    places: ParkIds = ids(None, label="Target parks", description="north park ids; None = every north park")
    annual_budget_yuan: Yuan = quantity(
        0.0, unit="yuan per year", label="Annual budget", description="split evenly over the target parks"
    )
    yuan_per_talent: Annotated[float, Field(gt=0, le=1e9)] = quantity(
        150_000.0, unit="yuan per skilled worker", label="Cost per skilled worker attracted"
    )
    retention_per_year: Fraction = quantity(
        0.85, unit="share per year", label="Talent retention", description="share of attracted talent still there"
    )


class Talent(Lever):
    key = "talent"
    label = "Talent attraction"
    acts_on = frozenset({PULL})
    yearly_cap = "annual_budget_yuan"
    summary = "Housing, wage top-ups, family relocation and schooling grow northern parks' talent pools."
    config_class = TalentConfig
    config: TalentConfig

    def __init__(self, *args: object) -> None:
        super().__init__(*args)  # type: ignore[arg-type]
        self.targets = self.place_targets("places")
        self.stock_k = np.zeros(self.data.n_places)

    def apply(self, state: WorldState, year: int) -> float:
        c = self.config
        self.stock_k *= c.retention_per_year
        spend = c.annual_budget_yuan if c.active(year) and len(self.targets) else 0.0
        if spend:
            self.stock_k[self.targets] += spend / len(self.targets) / c.yuan_per_talent / 1000.0
        state.talent_k = state.talent_k + self.stock_k
        return spend
