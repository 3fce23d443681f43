"""Runs per second of the experiment engine at experiment scale, and what a decision search would cost.

    python -m benchmarks.bench_throughput [--sizes 10000 30000 100000] [--runs 24] [--repeats 3]

For each firm count and 1 and 2 workers, the engine (experiments.engine.pool,
the one every command uses) runs `--runs` replications of the baseline
2019–2035 into a run store, as a command does: planning, dispatch, the runs,
the stored records. Printed per row: the median wall time of `--repeats`
repeats (the pool's start-up included, as a user waits for it), runs per
second, and the speed-up of 2 workers over 1. Then the reference search
workload of issue 16 (2,000 packages × 10 worlds × 2 replications at 20,000
firms, plus a base run per world and seed): its run count, and its wall time
extrapolated from the measured 2-worker rate at 20,000 firms.

The machine is shared: every row prints the load average, and figures are
comparable only within one invocation.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from benchmarks.proc import load_note
from experiments.engine.pool import Engine, EngineOptions
from experiments.engine.store import RunStore, Task
from model.scenario import load_scenario
from model.seeds import replication_seeds

ROOT = Path(__file__).resolve().parents[1]
SEARCH = {"packages": 2000, "worlds": 10, "replications": 2, "firms": 20_000}  # issue 16, item 4
SEARCH_TARGET_MINUTES = 20.0


def search_runs() -> int:
    """Package runs plus one base run per (world, replication): packages share their base (common random numbers)."""
    per_package = SEARCH["worlds"] * SEARCH["replications"]
    return SEARCH["packages"] * per_package + per_package


def time_engine(firms: int, runs: int, workers: int) -> float:
    scenario = load_scenario(ROOT / "scenarios" / "baseline.yaml", {"firms.count": firms})
    tasks = [Task(f"r{r:04d}", scenario, seed, {"replication": r}) for r, seed in enumerate(replication_seeds(7, runs))]
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        with Engine(EngineOptions(workers=workers, progress=False)) as engine:
            engine.run(tasks, RunStore(Path(tmp) / "runs"))
        return time.perf_counter() - t0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 30_000, 100_000])
    parser.add_argument("--runs", type=int, default=24)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    sizes = sorted({*args.sizes, SEARCH["firms"]})
    print(f"{args.runs} runs of the baseline 2019-2035 per row; median of {args.repeats} ({load_note()})")
    print(f"{'firms':>9} {'workers':>7} {'wall s':>8} {'runs/s':>8} {'speed-up':>8}  load")
    rate_at: dict[tuple[int, int], float] = {}
    for firms in sizes:
        walls: dict[int, float] = {}
        for workers in (1, 2):
            walls[workers] = statistics.median(time_engine(firms, args.runs, workers) for _ in range(args.repeats))
            rate_at[(firms, workers)] = args.runs / walls[workers]
            speed = f"{walls[1] / walls[workers]:8.2f}" if workers == 2 else " " * 8
            print(
                f"{firms:9,} {workers:7} {walls[workers]:8.3f} {rate_at[(firms, workers)]:8.1f} {speed}  {load_note()}"
            )
    n = search_runs()
    minutes = n / rate_at[(SEARCH["firms"], 2)] / 60
    print(
        f"reference search: {SEARCH['packages']:,} packages x {SEARCH['worlds']} worlds x {SEARCH['replications']} "
        f"replications at {SEARCH['firms']:,} firms + shared base runs = {n:,} runs; at the 2-worker rate above "
        f"{minutes:.1f} min (target <= {SEARCH_TARGET_MINUTES:.0f} min)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
