"""The sidebar's lever inputs: a number box with its unit for every numeric key of every lever.

Entered values go into one mutable mapping that the page hands to Mesa's
SolaraViz as a fixed model parameter, so Mesa's Reset builds the next
`AppModel` from what is entered now (and a changed value takes effect at
Reset, as for any SolaraViz parameter). Values are not clamped here: the
scenario schema checks them when the model is built, and a bad one shows as
its one-line message on the page.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

import solara

from app.levers import ACTIVE, LeverInput
from app.session import DEFAULT_SEED, Loaded
from model.levers.registry import REGISTRY

FIRMS = "firms"
SEED = "seed"


def initial_values(loaded: Loaded) -> dict[str, Any]:
    """The entered values before anything is changed: the scenario's own."""
    s = loaded.scenario
    assert s is not None
    values: dict[str, Any] = {i.name: i.value for i in loaded.inputs}
    values[FIRMS] = s.firms.count
    values[SEED] = s.seed if s.seed is not None else DEFAULT_SEED
    return values


def _label(i: LeverInput) -> str:
    text = i.label.split(": ", 1)[-1]
    return f"{text[:1].upper()}{text[1:]} ({i.unit})" if i.unit else f"{text[:1].upper()}{text[1:]}"


@solara.component
def NumberBox(label: str, name: str, entered: MutableMapping[str, Any], integer: bool) -> None:
    value, set_value = solara.use_state(entered[name])

    def changed(new: Any) -> None:
        if new is not None:
            entered[name] = new
            set_value(new)

    if integer:
        solara.InputInt(label, value=int(value), on_value=changed, continuous_update=False)
    else:
        solara.InputFloat(label, value=float(value), on_value=changed, continuous_update=False)


@solara.component
def Switch(label: str, name: str, entered: MutableMapping[str, Any]) -> None:
    value, set_value = solara.use_state(bool(entered[name]))

    def changed(new: bool) -> None:
        entered[name] = bool(new)
        set_value(bool(new))

    solara.Checkbox(label=label, value=value, on_value=changed)


@solara.component
def LeverPanel(loaded: Loaded, entered: MutableMapping[str, Any]) -> None:
    """Run size, seed and every lever's inputs, grouped by lever (levers in use open).

    The card is keyed by the scenario file: the sidebar is a portal that outlives the page's keyed SolaraViz,
    and without the key another scenario's panel would keep the previous one's values in its boxes.
    """
    with solara.Card("Run and levers").key(str(loaded.path)):
        solara.Text("Changed values take effect at Reset (the run restarts from the first year).")
        NumberBox("Simulated firms", FIRMS, entered, True)
        NumberBox("Seed (shared by both runs)", SEED, entered, True)
        by_lever: dict[str, list[LeverInput]] = {}
        for i in loaded.inputs:
            by_lever.setdefault(i.lever, []).append(i)
        for key, items in by_lever.items():
            switch = next(i for i in items if i.field == ACTIVE)
            with solara.Details(summary=REGISTRY[key].label, expand=bool(switch.value)):
                solara.Text(REGISTRY[key].summary)
                Switch("In use", switch.name, entered)
                for i in items:
                    if i.field != ACTIVE:
                        NumberBox(_label(i), i.name, entered, i.kind == "int")
