"""Wall time and memory of the experiment commands (`sweep`, `compare`) run as a user runs them.

Every figure comes from `python run.py ...` started as a subprocess from the
repository root, so it includes what a user waits for: interpreter start-up and
imports, planning, the runs, the tables. Three measurements:

1. `sweep` of a 40-run experiment (2 factors, grid, base scenarios/baseline.yaml)
   with `--workers 1` and `--workers 2`, `--repeats` times each, interleaved:
   wall time, speed-up, time to the first finished run (the worker start-up shows
   there) and whether the results.csv of every run is byte-identical.
2. `compare` of 10 shipped scenarios × 20 replications × 20,000 firms on 2 workers:
   wall time and runs per second.
3. Resident memory of the whole process tree (the command, the fork server, the
   workers) sampled from /proc while a 500-run sweep at 500 firms runs, printed
   every 50 finished runs, and the peak.

Run from the repository root with the venv active (the machine's 2 cores are
shared, so no taskset here; the header and every row print the load):

    python -m benchmarks.bench_experiments [--repeats 3] [--skip-compare] [--skip-memory] [--quick]

Targets printed (not asserted): speed-up ≥ 1.7× with 2 workers; compare within 30 s.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import shlex
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from benchmarks.proc import Timed, command_text, load_note, package, run_command
from model.levers import REGISTRY

ROOT = Path(__file__).resolve().parents[1]
RUN_PY = "run.py"  # commands run with cwd=ROOT, printed as a user would type them
BASE_SCENARIO = ROOT / "scenarios" / "baseline.yaml"
TARGET_SPEEDUP = 1.7
TARGET_COMPARE_SECONDS = 30.0
SWEEP_WORKERS = (1, 2)
COMPARE_WORKERS = 2
MEMORY_WORKERS = 2
MEMORY_POLL_SECONDS = 0.02
# baseline first; reference.yaml (every key at its default) and outside_competition.yaml
# (other provinces' incentives, not a Jiangsu lever) are the shipped files left out
COMPARE_SCENARIOS = ("baseline", *REGISTRY, "article_package")  # one shipped scenario per lever, from the registry
LEFT_OUT = ("outside_competition", "reference")


@dataclass(frozen=True)
class Sizes:
    """Problem sizes: the issue's (full) or a smoke run (--quick)."""

    sweep_firms: int
    sweep_grid: tuple[int, int, int]  # levels of factor 1, levels of factor 2, replications
    compare_scenarios: int
    compare_replications: int
    compare_firms: int
    memory_firms: int
    memory_grid: tuple[int, int, int]
    memory_every: int

    @staticmethod
    def runs(grid: tuple[int, int, int]) -> int:
        return grid[0] * grid[1] * grid[2]


FULL = Sizes(60_000, (4, 5, 2), 10, 20, 20_000, 500, (10, 10, 5), 50)
QUICK = Sizes(5_000, (2, 2, 2), 3, 2, 2_000, 200, (5, 5, 2), 10)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def experiment_yaml(name: str, firms: int, grid: tuple[int, int, int], seed: int) -> str:
    """A two-factor grid experiment on the baseline: grid[0] × grid[1] points × grid[2] replications."""
    return (
        f"name: {name}\n"
        f"base: {BASE_SCENARIO}\n"
        f"seed: {seed}\n"
        f"replications: {grid[2]}\n"
        f"firms: {firms}\n"
        "design: {method: grid}\n"
        "factors:\n"
        f"  behaviour.choice.talent: {{range: [0.5, 1.5], levels: {grid[0]}}}\n"
        f"  world.south.wage_per_year: {{range: [0.03, 0.09], levels: {grid[1]}}}\n"
        "outcomes: [north_share_jobs, relocated_jobs, fiscal_cost_yuan]\n"
    )


def med_min(values: Sequence[float]) -> str:
    """'median (min)' in seconds."""
    return f"{statistics.median(values):6.2f} ({min(values):5.2f})"


# --------------------------------------------------------------------------- 1. sweep, 1 vs 2 workers


def bench_sweep(tmp: Path, sizes: Sizes, repeats: int) -> None:
    runs = Sizes.runs(sizes.sweep_grid)
    exp = tmp / "sweep_workers.yaml"
    exp.write_text(experiment_yaml("bench_workers", sizes.sweep_firms, sizes.sweep_grid, seed=11), encoding="utf-8")
    print(
        f"1. sweep, {runs} runs ({sizes.sweep_grid[0]} x {sizes.sweep_grid[1]} points x {sizes.sweep_grid[2]} "
        f"replications) at {sizes.sweep_firms} firms, workers {' vs '.join(map(str, SWEEP_WORKERS))}"
    )
    print(f"   experiment {exp}:")
    for line in exp.read_text(encoding="utf-8").splitlines():
        print(f"     {line}")
    template = [RUN_PY, "sweep", str(exp), "--out", "OUT", "--name", "bench", "--workers", "W", "-q", "--no-plots"]
    print(f"   command: {command_text(template)}  (OUT a fresh folder per run)")
    timed: dict[int, list[Timed]] = {w: [] for w in SWEEP_WORKERS}
    hashes: dict[tuple[int, int], str] = {}
    print(f"   {repeats} repeat(s), interleaved (order alternates between repeats)")
    print(
        f"   {'repeat':>6} {'W':>2} {'wall s':>7} {'1st run s':>9} {'run median s':>12} {'cmd CPU s':>9} "
        f"{'other load':>10}"
    )
    for r in range(repeats):
        order = SWEEP_WORKERS if r % 2 == 0 else tuple(reversed(SWEEP_WORKERS))
        for w in order:
            out = tmp / f"sweep-w{w}-r{r}"
            args = [RUN_PY, "sweep", str(exp), "--out", str(out), "--name", "bench", "--workers", str(w), "-q"]
            t = run_command([*args, "--no-plots"], out / "bench" / "runs")
            timed[w].append(t)
            hashes[(w, r)] = sha256(out / "bench" / "results.csv")
            print(
                f"   {r + 1:>6} {w:>2} {t.wall:7.2f} {t.first_run:9.2f} {t.median_run:12.3f} {t.tree_cpu:9.1f} "
                f"{t.other_cores:7.2f} cores"
            )
    print()
    print("   W  wall s median (min)  1st finished run s median  one run s median  runs/s")
    for w in SWEEP_WORKERS:
        walls = [t.wall for t in timed[w]]
        print(
            f"   {w}  {med_min(walls):>20}  {statistics.median(t.first_run for t in timed[w]):>25.2f}  "
            f"{statistics.median(t.median_run for t in timed[w]):>16.3f}  {runs / statistics.median(walls):6.2f}"
        )
    one, two = (statistics.median(t.wall for t in timed[w]) for w in SWEEP_WORKERS)
    best = min(t.wall for t in timed[1]) / min(t.wall for t in timed[2])
    # each repeat's W=1 and W=2 ran back to back, so their ratio cancels slow spells that hit both
    paired = [a.wall / b.wall for a, b in zip(timed[1], timed[2], strict=True)]
    verdict = "MET" if one / two >= TARGET_SPEEDUP else "MISSED"
    print(
        f"   speed-up 2 workers vs 1: {one / two:.2f}x (ratio of the medians; {best:.2f}x of the minima; "
        f"per repeat {', '.join(f'{x:.2f}' for x in paired)}, median {statistics.median(paired):.2f}x); "
        f"target ≥ {TARGET_SPEEDUP}x: {verdict}"
    )
    med = {
        w: {k: statistics.median(getattr(t, k) for t in timed[w]) for k in ("ready", "runs_phase", "tail")}
        for w in SWEEP_WORKERS
    }
    print("   where the time goes, medians in s (from the run files' times and each run's own wall time):")
    print(f"     {'':48} {'W=1':>6} {'W=2':>6}")
    rows = (
        ("ready", "launch to the start of the first run", "interpreter, imports, planning; at W=2 + worker start-up"),
        ("runs_phase", "start of the first run to the end of the last", ""),
        ("tail", "after the last run", "tables, pool shut-down, exit"),
    )
    for key, label, note in rows:
        print(f"     {label:48} {med[1][key]:6.2f} {med[2][key]:6.2f}   {note}".rstrip())
    start_up = med[2]["ready"] - med[1]["ready"]
    slower = statistics.median(t.median_run for t in timed[2]) / statistics.median(t.median_run for t in timed[1])
    print(
        f"   worker start-up ≈ {start_up:.2f} s (W=2 ready less W=1 ready) = {start_up / two:.0%} of the W=2 wall; "
        f"runs phase alone {med[1]['runs_phase'] / med[2]['runs_phase']:.2f}x faster at W=2; "
        f"a run takes {slower:.2f}x as long with 2 at once (cores, caches, memory bandwidth shared)"
    )
    gaps = statistics.median((t.runs_phase - sum(t.run_seconds)) / max(1, len(t.run_seconds) - 1) for t in timed[1])
    print(
        f"   engine overhead per run at W=1 (runs phase less the runs' own times, per gap): {gaps * 1000:.1f} ms "
        "(writing the run file, the next task)"
    )
    distinct = set(hashes.values())
    print(
        f"   results.csv byte-identical across all {len(hashes)} runs (W=1 and W=2, every repeat): "
        f"{'yes' if len(distinct) == 1 else f'NO ({len(distinct)} different files)'} "
        f"(sha256 {next(iter(distinct))[:16]}…)"
    )


# --------------------------------------------------------------------------- 2. compare


def bench_compare(tmp: Path, sizes: Sizes) -> None:
    names = COMPARE_SCENARIOS[: sizes.compare_scenarios]
    paths = [f"scenarios/{n}.yaml" for n in names]
    runs = len(names) * sizes.compare_replications
    out = tmp / "compare"
    args = [
        RUN_PY,
        "compare",
        *paths,
        "--replications",
        str(sizes.compare_replications),
        "--firms",
        str(sizes.compare_firms),
        "--workers",
        str(COMPARE_WORKERS),
        "-q",
        "--out",
        str(out),
        "--name",
        "bench",
    ]
    print(
        f"2. compare, {len(names)} scenarios x {sizes.compare_replications} replications x "
        f"{sizes.compare_firms} firms = {runs} runs, {COMPARE_WORKERS} workers"
    )
    left_out = [n for n in (*LEFT_OUT, *COMPARE_SCENARIOS[sizes.compare_scenarios :])]
    print(f"   scenarios: {', '.join(names)} (left out: {', '.join(left_out)})")
    print(f"   command: {command_text(args)}")
    t = run_command(args, out / "bench" / "runs")
    verdict = "MET" if t.wall < TARGET_COMPARE_SECONDS else "MISSED"
    print(f"   wall {t.wall:.1f} s, {runs / t.wall:.2f} runs/s; target under {TARGET_COMPARE_SECONDS:.0f} s: {verdict}")
    print(
        f"   first finished run after {t.first_run:.2f} s, last after {t.last_run:.2f} s "
        f"(then tables and plots: {t.wall - t.last_run:.2f} s); one run median {t.median_run:.3f} s, "
        f"sum of run times {sum(t.run_seconds):.1f} s; other load {t.other_cores:.2f} cores"
    )


# --------------------------------------------------------------------------- 3. memory


def bench_memory(tmp: Path, sizes: Sizes) -> None:
    runs = Sizes.runs(sizes.memory_grid)
    exp = tmp / "sweep_memory.yaml"
    exp.write_text(experiment_yaml("bench_memory", sizes.memory_firms, sizes.memory_grid, seed=12), encoding="utf-8")
    out = tmp / "memory"
    args = [RUN_PY, "sweep", str(exp), "--out", str(out), "--name", "bench", "--workers", str(MEMORY_WORKERS), "-q"]
    args.append("--no-plots")
    print(
        f"3. memory over a {runs}-run sweep ({sizes.memory_grid[0]} x {sizes.memory_grid[1]} points x "
        f"{sizes.memory_grid[2]} replications) at {sizes.memory_firms} firms, {MEMORY_WORKERS} workers"
    )
    print(f"   command: {command_text(args)}")
    print(
        f"   every process of the command (itself; the fork server, resource tracker and workers) read from "
        f"/proc every {MEMORY_POLL_SECONDS * 1000:.0f} ms: RSS from status, PSS from smaps_rollup. RSS counts the "
        "pages the workers share with the fork server once per process; PSS shares them out, so the PSS total adds up"
    )
    t = run_command(args, out / "bench" / "runs", memory=True)
    print(f"   wall {t.wall:.1f} s, {runs / t.wall:.1f} runs/s; other load {t.other_cores:.2f} cores")
    print(
        f"   {'runs done':>9} {'at s':>6} {'command RSS':>11} {'fork server etc. RSS':>20} {'each worker RSS':>16} "
        f"{'total RSS':>9} {'total PSS':>9}   (MiB)"
    )
    for n in [0, *range(sizes.memory_every, runs + 1, sizes.memory_every)]:
        if n == 0:  # the last sample before the first run finished: imports, planning, pool started
            before = [x for x in t.watch.samples if x.runs_done == 0]
            sample = before[-1] if before else None
        else:
            sample = next((x for x in t.watch.samples if x.runs_done >= n), None)
        if sample is None:
            print(f"   {n:>9} not sampled (the command ended first)")
            continue
        workers = " / ".join(f"{v:.1f}" for v in sample.rss_at(2)) or "-"
        print(
            f"   {sample.runs_done:>9} {sample.seconds:6.2f} {sum(sample.rss_at(0)):11.1f} "
            f"{sum(sample.rss_at(1)):20.1f} {workers:>16} {sum(sample.rss_mib.values()):9.1f} "
            f"{sum(sample.pss_mib.values()):9.1f}"
        )
    samples = t.watch.samples
    rss = [sum(x.rss_mib.values()) for x in samples]
    pss = [sum(x.pss_mib.values()) for x in samples]
    at = max(range(len(samples)), key=pss.__getitem__)
    hwm = {d: [v for k, v in sorted(t.watch.hwm_mib.items()) if t.watch.depth.get(k) == d] for d in (0, 1, 2)}
    print(
        f"   peak over {len(samples)} samples: total PSS {pss[at]:.1f} MiB (at {samples[at].seconds:.2f} s, "
        f"{samples[at].runs_done} runs done), total RSS {max(rss):.1f} MiB"
    )
    print(
        "   VmHWM (the kernel's peak per process, last seen) MiB: "
        + "; ".join(
            f"{label} {' / '.join(f'{v:.1f}' for v in hwm[d]) or '-'}"
            for d, label in ((0, "command"), (1, "fork server etc."), (2, "workers"))
        )
    )
    steady = [x for x in samples if sizes.memory_every <= x.runs_done < runs and len(x.rss_at(2)) == MEMORY_WORKERS]
    if len(steady) >= 2:
        own = [sum(x.rss_at(0)) for x in steady]
        tot = [sum(x.pss_mib.values()) for x in steady]
        first, last = steady[0], steady[-1]
        growth = (
            (sum(last.rss_at(2)) - sum(first.rss_at(2))) / MEMORY_WORKERS / max(1, last.runs_done - first.runs_done)
        )
        print(
            f"   from {first.runs_done} to {last.runs_done} runs done: command RSS {min(own):.1f}-{max(own):.1f} MiB; "
            f"workers {' / '.join(f'{v:.1f}' for v in first.rss_at(2))} -> "
            f"{' / '.join(f'{v:.1f}' for v in last.rss_at(2))} MiB "
            f"({growth * 1024:+.0f} KiB per worker per run done); total PSS {min(tot):.1f}-{max(tot):.1f} MiB"
        )


# --------------------------------------------------------------------------- main


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--repeats", type=int, default=3, help="sweep runs per worker count, median reported (default 3)"
    )
    parser.add_argument("--skip-compare", action="store_true", help="do not time the 10-scenario compare")
    parser.add_argument("--skip-memory", action="store_true", help="do not sample memory over the 500-run sweep")
    parser.add_argument("--quick", action="store_true", help="smoke run: small sizes, figures not comparable")
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error("--repeats must be ≥ 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    sizes = QUICK if args.quick else FULL
    print(
        "relocsim experiments benchmark: "
        f"python {platform.python_version()}, numpy {package('numpy')}, mesa {package('mesa')}, "
        f"relocsim {package('relocsim')}"
    )
    try:
        affinity = f"affinity CPUs {sorted(os.sched_getaffinity(0))} of {os.cpu_count()}"
    except AttributeError:
        affinity = f"{os.cpu_count()} CPUs"
    print(f"machine: {platform.machine()} {platform.processor() or ''}; {affinity}; {load_note()}")
    print(
        "timings on this shared machine are noisy: 'other load' is the CPU other processes used meanwhile "
        "(cores, from /proc/stat, ±0.1 as the command's processes are sampled every 0.1 s); above ~0.3 the "
        "2-worker figures suffer, so trust the minima then or rerun"
    )
    flags = shlex.join(argv if argv is not None else sys.argv[1:])
    print(f"command: python -m benchmarks.bench_experiments {flags}".rstrip())
    if args.quick:
        print("QUICK: smoke-run sizes, not the issue's")
    with tempfile.TemporaryDirectory(prefix="relocsim-bench-") as name:
        tmp = Path(name)
        print(f"outputs in {tmp} (removed at the end)")
        # untimed warm-up: byte-compiled imports and data files in the page cache
        subprocess.run(
            [sys.executable, RUN_PY, "validate", str(BASE_SCENARIO)], cwd=ROOT, check=True, stdout=subprocess.DEVNULL
        )
        print()
        bench_sweep(tmp, sizes, args.repeats)
        if not args.skip_compare:
            print()
            bench_compare(tmp, sizes)
        if not args.skip_memory:
            print()
            bench_memory(tmp, sizes)
    print()
    print(f"end: {load_note()}")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
