"""RelocationModel: the yearly schedule, nothing else.

A year: (1) levers and cost trends update the world; (2) every active firm
draws whether it moves (push); (3) movers choose a destination by conditional
logit, in `batches_per_year` random batches with jobs, congestion and budgets
updated between batches; (4) movers settle (subsidies paid while budgets last,
productivity shocks from talent, skills and thin clusters) and other firms may
close; (5) the year is recorded (a YearRecord, and a DataCollector row).

Tools that build Mesa models from keyword parameters (`mesa.batch_run`) can
construct it with scenario overrides as keywords (`firms__count=2000`); the
DataCollector's reporters (model.keywords.REPORTERS) come from the metric catalogue.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import mesa
import numpy as np

from model.choice import (
    Context,
    Movers,
    Tables,
    choice_probabilities,
    effective_prices,
    push_probability,
    sample_choice,
    utilities,
    utility_tables,
)
from model.config import Scenario, Settlement
from model.firms import Firm, draw_firms
from model.keywords import REPORTERS, SeedLike, resolve_seed, scenario_with
from model.levers import build_levers
from model.metrics import Results, YearRecord
from model.state import Offer, WorldState
from model.world import WorldData, world_for

logger = logging.getLogger(__name__)

DRAWS_PER_FIRM_YEAR = 4  # push, choice, batch order, closure
MOVE_COST_UNIT_YUAN = 100_000.0


class RelocationModel(mesa.Model):
    """Firms in southern origins deciding each year whether and where to move.

    `RelocationModel(scenario, seed, data)` is how `simulate` and the experiments
    build it. The keyword form exists for tools that construct Mesa models from
    keyword parameters, such as `mesa.batch_run`:
    `RelocationModel(seed=1, firms__count=2000, policies__talent__annual_budget_yuan=3e9)`.

    Args:
        scenario: the validated scenario; None builds one from `scenario_file`,
            or from the schema defaults (named "defaults") if no file is given.
        seed: the seed of this run's one random generator: an integer ≥ 0, a
            `numpy.random.SeedSequence` (or a sequence of integers, its entropy)
            turned into the integer `generate_state(1, uint64)[0]` as
            `model.seeds.replication_seeds` does, or None to draw one
            from OS entropy. The seed used is `self.seed` and a reporter.
        data: the world tables (loaded from the scenario's data files if None).
        rng: the same as `seed` (Mesa's newer name); give one of the two.
        scenario_file: a scenario YAML file to read when `scenario` is None.
        **params: scenario overrides by dotted key path with `__` for `.`, e.g.
            `firms__count=2000`, `behaviour__choice__talent=1.2`; validated like
            a scenario file (unknown keys and out-of-range values are InputError).
    """

    def __init__(
        self,
        scenario: Scenario | None = None,
        seed: SeedLike | None = None,
        data: WorldData | None = None,
        *,
        rng: SeedLike | None = None,
        scenario_file: str | Path | None = None,
        **params: Any,
    ) -> None:
        scenario = scenario_with(scenario, scenario_file, params)
        seed = resolve_seed(seed, rng)
        super().__init__(rng=seed)
        self.config = scenario
        self.seed = seed
        self.data = data if data is not None else world_for(scenario)
        self.weight = scenario.firms.represented / scenario.firms.count
        self.state = WorldState(self.data, scenario)
        self.levers = build_levers(scenario, self.data)
        self.destinations = np.flatnonzero(np.isin(self.data.kinds, scenario.world.destination_kinds))
        self.is_north = self.data.kinds == "north_park"
        self.is_outside = self.data.kinds == "outside_city"
        # A firm can only move if some allowed destination is not where it already is.
        n_dest = len(self.destinations)
        self._has_alternative = n_dest - np.isin(np.arange(self.data.n_places), self.destinations) > 0
        self.firms = draw_firms(scenario.firms, self.data, self.rng)
        self.jobs_pk = self.data.base_jobs.copy()
        self._add_jobs(np.flatnonzero(self.firms.active), +1.0)
        self.jobs_total_start = self.jobs_pk.sum(axis=1)
        self.year = scenario.years.start - 1
        self.records: list[YearRecord] = []
        self._year_tables: Tables = {}
        # A plain loop: Agent.create_agents builds an AgentSet we would throw away.
        self.firm_agents = [Firm(self, i) for i in range(len(self.firms))]
        # One row per year, collected at the end of `step`; `mesa.batch_run` reads it.
        self.datacollector = mesa.DataCollector(model_reporters=dict(REPORTERS))

    # --- set-up -----------------------------------------------------------

    def _add_jobs(self, firms: np.ndarray, sign: float, place: np.ndarray | None = None) -> None:
        f = self.firms
        where = f.place[firms] if place is None else place
        np.add.at(self.jobs_pk, (where, f.industry[firms]), sign * self.weight * f.jobs[firms])

    # --- one year ----------------------------------------------------------

    def step(self) -> None:
        """Advance one year."""
        self.year += 1
        st, f, beh = self.state, self.firms, self.config.behaviour
        st.begin_year(self.year)
        spend = {lever.key: lever.apply(st, self.year) for lever in self.levers}
        # Every firm draws every year, moving or not: common random numbers.
        u = self.rng.random((DRAWS_PER_FIRM_YEAR, len(f)))
        alive = np.flatnonzero(f.active)
        start_jobs = self.weight * f.jobs[alive].sum()

        ctx = self._context()
        self._year_tables = utility_tables(beh.choice, ctx, within_year=False)
        p_move = push_probability(beh.push, ctx, self._movers(alive), f.age_years[alive])
        movers = alive[(u[0, alive] < p_move) & self._has_alternative[f.place[alive]]]
        order = movers[np.argsort(u[2, movers], kind="stable")]
        n_p, n_k = self.data.n_places, self.data.n_industries
        flow_firms = np.zeros((n_p, n_p, n_k))
        flow_jobs = np.zeros((n_p, n_p, n_k))
        for batch in np.array_split(order, beh.batches_per_year):
            if len(batch):
                self._move_batch(batch, u[1, batch], spend, flow_firms, flow_jobs)

        moved = np.zeros(len(f), dtype=bool)
        moved[movers] = True
        closed = self._close(alive[~moved[alive]], u[3])
        f.move_shock *= 1.0 - self.config.world.settlement.recovery_per_year
        f.age_years[f.active] += 1
        stayed_jobs = self.weight * f.jobs[f.active & ~moved].sum()
        self.records.append(self._record(start_jobs, stayed_jobs, movers, closed, spend, flow_firms, flow_jobs, p_move))
        self.running = self.year < self.config.years.end
        self.datacollector.collect(self)

    def _context(self) -> Context:
        wage, land = effective_prices(self.state, self.jobs_pk.sum(axis=1), self.jobs_total_start)
        return Context(self.state, self.destinations, self.jobs_pk, wage, land, self.state.offered_yuan_per_job())

    def _movers(self, firms: np.ndarray) -> Movers:
        f = self.firms
        return Movers(f.industry[firms], f.place[firms], f.home[firms], f.jobs[firms])

    def _move_batch(
        self,
        batch: np.ndarray,
        u_choice: np.ndarray,
        spend: dict[str, float],
        flow_firms: np.ndarray,
        flow_jobs: np.ndarray,
    ) -> None:
        """Choose destinations for one batch, pay subsidies, move jobs."""
        f, st = self.firms, self.state
        ctx = self._context()
        m = self._movers(batch)
        prob = choice_probabilities(utilities(self.config.behaviour.choice, ctx, m, self._year_tables))
        dest = self.destinations[sample_choice(prob, u_choice)]
        jobs_real = self.weight * m.jobs

        received, retention = pay_offers(st.offers, m, dest, jobs_real, spend)
        f.move_shock[batch] += move_shock(st, self.jobs_pk, m, dest, received, retention)

        self._add_jobs(batch, -1.0)
        self._add_jobs(batch, +1.0, place=dest)
        np.add.at(flow_firms, (m.place, dest, m.industry), self.weight)
        np.add.at(flow_jobs, (m.place, dest, m.industry), jobs_real)
        f.place[batch] = dest
        f.moves[batch] += 1

    def _close(self, candidates: np.ndarray, u_close: np.ndarray) -> np.ndarray:
        """Firms that close this year; low productivity raises the hazard."""
        s = self.config.world.settlement
        f = self.firms
        hazard = closure_hazard(s, f.log_productivity[candidates] + f.move_shock[candidates])
        closed = candidates[u_close[candidates] < hazard]
        self._add_jobs(closed, -1.0)
        f.active[closed] = False
        for i in closed:
            self.firm_agents[i].remove()
        return closed

    def _record(
        self,
        start_jobs: float,
        stayed_jobs: float,
        movers: np.ndarray,
        closed: np.ndarray,
        spend: dict[str, float],
        flow_firms: np.ndarray,
        flow_jobs: np.ndarray,
        p_move: np.ndarray,
    ) -> YearRecord:
        f, w = self.firms, self.weight
        moved_jobs = w * f.jobs[movers].sum()
        to_dest = flow_jobs.sum(axis=(0, 2))
        north_stock = w * f.jobs[f.active & self.is_north[f.place]].sum()
        return YearRecord(
            year=self.year,
            firms_active=w * int(f.active.sum()),
            relocations=w * len(movers),
            relocated_jobs=moved_jobs,
            to_north_jobs=float(to_dest[self.is_north].sum()),
            to_outside_jobs=float(to_dest[self.is_outside].sum()),
            closures=w * len(closed),
            closed_jobs=w * f.jobs[closed].sum(),
            start_jobs=start_jobs,
            stayed_jobs=stayed_jobs,
            jobs_in_north_parks=north_stock,
            mean_move_probability=float(p_move.mean()) if len(p_move) else 0.0,
            fiscal_by_lever={lever.key: spend.get(lever.key, 0.0) for lever in self.levers},
            flow_firms=flow_firms,
            flow_jobs=flow_jobs,
        )

    def run(self) -> Results:
        """Run every year of the scenario and return the recorded results."""
        while self.year < self.config.years.end:
            self.step()
        return Results.from_records(self.records, self.data, self.seed)


# --- settlement rules, shared with the per-agent benchmark (one firm = arrays of length 1) ---


def pay_offers(
    offers: list[Offer], movers: Movers, dest: np.ndarray, jobs_real: np.ndarray, spend: dict[str, float]
) -> tuple[np.ndarray, np.ndarray]:
    """Pay every offer's claims in mover order while its budget lasts; spending goes to `spend`.

    Returns the yuan per job each mover received and the worker retention of
    the offers that paid it (the largest).
    """
    received = np.zeros(len(dest))
    retention = np.zeros(len(dest))
    for offer in offers:
        per_job = offer.yuan_per_job[movers.place, movers.industry, dest]
        claims = per_job * jobs_real
        paid = _pay_first_come(claims, offer.remaining_yuan)
        # A claim cut short means the fund is spent for the year (no rounding residue lingers).
        offer.remaining_yuan = 0.0 if np.any(paid < claims) else offer.remaining_yuan - float(paid.sum())
        spend[offer.lever] = spend.get(offer.lever, 0.0) + float(paid.sum())
        received += paid / jobs_real
        retention = np.maximum(retention, np.where(paid > 0, offer.worker_retention, 0.0))
    return received, retention


def move_shock(
    st: WorldState,
    jobs_pk: np.ndarray,
    movers: Movers,
    dest: np.ndarray,
    received: np.ndarray,
    retention: np.ndarray,
) -> np.ndarray:
    """Log-productivity change of a move: talent gained, skills lost, thin clusters, unpaid move cost."""
    s = st.scenario.world.settlement
    num = st.data.industry_num
    skill = num["skill_intensity"][movers.industry]
    talent_gain = np.log1p(st.talent_k[dest]) - np.log1p(st.talent_k[movers.place])
    thin = np.maximum(0.0, 1.0 - jobs_pk[dest, movers.industry] / s.cluster_threshold_jobs)
    supply_penalty = num["supply_chain_intensity"][movers.industry] * thin * (1.0 - st.supplier_support[dest])
    net_cost = np.maximum(0.0, num["move_cost_yuan_per_job"][movers.industry] - received)
    return (
        s.talent_effect * skill * talent_gain
        - s.skill_loss * skill * (1.0 - retention)
        - s.supply_chain_penalty * supply_penalty
        - s.move_cost_burden * net_cost / MOVE_COST_UNIT_YUAN
    )


def closure_hazard(s: Settlement, phi: np.ndarray) -> np.ndarray:
    """Yearly closure probability at log productivity phi (own level + move shock)."""
    return np.clip(s.closure_rate_per_year * np.exp(-s.closure_productivity * phi), 0.0, 1.0)


def _pay_first_come(claims_yuan: np.ndarray, budget_yuan: float) -> np.ndarray:
    """Pay claims in order while the budget lasts: the first claim that does not fit
    gets what is left, and every later claim gets nothing (the fund is spent)."""
    before = np.cumsum(claims_yuan) - claims_yuan
    return np.clip(budget_yuan - before, 0.0, claims_yuan)


def simulate(scenario: Scenario, seed: int, data: WorldData | None = None) -> Results:
    """Run one replication: the single entry point for CLI, experiments and tools."""
    return RelocationModel(scenario, seed, data).run()
