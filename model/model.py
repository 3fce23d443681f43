"""RelocationModel: the yearly schedule, nothing else.

A year: (1) levers and cost trends update the world; this year's entrants are
born in the origins; (2) every active firm draws whether it moves: the push,
whose η includes the inclusive value of its destinations; (3) movers choose a
destination by one nested logit (nest, then place), in `batches_per_year`
random batches with jobs, congestion and budgets updated between batches;
(4) movers settle (subsidies paid while budgets last, productivity shocks from
talent, skills and thin clusters) and other firms may close; (5) the year is
recorded (a YearRecord, and a DataCollector row).

Utilities, inclusive values and choice probabilities are computed per group
of firms (origin, current place, industry), never per firm: a year costs a
few array passes over the firms plus work on the groups. Firms are Mesa
agents only when someone looks (`model.agents`, model.firms.AgentView).

Tools that build Mesa models from keyword parameters (`mesa.batch_run`) can
construct it with scenario overrides as keywords (`firms__count=2000`); the
DataCollector's reporters (model.keywords.REPORTERS) come from the metric catalogue.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, cast

import mesa
import numpy as np

from model.choice import (
    OFFER_TERMS,
    Context,
    Movers,
    NestSpec,
    Tables,
    effective_prices,
    group_eta_table,
    logistic,
    own_eta,
    sample_choice,
    utility_tables,
)
from model.config import Scenario
from model.firms import AgentView, draw_firms
from model.groups import FirmGroups, Groups
from model.keywords import REPORTERS, SeedLike, resolve_seed, scenario_with
from model.levers import build_levers
from model.metrics import AGE_BANDS_YEARS, SIZE_BANDS_JOBS, Results, YearRecord, sparse_flows
from model.rows import YearRows
from model.settlement import closure_hazard, move_shock, pay_offers
from model.state import WorldState
from model.world import WorldData, world_for

logger = logging.getLogger(__name__)

DRAWS_PER_FIRM_YEAR = 4  # push, choice, batch order, closure


class RelocationModel(mesa.Model):
    """Firms in southern origins deciding each year whether and where to move.

    `RelocationModel(scenario, seed, data)` is how `simulate` and the experiments
    build it. The keyword form exists for tools that construct Mesa models from
    keyword parameters, such as `mesa.batch_run`:
    `RelocationModel(seed=1, firms__count=2000, policies__talent__annual_budget_yuan=3e9)`.

    Args:
        scenario: the validated scenario; None builds one from `scenario_file`,
            or from the schema defaults (named "defaults") if no file is given.
        seed: the seed of this run's one random generator: an integer ≥ 0, a
            `numpy.random.SeedSequence` (or a sequence of integers, its entropy)
            turned into the integer `generate_state(1, uint64)[0]` as
            `model.seeds.replication_seeds` does, or None to draw one
            from OS entropy. The seed used is `self.seed` and a reporter.
        data: the world tables (loaded from the scenario's data files if None).
        rng: the same as `seed` (Mesa's newer name); give one of the two.
        scenario_file: a scenario YAML file to read when `scenario` is None.
        **params: scenario overrides by dotted key path with `__` for `.`, e.g.
            `firms__count=2000`, `behaviour__choice__talent=1.2`; validated like
            a scenario file (unknown keys and out-of-range values are InputError).
    """

    def __init__(
        self,
        scenario: Scenario | None = None,
        seed: SeedLike | None = None,
        data: WorldData | None = None,
        *,
        rng: SeedLike | None = None,
        scenario_file: str | Path | None = None,
        **params: Any,
    ) -> None:
        scenario = scenario_with(scenario, scenario_file, params)
        seed = resolve_seed(seed, rng)
        super().__init__(rng=seed)
        self.config = scenario
        self.seed = seed
        self.data = d = data if data is not None else world_for(scenario)
        self.weight = scenario.firms.represented / scenario.firms.count
        self.state = WorldState(d, scenario)
        self.levers = build_levers(scenario, d)
        self.destinations = np.flatnonzero(np.isin(d.kinds, scenario.world.destination_kinds))
        self.nests = NestSpec.of(list(d.kinds[self.destinations]), scenario.behaviour.nests.model_dump())
        self.kind_of = {kind: d.kinds == kind for kind in ("north_park", "jiangsu_city", "outside_city")}
        # A firm can only move if some allowed destination is not where it already is.
        n_dest = len(self.destinations)
        self._has_alternative = n_dest - np.isin(np.arange(d.n_places), self.destinations) > 0
        years = scenario.years
        self.firms = draw_firms(scenario.firms, d, self.rng, years.start, years.end - years.start + 1)
        self.firm_groups = FirmGroups(d, self.firms, self.nests)  # each firm's group key, kept up to date
        self.jobs_pk = d.base_jobs.copy()
        self._add_jobs(np.flatnonzero(self.firms.active), +1.0)
        self.jobs_total_start = self.jobs_pk.sum(axis=1)
        self.year = years.start - 1
        self.records: list[YearRecord] = []
        self._year_tables: Tables = {}  # for `_parts` only (checks and tools)
        # The year's choice rows of the push's groups, and the row of each group key (model.rows).
        self._rows: YearRows | None = None
        self._row_of_key = np.zeros(0, dtype=np.int64)
        self.iv_ref = self._reference_inclusive_value()
        # Push terms that read only what never changes for a firm (its jobs), once per firm.
        steady = own_eta(scenario.behaviour.push, _AllFirms(self.firms), steady=True)
        self._steady_z = np.broadcast_to(np.asarray(steady, dtype=float), (len(self.firms),)).copy()
        # Each firm's size band times the number of age bands (its size never changes): `_mobility`'s key, less its age.
        self._size_key = _band(self.firms.jobs, SIZE_BANDS_JOBS).astype(np.int16) * np.int16(len(AGE_BANDS_YEARS))
        self._steady_hazard = closure_hazard(scenario.world.settlement, self.firms.log_productivity)  # see `_close`
        self._agent_view = AgentView()
        # One row per year, collected at the end of `step`; `mesa.batch_run` reads it.
        self.datacollector = mesa.DataCollector(model_reporters=dict(REPORTERS))

    # --- Mesa agents, on demand --------------------------------------------

    @property
    def agents(self) -> Any:
        """Mesa's AgentSet of the active firms (built when first asked for each year)."""
        if "_agent_view" in self.__dict__:
            self._agent_view.sync(self)
        return super().agents

    @property
    def agents_by_type(self) -> Any:
        if "_agent_view" in self.__dict__:
            self._agent_view.sync(self)
        return super().agents_by_type

    # --- set-up -----------------------------------------------------------

    def _add_jobs(self, firms: np.ndarray, sign: float, place: np.ndarray | None = None) -> None:
        f, d = self.firms, self.data
        where = f.place[firms] if place is None else place
        cells = where * d.n_industries + f.industry[firms]
        add = np.bincount(cells, weights=f.jobs[firms], minlength=d.n_places * d.n_industries)
        self.jobs_pk += (sign * self.weight) * add.reshape(d.n_places, d.n_industries)

    def _reference_inclusive_value(self) -> float:
        """IV_ref: the mean inclusive value of the initial firms in the world as the data describe it.

        Computed once, from the data alone at the start (no levers, no outside
        incentives, no cost growth, no congestion), so that no policy or world
        setting moves it: `push.intercept` is then the log-odds of moving for
        the reference firm when the destinations offer what the data says, and
        everything a scenario changes reaches the push through IV − IV_ref.
        """
        st = WorldState(self.data, self.config)
        st.begin_year(self.config.years.start)
        st.outside_subsidy[:] = 0.0
        ctx = Context(st, self.destinations, self.jobs_pk, st.wage, st.land, cast(np.ndarray, None))
        firms = np.flatnonzero(self.firms.active)
        if not len(firms):
            return 0.0
        g = self.firm_groups.group(firms)
        g.iv = YearRows(
            self.config.behaviour.choice, self.nests, ctx, g.members, frozenset(), whole=True
        ).inclusive_values(ctx)
        finite = np.isfinite(g.iv)
        return float(np.average(g.iv[finite], weights=g.counts[finite])) if finite.any() else 0.0

    def _parts(self, ctx: Context) -> list[Tables]:
        """The whole term tables at this moment: `_year_tables` (set by the caller) and the within-year ones.

        For checks and tools that evaluate the rule directly (`FirmGroups.of`); the
        model's years use `YearRows`, which gives the same values (DESIGN §2).
        """
        return [self._year_tables, utility_tables(self.config.behaviour.choice, ctx, within_year=True)]

    # --- one year ----------------------------------------------------------

    def step(self) -> None:
        """Advance one year."""
        self.year += 1
        st, f, beh = self.state, self.firms, self.config.behaviour
        st.begin_year(self.year)
        spend = {lever.key: lever.apply(st, self.year) for lever in self.levers}
        # Whole numbers: exact in any order. Not `np.dot`, whose BLAS threads cost milliseconds under load.
        start_jobs = self.weight * _masked_sum(f.jobs, f.active)
        # Firms are stored in birth order (model.firms.draw_firms): this year's entrants are one run of rows.
        year_key = f.birth_year.dtype.type(self.year)
        first, n_drawn = (int(np.searchsorted(f.birth_year, year_key, side=side)) for side in ("left", "right"))
        born = np.arange(first, n_drawn) if self.year > self.config.years.start else np.empty(0, int)
        f.active[born] = True
        self._add_jobs(born, +1.0)
        # Every firm born so far draws every year, moving or not: common random numbers.
        u = self.rng.random((DRAWS_PER_FIRM_YEAR, n_drawn), dtype=np.float32)
        alive = np.flatnonzero(f.active)

        ctx = self._context(offered=False)
        p_move, groups = self._push(ctx, alive)
        movers = alive[(u[0, alive] < p_move) & self._has_alternative[groups.members.place][groups.inverse]]
        stocks = self._stocks(alive, groups)
        mobility = self._mobility(alive, movers)
        order = movers[np.argsort(u[2, movers], kind="stable")]
        flows: list[np.ndarray] = []
        for batch in np.array_split(order, beh.batches_per_year):
            if len(batch):
                flows.append(self._move_batch(batch, u[1, batch], spend))

        moved = np.zeros(len(f), dtype=bool)
        moved[movers] = True
        closed = self._close(alive[~moved[alive]], u[3])
        f.move_shock *= 1.0 - self.config.world.settlement.recovery_per_year
        np.add(f.age_years, f.active, out=f.age_years, casting="unsafe")  # +1 where active, in float32
        stayed_jobs = self.weight * _masked_sum(f.jobs, f.active & ~moved)
        record = self._record(start_jobs, stayed_jobs, born, movers, closed, spend, flows, p_move, stocks)
        record.mobility = mobility
        self.records.append(record)
        self.running = self.year < self.config.years.end
        self.datacollector.collect(self)

    def _push(self, ctx: Context, alive: np.ndarray) -> tuple[np.ndarray, Groups]:
        """Each alive firm's probability of moving this year (DESIGN §2), computed per group then per firm.

        η = [intercept + group terms + inclusive_value · (IV − IV_ref)] of the
        firm's group + its steady firm terms (size, computed once) + its other
        firm terms (age): the same terms `model.push.push_eta` sums. Also returns the groups.
        The year's choice rows of the groups are kept for the batches (`model.rows.YearRows`).
        """
        coef = self.config.behaviour.push
        g = self.firm_groups.group(alive)
        self._rows = YearRows(self.config.behaviour.choice, self.nests, ctx, g.members, OFFER_TERMS)
        g.iv = self._rows.inclusive_values(ctx)
        assert g.lookup is not None
        self._row_of_key = g.lookup
        eta_g = group_eta_table(coef, ctx)[g.members.place, g.members.industry]
        if coef.inclusive_value:
            eta_g = eta_g + coef.inclusive_value * (g.iv - self.iv_ref)
        ages = _AllFirms(self.firms, alive)
        eta = eta_g[g.inverse] + self._steady_z[alive] + own_eta(coef, ages, steady=False)
        return np.asarray(logistic(eta)), g

    def _context(self, offered: bool = True) -> Context:
        """The context at this moment; without `offered` its offers' cube is None (`YearRows` sums cells only)."""
        wage, land = effective_prices(self.state, self.jobs_pk.sum(axis=1), self.jobs_total_start)
        cube = self.state.offered_yuan_per_job() if offered else cast(np.ndarray, None)
        return Context(self.state, self.destinations, self.jobs_pk, wage, land, cube)

    def _movers(self, firms: np.ndarray) -> Movers:
        f = self.firms
        return Movers(f.industry[firms], f.place[firms], f.home[firms], f.jobs[firms])

    def _stocks(self, alive: np.ndarray, g: Groups) -> np.ndarray:
        """(2, P, K) firms and jobs at each place and industry at the start of the year (after its births).

        Summed per group, then per cell: exact, as counts and jobs are whole numbers.
        """
        d = self.data
        cells = g.members.place * d.n_industries + g.members.industry
        n = d.n_places * d.n_industries
        group_jobs = np.bincount(g.inverse, weights=self.firms.jobs[alive], minlength=len(g.counts))
        firms = np.bincount(cells, weights=g.counts, minlength=n) * self.weight
        jobs = np.bincount(cells, weights=group_jobs, minlength=n) * self.weight
        return np.stack([firms, jobs]).reshape(2, d.n_places, d.n_industries)

    def _mobility(self, alive: np.ndarray, movers: np.ndarray) -> np.ndarray:
        """(2, S, A) firms at the start of the year and movers, by size and age band (represented firms)."""
        bands_a = len(AGE_BANDS_YEARS)
        shape = (len(SIZE_BANDS_JOBS), bands_a)
        out = np.zeros((2, *shape))
        for row, firms in enumerate((alive, movers)):
            age_band = _band(self.firms.age_years[firms], AGE_BANDS_YEARS)
            keys = self._size_key[firms] + age_band
            out[row] = (np.bincount(keys, minlength=shape[0] * shape[1]) * self.weight).reshape(shape)
        return out

    def _move_batch(self, batch: np.ndarray, u_choice: np.ndarray, spend: dict[str, float]) -> np.ndarray:
        """Choose destinations for one batch (by group), pay subsidies, move jobs; return (4, n) flow entries."""
        f, st = self.firms, self.state
        assert self._rows is not None, "the year's push comes first"
        # The batch's firms have not moved this year: their groups are rows of the year's push.
        rows, inverse = np.unique(self._row_of_key[self.firm_groups.key[batch]], return_inverse=True)
        prob = self._rows.probabilities(self._context(offered=False), rows)
        dest = self.destinations[sample_choice(prob, u_choice, rows=inverse)]
        m = self._movers(batch)
        jobs_real = self.weight * m.jobs
        received, retention = pay_offers(st.offers, m, dest, jobs_real, spend)
        f.move_shock[batch] += move_shock(st, self.jobs_pk, m, dest, received, retention)
        self._add_jobs(batch, -1.0)
        self._add_jobs(batch, +1.0, place=dest)
        origin = m.place.copy()
        f.place[batch] = dest
        f.moves[batch] += 1
        self.firm_groups.moved(batch)
        return np.stack([origin, dest, m.industry, jobs_real])

    def _close(self, candidates: np.ndarray, u_close: np.ndarray) -> np.ndarray:
        """Firms that close this year; low productivity raises the hazard."""
        s = self.config.world.settlement
        f = self.firms
        # A firm that never moved has no shock (phi is its own level): its hazard, computed once, is
        # the same number. Only firms with a shock have theirs computed again.
        hazard = self._steady_hazard[candidates]
        shocked = np.flatnonzero(f.move_shock[candidates] != 0)
        if len(shocked):
            c = candidates[shocked]
            hazard[shocked] = closure_hazard(s, f.log_productivity[c] + f.move_shock[c])
        closed = candidates[u_close[candidates] < hazard]
        self._add_jobs(closed, -1.0)
        f.active[closed] = False
        return closed

    def _record(
        self,
        start_jobs: float,
        stayed_jobs: float,
        born: np.ndarray,
        movers: np.ndarray,
        closed: np.ndarray,
        spend: dict[str, float],
        flows: list[np.ndarray],
        p_move: np.ndarray,
        stocks: np.ndarray,
    ) -> YearRecord:
        f, w, d = self.firms, self.weight, self.data
        entries = np.concatenate(flows, axis=1) if flows else np.zeros((4, 0))
        to_dest = np.bincount(entries[1].astype(np.int64), weights=entries[3], minlength=d.n_places)
        north = self.kind_of["north_park"]
        north_stock = float(self.jobs_pk[north].sum() - self.data.base_jobs[north].sum())
        return YearRecord(
            year=self.year,
            firms_active=w * np.count_nonzero(f.active),
            relocations=w * len(movers),
            relocated_jobs=w * f.jobs[movers].sum(),
            to_north_jobs=float(to_dest[self.kind_of["north_park"]].sum()),
            to_jiangsu_jobs=float(to_dest[self.kind_of["jiangsu_city"]].sum()),
            to_outside_jobs=float(to_dest[self.kind_of["outside_city"]].sum()),
            born_firms=w * len(born),
            born_jobs=w * f.jobs[born].sum(),
            closures=w * len(closed),
            closed_jobs=w * f.jobs[closed].sum(),
            start_jobs=start_jobs,
            stayed_jobs=stayed_jobs,
            jobs_in_north_parks=north_stock,
            mean_move_probability=float(p_move.mean()) if len(p_move) else 0.0,
            fiscal_by_lever={lever.key: spend.get(lever.key, 0.0) for lever in self.levers},
            flows=sparse_flows(entries, w, d.n_places, d.n_industries),
            stocks=stocks,
            mobility=np.zeros((2, len(SIZE_BANDS_JOBS), len(AGE_BANDS_YEARS))),
        )

    def run(self) -> Results:
        """Run every year of the scenario and return the recorded results."""
        while self.year < self.config.years.end:
            self.step()
        return Results.from_records(self.records, self.data, self.seed, self.config.years)


def _masked_sum(values: np.ndarray, mask: np.ndarray) -> float:
    """Σ values where mask, without the BLAS (exact for whole numbers below 2**53, in any order)."""
    return float(np.add.reduce(np.where(mask, values, 0.0)))


def _band(values: np.ndarray, bounds: tuple[float, ...]) -> np.ndarray:
    """Band of each value (int8): how many lower bounds it reaches, less one (`searchsorted(..., "right") - 1`)."""
    band = np.full(values.shape, -1, dtype=np.int8)
    for bound in bounds:
        band += values >= bound
    return band


class _AllFirms:
    """Firms as the push's firm terms read them (`model.push.PushFirms`): all, or the rows `index`."""

    def __init__(self, firms: Any, index: np.ndarray | None = None) -> None:
        self._firms, self._index = firms, index

    @property
    def jobs(self) -> np.ndarray:
        j = self._firms.jobs
        return j if self._index is None else j[self._index]

    @property
    def age_years(self) -> np.ndarray:
        a = self._firms.age_years
        return a if self._index is None else a[self._index]


def simulate(scenario: Scenario, seed: int, data: WorldData | None = None) -> Results:
    """Run one replication: the single entry point for CLI, experiments and tools."""
    return RelocationModel(scenario, seed, data).run()
