"""The world as it stands in one year of one run.

Each year `begin_year` rebuilds every attribute from the data and the cost
trends; then each lever adds its own effect (levers keep their own stocks, such
as infrastructure built or talent attracted). Attributes are therefore always
"base(t) + Σ lever effects(t)", and levers never interfere with each other's
bookkeeping.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # at run time this module imports no schema: the lever modules import it
    from model.config import CostGrowth, Outside, Scenario
    from model.world import WorldData


@dataclass
class Offer:
    """A per-job payment a lever offers this year, paid while its budget lasts.

    An offer enters the utility of the destinations it pays for (the `subsidy`
    choice term) and nothing else: money offered only at some destinations
    reaches the move decision through the inclusive value (DESIGN §3).
    """

    lever: str
    yuan_per_job: np.ndarray  # (P_from, K, P_to)
    remaining_yuan: float
    worker_retention: float = 0.0


@dataclass
class WorldState:
    data: WorldData
    scenario: Scenario
    year: int = 0
    wage: np.ndarray = field(init=False)
    land: np.ndarray = field(init=False)
    power: np.ndarray = field(init=False)
    infrastructure: np.ndarray = field(init=False)
    environment: np.ndarray = field(init=False)
    talent_k: np.ndarray = field(init=False)
    focus: np.ndarray = field(init=False)
    pairing_strength: np.ndarray = field(init=False)  # (P,) multiplier on the pairing dummy
    supplier_support: np.ndarray = field(init=False)  # (P,) share of supply-chain penalty removed
    guidance_push: np.ndarray = field(init=False)  # (P_from, K) z for the push term
    guidance_pull: np.ndarray = field(init=False)  # (P_from, K, P_to) x for the choice term
    outside_subsidy: np.ndarray = field(init=False)  # (P,) yuan per job, not Jiangsu's money
    offers: list[Offer] = field(default_factory=list)

    def __post_init__(self) -> None:
        d = self.data
        self._growth = _growth_table(d, self.scenario)
        self.pairing_base = (d.partner >= 0).astype(float)
        # The (P, K, P) pull is large and mostly zero: one array per run, zeroed again only after a
        # lever added to it (`guidance_pull_to_add`), not allocated every year.
        self._pull = np.zeros((d.n_places, d.n_industries, d.n_places))
        self._pull_added = False

    def begin_year(self, year: int) -> None:
        """Reset attributes to base(t): data values with cost trends applied."""
        d, t = self.data, year - self.scenario.years.start
        self.year = year
        num = d.place_num
        self.wage = num["wage_index"] * (1 + self._growth[0]) ** t
        self.land = num["land_price_index"] * (1 + self._growth[1]) ** t
        self.power = num["power_price_index"] * (1 + self._growth[2]) ** t
        self.infrastructure = num["infrastructure"].copy()
        self.environment = num["environment"].copy()
        self.talent_k = num["talent_pool_k"].copy()
        self.focus = d.focus.copy()
        self.pairing_strength = self.pairing_base.copy()
        self.supplier_support = np.zeros(d.n_places)
        self.guidance_push = np.zeros((d.n_places, d.n_industries))
        if self._pull_added:
            self._pull.fill(0.0)
            self._pull_added = False
        self.guidance_pull = self._pull
        out = self.scenario.world.outside
        level = out.subsidy_yuan_per_job * (1 + out.subsidy_growth_per_year) ** t
        if out.rise is not None and year >= out.rise.start_year:
            level = out.rise.yuan_per_job * (1 + out.rise.growth_per_year) ** (year - out.rise.start_year)
        self.outside_subsidy = np.where(d.kinds == "outside_city", level, 0.0)
        self.offers = []

    def guidance_pull_to_add(self) -> np.ndarray:
        """`guidance_pull`, for a lever to add its effect to (in place) this year."""
        self._pull_added = True
        return self.guidance_pull

    def offered_yuan_per_job(self, cells: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
        """(P_from, K, P_to): all per-job offers whose budget is not yet spent.

        With `cells` = (places, industries) of n cells, only those rows, as (n, 1, P_to):
        the same sums element by element, without building the whole cube (model.rows).
        """
        n_p, n_k = self.data.n_places, self.data.n_industries
        shape = (n_p, n_k, n_p) if cells is None else (len(cells[0]), 1, n_p)
        total = np.broadcast_to(self.outside_subsidy, shape).copy()
        for offer in self.offers:
            if offer.remaining_yuan > 0:
                grid = offer.yuan_per_job if cells is None else offer.yuan_per_job[cells][:, None, :]
                total = total + grid
        return total


def _growth_table(d: WorldData, scenario: Scenario) -> np.ndarray:
    """(3, P) yearly growth of wage, land and power prices by the place's region."""
    w = scenario.world
    # Central and northern Jiangsu places follow the northern trends.
    groups: dict[str, CostGrowth | Outside] = {
        "origin": w.south,
        "north_park": w.north,
        "jiangsu_city": w.north,
        "outside_city": w.outside,
    }
    table = np.zeros((3, d.n_places))
    for p, kind in enumerate(d.kinds):
        g = groups[kind]
        table[:, p] = (g.wage_per_year, g.land_per_year, g.power_per_year)
    return table
