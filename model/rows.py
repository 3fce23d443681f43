"""A year's choice rows: each group's utilities, the year's part summed once, the rest per batch.

DESIGN §6: at experiment scale a run costs its fixed work per year and per
batch, not its work per firm. The utility of a group (origin, current place,
industry) is a sum of term tables (model.choice); the model used to rebuild
every table and re-sum every row for the push and again for each batch. Here:

- the terms fixed for the year are summed once a year (`YearRows.fixed`); a
  batch's firms are among the push's firms and have not moved yet, so their
  groups are rows of it;
- a batch adds to its groups' rows only the within-year terms (wage and land
  with congestion, agglomeration, supply chain), recomputed from the jobs
  the earlier batches moved; the offer terms (`kept`) are kept until an
  offer runs out, as before;
- the (place, industry, destination) terms (subsidy, guidance) are evaluated
  only for the (place, industry) cells of the year's groups, not for the
  whole P × K × D cube (`cell_context`);
- a group's row is its (place, industry) cell's row plus its home's row (the
  home terms, pairing and ties, are the only ones that read the origin), so the
  rows are kept per cell and per home, and the year's inclusive values are
  computed per (cell, home) by a matrix product of the two factors'
  exponentials (`factored_nest_values`): the exponentials of about half as
  many rows as there are groups.

The values are those of `utilities_from_tables` and the nested logit on the
groups' summed rows to rounding (≤ 1e-15 relative; tests/test_rows.py), not bit
for bit: the sums are taken in another order. On the shipped scenarios at 5,000
and 30,000 firms (3 seeds each) every choice, count and flow is the same as
with the summed rows; only the mean move probability differs, in its 16th
digit, below the 10 digits the tables print.
"""

from __future__ import annotations

import dataclasses
import weakref
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, cast

import numpy as np

from model.choice import TERMS, Context, Movers, NestSpec, Tables, Term, inclusive_value, nested_logit

if TYPE_CHECKING:
    from model.config import Choice
    from model.state import WorldState
    from model.world import WorldData

# Rows of utilities evaluated at a time for the inclusive values alone: temporaries
# of about 1 MiB stay in the cache instead of streaming (G, D) arrays through memory.
CHUNK_CELLS = 1 << 17


class _CellView:
    """A WorldState seen through n (place, industry) cells: its (P, K, ·) arrays read as (n, 1, ·).

    A place-industry term reads (P_from, K, P_to) arrays and works element by
    element along the first two axes (it indexes or transforms the last one),
    so on these views it gives the rows of its table for the cells only.
    """

    def __init__(self, state: WorldState, place: np.ndarray, industry: np.ndarray) -> None:
        self._state, self._place, self._industry = state, place, industry
        self._shape = (state.data.n_places, state.data.n_industries)

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._state, name)
        if isinstance(value, np.ndarray) and value.ndim == 3 and value.shape[:2] == self._shape:
            return value[self._place, self._industry][:, None, :]
        return value


def cell_context(ctx: Context, place: np.ndarray, industry: np.ndarray, offered: bool) -> Context:
    """`ctx` restricted to the cells (place[i], industry[i]) for the place-industry terms.

    `offered` (the open offers' yuan per job) is gathered from `ctx.offered` when
    the context has it, else summed for the cells only (`WorldState.offered_yuan_per_job`).
    """
    rows = None
    if offered:
        if ctx.offered is not None:
            rows = ctx.offered[place, industry][:, None, :]
        else:
            rows = ctx.state.offered_yuan_per_job((place, industry))
    view = cast("WorldState", _CellView(ctx.state, place, industry))
    return dataclasses.replace(ctx, state=view, offered=cast(np.ndarray, rows))


Active = list[tuple[str, Term, float]]


def active_terms(coef: Choice, within_year: bool | None) -> Active:
    """(name, term, β) of the terms with β ≠ 0 that `utility_tables(coef, ctx, within_year)` sums, in its order."""
    return [
        (name, term, beta)
        for name, term in TERMS.items()
        if (beta := getattr(coef, name)) and (within_year is None or term.within_year == within_year)
    ]


def cell_tables(
    active: Active, ctx: Context, cells: Callable[[], Context], given: Mapping[str, np.ndarray] | None = None
) -> Tables:
    """`model.choice.utility_tables` of the `active` terms, each place-industry table as (n cells, D) rows."""
    tables: Tables = {}
    for name, term, beta in active:
        if given is not None and name in given:
            part = given[name]
        elif term.static:
            part = beta * _static_table(term, ctx)
        elif term.by == "place_industry":
            x = term.fn(cells())
            part = beta * x.reshape(x.shape[0], x.shape[-1])
        else:
            part = beta * term.fn(ctx)
        by = term.by
        tables[by] = tables[by] + part if by in tables else part
    return tables


# Static term tables (`Term.static`) per world, kept while the world is: one per (function,
# destinations) for all the runs of an experiment in this process. Keyed by the function
# itself, so a replaced term (a test's counting wrapper) is computed afresh.
_STATIC: weakref.WeakKeyDictionary[WorldData, dict[tuple[Callable[[Context], np.ndarray], bytes], np.ndarray]] = (
    weakref.WeakKeyDictionary()
)


def _static_table(term: Term, ctx: Context) -> np.ndarray:
    """The term's table for this world and these destinations, computed the first time it is asked for."""
    tables = _STATIC.setdefault(ctx.state.data, {})
    key = (term.fn, ctx.destinations.tobytes())
    if key not in tables:
        table = term.fn(ctx)
        table.setflags(write=False)
        tables[key] = table
    return tables[key]


def add_tables(v: np.ndarray, tables: Tables, industry: np.ndarray, place: np.ndarray, cell: np.ndarray) -> None:
    """v += each (non-home) table gathered for rows of the given industry, place and cell."""
    for by, table in tables.items():
        if by == "destination":
            v += table[None, :]
        elif by == "place_industry":
            v += table[cell]
        elif by == "industry":
            v += table[industry]
        elif by == "place":
            v += table[place]
        else:
            raise ValueError(f"a {by} table is summed apart (YearRows.home_rows)")


def factored_nest_values(f: np.ndarray, h: np.ndarray, spec: NestSpec) -> np.ndarray:
    """(C, H, G) IV_g of the utilities f[c] + h[k] of every cell c and home k, without forming the C·H rows.

    exp((f + h) / λ) = exp(f / λ) · exp(h / λ), so each nest's sum over its
    destinations is a matrix product: Σ_j e^{f_cj/λ − m_c} e^{h_kj/λ − n_k} = (E_f E_hᵀ)_ck,
    each factor scaled by its row's maximum (m_c, n_k), so that no exp overflows
    and the largest term of each factor is 1. f may hold −inf (a place excluded);
    h is finite. The same values as the nested logit's IV on the summed rows,
    to rounding (tests/test_rows.py). The IV of each row is `model.nested.inclusive_value` of its IV_g.
    """
    n_cells, n_homes = f.shape[0], h.shape[0]
    iv_g = np.empty((n_cells, n_homes, len(spec.names)))
    for g, block in enumerate(spec.blocks):
        lam = spec.lambdas[g]
        fs, hs = f[:, block] / lam, h[:, block] / lam
        mf = np.maximum.reduce(fs, axis=1)
        finite = np.isfinite(mf)
        mf = np.where(finite, mf, 0.0)
        mh = np.maximum.reduce(hs, axis=1)
        np.subtract(fs, mf[:, None], out=fs)
        np.exp(fs, out=fs)
        np.subtract(hs, mh[:, None], out=hs)
        np.exp(hs, out=hs)
        with np.errstate(divide="ignore"):
            out = np.log(fs @ hs.T) + mf[:, None] + mh[None, :]
        iv_g[:, :, g] = np.where(finite[:, None], out, -np.inf)
    return iv_g


def _needs_offered(coef: Choice, names: Any) -> bool:
    return any(getattr(coef, n) and TERMS[n].by == "place_industry" and "offered" in TERMS[n].reads for n in names)


class YearRows:
    """The choice rows of the groups of one year's push (see the module docstring).

    A group's utility is the row of its (place, industry) cell plus the row of its
    home: every term but the home terms (pairing, ties) reads the cell only. The
    rows are kept that way, per cell (`fixed`) and per home (`home_rows`), and summed
    for the groups a batch needs; the year's inclusive values come from the factors
    (`factored_inclusive_values`), on the cells instead of the groups (about half as many).

    Args:
        coef: the choice coefficients.
        nests: the nests of the destination columns.
        ctx: the context at the year's start (after the levers), with or without `offered`.
        members: one representative of each group (its industry, current place and home).
        kept: the offer terms, kept between batches until an offer runs out (model.choice.OFFER_TERMS).
        whole: sum every term into the fixed rows, in the order of `utility_tables(coef, ctx)`,
            and add nothing later (IV_ref: one moment, not a year).
    """

    def __init__(
        self, coef: Choice, nests: NestSpec, ctx: Context, members: Movers, kept: frozenset[str], whole: bool = False
    ) -> None:
        d = ctx.state.data
        self.coef, self.nests, self.members, self.kept, self.whole = coef, nests, members, kept, whole
        cells, self.cell = np.unique(members.place * d.n_industries + members.industry, return_inverse=True)
        self.cell_place, self.cell_industry = cells // d.n_industries, cells % d.n_industries
        column = np.full(d.n_places, -1, dtype=np.int64)
        column[ctx.destinations] = np.arange(len(ctx.destinations))
        self.cell_own = column[self.cell_place]  # each cell's own place among the columns (−1: not a destination)
        self.homes, self.home_of = np.unique(members.home, return_inverse=True)
        active = active_terms(coef, None if whole else False)
        cells_ctx = self._cells(ctx, [name for name, _, _ in active])
        on_cell = [a for a in active if a[1].by != "home"]
        on_home = [a for a in active if a[1].by == "home"]
        width = len(ctx.destinations)
        self.fixed = np.zeros((len(cells), width))
        add_tables(self.fixed, cell_tables(on_cell, ctx, cells_ctx), self.cell_industry, self.cell_place, slice(None))
        home = cell_tables(on_home, ctx, cells_ctx).get("home")
        self.home_rows = home[self.homes] if home is not None else np.zeros((len(self.homes), width))
        self._within = active_terms(coef, True)
        self._kept_key: tuple[bool, ...] | None = None
        self._kept_parts: dict[str, np.ndarray] = {}

    def _cells(self, ctx: Context, names: Any) -> Callable[[], Context]:
        """The cells' context, built when a place-industry term first asks for it."""
        made: list[Context] = []

        def get() -> Context:
            if not made:
                offered = _needs_offered(self.coef, names)
                made.append(cell_context(ctx, self.cell_place, self.cell_industry, offered))
            return made[0]

        return get

    def within(self, ctx: Context) -> Tables:
        """The within-year tables at this moment; the offer terms recomputed only when an offer ran out."""
        if self.whole:
            return {}
        key = tuple(offer.remaining_yuan > 0 for offer in ctx.state.offers)
        if key != self._kept_key:
            self._kept_key = key
            names = [n for n in TERMS if n in self.kept and getattr(self.coef, n)]
            cells = self._cells(ctx, names)
            self._kept_parts = {n: _part(self.coef, n, ctx, cells) for n in names}
        return cell_tables(self._within, ctx, self._cells(ctx, TERMS), given=self._kept_parts)

    def fixed_rows(self, rows: np.ndarray | slice = slice(None)) -> np.ndarray:
        """(n, D) the year's fixed part of the groups `rows`: their cell's row plus their home's (no exclusion)."""
        return self.fixed[self.cell[rows]] + self.home_rows[self.home_of[rows]]

    def utilities(self, rows: np.ndarray, within: Tables) -> np.ndarray:
        """(n, D) utilities of the groups `rows`; each row's own place is excluded (−inf)."""
        c = self.cell[rows]
        v = self.fixed[c]
        v += self.home_rows[self.home_of[rows]]
        add_tables(v, within, self.cell_industry[c], self.cell_place[c], c)
        own = self.cell_own[c]
        has = np.flatnonzero(own >= 0)
        v[has, own[has]] = -np.inf
        return v

    def inclusive_values(self, ctx: Context) -> np.ndarray:
        """(G,) IV of every group: per (cell, home) from the factors, then gathered."""
        f = self.fixed.copy()
        add_tables(f, self.within(ctx), self.cell_industry, self.cell_place, slice(None))
        has = np.flatnonzero(self.cell_own >= 0)
        f[has, self.cell_own[has]] = -np.inf
        iv_g = factored_nest_values(f, self.home_rows, self.nests)[self.cell, self.home_of]
        return inclusive_value(iv_g, self.nests)

    def probabilities(self, ctx: Context, rows: np.ndarray) -> np.ndarray:
        """(n, D) P(destination) of the nested logit for the groups `rows`, at this moment."""
        return nested_logit(self.utilities(rows, self.within(ctx)), self.nests)[0]


def _part(coef: Choice, name: str, ctx: Context, cells: Callable[[], Context]) -> np.ndarray:
    """β · x of one term (`model.choice.term_parts`), as cell rows if it is a place-industry term."""
    term = TERMS[name]
    x = term.fn(cells() if term.by == "place_industry" else ctx)
    if term.by == "place_industry":
        x = x.reshape(x.shape[0], x.shape[-1])
    return getattr(coef, name) * x
