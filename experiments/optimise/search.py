"""The decision search, with no model in it: decisions, objectives, pymoo's NSGA-II, re-evaluation, the front.

`Search.run` drives pymoo's NSGA-II by ask and tell. It never runs the model:
it asks its `evaluate` callback for blocks of evidence on packages it has not
seen (or wants to see again) and reads the robust objective values from them
(experiments.optimise.outcomes). So the same machinery runs the model through
the experiment engine (experiments.optimise.experiment) and a synthetic
objective in the tests, whose front is known.

Noise. Each package is first evaluated on block 0 (the same seeds and worlds
for every package: common random numbers, so two packages differ by their
levers only). After every generation, each package on the current estimated
front that has fewer than `reevaluate` blocks is run on its next block (fresh
seeds, the base again on the same seeds), and its estimate pools every block
it has; the population's values are refreshed before pymoo selects, so a
package that made the front on a lucky block loses its place when the next
block does not repeat the luck. The final front is confirmed on a block of
fresh seeds by experiments.optimise.certify.

Decisions are encoded for pymoo as real numbers: a range as itself, a set of
values or a switch as [0, n) cut into n equal parts. Two encodings that decode
to the same package are the same package (one key, evaluated once).
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from experiments.optimise.outcomes import Evidence, Robustness, nanmean, world_means

Value = float | int | bool | str
Package = dict[str, Value]
SWITCH = ("off", "on")
RANGE_DIGITS = 4  # significant digits a range decision is rounded to: packages that differ below it are one package


@dataclass(frozen=True)
class Decision:
    """One thing the search may set: a key's range, one of a set of values, or a whole lever off or on."""

    key: str
    kind: str  # range | values | switch
    low: float = 0.0
    high: float = 1.0
    values: tuple[Value, ...] = ()
    integer: bool = False

    @property
    def bounds(self) -> tuple[float, float]:
        if self.kind == "range":
            return self.low, self.high
        return 0.0, float(len(self.choices))

    @property
    def choices(self) -> tuple[Value, ...]:
        return SWITCH if self.kind == "switch" else self.values

    def decode(self, x: float) -> Value:
        if self.kind == "range":
            v = min(max(float(x), self.low), self.high)
            if self.integer:
                return round(v)
            return _round_sig(v, RANGE_DIGITS)
        n = len(self.choices)
        return self.choices[min(max(math.floor(x), 0), n - 1)]


def _round_sig(v: float, digits: int) -> float:
    if v == 0 or not math.isfinite(v):
        return v
    return round(v, digits - 1 - math.floor(math.log10(abs(v))))


def package_key(package: Package) -> str:
    """A package's id: a hash of its decision values (the same values, the same id, in any run)."""
    text = json.dumps(package, sort_keys=True, default=str)
    return "p" + hashlib.sha256(text.encode()).hexdigest()[:10]


@dataclass(frozen=True)
class Objective:
    metric: str
    better: str  # higher | lower

    @property
    def sign(self) -> float:
        """+1 to minimise the value as it is, −1 to minimise its negative (higher is better)."""
        return -1.0 if self.better == "higher" else 1.0


@dataclass(frozen=True)
class Constraint:
    """A bound on a metric's level (`max`, `min`) or paired change (`change_max`, `change_min`), mean over worlds."""

    metric: str
    kind: str
    bound: float

    def violation(self, change: float, level: float) -> float:
        """> 0 when violated (by how much), ≤ 0 when met."""
        value = change if self.kind.startswith("change") else level
        return value - self.bound if self.kind.endswith("max") else self.bound - value

    def text(self) -> str:
        what = "change in " if self.kind.startswith("change") else ""
        op = "≤" if self.kind.endswith("max") else "≥"
        return f"{what}{self.metric} {op} {self.bound:g}"


@dataclass(frozen=True)
class Scoring:
    """How evidence becomes objective values and constraint violations (the metrics' column order is `metrics`)."""

    metrics: tuple[str, ...]
    objectives: tuple[Objective, ...]
    constraints: tuple[Constraint, ...]
    robustness: Robustness

    def metrics_of_interest(self) -> list[str]:
        """The objectives', the constraints' and the probability target's metrics, in that order."""
        names = [o.metric for o in self.objectives] + [c.metric for c in self.constraints]
        if self.robustness.metric is not None:
            names.append(self.robustness.metric)
        return list(dict.fromkeys(names))

    def robust(self, change: np.ndarray) -> dict[str, float]:
        """Each metric's robust statistic of the world means of its change (W, R, M)."""
        means = world_means(change)
        return {m: float(self.robustness.of(means[:, j], m)) for j, m in enumerate(self.metrics)}

    def score(self, ev: Evidence) -> tuple[np.ndarray, np.ndarray]:
        """(F: objectives to minimise, G: constraint violations, ≤ 0 met) from all the package's blocks."""
        change, level = ev.pooled()
        robust = self.robust(change)
        f = np.array([o.sign * robust[o.metric] for o in self.objectives])
        mean_change = nanmean(change, axis=(0, 1))
        mean_level = nanmean(level, axis=(0, 1))
        col = {m: j for j, m in enumerate(self.metrics)}
        g = np.array(
            [c.violation(float(mean_change[col[c.metric]]), float(mean_level[col[c.metric]])) for c in self.constraints]
        )
        f = np.where(np.isfinite(f), f, np.inf)
        g = np.where(np.isfinite(g), g, np.inf)
        return f, g


def nondominated(f: np.ndarray, g: np.ndarray) -> list[int]:
    """Rows no other row dominates: among the feasible rows (all G ≤ 0) if any, else the least violating."""
    n = len(f)
    if not n:
        return []
    violation = np.maximum(g, 0.0).sum(axis=1) if g.size else np.zeros(n)
    feasible = np.flatnonzero(violation <= 0)
    if not len(feasible):
        best = violation.min()
        return [int(i) for i in np.flatnonzero(violation == best)]
    front = []
    for i in feasible:
        dominated = False
        for j in feasible:
            if j != i and np.all(f[j] <= f[i]) and np.any(f[j] < f[i]):
                dominated = True
                break
        if not dominated:
            front.append(int(i))
    # The same objective values twice (two packages the evidence cannot tell apart): both stay.
    return front


# (packages, block) -> each package's (paired changes, levels), (W, R, M) arrays, on that block's seeds
Evaluate = Callable[[list[tuple[str, Package]], int], dict[str, tuple[np.ndarray, np.ndarray]]]


@dataclass
class Generation:
    """What convergence.csv says of one generation."""

    search_seed: int
    generation: int
    packages: int  # distinct packages evaluated so far
    blocks: int  # package-blocks evaluated so far (block 0 and re-evaluations)
    front: list[str]  # the estimated front's package keys


@dataclass
class Search:
    """NSGA-II over the decisions (module docstring); `book` holds every package's evidence."""

    decisions: tuple[Decision, ...]
    scoring: Scoring
    evaluate: Evaluate
    population: int
    generations: int
    reevaluate: int = 2
    book: dict[str, Evidence] = field(default_factory=dict)
    packages: dict[str, Package] = field(default_factory=dict)
    history: list[Generation] = field(default_factory=list)
    order: list[str] = field(default_factory=list)  # package keys in the order first evaluated

    def decode(self, x: Sequence[float]) -> Package:
        return {d.key: d.decode(float(v)) for d, v in zip(self.decisions, x, strict=True)}

    def _ensure(self, packages: list[tuple[str, Package]], block: int) -> None:
        todo = [(k, p) for k, p in packages if block not in self.book.get(k, Evidence()).blocks]
        unique = list(dict(todo).items())
        if unique:
            results = self.evaluate(unique, block)
            for k, p in unique:
                self.book.setdefault(k, Evidence()).add(block, *results[k])
                if k not in self.packages:
                    self.packages[k] = p
                    self.order.append(k)

    def scores(self, keys: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        n_f, n_g = len(self.scoring.objectives), len(self.scoring.constraints)
        f, g = np.zeros((len(keys), n_f)), np.zeros((len(keys), n_g))
        for i, k in enumerate(keys):
            f[i], g[i] = self.scoring.score(self.book[k])
        return f, g

    def front(self) -> list[str]:
        """The estimated front over every package evaluated so far (pooled blocks)."""
        keys = list(self.order)
        f, g = self.scores(keys)
        return [keys[i] for i in nondominated(f, g)]

    def _reevaluate(self) -> None:
        """Front packages with fewer than `reevaluate` blocks get their next block, until the front has them all."""
        for _ in range(self.reevaluate):
            need: dict[int, list[tuple[str, Package]]] = {}
            for k in self.front():
                have = len(self.book[k].blocks)
                if have < self.reevaluate:
                    need.setdefault(have, []).append((k, self.packages[k]))
            if not need:
                return
            for block in sorted(need):
                self._ensure(need[block], block)

    def first_population(self, seed: int) -> np.ndarray:
        """The first generation: the cheapest corner (every range at its low end, every value and switch at its
        first: the status quo when the ranges start at 0 and the switches at off), then uniform draws.

        A random start alone rarely holds the corner where every lever is small or off, and NSGA-II reaches it
        late if at all, so the cheap end of the front would be missing; the corner costs one package.
        """
        lows = np.array([d.bounds[0] for d in self.decisions])
        highs = np.array([d.bounds[1] for d in self.decisions])
        rng = np.random.default_rng([seed, 17])
        x = lows + rng.random((self.population, len(self.decisions))) * (highs - lows)
        x[0] = lows
        return x

    def run(self, seed: int) -> None:
        """One NSGA-II search from `seed` (pymoo's generator), adding to the book (runs of several seeds pool)."""
        from pymoo.algorithms.moo.nsga2 import NSGA2
        from pymoo.core.evaluator import Evaluator
        from pymoo.core.problem import Problem
        from pymoo.problems.static import StaticProblem

        lows = np.array([d.bounds[0] for d in self.decisions])
        highs = np.array([d.bounds[1] for d in self.decisions])
        n_g = len(self.scoring.constraints)
        problem = Problem(
            n_var=len(self.decisions), n_obj=len(self.scoring.objectives), n_ieq_constr=n_g, xl=lows, xu=highs
        )
        algorithm = NSGA2(pop_size=self.population, sampling=self.first_population(seed), eliminate_duplicates=True)
        algorithm.setup(problem, termination=("n_gen", self.generations), seed=seed, verbose=False)
        generation = 0
        while algorithm.has_next():
            offspring = algorithm.ask()
            keyed = [(package_key(p), p) for p in (self.decode(x) for x in offspring.get("X"))]
            self._ensure(keyed, 0)
            self._reevaluate()
            f, g = self.scores([k for k, _ in keyed])
            Evaluator().eval(StaticProblem(problem, F=f, G=g if n_g else None), offspring)
            survivors = algorithm.pop
            if survivors is not None and len(survivors):
                keys = [package_key(self.decode(x)) for x in survivors.get("X")]
                fs, gs = self.scores(keys)  # re-evaluation may have changed a survivor's estimate
                survivors.set("F", fs)
                if n_g:
                    survivors.set("G", gs)
                    survivors.set("CV", np.maximum(gs, 0.0).sum(axis=1, keepdims=True))
            algorithm.tell(infills=offspring)
            generation += 1
            blocks = sum(len(ev.blocks) for ev in self.book.values())
            self.history.append(Generation(seed, generation, len(self.order), blocks, self.front()))


def hypervolumes(search: Search) -> list[float]:
    """Each generation's hypervolume of its front (minimisation, objectives scaled to [0, 1] by the final
    range over every package evaluated, reference point 1.1 in every objective), with the final estimates."""
    from pymoo.indicators.hv import HV

    keys = list(search.order)
    if not keys:
        return []
    f, _ = search.scores(keys)
    finite = np.isfinite(f).all(axis=1)
    if not finite.any():
        return [math.nan] * len(search.history)
    lo, hi = f[finite].min(axis=0), f[finite].max(axis=0)
    span = np.where(hi > lo, hi - lo, 1.0)
    index = {k: i for i, k in enumerate(keys)}
    indicator = HV(ref_point=np.full(f.shape[1], 1.1))
    out = []
    for gen in search.history:
        rows = [index[k] for k in gen.front if finite[index[k]]]
        out.append(float(indicator((f[rows] - lo) / span)) if rows else 0.0)
    return out


def describe_package(package: Package) -> dict[str, Any]:
    """The package's decisions as JSON-able values (for tables and YAML)."""
    return {k: (v if not isinstance(v, np.generic) else v.item()) for k, v in package.items()}
