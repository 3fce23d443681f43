"""What every lever shares: its config, resolved targets, and the yearly hook."""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from model.config import Scenario, Timed
from model.state import WorldState
from model.world import WorldData


class Lever:
    """A policy lever. Subclasses set `key` and implement `apply`.

    `apply` is called every year after the state is reset to base(t); it adds
    the lever's effect and returns the fixed spending of the year in yuan.
    Per-job payments are registered as `Offer`s and paid at settlement.
    """

    key: ClassVar[str]

    def __init__(self, config: Timed, data: WorldData, scenario: Scenario) -> None:
        self.config = config
        self.data = data
        self.scenario = scenario

    def apply(self, state: WorldState, year: int) -> float:
        raise NotImplementedError

    def places(self, ids: tuple[str, ...] | None, default_kind: str) -> np.ndarray:
        """Indices of the named places, or of every place of `default_kind`."""
        if ids is None:
            return self.data.of_kind(default_kind)
        return np.array([self.data.place_index(p) for p in ids], dtype=int)

    def industries(self, ids: tuple[str, ...] | None) -> np.ndarray:
        if ids is None:
            return np.arange(self.data.n_industries)
        return np.array([self.data.industry_ids.index(k) for k in ids], dtype=int)


def saturating(stock: float | np.ndarray, saturation: float) -> float | np.ndarray:
    """Diminishing returns: share of the maximum gain reached by a stock."""
    return 1.0 - np.exp(-np.asarray(stock) / saturation)
