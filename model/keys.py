"""Human words for a scenario key path: a label and a unit for tables and axes (no dotted keys shown).

A schema field may carry them (`json_schema_extra={"label": ..., "unit": ...}`);
otherwise they are derived from the path: the section names the thing
(`policies.talent` → "Talent", `behaviour.choice` → "Choice coefficient")
and the field's name its quantity, with a unit suffix read off the name
(`_yuan_per_job`, `_yuan`, `_per_year`, `_jobs`, `_km`, `_years`).
"""

from __future__ import annotations

import types
import typing
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

SECTION_WORDS = {
    "behaviour.push": "Push coefficient",
    "behaviour.choice": "Choice coefficient",
    "behaviour": "Behaviour",
    "world.south": "Southern costs",
    "world.north": "Northern costs",
    "world.outside": "Other provinces",
    "world.congestion": "Congestion",
    "world.settlement": "Settlement",
    "world.intensities": "Industry intensities",
    "firms": "Firms",
    "years": "Years",
}
UNIT_SUFFIXES = (
    ("_yuan_per_job", "yuan per job"),
    ("_yuan_per_year", "yuan per year"),
    ("_yuan", "yuan"),
    ("_per_year", "per year"),
    ("_jobs", "jobs"),
    ("_km", "km"),
    ("_years", "years"),
    ("_year", "year"),
)
# A behaviour coefficient's unit in words: what one unit more of its term changes (docs/model.md, DESIGN §2).
COEFFICIENT_UNITS = {
    "behaviour.push": "log-odds of moving, per unit",
    "behaviour.choice": "a destination's appeal, per unit",
}
GROWTH_SECTIONS = ("world.south", "world.north", "world.outside")


@dataclass(frozen=True)
class KeyInfo:
    label: str
    unit: str

    def heading(self) -> str:
        return f"{self.label} ({self.unit})" if self.unit else self.label


def model_in(annotation: Any) -> type[BaseModel] | None:
    """The schema class a field holds (through `X | None`), or None for a plain value."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        for arg in typing.get_args(annotation):
            found = model_in(arg)
            if found is not None:
                return found
    return None


def _field_extra(dotted: str) -> dict[str, Any]:
    from model.config import Scenario

    cls: type[BaseModel] | None = Scenario
    parts = dotted.split(".")
    for i, part in enumerate(parts):
        if cls is None or part not in cls.model_fields:
            return {}
        field = cls.model_fields[part]
        if i == len(parts) - 1:
            extra = field.json_schema_extra
            return dict(extra) if isinstance(extra, dict) else {}
        cls = model_in(field.annotation)
    return {}


def _lever_label(key: str) -> str:
    from model.levers import REGISTRY

    lever = REGISTRY.get(key)
    return str(getattr(lever, "label", "")) or key.replace("_", " ").capitalize()


def describe(dotted: str) -> KeyInfo:
    """The label and unit of a scenario key path."""
    extra = _field_extra(dotted)
    parts = dotted.split(".")
    section = ".".join(parts[:-1])
    field = parts[-1]
    unit = str(extra.get("unit", ""))
    quantity = field
    for suffix, words in UNIT_SUFFIXES:
        if field.endswith(suffix):
            quantity = field.removesuffix(suffix)
            unit = unit or words
            break
    if section in COEFFICIENT_UNITS:
        unit = unit or COEFFICIENT_UNITS[section]
    if section in GROWTH_SECTIONS and field.endswith("_per_year"):
        quantity = quantity if quantity.endswith("growth") else f"{quantity} growth"
        unit = "share per year"
    words = str(extra.get("label") or quantity.replace("_", " "))
    if section.startswith("policies."):
        thing = _lever_label(section.removeprefix("policies."))
    else:
        thing = SECTION_WORDS.get(section, section.replace(".", " ").replace("_", " ").capitalize())
    return KeyInfo(f"{thing}: {words}" if thing else words.capitalize(), unit)
