"""Firms: Mesa agents whose state lives in shared arrays.

Each `Firm` is a real `mesa.Agent` registered with the model, but its
attributes are views into `FirmArrays`, so the model decides a whole year in
numpy batches while users can still iterate `model.agents` the Mesa way.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import mesa
import numpy as np

if TYPE_CHECKING:
    from model.model import RelocationModel


@dataclass
class FirmArrays:
    """Struct of arrays, one entry per simulated firm (index = firm order)."""

    industry: np.ndarray  # int
    home: np.ndarray  # int, origin the firm started in
    place: np.ndarray  # int, where it is now
    jobs: np.ndarray  # float, jobs of this one simulated firm
    age_years: np.ndarray  # float
    log_productivity: np.ndarray  # float, the firm's own level (drawn at start)
    move_shock: np.ndarray  # float, gain or loss from moving; fades each year
    active: np.ndarray  # bool, False once closed
    moves: np.ndarray  # int, relocations so far

    def __len__(self) -> int:
        return len(self.industry)


class Firm(mesa.Agent):
    """One firm. Reads and writes go to the model's `FirmArrays` row `index`."""

    model: RelocationModel

    def __init__(self, model: RelocationModel, index: int) -> None:
        super().__init__(model)
        self.index = index

    @property
    def industry(self) -> str:
        return self.model.data.industry_ids[self.model.firms.industry[self.index]]

    @property
    def place(self) -> str:
        return self.model.data.place_ids[self.model.firms.place[self.index]]

    @property
    def home(self) -> str:
        return self.model.data.place_ids[self.model.firms.home[self.index]]

    @property
    def jobs(self) -> float:
        return float(self.model.firms.jobs[self.index])

    @property
    def age_years(self) -> float:
        return float(self.model.firms.age_years[self.index])

    @property
    def active(self) -> bool:
        return bool(self.model.firms.active[self.index])

    @property
    def moves(self) -> int:
        return int(self.model.firms.moves[self.index])
