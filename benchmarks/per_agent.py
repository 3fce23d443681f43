"""The relocation model written the idiomatic per-agent Mesa way, as a speed reference.

`PerAgentModel` runs the yearly rules of `model.model.RelocationModel` (DESIGN
§2) with the same world, `WorldState`, levers and coefficients, but each `Firm`
is an ordinary `mesa.Agent` holding its own attributes, and its `step()` makes
its own decision; the model's step is `self.agents.shuffle_do("step")`.

One rule, two styles: no part of the decision is written here. Like the
vectorised model, this one posts the term tables of `model.choice` (push group
terms once a year; choice terms fixed for the year once, within-year ones at
the start of each run of firms), and each firm reads its own cells: η over
`push_terms` (its size and age through the same term functions) and `logistic`,
its utilities by `utilities_from_tables` for a one-firm `Movers`, then
`choice_probabilities` and `sample_choice`; it settles through
`model.model.pay_offers` and `move_shock`. Only the one-line closure hazard is
repeated, in `math` (numpy on one number would time numpy's call overhead);
a test checks it against `model.model.closure_hazard`.

Rules mirrored from the vectorised model, and how:

- push uses the year-start prices, jobs and open offers, for every firm (the
  vectorised model computes `push_probability` once before any move);
- `behaviour.batches_per_year`: the shuffled firms are cut into that many runs
  of equal length; prices, jobs and offers are re-posted at the start of each
  run, so the movers of a run see the moves of earlier runs only;
- subsidies: paid first come, first served in step order (`pay_offers` on one claim);
- closure: a firm that did not move draws its closure at its own step, but its
  jobs leave the place only after every firm has stepped; closed firms are removed.

Draws differ (one uniform per decision from `model.rng`, no common-random-number
layout), so results agree in distribution, not draw for draw; the starting firms
are the same. `python -m benchmarks.per_agent` prints the agreement over seeds.
"""

from __future__ import annotations

import argparse
import math
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import mesa
import numpy as np

from model.choice import (
    Context,
    Movers,
    PushTerm,
    Tables,
    choice_probabilities,
    effective_prices,
    logistic,
    push_terms,
    sample_choice,
    utilities_from_tables,
    utility_tables,
)
from model.config import Scenario
from model.firms import draw_firms
from model.levers import build_levers
from model.metrics import Results, YearRecord
from model.model import move_shock, pay_offers, simulate
from model.scenario import load_scenario
from model.seeds import replication_seeds
from model.state import WorldState
from model.world import WorldData, world_for

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "scenarios" / "baseline.yaml"


@dataclass
class Posted:
    """What the firms of one run read: the Context of that moment and the choice tables from it."""

    ctx: Context
    tables: list[Tables]  # [year-fixed terms, this run's within-year terms]


@dataclass
class YearTally:
    """What the firms report while they step through one year (flows are (from, to, industry))."""

    flow_firms: np.ndarray
    flow_jobs: np.ndarray
    start_jobs: float = 0.0
    move_probability_sum: float = 0.0
    firms_stepped: int = 0
    relocations: int = 0
    relocated_jobs: float = 0.0
    to_north_jobs: float = 0.0
    to_outside_jobs: float = 0.0


class Firm(mesa.Agent):
    """One firm with its own attributes (indices of industry and home origin, jobs, age,
    log productivity); `step` is its whole yearly decision."""

    model: PerAgentModel

    def __init__(
        self, model: PerAgentModel, industry: int, home: int, jobs: float, age_years: float, log_productivity: float
    ) -> None:
        super().__init__(model)
        self.industry = industry
        self.home = home
        self.place = home
        self.jobs = jobs
        self.age_years = age_years
        self.log_productivity = log_productivity
        self.move_shock = 0.0
        self.moves = 0

    def step(self) -> None:
        """Push, then choose and settle if moving, else maybe close; then age."""
        m = self.model
        posted = m.posted_for_next_firm()
        p_move = self.push_probability()
        tally = m.tally
        tally.firms_stepped += 1
        tally.start_jobs += self.jobs
        tally.move_probability_sum += p_move
        closing = False
        if m.rng.random() < p_move and m.has_alternative[self.place]:
            self.settle(self.choose_destination(posted), posted)
        else:
            closing = self.draws_closure()
        self.move_shock *= m.shock_kept_per_year
        if closing:
            m.closing.append(self)
        else:
            self.age_years += 1.0

    def as_movers(self) -> Movers:
        """This firm as a batch of one, for the shared choice and settlement functions."""
        return Movers(np.array([self.industry]), np.array([self.place]), np.array([self.home]), np.array([self.jobs]))

    def push_probability(self) -> float:
        """p = logistic(intercept + Σ push.k z_k): group z from the year's posted tables, own z from this firm."""
        eta = self.model.push_intercept
        for beta, term, table in self.model.push_parts:
            eta += beta * (table[self.place][self.industry] if table is not None else term.own(self))
        return float(logistic(eta))

    def choice_probabilities(self, posted: Posted) -> np.ndarray:
        """(D,) logit probabilities over the model's destinations (0 at the current place)."""
        v = utilities_from_tables(posted.tables, posted.ctx.destinations, self.as_movers())
        return choice_probabilities(v)[0]

    def choose_destination(self, posted: Posted) -> int:
        """Draw a destination by inverse CDF with one uniform from the model's generator."""
        prob = self.choice_probabilities(posted)
        column = sample_choice(prob[None, :], np.array([self.model.rng.random()]))[0]
        return int(self.model.destinations[column])

    def settle(self, dest: int, posted: Posted) -> None:
        """Collect subsidies, take the productivity shock of the move, move the jobs."""
        m = self.model
        one, to = self.as_movers(), np.array([dest])
        jobs_real = m.weight * one.jobs
        received, retention = pay_offers(m.state.offers, one, to, jobs_real, m.spend)
        shock = move_shock(m.state, posted.ctx.jobs_by_place_industry, one, to, received, retention)
        self.move_shock += float(shock[0])
        m.record_move(self.place, dest, self.industry, float(jobs_real[0]))
        self.place = dest
        self.moves += 1

    def closure_hazard(self) -> float:
        """rate · exp(−b · (productivity + move shock)), capped at 1: `model.model.closure_hazard` in `math`."""
        s = self.model.settlement
        phi = self.log_productivity + self.move_shock
        return min(1.0, max(0.0, s.closure_rate_per_year * math.exp(-s.closure_productivity * phi)))

    def draws_closure(self) -> bool:
        return self.model.rng.random() < self.closure_hazard()


class PerAgentModel(mesa.Model):
    """Per-agent twin of `RelocationModel`: same rules, one `Firm.step()` per firm and year.

    Args:
        scenario: the validated scenario.
        seed: the seed of this run's random generators (`rng` and Mesa's `random`).
        data: the world tables (loaded from the scenario's data files if None).
    """

    def __init__(self, scenario: Scenario, seed: int, data: WorldData | None = None) -> None:
        super().__init__(rng=seed)
        self.config = scenario
        self.seed = seed
        self.data = data if data is not None else world_for(scenario)
        d, beh = self.data, scenario.behaviour
        self.weight = scenario.firms.represented / scenario.firms.count
        self.state = WorldState(d, scenario)
        self.levers = build_levers(scenario, d)
        self.push_intercept = beh.push.intercept
        self.batches_per_year = beh.batches_per_year
        self.settlement = scenario.world.settlement
        self.shock_kept_per_year = 1.0 - self.settlement.recovery_per_year
        self.destinations = np.flatnonzero(np.isin(d.kinds, scenario.world.destination_kinds))
        dest = set(self.destinations.tolist())
        self.has_alternative = [len(dest - {p}) > 0 for p in range(d.n_places)]
        self.is_north = (d.kinds == "north_park").tolist()
        self.is_outside = (d.kinds == "outside_city").tolist()
        self.jobs = d.base_jobs.copy()  # live (P, K), real units
        self._create_firms()
        self.jobs_total_start = self.jobs.sum(axis=1)
        self.year = scenario.years.start - 1
        self.records: list[YearRecord] = []
        # Set each year by `begin_year`.
        self.push_parts: list[tuple[float, PushTerm, list[list[float]] | None]] = []
        self.year_tables: Tables = {}
        self.year_start: Posted
        self.posted: Posted
        self.tally = self._new_tally()
        self.spend: dict[str, float] = {}
        self.closing: list[Firm] = []
        self._run_length = 1
        self._left_in_run = 0

    def _create_firms(self) -> None:
        """Firms drawn in the same order and way as `RelocationModel` draws them."""
        start = draw_firms(self.config.firms, self.data, self.rng)
        columns = ("industry", "home", "jobs", "age_years", "log_productivity")
        Firm.create_agents(self, len(start), **{name: getattr(start, name).tolist() for name in columns})
        for firm in self.agents:
            self.jobs[firm.place, firm.industry] += self.weight * firm.jobs

    def step(self) -> None:
        """Advance one year: levers, then every firm's own step in random order, then closures."""
        self.begin_year()
        self.agents.shuffle_do("step")
        self.end_year()

    def begin_year(self) -> None:
        """Levers and cost trends update the world; the push tables and year-start choice tables are posted."""
        self.year += 1
        st, beh = self.state, self.config.behaviour
        st.begin_year(self.year)
        self.spend = {lever.key: lever.apply(st, self.year) for lever in self.levers}
        ctx = self._context()
        self.push_parts = [
            (beta, term, term.table(ctx).tolist() if term.table is not None else None)
            for beta, term in push_terms(beh.push)
        ]
        self.year_tables = utility_tables(beh.choice, ctx, within_year=False)
        self.year_start = self._post(ctx)
        self.posted = self.year_start
        self._run_length = max(1, math.ceil(len(self.agents) / self.batches_per_year))
        self._left_in_run = self._run_length
        self.tally = self._new_tally()
        self.closing = []

    def _new_tally(self) -> YearTally:
        n_p, n_k = self.data.n_places, self.data.n_industries
        return YearTally(np.zeros((n_p, n_p, n_k)), np.zeros((n_p, n_p, n_k)))

    def end_year(self) -> None:
        """Close the firms that drew closure and record the year."""
        closures, closed_jobs = self._close_firms()
        self.records.append(self._record(closures, closed_jobs))

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

    def record_move(self, origin: int, dest: int, industry: int, jobs_real: float) -> None:
        """Move a firm's jobs in the live table and count the flow."""
        self.jobs[origin, industry] -= jobs_real
        self.jobs[dest, industry] += jobs_real
        tally = self.tally
        tally.relocations += 1
        tally.relocated_jobs += jobs_real
        if self.is_north[dest]:
            tally.to_north_jobs += jobs_real
        elif self.is_outside[dest]:
            tally.to_outside_jobs += jobs_real
        tally.flow_firms[origin, dest, industry] += self.weight
        tally.flow_jobs[origin, dest, industry] += jobs_real

    def _close_firms(self) -> tuple[int, float]:
        """Remove the firms that drew closure, after every firm has stepped."""
        closed_jobs = 0.0
        for firm in self.closing:
            jobs_real = self.weight * firm.jobs
            self.jobs[firm.place, firm.industry] -= jobs_real
            closed_jobs += jobs_real
            firm.remove()
        return len(self.closing), closed_jobs

    def _record(self, closures: int, closed_jobs: float) -> YearRecord:
        """The year as the vectorised model records it, so both give the same `Results`."""
        t, w = self.tally, self.weight
        north_jobs = sum(firm.jobs for firm in self.agents if self.is_north[firm.place])
        start_jobs = w * t.start_jobs
        return YearRecord(
            year=self.year,
            firms_active=w * len(self.agents),
            relocations=w * t.relocations,
            relocated_jobs=t.relocated_jobs,
            to_north_jobs=t.to_north_jobs,
            to_outside_jobs=t.to_outside_jobs,
            closures=w * closures,
            closed_jobs=closed_jobs,
            start_jobs=start_jobs,
            stayed_jobs=start_jobs - t.relocated_jobs - closed_jobs,
            jobs_in_north_parks=w * north_jobs,
            mean_move_probability=t.move_probability_sum / t.firms_stepped if t.firms_stepped else 0.0,
            fiscal_by_lever={lever.key: self.spend.get(lever.key, 0.0) for lever in self.levers},
            flow_firms=t.flow_firms,
            flow_jobs=t.flow_jobs,
        )

    def run(self) -> Results:
        """Run every year of the scenario."""
        while self.year < self.config.years.end:
            self.step()
        return Results.from_records(self.records, self.data, self.seed)


def simulate_per_agent(scenario: Scenario, seed: int, data: WorldData | None = None) -> Results:
    """One per-agent replication (the counterpart of `model.simulate`)."""
    return PerAgentModel(scenario, seed, data).run()


# --- statistical agreement check -------------------------------------------------

AGREEMENT_METRICS: tuple[str, ...] = ("relocated_firms", "north_share_jobs", "relocated_jobs", "closed_jobs")


def mean_se(values: Sequence[float]) -> tuple[float, float]:
    """Mean and its standard error."""
    mean = statistics.fmean(values)
    se = statistics.stdev(values) / math.sqrt(len(values)) if len(values) > 1 else math.nan
    return mean, se


def agreement(scenario: Scenario, seeds: Sequence[int]) -> dict[str, tuple[list[float], list[float]]]:
    """Per metric: (vectorised values, per-agent values), one per seed, same seeds for both."""
    data = world_for(scenario)
    out: dict[str, tuple[list[float], list[float]]] = {name: ([], []) for name in AGREEMENT_METRICS}
    for seed in seeds:
        vec = simulate(scenario, seed, data).metrics
        per = simulate_per_agent(scenario, seed, data).metrics
        for name in AGREEMENT_METRICS:
            out[name][0].append(float(vec[name]))
            out[name][1].append(float(per[name]))
    return out


def main(argv: Sequence[str] | None = None) -> int:
    """Print the agreement of both versions on a scenario over several seeds."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", type=Path, default=BASELINE)
    parser.add_argument("--firms", type=int, default=10_000)
    parser.add_argument("--seeds", type=int, default=8, help="replications (seeds) per version")
    args = parser.parse_args(argv)
    scenario = load_scenario(args.scenario, {"firms.count": args.firms})
    seeds = replication_seeds(scenario.seed if scenario.seed is not None else 0, args.seeds)
    started = time.perf_counter()
    result = agreement(scenario, seeds)
    print(
        f"scenario {scenario.name} ({args.scenario}), {args.firms} firms, years {scenario.years.start}-"
        f"{scenario.years.end}, {len(seeds)} seeds spawned from {scenario.seed} ({time.perf_counter() - started:.1f} s)"
    )
    print(f"{'metric':<18}{'vectorised mean ± se':>26}{'per-agent mean ± se':>26}{'per - vec':>16}{'paired z':>10}")
    for name, (vec, per) in result.items():
        (mv, sv), (mp, sp) = mean_se(vec), mean_se(per)
        md, sd = mean_se([b - a for a, b in zip(vec, per, strict=True)])
        pz = md / sd if sd > 0 else math.nan
        print(f"{name:<18}{mv:>16.4g} ± {sv:<7.3g}{mp:>16.4g} ± {sp:<7.3g}{mp - mv:>16.4g}{pz:>10.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
