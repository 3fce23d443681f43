"""Small builders shared by the model tests."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path
from typing import Any

from model.config import Choice, Nests, Scenario
from model.scenario import load_scenario, set_path, validate_mapping

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"
ZERO_CHOICE = {name: 0.0 for name in Choice.model_fields}
# Every dissimilarity parameter 1: the nested logit is the conditional logit over all destinations.
FLAT_NESTS = {name: 1.0 for name in Nests.model_fields}


def _flat(node: dict[str, Any], prefix: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in node.items():
        if isinstance(value, dict):
            out.update(_flat(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def hand_set() -> dict[str, Any]:
    """The hand-set behaviour coefficients the baseline had before calibration, as dotted overrides.

    Read from scenarios/before_calibration.yaml. Structural tests whose power was sized on them
    (more movers a year, a larger inclusive-value weight) use them; what they test does not depend
    on the values.
    """
    import yaml

    doc = yaml.safe_load((SCENARIOS / "before_calibration.yaml").read_text(encoding="utf-8"))
    return _flat(doc["behaviour"], "behaviour.")


def scenario(overrides: dict[str, Any] | None = None, name: str = "test") -> Scenario:
    """A scenario from defaults plus dotted-key overrides, validated like a file."""
    data: dict[str, Any] = {"name": name, "seed": 7, "replications": 1}
    for key, value in (overrides or {}).items():
        set_path(data, key, value)
    return validate_mapping(data, "test")


def shipped(name: str, overrides: dict[str, Any] | None = None) -> Scenario:
    return load_scenario(SCENARIOS / f"{name}.yaml", overrides)


def one_year_everyone_moves(firms: int, choice: dict[str, float], nests: dict[str, float] | None = None) -> Scenario:
    """Push forced to 1 (intercept 50 gives p = 1 − 2e−22), one year, given choice coefficients.

    `nests` replaces `behaviour.nests` (a λ it omits keeps its default, < 1; `FLAT_NESTS` sets all to 1).
    """
    overrides: dict[str, Any] = {
        "years": {"start": 2023, "end": 2023},
        "firms.count": firms,
        "firms.represented": firms,
        "behaviour.push.intercept": 50.0,
        "behaviour.choice": {**ZERO_CHOICE, **choice},
    }
    if nests is not None:
        overrides["behaviour.nests"] = nests
    return scenario(overrides)


def world_of_places(folder: Path, keep: Callable[[dict[str, str]], bool]) -> dict[str, str]:
    """The shipped places.csv with only the rows `keep` takes, and empty ties and industry bases (so that no row
    names a place that is gone), written into `folder`: the scenario's `world.data` for them."""
    with (ROOT / "model" / "data" / "places.csv").open(encoding="utf-8", newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if keep(r)]
    with (folder / "places.csv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    for name, header in (
        ("ties", "origin,destination,strength,source"),
        ("industry_base", "place,industry,jobs,source"),
    ):
        (folder / f"{name}.csv").write_text(header + "\n", encoding="utf-8")
    return {name: str(folder / f"{name}.csv") for name in ("places", "ties", "industry_base")}
