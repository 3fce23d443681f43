"""A bad value entered on the page, reported once, beside the box it came from, in the units that box shows.

The scenario schema checks what is entered (`app.session.settings_of`) and
says what is wrong in the scenario's own terms: the key path, the stored value
in yuan and the file the settings were read from. The page says it in the
box's terms instead: the value as typed ("-5 CNY bn per year", not
-5000000000.0 yuan) and the allowed range in the same unit. The file is not
named: the value came from the box, not from the file.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from app.levers import SEP, LeverInput
from model.errors import InputError, short

FIRMS, SEED = "firms", "seed"  # the run's own boxes (app.inputs)
RUN_KEYS = {"firms.count": FIRMS, "seed": SEED}
NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?")


@dataclass(frozen=True)
class BoxProblem:
    """What is wrong with one box: its input name and the one line shown under it."""

    box: str
    text: str


def number_text(value: float) -> str:
    """A number as a box shows it: no trailing ".0", no exponent for ordinary sizes."""
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.10g}"


def _box_of(key: str) -> str | None:
    if key in RUN_KEYS:
        return RUN_KEYS[key]
    parts = key.split(".")
    if len(parts) == 3 and parts[0] == "policies":
        return f"{parts[1]}{SEP}{parts[2]}"
    return None


def _in_unit(text: str, scale: float) -> str:
    """Every number of a schema message divided by the box's money scale (yuan -> CNY bn)."""
    return NUMBER.sub(lambda m: number_text(float(m.group()) / scale), text)


def box_problem(problem: InputError, inputs: Iterable[LeverInput], entered: Mapping[str, Any]) -> BoxProblem | None:
    """The problem as its box should show it, or None when no box holds the key (then the page shows `message`)."""
    box = _box_of(problem.key)
    if box is None or box not in entered:
        return None
    shown = next((i for i in inputs if i.name == box), None)
    value = entered[box]
    stored = shown.stored(value) if shown is not None else value
    said = problem.problem
    typed = number_text(value) if isinstance(value, float) else str(value)  # ints (years, counts) as typed
    unit = shown.unit if shown is not None and shown.unit and shown.unit != "year" else ""
    head = f"{typed} {unit}".strip()
    said = head + said[len(short(stored)) :] if said.startswith(short(stored)) else f"{head}: {said}"
    allowed = problem.allowed
    if shown is not None and shown.scale != 1.0:
        allowed = f"{_in_unit(allowed, shown.scale)} {unit}"
    return BoxProblem(box, f"{said} (allowed: {allowed})" if allowed else said)
