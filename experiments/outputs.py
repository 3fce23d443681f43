"""Result folders, written whole or not at all.

Everything goes into a hidden temporary folder beside the target, which is
renamed into place only when complete; a run that fails leaves the previous
results untouched and no half-written folder behind.
"""

from __future__ import annotations

import csv
import hashlib
import json
import math
import os
import platform
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Collection, Iterable, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from experiments.engine import RUNS_DIR
from experiments.runner import RunOutcome
from experiments.stats import mean_ci95
from model.config import Scenario
from model.metrics import FLOW_COLUMNS, SUMMARY_METRICS, TIMESERIES_COLUMNS
from model.scenario import dump_resolved
from model.world import WorldData, data_paths

PROJECT_ROOT = Path(__file__).resolve().parent.parent
MANIFEST = "manifest.json"


def fmt(value: float | int | str) -> str:
    """Numbers as short, exact-enough text; the same value always gives the same bytes."""
    if isinstance(value, str):
        return value
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    v = float(value)
    if math.isnan(v):
        return "nan"
    if v == int(v) and abs(v) < 1e15:
        return str(int(v))
    return format(v, ".10g")


def write_csv(path: Path, columns: Iterable[str], rows: Iterable[Iterable[Any]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(list(columns))
        for row in rows:
            w.writerow([fmt(v) for v in row])


def _json_number(v: float) -> float | None:
    return None if not math.isfinite(v) else float(v)


def summarise(outcome: RunOutcome) -> dict[str, Any]:
    """summary.json: mean, 95% CI and per-replication values of each headline metric."""
    metrics: dict[str, Any] = {}
    for name in SUMMARY_METRICS:
        values = [float(r.metrics[name]) for r in outcome.results]
        mean, lo, hi = mean_ci95(values)
        metrics[name] = {
            "mean": _json_number(mean),
            "ci95": [None if lo is None else _json_number(lo), None if hi is None else _json_number(hi)],
            "values": [_json_number(v) for v in values],
        }
    return {"scenario": outcome.scenario.name, "replications": len(outcome.results), "metrics": metrics}


def git_commit() -> str | None:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=5, check=True
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def package_version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def provenance(started_at: float, wall_seconds: float, **extra_versions: str | None) -> dict[str, Any]:
    """What every manifest records about how it was made: versions, git commit, command, times."""
    return {
        "versions": {
            "python": platform.python_version(),
            "mesa": package_version("mesa"),
            "numpy": package_version("numpy"),
            "relocsim": package_version("relocsim"),
            **extra_versions,
        },
        "git_commit": git_commit(),
        "command": sys.argv,
        "start_time": datetime.fromtimestamp(started_at, UTC).isoformat(timespec="seconds"),
        "wall_seconds": round(wall_seconds, 3),
    }


def scenario_manifest(
    scenario: Scenario, seeds: Sequence[int], started_at: float, wall_seconds: float
) -> dict[str, Any]:
    """manifest.json of a scenario run: its seeds, the config and data hashes, provenance."""
    return {
        "scenario": scenario.name,
        "seed": scenario.seed,
        "replication_seeds": list(seeds),
        "replications": len(seeds),
        "years": [scenario.years.start, scenario.years.end],
        "firms": scenario.firms.count,
        "config_hash": "sha256:" + hashlib.sha256(dump_resolved(scenario).encode()).hexdigest(),
        "data_files": {str(p): "sha256:" + _sha256(p) for p in data_paths(scenario)},
        **provenance(started_at, wall_seconds),
    }


@contextmanager
def atomic_dir(final: Path):  # noqa: ANN201 - a context manager yielding the temp folder
    """Yield a temporary folder that replaces `final` only if the block succeeds."""
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = final.parent / f".{final.name}.tmp-{os.getpid()}-{time.monotonic_ns()}"
    tmp.mkdir()
    try:
        yield tmp
        old = None
        if final.exists():
            old = final.parent / f".{final.name}.old-{os.getpid()}-{time.monotonic_ns()}"
            final.rename(old)
        tmp.rename(final)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def _swap_in(entry: Path, target: Path) -> None:
    """Rename a finished file or folder onto its target (a folder is swapped whole)."""
    if entry.is_dir():
        old = target.parent / f".{target.name}.old-{os.getpid()}-{time.monotonic_ns()}"
        if target.exists():
            target.rename(old)
        entry.rename(target)
        shutil.rmtree(old, ignore_errors=True)
    else:
        entry.replace(target)


def publish(folder: Path, build: Callable[[Path], object], keep: Collection[str] = (RUNS_DIR,)) -> None:
    """Write an experiment's final files into a hidden folder, then rename each into `folder`.

    The old manifest.json goes first and the new one comes last, so a folder
    with a manifest always holds one complete, consistent set; earlier result
    files that this build did not write are removed (they would mislead);
    `keep` (the resumable `runs/`) is never touched. A build that raises leaves
    the folder as it was, but for the missing manifest.
    """
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".publish-{os.getpid()}-{time.monotonic_ns()}"
    tmp.mkdir()
    try:
        build(tmp)
        written = {p.name for p in tmp.iterdir()}
        (folder / MANIFEST).unlink(missing_ok=True)
        for entry in sorted(tmp.iterdir()):
            if entry.name != MANIFEST:
                _swap_in(entry, folder / entry.name)
        for stale in folder.iterdir():
            if stale.name in written or stale.name in keep or stale.name.startswith("."):
                continue
            if stale.is_dir():
                shutil.rmtree(stale)
            else:
                stale.unlink()
        if (tmp / MANIFEST).exists():
            (tmp / MANIFEST).replace(folder / MANIFEST)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def write_run(
    outcome: RunOutcome,
    data: WorldData,
    out_root: Path,
    plot: Callable[[Path], object] | None = None,
) -> Path:
    """Write DIR/<scenario name>/ with every file of DESIGN §5."""
    sc = outcome.scenario
    final = out_root / sc.name
    resolved = dump_resolved(sc)
    with atomic_dir(final) as tmp:
        (tmp / "scenario.resolved.yaml").write_text(resolved, encoding="utf-8")
        write_csv(
            tmp / "places.csv",
            data.place_columns,
            ([row[c] for c in data.place_columns] for row in data.place_rows),
        )
        write_csv(
            tmp / "timeseries.csv",
            TIMESERIES_COLUMNS,
            (
                [rep] + [row[c] for c in TIMESERIES_COLUMNS[1:]]
                for rep, res in enumerate(outcome.results)
                for row in res.timeseries
            ),
        )
        write_csv(
            tmp / "flows.csv",
            FLOW_COLUMNS,
            ((rep, *flow) for rep, res in enumerate(outcome.results) for flow in res.flows),
        )
        (tmp / "summary.json").write_text(json.dumps(summarise(outcome), indent=2) + "\n", encoding="utf-8")
        if plot is not None:
            plot(tmp)
        doc = scenario_manifest(sc, outcome.seeds, outcome.started_at, outcome.wall_seconds)
        (tmp / "manifest.json").write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    return final
