"""The two stages of a firm's decision, evaluated for many firms at once.

Push: p = 1 / (1 + exp(−η)), η = intercept + Σ push.k z_k (`PUSH_TERMS`).
Pull: conditional logit over the allowed destinations, V_ij = Σ choice.k x_ijk
(`TERMS`), sampled by inverse CDF from one uniform per firm so that a firm's
draw is the same whatever the policy (common random numbers).

This is the one definition of the rule: the model evaluates it for batches of
firms, and the per-agent benchmark (`benchmarks/per_agent.py`) evaluates the
same term definitions for one firm at a time. Each choice term declares the
`Context` fields it reads; the terms recomputed between the batches of a year
are derived from that (`WITHIN_YEAR_TERMS`), not kept by hand.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, Protocol

import numpy as np

if TYPE_CHECKING:
    from model.config import Choice, Push
    from model.state import WorldState

SUBSIDY_UNIT_YUAN = 10_000.0
# Push covariates are centred on a reference firm, so that `push.intercept` is
# the log-odds that a 100-job, 10-year-old firm among 10,000 own-industry jobs,
# at cost indices of 1, moves in a year.
SIZE_REFERENCE_JOBS = 100.0
AGE_REFERENCE_YEARS = 10.0
CLUSTER_REFERENCE_JOBS = 10_000.0


@dataclass
class Movers:
    """The firms being decided in one batch, as arrays (n,)."""

    industry: np.ndarray
    place: np.ndarray  # current place
    home: np.ndarray  # origin the firm started in
    jobs: np.ndarray


@dataclass
class Context:
    """What the terms read at one moment of a year (P places, K industries).

    `state` is the world after the year's levers applied: fixed for the whole
    year, except the offers' remaining budgets, which terms read only through
    `offered`. The fields in `WITHIN_YEAR_FIELDS` change between the batches
    of a year.
    """

    state: WorldState
    destinations: np.ndarray  # (D,) place indices
    jobs_by_place_industry: np.ndarray  # (P, K), real units
    wage: np.ndarray  # (P,) with congestion
    land: np.ndarray  # (P,) with congestion
    offered: np.ndarray  # (P_from, K, P_to) yuan per job, offers whose budget is not yet spent


CONTEXT_FIELDS: frozenset[str] = frozenset(f.name for f in dataclasses.fields(Context))
# Congestion-adjusted wage and land, jobs by place and industry, and the offers
# with their remaining budgets move as the movers of a batch settle.
WITHIN_YEAR_FIELDS: frozenset[str] = frozenset({"wage", "land", "jobs_by_place_industry", "offered"})


def effective_prices(
    state: WorldState, jobs_total: np.ndarray, jobs_total_start: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Congestion: wages and land prices rise with the jobs a place has gained."""
    cong = state.scenario.world.congestion
    gain = np.maximum(0.0, jobs_total - jobs_total_start) / state.data.place_num["capacity_jobs"]
    return state.wage * (1 + gain) ** cong.wage_elasticity, state.land * (1 + gain) ** cong.land_elasticity


def cost_pressure_table(state: WorldState, wage: np.ndarray, land: np.ndarray) -> np.ndarray:
    """(K, P): Σ intensity × ln(price index) of each industry at each place."""
    num = state.data.industry_num
    return (
        num["labour_intensity"][:, None] * np.log(wage)[None, :]
        + num["land_intensity"][:, None] * np.log(land)[None, :]
        + num["energy_intensity"][:, None] * np.log(state.power)[None, :]
    )


def cost_pressure(
    state: WorldState, industry: np.ndarray, place: np.ndarray, wage: np.ndarray, land: np.ndarray
) -> np.ndarray:
    """Σ intensity × ln(price index) at the firm's current place (a K × P table, then looked up)."""
    return cost_pressure_table(state, wage, land)[industry, place]


class PushFirms(Protocol):
    """What a firm-level push term reads: arrays for a batch, or one per-agent firm's numbers."""

    @property
    def jobs(self) -> np.ndarray | float: ...
    @property
    def age_years(self) -> np.ndarray | float: ...


@dataclass
class _Batch:
    """A batch of firms as `PushFirms`, with the group keys the tables are looked up by."""

    place: np.ndarray
    industry: np.ndarray
    jobs: np.ndarray
    age_years: np.ndarray


@dataclass(frozen=True)
class PushTerm:
    """One z of the push, defined once for the batch model and the per-agent twin.

    A group term depends on (current place, industry): `table(ctx)` is (P, K)
    and a firm's z is its cell. A firm term depends on the firm's own numbers:
    `own(firm)` works on arrays and on one firm's floats alike.
    """

    table: Callable[[Context], np.ndarray] | None = None
    own: Callable[[PushFirms], np.ndarray | float] | None = None

    def __post_init__(self) -> None:
        if (self.table is None) == (self.own is None):
            raise ValueError("a PushTerm has exactly one of table (group term) and own (firm term)")

    def z(self, ctx: Context, firms: _Batch) -> np.ndarray:
        """z of every firm of a batch."""
        if self.table is not None:
            return self.table(ctx)[firms.place, firms.industry]
        if self.own is None:  # excluded by __post_init__; keeps the type checker informed
            raise TypeError("PushTerm without a function")
        return np.asarray(self.own(firms))


def _push_cost_pressure(ctx: Context) -> np.ndarray:
    return cost_pressure_table(ctx.state, ctx.wage, ctx.land).T


def _push_size(firm: PushFirms) -> np.ndarray | float:
    return np.log(firm.jobs / SIZE_REFERENCE_JOBS)


def _push_age(firm: PushFirms) -> np.ndarray | float:
    return np.log((1.0 + firm.age_years) / (1.0 + AGE_REFERENCE_YEARS))


def _push_agglomeration(ctx: Context) -> np.ndarray:
    return np.log((1.0 + ctx.jobs_by_place_industry) / (1.0 + CLUSTER_REFERENCE_JOBS))


def _push_guidance(ctx: Context) -> np.ndarray:
    return ctx.state.guidance_push


def _push_relocation_aid(ctx: Context) -> np.ndarray:
    """ln(1 + largest per-job offer / 10,000 yuan), over the open offers of levers that act on the push.

    An offer of a lever that declares only "pull" never enters here (`Offer.acts_on_push`).
    """
    state = ctx.state
    aid = np.zeros((state.data.n_places, state.data.n_industries))
    for offer in state.offers:
        if offer.acts_on_push and offer.remaining_yuan > 0:
            aid += offer.yuan_per_job.max(axis=2)
    return np.log1p(aid / SUBSIDY_UNIT_YUAN)


# Keys are the `behaviour.push` coefficients (all but `intercept`), in the order η sums them.
PUSH_TERMS: dict[str, PushTerm] = {
    "cost_pressure": PushTerm(table=_push_cost_pressure),
    "size": PushTerm(own=_push_size),
    "age": PushTerm(own=_push_age),
    "agglomeration": PushTerm(table=_push_agglomeration),
    "guidance": PushTerm(table=_push_guidance),
    "relocation_aid": PushTerm(table=_push_relocation_aid),
}


def push_terms(coef: Push) -> list[tuple[float, PushTerm]]:
    """(coefficient, term) of every push term with a non-zero coefficient, in summation order."""
    return [(beta, term) for name, term in PUSH_TERMS.items() if (beta := getattr(coef, name))]


def logistic(eta: np.ndarray | float) -> np.ndarray | float:
    """The push's link, 1 / (1 + exp(−η)), for arrays and for one firm's η."""
    return 1.0 / (1.0 + np.exp(-eta))


def push_probability(coef: Push, ctx: Context, movers: Movers, age_years: np.ndarray) -> np.ndarray:
    """Yearly probability that each firm relocates."""
    firms = _Batch(movers.place, movers.industry, movers.jobs, age_years)
    eta = np.full(movers.industry.shape, coef.intercept, dtype=float)
    for beta, term in push_terms(coef):
        eta += beta * term.z(ctx, firms)
    return np.asarray(logistic(eta))


# Each choice term is a table over what it depends on, computed once per batch on
# small arrays (D destinations, K industries, P places) and then gathered for
# the movers: V = T_dest + T_industry[k] + T_home[home] + T_place[place] + T_pk[place, k].
By = Literal["destination", "industry", "home", "place", "place_industry"]


def _dest(ctx: Context, values: np.ndarray) -> np.ndarray:
    return values[ctx.destinations]


def _by_industry(ctx: Context, intensity: str, per_destination: np.ndarray) -> np.ndarray:
    """(K, D): an industry's intensity times a destination attribute."""
    return ctx.state.data.industry_num[intensity][:, None] * per_destination[None, :]


def _term_wage(ctx: Context) -> np.ndarray:
    return _by_industry(ctx, "labour_intensity", np.log(_dest(ctx, ctx.wage)))


def _term_land(ctx: Context) -> np.ndarray:
    return _by_industry(ctx, "land_intensity", np.log(_dest(ctx, ctx.land)))


def _term_energy(ctx: Context) -> np.ndarray:
    return _by_industry(ctx, "energy_intensity", np.log(_dest(ctx, ctx.state.power)))


def _term_infrastructure(ctx: Context) -> np.ndarray:
    return _dest(ctx, ctx.state.infrastructure)


def _term_environment(ctx: Context) -> np.ndarray:
    return _dest(ctx, ctx.state.environment)


def _term_talent(ctx: Context) -> np.ndarray:
    return _by_industry(ctx, "skill_intensity", np.log1p(_dest(ctx, ctx.state.talent_k)))


def _term_agglomeration(ctx: Context) -> np.ndarray:
    return np.log1p(ctx.jobs_by_place_industry[ctx.destinations].T)


def _term_focus(ctx: Context) -> np.ndarray:
    return ctx.state.focus[ctx.destinations].T.astype(float)


def _term_supply_chain(ctx: Context) -> np.ndarray:
    """Supporting-cost gap of a thin cluster: intensity × (1 − own jobs / threshold)⁺ × (1 − support)."""
    st = ctx.state
    threshold = st.scenario.world.settlement.cluster_threshold_jobs
    own = ctx.jobs_by_place_industry[ctx.destinations].T  # (K, D)
    thin = np.maximum(0.0, 1.0 - own / threshold) * (1.0 - _dest(ctx, st.supplier_support))[None, :]
    return st.data.industry_num["supply_chain_intensity"][:, None] * thin


def _term_pairing(ctx: Context) -> np.ndarray:
    """(P_home, D): pairing strength where the destination is the home origin's partner park."""
    d = ctx.destinations
    partner = ctx.state.data.partner[d]
    homes = np.arange(ctx.state.data.n_places)
    return (partner[None, :] == homes[:, None]) * ctx.state.pairing_strength[d][None, :]


def _term_ties(ctx: Context) -> np.ndarray:
    return ctx.state.data.ties[:, ctx.destinations]


def _term_distance(ctx: Context) -> np.ndarray:
    return np.log(np.maximum(ctx.state.data.distance_km[:, ctx.destinations], 1.0))


def _term_subsidy(ctx: Context) -> np.ndarray:
    return np.log1p(ctx.offered[:, :, ctx.destinations] / SUBSIDY_UNIT_YUAN)


def _term_guidance(ctx: Context) -> np.ndarray:
    return ctx.state.guidance_pull[:, :, ctx.destinations]


@dataclass(frozen=True)
class Term:
    """One choice term: the table it gives (`by` = what it depends on), the Context fields it reads.

    `reads` is what the term's function may touch; a test runs every term on a
    Context holding only those fields. A term is recomputed between the
    batches of a year exactly when it reads a field in `WITHIN_YEAR_FIELDS`.
    """

    by: By
    reads: frozenset[str]
    fn: Callable[[Context], np.ndarray]

    def __post_init__(self) -> None:
        unknown = self.reads - CONTEXT_FIELDS
        if unknown:
            raise ValueError(f"term reads {sorted(unknown)}, which Context does not have")

    @property
    def within_year(self) -> bool:
        return bool(self.reads & WITHIN_YEAR_FIELDS)


def _reads(*fields: str) -> frozenset[str]:
    return frozenset(("destinations", *fields))


# Keys are the `behaviour.choice` coefficients. The order is the order of summation.
TERMS: dict[str, Term] = {
    "wage": Term("industry", _reads("state", "wage"), _term_wage),
    "land": Term("industry", _reads("state", "land"), _term_land),
    "energy": Term("industry", _reads("state"), _term_energy),
    "infrastructure": Term("destination", _reads("state"), _term_infrastructure),
    "environment": Term("destination", _reads("state"), _term_environment),
    "talent": Term("industry", _reads("state"), _term_talent),
    "agglomeration": Term("industry", _reads("jobs_by_place_industry"), _term_agglomeration),
    "focus": Term("industry", _reads("state"), _term_focus),
    "pairing": Term("home", _reads("state"), _term_pairing),
    "ties": Term("home", _reads("state"), _term_ties),
    "distance": Term("place", _reads("state"), _term_distance),
    "subsidy": Term("place_industry", _reads("offered"), _term_subsidy),
    "guidance": Term("place_industry", _reads("state"), _term_guidance),
    "supply_chain": Term("industry", _reads("state", "jobs_by_place_industry"), _term_supply_chain),
}
# Derived from what each term reads: the terms that change between the batches of a year.
WITHIN_YEAR_TERMS: frozenset[str] = frozenset(name for name, term in TERMS.items() if term.within_year)

Tables = dict[By, np.ndarray]


def utility_tables(coef: Choice, ctx: Context, within_year: bool | None = None) -> Tables:
    """Σ β · term, summed within each dependency kind; terms with β = 0 are skipped.

    within_year=False gives the terms fixed for the whole year (computed once a
    year), True those that change between batches, None all of them.
    """
    tables: Tables = {}
    for name, term in TERMS.items():
        beta = getattr(coef, name)
        if beta and (within_year is None or term.within_year == within_year):
            part = beta * term.fn(ctx)
            by = term.by
            tables[by] = tables[by] + part if by in tables else part
    return tables


def utilities(coef: Choice, ctx: Context, movers: Movers, year_tables: Tables | None = None) -> np.ndarray:
    """(n, D) systematic utilities; the firm's current place is excluded (−inf).

    `year_tables` are the year's fixed terms (`utility_tables(..., within_year=False)`);
    without them every term is computed here.
    """
    if year_tables is None:
        parts = [utility_tables(coef, ctx)]
    else:
        parts = [year_tables, utility_tables(coef, ctx, within_year=True)]
    return utilities_from_tables(parts, ctx.destinations, movers)


def utilities_from_tables(parts: list[Tables], destinations: np.ndarray, movers: Movers) -> np.ndarray:
    """(n, D) utilities gathered from term tables already computed (summed in the order given).

    The per-agent twin calls this for one firm with the tables its model posted.
    """
    keys = {"industry": movers.industry, "home": movers.home, "place": movers.place}
    v = np.zeros((len(movers.industry), len(destinations)))
    for tables in parts:
        for by, table in tables.items():
            if by == "destination":
                v += table[None, :]
            elif by == "place_industry":
                v += table[movers.place, movers.industry]
            else:
                v += table[keys[by]]
    v[movers.place[:, None] == destinations[None, :]] = -np.inf
    return v


def choice_probabilities(v: np.ndarray) -> np.ndarray:
    """Row-wise softmax, stable against large utilities."""
    v = v - v.max(axis=1, keepdims=True)
    e = np.exp(v)
    return e / e.sum(axis=1, keepdims=True)


def sample_choice(prob: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Inverse-CDF draw of one column per row from uniforms u in [0, 1).

    u is scaled by the row total rather than the total forced to 1, so that a
    column of probability 0 can never be drawn, rounding included.
    """
    cdf = np.cumsum(prob, axis=1)
    return (cdf <= u[:, None] * cdf[:, -1:]).sum(axis=1)
