"""Fingerprint the outputs of every shipped command, to show that a refactoring changed no result byte.

    python -m tools.output_digest OUT.json [--workdir DIR]
    python -m tools.output_digest OUT.json --compare BEFORE.json [--only KEY ...]

Runs each command of the tour below at a small size (fixed seeds, two workers), then `plot DIR` on each result
folder, and writes the SHA-256 of every file each folder holds. What differs between two runs of the same code
is left out: the manifest's wall time, start time, git commit and command line (the folder is in it), the run
store's timings, and pyabc's wall-clock and commit columns in abc.db. The fingerprint of a calibration's inputs holds
absolute paths: compare digests made in checkouts at the same path. `--compare` prints every file whose bytes
differ from a digest written before the change, and exits 1 if any does.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = "docs/calibration/article_suzhou_levers"
PACKAGE = """\
name: three_levers
description: three of the article's levers, small enough to attribute in seconds
extends: {root}/scenarios/baseline.yaml
policies:
  relocation_aid: {{yuan_per_job: 60000, annual_budget_yuan: 2.0e9, start_year: 2024}}
  talent: {{annual_budget_yuan: 1.0e9, start_year: 2024}}
  pairing: {{start_year: 2024}}
"""
CALIBRATION = """\
name: tiny
base: {root}/scenarios/baseline.yaml
seed: 11
firms: 1500
replications: 2
parameters:
  behaviour.push.intercept: {{range: [-6.0, -3.0], reason: test prior}}
  behaviour.choice.distance: {{range: [-2.0, 0.0], reason: test prior}}
fit: [outside_majority, low_move_rate, top5_suzhou]
held_out: [top5_wuxi, north_skipped]
abc: {{population: 10, generations: 2, max_simulations: 120}}
predictive: {{draws: 2, replications: 2}}
"""
# (folder name, the command after `python run.py`); {inputs} is the folder of the two files above.
TOUR = (
    ("run", "run scenarios/baseline.yaml --firms 1500 --replications 2 --seed 1"),
    (
        "compare",
        "compare scenarios/baseline.yaml scenarios/talent.yaml scenarios/relocation_aid.yaml --firms 800 "
        "--replications 3 --seed 1",
    ),
    (
        "ci_width",
        "compare scenarios/baseline.yaml scenarios/relocation_aid.yaml --ci-width 0.05 "
        "--max-replications 6 --firms 500 --replications 2 --seed 2",
    ),
    (
        "compare_posterior",
        f"compare scenarios/baseline.yaml scenarios/relocation_aid.yaml --posterior {SHIPPED} --allow-thin "
        "--draws 3 --replications 2 --firms 500 --seed 1",
    ),
    ("sweep_line", "sweep experiments/examples/aid_per_job.yaml --firms 500 --replications 2 --seed 5"),
    ("sweep_grid", "sweep experiments/examples/talent_budget.yaml --firms 400 --replications 2 --seed 7"),
    ("sweep_lhs", "sweep experiments/examples/package_lhs.yaml --firms 300 --replications 2 --seed 11"),
    ("morris", "sensitivity experiments/examples/sensitivity_morris.yaml --firms 300 --replications 2 --seed 11"),
    ("sobol", "sensitivity experiments/examples/sensitivity_sobol.yaml --firms 200 --replications 2 --seed 3"),
    ("attribute", "attribute {inputs}/three_levers.yaml --firms 500 --replications 2 --seed 1 --metric closed_jobs"),
    (
        "attribute_posterior",
        f"attribute {{inputs}}/three_levers.yaml --posterior {SHIPPED} --allow-thin --draws 2 --firms 300 "
        "--replications 2 --seed 1",
    ),
    ("calibrate", "calibrate {inputs}/tiny.yaml"),
    ("report", "report scenarios/baseline.yaml --sobol-samples 2 --firms 400 --replications 3 --seed 1"),
    ("report_calibration", f"report {SHIPPED} --sobol-samples 0 --draws 2 --firms 400 --replications 2 --seed 1"),
)
VOLATILE = ("start_time", "wall_seconds", "git_commit", "argv")
VOLATILE_COLUMN = re.compile(r"time|git_hash")  # pyabc records wall-clock times and the checkout's commit


def _sqlite_rows(path: Path) -> bytes:
    """pyabc's history database as rows, less its wall-clock and commit columns (VOLATILE_COLUMN)."""
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        out = []
        for (table,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"):
            cursor = con.execute(f'SELECT * FROM "{table}"')  # noqa: S608 - table names from the file's own schema
            keep = [i for i, d in enumerate(cursor.description) if not VOLATILE_COLUMN.search(d[0])]
            out.append(repr((table, [tuple(row[i] for i in keep) for row in cursor])))
        return "\n".join(out).encode()
    finally:
        con.close()


def _normalised(path: Path, workdir: Path) -> bytes:
    """The file's bytes with the checkout's and the work folder's paths replaced (two checkouts compare equal)."""
    raw = _sqlite_rows(path) if path.suffix == ".db" else path.read_bytes()
    data = raw.replace(str(workdir).encode(), b"<WORK>").replace(str(ROOT).encode(), b"<ROOT>")
    if path.name == "manifest.json":
        doc = json.loads(data)
        for key in VOLATILE:
            doc.pop(key, None)
        return json.dumps(doc, sort_keys=True).encode()
    return data


def digest_folder(folder: Path, workdir: Path) -> dict[str, str]:
    out = {}
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).as_posix()
        if path.is_file() and not rel.startswith("runs/"):
            out[rel] = hashlib.sha256(_normalised(path, workdir)).hexdigest()
    return out


def tour(workdir: Path, workers: int, only: set[str] | None = None) -> dict[str, dict[str, str]]:
    inputs = workdir / "inputs"
    inputs.mkdir(parents=True, exist_ok=True)
    (inputs / "three_levers.yaml").write_text(PACKAGE.format(root=ROOT), encoding="utf-8")
    (inputs / "tiny.yaml").write_text(CALIBRATION.format(root=ROOT), encoding="utf-8")
    result: dict[str, dict[str, str]] = {}
    for key, command in TOUR:
        if only and key not in only:
            continue
        out = workdir / "out" / key
        argv = [*command.format(inputs=inputs).split(), "--out", str(out), "--quiet", "--workers", str(workers)]
        print(f"[{key}] python run.py {' '.join(argv)}", flush=True)
        subprocess.run([sys.executable, "run.py", *argv], cwd=ROOT, check=True)
        (folder,) = [p for p in out.iterdir() if p.is_dir() and not p.name.startswith(".")]
        result[key] = digest_folder(folder, workdir)
        subprocess.run([sys.executable, "run.py", "plot", str(folder), "--quiet"], cwd=ROOT, check=True)
        redrawn = digest_folder(folder, workdir)
        if redrawn != result[key]:
            changed = sorted(k for k in set(redrawn) | set(result[key]) if redrawn.get(k) != result[key].get(k))
            result[key]["plot DIR changed"] = ",".join(changed)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--workdir", type=Path)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--compare", type=Path, metavar="BEFORE.json")
    parser.add_argument("--only", nargs="+", choices=[key for key, _ in TOUR], help="run only these result folders")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        result = tour(args.workdir or Path(tmp), args.workers, set(args.only or ()))
    args.out.write_text(json.dumps(result, indent=1, sort_keys=True), encoding="utf-8")
    files = sum(len(v) for v in result.values())
    print(f"{files} files in {len(result)} result folders -> {args.out}")
    if args.compare is None:
        return 0
    before = json.loads(args.compare.read_text(encoding="utf-8"))
    if args.only:
        before = {key: value for key, value in before.items() if key in args.only}
    differ = [
        f"{key}/{name}"
        for key in sorted(set(before) | set(result))
        for name in sorted(set(before.get(key, {})) | set(result.get(key, {})))
        if before.get(key, {}).get(name) != result.get(key, {}).get(name)
    ]
    for line in differ:
        print("differs:", line)
    print(f"{len(differ)} of {files} files differ from {args.compare}")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
