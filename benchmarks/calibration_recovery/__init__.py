"""Calibration recovery: which parameters do the facts identify? (DESIGN §7, issue 17 item 4)

`python -m benchmarks.calibration_recovery CALIBRATION.yaml [--draws 30] [--firms N] [--population P]
[--generations G] [--max-simulations S] [--replications R] [--workers W] [--placebo] [--out DIR] [--seed S]
[--resume] [--time-limit MINUTES]`

For each of `draws` parameter sets θ* drawn from the calibration file's
uniform priors:

1. θ*'s hindcast runs, on seeds of their own (never a seed the calibration
   uses), give the "observed" facts: each fitted fact's value as θ* produced
   it — for a destination list, θ*'s own top five (experiments.facts.synthetic);
2. the calibration is run against those facts with the shipped machinery
   (`run_abc`, pyabc's ABC-SMC, the batched deterministic sampler) and an
   Evaluator whose distances are to the synthetic targets
   (experiments.calibrate.targets), every evaluated parameter set on its own
   fresh seeds, with the file's priors, fitted facts, weights, epsilon rule and
   distance, and the command line's reduced budget (a constant population);
3. per parameter, the final population's 90% central interval is checked for
   θ*, and its variance compared with the prior's (`summary`).

The files (`report`): recovery.csv (per parameter: coverage with its binomial
standard error and test, shrinkage, verdict), draws.csv (per draw and
parameter), posteriors.csv (per draw: effective sample size, generations,
simulations), targets.csv (per draw and fact) — byte-identical for the same
--seed and inputs, whatever --workers — and recovery.md (the same with the
command, the settings and the time).

`--placebo` adds a parameter no scenario reads (uniform on [0, 1]): its
shrinkage and coverage are what the ABC settings give a parameter the facts do
not touch, the yardstick for "not identified".

Each finished draw is kept in DIR/draws/ (`checkpoint`); `--resume` reads the
finished ones back, and `--time-limit` starts no new draw once the limit has
passed and reports the draws done (a shared machine: rerun with `--resume` to
add the rest).
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from types import SimpleNamespace

from benchmarks.calibration_recovery.checkpoint import clear, draw_key, load, save
from benchmarks.calibration_recovery.draw import Budget, DrawResult, Problem, draw_seeds, recover_draw
from benchmarks.calibration_recovery.summary import Marginal, Row, marginals, summarise
from experiments.design.calibration_file import load_calibration
from experiments.engine.pool import Engine, EngineOptions


@dataclass(frozen=True)
class Recovery:
    problem: Problem
    budget: Budget
    seed: int
    results: list[DrawResult]
    marginals: list[Marginal]
    rows: list[Row]
    seconds: float
    requested: int  # draws asked for (len(results) is fewer when --time-limit stopped the check)
    resumed: int  # draws read back from an earlier run (--resume)


def load_problem(
    path: Path, firms: int | None = None, replications: int | None = None, placebo: bool = False
) -> Problem:
    """The calibration file with the command line's firm count and replications (raises InputError if bad)."""
    return Problem(load_calibration(path, SimpleNamespace(firms=firms, replications=replications, seed=None)), placebo)


def recover(
    problem: Problem,
    draws: int,
    seed: int,
    budget: Budget,
    on_draw: Callable[[DrawResult, float], None] | None = None,
    folder: Path | None = None,
    resume: bool = False,
    time_limit_s: float | None = None,
) -> Recovery:
    """The whole check (module docstring); `on_draw(result, seconds)` is called after each draw.

    With a `folder`, each finished draw is kept there (and read back with `resume`); with `time_limit_s`, no
    draw is started once that many seconds have passed.
    """
    start = time.perf_counter()
    world = problem.world()
    results: list[DrawResult] = []
    resumed = 0
    if folder is not None and not resume:
        clear(folder)
    with (
        tempfile.TemporaryDirectory(prefix="relocsim-recovery-") as work,
        Engine(EngineOptions(workers=budget.workers, progress=False)) as engine,
    ):
        for index, seeds in enumerate(draw_seeds(seed, draws, problem.replications)):
            if time_limit_s is not None and time.perf_counter() - start >= time_limit_s:
                break
            began = time.perf_counter()
            key = draw_key(problem, budget, seed, index)
            result = load(folder, key, index) if folder is not None and resume else None
            if result is None:
                result = recover_draw(index, problem, world, seeds, budget, engine, Path(work))
                result = replace(result, seconds=time.perf_counter() - began)
                if folder is not None:
                    save(folder, key, result)
            else:
                resumed += 1
            results.append(result)
            if on_draw is not None:
                on_draw(result, time.perf_counter() - began)
    every = [m for r in results for m in marginals(r, problem.keys, problem.ranges)]
    rows = summarise(every, problem.keys, problem.ranges)
    return Recovery(problem, budget, seed, results, every, rows, time.perf_counter() - start, draws, resumed)
