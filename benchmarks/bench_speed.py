"""Wall time, firm-decisions per second and peak memory of the relocation model (issue 7 item 6).

Times, on the scenario's whole horizon and every destination its data hold,
the vectorised model (`model.simulate`: `RelocationModel(...)` then `.run()`)
at each `--sizes` firm count, construction (drawing the firms and entrants, IV_ref)
apart from the years of stepping; the per-agent Mesa version
(`benchmarks.per_agent`, the same nested rule, one Python object per firm) at
each `--per-agent-sizes`; their ratios; a numpy floor (the model's per-firm-year
uniforms, 4 float32 per firm drawn, and one logistic per firm deciding, nothing
else) and the model's time as a multiple of it; and the peak memory (`VmHWM`)
of one vectorised run at the largest size, in a fresh child process; and where the time of a
`--breakdown`-firm run goes (construction, world and levers, utilities, push, nested logit,
settlement, records, the step's own draws), by `benchmarks.breakdown`.

Run from the repository root, pinned to one core for the DESIGN §6 targets:

    taskset -c 0 python -m benchmarks.bench_speed [--repeats 3] [--skip-per-agent-1e5] [--breakdown 30000]

Targets printed, not asserted: 1,000,000 firms ≤ 4 s in-process, peak ≤ 400 MiB,
the whole run ≥ 20× faster than the per-agent version at 10,000 and 100,000 firms.
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import mesa
import numpy as np

from benchmarks.agreement import BASELINE
from benchmarks.breakdown import ORDER, breakdown
from benchmarks.per_agent import PerAgentModel
from model import RelocationModel
from model.config import Scenario
from model.firms import births_per_year
from model.model import DRAWS_PER_FIRM_YEAR
from model.scenario import load_scenario
from model.world import world_for

TARGET_SECONDS_1E6 = 4.0
TARGET_PEAK_MIB = 400.0
TARGET_SPEEDUP = 20.0
BIG = 1_000_000

ModelFactory = Callable[[Scenario, int], Any]


@dataclass
class Case:
    """One thing to time: a model class at a firm count."""

    label: str
    factory: ModelFactory
    firms: int
    scenario: Scenario
    repeats: int
    construct_s: list[float] = field(default_factory=list)
    run_s: list[float] = field(default_factory=list)
    decisions: int = 0  # firm-years decided: every firm alive at the start of each year, entrants included

    @property
    def total_s(self) -> list[float]:
        return [a + b for a, b in zip(self.construct_s, self.run_s, strict=True)]


def time_once(case: Case, seed: int) -> None:
    """Build and run the model once; append construction and run seconds, count its decisions."""
    gc.collect()
    started = time.perf_counter()
    model = case.factory(case.scenario, seed)
    built = time.perf_counter()
    model.run()
    done = time.perf_counter()
    case.construct_s.append(built - started)
    case.run_s.append(done - built)
    case.decisions = round(sum(r.firms_active + r.closures for r in model.records) / model.weight)
    del model


def med(values: Sequence[float]) -> float:
    return statistics.median(values)


def fmt_s(values: Sequence[float]) -> str:
    """'median (min)' in seconds."""
    return f"{med(values):8.3f} ({min(values):7.3f})"


def numpy_floor(scenario: Scenario, seed: int) -> float:
    """Seconds for the per-firm-year draws alone: each year 4 float32 uniforms per firm born so far
    (as the model draws them) and one logistic per firm of the year (the firms born so far)."""
    first, last = scenario.years.start, scenario.years.end
    born = births_per_year(scenario.firms)
    rng = np.random.default_rng(seed)
    eta = rng.standard_normal(scenario.firms.count + born * (last - first))
    gc.collect()
    started = time.perf_counter()
    for year in range(first, last + 1):
        n = scenario.firms.count + born * (year - first)
        rng.random((DRAWS_PER_FIRM_YEAR, n), dtype=np.float32)
        1.0 / (1.0 + np.exp(-eta[:n]))
    return time.perf_counter() - started


def vm_hwm_mib() -> float:
    """Peak resident set of this process image in MiB (`VmHWM`, reset at exec, unlike `ru_maxrss`)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def memory_child(scenario_path: str, firms: int, seed: int) -> dict[str, float]:
    """In a fresh process: peak RSS after imports and data, and after one run."""
    scenario = load_scenario(scenario_path, {"firms.count": firms})
    world_for(scenario)  # data files read and cached before the first reading
    before = vm_hwm_mib()
    RelocationModel(scenario, seed).run()
    return {"before_mib": before, "peak_mib": vm_hwm_mib()}


def measure_memory(scenario_path: Path, firms: int, seed: int) -> dict[str, float]:
    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
        return pool.submit(memory_child, str(scenario_path), firms, seed).result()


def cpu_note() -> str:
    """Which CPUs this process may run on (taskset shows here) and the load."""
    cpus = sorted(os.sched_getaffinity(0))
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return f"affinity CPUs {cpus} of {os.cpu_count()}; load average {load} (other processes skew timings)"


def verdict(ok: bool) -> str:
    return "MET" if ok else "MISSED"


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="runs per vectorised case (median and min)")
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, BIG], help="vectorised firm counts")
    parser.add_argument("--per-agent-sizes", type=int, nargs="*", default=[10_000, 100_000])
    parser.add_argument("--per-agent-repeats", type=int, default=1, help="runs per per-agent case (default 1)")
    parser.add_argument("--skip-per-agent-1e5", action="store_true", help="drop 100000 from --per-agent-sizes")
    parser.add_argument("--skip-per-agent", action="store_true", help="time the vectorised model only")
    parser.add_argument("--skip-memory", action="store_true", help="do not measure peak memory")
    parser.add_argument("--scenario", type=Path, default=BASELINE)
    parser.add_argument(
        "--breakdown", type=int, default=30_000, help="firm count of the time breakdown by section (0: none)"
    )
    parser.add_argument("--seed", type=int, default=None, help="default: the scenario's seed")
    args = parser.parse_args(argv)
    if args.skip_per_agent_1e5:
        args.per_agent_sizes = [n for n in args.per_agent_sizes if n != 100_000]
    if args.skip_per_agent:
        args.per_agent_sizes = []
    if min(args.repeats, args.per_agent_repeats, *args.sizes, *args.per_agent_sizes) < 1:
        parser.error("repeats and sizes must be ≥ 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Time every case, print the table, the floor, the ratios, the targets and the memory."""
    args = parse_args(argv)
    base = load_scenario(args.scenario)
    seed = args.seed if args.seed is not None else (base.seed or 0)
    data = world_for(base)

    def case(label: str, factory: ModelFactory, n: int, repeats: int) -> Case:
        return Case(label, factory, n, load_scenario(args.scenario, {"firms.count": n}), repeats)

    cases = [case("vectorised", RelocationModel, n, args.repeats) for n in args.sizes]
    cases += [case("per-agent", PerAgentModel, n, args.per_agent_repeats) for n in args.per_agent_sizes]
    kinds = {k: int((data.kinds == k).sum()) for k in base.world.destination_kinds}
    years = base.years.end - base.years.start + 1
    print(f"relocsim speed: python {platform.python_version()}, numpy {np.__version__}, mesa {mesa.__version__}")
    print(f"machine: {platform.machine()} {platform.processor() or ''}; {cpu_note()}")
    print(
        f"scenario {base.name} ({args.scenario}), years {base.years.start}-{base.years.end} ({years}), "
        f"{sum(kinds.values())} destinations ({', '.join(f'{v} {k}' for k, v in kinds.items())}) of "
        f"{data.n_places} places, {data.n_industries} industries, entry {base.firms.entry.rate_per_year:g} "
        f"× firms a year, seed {seed}"
    )
    warm = load_scenario(args.scenario, {"firms.count": 1_000})
    for factory in {c.factory for c in cases}:  # imports, data cache, first-call costs
        factory(warm, seed).run()
    for rep in range(max(c.repeats for c in cases)):  # interleaved: a burst of load hits every case alike
        for c in cases:
            if rep < c.repeats:
                time_once(c, seed)
    floor = {n: [numpy_floor(c.scenario, seed) for _ in range(args.repeats)] for n, c in _by_size(cases).items()}

    print()
    print("seconds: median (min) over repeats; decisions = firm-years decided (alive at a year's start, entrants")
    print("included); floor = 4 float32 uniforms per firm drawn and one logistic per firm, each year, nothing else")
    head = f"{'version':<11}{'firms':>9}{'runs':>5}  {'construct':>17}  {'years':>17}  {'total':>17}"
    print(f"{head}  {'decisions':>10}  {'M decisions/s':>13}  {'x floor':>7}")
    for c in cases:
        per_s = c.decisions / med(c.total_s) / 1e6
        multiple = med(c.total_s) / med(floor[c.firms])
        print(
            f"{c.label:<11}{c.firms:>9}{c.repeats:>5}  {fmt_s(c.construct_s):>17}  {fmt_s(c.run_s):>17}  "
            f"{fmt_s(c.total_s):>17}  {c.decisions:>10}  {per_s:>13.3f}  {multiple:>7.1f}"
        )
    for n, values in floor.items():
        print(f"{'floor':<11}{n:>9}{len(values):>5}  {'':>17}  {fmt_s(values):>17}")

    print()
    vec = {c.firms: c for c in cases if c.label == "vectorised"}
    for per in (c for c in cases if c.label == "per-agent"):
        if per.firms not in vec:
            print(f"no vectorised case at {per.firms} firms: add it to --sizes for the ratio")
            continue
        v = vec[per.firms]
        total, years_only = med(per.total_s) / med(v.total_s), med(per.run_s) / med(v.run_s)
        print(
            f"speed-up at {per.firms} firms, per-agent / vectorised (medians): whole run {total:.0f}x, "
            f"years only {years_only:.0f}x; target ≥ {TARGET_SPEEDUP:g}x whole run: {verdict(total >= TARGET_SPEEDUP)}"
        )
    if BIG in vec:
        t = med(vec[BIG].total_s)
        print(
            f"target {BIG} firms × {years} years ≤ {TARGET_SECONDS_1E6:g} s in-process: {t:.3f} s, "
            f"{verdict(t <= TARGET_SECONDS_1E6)}"
        )
    if args.breakdown:
        print_breakdown(args.scenario, args.breakdown, seed, args.repeats)
    if not args.skip_memory:
        biggest = max(args.sizes)
        mem = measure_memory(args.scenario, biggest, seed)
        ok = verdict(mem["peak_mib"] <= TARGET_PEAK_MIB) if biggest == BIG else "(target is at 1000000)"
        print(
            f"peak memory of one vectorised run at {biggest} firms (VmHWM of a fresh child): "
            f"{mem['peak_mib']:.0f} MiB (imports and data {mem['before_mib']:.0f} MiB); "
            f"target ≤ {TARGET_PEAK_MIB:g} MiB: {ok}"
        )
    sys.stdout.flush()
    return 0


def print_breakdown(scenario_path: Path, firms: int, seed: int, repeats: int) -> None:
    """Seconds per section of a vectorised run (benchmarks.breakdown), medians over `repeats`, and the floor."""
    scenario = load_scenario(scenario_path, {"firms.count": firms})
    runs = [breakdown(RelocationModel, scenario, seed) for _ in range(repeats)]
    floor = med([numpy_floor(scenario, seed) for _ in range(repeats)])
    total = med([r["total"] for r in runs])
    print()
    print(f"breakdown at {firms} firms (construction and run, exclusive time per section, medians of {repeats};")
    print("the timed wrappers add about a microsecond per call, so the total is a little above the clean time):")
    for section in ORDER:
        t = med([r[section] for r in runs])
        print(f"  {section:<22}{1000 * t:9.1f} ms  {100 * t / total:5.1f} %  {t / floor:6.1f} x floor")
    print(f"  {'total':<22}{1000 * total:9.1f} ms  100.0 %  {total / floor:6.1f} x floor ({1000 * floor:.1f} ms)")
    batches, years = med([r["batches"] for r in runs]), med([r["years"] for r in runs])
    in_batches = med([r["batch seconds"] for r in runs])
    construct = med([r["construction"] for r in runs])
    per_year = total - in_batches - construct
    print(
        f"by cadence: {batches:.0f} batches at {1e6 * in_batches / batches:.0f} us each "
        f"({100 * in_batches / total:.0f} %), {years:.0f} years at {1000 * per_year / years:.2f} ms each outside "
        f"their batches ({100 * per_year / total:.0f} %), construction {1000 * construct:.1f} ms "
        f"({100 * construct / total:.0f} %). At this size the cost is a count of small numpy operations per batch "
        "and per year, not work per firm (benchmarks/README.md)."
    )


def _by_size(cases: list[Case]) -> dict[int, Case]:
    """One case per firm count (the floor depends only on the count and the scenario)."""
    return {c.firms: c for c in cases}


if __name__ == "__main__":
    raise SystemExit(main())
