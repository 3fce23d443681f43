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

from model.config import Firms
from model.world import WorldData

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


def draw_firms(config: Firms, data: WorldData, rng: np.random.Generator) -> FirmArrays:
    """The starting firms: origin (∝ GDP), industry (∝ share_of_firms), lognormal jobs
    around the industry mean, exponential age, normal log productivity.

    Drawn in a fixed order from the run's generator, so the same seed gives the
    same firms whatever the scenario's policies.
    """
    n = config.count
    origins = data.of_kind("origin")
    size = data.place_num["gdp2022_trn_cny"][origins]
    origin_share = size / size.sum() if size.sum() > 0 else np.full(len(origins), 1 / len(origins))
    share = data.industry_num["share_of_firms"] / data.industry_num["share_of_firms"].sum()
    u_origin, u_industry = rng.random(n), rng.random(n)
    home = origins[np.searchsorted(np.cumsum(origin_share), u_origin, side="right").clip(0, len(origins) - 1)]
    industry = np.searchsorted(np.cumsum(share), u_industry, side="right").clip(0, len(share) - 1)
    z = rng.standard_normal(n)
    mean_jobs = data.industry_num["mean_jobs_per_firm"][industry]
    jobs = np.maximum(1.0, np.round(mean_jobs * np.exp(config.size_sigma * z - config.size_sigma**2 / 2)))
    age = rng.exponential(config.age_mean_years, n).round()
    productivity = config.productivity_sigma * rng.standard_normal(n)
    return FirmArrays(
        industry=industry,
        home=home,
        place=home.copy(),
        jobs=jobs,
        age_years=age,
        log_productivity=productivity,
        move_shock=np.zeros(n),
        active=np.ones(n, dtype=bool),
        moves=np.zeros(n, dtype=np.int32),
    )


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
