"""The relocation model written the conventional per-agent Mesa way, as a speed reference.

`PerAgentModel` runs the yearly rules of `model.model.RelocationModel` (DESIGN
§2) with the same world, `WorldState`, levers and coefficients, but each `Firm`
is an ordinary `mesa.Agent` holding its own attributes, created when the firm
is born and removed when it closes, and its `step()` makes its own decision;
the model's step is `self.agents.shuffle_do("step")`.

One rule, two styles: no part of the decision is written here. The model posts
the term tables the vectorised model builds (`utility_tables`: terms fixed for
the year once, within-year ones at the start of each run of firms;
`group_eta_table` for the push's intercept and group terms), and each firm
reads its own cells:

- its utilities by `utilities_from_tables` for a one-firm `Movers`, its own
  inclusive value IV by `nest_values` and `inclusive_value`, from the tables
  posted at the start of the year (the vectorised push reads those too);
- η = group cell + push.inclusive_value · (IV − IV_ref) + `own_eta` of its size
  and age; IV_ref is the vectorised model's (`RelocationModel(...).iv_ref`,
  the same rule and the same starting firms); p = `logistic(η)`;
- a mover's P(j) by `nested_logit` on its row; it draws its nest from
  `nest_shares` with one uniform, then the place within that nest with a
  second (`sample_choice` both times), which is the same distribution as the
  vectorised model's one draw from P(j);
- it settles through `model.settlement.pay_offers` and `move_shock`, and a firm
  that did not move closes with `closure_hazard`.

Mirrored schedule: births first (the entrants `model.firms.draw_firms` drew for
this year become agents); the push reads the year-start tables for every firm;
`behaviour.batches_per_year`: the shuffled firms are cut into that many runs
of equal length and the tables are re-posted at the start of each run, so a
run's movers see the moves of earlier runs only; subsidies are paid first
come, first served in step order; a closing firm's jobs leave after every firm
has stepped. Draws differ (the firm's own uniforms from `model.rng`, no
common-random-number layout), so results agree in distribution, not draw for
draw; the firms drawn are the same. `python -m benchmarks.agreement` prints
the agreement over seeds (this module is the model; it runs nothing itself).
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass, field

import mesa
import numpy as np

from model import RelocationModel
from model.choice import (
    Context,
    Movers,
    Tables,
    effective_prices,
    group_eta_table,
    inclusive_value,
    logistic,
    nest_shares,
    nest_values,
    nested_logit,
    own_eta,
    sample_choice,
    utilities_from_tables,
    utility_tables,
)
from model.config import Scenario
from model.firms import draw_firms
from model.levers import build_levers
from model.metrics import AGE_BANDS_YEARS, SIZE_BANDS_JOBS, Results, YearRecord, sparse_flows
from model.nested import NestSpec
from model.settlement import closure_hazard, move_shock, pay_offers
from model.state import WorldState
from model.world import WorldData, world_for

_FIRM_COLUMNS = ("industry", "home", "jobs", "age_years", "log_productivity")


@dataclass
class Posted:
    """What the firms of one run read: the Context of that moment and the choice tables from it."""

    ctx: Context
    tables: list[Tables]  # [year-fixed terms, this run's within-year terms]


@dataclass
class YearTally:
    """What the firms report while they step through one year."""

    moves: list[tuple[int, int, int, float]] = field(default_factory=list)  # origin, destination, industry, jobs
    stepped: int = 0
    move_probability_sum: float = 0.0
    to_kind_jobs: dict[str, float] = field(default_factory=dict)


class Firm(mesa.Agent):
    """One firm with its own attributes; `step` is its whole yearly decision.

    `index` is its row in the pre-drawn firm table (the vectorised model's firm order).
    """

    model: PerAgentModel

    def __init__(
        self,
        model: PerAgentModel,
        index: int,
        industry: int,
        home: int,
        jobs: float,
        age_years: np.float32,
        log_productivity: float,
    ) -> None:
        super().__init__(model)
        self.index, self.industry, self.home, self.place = index, industry, home, home
        self.jobs, self.age_years, self.log_productivity = jobs, age_years, log_productivity
        self.move_shock = 0.0
        self.moves = 0
        self.moved_in = 0  # the year of its last move (0: never)
        self.steady_eta = float(own_eta(model.config.behaviour.push, self, steady=True))  # its size: never changes

    def step(self) -> None:
        """Push, then choose and settle if moving, else maybe close; then age."""
        m = self.model
        posted = m.posted_for_next_firm()
        p_move = self.push_probability()
        m.tally.stepped += 1
        m.tally.move_probability_sum += p_move
        closing = False
        if m.rng.random() < p_move and m.has_alternative[self.place]:
            self.settle(self.choose_destination(posted), posted)
        else:
            closing = m.rng.random() < self.closure_hazard()
        self.move_shock *= m.shock_kept_per_year
        if closing:
            m.closing.append(self)
        else:
            self.age_years += 1

    def as_movers(self) -> Movers:
        """This firm as a batch of one, for the shared choice and settlement functions."""
        return Movers(np.array([self.industry]), np.array([self.place]), np.array([self.home]), np.array([self.jobs]))

    def utilities(self, posted: Posted) -> np.ndarray:
        """(1, D) utilities of the model's destinations (−inf at the current place)."""
        return utilities_from_tables(posted.tables, posted.ctx.destinations, self.as_movers())

    def inclusive_value(self) -> float:
        """IV of this firm's destinations from the tables posted at the start of the year."""
        m = self.model
        return float(inclusive_value(nest_values(self.utilities(m.year_start), m.nests), m.nests)[0])

    def push_probability(self) -> float:
        """p = logistic(group cell + inclusive_value · (IV − IV_ref) + own size and age terms)."""
        m = self.model
        coef = m.config.behaviour.push
        eta = m.group_eta[self.place][self.industry]
        if coef.inclusive_value:
            eta = eta + coef.inclusive_value * (self.inclusive_value() - m.iv_ref)
        eta = eta + self.steady_eta + own_eta(coef, self, steady=False)
        return float(logistic(eta))

    def choice_probabilities(self, posted: Posted) -> np.ndarray:
        """(D,) nested-logit P(j) over the model's destinations (0 at the current place)."""
        return nested_logit(self.utilities(posted), self.model.nests)[0][0]

    def choose_destination(self, posted: Posted) -> int:
        """Draw the nest from its share, then the place within it, each with one uniform of the model's."""
        m = self.model
        prob = self.choice_probabilities(posted)[None, :]
        nest = int(sample_choice(nest_shares(prob, m.nests), np.array([m.rng.random()]))[0])
        cols = m.nests.columns[nest]
        column = cols[sample_choice(prob[:, cols], np.array([m.rng.random()]))[0]]
        return int(m.destinations[column])

    def settle(self, dest: int, posted: Posted) -> None:
        """Collect subsidies, take the productivity shock of the move, move the jobs."""
        m = self.model
        one, to = self.as_movers(), np.array([dest])
        jobs_real = m.weight * one.jobs
        received, retention = pay_offers(m.state.offers, one, to, jobs_real, m.spend)
        self.move_shock += float(
            move_shock(m.state, posted.ctx.jobs_by_place_industry, one, to, received, retention)[0]
        )
        m.record_move(self, dest, float(jobs_real[0]))
        self.place = dest
        self.moves += 1
        self.moved_in = m.year

    def closure_hazard(self) -> float:
        """`model.settlement.closure_hazard` at this firm's productivity plus move shock."""
        phi = np.array([self.log_productivity + self.move_shock])
        return float(closure_hazard(self.model.config.world.settlement, phi)[0])


class PerAgentModel(mesa.Model):
    """Per-agent twin of `RelocationModel`: same rules, one `Firm.step()` per firm and year.

    Args:
        scenario: the validated scenario.
        seed: the seed of this run's random generators (`rng` and Mesa's `random`).
        data: the world tables (loaded from the scenario's data files if None).
        iv_ref: IV_ref of the push; None takes the vectorised model's for this
            scenario and seed (it builds a `RelocationModel`, which draws the same firms).
    """

    def __init__(
        self, scenario: Scenario, seed: int, data: WorldData | None = None, iv_ref: float | None = None
    ) -> None:
        super().__init__(rng=seed)
        self.config, self.seed = scenario, seed
        self.data = d = data if data is not None else world_for(scenario)
        self.weight = scenario.firms.represented / scenario.firms.count
        self.state = WorldState(d, scenario)
        self.levers = build_levers(scenario, d)
        self.destinations = np.flatnonzero(np.isin(d.kinds, scenario.world.destination_kinds))
        self.nests = NestSpec.of(list(d.kinds[self.destinations]), scenario.behaviour.nests.model_dump())
        dest = set(self.destinations.tolist())
        self.has_alternative = [len(dest - {p}) > 0 for p in range(d.n_places)]
        self.kind = d.kinds.tolist()
        self.shock_kept_per_year = 1.0 - scenario.world.settlement.recovery_per_year
        years = scenario.years
        self.drawn = draw_firms(scenario.firms, d, self.rng, years.start, years.end - years.start + 1)
        self.iv_ref = RelocationModel(scenario, seed, d).iv_ref if iv_ref is None else iv_ref
        self.jobs = d.base_jobs.copy()  # live (P, K), real units
        self.year = years.start - 1
        self._bear(years.start)
        self.jobs_total_start = self.jobs.sum(axis=1)
        self.records: list[YearRecord] = []
        # Set each year by `begin_year`.
        self.group_eta: list[list[float]] = []
        self.year_tables: Tables = {}
        self.year_start: Posted
        self.posted: Posted
        self.tally = YearTally()
        self.spend: dict[str, float] = {}
        self.closing: list[Firm] = []
        self._run_length = 1
        self._left_in_run = 0

    def _bear(self, year: int) -> list[Firm]:
        """Create the agents of the firms drawn for birth in `year` (the initial firms in the first year)."""
        index = np.flatnonzero(self.drawn.birth_year == year)
        columns = {name: getattr(self.drawn, name)[index].tolist() for name in _FIRM_COLUMNS}
        columns["age_years"] = list(self.drawn.age_years[index])  # float32, as the vectorised model ages them
        born = list(Firm.create_agents(self, len(index), index.tolist(), **columns))
        for firm in born:
            self.jobs[firm.place, firm.industry] += self.weight * firm.jobs
        return born

    def step(self) -> None:
        """Advance one year: levers and births, then every firm's own step in random order, then closures."""
        start_jobs, born = self.begin_year()
        self.agents.shuffle_do("step")
        self.end_year(start_jobs, born)

    def begin_year(self) -> tuple[float, list[Firm]]:
        """Levers, cost trends and births; the push table and the year-start choice tables are posted."""
        self.year += 1
        st, beh = self.state, self.config.behaviour
        st.begin_year(self.year)
        self.spend = {lever.key: lever.apply(st, self.year) for lever in self.levers}
        start_jobs = self.weight * sum(firm.jobs for firm in self.agents)
        born = self._bear(self.year) if self.year > self.config.years.start else []
        self.post_year_start()
        self._run_length = max(1, math.ceil(len(self.agents) / beh.batches_per_year))
        self._left_in_run = self._run_length
        self.tally = YearTally(to_kind_jobs={"north_park": 0.0, "jiangsu_city": 0.0, "outside_city": 0.0})
        self.stocks, self.mobility = self._stocks_and_mobility()
        self.closing = []
        return start_jobs, born

    def post_year_start(self) -> None:
        """Post the push table and the choice tables of the year's start (after the levers and births)."""
        beh, ctx = self.config.behaviour, self._context()
        self.group_eta = group_eta_table(beh.push, ctx).tolist()
        self.year_tables = utility_tables(beh.choice, ctx, within_year=False)
        self.year_start = self.posted = self._post(ctx)

    def _stocks_and_mobility(self) -> tuple[np.ndarray, np.ndarray]:
        """(2, P, K) firms and jobs by place and industry, (2, S, A) firms by size and age band (movers later)."""
        d, w = self.data, self.weight
        stocks = np.zeros((2, d.n_places, d.n_industries))
        mobility = np.zeros((2, len(SIZE_BANDS_JOBS), len(AGE_BANDS_YEARS)))
        for firm in self.agents:
            stocks[0, firm.place, firm.industry] += w
            stocks[1, firm.place, firm.industry] += w * firm.jobs
            mobility[0][self.bands(firm)] += w
        return stocks, mobility

    @staticmethod
    def bands(firm: Firm) -> tuple[int, int]:
        """(size band, age band) of a firm: the last lower bound each reaches (`model.metrics` bands)."""
        return bisect.bisect_right(SIZE_BANDS_JOBS, firm.jobs) - 1, bisect.bisect_right(
            AGE_BANDS_YEARS, firm.age_years
        ) - 1

    def _context(self) -> Context:
        """The Context now, with a frozen copy of the live jobs table (as `RelocationModel._context`)."""
        wage, land = effective_prices(self.state, self.jobs.sum(axis=1), self.jobs_total_start)
        return Context(self.state, self.destinations, self.jobs.copy(), wage, land, self.state.offered_yuan_per_job())

    def _post(self, ctx: Context | None = None) -> Posted:
        """The view of the next run of firms: this moment's Context and its within-year choice tables."""
        ctx = self._context() if ctx is None else ctx
        return Posted(ctx, [self.year_tables, utility_tables(self.config.behaviour.choice, ctx, within_year=True)])

    def posted_for_next_firm(self) -> Posted:
        """The posted view for the firm about to step; re-posted every `1 / batches_per_year` of the firms."""
        if self._left_in_run == 0:
            self.posted = self._post()
            self._left_in_run = self._run_length
        self._left_in_run -= 1
        return self.posted

    def record_move(self, firm: Firm, dest: int, jobs_real: float) -> None:
        """Move a firm's jobs in the live table and count the flow."""
        self.jobs[firm.place, firm.industry] -= jobs_real
        self.jobs[dest, firm.industry] += jobs_real
        self.tally.moves.append((firm.place, dest, firm.industry, jobs_real))
        self.tally.to_kind_jobs[self.kind[dest]] += jobs_real
        self.mobility[1][self.bands(firm)] += self.weight

    def end_year(self, start_jobs: float, born: list[Firm]) -> None:
        """Close the firms that drew closure (their jobs leave now) and record the year."""
        closed_jobs = 0.0
        for firm in self.closing:
            jobs_real = self.weight * firm.jobs
            self.jobs[firm.place, firm.industry] -= jobs_real
            closed_jobs += jobs_real
            firm.remove()
        self.records.append(self._record(start_jobs, born, closed_jobs))
        self.running = self.year < self.config.years.end

    def _record(self, start_jobs: float, born: list[Firm], closed_jobs: float) -> YearRecord:
        """The year as the vectorised model records it, so both give the same `Results`."""
        t, w, d = self.tally, self.weight, self.data
        moves = np.array(t.moves, dtype=float).T.reshape(4, -1)
        relocated = float(moves[3].sum())
        born_jobs = w * sum(firm.jobs for firm in born)
        north = d.kinds == "north_park"
        return YearRecord(
            year=self.year,
            firms_active=w * len(self.agents),
            relocations=w * moves.shape[1],
            relocated_jobs=relocated,
            to_north_jobs=t.to_kind_jobs["north_park"],
            to_jiangsu_jobs=t.to_kind_jobs["jiangsu_city"],
            to_outside_jobs=t.to_kind_jobs["outside_city"],
            born_firms=w * len(born),
            born_jobs=born_jobs,
            closures=w * len(self.closing),
            closed_jobs=closed_jobs,
            start_jobs=start_jobs,
            stayed_jobs=w * sum(firm.jobs for firm in self.agents if firm.moved_in != self.year),
            jobs_in_north_parks=float(self.jobs[north].sum() - d.base_jobs[north].sum()),
            mean_move_probability=t.move_probability_sum / t.stepped if t.stepped else 0.0,
            fiscal_by_lever={lever.key: self.spend.get(lever.key, 0.0) for lever in self.levers},
            flows=sparse_flows(moves, w, d.n_places, d.n_industries),
            stocks=self.stocks,
            mobility=self.mobility,
        )

    def run(self) -> Results:
        """Run every year of the scenario."""
        while self.year < self.config.years.end:
            self.step()
        return Results.from_records(self.records, self.data, self.seed, self.config.years)


def simulate_per_agent(scenario: Scenario, seed: int, data: WorldData | None = None) -> Results:
    """One per-agent replication (the counterpart of `model.simulate`)."""
    return PerAgentModel(scenario, seed, data).run()
