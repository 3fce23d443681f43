"""Finished draws kept on disk, so that a stopped recovery check can go on where it stopped (`--resume`).

Each finished draw is written at once to DIR/draws/draw-NNN.json with the key
of what made it: the calibration file as loaded (with the command line's
firms and replications), its base scenario's content and data files
(`scenario_content`), the hindcast summary's version, the ABC budget (not the
workers: they change no accepted particle), the placebo, the master seed and
the draw's index. `--resume` reads a draw back when its key matches (the
tables are then byte-identical: JSON keeps every float exactly) and runs it
again otherwise; without `--resume` the folder's draws are removed first, as a
fresh `calibrate` starts from nothing. A change to the model's code is not in
the key: resume only runs of the same code.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.calibration_recovery.draw import Budget, DrawResult, Problem
from experiments.engine.store import digest, scenario_content
from experiments.facts.catalogue import SUMMARY_VERSION
from experiments.facts.synthetic import Target

FOLDER = "draws"


def draw_key(problem: Problem, budget: Budget, seed: int, index: int) -> str:
    """What a draw's result depends on (module docstring)."""
    defaults = problem.loaded.scenario({}, "defaults", hindcast_only=False)
    return digest(
        {
            "calibration": problem.loaded.calibration.model_dump(mode="json"),
            "base": scenario_content(defaults),
            "summary_version": SUMMARY_VERSION,
            "budget": [budget.population, budget.generations, budget.max_simulations],
            "placebo": problem.placebo,
            "seed": seed,
            "index": index,
        }
    )


def _path(folder: Path, index: int) -> Path:
    return folder / FOLDER / f"draw-{index:03d}.json"


def clear(folder: Path) -> None:
    """No finished draws: a fresh (not resumed) check starts from nothing."""
    for path in sorted((folder / FOLDER).glob("draw-*.json")):
        path.unlink()


def save(folder: Path, key: str, result: DrawResult) -> None:
    doc: dict[str, Any] = {
        "key": key,
        "index": result.index,
        "truth": result.truth,
        "targets": [[t.fact, t.value, None if t.cities is None else list(t.cities)] for t in result.targets.values()],
        "values": result.values.tolist(),
        "weights": result.weights.tolist(),
        "generations": result.generations,
        "simulations": result.simulations,
        "epsilon": result.epsilon,
        "effective_size": result.effective_size,
        "distinct": result.distinct,
        "seconds": result.seconds,
    }
    path = _path(folder, result.index)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(doc), encoding="utf-8")
    tmp.replace(path)


def load(folder: Path, key: str, index: int) -> DrawResult | None:
    """The stored draw, if there is one made with this key (an unreadable file counts as none)."""
    try:
        doc = json.loads(_path(folder, index).read_text(encoding="utf-8"))
        if doc.get("key") != key:
            return None
        targets = {
            fact: Target(fact, float(value), None if cities is None else tuple(cities))
            for fact, value, cities in doc["targets"]
        }
        return DrawResult(
            int(doc["index"]),
            {k: float(v) for k, v in doc["truth"].items()},
            targets,
            np.asarray(doc["values"], dtype=float),
            np.asarray(doc["weights"], dtype=float),
            int(doc["generations"]),
            int(doc["simulations"]),
            float(doc["epsilon"]),
            float(doc["effective_size"]),
            int(doc["distinct"]),
            0,  # no model run this time
            float(doc.get("seconds", float("nan"))),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None
