"""An `optimise` folder's tables read back (frontier.csv, frontier_worlds.csv, convergence.csv, search.json)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from experiments.optimise.columns import (
    CONVERGENCE_FILE,
    FRONTIER_FILE,
    FRONTIER_WORLDS_FILE,
    PROBLEM_FILE,
    SEARCH_FILE,
    WORLDS_FILE,
)
from model.errors import InputError
from model.outcomes import metric
from report.read import header, read_table


@dataclass
class Package:
    key: str
    certified: bool
    feasible: bool
    decisions: dict[str, str]
    values: dict[str, tuple[float, float, float]]  # metric -> (mean change, low, high)
    robust: dict[str, tuple[float, float, float]]
    beaten_by: list[str]
    violations: str
    worlds: dict[str, list[float]]  # metric -> each world's mean change


@dataclass
class Front:
    folder: Path
    problem: dict[str, Any]
    search: dict[str, Any]
    decisions: list[str]
    metrics: list[str]
    packages: list[Package]
    convergence: list[dict[str, float]]
    world_settings: dict[str, list[float]]  # worlds.csv: each uncertainty's and posterior parameter's value per world

    @property
    def certified(self) -> list[Package]:
        return [p for p in self.packages if p.certified]

    def robust_words(self) -> str:
        rob = self.problem.get("robustness") or {}
        if rob.get("probability"):
            t = rob["probability"]
            bound = t.get("change_min", t.get("change_max"))
            op = "≥" if "change_min" in t and t["change_min"] is not None else "≤"
            return f"the share of worlds where the change in {metric(t['metric']).label.lower()} is {op} {bound:,.0f}"
        return {"p10": "the 10th percentile over the worlds", "p90": "the 90th percentile over the worlds"}.get(
            rob.get("statistic") or "mean", "the mean over the worlds"
        )


METRIC_SUFFIXES = ("_change", "_low", "_high", "_robust", "_robust_low", "_robust_high")
NOT_DECISIONS = ("package", "certified", "feasible", "beaten_by", "violations")


def frontier_columns(columns: list[str]) -> tuple[list[str], list[str]]:
    """The decisions and the metrics of frontier.csv's header (every column that is neither is a decision)."""
    metrics = [c.removesuffix("_change") for c in columns if c.endswith("_change")]
    of_metrics = {m + s for m in metrics for s in METRIC_SUFFIXES}
    return [c for c in columns if c not in NOT_DECISIONS and c not in of_metrics], metrics


def read_frontier(
    folder: Path, decisions: list[str] | None = None, per_world: dict[str, dict[str, list[float]]] | None = None
) -> tuple[list[str], list[str], list[Package]]:
    """frontier.csv alone: its decisions (`decisions`, or read off the header), its metrics and its packages.

    `per_world`: each package's per-world changes (frontier_worlds.csv), if read. The app reads a folder's
    front with this, without the search's other files.
    """
    if decisions is None:
        decisions = frontier_columns(header(folder, FRONTIER_FILE))[0]
    rows = read_table(folder, FRONTIER_FILE, ["package", "certified", "feasible", *decisions], allow_empty=True)
    metrics = frontier_columns(list(rows[0].cells.keys()) if rows else [])[1]
    packages = []
    for r in rows:
        key = r.text("package")
        packages.append(
            Package(
                key,
                r.text("certified") == "true",
                r.text("feasible") == "true",
                {d: r.text(d) for d in decisions},
                {m: (r.number(f"{m}_change"), r.number(f"{m}_low"), r.number(f"{m}_high")) for m in metrics},
                {
                    m: (r.number(f"{m}_robust"), r.number(f"{m}_robust_low"), r.number(f"{m}_robust_high"))
                    for m in metrics
                },
                r.text("beaten_by").split(),
                r.text("violations"),
                (per_world or {}).get(key, {m: [] for m in metrics}),
            )
        )
    return decisions, metrics, packages


def read_front(folder: Path) -> Front:
    try:
        problem = yaml.safe_load((folder / PROBLEM_FILE).read_text(encoding="utf-8"))
        search = json.loads((folder / SEARCH_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(
            folder, "", f"not a readable optimise folder ({type(exc).__name__})", "a folder optimise wrote"
        ) from None
    decisions = list(problem["decisions"])
    metrics = frontier_columns(header(folder, FRONTIER_FILE))[1]
    per_world: dict[str, dict[str, list[float]]] = {}
    for r in read_table(folder, FRONTIER_WORLDS_FILE, ["package", "world"], allow_empty=True):
        cell = per_world.setdefault(r.text("package"), {m: [] for m in metrics})
        for m in metrics:
            cell[m].append(r.number(f"{m}_change"))
    decisions, metrics, packages = read_frontier(folder, decisions, per_world)
    conv = [
        {
            k: r.number(k)
            for k in ("search_seed", "generation", "packages", "package_blocks", "front_size", "hypervolume")
        }
        for r in read_table(folder, CONVERGENCE_FILE, ["generation", "hypervolume"], allow_empty=True)
    ]
    settings: dict[str, list[float]] = {}
    world_rows = read_table(folder, WORLDS_FILE, ["world"], allow_empty=True)
    for key in world_rows[0].cells.keys() if world_rows else []:
        if key not in ("world", "draw", "particle"):
            settings[key] = [r.number(key) for r in world_rows]
    return Front(folder, problem, search, decisions, metrics, packages, conv, settings)
