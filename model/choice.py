"""The two stages of a firm's decision, evaluated for many firms at once.

Push: p = 1 / (1 + exp(−η)), η = intercept + Σ push.k z_k.
Pull: conditional logit over the allowed destinations, V_ij = Σ choice.k x_ijk,
sampled by inverse CDF from one uniform per firm so that a firm's draw is the
same whatever the policy (common random numbers).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np

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
    """Attributes of the year that the utility terms read (P places, K industries)."""

    state: WorldState
    destinations: np.ndarray  # (D,) place indices
    jobs_by_place_industry: np.ndarray  # (P, K), real units
    wage: np.ndarray  # (P,) with congestion
    land: np.ndarray  # (P,) with congestion
    offered: np.ndarray  # (P_from, K, P_to) yuan per job


def effective_prices(
    state: WorldState, jobs_total: np.ndarray, jobs_total_start: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Congestion: wages and land prices rise with the jobs a place has gained."""
    cong = state.scenario.world.congestion
    gain = np.maximum(0.0, jobs_total - jobs_total_start) / state.data.place_num["capacity_jobs"]
    return state.wage * (1 + gain) ** cong.wage_elasticity, state.land * (1 + gain) ** cong.land_elasticity


def cost_pressure(
    state: WorldState, industry: np.ndarray, place: np.ndarray, wage: np.ndarray, land: np.ndarray
) -> np.ndarray:
    """Σ intensity × ln(price index) at the firm's current place (a K × P table, then looked up)."""
    num = state.data.industry_num
    table = (
        num["labour_intensity"][:, None] * np.log(wage)[None, :]
        + num["land_intensity"][:, None] * np.log(land)[None, :]
        + num["energy_intensity"][:, None] * np.log(state.power)[None, :]
    )
    return table[industry, place]


def push_probability(
    coef: Push,
    ctx: Context,
    movers: Movers,
    age_years: np.ndarray,
) -> np.ndarray:
    """Yearly probability that each firm relocates."""
    state = ctx.state
    eta = np.full(movers.industry.shape, coef.intercept, dtype=float)
    if coef.cost_pressure:
        eta += coef.cost_pressure * cost_pressure(state, movers.industry, movers.place, ctx.wage, ctx.land)
    if coef.size:
        eta += coef.size * np.log(movers.jobs / SIZE_REFERENCE_JOBS)
    if coef.age:
        eta += coef.age * np.log((1.0 + age_years) / (1.0 + AGE_REFERENCE_YEARS))
    if coef.agglomeration:
        own = ctx.jobs_by_place_industry[movers.place, movers.industry]
        eta += coef.agglomeration * np.log((1.0 + own) / (1.0 + CLUSTER_REFERENCE_JOBS))
    if coef.guidance:
        eta += coef.guidance * state.guidance_push[movers.place, movers.industry]
    if coef.relocation_aid and state.offers:
        aid = np.zeros((state.data.n_places, state.data.n_industries))
        for offer in state.offers:
            if offer.remaining_yuan > 0:
                aid += offer.yuan_per_job.max(axis=2)
        eta += coef.relocation_aid * np.log1p(aid[movers.place, movers.industry] / SUBSIDY_UNIT_YUAN)
    return 1.0 / (1.0 + np.exp(-eta))


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


TERMS: dict[str, tuple[By, Callable[[Context], np.ndarray]]] = {
    "wage": ("industry", _term_wage),
    "land": ("industry", _term_land),
    "energy": ("industry", _term_energy),
    "infrastructure": ("destination", _term_infrastructure),
    "environment": ("destination", _term_environment),
    "talent": ("industry", _term_talent),
    "agglomeration": ("industry", _term_agglomeration),
    "focus": ("industry", _term_focus),
    "pairing": ("home", _term_pairing),
    "ties": ("home", _term_ties),
    "distance": ("place", _term_distance),
    "subsidy": ("place_industry", _term_subsidy),
    "guidance": ("place_industry", _term_guidance),
    "supply_chain": ("industry", _term_supply_chain),
}
# Terms that change between the batches of a year: congestion prices, jobs, budgets.
WITHIN_YEAR_TERMS = frozenset({"wage", "land", "agglomeration", "supply_chain", "subsidy"})

Tables = dict[By, np.ndarray]


def utility_tables(coef: Choice, ctx: Context, within_year: bool | None = None) -> Tables:
    """Σ β · term, summed within each dependency kind; terms with β = 0 are skipped.

    within_year=False gives the terms fixed for the whole year (computed once a
    year), True those that change between batches, None all of them.
    """
    tables: Tables = {}
    for name, (by, term) in TERMS.items():
        beta = getattr(coef, name)
        if beta and (within_year is None or (name in WITHIN_YEAR_TERMS) == within_year):
            part = beta * term(ctx)
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
    keys = {"industry": movers.industry, "home": movers.home, "place": movers.place}
    v = np.zeros((len(movers.industry), len(ctx.destinations)))
    for tables in parts:
        for by, table in tables.items():
            if by == "destination":
                v += table[None, :]
            elif by == "place_industry":
                v += table[movers.place, movers.industry]
            else:
                v += table[keys[by]]
    v[movers.place[:, None] == ctx.destinations[None, :]] = -np.inf
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
