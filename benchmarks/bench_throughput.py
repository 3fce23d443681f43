"""Runs per second of the experiment engine at experiment scale, and what the reference decision search costs.

    python -m benchmarks.bench_throughput [--sizes 10000 30000 100000] [--runs 24] [--repeats 3] [--packages 10]
                                          [--wait-idle S] [--skip-rates] [--skip-search]

1. **Runs per second.** For each firm count and 1 and 2 workers, the engine
   (experiments.engine.pool, the one every command uses) runs `--runs`
   replications of the baseline 2019–2035 into a run store, as a command does:
   dispatch (batches, experiments.engine.batching), the runs, one stored record
   per run. The engine is opened and warmed first (one run per worker), so the
   rate is the steady one a long experiment sees; what opening it costs the
   first time is printed below the table (the fork server importing the model
   and the workers forked; at 1 worker the model imported in the process).
   W=1 and W=2 alternate, `--repeats` times each; medians.
2. **The reference search** of issue 16: 2,000 packages × 10 worlds × 2
   replications at 20,000 firms, each package run against the base on common
   random numbers, plus one base run per (world, replication) that every
   package shares: 40,020 runs. A stated fraction of it is run for real on 2
   workers (`--packages` of the 2,000, in all 10 worlds and both replications,
   and the 20 base runs), built as DESIGN §9 describes a search: packages are
   the article package with relocation aid per job and budget, pairing on or
   off and the infrastructure start year drawn at random; worlds draw the
   other provinces' subsidy and the southern wage growth. The full workload's
   wall time is extrapolated as start-up + 40,020 × (the fraction's time per
   run), and printed beside the target of 20 minutes.

The machine is shared: the load average is printed at the start, on every row
and at the end, and figures are comparable only within one invocation;
`--wait-idle S` waits up to S seconds before each pair of rows and before the
search for other processes to use at most 0.1 cores.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.proc import load_note, wait_idle
from experiments.engine.pool import Engine, EngineOptions
from experiments.engine.store import RunStore, Task
from model.scenario import load_raw, load_scenario, variant
from model.seeds import replication_seeds

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.yaml"
PACKAGE = ROOT / "scenarios" / "article_package.yaml"
SEARCH = {"packages": 2000, "worlds": 10, "replications": 2, "firms": 20_000}  # issue 16, item 4
SEARCH_TARGET_MINUTES = 20.0
WORKERS = (1, 2)


def search_runs(packages: int = SEARCH["packages"]) -> int:
    """Package runs plus one base run per (world, replication): packages share their base (common random numbers)."""
    per_package = SEARCH["worlds"] * SEARCH["replications"]
    return packages * per_package + per_package


def baseline_tasks(firms: int, runs: int, prefix: str) -> list[Task]:
    scenario = load_scenario(BASELINE, {"firms.count": firms})
    return [
        Task(f"{prefix}-r{r:04d}", scenario, seed, {"replication": r})
        for r, seed in enumerate(replication_seeds(7, runs))
    ]


def search_tasks(packages: int, seed: int = 16) -> list[Task]:
    """A fraction of the reference search: `packages` random packages and the base, in every world and replication."""
    rng = np.random.default_rng(seed)
    firms = {"firms.count": SEARCH["firms"]}
    worlds = [
        {"world.outside.subsidy_yuan_per_job": float(rng.uniform(0, 60_000)), "world.south.wage_per_year": w}
        for w in rng.uniform(0.03, 0.09, SEARCH["worlds"]).round(4).tolist()
    ]
    seeds = replication_seeds(seed, SEARCH["replications"])
    base, package = load_raw(BASELINE), load_raw(PACKAGE)
    units: list[tuple[str, Any, dict[str, Any], list[str]]] = [("base", base, {}, [])]
    for p in range(packages):
        decisions = {
            "policies.relocation_aid.yuan_per_job": float(rng.uniform(0, 90_000)),
            "policies.relocation_aid.annual_budget_yuan": float(rng.uniform(0, 6.0e9)),
            "policies.infrastructure.start_year": int(rng.choice([2024, 2026, 2028])),
        }
        units.append((f"p{p:04d}", package, decisions, [] if rng.random() < 0.5 else ["policies.pairing"]))
    tasks = []
    for tag, raw, decisions, drop in units:
        for w, world in enumerate(worlds):
            scenario = variant(raw, {**firms, **world, **decisions}, PACKAGE, drop=drop)
            for r, s in enumerate(seeds):
                tasks.append(Task(f"{tag}-w{w:02d}-r{r:04d}", scenario, s, {"world": w, "replication": r}))
    return tasks


COLD_START: dict[int, float] = {}  # workers -> the first start-up in this process (later ones reuse the fork server)


def timed_engine(tasks: Sequence[Task], warm: Sequence[Task], workers: int) -> tuple[float, float]:
    """(start-up s, steady s): opening the engine and running `warm`, then running `tasks` on the warm engine.

    The first start-up of each worker count in this process is kept in COLD_START: it is the one a command
    pays (at 1 worker the model imported in the process, at 2 the fork server importing it and the workers
    forked); later engines of the same process find the model imported or the fork server running.
    """
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        with Engine(EngineOptions(workers=workers, progress=False)) as engine:
            engine.run(warm, RunStore(Path(tmp) / "warm"))
            t1 = time.perf_counter()
            stats = engine.run(tasks, RunStore(Path(tmp) / "runs"))
            t2 = time.perf_counter()
        if stats.failed:
            raise SystemExit(f"{stats.failed} runs failed")
    COLD_START.setdefault(workers, t1 - t0)
    return t1 - t0, t2 - t1


def runs_per_second(sizes: Sequence[int], runs: int, repeats: int, wait_s: float) -> None:
    print(f"1. runs per second: {runs} runs of the baseline 2019-2035 per row, on a warmed engine; median of {repeats}")
    print(f"   {'firms':>9} {'workers':>7} {'runs s':>8} {'runs/s':>8} {'speed-up':>8}  load")
    for firms in sizes:
        steady: dict[int, list[float]] = {w: [] for w in WORKERS}
        tasks = baseline_tasks(firms, runs, "run")
        for r in range(repeats):
            if wait_s:
                wait_idle(wait_s)
            for w in WORKERS if r % 2 == 0 else tuple(reversed(WORKERS)):
                steady[w].append(timed_engine(tasks, baseline_tasks(firms, w, "warm"), w)[1])
        for w in WORKERS:
            wall = statistics.median(steady[w])
            speed = f"{statistics.median(steady[1]) / wall:8.2f}" if w == 2 else " " * 8
            print(f"   {firms:9,} {w:7} {wall:8.2f} {runs / wall:8.2f} {speed}  {load_note()}")
    cold = ", ".join(f"{w} worker{'s' if w > 1 else ''} {s:.2f} s" for w, s in sorted(COLD_START.items()))
    print(f"   start-up of the first engine of each kind (a command pays it once): {cold}")


def reference_search(packages: int, wait_s: float) -> None:
    tasks = search_tasks(packages)
    if wait_s:
        wait_idle(wait_s)
    n, total = len(tasks), search_runs()
    print(
        f"2. reference search: {SEARCH['packages']:,} packages x {SEARCH['worlds']} worlds x "
        f"{SEARCH['replications']} replications at {SEARCH['firms']:,} firms + {search_runs(0)} shared base runs "
        f"= {total:,} runs"
    )
    print(
        f"   measured: {packages} package(s) ({packages / SEARCH['packages']:.1%} of them) in every world and "
        f"replication + the {search_runs(0)} base runs = {n} runs, 2 workers, each 2019-2035"
    )
    start, wall = timed_engine(tasks, search_tasks(0)[:2], 2)
    start = COLD_START[2]
    per_run = wall / n
    minutes = (start + total * per_run) / 60
    verdict = "met" if minutes <= SEARCH_TARGET_MINUTES else "MISSED"
    print(
        f"   {n} runs in {wall:.1f} s ({n / wall:.2f} runs/s; start-up {start:.2f} s); "
        f"extrapolated: {start:.1f} s + {total:,} x {per_run * 1000:.0f} ms = {minutes:.1f} min "
        f"(target <= {SEARCH_TARGET_MINUTES:.0f} min: {verdict}); {load_note()}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 30_000, 100_000])
    parser.add_argument("--runs", type=int, default=24)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--packages", type=int, default=10, help="packages of the 2,000 measured (default 10)")
    parser.add_argument(
        "--wait-idle", type=float, default=0.0, metavar="S", help="before each measurement, wait up to S s for quiet"
    )
    parser.add_argument("--skip-search", action="store_true")
    parser.add_argument("--skip-rates", action="store_true")
    args = parser.parse_args()
    print(f"start: {load_note()} on {os.cpu_count()} CPUs")
    if not args.skip_rates:
        runs_per_second(args.sizes, args.runs, args.repeats, args.wait_idle)
    if not args.skip_search:
        reference_search(args.packages, args.wait_idle)
    print(f"end: {load_note()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
