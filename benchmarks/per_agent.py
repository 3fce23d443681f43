"""The relocation model written the idiomatic per-agent Mesa way, as a speed reference.

`PerAgentModel` runs the same yearly rules as `model.model.RelocationModel`
(DESIGN §2) with the same world, `WorldState`, levers and coefficients, but each
`Firm` is an ordinary `mesa.Agent` holding its own attributes, and its `step()`
computes its own push probability and its own conditional-logit utilities over
every allowed destination with plain Python loops and `math`. The model's step
is `self.agents.shuffle_do("step")`.

Only per-year (or per-batch) tables are prepared by the model: the world's
per-place arrays after the levers have applied, as Python lists, and the
congestion-adjusted prices and jobs "posted" at the start of each batch. Each
firm reads them by scalar indexing. That is what a careful per-agent modeller
would write, so the timing comparison is same work, different style.

Rules mirrored from the vectorised model, and how:

- push uses the year-start prices and jobs, for every firm (as the vectorised
  model computes `push_probability` once before any move);
- `behaviour.batches_per_year`: the shuffled firms are cut into that many runs
  of equal length; prices, jobs and the offers with budget left are re-posted at
  the start of each run, so the movers of a run see the moves of earlier runs
  only (the vectorised model splits the shuffled movers the same way);
- subsidies: paid first come, first served in step order; the first claim that
  does not fit gets what is left and closes the fund for the year (the
  vectorised `_pay_first_come` rule);
- closure: a firm that did not move draws its closure at its own step, but its
  jobs leave the place only after every firm has stepped (the vectorised model
  closes firms after all moves); closed firms are removed from the model.

Draws differ (one uniform per decision from `model.rng`, no common-random-number
layout), so results agree in distribution, not draw for draw. The firms'
starting population is drawn exactly as the vectorised model draws it, so with
the same seed both versions start from the same firms.

Run `python -m benchmarks.per_agent` for the statistical agreement check.
"""

from __future__ import annotations

import argparse
import math
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import mesa
import numpy as np

from model.choice import (
    AGE_REFERENCE_YEARS,
    CLUSTER_REFERENCE_JOBS,
    SIZE_REFERENCE_JOBS,
    SUBSIDY_UNIT_YUAN,
    TERMS,
)
from model.config import Push, Scenario
from model.firms import draw_firms
from model.levers import build_levers
from model.metrics import horizon_metrics
from model.model import MOVE_COST_UNIT_YUAN, simulate
from model.scenario import load_scenario
from model.state import Offer, WorldState
from model.world import WorldData, world_for

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "scenarios" / "baseline.yaml"

# The utility terms and push terms this file implements. A term added to the
# vectorised model must be added here too, or the comparison is not fair.
CHOICE_TERMS: tuple[str, ...] = (
    "wage",
    "land",
    "energy",
    "infrastructure",
    "environment",
    "talent",
    "agglomeration",
    "focus",
    "pairing",
    "ties",
    "distance",
    "subsidy",
    "guidance",
    "supply_chain",
)
PUSH_TERMS: tuple[str, ...] = (
    "intercept",
    "cost_pressure",
    "size",
    "age",
    "agglomeration",
    "guidance",
    "relocation_aid",
)


def check_rules_covered() -> None:
    """Refuse to run if the vectorised model has terms this version lacks."""
    missing = sorted(set(TERMS) - set(CHOICE_TERMS))
    if missing:
        raise NotImplementedError(f"model.choice.TERMS has term(s) {missing} not implemented in {__file__}")
    missing = sorted(set(Push.model_fields) - set(PUSH_TERMS))
    if missing:
        raise NotImplementedError(f"behaviour.push has term(s) {missing} not implemented in {__file__}")


def logistic(eta: float) -> float:
    """1 / (1 + exp(−η)) without overflow for large |η|."""
    if eta >= 0.0:
        return 1.0 / (1.0 + math.exp(-eta))
    e = math.exp(eta)
    return e / (1.0 + e)


# --- tables the firms read ---------------------------------------------------


@dataclass
class StaticTables:
    """World data that never changes during a run, as Python lists."""

    labour: list[float]  # (K,) intensities
    land: list[float]
    energy: list[float]
    skill: list[float]
    supply_chain: list[float]
    move_cost_yuan_per_job: list[float]
    partner: list[int]  # (P,)
    capacity_jobs: list[float]  # (P,)
    ties: list[list[float]]  # (P, P)
    distance_km: list[list[float]]  # (P, P)

    @classmethod
    def of(cls, d: WorldData) -> StaticTables:
        num = d.industry_num
        return cls(
            labour=num["labour_intensity"].tolist(),
            land=num["land_intensity"].tolist(),
            energy=num["energy_intensity"].tolist(),
            skill=num["skill_intensity"].tolist(),
            supply_chain=num["supply_chain_intensity"].tolist(),
            move_cost_yuan_per_job=num["move_cost_yuan_per_job"].tolist(),
            partner=d.partner.tolist(),
            capacity_jobs=d.place_num["capacity_jobs"].tolist(),
            ties=d.ties.tolist(),
            distance_km=d.distance_km.tolist(),
        )


@dataclass
class OfferView:
    """A lever's per-job offer of the year, with the batch's budget bookkeeping."""

    offer: Offer  # the WorldState's offer; its remaining_yuan is spent live
    grid: list[list[list[float]]]  # (P_from, K, P_to) yuan per job
    open_at_year_start: bool


@dataclass
class YearTables:
    """The WorldState of one year after the levers applied, as Python lists."""

    power: list[float]  # (P,) without congestion
    infrastructure: list[float]
    environment: list[float]
    talent_k: list[float]
    pairing_strength: list[float]
    supplier_support: list[float]
    outside_subsidy_yuan_per_job: list[float]
    focus: list[list[bool]]  # (P, K)
    guidance_push: list[list[float]]  # (P, K)
    guidance_pull: list[list[list[float]]]  # (P_from, K, P_to)
    offers: list[OfferView]

    @classmethod
    def of(cls, st: WorldState) -> YearTables:
        return cls(
            power=st.power.tolist(),
            infrastructure=st.infrastructure.tolist(),
            environment=st.environment.tolist(),
            talent_k=st.talent_k.tolist(),
            pairing_strength=st.pairing_strength.tolist(),
            supplier_support=st.supplier_support.tolist(),
            outside_subsidy_yuan_per_job=st.outside_subsidy.tolist(),
            focus=st.focus.tolist(),
            guidance_push=st.guidance_push.tolist(),
            guidance_pull=st.guidance_pull.tolist(),
            offers=[OfferView(o, o.yuan_per_job.tolist(), o.remaining_yuan > 0) for o in st.offers],
        )


@dataclass
class Posted:
    """Prices with congestion, jobs by place and industry, and open offers at one moment."""

    wage: list[float]  # (P,)
    land: list[float]  # (P,)
    jobs: list[list[float]]  # (P, K), real units
    open_offers: list[OfferView]


@dataclass
class YearTally:
    """What the firms report while they step through one year."""

    start_jobs: float = 0.0
    move_probability_sum: float = 0.0
    firms_stepped: int = 0
    relocations: int = 0
    relocated_jobs: float = 0.0
    to_north_jobs: float = 0.0
    to_outside_jobs: float = 0.0
    flows: dict[tuple[int, int, int], list[float]] = field(default_factory=dict)  # (from, to, k) -> [firms, jobs]


@dataclass
class YearRow:
    """One year of one per-agent run, for the represented population."""

    year: int
    firms_active: float
    relocations: float
    relocated_jobs: float
    to_north_jobs: float
    to_outside_jobs: float
    closures: float
    closed_jobs: float
    start_jobs: float
    jobs_in_north_parks: float
    mean_move_probability: float
    fiscal_cost_yuan: float


@dataclass
class PerAgentResults:
    """One per-agent replication: yearly rows and whole-horizon metrics."""

    seed: int
    rows: list[YearRow]
    metrics: dict[str, float]


# --- the agent -----------------------------------------------------------------


class Firm(mesa.Agent):
    """One firm with its own attributes; `step` is its whole yearly decision.

    Args:
        model: the per-agent model.
        industry: industry index.
        home: index of the origin the firm starts in.
        jobs: jobs of this simulated firm.
        age_years: age at the start.
        log_productivity: the firm's own productivity level.
    """

    model: PerAgentModel

    def __init__(
        self,
        model: PerAgentModel,
        industry: int,
        home: int,
        jobs: float,
        age_years: float,
        log_productivity: float,
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
        if m.rng.random() < p_move:
            dest = self.choose_destination(posted)
            self.settle(dest, posted)
        else:
            closing = self.draws_closure()
        self.move_shock *= m.shock_kept_per_year
        if closing:
            m.closing.append(self)
        else:
            self.age_years += 1.0

    def push_probability(self) -> float:
        """p = 1 / (1 + exp(−η)) from the year-start prices and jobs."""
        m = self.model
        c, s, t, pr = m.push, m.static, m.tables, m.year_start
        k, p = self.industry, self.place
        eta = c.intercept
        if c.cost_pressure:
            eta += c.cost_pressure * (
                s.labour[k] * math.log(pr.wage[p])
                + s.land[k] * math.log(pr.land[p])
                + s.energy[k] * math.log(t.power[p])
            )
        if c.size:
            eta += c.size * math.log(self.jobs / SIZE_REFERENCE_JOBS)
        if c.age:
            eta += c.age * math.log((1.0 + self.age_years) / (1.0 + AGE_REFERENCE_YEARS))
        if c.agglomeration:
            eta += c.agglomeration * math.log((1.0 + pr.jobs[p][k]) / (1.0 + CLUSTER_REFERENCE_JOBS))
        if c.guidance:
            eta += c.guidance * t.guidance_push[p][k]
        if c.relocation_aid and t.offers:
            aid = 0.0
            for ov in t.offers:
                if ov.open_at_year_start:
                    aid += max(ov.grid[p][k])
            eta += c.relocation_aid * math.log1p(aid / SUBSIDY_UNIT_YUAN)
        return logistic(eta)

    def utilities(self, posted: Posted) -> tuple[list[int], list[float]]:
        """V_ij = Σ choice.k x_ijk for every allowed destination j except the current place."""
        m = self.model
        b, s, t = m.beta, m.static, m.tables
        k, p, home = self.industry, self.place, self.home
        b_wage, b_land, b_energy = b["wage"], b["land"], b["energy"]
        b_infra, b_env, b_talent = b["infrastructure"], b["environment"], b["talent"]
        b_agglo, b_focus, b_pairing, b_ties = b["agglomeration"], b["focus"], b["pairing"], b["ties"]
        b_distance, b_subsidy, b_guidance, b_supply = b["distance"], b["subsidy"], b["guidance"], b["supply_chain"]
        labour, land, energy, skill = s.labour[k], s.land[k], s.energy[k], s.skill[k]
        supply, threshold = s.supply_chain[k], m.cluster_threshold_jobs
        km_from, ties_from = s.distance_km[p], s.ties[home]
        dests: list[int] = []
        values: list[float] = []
        for j in m.destinations:
            if j == p:
                continue
            v = 0.0
            if b_wage:
                v += b_wage * labour * math.log(posted.wage[j])
            if b_land:
                v += b_land * land * math.log(posted.land[j])
            if b_energy:
                v += b_energy * energy * math.log(t.power[j])
            if b_infra:
                v += b_infra * t.infrastructure[j]
            if b_env:
                v += b_env * t.environment[j]
            if b_talent:
                v += b_talent * skill * math.log1p(t.talent_k[j])
            if b_agglo:
                v += b_agglo * math.log1p(posted.jobs[j][k])
            if b_focus and t.focus[j][k]:
                v += b_focus
            if b_pairing and s.partner[j] == home:
                v += b_pairing * t.pairing_strength[j]
            if b_ties:
                v += b_ties * ties_from[j]
            if b_distance:
                v += b_distance * math.log(max(km_from[j], 1.0))
            if b_subsidy:
                offered = t.outside_subsidy_yuan_per_job[j]
                for ov in posted.open_offers:
                    offered += ov.grid[p][k][j]
                v += b_subsidy * math.log1p(offered / SUBSIDY_UNIT_YUAN)
            if b_guidance:
                v += b_guidance * t.guidance_pull[p][k][j]
            if b_supply:
                thin = max(0.0, 1.0 - posted.jobs[j][k] / threshold)
                v += b_supply * supply * thin * (1.0 - t.supplier_support[j])
            dests.append(j)
            values.append(v)
        return dests, values

    def choice_probabilities(self, posted: Posted) -> tuple[list[int], list[float]]:
        """Conditional-logit probabilities P_ij = exp(V_ij) / Σ_m exp(V_im)."""
        dests, values = self.utilities(posted)
        top = max(values)
        weights = [math.exp(v - top) for v in values]
        total = sum(weights)
        return dests, [w / total for w in weights]

    def choose_destination(self, posted: Posted) -> int:
        """Draw a destination by inverse CDF with one uniform from the model's generator."""
        dests, prob = self.choice_probabilities(posted)
        u = self.model.rng.random()
        cumulative = 0.0
        for j, pj in zip(dests, prob, strict=True):
            cumulative += pj
            if u < cumulative:
                return j
        return dests[-1]

    def settle(self, dest: int, posted: Posted) -> None:
        """Collect subsidies, take the productivity shock of the move, move the jobs."""
        m = self.model
        s, t, cfg = m.static, m.tables, m.settlement
        k, p = self.industry, self.place
        jobs_real = m.weight * self.jobs
        received = 0.0
        retention = 0.0
        for ov in t.offers:
            per_job = ov.grid[p][k][dest]
            pay = per_job * jobs_real
            if pay <= 0.0:
                continue
            paid = min(pay, max(0.0, ov.offer.remaining_yuan))
            # first come, first served: a claim cut short spends the fund for the year
            ov.offer.remaining_yuan = 0.0 if paid < pay else ov.offer.remaining_yuan - paid
            if paid > 0.0:
                m.spend[ov.offer.lever] = m.spend.get(ov.offer.lever, 0.0) + paid
                received += paid / jobs_real
                retention = max(retention, ov.offer.worker_retention)
        skill = s.skill[k]
        talent_gain = math.log1p(t.talent_k[dest]) - math.log1p(t.talent_k[p])
        thin = max(0.0, 1.0 - posted.jobs[dest][k] / cfg.cluster_threshold_jobs)
        supply_penalty = s.supply_chain[k] * thin * (1.0 - t.supplier_support[dest])
        net_cost = max(0.0, s.move_cost_yuan_per_job[k] - received)
        self.move_shock += (
            cfg.talent_effect * skill * talent_gain
            - cfg.skill_loss * skill * (1.0 - retention)
            - cfg.supply_chain_penalty * supply_penalty
            - cfg.move_cost_burden * net_cost / MOVE_COST_UNIT_YUAN
        )
        m.record_move(p, dest, k, jobs_real)
        self.place = dest
        self.moves += 1

    def draws_closure(self) -> bool:
        """Closure hazard rate · exp(−b · (productivity + move shock)), capped at 1."""
        m = self.model
        cfg = m.settlement
        phi = self.log_productivity + self.move_shock
        hazard = min(1.0, max(0.0, cfg.closure_rate_per_year * math.exp(-cfg.closure_productivity * phi)))
        return m.rng.random() < hazard


# --- the model -----------------------------------------------------------------


class PerAgentModel(mesa.Model):
    """Per-agent twin of `RelocationModel`: same rules, one `Firm.step()` per firm and year.

    Args:
        scenario: the validated scenario.
        seed: the seed of this run's random generators (`rng` and Mesa's `random`).
        data: the world tables (loaded from the scenario's data files if None).
    """

    def __init__(self, scenario: Scenario, seed: int, data: WorldData | None = None) -> None:
        check_rules_covered()
        super().__init__(rng=seed)
        self.config = scenario
        self.seed = seed
        self.data = data if data is not None else world_for(scenario)
        d, beh, settle = self.data, scenario.behaviour, scenario.world.settlement
        self.weight = scenario.firms.represented / scenario.firms.count
        self.state = WorldState(d, scenario)
        self.levers = build_levers(scenario, d)
        self.push = beh.push
        self.beta = {name: float(getattr(beh.choice, name, 0.0)) if name in TERMS else 0.0 for name in CHOICE_TERMS}
        self.batches_per_year = beh.batches_per_year
        self.settlement = settle
        self.cluster_threshold_jobs = settle.cluster_threshold_jobs
        self.shock_kept_per_year = 1.0 - settle.recovery_per_year
        self.congestion = scenario.world.congestion
        self.static = StaticTables.of(d)
        kinds = d.kinds.tolist()
        self.destinations = [p for p, kind in enumerate(kinds) if kind in scenario.world.destination_kinds]
        self.is_north = [kind == "north_park" for kind in kinds]
        self.is_outside = [kind == "outside_city" for kind in kinds]
        self.jobs: list[list[float]] = d.base_jobs.tolist()  # live (P, K), real units
        self._create_firms()
        self.jobs_total_start = [sum(row) for row in self.jobs]
        self.year = scenario.years.start - 1
        self.rows: list[YearRow] = []
        # Set each year by `begin_year`.
        self.tables: YearTables
        self.year_start: Posted
        self.posted: Posted
        self.tally = YearTally()
        self.spend: dict[str, float] = {}
        self.closing: list[Firm] = []
        self._run_length = 1
        self._left_in_run = 0

    def _create_firms(self) -> None:
        """Firms drawn in the same order and way as `RelocationModel` draws them."""
        start = draw_firms(self.config.firms, self.data, self.rng)
        n = len(start)
        industry, home, jobs = start.industry, start.home, start.jobs
        age, productivity = start.age_years, start.log_productivity
        Firm.create_agents(
            self,
            n,
            industry=industry.tolist(),
            home=home.tolist(),
            jobs=jobs.tolist(),
            age_years=age.tolist(),
            log_productivity=productivity.tolist(),
        )
        for firm in self.agents:
            self.jobs[firm.place][firm.industry] += self.weight * firm.jobs

    # --- one year ----------------------------------------------------------

    def step(self) -> None:
        """Advance one year: levers, then every firm's own step in random order, then closures."""
        self.begin_year()
        self.agents.shuffle_do("step")
        self.end_year()

    def begin_year(self) -> None:
        """Levers and cost trends update the world; year-start prices and jobs are posted."""
        self.year += 1
        st = self.state
        st.begin_year(self.year)
        self.spend = {lever.key: lever.apply(st, self.year) for lever in self.levers}
        self.tables = YearTables.of(st)
        self.year_start = self._post()
        self.posted = self.year_start
        self._run_length = max(1, math.ceil(len(self.agents) / self.batches_per_year))
        self._left_in_run = self._run_length
        self.tally = YearTally()
        self.closing = []

    def end_year(self) -> None:
        """Close the firms that drew closure and record the year."""
        closures, closed_jobs = self._close_firms()
        self.rows.append(self._row(closures, closed_jobs))

    def _post(self) -> Posted:
        """Congestion prices, jobs and open offers at the start of a run of firms."""
        st, cong, cap = self.state, self.congestion, self.static.capacity_jobs
        wage, land = st.wage.tolist(), st.land.tolist()
        for p, row in enumerate(self.jobs):
            gain = max(0.0, sum(row) - self.jobs_total_start[p]) / cap[p]
            wage[p] *= (1.0 + gain) ** cong.wage_elasticity
            land[p] *= (1.0 + gain) ** cong.land_elasticity
        open_offers = []
        for ov in self.tables.offers:
            if ov.offer.remaining_yuan > 0:
                open_offers.append(ov)
        return Posted(wage, land, [row[:] for row in self.jobs], open_offers)

    def posted_for_next_firm(self) -> Posted:
        """The posted view for the firm about to step; re-posted every `1 / batches_per_year` of the firms."""
        if self._left_in_run == 0:
            self.posted = self._post()
            self._left_in_run = self._run_length
        self._left_in_run -= 1
        return self.posted

    def record_move(self, origin: int, dest: int, industry: int, jobs_real: float) -> None:
        """Move a firm's jobs in the live table and count the flow."""
        self.jobs[origin][industry] -= jobs_real
        self.jobs[dest][industry] += jobs_real
        tally = self.tally
        tally.relocations += 1
        tally.relocated_jobs += jobs_real
        if self.is_north[dest]:
            tally.to_north_jobs += jobs_real
        elif self.is_outside[dest]:
            tally.to_outside_jobs += jobs_real
        flow = tally.flows.setdefault((origin, dest, industry), [0.0, 0.0])
        flow[0] += self.weight
        flow[1] += jobs_real

    def _close_firms(self) -> tuple[int, float]:
        """Remove the firms that drew closure, after every firm has stepped."""
        closed_jobs = 0.0
        for firm in self.closing:
            jobs_real = self.weight * firm.jobs
            self.jobs[firm.place][firm.industry] -= jobs_real
            closed_jobs += jobs_real
            firm.remove()
        return len(self.closing), closed_jobs

    def _row(self, closures: int, closed_jobs: float) -> YearRow:
        t, w = self.tally, self.weight
        north_jobs = sum(firm.jobs for firm in self.agents if self.is_north[firm.place])
        return YearRow(
            year=self.year,
            firms_active=w * len(self.agents),
            relocations=w * t.relocations,
            relocated_jobs=t.relocated_jobs,
            to_north_jobs=t.to_north_jobs,
            to_outside_jobs=t.to_outside_jobs,
            closures=w * closures,
            closed_jobs=closed_jobs,
            start_jobs=w * t.start_jobs,
            jobs_in_north_parks=w * north_jobs,
            mean_move_probability=t.move_probability_sum / t.firms_stepped if t.firms_stepped else 0.0,
            fiscal_cost_yuan=float(sum(self.spend.values())),
        )

    def run(self) -> PerAgentResults:
        """Run every year of the scenario."""
        while self.year < self.config.years.end:
            self.step()
        return PerAgentResults(self.seed, self.rows, horizon_metrics(self.rows))


def simulate_per_agent(scenario: Scenario, seed: int, data: WorldData | None = None) -> PerAgentResults:
    """One per-agent replication (the counterpart of `model.simulate`)."""
    return PerAgentModel(scenario, seed, data).run()


# --- statistical agreement check -------------------------------------------------

AGREEMENT_METRICS: tuple[str, ...] = ("relocated_firms", "north_share_jobs", "relocated_jobs", "closed_jobs")


def replication_seeds(master: int, n: int) -> list[int]:
    """Seeds spawned from a master seed, as `experiments.runner` spawns them."""
    return [int(c.generate_state(1, np.uint64)[0]) for c in np.random.SeedSequence(master).spawn(n)]


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
    seconds = time.perf_counter() - started
    print(
        f"scenario {scenario.name} ({args.scenario}), {args.firms} firms, years {scenario.years.start}-"
        f"{scenario.years.end}, {len(seeds)} seeds spawned from {scenario.seed} ({seconds:.1f} s)"
    )
    print(
        "relocated_firms and relocated/closed jobs are for the represented population "
        f"({scenario.firms.represented:g} firms; {scenario.firms.represented / args.firms:g} per simulated firm)"
    )
    print(
        f"{'metric':<18}{'vectorised mean ± se':>26}{'per-agent mean ± se':>26}"
        f"{'diff (per-vec)':>16}{'z':>7}{'paired z':>10}"
    )
    for name, (vec, per) in result.items():
        (mv, sv), (mp, sp) = mean_se(vec), mean_se(per)
        z = (mp - mv) / math.hypot(sv, sp) if math.hypot(sv, sp) > 0 else math.nan
        md, sd = mean_se([b - a for a, b in zip(vec, per, strict=True)])
        pz = md / sd if sd > 0 else math.nan
        print(f"{name:<18}{mv:>16.4g} ± {sv:<7.3g}{mp:>16.4g} ± {sp:<7.3g}{mp - mv:>16.4g}{z:>7.2f}{pz:>10.2f}")
    print("per seed (vectorised / per-agent):")
    for i, seed in enumerate(seeds):
        cells = "  ".join(f"{n}={result[n][0][i]:.4g}/{result[n][1][i]:.4g}" for n in AGREEMENT_METRICS[:2])
        print(f"  seed {seed}: {cells}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
