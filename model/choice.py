"""The choice rule: the utility terms of a destination, V_ij = Σ choice.k x_ijk (DESIGN §2).

Each term is a table over what it depends on (`Term.by`), computed on small
arrays (D destinations, K industries, P places) and gathered for a group of
firms; a term declares the `Context` fields it reads, and the terms
recomputed between the batches of a year are derived from that
(`WITHIN_YEAR_TERMS`). Utilities go into one nested logit (model.nested),
whose inclusive value also enters the push (model.push).

This is the one definition of the rule: the model evaluates it for groups of
firms (origin, current place, industry), and the per-agent benchmark
(`benchmarks/per_agent.py`) evaluates the same terms for one firm at a time.
The push, context and nested-logit names are re-exported here, so that
`model.choice` is where a reader finds the whole decision.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np

from model.context import (
    CONTEXT_FIELDS,
    SUBSIDY_UNIT_YUAN,
    WITHIN_YEAR_FIELDS,
    Context,
    Movers,
    cost_pressure,
    cost_pressure_table,
    effective_prices,
)
from model.nested import NestSpec, inclusive_value, nest_shares, nest_values, nested_logit
from model.push import (
    PUSH_TERMS,
    PushTerm,
    group_eta_table,
    logistic,
    own_eta,
    push_eta,
    push_probability,
    push_terms,
)

if TYPE_CHECKING:
    from model.config import Choice

__all__ = [
    "CONTEXT_FIELDS",
    "OFFER_TERMS",
    "PUSH_TERMS",
    "SUBSIDY_UNIT_YUAN",
    "TERMS",
    "WITHIN_YEAR_FIELDS",
    "WITHIN_YEAR_TERMS",
    "Context",
    "Movers",
    "NestSpec",
    "PushTerm",
    "Tables",
    "Term",
    "choice_probabilities",
    "cost_pressure",
    "cost_pressure_table",
    "effective_prices",
    "group_eta_table",
    "inclusive_value",
    "logistic",
    "nest_shares",
    "nest_values",
    "nested_logit",
    "own_eta",
    "push_eta",
    "push_probability",
    "push_terms",
    "sample_choice",
    "term_parts",
    "utilities",
    "utilities_from_tables",
    "utility_tables",
]


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


# GDP below CNY 1 bn (no place of places.csv comes near) counts as 1 bn, so ln stays finite (as distance's 1 km).
GDP_FLOOR_TRN_CNY = 0.001


def _term_log_gdp(ctx: Context) -> np.ndarray:
    """ln(2022 GDP of the destination, trillion yuan; a park's is its host county's, places.csv)."""
    gdp = ctx.state.data.place_num["gdp2022_trn_cny"]
    return np.log(np.maximum(_dest(ctx, gdp), GDP_FLOOR_TRN_CNY))


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
    # True when the table depends on the world data and the destinations only (not on the
    # year, the scenario or the levers): computed once per world per process (model.rows).
    static: bool = False

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
    "ties": Term("home", _reads("state"), _term_ties, static=True),
    "distance": Term("place", _reads("state"), _term_distance, static=True),
    "subsidy": Term("place_industry", _reads("offered"), _term_subsidy),
    "guidance": Term("place_industry", _reads("state"), _term_guidance),
    "supply_chain": Term("industry", _reads("state", "jobs_by_place_industry"), _term_supply_chain),
    # 0 in the shipped model (so skipped); the gravity yardstick's mass term: with distance, GDP^a · km^b.
    "log_gdp": Term("destination", _reads("state"), _term_log_gdp, static=True),
}
# Derived from what each term reads: the terms that change between the batches of a year.
WITHIN_YEAR_TERMS: frozenset[str] = frozenset(name for name, term in TERMS.items() if term.within_year)
# Of those, the terms whose only changing input is `offered`: they change within a year only
# when an offer's budget runs out, so a caller may keep their tables until then (`given`).
OFFER_TERMS: frozenset[str] = frozenset(
    name for name, term in TERMS.items() if term.reads & WITHIN_YEAR_FIELDS == {"offered"}
)

Tables = dict[By, np.ndarray]


def term_parts(coef: Choice, ctx: Context, names: Iterable[str]) -> dict[str, np.ndarray]:
    """β · x of each named term with β ≠ 0, as `utility_tables` would add it (for `given`)."""
    return {name: beta * TERMS[name].fn(ctx) for name in names if (beta := getattr(coef, name))}


def utility_tables(
    coef: Choice, ctx: Context, within_year: bool | None = None, given: Mapping[str, np.ndarray] | None = None
) -> Tables:
    """Σ β · term, summed within each dependency kind; terms with β = 0 are skipped.

    within_year=False gives the terms fixed for the whole year (computed once a
    year), True those that change between batches, None all of them. `given`
    holds β · x of terms already computed for this same moment (`term_parts`),
    used instead of computing them again; the sums are the same.
    """
    tables: Tables = {}
    for name, term in TERMS.items():
        beta = getattr(coef, name)
        if beta and (within_year is None or term.within_year == within_year):
            part = given[name] if given is not None and name in given else beta * term.fn(ctx)
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


def sample_choice(prob: np.ndarray, u: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
    """Inverse-CDF draw of one column per row from uniforms u in [0, 1).

    u is scaled by the row total rather than the total forced to 1, so that a
    column of probability 0 can never be drawn, rounding included. With `rows`,
    draw u[i] from row rows[i] of `prob` (one row per group, many firms per
    row): the same draws as `sample_choice(prob[rows], u)`, each row's CDF summed once.
    """
    cdf = np.cumsum(prob, axis=1)
    if rows is not None:
        cdf = cdf[rows]
    return (cdf <= u[:, None] * cdf[:, -1:]).sum(axis=1)
