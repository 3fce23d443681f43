"""scenarios/reference.yaml documents exactly the schema, with the true defaults."""

from __future__ import annotations

from typing import Any

import yaml
from pydantic import BaseModel

from model.config import LEVER_KEYS, Scenario
from model.levers import REGISTRY
from model.scenario import load_scenario, model_in
from tests.helpers import SCENARIOS

# Documented as comments: `extends` cannot be set in a file that has no parent, and the keys of an
# optional section whose default is null (world.outside.rise) cannot appear where every value is the default.
COMMENTED_KEYS = {
    "extends": "# extends:",
    "world.outside.rise.start_year": "start_year: 2024",
    "world.outside.rise.yuan_per_job": "yuan_per_job: 50000",
    "world.outside.rise.growth_per_year": "growth_per_year: 0.0",
}
SCENARIO_ONLY_KEYS = set(COMMENTED_KEYS)


def schema_paths(cls: type[BaseModel], prefix: str = "") -> set[str]:
    paths: set[str] = set()
    for name, field in cls.model_fields.items():
        path = f"{prefix}{name}"
        paths.add(path)
        sub = model_in(field.annotation)
        if sub is not None:
            paths |= schema_paths(sub, path + ".")
    return paths


def yaml_paths(data: dict[str, Any], prefix: str = "") -> set[str]:
    paths: set[str] = set()
    for key, value in data.items():
        path = f"{prefix}{key}"
        paths.add(path)
        if isinstance(value, dict):
            paths |= yaml_paths(value, path + ".")
    return paths


def reference_mapping() -> dict[str, Any]:
    return yaml.safe_load((SCENARIOS / "reference.yaml").read_text(encoding="utf-8"))


def test_every_schema_key_is_documented_and_every_documented_key_exists() -> None:
    documented = yaml_paths(reference_mapping())
    schema = schema_paths(Scenario) - SCENARIO_ONLY_KEYS
    assert documented - schema == set(), "keys in reference.yaml that the schema does not know"
    assert schema - documented == set(), "schema keys missing from reference.yaml"
    text = (SCENARIOS / "reference.yaml").read_text(encoding="utf-8")
    comments = "\n".join(line for line in text.splitlines() if line.lstrip().startswith("#"))
    for key, fragment in COMMENTED_KEYS.items():
        assert fragment in comments, f"{key} is not documented in a comment"


def test_reference_values_are_the_defaults() -> None:
    ref = load_scenario(SCENARIOS / "reference.yaml")
    defaults = Scenario(name=ref.name, description=ref.description, seed=ref.seed)
    for section in ("replications", "years", "firms", "world", "behaviour"):
        assert getattr(ref, section) == getattr(defaults, section), section
    assert tuple(REGISTRY) == LEVER_KEYS
    for key, lever_cls in REGISTRY.items():
        lever = getattr(ref.policies, key)
        assert lever == lever_cls.config_class(), key


def test_every_documented_key_has_a_comment() -> None:
    """Each key line of reference.yaml carries a comment (unit, range, default, source)."""
    lines = (SCENARIOS / "reference.yaml").read_text(encoding="utf-8").splitlines()
    bare = [ln for ln in lines if ln.strip() and not ln.lstrip().startswith("#") and "#" not in ln]
    assert bare == []
