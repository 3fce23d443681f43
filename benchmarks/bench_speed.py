"""Wall time, firm-decisions per second and peak memory of the relocation model.

Times the vectorised model (`model.simulate`: `RelocationModel(...)` then
`.run()`) at each `--sizes` firm count, construction (drawing the firms and
creating one Mesa agent per firm) apart from the years of stepping; the
per-agent version (`benchmarks.per_agent`) at `--per-agent-firms`; their ratio
in the same run; and the peak memory of one run at the largest size, measured
in a fresh child process. Every case runs `--repeats` times, interleaved, with
the same scenario and seed; the median and the minimum are printed.

Run from the repository root, pinned to one core for the DESIGN §6 target:

    taskset -c 0 python -m benchmarks.bench_speed [--repeats 3] [--sizes 10000 100000]

Targets checked: 1e5 firms × 13 years in ≤ 3 s in-process, and ≥ 10× faster
than the per-agent version at the same size.
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import resource
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import Protocol

import mesa
import numpy as np

from benchmarks.per_agent import BASELINE, PerAgentModel
from model import RelocationModel
from model.config import Scenario
from model.scenario import load_scenario
from model.world import world_for

TARGET_SECONDS_1E5 = 3.0
TARGET_SPEEDUP = 10.0
TARGET_FIRMS = 100_000


class _Runnable(Protocol):
    def run(self) -> object: ...


ModelFactory = Callable[[Scenario, int], _Runnable]


@dataclass
class Case:
    """One thing to time: a model class at a firm count."""

    label: str
    factory: ModelFactory
    firms: int
    scenario: Scenario
    construct_s: list[float] = field(default_factory=list)
    run_s: list[float] = field(default_factory=list)

    @property
    def total_s(self) -> list[float]:
        return [a + b for a, b in zip(self.construct_s, self.run_s, strict=True)]

    @property
    def years(self) -> int:
        return self.scenario.years.end - self.scenario.years.start + 1


def time_once(case: Case, seed: int) -> None:
    """Build and run the model once; append construction and run seconds."""
    gc.collect()
    started = time.perf_counter()
    model = case.factory(case.scenario, seed)
    built = time.perf_counter()
    model.run()
    done = time.perf_counter()
    case.construct_s.append(built - started)
    case.run_s.append(done - built)
    del model


def fmt_s(values: Sequence[float]) -> str:
    """'median (min)' in seconds."""
    return f"{statistics.median(values):7.3f} ({min(values):6.3f})"


def rate(case: Case, seconds: float) -> str:
    """Firm-decisions per second: firms × years / seconds (nominal: closed firms still count)."""
    return f"{case.firms * case.years / seconds / 1e6:8.2f} M/s"


def vm_hwm_mib() -> float:
    """Peak resident set of this process image in MiB.

    Linux's `VmHWM` is reset when a process execs, whereas `ru_maxrss` keeps the
    parent's peak across fork + exec, so a spawned child would report its parent's.
    """
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # other OSes: best effort


def memory_child(scenario_path: str, firms: int, seed: int, traced: bool) -> dict[str, float]:
    """In a fresh process: peak RSS (or traced Python/numpy allocations) of one run."""
    scenario = load_scenario(scenario_path, {"firms.count": firms})
    world_for(scenario)  # data files read and cached before the baseline reading
    before_mib = vm_hwm_mib()
    if traced:
        tracemalloc.start()
    RelocationModel(scenario, seed).run()
    out = {"peak_rss_before_mib": before_mib, "peak_rss_mib": vm_hwm_mib()}
    if traced:
        out["traced_peak_mib"] = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    return out


def measure_memory(scenario_path: Path, firms: int, seed: int) -> dict[str, float]:
    """Peak RSS from one untraced child, traced peak from a second child (tracing slows the run)."""
    ctx = get_context("spawn")
    result: dict[str, float] = {}
    for traced in (False, True):
        with ProcessPoolExecutor(max_workers=1, mp_context=ctx) as pool:
            out = pool.submit(memory_child, str(scenario_path), firms, seed, traced).result()
        if traced:
            result["traced_peak_mib"] = out["traced_peak_mib"]
        else:
            result.update(out)
    return result


def cpu_note() -> str:
    """Which CPUs this process may run on (taskset shows here)."""
    try:
        cpus = sorted(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return f"{os.cpu_count()} CPUs"
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return f"affinity CPUs {cpus} of {os.cpu_count()}; load average {load} (other processes skew timings)"


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="runs per case; median and min are reported (default 3)")
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000], help="firm counts, vectorised")
    parser.add_argument("--per-agent-firms", type=int, default=10_000, help="firm count of the per-agent version")
    parser.add_argument("--skip-per-agent", action="store_true", help="time the vectorised model only")
    parser.add_argument("--skip-memory", action="store_true", help="do not measure peak memory")
    parser.add_argument("--scenario", type=Path, default=BASELINE)
    parser.add_argument("--seed", type=int, default=None, help="default: the scenario's seed")
    args = parser.parse_args(argv)
    if args.repeats < 1 or min(args.sizes) < 1 or args.per_agent_firms < 1:
        parser.error("--repeats, --sizes and --per-agent-firms must be ≥ 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Time every case, print the table, the ratio, the targets and the memory."""
    args = parse_args(argv)
    base = load_scenario(args.scenario)
    seed = args.seed if args.seed is not None else (base.seed or 0)
    data = world_for(base)
    cases = [
        Case("vectorised", RelocationModel, n, load_scenario(args.scenario, {"firms.count": n})) for n in args.sizes
    ]
    if not args.skip_per_agent:
        n = args.per_agent_firms
        cases.append(Case("per-agent", PerAgentModel, n, load_scenario(args.scenario, {"firms.count": n})))

    n_dest = int(np.isin(data.kinds, base.world.destination_kinds).sum())
    print(
        f"relocsim speed benchmark: python {platform.python_version()}, numpy {np.__version__}, mesa {mesa.__version__}"
    )
    print(f"machine: {platform.machine()} {platform.processor() or ''}; {cpu_note()}")
    print(
        f"scenario {base.name} ({args.scenario}), years {base.years.start}-{base.years.end} "
        f"({cases[0].years}), {n_dest} destinations of {data.n_places} places, {data.n_industries} industries, "
        f"seed {seed}, {args.repeats} repeat(s), interleaved"
    )
    warm = load_scenario(args.scenario, {"firms.count": 1_000})
    for case in cases:  # imports, data cache, first-call costs
        case.factory(warm, seed).run()

    for _ in range(args.repeats):
        for case in cases:
            time_once(case, seed)

    print()
    print("seconds: median (min) over repeats; decisions/s = firms × years / median seconds")
    print(
        f"{'version':<11}{'firms':>8}  {'construct':>16}  {'13 years':>16}  {'total':>16}  "
        f"{'decisions/s total':>18}  {'decisions/s years':>18}"
    )
    for c in cases:
        print(
            f"{c.label:<11}{c.firms:>8}  {fmt_s(c.construct_s):>16}  {fmt_s(c.run_s):>16}  {fmt_s(c.total_s):>16}  "
            f"{rate(c, statistics.median(c.total_s)):>18}  {rate(c, statistics.median(c.run_s)):>18}"
        )

    vec = {c.firms: c for c in cases if c.label == "vectorised"}
    per = next((c for c in cases if c.label == "per-agent"), None)
    print()
    if per is not None and per.firms in vec:
        v = vec[per.firms]
        total = statistics.median(per.total_s) / statistics.median(v.total_s)
        years = statistics.median(per.run_s) / statistics.median(v.run_s)
        print(
            f"speed-up at {per.firms} firms, per-agent time / vectorised time (medians): "
            f"total {total:.1f}x, 13 years only {years:.1f}x, construction only "
            f"{statistics.median(per.construct_s) / statistics.median(v.construct_s):.1f}x"
        )
        print(
            f"  target ≥ {TARGET_SPEEDUP:g}x: total {'MET' if total >= TARGET_SPEEDUP else 'MISSED'}, "
            f"13 years {'MET' if years >= TARGET_SPEEDUP else 'MISSED'}"
        )
    elif per is not None:
        print(f"no vectorised case at {per.firms} firms: add it to --sizes for the ratio")
    if TARGET_FIRMS in vec:
        t = statistics.median(vec[TARGET_FIRMS].total_s)
        verdict = "MET" if t <= TARGET_SECONDS_1E5 else "MISSED"
        print(f"target {TARGET_FIRMS} firms × 13 years ≤ {TARGET_SECONDS_1E5:g} s in-process: {t:.3f} s, {verdict}")

    if not args.skip_memory:
        biggest = max(args.sizes)
        mem = measure_memory(args.scenario, biggest, seed)
        print()
        print(f"memory of one vectorised run at {biggest} firms (fresh child process):")
        print(
            f"  peak RSS {mem['peak_rss_mib']:.0f} MiB (after imports and data: {mem['peak_rss_before_mib']:.0f} MiB; "
            f"the run adds {mem['peak_rss_mib'] - mem['peak_rss_before_mib']:.0f} MiB)"
        )
        print(f"  tracemalloc peak of the run {mem['traced_peak_mib']:.0f} MiB (Python objects and numpy buffers)")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
