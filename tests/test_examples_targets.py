"""The shipped examples vary their inputs around the model as it is, not around an older one.

Every example file (experiments/examples/*.yaml) names a base scenario and
factors (sweep, sensitivity), uncertainties (discover) or world uncertainties
(optimise). A behaviour coefficient or a world setting varied there claims to
vary around the base: its range, or the span of its values, must hold the
base scenario's value of that key (the calibrated one: scenarios/baseline.yaml).
A policy factor of a sweep or a sensitivity file whose base sets that lever
must hold the base's setting too. A range cut for an older model fails here
(the checker is shown the old sensitivity ranges below).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
import yaml

from model.config import Scenario
from model.scenario import load_scenario
from tests.conftest import ROOT

EXAMPLES = sorted((ROOT / "experiments" / "examples").glob("*.yaml"))
AROUND_THE_BASE = ("behaviour.", "world.")  # model parameters: a range of them claims to vary around the base


def varied(spec: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every varied key of an example file with its {range: ...} or {values: ...}, whatever the command."""
    worlds = spec.get("worlds")  # discover: a number of worlds; optimise: a section with its uncertainties
    world_uncertainties = worlds.get("uncertainties") if isinstance(worlds, dict) else None
    found: dict[str, dict[str, Any]] = {}
    for section in (spec.get("factors"), spec.get("uncertainties"), world_uncertainties):
        found |= section or {}
    return found


def value_at(scenario: Scenario, key: str) -> Any:
    """The base scenario's value at a dotted key (None where a section is absent, e.g. a lever it does not set)."""
    node: Any = scenario
    for part in key.split("."):
        node = node.get(part) if isinstance(node, dict) else getattr(node, part, None)
        if node is None:
            return None
    return node


def span(entry: dict[str, Any]) -> tuple[float, float]:
    if "range" in entry:
        low, high = entry["range"]
        return float(low), float(high)
    values = [float(v) for v in entry["values"]]
    return min(values), max(values)


def outside_the_base(path: Path) -> list[str]:
    """One line per varied key whose range misses the base's value: key, range, base value."""
    spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    base = load_scenario((path.parent / spec["base"]).resolve())
    problems = []
    for key, entry in varied(spec).items():
        claims = key.startswith(AROUND_THE_BASE) or ("factors" in spec and key.startswith("policies."))
        value = value_at(base, key)
        if not claims or value is None or "switch" in entry:
            continue  # a policy lever the base does not set has no value to vary around
        low, high = span(entry)
        if not low <= float(value) <= high:
            problems.append(f"{path.name}: {key} varies over [{low:g}, {high:g}]; the base has {float(value):g}")
    return problems


def test_the_examples_are_found() -> None:
    names = {p.stem for p in EXAMPLES}
    assert {"sensitivity_morris", "sensitivity_sobol", "talent_budget", "package_lhs", "discover_aid"} <= names


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_every_range_holds_the_base_value(path: Path) -> None:
    assert outside_the_base(path) == []


def test_every_model_parameter_example_is_checked() -> None:
    """The check is not vacuous: the examples vary calibrated coefficients, and each one is looked up in its base."""
    keys = set()
    for path in EXAMPLES:
        spec = yaml.safe_load(path.read_text(encoding="utf-8"))
        base = load_scenario((path.parent / spec["base"]).resolve())
        for key in varied(spec):
            if key.startswith(AROUND_THE_BASE):
                assert value_at(base, key) is not None, f"{path.name}: {key} is not a setting of its base"
                keys.add(key)
    assert {"behaviour.push.intercept", "behaviour.choice.talent", "world.outside.subsidy_yuan_per_job"} <= keys


OLD_MORRIS_FACTORS = """\
  behaviour.push.intercept: {range: [-5.0, -3.6]}
  world.outside.subsidy_yuan_per_job: {range: [0, 60000]}
  behaviour.choice.talent: {range: [0.5, 1.5]}
"""


def test_a_range_around_the_old_defaults_is_caught(tmp_path: Path) -> None:
    """The sensitivity examples' ranges before the calibration miss the calibrated intercept and talent weight."""
    source = ROOT / "experiments" / "examples" / "sensitivity_morris.yaml"
    text = source.read_text(encoding="utf-8").replace("../../scenarios/", f"{ROOT}/scenarios/")
    head, _factors = text.split("factors:\n")
    old = tmp_path / "old_morris.yaml"
    old.write_text(f"{head}factors:\n{OLD_MORRIS_FACTORS}outcomes: [to_north_jobs]\n", encoding="utf-8")
    problems = outside_the_base(old)
    assert [p.split(": ")[1].split(" ")[0] for p in problems] == ["behaviour.push.intercept", "behaviour.choice.talent"]
    base = load_scenario(ROOT / "scenarios" / "baseline.yaml")
    assert math.isclose(float(value_at(base, "behaviour.choice.talent")), 0.2768)  # the calibrated value it misses
