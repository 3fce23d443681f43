"""Firms: Mesa agents whose state lives in shared arrays.

A firm's state is a row of `FirmArrays`, so the model decides a whole year in
numpy batches. Users still see Mesa agents: `model.agents` materialises a
`Firm` (a real `mesa.Agent`, registered with the model) for every active firm
when it is asked for, and keeps them in step afterwards; nothing per firm is
built or removed one Python object at a time on the model's own path.

Births: the firms born in later years are drawn with the initial ones, in the
same fixed order, and wait inactive until their birth year, so the same seed
gives the same firms and the same draws whatever the policies.
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
    active: np.ndarray  # bool: born and not closed
    moves: np.ndarray  # int, relocations so far
    birth_year: np.ndarray  # int; the initial firms' is the first simulated year

    def __len__(self) -> int:
        return len(self.industry)


def births_per_year(config: Firms) -> int:
    """Simulated firms born in each year after the first (`firms.entry.rate_per_year` × `firms.count`)."""
    return round(config.entry.rate_per_year * config.count)


def draw_firms(config: Firms, data: WorldData, rng: np.random.Generator, first_year: int, years: int) -> FirmArrays:
    """The initial firms and every later entrant: origin (∝ GDP), industry (∝ share_of_firms),
    lognormal jobs around the industry mean, exponential age, normal log productivity.

    Entrants (`births_per_year` in each year after the first) are smaller
    (`entry.relative_size`), aged 0, and inactive until their birth year. Drawn
    in a fixed order from the run's generator, so the same seed gives the
    same firms whatever the scenario's policies.
    """
    initial, born = config.count, births_per_year(config)
    n = initial + born * max(0, years - 1)
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
    birth_year = np.full(n, first_year, dtype=np.int16)
    if n > initial:
        birth_year[initial:] = first_year + 1 + np.arange(n - initial) // born
        jobs[initial:] = np.maximum(1.0, np.round(jobs[initial:] * config.entry.relative_size))
        age[initial:] = 0.0
    # Small dtypes: a million firms (and their entrants) stay within a few tens of MB.
    return FirmArrays(
        industry=industry.astype(np.int16),
        home=home.astype(np.int16),
        place=home.astype(np.int16),
        jobs=jobs,
        age_years=age.astype(np.float32),
        log_productivity=productivity.astype(np.float32),
        move_shock=np.zeros(n, dtype=np.float32),
        active=np.arange(n) < initial,
        moves=np.zeros(n, dtype=np.int16),
        birth_year=birth_year,
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


class AgentView:
    """The Mesa agents of the active firms, built when `model.agents` is asked for and kept in step.

    Creating a `Firm` registers it with the model (Mesa's own bookkeeping);
    the model never does so on its own path, so a run that nobody inspects
    creates no per-firm object at all. Each sync adds agents for firms born
    since, and removes the agents of firms that closed.
    """

    def __init__(self) -> None:
        self.by_index: dict[int, Firm] = {}
        self.synced_at: int | None = None

    def sync(self, model: RelocationModel) -> None:
        stamp = model.year  # firms are born, move and close only in `step`
        if stamp == self.synced_at:
            return
        active = set(np.flatnonzero(model.firms.active).tolist())
        for i in [i for i in self.by_index if i not in active]:
            self.by_index.pop(i).remove()
        for i in sorted(active.difference(self.by_index)):
            self.by_index[i] = Firm(model, i)
        self.synced_at = stamp
