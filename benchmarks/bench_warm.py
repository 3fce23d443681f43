"""Warm starts (issue 16 item 2): model-years not simulated again, and the wall time with and without them.

Two measurements:

1. In one process, one core: a 30,000-firm run of a package from its first
   year against the same run resumed from the baseline's stored state after
   2023 (storing it, resuming it, and the years 2024-2035), and the size of a
   stored state; `--sizes` adds other firm counts.
2. The command a user runs, `python run.py compare` of the baseline and 3
   packages × 10 replications × 30,000 firms, with warm starts off
   (RELOCSIM_WARM_CACHE_MB=0) and on (the default store), for 1 and 2
   workers, interleaved `--repeats` times: wall time, the model-years the
   command was asked for, those not simulated again (its terminal line) and
   the manifest's `model_years`, and whether the result folders are the same
   bytes (every file but the manifest).

Run from the repository root with the venv active:

    python -m benchmarks.bench_warm [--repeats 2] [--workers 1 2] [--firms 30000] [--replications 10] [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.proc import load_note
from experiments.engine.warm import ENV
from model import RelocationModel
from model.prefix import replay
from model.scenario import load_scenario
from model.snapshot import resume, take
from model.world import world_for
from tools.output_digest import digest_folder

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("relocation_aid", "talent", "article_package")
CUT = 2023


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:7.1f} ms"


def bench_model(firms: int, repeats: int) -> None:
    base = load_scenario(ROOT / "scenarios" / "baseline.yaml", {"firms.count": firms})
    package = load_scenario(ROOT / "scenarios" / "article_package.yaml", {"firms.count": firms})
    data = world_for(base)
    seed = 20230101
    cold_s, take_s, resume_s, rest_s, size = [], [], [], [], 0
    for _ in range(repeats + 1):  # the first round warms caches and is dropped
        t0 = time.perf_counter()
        model = RelocationModel(package, seed, data)
        while model.year < package.years.end:
            model.step()
        cold_s.append(time.perf_counter() - t0)
        prefix = RelocationModel(base, seed, data)
        while prefix.year < CUT:
            prefix.step()
        t0 = time.perf_counter()
        snapshot = take(prefix)
        take_s.append(time.perf_counter() - t0)
        size = snapshot.nbytes
        t0 = time.perf_counter()
        rebuilt = replay(package, data, CUT, check=False)
        assert rebuilt is not None
        warm = resume(snapshot, package, data, rebuilt)
        resume_s.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        while warm.year < package.years.end:
            warm.step()
        rest_s.append(time.perf_counter() - t0)
    cold, stored, resumed, rest = (statistics.median(x[1:]) for x in (cold_s, take_s, resume_s, rest_s))
    years = package.years.end - package.years.start + 1
    print(
        f"   {firms:>9,} firms: cold run {_ms(cold)}; resumed after {CUT}: resume {_ms(resumed)} + "
        f"{package.years.end - CUT} years {_ms(rest)} = {_ms(resumed + rest)} "
        f"({(resumed + rest) / cold:.0%} of cold, {CUT - package.years.start + 1} of {years} years skipped); "
        f"storing the state {_ms(stored)} once per seed, {size / 2**20:.1f} MiB ({size / firms:.0f} B per firm)"
    )


def _compare(out: Path, firms: int, replications: int, workers: int, warm_mb: str) -> tuple[float, str, dict]:
    args = [sys.executable, "run.py", "compare", "scenarios/baseline.yaml", *(f"scenarios/{p}.yaml" for p in PACKAGES)]
    args += ["--firms", str(firms), "--replications", str(replications), "--seed", "1", "--workers", str(workers)]
    args += ["--out", str(out), "--no-plots"]
    env = {**os.environ, ENV: warm_mb}
    t0 = time.perf_counter()
    proc = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    wall = time.perf_counter() - t0
    [folder] = [p for p in out.iterdir() if not p.name.startswith(".")]
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    line = next((x for x in proc.stdout.splitlines() if x.startswith("warm starts:")), "")
    return wall, line, manifest["model_years"]


def bench_command(firms: int, replications: int, workers: list[int], repeats: int) -> None:
    runs = (1 + len(PACKAGES)) * replications
    print(
        f"2. python run.py compare scenarios/baseline.yaml {' '.join(f'scenarios/{p}.yaml' for p in PACKAGES)} "
        f"--firms {firms} --replications {replications} --seed 1 --workers W --no-plots  ({runs} runs)"
    )
    walls: dict[tuple[int, str], list[float]] = {}
    digests: dict[tuple[int, str], dict[str, str]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(repeats):
            for w in workers:
                for mode in ("off", "on") if r % 2 == 0 else ("on", "off"):
                    out = Path(tmp) / f"{mode}-w{w}-r{r}"
                    wall, line, years = _compare(out, firms, replications, w, "0" if mode == "off" else "")
                    walls.setdefault((w, mode), []).append(wall)
                    [folder] = [p for p in out.iterdir() if not p.name.startswith(".")]
                    digest = digest_folder(folder, out)
                    digest.pop("manifest.json")
                    digests[(w, mode)] = digest
                    print(f"   repeat {r + 1} W={w} warm starts {mode:3}: {wall:6.1f} s  {line}  ({load_note()})")
        print(f"   manifest model_years: {years}")
    for w in workers:
        off, on = (statistics.median(walls[(w, m)]) for m in ("off", "on"))
        print(f"   W={w}: off {off:6.1f} s, on {on:6.1f} s (median of {repeats}): {1 - on / off:.0%} wall time saved")
    same = all(d == next(iter(digests.values())) for d in digests.values())
    print(f"   result folders (every file but the manifest) the same bytes on and off, 1 and 2 workers: {same}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--firms", type=int, default=30_000)
    parser.add_argument("--replications", type=int, default=10)
    parser.add_argument("--sizes", type=int, nargs="+", default=[30_000], help="firm counts of measurement 1")
    parser.add_argument("--quick", action="store_true", help="3,000 firms, 3 replications, 1 repeat")
    args = parser.parse_args()
    if args.quick:
        args.firms, args.replications, args.repeats, args.sizes = 3_000, 3, 1, [3_000]
    print(f"bench_warm: {os.cpu_count()} cores, {load_note()}")
    print("1. one run in this process: from the first year, or resumed from the baseline's state after 2023")
    for firms in args.sizes:
        bench_model(firms, max(3, args.repeats))
    bench_command(args.firms, args.replications, args.workers, args.repeats)
    return 0


if __name__ == "__main__":
    sys.exit(main())
