"""A year's choice rows: each group's utilities, the year's part summed once, the rest per batch.

DESIGN §6: at experiment scale a run costs its fixed work per year and per
batch, not its work per firm. The utility of a group (origin, current place,
industry) is a sum of term tables (model.choice); the model used to rebuild
every table and re-sum every row for the push and again for each batch. Here:

- the terms fixed for the year are summed once a year, into one row per group
  of the year's push (`YearRows.fixed`); a batch's firms are among the push's
  firms and have not moved yet, so their groups are rows of it;
- a batch adds to its groups' rows only the within-year terms (wage and land
  with congestion, agglomeration, supply chain), recomputed from the jobs
  the earlier batches moved; the offer terms (`kept`) are kept until an
  offer runs out, as before;
- the (place, industry, destination) terms (subsidy, guidance) are evaluated
  only for the (place, industry) cells of the year's groups, not for the
  whole P × K × D cube (`cell_context`).

Every element is the same floating-point operations in the same order as
`utilities_from_tables([year tables, within-year tables], ...)` on the groups:
rows start at 0 and add the tables in the same order, a place-industry table is
the same values whether computed for all cells and then gathered or for the
gathered cells only, and the numpy functions used give each element the same
result wherever it sits in an array. The model's results are therefore the
same bit for bit (tools/output_digest.py compares them).
"""

from __future__ import annotations

import dataclasses
import weakref
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, cast

import numpy as np

from model.choice import TERMS, Context, Movers, NestSpec, Tables, Term, inclusive_value, nest_values, nested_logit

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


def add_tables(v: np.ndarray, tables: Tables, keys: dict[str, np.ndarray], cell: np.ndarray) -> None:
    """v += each table gathered for the rows (`utilities_from_tables`, place-industry tables by cell).

    `keys` holds the rows' "industry", "home" and "place".
    """
    for by, table in tables.items():
        if by == "destination":
            v += table[None, :]
        elif by == "place_industry":
            v += table[cell]
        else:
            v += table[keys[by]]


_CODE_ORDER = ("home", "place", "industry")  # the order of the groups' keys (model.groups)


def summed_rows(tables: Tables, keys: dict[str, np.ndarray], cell: np.ndarray, width: int) -> np.ndarray:
    """(n, width): 0 plus every table gathered for each row, in order: `add_tables` on zeros, with less work.

    The sums are kept over the distinct combinations of the keys the tables
    read so far (one row, then one per industry, per (home, industry), ...),
    and a row is split only when a table reads a key that tells its groups
    apart. Each group's row goes through the same additions in the same
    order as with `add_tables`, so the values are the same bit for bit.
    """
    n = len(cell)
    sizes = {name: int(keys[name].max(initial=0)) + 1 for name in _CODE_ORDER}
    space: set[str] = set()
    partial = np.zeros((1, width))
    first = np.zeros(1, dtype=np.int64)  # a group of each partial row
    index = np.zeros(n, dtype=np.int64)  # each group's partial row
    for by, table in tables.items():
        if by == "destination":
            partial += table[None, :]
            continue
        need = {"place", "industry"} if by == "place_industry" else {by}
        if not need <= space:
            space |= need
            code = np.zeros(n, dtype=np.int64)
            for name in _CODE_ORDER:
                if name in space:
                    code = code * sizes[name] + keys[name]
            _, split, inverse = np.unique(code, return_index=True, return_inverse=True)
            partial = partial[index[split]]
            first, index = split, inverse
        partial += table[cell[first]] if by == "place_industry" else table[keys[by][first]]
    if len(first) == n and np.array_equal(first, np.arange(n)):
        return partial  # one row per group already, in the groups' order: no copy needed
    return partial[index]


def _needs_offered(coef: Choice, names: Any) -> bool:
    return any(getattr(coef, n) and TERMS[n].by == "place_industry" and "offered" in TERMS[n].reads for n in names)


class YearRows:
    """The choice rows of the groups of one year's push (see the module docstring).

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
        self.own = column[members.place]  # each row's own place among the columns (−1: not a destination)
        active = active_terms(coef, None if whole else False)
        fixed = cell_tables(active, ctx, self._cells(ctx, [name for name, _, _ in active]))
        self.fixed = summed_rows(fixed, self._keys(slice(None)), self.cell, len(ctx.destinations))
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

    def _keys(self, rows: np.ndarray | slice) -> dict[str, np.ndarray]:
        m = self.members
        return {"industry": m.industry[rows], "home": m.home[rows], "place": m.place[rows]}

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

    def utilities(self, rows: np.ndarray | slice, within: Tables) -> np.ndarray:
        """(n, D) utilities of the groups `rows`; each row's own place is excluded (−inf)."""
        v = self.fixed[rows]  # a copy for an index array; copied below for a slice
        if isinstance(rows, slice):
            v = v.copy()
        add_tables(v, within, self._keys(rows), self.cell[rows])
        own = self.own[rows]
        has = np.flatnonzero(own >= 0)
        v[has, own[has]] = -np.inf
        return v

    def inclusive_values(self, ctx: Context) -> np.ndarray:
        """(G,) IV of every group, a block of rows at a time."""
        within = self.within(ctx)
        n = len(self.members.industry)
        iv = np.empty(n)
        step = max(1, CHUNK_CELLS // max(1, self.fixed.shape[1]))
        for start in range(0, n, step):
            rows = slice(start, start + step)
            iv[rows] = inclusive_value(nest_values(self.utilities(rows, within), self.nests), self.nests)
        return iv

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
