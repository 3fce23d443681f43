"""Two workers against one on a small-run command: `compare` of 3 scenarios × 10 replications × 30,000 firms.

    python -m benchmarks.bench_workers [--repeats 5] [--wait-idle 300] [--firms 30000] [--plots-only]

Issue 16 item 3: "2 workers ≥ 1.8× one worker" on this command. Each repeat
runs `python run.py compare scenarios/baseline.yaml scenarios/talent.yaml
scenarios/relocation_aid.yaml ...` with `--workers 1` and `--workers 2` back to
back (the order alternating between repeats), with figures and with
`--no-plots`, each into a fresh folder, as a user runs it (interpreter start-up,
imports, planning, the runs, tables, report and figures, exit). Two ratios:

- **wall**: the command's launch to exit, W=1 over W=2 — what a user waits for;
- **runs**: the runs' throughput, W=2 over W=1 — runs per second over the runs
  phase, from the start of the first run to the end of the last (each run
  file's time less the run's own time, experiments.engine.store).

Per repeat it prints the wall, `ready` (launch to the first run's start:
imports, planning, at W=2 the fork server and workers), the runs phase, the
tail (tables, report, figures, exit) and the CPU other processes used
meanwhile; then the medians, both ratios (of the medians, and the median of the
back-to-back pairs, also of the quiet pairs only: other processes used at most
0.1 cores during both runs), and whether every table is byte-identical across
all runs. The machine is shared: the load average is printed at the start and
the end, and `--wait-idle S` waits up to S seconds before each pair for other
processes to use at most 0.1 cores.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import statistics
import sys
import tempfile
from pathlib import Path

from benchmarks.proc import ROOT, Timed, command_text, load_note, run_command, wait_idle

SCENARIOS = ("scenarios/baseline.yaml", "scenarios/talent.yaml", "scenarios/relocation_aid.yaml")
TABLES = ("comparison.csv", "timeseries.csv", "decision.csv")
TARGET = 1.8
QUIET = 0.1  # cores other processes used during a run, at most, for its pair to count as quiet
WORKERS = (1, 2)


def command(out: Path, workers: int | str, firms: int, replications: int, plots: bool) -> list[str]:
    args = ["run.py", "compare", *SCENARIOS, "--replications", str(replications), "--firms", str(firms)]
    args += ["--workers", str(workers), "--out", str(out), "--name", "bench", "-q"]
    return args if plots else [*args, "--no-plots"]


def tables_digest(folder: Path) -> str:
    return hashlib.sha256(b"".join((folder / name).read_bytes() for name in TABLES)).hexdigest()


def runs_rate(t: Timed) -> float:
    return len(t.run_seconds) / t.runs_phase


def measure(tmp: Path, args: argparse.Namespace, plots: bool, digests: set[str]) -> None:
    label = "with figures" if plots else "--no-plots"
    print(f"compare, {label}: {command_text(command(Path('OUT'), 'W', args.firms, args.replications, plots))}")
    print("  (W = 1 or 2, OUT a fresh folder per run)")
    print(f"  {'repeat':>6} {'W':>2} {'wall s':>7} {'ready s':>7} {'runs s':>7} {'tail s':>7} {'other load':>10}")
    timed: dict[int, list[Timed]] = {w: [] for w in WORKERS}
    for r in range(args.repeats):
        if args.wait_idle:
            wait_idle(args.wait_idle)
        for w in WORKERS if r % 2 == 0 else tuple(reversed(WORKERS)):
            out = tmp / f"{'plots' if plots else 'noplots'}-w{w}-r{r}"
            cmd = command(out, w, args.firms, args.replications, plots)
            t = run_command(cmd, out / "bench" / "runs", cwd=args.checkout)
            timed[w].append(t)
            digests.add(tables_digest(out / "bench"))
            print(
                f"  {r + 1:>6} {w:>2} {t.wall:7.2f} {t.ready:7.2f} {t.runs_phase:7.2f} {t.tail:7.2f} "
                f"{t.other_cores:6.2f} cores"
            )
    keys = ("wall", "ready", "tail")
    med = {w: {k: statistics.median(getattr(t, k) for t in timed[w]) for k in keys} for w in WORKERS}
    rate = {w: statistics.median(runs_rate(t) for t in timed[w]) for w in WORKERS}
    for w in WORKERS:
        print(
            f"  median W={w}: wall {med[w]['wall']:.2f} s, ready {med[w]['ready']:.2f} s, "
            f"runs {rate[w]:.2f} runs/s, tail {med[w]['tail']:.2f} s"
        )
    wall = med[1]["wall"] / med[2]["wall"]
    paired = [a.wall / b.wall for a, b in zip(timed[1], timed[2], strict=True)]
    runs = rate[2] / rate[1]
    paired_runs = [runs_rate(b) / runs_rate(a) for a, b in zip(timed[1], timed[2], strict=True)]
    quiet = [
        i for i, (a, b) in enumerate(zip(timed[1], timed[2], strict=True)) if max(a.other_cores, b.other_cores) <= QUIET
    ]
    for name, ratio, pairs in (("wall", wall, paired), ("runs", runs, paired_runs)):
        verdict = "met" if ratio >= TARGET else "MISSED"
        print(
            f"  {name} ratio 2 workers vs 1: {ratio:.2f}x (medians; back-to-back pairs "
            f"{', '.join(f'{x:.2f}' for x in pairs)}, median {statistics.median(pairs):.2f}x); "
            f"target ≥ {TARGET}x {verdict}"
        )
        if quiet:
            clean = statistics.median(pairs[i] for i in quiet)
            print(f"    pairs with other load ≤ {QUIET} cores in both runs: {len(quiet)}, median {clean:.2f}x")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--firms", type=int, default=30_000)
    parser.add_argument("--replications", type=int, default=10)
    parser.add_argument(
        "--checkout", type=Path, default=ROOT, help="run the commands of another checkout (before/after a change)"
    )
    parser.add_argument(
        "--wait-idle", type=float, default=0.0, metavar="S", help="before each pair, wait up to S s for a quiet machine"
    )
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--plots-only", action="store_true", help="only the command with figures")
    which.add_argument("--no-plots-only", action="store_true", help="only the command with --no-plots")
    args = parser.parse_args()
    # as a user's Python runs: bytecode caches written and reused (a session may turn them off)
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    print(f"start: {load_note()} on {os.cpu_count()} CPUs; {args.repeats} repeats, W=1 and W=2 interleaved")
    print(f"checkout: {args.checkout}")
    digests: set[str] = set()
    with tempfile.TemporaryDirectory(prefix="relocsim-bench-workers-") as name:
        tmp = Path(name)
        for plots in (True, False):
            if (plots and args.no_plots_only) or (not plots and args.plots_only):
                continue
            measure(tmp, args, plots, digests)
            print()
    print(f"tables ({', '.join(TABLES)}) byte-identical across every run: {'yes' if len(digests) == 1 else 'NO'}")
    print(f"end: {load_note()}")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
