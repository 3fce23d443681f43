"""Fitting the gravity yardstick (GDP^a · km^b, experiments.facts.yardsticks) to the model's fitted facts.

The yardstick must get the same chance as the model: its a and b are fitted
to the same facts with the same distance, Σ_f w_f d_f (the calibration's
weights; experiments.facts.measures gives each d_f in [0, 1]), on hindcast
runs through the experiment engine and the run store (so `--resume` replays
them). The search is a grid, cheap and deterministic:

1. coarse: a ∈ {0, 0.5, …, 2} × b ∈ {0, −0.5, …, −3}: 35 points. a = 0 is
   no mass effect, 2 twice the proportional one (gravity models put the mass
   elasticity near 1: assumption, the usual reading of Tinbergen's and
   Anderson's equations); b = 0 is no distance effect, −3 more than three
   times the distance elasticity of trade gravity models (about −0.9 on
   average in Disdier & Head's 2008 meta-analysis, REStat 90(1)) and below
   the model's own calibrated −1.32 (scenarios/baseline.yaml). (0, 0) is the
   null model, so the fitted yardstick is at least as close as the null;
2. fine: the 3 × 3 neighbourhood of the coarse best at step 0.25 (at most 8
   more points, inside the coarse ranges).

Each point is `len(seeds)` runs (the caller's fit seeds: the calibration's
own, or the report's; common random numbers across points), so the budget
is at most 43 × R hindcast runs. The best point is the one with the least
distance (ties: the first in grid order; how many points tie is reported,
since a flat grid says the facts do not tell a and b apart). The grid and every point's facts
are written to `gravity.csv` in the result folder; the yardstick's facts are
then measured on the same fresh seeds as the model's.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from experiments.engine.faults import Fault
from experiments.engine.pool import Engine, RunStats
from experiments.engine.store import RunStore, Task
from experiments.facts.catalogue import FACTS, HINDCAST_SUMMARY, Fact
from experiments.facts.yardsticks import gravity_overrides
from model.config import Scenario
from model.world import WorldData
from report.read import read_table

COARSE_A = (0.0, 0.5, 1.0, 1.5, 2.0)
COARSE_B = (0.0, -0.5, -1.0, -1.5, -2.0, -2.5, -3.0)
FINE_STEP = 0.25
GRAVITY_FILE = "gravity.csv"
GRAVITY_COLUMNS = ("round", "a", "b", "fact", "weight", "value", "met", "distance", "total", "chosen")
Point = tuple[float, float]
ScenarioFor = Callable[[dict[str, float], str], Scenario]


def _code(x: float) -> str:
    """A grid value in a run's name (names allow letters, digits, _ and -): 0.5 -> p0_50, -1.25 -> m1_25."""
    return f"{x:+.2f}".replace("+", "p").replace("-", "m").replace(".", "_")


def coarse_points() -> list[Point]:
    return [(a, b) for a in COARSE_A for b in COARSE_B]


def fine_points(best: Point, done: Sequence[Point]) -> list[Point]:
    """The 3 × 3 neighbourhood of `best` at FINE_STEP inside the coarse ranges, less the points already run."""
    a0, b0 = best
    out = []
    for da in (-FINE_STEP, 0.0, FINE_STEP):
        for db in (FINE_STEP, 0.0, -FINE_STEP):
            a, b = a0 + da, b0 + db
            inside = min(COARSE_A) <= a <= max(COARSE_A) and min(COARSE_B) <= b <= max(COARSE_B)
            if inside and (a, b) not in done and (a, b) not in out:
                out.append((a, b))
    return out


@dataclass(frozen=True)
class Score:
    """One grid point: its round, each fitted fact's value, met and distance, and the weighted total."""

    round: int
    point: Point
    values: dict[str, float]
    met: dict[str, bool | None]
    distances: dict[str, float]
    total: float


@dataclass(frozen=True)
class GravityFit:
    scores: list[Score]  # in the order run
    best: Score
    facts: tuple[str, ...]
    weights: dict[str, float]
    replications: int

    @property
    def a(self) -> float:
        return self.best.point[0]

    @property
    def b(self) -> float:
        return self.best.point[1]

    @property
    def tied(self) -> int:
        """How many grid points share the least distance (1: the facts single the best point out)."""
        return sum(math.isclose(s.total, self.best.total, rel_tol=1e-12, abs_tol=1e-12) for s in self.scores)

    def rows(self) -> list[list[Any]]:
        """gravity.csv: one row per grid point and fitted fact."""
        out = []
        for s in self.scores:
            chosen = "true" if s is self.best else "false"
            for f in self.facts:
                met = "" if s.met[f] is None else str(s.met[f]).lower()
                row = [s.round, *s.point, f, self.weights[f], s.values[f], met, s.distances[f], s.total, chosen]
                out.append(row)
        return out

    def manifest(self) -> dict[str, Any]:
        return {
            "a": self.a,
            "b": self.b,
            "distance": self.best.total,
            "points": len(self.scores),
            "tied": self.tied,
            "replications": self.replications,
            "runs": len(self.scores) * self.replications,
            "facts": list(self.facts),
        }


@dataclass(frozen=True)
class GravityGrid:
    """What the fit needs: the model's values to keep (its push), a scenario maker, seeds, facts and weights."""

    scenario_for: ScenarioFor  # dotted values, name -> the scenario over the hindcast window
    keep: dict[str, float]  # the model's own values (the gravity overrides replace every choice coefficient)
    seeds: tuple[int, ...]
    facts: tuple[str, ...]
    weights: dict[str, float]
    world: WorldData
    # Where the fact names are looked up: the catalogue, or candidates screened before they join it
    # (experiments.facts.screening).
    catalogue: Mapping[str, Fact] = field(default_factory=lambda: FACTS)

    def values(self, point: Point) -> dict[str, float]:
        return {**self.keep, **gravity_overrides(*point)}

    def tasks(self, point: Point, prefix: str, seeds: Sequence[int] | None = None) -> list[Task]:
        """The runs of the yardstick at `point` on `seeds` (default: the fit seeds)."""
        a, b = point
        name = f"{prefix}-a{_code(a)}-b{_code(b)}"
        scenario = self.scenario_for(self.values(point), name)
        return [
            Task(f"{name}-r{r:02d}", scenario, seed, {"model": "gravity", "a": a, "b": b}, reducer=HINDCAST_SUMMARY)
            for r, seed in enumerate(self.seeds if seeds is None else seeds)
        ]

    def score(self, round_: int, point: Point, summaries: Sequence[dict[str, float]]) -> Score:
        values, met, distances = {}, {}, {}
        for f in self.facts:
            m = self.catalogue[f].of(summaries, self.world)
            values[f], met[f] = m.value, m.met
            distances[f] = float(m.distance) if math.isfinite(m.distance) else 1.0
        total = math.fsum(self.weights[f] * distances[f] for f in self.facts)
        return Score(round_, point, values, met, distances, total)


def _run_round(grid: GravityGrid, points: list[Point], round_: int, engine: Engine, store: RunStore) -> tuple:
    tasks = {p: grid.tasks(p, "gravity-fit") for p in points}
    every = [t for group in tasks.values() for t in group]
    stats = engine.run(every, store)
    if stats.failed:
        bad = store.failures(every)[0]
        raise Fault(
            f"a run of the gravity yardstick's fit failed ({bad.task_id}: {bad.error}); the finished runs are kept "
            f"in {store.root}: fix the cause and rerun with --resume"
        )
    records = {t.task_id: rec for t, rec in store.records(every)}
    scores = [grid.score(round_, p, [records[t.task_id].summary or {} for t in tasks[p]]) for p in points]
    return scores, every, stats


def fit_gravity(grid: GravityGrid, engine: Engine, store: RunStore) -> tuple[GravityFit, list[Task], list[RunStats]]:
    """The coarse grid, then the fine neighbourhood of its best (module docstring); every task run, their stats."""
    coarse, tasks, first = _run_round(grid, coarse_points(), 1, engine, store)
    best = min(coarse, key=lambda s: s.total)  # min keeps the first of equal totals: grid order
    fine, more, second = _run_round(grid, fine_points(best.point, coarse_points()), 2, engine, store)
    scores = [*coarse, *fine]
    best = min(scores, key=lambda s: s.total)
    fit = GravityFit(scores, best, grid.facts, dict(grid.weights), len(grid.seeds))
    return fit, [*tasks, *more], [first, second]


@dataclass(frozen=True)
class FittedGravity:
    """What a report says of the fit, read back from gravity.csv."""

    a: float
    b: float
    distance: float
    points: int
    facts: tuple[str, ...]
    tied: int  # grid points with the least distance: the first in grid order is the one taken


def read_gravity(folder: Path) -> FittedGravity | None:
    """gravity.csv of a result folder, or None for a folder written before the gravity yardstick existed."""
    if not (folder / GRAVITY_FILE).is_file():
        return None
    rows = read_table(folder, GRAVITY_FILE, GRAVITY_COLUMNS)
    totals = {(r.number("a"), r.number("b")): r.number("total") for r in rows}
    chosen = [r for r in rows if r.flag("chosen")]
    if not chosen:
        return None
    facts = tuple(dict.fromkeys(r.text("fact") for r in chosen))
    best = chosen[0]
    least = best.number("total")
    tied = sum(math.isclose(t, least, rel_tol=1e-12, abs_tol=1e-12) for t in totals.values())
    return FittedGravity(best.number("a"), best.number("b"), least, len(totals), facts, tied)
