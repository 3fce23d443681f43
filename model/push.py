"""The push: whether a firm moves this year, p = 1 / (1 + exp(−η)) (DESIGN §2).

η = push.intercept + Σ push.k z_k + push.inclusive_value · (IV − IV_ref).

The z are firm-internal and origin terms (`PUSH_TERMS`): cost pressure at the
current place, size, age, own-industry agglomeration, and the southern levers
that act on staying (industry guidance). What the destinations offer reaches
the move decision only through the inclusive value IV of the nested choice
(model.nested), centred on IV_ref so that the intercept keeps its meaning:
the log-odds that the reference firm moves when the destinations offer what
the data says. Money offered only at northern places therefore never enters
the push directly.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import numpy as np

from model.context import Context, Movers, cost_pressure_table

if TYPE_CHECKING:
    from model.config import Push

# Push covariates are centred on a reference firm, so that `push.intercept` is
# the log-odds that a 100-job, 10-year-old firm among 10,000 own-industry jobs,
# at cost indices of 1 and destinations as in the data (IV = IV_ref), moves in a year.
SIZE_REFERENCE_JOBS = 100.0
AGE_REFERENCE_YEARS = 10.0
CLUSTER_REFERENCE_JOBS = 10_000.0


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
    `own(firm)` works on arrays and on one firm's floats alike; `steady` says
    it reads only what never changes for a firm (its jobs), so the model
    computes it once per firm rather than every year.
    """

    table: Callable[[Context], np.ndarray] | None = None
    own: Callable[[PushFirms], np.ndarray | float] | None = None
    steady: bool = False

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


# Keys are the `behaviour.push` coefficients (all but `intercept` and `inclusive_value`), in the order η sums them.
PUSH_TERMS: dict[str, PushTerm] = {
    "cost_pressure": PushTerm(table=_push_cost_pressure),
    "size": PushTerm(own=_push_size, steady=True),
    "age": PushTerm(own=_push_age),
    "agglomeration": PushTerm(table=_push_agglomeration),
    "guidance": PushTerm(table=_push_guidance),
}


def push_terms(coef: Push) -> list[tuple[float, PushTerm]]:
    """(coefficient, term) of every z term with a non-zero coefficient, in summation order."""
    return [(beta, term) for name, term in PUSH_TERMS.items() if (beta := getattr(coef, name))]


def logistic(eta: np.ndarray | float) -> np.ndarray | float:
    """The push's link, 1 / (1 + exp(−η)), for arrays and for one firm's η.

    For η below about −709 exp(−η) overflows to inf and the link is exactly its
    limit 0, so the overflow is expected, not reported; the formula is kept as
    it is (bit for bit) so that every run's random stream is unchanged.
    """
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-eta))


def group_eta_table(coef: Push, ctx: Context) -> np.ndarray:
    """(P, K): the intercept plus every group term of η, for each (current place, industry)."""
    d = ctx.state.data
    table = np.full((d.n_places, d.n_industries), coef.intercept, dtype=float)
    for beta, term in push_terms(coef):
        if term.table is not None:
            table += beta * term.table(ctx)
    return table


def own_eta(coef: Push, firms: PushFirms, steady: bool) -> np.ndarray | float:
    """Σ β · z of the firm terms that are (steady=True) or are not (False) fixed for a firm."""
    total: np.ndarray | float = 0.0
    for beta, term in push_terms(coef):
        if term.own is not None and term.steady == steady:
            total = total + beta * term.own(firms)
    return total


def push_eta(
    coef: Push, ctx: Context, movers: Movers, age_years: np.ndarray, iv_gap: np.ndarray | float = 0.0
) -> np.ndarray:
    """η of each firm; `iv_gap` is IV − IV_ref of each firm (0: a push that ignores the destinations)."""
    firms = _Batch(movers.place, movers.industry, movers.jobs, age_years)
    eta = np.full(movers.industry.shape, coef.intercept, dtype=float)
    for beta, term in push_terms(coef):
        eta += beta * term.z(ctx, firms)
    if coef.inclusive_value:
        eta += coef.inclusive_value * iv_gap
    return eta


def push_probability(
    coef: Push, ctx: Context, movers: Movers, age_years: np.ndarray, iv_gap: np.ndarray | float = 0.0
) -> np.ndarray:
    """Yearly probability that each firm relocates."""
    return np.asarray(logistic(push_eta(coef, ctx, movers, age_years, iv_gap)))
