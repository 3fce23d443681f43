"""Replications of one scenario: seeds, workers, progress.

Replication seeds come from `SeedSequence(master).spawn(R)`, so replication r
of every scenario run with the same master seed uses the same generator: the
basis of common random numbers when scenarios are compared. Results are
ordered by replication, so the worker count never changes the output.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from experiments.engine import process_pool
from experiments.progress import progress_bar
from model.config import Scenario
from model.metrics import Results
from model.model import RelocationModel
from model.seeds import draw_seed, replication_seeds
from model.world import WorldData

logger = logging.getLogger(__name__)

# One seed rule for the whole project (re-exported here for the experiment commands).
draw_master_seed = draw_seed


@dataclass
class RunOutcome:
    scenario: Scenario
    master_seed: int
    seeds: list[int]
    results: list[Results]
    wall_seconds: float
    started_at: float


def _run_one(
    scenario: Scenario, seed: int, data: WorldData | None, on_year: Callable[[], None] | None = None
) -> Results:
    model = RelocationModel(scenario, seed, data)
    while model.year < scenario.years.end:
        model.step()
        if on_year is not None:
            on_year()
    return model.run()


def _run_one_in_worker(scenario: Scenario, seed: int) -> Results:
    """Process-pool entry point: a module-level function so that it pickles."""
    return _run_one(scenario, seed, None)


def run_replications(
    scenario: Scenario,
    data: WorldData,
    workers: int = 1,
    progress: bool = True,
) -> RunOutcome:
    """Run every replication of a scenario (its `seed` must already be set)."""
    if scenario.seed is None:
        raise ValueError("scenario.seed must be set before running (draw_master_seed)")
    seeds = replication_seeds(scenario.seed, scenario.replications)
    years = scenario.years.end - scenario.years.start + 1
    started_at = time.time()
    t0 = time.perf_counter()
    total, unit = (len(seeds) * years, "year") if workers <= 1 else (len(seeds), "run")
    bar = progress_bar(total, unit, progress, desc=scenario.name)
    try:
        if workers <= 1 or len(seeds) == 1:
            results = [_run_one(scenario, s, data, bar.update if bar else None) for s in seeds]
        else:
            results = []
            with process_pool(workers) as pool:
                for res in pool.map(_run_one_in_worker, [scenario] * len(seeds), seeds):
                    results.append(res)
                    if bar:
                        bar.update()
    finally:
        if bar:
            bar.close()
    wall = time.perf_counter() - t0
    logger.info("%s: %d replications in %.2f s", scenario.name, len(seeds), wall)
    return RunOutcome(scenario, scenario.seed, seeds, results, wall, started_at)
