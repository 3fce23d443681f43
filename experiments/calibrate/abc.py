"""ABC-SMC (pyabc) on the experiment engine, deterministic and batched.

The inference is pyabc's (Klinger, Rickert & Hasenauer 2018): `ABCSMC` with
uniform priors on the calibration file's ranges, the multivariate normal
perturbation kernel, a quantile epsilon schedule and the distance
Σ_f w_f · d_f, where d_f ∈ [0, 1] is fact f's distance (experiments.facts.measures)
and the observed value of every d_f is 0 (`abc.distance: adaptive`:
pyabc's AdaptivePNormDistance, each d_f also divided every generation by its
root mean square over the particles, `distance_scale`). The population is
`abc.population` particles, or pyabc's AdaptivePopulationSize. Nothing of the inference is
written here; this module only feeds pyabc its simulations.

One evaluation of a parameter set is `replications` runs of the base
scenario (hindcast window only) with those values, reduced in the workers to
their hindcast statistics (Task(reducer=HINDCAST_SUMMARY)). Their seeds
(the calibration file's `seeds`): `fresh` gives every parameter set its own,
`evaluation_seeds(master, tag, R)`, spawned from the master seed and the
set's digest (the `tag` in its task ids), so the model's randomness enters
every evaluation and the seeds depend on nothing the batch size, the
workers or a resume could change (a counter of evaluations would: a batch
evaluates proposals a one-at-a-time sampler never makes); `common` runs every set on the same R
seeds (common random numbers; the two shipped calibrations). Runs go through the engine (local
pool or Dask) and the run store, so `--resume` replays a stopped calibration
from its stored runs.

pyabc's own samplers evaluate one proposal at a time (SingleCoreSampler) or
in an order that depends on timing (its multicore samplers). `BatchSampler`
does neither: it saves numpy's global random state, lets pyabc propose a
batch of parameter sets (the model function records each and stops), runs
the whole batch on the engine, restores the state and lets pyabc propose the
same parameter sets again, now answered from the cache, stopping exactly
where a one-at-a-time sampler would. The accepted population is therefore
the one SingleCoreSampler gives, whatever the batch size or the number of
workers; a batch only decides how many extra evaluations (at most batch − 1
per generation) are made and not used.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from experiments.analysis.posterior import effective_size
from experiments.engine.pool import Engine, Fault
from experiments.engine.progress import progress_bar
from experiments.engine.store import RunStore, Task, digest
from experiments.facts.catalogue import FACTS, HINDCAST_SUMMARY
from model.config import Scenario
from model.seeds import seed_of
from model.world import WorldData

Values = dict[str, float]
FRESH_KEY = 0xF2E5  # first spawn-key word of fresh evaluation seeds (spawn() children have one-word keys)
MAX_SCALE_WEIGHT_RATIO = 100.0  # adaptive distance: no fact weighs more than 100x another after rescaling
SCALE_FLOOR = 0.01  # adaptive distance: a fact's scale is at least this (in its own 0..1 distance units)


def distance_scale(*, samples: np.ndarray, s0: np.ndarray, **_: Any) -> np.ndarray:
    """Per fact, the root mean square of its distance to the observed value over the particles, floored.

    pyabc's default scale (the median absolute deviation) is 0 for a fact most
    particles meet exactly (distance 0), and pyabc fails when every scale is 0;
    the RMS to the observed 0 is 0 only when every particle meets the fact, and
    the floor keeps such a fact in the sum at bounded weight.
    """
    rms = np.sqrt(np.mean((np.asarray(samples, dtype=float) - s0) ** 2, axis=0))
    return np.maximum(rms, SCALE_FLOOR)


def evaluation_seeds(master: int, tag: str, replications: int) -> list[int]:
    """The R run seeds of one parameter set under `seeds: fresh`: SeedSequence(master, (FRESH_KEY, tag)).spawn(R)."""
    root = np.random.SeedSequence(master, spawn_key=(FRESH_KEY, int(tag, 16)))
    return [seed_of(child) for child in root.spawn(replications)]


def distinct_sets(values: np.ndarray, weights: np.ndarray) -> int:
    """How many distinct parameter sets (rows of values) carry positive weight."""
    return len({tuple(row) for row in np.asarray(values)[np.asarray(weights) > 0].tolist()})


class _Collected(Exception):  # noqa: N818 - a control-flow signal, not an error
    """Raised by the model function while a batch's parameter sets are being collected."""


class Evaluator:
    """Parameter sets → fact distances; each by R runs on seeds_for(tag), through the engine and the store."""

    def __init__(
        self,
        scenario_for: Callable[[Values, str], Scenario],
        facts: Sequence[str],
        seeds_for: Callable[[str], Sequence[int]],
        world: WorldData,
        engine: Engine,
        store: RunStore,
        progress: bool = True,
    ) -> None:
        self.scenario_for = scenario_for
        self.facts = tuple(facts)
        self.seeds_for = seeds_for
        self.world = world
        self.engine = engine
        self.store = store
        self.cache: dict[str, dict[str, float]] = {}
        self.evaluations = 0  # parameter sets evaluated (run or read back), including unused ones
        self.runs_executed = 0
        self.runs_reused = 0
        self.bar = progress_bar(0, "sim", progress, desc="calibrate")

    @staticmethod
    def tag(values: Values) -> str:
        return digest({k: repr(float(v)) for k, v in sorted(values.items())})[7:23]

    def tasks(self, values: Values) -> list[Task]:
        tag = self.tag(values)
        scenario = self.scenario_for(values, f"abc-{tag}")
        return [
            Task(f"abc-{tag}-r{r:02d}", scenario, seed, {"replication": r}, reducer=HINDCAST_SUMMARY)
            for r, seed in enumerate(self.seeds_for(tag))
        ]

    def evaluate(self, batch: Sequence[Values]) -> None:
        """Run whatever of the batch is not cached, as one set of engine tasks."""
        todo: dict[str, Values] = {}
        for values in batch:
            tag = self.tag(values)
            if tag not in self.cache:
                todo[tag] = values
        if not todo:
            return
        tasks = [t for values in todo.values() for t in self.tasks(values)]
        stats = self.engine.run(tasks, self.store, progress=False)
        self.runs_executed += stats.executed
        self.runs_reused += stats.reused
        if stats.failed:
            bad = self.store.failures(tasks)[0]
            raise Fault(
                f"a calibration run failed ({bad.task_id}: {bad.error}); the finished runs are kept in "
                f"{self.store.root}: fix the cause and rerun with --resume"
            )
        records = {task.task_id: rec for task, rec in self.store.records(tasks)}
        for tag, values in todo.items():
            summaries = [records[t.task_id].summary or {} for t in self.tasks(values)]
            self.cache[tag] = self.distances(summaries)
        self.evaluations += len(todo)
        if self.bar is not None:
            self.bar.update(len(todo))

    def distances(self, summaries: Sequence[dict[str, float]]) -> dict[str, float]:
        out = {}
        for name in self.facts:
            d = FACTS[name].of(summaries, self.world).distance
            out[name] = float(d) if math.isfinite(d) else 1.0
        return out

    def lookup(self, values: Values) -> dict[str, float]:
        tag = self.tag(values)
        if tag not in self.cache:
            self.evaluate([values])
        return self.cache[tag]

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _sampler_class() -> type:
    """pyabc's Sampler subclass, built when pyabc is imported (it is an optional extra)."""
    from pyabc.sampler import Sampler

    class BatchSampler(Sampler):
        """Deterministic batched sampling on the engine (module docstring)."""

        def __init__(self, model: AbcModel, batch: int) -> None:
            super().__init__()
            self.model = model
            self.batch = batch

        def sample_until_n_accepted(
            self,
            n: int,
            simulate_one: Callable[[], Any],
            t: int,  # pyabc's signature
            *,
            max_eval: float = np.inf,
            all_accepted: bool = False,
            ana_vars: Any = None,
        ) -> Any:
            sample = self._create_empty_sample()
            evaluated = 0
            while sample.n_accepted < n and evaluated < max_eval:
                state = np.random.get_state()
                wanted: list[Values] = []
                self.model.collecting = wanted
                try:
                    for _ in range(self.batch):
                        try:
                            simulate_one()
                        except _Collected:
                            continue
                finally:
                    self.model.collecting = None
                self.model.evaluator.evaluate(wanted)
                np.random.set_state(state)
                for _ in wanted:
                    if sample.n_accepted >= n or evaluated >= max_eval:
                        break
                    sample.append(simulate_one())
                    evaluated += 1
            self.nr_evaluations_ = evaluated
            if sample.n_accepted < n:
                sample.ok = False
            return sample

    return BatchSampler


class AbcModel:
    """The model function pyabc calls: parameters p0..pk → {fact: distance}."""

    def __init__(self, keys: Sequence[str], evaluator: Evaluator) -> None:
        self.keys = tuple(keys)
        self.evaluator = evaluator
        self.collecting: list[Values] | None = None

    def values(self, pars: Any) -> Values:
        return {key: float(pars[f"p{i}"]) for i, key in enumerate(self.keys)}

    def __call__(self, pars: Any) -> dict[str, float]:
        values = self.values(pars)
        if self.collecting is not None:
            self.collecting.append(values)
            raise _Collected
        return dict(self.evaluator.lookup(values))


@dataclass(frozen=True)
class AbcSettings:
    keys: tuple[str, ...]
    ranges: tuple[tuple[float, float], ...]
    weights: dict[str, float]
    population: int  # the first generation's, when adaptive_population is set
    generations: int
    max_simulations: int
    min_epsilon: float
    epsilon_quantile: float
    seed: int  # numpy's global generator, which pyabc draws from, is seeded with it (and restored after)
    batch: int
    adaptive_population: tuple[float, int, int] | None = None  # (target CV, min size, max size)
    adaptive_distance: bool = False


def population_size(settings: AbcSettings) -> Any:
    """pyabc's population strategy: a constant size, or AdaptivePopulationSize (its CV target and bounds)."""
    import pyabc

    if settings.adaptive_population is None:
        return settings.population
    cv, low, high = settings.adaptive_population
    return pyabc.AdaptivePopulationSize(
        settings.population, mean_cv=cv, min_population_size=low, max_population_size=high
    )


def distance(settings: AbcSettings) -> Any:
    """Σ_f w_f d_f with the file's weights; adaptive: pyabc rescales each d_f by its spread every generation."""
    import pyabc

    weights = {k: float(w) for k, w in settings.weights.items()}
    if settings.adaptive_distance:
        return pyabc.AdaptivePNormDistance(
            p=1,
            fixed_weights=weights,
            scale_function=distance_scale,
            max_scale_weight_ratio=MAX_SCALE_WEIGHT_RATIO,
        )
    return pyabc.PNormDistance(p=1, fixed_weights=weights)


@dataclass(frozen=True)
class Generation:
    t: int
    epsilon: float
    particles: int
    simulations: int  # cumulative evaluations, the prior's calibration sample included
    acceptance_rate: float
    effective_size: float
    distinct: int  # distinct parameter sets with positive weight
    values: np.ndarray  # (particles, k)
    weights: np.ndarray  # (particles,), sum 1
    distances: np.ndarray


def run_abc(settings: AbcSettings, evaluator: Evaluator, db: Path) -> list[Generation]:
    """Run pyabc's ABC-SMC to the settings' limits; every generation's population, in order."""
    import pyabc

    logging.getLogger("ABC").setLevel(logging.WARNING)
    logging.getLogger("pyabc").setLevel(logging.WARNING)
    model = AbcModel(settings.keys, evaluator)
    prior = pyabc.Distribution(
        **{f"p{i}": pyabc.RV("uniform", lo, hi - lo) for i, (lo, hi) in enumerate(settings.ranges)}
    )
    state = np.random.get_state()
    np.random.seed(settings.seed % 2**32)  # pyabc draws from numpy's global generator
    try:
        abc = pyabc.ABCSMC(
            model,
            prior,
            distance(settings),
            population_size=population_size(settings),
            eps=pyabc.QuantileEpsilon(alpha=settings.epsilon_quantile),
            sampler=_sampler_class()(model, settings.batch),
        )
        db.unlink(missing_ok=True)
        abc.new(f"sqlite:///{db}", {k: 0.0 for k in settings.weights})
        history = abc.run(
            minimum_epsilon=settings.min_epsilon,
            max_nr_populations=settings.generations,
            max_total_nr_simulations=settings.max_simulations,
        )
    finally:
        np.random.set_state(state)
        evaluator.close()
    return generations(history, len(settings.keys))


def generations(history: Any, k: int) -> list[Generation]:
    """Each generation of a pyabc History: epsilon, counts and the weighted population."""
    every = history.get_all_populations().sort_values("t")  # t = -1: the prior sample that sets epsilon_0
    pops = every[every["t"] >= 0]
    out = []
    for row in pops.itertuples():
        t = int(row.t)
        frame, w = history.get_distribution(m=0, t=t)
        cols = [f"p{i}" for i in range(k)]
        values = frame[cols].to_numpy(dtype=float)
        weights = np.asarray(w, dtype=float)
        weights = weights / weights.sum()
        distances = history.get_weighted_distances(t=t)["distance"].to_numpy(dtype=float)
        evaluations = int(row.samples)
        out.append(
            Generation(
                t=t,
                epsilon=float(row.epsilon),
                particles=int(row.particles),
                simulations=int(every.loc[every["t"] <= t, "samples"].sum()),
                acceptance_rate=int(row.particles) / evaluations if evaluations else math.nan,
                effective_size=effective_size(weights),
                distinct=distinct_sets(values, weights),
                values=values,
                weights=weights,
                distances=distances,
            )
        )
    return out


def weighted_quantile(x: np.ndarray, w: np.ndarray, q: float) -> float:
    """The q-quantile of x under weights w (the smallest x whose cumulative weight reaches q)."""
    order = np.argsort(x, kind="stable")
    cum = np.cumsum(w[order])
    i = int(np.searchsorted(cum, q * cum[-1], side="left"))
    return float(x[order][min(i, len(x) - 1)])
