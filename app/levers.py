"""The app's lever inputs, read off the lever registry: one input per numeric key, with its label and unit.

Nothing here is a second list of defaults. Each input's key, label and unit
come from the lever's config class (`model.schema.quantity`); its starting
value is the scenario's (or the config class's default when the scenario does
not use the lever); the schema checks what is entered when the model is
built. Money is entered in CNY thousand, m or bn, by the size of the largest
of the scenario's value, the largest value any shipped scenario gives the
key and the schema default (so that a budget is typed as "1.5" CNY bn per
year, not 1500000000), and multiplied back before validation.

A lever's inputs are named `<lever>__<field>` (valid Python names, as keyword arguments
need); `<lever>__active` switches the lever's section on or off.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from model.levers.registry import REGISTRY
from model.schema import label_of, unit_of

ACTIVE = "active"
SEP = "__"
YEAR_FIELDS = ("start_year", "end_year")
MONEY_SCALES = ((1e9, "CNY bn"), (1e6, "CNY m"), (1e3, "CNY thousand"), (1.0, "CNY"))


@dataclass(frozen=True)
class LeverInput:
    """One input of the app: a numeric key of a lever, in the unit it is entered in."""

    name: str  # <lever>__<field>
    lever: str
    field: str
    label: str
    unit: str  # as entered (money rescaled: "CNY bn per year")
    kind: str  # "float", "int" or "bool"
    value: float | int | bool
    scale: float = 1.0  # stored value = entered value × scale

    def stored(self, entered: Any) -> Any:
        """The scenario value of an entered value."""
        if self.kind == "bool":
            return bool(entered)
        if self.kind == "int":
            return round(float(entered))
        return float(entered) * self.scale


def money_scale(typical: float) -> tuple[float, str]:
    """CNY thousand, m or bn, whichever writes `typical` yuan as a number of at least 1 (CNY below 1,000)."""
    return next(((s, name) for s, name in MONEY_SCALES if typical >= s), MONEY_SCALES[-1])


def numeric_fields(model: type[BaseModel]) -> list[str]:
    """The config class's numeric fields that carry a unit, in declaration order (years first)."""
    out = []
    for name, info in model.model_fields.items():
        annotation = str(info.annotation)
        if unit_of(model, name) is not None and ("int" in annotation or "float" in annotation):
            out.append(name)
    return out


def shipped_values(raws: Iterable[Mapping[str, Any]]) -> dict[tuple[str, str], float]:
    """The largest value each lever key takes in the given scenario mappings (the shipped scenarios)."""
    top: dict[tuple[str, str], float] = {}
    for raw in raws:
        for lever, section in (raw.get("policies") or {}).items():
            if isinstance(section, dict):
                for key, value in section.items():
                    if isinstance(value, int | float) and not isinstance(value, bool):
                        top[(lever, key)] = max(top.get((lever, key), 0.0), float(value))
    return top


def lever_inputs(
    raw: Mapping[str, Any], years: tuple[int, int, int], shipped: Mapping[tuple[str, str], float]
) -> list[LeverInput]:
    """Every lever's inputs for a scenario mapping (after `extends`): an on/off box, then each numeric key.

    `years` is (start, report start, end) of the scenario. A lever the scenario
    uses shows its own years (no start or end year: the scenario's first or last
    year, which is what it means). A lever the scenario lacks would, switched on,
    start in the report window's first year: policies start there (the shipped
    scenarios' rule), not in the hindcast years.
    """
    policies = raw.get("policies") or {}
    out: list[LeverInput] = []
    for key, cls in REGISTRY.items():
        section = policies.get(key)
        config = cls.config_class
        out.append(
            LeverInput(f"{key}{SEP}{ACTIVE}", key, ACTIVE, f"{cls.label}: in use", "", "bool", section is not None)
        )
        given = section if isinstance(section, dict) else {}
        first = years[0] if section is not None else years[1]
        for name in numeric_fields(config):
            span = (first, years[2])
            out.append(_input(key, cls.label, config, name, given.get(name), span, shipped.get((key, name))))
    return out


def _input(
    lever: str,
    lever_label: str,
    config: type[BaseModel],
    name: str,
    given: Any,
    years: tuple[int, int],
    shipped: float | None,
) -> LeverInput:
    label = f"{lever_label}: {(label_of(config, name) or name).lower()}"
    unit = unit_of(config, name) or ""
    default = config.model_fields[name].default
    current = given if given is not None else default
    if name in YEAR_FIELDS:
        value = int(current) if current is not None else (years[0] if name == "start_year" else years[1])
        return LeverInput(f"{lever}{SEP}{name}", lever, name, label, "year", "int", value)
    if "int" in str(config.model_fields[name].annotation):
        return LeverInput(f"{lever}{SEP}{name}", lever, name, label, unit, "int", int(current))
    if "yuan" not in unit:
        return LeverInput(f"{lever}{SEP}{name}", lever, name, label, unit, "float", float(current))
    scale, shown = money_scale(max(float(current or 0), float(shipped or 0), float(default or 0)))
    entered_unit = unit.replace("yuan", shown, 1)
    return LeverInput(
        f"{lever}{SEP}{name}", lever, name, label, entered_unit, "float", round(float(current or 0) / scale, 9), scale
    )


def apply_inputs(raw: Mapping[str, Any], inputs: Iterable[LeverInput], entered: Mapping[str, Any]) -> dict[str, Any]:
    """The scenario mapping with the entered values (by input name) written into its `policies:`.

    What runs is what the page shows. A lever switched off loses its section.
    A lever the scenario uses keeps its keys, and an entered number replaces
    the scenario's only where it was changed, so that unchanged inputs give
    the file's scenario exactly (no rounding through the entry unit). A lever
    switched on that the scenario lacks gets every number as shown.
    """
    data = copy.deepcopy(dict(raw))
    policies: dict[str, Any] = dict(data.get("policies") or {})
    by_lever: dict[str, list[LeverInput]] = {}
    for i in inputs:
        by_lever.setdefault(i.lever, []).append(i)
    for lever, items in by_lever.items():
        switch = next(i for i in items if i.field == ACTIVE)
        if not bool(entered.get(switch.name, switch.value)):
            policies.pop(lever, None)
            continue
        new = lever not in policies  # switched on here: every number as shown, its years included
        section = dict(policies.get(lever) or {})
        for i in items:
            if i.field == ACTIVE:
                continue
            value = entered.get(i.name, i.value)
            if new or value != i.value:
                section[i.field] = i.stored(value)
        policies[lever] = section
    data["policies"] = policies
    return data


def scenario_files(folder: Path) -> list[Path]:
    """The shipped scenarios: every .yaml in `folder`, baseline first, then by name."""
    files = sorted(p for p in folder.glob("*.yaml") if p.is_file())
    return sorted(files, key=lambda p: (p.stem != "baseline", p.stem))
