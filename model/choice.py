"""The two stages of a firm's decision, evaluated for many firms at once.

Push: p = 1 / (1 + exp(−η)), η = intercept + Σ push.k z_k.
Pull: conditional logit over the allowed destinations, V_ij = Σ choice.k x_ijk,
sampled by inverse CDF from one uniform per firm so that a firm's draw is the
same whatever the policy (common random numbers).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

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
    """Σ intensity × ln(price index) at the firm's current place."""
    num = state.data.industry_num
    return (
        num["labour_intensity"][industry] * np.log(wage[place])
        + num["land_intensity"][industry] * np.log(land[place])
        + num["energy_intensity"][industry] * np.log(state.power[place])
    )


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


def _term_wage(ctx: Context, m: Movers) -> np.ndarray:
    return (
        ctx.state.data.industry_num["labour_intensity"][m.industry, None] * np.log(ctx.wage[ctx.destinations])[None, :]
    )


def _term_land(ctx: Context, m: Movers) -> np.ndarray:
    return ctx.state.data.industry_num["land_intensity"][m.industry, None] * np.log(ctx.land[ctx.destinations])[None, :]


def _term_energy(ctx: Context, m: Movers) -> np.ndarray:
    return (
        ctx.state.data.industry_num["energy_intensity"][m.industry, None]
        * np.log(ctx.state.power[ctx.destinations])[None, :]
    )


def _term_infrastructure(ctx: Context, m: Movers) -> np.ndarray:
    return np.broadcast_to(ctx.state.infrastructure[ctx.destinations], (len(m.industry), len(ctx.destinations)))


def _term_environment(ctx: Context, m: Movers) -> np.ndarray:
    return np.broadcast_to(ctx.state.environment[ctx.destinations], (len(m.industry), len(ctx.destinations)))


def _term_talent(ctx: Context, m: Movers) -> np.ndarray:
    return (
        ctx.state.data.industry_num["skill_intensity"][m.industry, None]
        * np.log1p(ctx.state.talent_k[ctx.destinations])[None, :]
    )


def _term_agglomeration(ctx: Context, m: Movers) -> np.ndarray:
    return np.log1p(ctx.jobs_by_place_industry[ctx.destinations][:, m.industry].T)


def _term_focus(ctx: Context, m: Movers) -> np.ndarray:
    return ctx.state.focus[ctx.destinations][:, m.industry].T.astype(float)


def _term_pairing(ctx: Context, m: Movers) -> np.ndarray:
    d = ctx.destinations
    partner = ctx.state.data.partner[d]
    return (partner[None, :] == m.home[:, None]) * ctx.state.pairing_strength[d][None, :]


def _term_ties(ctx: Context, m: Movers) -> np.ndarray:
    return ctx.state.data.ties[m.home][:, ctx.destinations]


def _term_distance(ctx: Context, m: Movers) -> np.ndarray:
    km = ctx.state.data.distance_km[m.place][:, ctx.destinations]
    return np.log(np.maximum(km, 1.0))


def _term_subsidy(ctx: Context, m: Movers) -> np.ndarray:
    return np.log1p(ctx.offered[m.place, m.industry][:, ctx.destinations] / SUBSIDY_UNIT_YUAN)


def _term_supply_chain(ctx: Context, m: Movers) -> np.ndarray:
    """Supporting-cost gap of a thin cluster: intensity × (1 − own jobs / threshold)⁺ × (1 − support)."""
    st = ctx.state
    threshold = st.scenario.world.settlement.cluster_threshold_jobs
    own = ctx.jobs_by_place_industry[ctx.destinations][:, m.industry].T
    thin = np.maximum(0.0, 1.0 - own / threshold) * (1.0 - st.supplier_support[ctx.destinations])[None, :]
    return st.data.industry_num["supply_chain_intensity"][m.industry, None] * thin


def _term_guidance(ctx: Context, m: Movers) -> np.ndarray:
    return ctx.state.guidance_pull[m.place, m.industry][:, ctx.destinations]


TERMS: dict[str, Callable[[Context, Movers], np.ndarray]] = {
    "wage": _term_wage,
    "land": _term_land,
    "energy": _term_energy,
    "infrastructure": _term_infrastructure,
    "environment": _term_environment,
    "talent": _term_talent,
    "agglomeration": _term_agglomeration,
    "focus": _term_focus,
    "pairing": _term_pairing,
    "ties": _term_ties,
    "distance": _term_distance,
    "subsidy": _term_subsidy,
    "guidance": _term_guidance,
    "supply_chain": _term_supply_chain,
}


def utilities(coef: Choice, ctx: Context, movers: Movers) -> np.ndarray:
    """(n, D) systematic utilities; the firm's current place is excluded (−inf)."""
    v = np.zeros((len(movers.industry), len(ctx.destinations)))
    for name, term in TERMS.items():
        beta = getattr(coef, name)
        if beta:
            v += beta * term(ctx, movers)
    v[movers.place[:, None] == ctx.destinations[None, :]] = -np.inf
    return v


def choice_probabilities(v: np.ndarray) -> np.ndarray:
    """Row-wise softmax, stable against large utilities."""
    v = v - v.max(axis=1, keepdims=True)
    e = np.exp(v)
    return e / e.sum(axis=1, keepdims=True)


def sample_choice(prob: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Inverse-CDF draw of one column per row from uniforms u in [0, 1)."""
    cdf = np.cumsum(prob, axis=1)
    cdf[:, -1] = 1.0  # guard against rounding just below 1
    return (cdf <= u[:, None]).sum(axis=1)
