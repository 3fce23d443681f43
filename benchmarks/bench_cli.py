"""Start-up time of the command line: `--help` and `validate` against importing numpy, yaml and pydantic.

Each command is started as a subprocess from the repository root, as a user
types it, `--repeats` times, interleaved (reference, help, validate, then
again), so that a load that comes and goes on the shared machine hits all of
them alike; the medians and their ratios to the reference are printed. Also
printed: which heavy modules each command imported (none of Mesa, pandas,
scipy or matplotlib should appear).

    python -m benchmarks.bench_cli [--repeats 15]

Target (issue 6, printed, not asserted): `--help` and `validate
scenarios/baseline.yaml` within 2× the reference.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_RATIO = 2.0
HEAVY = ("mesa", "pandas", "scipy", "matplotlib", "networkx")
CASES: dict[str, list[str]] = {
    "import numpy, yaml, pydantic": ["-c", "import numpy, yaml, pydantic"],
    "run.py --help": ["run.py", "--help"],
    "run.py compare --help": ["run.py", "compare", "--help"],
    "run.py validate scenarios/baseline.yaml": ["run.py", "validate", "scenarios/baseline.yaml"],
}
PROBE = (
    "import sys, runpy, contextlib, io\n"
    "sys.argv = {argv!r}\n"
    "with contextlib.suppress(SystemExit), contextlib.redirect_stdout(io.StringIO()):\n"
    "    runpy.run_path('run.py', run_name='__main__')\n"
    "print(','.join(m for m in {heavy!r} if m in sys.modules))\n"
)


# As a user runs it: Python writes and reuses bytecode caches (a session may set PYTHONDONTWRITEBYTECODE,
# which would recompile the project's modules, and only those, on every start).
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def wall(args: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, check=False, env=ENV)
    return time.perf_counter() - t0


def heavy_imports(argv: list[str]) -> str:
    code = PROBE.format(argv=argv, heavy=HEAVY)
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False, env=ENV)
    return out.stdout.strip().splitlines()[-1] if out.stdout.strip() else ("none" if out.returncode == 0 else "?")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]}, load average {os.getloadavg()[0]:.2f}, {args.repeats} repeats")
    if "PYTHONDONTWRITEBYTECODE" in os.environ:
        print("PYTHONDONTWRITEBYTECODE is set here; the commands are timed without it, as a user's Python runs")
    for args_ in CASES.values():  # warm the file cache
        wall(args_)
    times: dict[str, list[float]] = {name: [] for name in CASES}
    for _ in range(args.repeats):
        for name, argv in CASES.items():
            times[name].append(wall(argv))
    reference = statistics.median(times["import numpy, yaml, pydantic"])
    print(f"{'command':45s} {'median s':>9s} {'min s':>7s} {'ratio':>6s}  heavy modules imported")
    for name, ts in times.items():
        med = statistics.median(ts)
        heavy = "" if name.startswith("import") else (heavy_imports(CASES[name]) or "none")
        print(f"{name:45s} {med:9.3f} {min(ts):7.3f} {med / reference:6.2f}  {heavy}")
    worst = max(statistics.median(times[n]) for n in CASES if n.startswith("run.py")) / reference
    verdict = "met" if worst <= TARGET_RATIO else "MISSED"
    print(f"target: every command within {TARGET_RATIO}x the reference: {verdict} (worst {worst:.2f}x)")


if __name__ == "__main__":
    main()
