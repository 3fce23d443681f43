"""How long a 2-worker command's processes outlive it: Ctrl-C to the group, SIGTERM, kill -9, at several moments.

    python -m benchmarks.bench_interrupts [--repeats 3]

Prints, per signal and moment, the command's exit status, the lines it wrote
to stderr and the seconds until every process of its group had ended (the
worker, fork server and resource tracker included; zombies waiting for the
reaper count as ended). The contract (README, "Interrupts and kills"): one line
and nothing alive one second after the command.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ARGS = ["compare", "scenarios/baseline.yaml", "scenarios/talent.yaml", "--firms", "20000", "--replications", "6"]


def _running(pgid: int) -> bool:
    states = subprocess.run(["ps", "-o", "stat=", "-g", str(pgid)], capture_output=True, text=True).stdout.split()
    return any(not s.startswith("Z") for s in states)


def once(how: str, delay_s: float) -> tuple[int, int, float]:
    with tempfile.TemporaryDirectory() as tmp:
        argv = [sys.executable, "run.py", *ARGS, "--workers", "2", "--out", tmp, "--quiet"]
        proc = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
        time.sleep(delay_s)
        if how == "ctrl-c (group)":
            os.killpg(proc.pid, signal.SIGINT)
        else:
            os.kill(proc.pid, signal.SIGTERM if how == "SIGTERM" else signal.SIGKILL)
        _out, err = proc.communicate(timeout=600)
        t0 = time.monotonic()
        while _running(proc.pid) and time.monotonic() - t0 < 60:
            time.sleep(0.01)
        return proc.returncode, len(err.splitlines()), time.monotonic() - t0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print(f"{'signal':16} {'after s':>7} {'exit':>5} {'lines':>5} {'gone after s (median, max)':>28}")
    for how in ("ctrl-c (group)", "SIGTERM", "kill -9"):
        for delay in (0.2, 0.6, 2.0):
            runs = [once(how, delay) for _ in range(args.repeats)]
            gone = [r[2] for r in runs]
            codes = sorted({r[0] for r in runs})
            lines = sorted({r[1] for r in runs})
            print(f"{how:16} {delay:7.1f} {codes!s:>5} {lines!s:>5} {statistics.median(gone):14.3f} {max(gone):12.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
