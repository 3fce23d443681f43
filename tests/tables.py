"""Checks shared by the experiment tests: bounded share columns, run records, failing runs, folder snapshots."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from scipy import stats

from model.config import Scenario
from model.outcomes import metric
from tests.conftest import read_csv, read_json

# Per table: the column naming the metric, the columns holding a value of it, those holding a change of it.
SHARE_COLUMNS: dict[str, tuple[str, tuple[str, ...], tuple[str, ...]]] = {
    "comparison.csv": (
        "metric",
        ("mean", "ci_low", "ci_high"),
        ("diff", "diff_ci_low", "diff_ci_high", "unpaired_diff_ci_low", "unpaired_diff_ci_high"),
    ),
    "points.csv": ("outcome", ("mean", "ci_low", "ci_high"), ("diff", "diff_ci_low", "diff_ci_high")),
    "base.csv": ("outcome", ("mean", "ci_low", "ci_high"), ()),
    "attribution.csv": ("metric", (), ("shapley", "ci_low", "ci_high", "alone", "last")),
    "totals.csv": (
        "metric",
        ("without_levers", "without_ci_low", "without_ci_high", "with_package", "with_ci_low", "with_ci_high"),
        ("change", "change_ci_low", "change_ci_high"),
    ),
}


def share_cells(folder: Path) -> list[tuple[str, str, str, float, tuple[float, float]]]:
    """(table, metric, column, value, bounds) of every share value and share change in the folder's tables."""
    cells = []
    for table, (key, values, changes) in SHARE_COLUMNS.items():
        path = folder / table
        if not path.is_file():
            continue
        columns, rows = read_csv(path)
        if key not in columns:
            continue  # sensitivity's points.csv is wide: one column per outcome
        for row in rows:
            m = metric(row[key])
            if not m.is_share:
                continue
            for col, bounds in [(c, m.bounds) for c in values] + [(c, m.change_bounds()) for c in changes]:
                cells.append((table, row[key], col, float(row[col]), bounds))
    return cells


def assert_shares_bounded(folder: Path) -> int:
    """Every share value in [0, 1] and every share change in [-1, 1]; returns how many finite cells were checked."""
    checked = 0
    for table, name, col, value, (lo, hi) in share_cells(folder):
        if math.isfinite(value):
            assert lo <= value <= hi, f"{folder.name}/{table}: {name} {col} = {value} outside [{lo}, {hi}]"
            checked += 1
    return checked


def run_record(folder: Path, task_id: str) -> dict[str, Any]:
    return read_json(folder / "runs" / f"{task_id}.json")


def fail_runs(monkeypatch: pytest.MonkeyPatch, when: Callable[[Scenario, int], bool], message: str = "boom") -> None:
    """Make the runs for which `when(scenario, seed)` holds raise RuntimeError(message).

    With one worker the engine runs every task in this process, through
    experiments.engine.worker, so patching the one call that runs a task there
    (`warm_model`, which starts a run or resumes it) reaches every run.
    """
    import experiments.engine.worker as worker

    real = worker.warm_model

    def fragile(task: Any, data: Any, on_year: Any = None) -> Any:
        if when(task.scenario, task.seed):
            raise RuntimeError(message)
        return real(task, data, on_year)

    monkeypatch.setattr(worker, "warm_model", fragile)


def snapshot(folder: Path) -> dict[str, tuple[int, str]]:
    """Every file under a folder: (mtime_ns, sha256) by relative path."""
    return {
        str(p.relative_to(folder)): (p.stat().st_mtime_ns, hashlib.sha256(p.read_bytes()).hexdigest())
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def hidden(folder: Path) -> list[str]:
    """Hidden entries (work folders, temporary files, locks) left in a result folder or its runs/."""
    return [p.name for d in (folder, folder / "runs") if d.is_dir() for p in d.iterdir() if p.name.startswith(".")]


def fieller(y: np.ndarray, x: np.ndarray) -> tuple[float, float]:
    """The 95% Fieller interval of mean(y)/mean(x), as the roots of its quadratic (NaN if unbounded)."""
    y, x = np.asarray(y, dtype=float), np.asarray(x, dtype=float)
    n = len(x)
    t2 = stats.t.ppf(0.975, n - 1) ** 2
    (vyy, vxy), (_, vxx) = np.cov(y, x, ddof=1) / n
    my, mx = y.mean(), x.mean()
    # (my − ρ·mx)² = t²·(vyy − 2ρ·vxy + ρ²·vxx)
    a, b, c = mx**2 - t2 * vxx, -2 * (mx * my - t2 * vxy), my**2 - t2 * vyy
    if a <= 0:
        return math.nan, math.nan
    low, high = sorted(np.roots([a, b, c]).real)
    return float(low), float(high)
