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
from solara.components.input import use_change

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


def box_text(value: Any, integer: bool) -> str:
    """A value as its box shows it at first ("30.0", "2024")."""
    return str(int(value)) if integer else str(float(value))


def parse_box(text: str, integer: bool) -> int | float:
    """What a box's text means; ValueError if it is not a number ("1,500" too: a comma could be either)."""
    return int(text.strip()) if integer else float(text.strip())


@solara.component
def NumberBox(
    label: str,
    name: str,
    entered: MutableMapping[str, Any],
    integer: bool,
    on_change: Callable[[str | None], None],
    problem: BoxProblem | None = None,
) -> None:
    """One number box; a bad value's message (`problem`, when it is this box's) right under it.

    The text is kept as typed at every keystroke and the number taken at Enter or when the box is left.
    (solara's InputFloat keeps the typed text only in the browser, and any redraw of the page, e.g. each
    year shown while playing, put the last taken number back into the box, dropping what was being typed.)
    """
    text, set_text = solara.use_state(box_text(entered[name], integer))
    unreadable, set_unreadable = solara.use_state(False)

    def take(typed: str | None) -> None:
        try:
            value = parse_box(typed or "", integer)
        except ValueError:
            set_unreadable(True)
            on_change(name)  # Reset waits for this box
            return
        set_unreadable(False)
        if value != entered[name] or unreadable:
            entered[name] = value
            on_change(None)

    # One column whatever follows the box: the box stays the same widget, with its Enter and focus-out handlers.
    with solara.Column(gap="0px"):
        field = solara.v.TextField(v_model=text, on_v_model=set_text, label=label, hide_details="auto")
        use_change(field, take)
        if unreadable:
            solara.Error(f"{text!r} is not {'a whole number' if integer else 'a number'}", dense=True)
        elif problem is not None and problem.box == name:
            solara.Error(problem.text, dense=True)


@solara.component
def Switch(label: str, name: str, entered: MutableMapping[str, Any], on_change: Callable[[str | None], None]) -> None:
    value, set_value = solara.use_state(bool(entered[name]))

    def changed(new: bool) -> None:
        entered[name] = bool(new)
        set_value(bool(new))
        on_change(None)

    solara.Checkbox(label=label, value=value, on_value=changed)


@solara.component
def LeverPanel(
    loaded: Loaded,
    entered: MutableMapping[str, Any],
    on_change: Callable[[str | None], None],
    problem: BoxProblem | None,
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
