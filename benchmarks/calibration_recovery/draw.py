"""One draw of the recovery check: θ* from the prior, its facts on fresh seeds, the calibration to them.

Seeds. `SeedSequence(seed, spawn_key=(RECOVERY_KEY,))` spawns one child per
draw (the first k draws do not depend on how many are asked for); each child
spawns four: θ*'s generator, the "observed" runs' seeds (one per
replication), the master of the calibration's fresh evaluation seeds
(`evaluation_seeds(master, tag, R)`: every evaluated parameter set on its own
seeds, whatever the file's `seeds` says) and pyabc's seed. RECOVERY_KEY is a
spawn-key word no calibration seed starts with (`replication_seeds` spawn
keys are 0, 1, …; fresh evaluation seeds start with FRESH_KEY), and after
each draw the observed runs' seeds are checked against every seed its
calibration used and the calibration file's own fit and predictive seeds.
"""

from __future__ import annotations

import math
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from experiments.calibrate.abc import AbcSettings, Values, evaluation_seeds, run_abc
from experiments.calibrate.targets import TargetEvaluator
from experiments.design.calibration_file import LoadedCalibration
from experiments.engine.faults import Fault
from experiments.engine.pool import Engine
from experiments.engine.seeds import master_seed
from experiments.engine.store import RunStore, Task
from experiments.facts.catalogue import HINDCAST_SUMMARY
from experiments.facts.synthetic import Target, targets_of
from model.config import Scenario
from model.seeds import replication_seeds, seed_of
from model.world import WorldData, world_for

RECOVERY_KEY = 0x5EC0  # first spawn-key word of the recovery's seeds (distinct from FRESH_KEY and small indices)
PLACEBO = "placebo"  # --placebo: a parameter no scenario reads (its shrinkage is what the ABC gives by itself)
PLACEBO_RANGE = (0.0, 1.0)  # assumption: any range; shrinkage is relative to the prior's variance


@dataclass(frozen=True)
class Budget:
    """The reduced ABC settings of the recovery (the command line's), and how many engine workers run them."""

    population: int
    generations: int
    max_simulations: int
    workers: int = 1


@dataclass(frozen=True)
class Problem:
    """The calibration file as the recovery uses it: its priors (plus the placebo), fitted facts and weights."""

    loaded: LoadedCalibration
    placebo: bool = False

    @property
    def keys(self) -> tuple[str, ...]:
        return (*self.loaded.keys, *([PLACEBO] if self.placebo else []))

    @property
    def ranges(self) -> tuple[tuple[float, float], ...]:
        ranges = tuple(p.range for p in self.loaded.calibration.parameters.values())
        return (*ranges, *([PLACEBO_RANGE] if self.placebo else []))

    @property
    def fit(self) -> tuple[str, ...]:
        return tuple(self.loaded.calibration.fit)

    @property
    def replications(self) -> int:
        return self.loaded.calibration.replications

    def scenario(self, values: Values, name: str) -> Scenario:
        """The hindcast scenario of a parameter set (the placebo is not a scenario key: it is dropped)."""
        return self.loaded.scenario({k: v for k, v in values.items() if k != PLACEBO}, name)

    def world(self) -> WorldData:
        return world_for(self.loaded.scenario({}, "defaults", hindcast_only=False), self.loaded.base_path)

    def calibration_seeds(self) -> set[int]:
        """The seeds `calibrate` gives this file: fit (common), predictive and pyabc's, from its master seed."""
        cal = self.loaded.calibration
        defaults = self.loaded.scenario({}, "defaults", hindcast_only=False)
        master, _ = master_seed(None, [(cal.seed, "file"), (defaults.seed, "base")])
        return set(replication_seeds(master, cal.replications + cal.predictive.replications + 1))


@dataclass(frozen=True)
class DrawSeeds:
    prior: np.random.SeedSequence
    truth: tuple[int, ...]  # the observed runs', one per replication
    master: int  # of the calibration's fresh evaluation seeds
    abc: int


def draw_seeds(seed: int, draws: int, replications: int) -> list[DrawSeeds]:
    """Every draw's seeds (module docstring)."""
    out = []
    for child in np.random.SeedSequence(seed, spawn_key=(RECOVERY_KEY,)).spawn(draws):
        prior, truth, master, abc = child.spawn(4)
        runs = tuple(seed_of(c) for c in truth.spawn(replications))
        out.append(DrawSeeds(prior, runs, seed_of(master), seed_of(abc)))
    return out


@dataclass(frozen=True)
class DrawResult:
    """One draw: the truth, its facts, and the calibration's final population."""

    index: int
    truth: dict[str, float]
    targets: dict[str, Target]
    values: np.ndarray  # (particles, k), columns in Problem.keys order
    weights: np.ndarray  # sum 1
    generations: int
    simulations: int  # evaluated parameter sets pyabc counted, its prior sample included
    epsilon: float
    effective_size: float
    distinct: int
    runs: int  # model runs executed for this draw (observed runs included); 0 when read back
    seconds: float = math.nan  # wall time of the draw when it was computed (kept when read back)


def prior_draw(problem: Problem, seeds: DrawSeeds) -> dict[str, float]:
    """θ*: each parameter uniform on its prior range, from the draw's own generator."""
    rng = np.random.default_rng(seeds.prior)
    return {k: float(rng.uniform(lo, hi)) for k, (lo, hi) in zip(problem.keys, problem.ranges, strict=True)}


def observed_summaries(
    problem: Problem, truth: Values, seeds: Sequence[int], engine: Engine, store: RunStore
) -> list[dict[str, float]]:
    """θ*'s hindcast summaries on the draw's observed seeds."""
    scenario = problem.scenario(truth, "truth")
    tasks = [
        Task(f"truth-r{r:02d}", scenario, s, {"replication": r}, reducer=HINDCAST_SUMMARY) for r, s in enumerate(seeds)
    ]
    stats = engine.run(tasks, store, progress=False)
    if stats.failed:
        bad = store.failures(tasks)[0]
        raise Fault(f"a run of the true parameter set failed ({bad.task_id}: {bad.error})")
    return [rec.summary or {} for _, rec in store.records(tasks)]


def recover_draw(
    index: int, problem: Problem, world: WorldData, seeds: DrawSeeds, budget: Budget, engine: Engine, work: Path
) -> DrawResult:
    """Draw θ*, make its facts the targets, calibrate to them with run_abc; the store is removed after."""
    store = RunStore(work / f"draw-{index:03d}")
    truth = prior_draw(problem, seeds)
    targets = targets_of(problem.fit, observed_summaries(problem, truth, seeds.truth, engine, store), world)
    used: set[int] = set()

    def seeds_for(tag: str) -> list[int]:
        out = evaluation_seeds(seeds.master, tag, problem.replications)
        used.update(out)
        return out

    evaluator = TargetEvaluator(targets, problem.scenario, problem.fit, seeds_for, world, engine, store, False)
    cal = problem.loaded.calibration
    settings = AbcSettings(
        keys=problem.keys,
        ranges=problem.ranges,
        weights={f: problem.loaded.weight(f) for f in problem.fit},
        population=budget.population,
        generations=budget.generations,
        max_simulations=budget.max_simulations,
        min_epsilon=cal.abc.min_epsilon,
        epsilon_quantile=cal.abc.epsilon_quantile,
        seed=seeds.abc,
        batch=4 * max(1, budget.workers),  # as calibrate's
        adaptive_population=None,
        adaptive_distance=cal.abc.distance == "adaptive",
    )
    final = run_abc(settings, evaluator, store.root / "abc.db")[-1]
    clash = set(seeds.truth) & (used | problem.calibration_seeds())
    if clash:
        raise Fault(f"draw {index}: an observed run's seed was also a calibration seed ({sorted(clash)[0]})")
    shutil.rmtree(store.root, ignore_errors=True)
    gens = final.t + 1
    return DrawResult(
        index,
        truth,
        targets,
        final.values,
        final.weights,
        gens,
        final.simulations,
        final.epsilon,
        final.effective_size,
        final.distinct,
        evaluator.runs_executed + len(seeds.truth),
    )
