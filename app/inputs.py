"""The sidebar's lever inputs: a number box with its unit for every numeric key of every lever.

Entered values go into one mutable mapping that the page's Reset reads, so
Reset builds the next `AppModel` from what is entered now (a changed value
takes effect at Reset). Values are not clamped here: the page checks every
change against the scenario schema at once (`app.checks`), and a bad value
shows once, under its own box, in that box's unit.
"""

from __future__ import annotations

from collections.abc import Callable, MutableMapping
from typing import Any

import solara

from app.checks import FIRMS, SEED, BoxProblem
from app.levers import ACTIVE, LeverInput
from app.session import DEFAULT_SEED, Loaded
from model.levers.registry import REGISTRY


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
def NumberBox(
    label: str,
    name: str,
    entered: MutableMapping[str, Any],
    integer: bool,
    on_change: Callable[[], None],
    problem: BoxProblem | None = None,
) -> None:
    """One number box; a bad value's message (`problem`, when it is this box's) right under it."""
    value, set_value = solara.use_state(entered[name])

    def changed(new: Any) -> None:
        if new is not None:
            entered[name] = new
            set_value(new)
            on_change()

    if integer:
        solara.InputInt(label, value=int(value), on_value=changed, continuous_update=False)
    else:
        solara.InputFloat(label, value=float(value), on_value=changed, continuous_update=False)
    if problem is not None and problem.box == name:
        solara.Error(problem.text, dense=True)


@solara.component
def Switch(label: str, name: str, entered: MutableMapping[str, Any], on_change: Callable[[], None]) -> None:
    value, set_value = solara.use_state(bool(entered[name]))

    def changed(new: bool) -> None:
        entered[name] = bool(new)
        set_value(bool(new))
        on_change()

    solara.Checkbox(label=label, value=value, on_value=changed)


@solara.component
def LeverPanel(
    loaded: Loaded, entered: MutableMapping[str, Any], on_change: Callable[[], None], problem: BoxProblem | None
) -> None:
    """Run size, seed and every lever's inputs, grouped by lever (levers in use open, and the one with a bad value).

    The card is keyed by the scenario file: the sidebar is a portal that outlives the page's keyed run,
    and without the key another scenario's panel would keep the previous one's values in its boxes.
    """
    with solara.Card("Run and levers").key(str(loaded.path)):
        solara.Text("Changed values take effect at Reset (the run restarts from the first year).")
        NumberBox("Simulated firms", FIRMS, entered, True, on_change, problem)
        NumberBox("Seed (shared by both runs)", SEED, entered, True, on_change, problem)
        by_lever: dict[str, list[LeverInput]] = {}
        for i in loaded.inputs:
            by_lever.setdefault(i.lever, []).append(i)
        for key, items in by_lever.items():
            switch = next(i for i in items if i.field == ACTIVE)
            bad = problem is not None and any(i.name == problem.box for i in items)
            with solara.Details(summary=REGISTRY[key].label, expand=bool(switch.value) or bad):
                solara.Text(REGISTRY[key].summary)
                Switch("In use", switch.name, entered, on_change)
                for i in items:
                    if i.field != ACTIVE:
                        NumberBox(_label(i), i.name, entered, i.kind == "int", on_change, problem)
