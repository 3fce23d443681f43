"""The page's run: building the model off the event loop, and the Reset, play and Step controls in years.

Mesa's SolaraViz runs the model inside the click's handler and draws every
chart there too, so on a loaded machine a click took effect many seconds later;
its controls (play interval, render interval, threads) and its "Time: 11.0"
step count do not fit a model whose steps are years. Here the `AppModel` is a
Mesa model as before, but it is built and run ahead to its last year in a
worker thread (`solara.use_thread`) while the page shows that it is busy;
Step then shows the next computed year at once, and play shows one year after
another from a second worker thread.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import solara
from solara.datatypes import ResultState

from app.session import AppModel, Loaded

YEAR_STYLE = "font-size: 1.15em; font-weight: bold; margin-top: 8px"
PLAY_INTERVAL_S = 0.7  # the pace of play: a little over a year a second, so each year's charts can be read


@dataclass(frozen=True)
class Run:
    """The page's run as the components see it: the model once built, and what the controls do."""

    model: AppModel | None  # None while it is being built
    error: str | None  # the build failed without a message of the scenario's (a bug: its one line)
    playing: bool
    shown: int  # years shown: the panels depend on it, so that they redraw at each step
    reset: Callable[[], None]
    step: Callable[[], None]
    play: Callable[[], None]


def _build(loaded: Loaded, entered: Mapping[str, Any]) -> AppModel:
    model = AppModel(str(loaded.path), entered, loaded)
    model.run_ahead()
    return model


def use_run(loaded: Loaded, entered: Mapping[str, Any]) -> Run:
    """The run state of one page (a hook: call it once, at the top of the page's component)."""
    request, set_request = solara.use_state((0, dict(entered)))  # (reset count, the values entered then)
    built = solara.use_thread(lambda: _build(loaded, request[1]), dependencies=[request[0]], intrusive_cancel=False)
    finished = built.state == ResultState.FINISHED
    model = built.value if finished else None
    _tick, set_tick = solara.use_state(0)  # counts the years shown, to redraw the page after each
    playing, set_playing = solara.use_state(False)

    def show_next() -> None:
        if model is not None and model.running:
            model.step()
            set_tick(lambda t: t + 1)

    def play_loop(cancel: threading.Event) -> None:
        if not playing or model is None:
            return
        while not cancel.is_set() and model.running:
            show_next()
            cancel.wait(PLAY_INTERVAL_S)
        if not cancel.is_set():
            set_playing(False)

    solara.use_thread(play_loop, dependencies=[playing, model], intrusive_cancel=False)

    def reset() -> None:
        set_playing(False)
        set_request((request[0] + 1, dict(entered)))

    error = None
    if built.state == ResultState.ERROR:
        error = f"the model could not be built: {type(built.error).__name__}: {built.error}"
    shown = model.shown if model is not None else 0
    return Run(model, error, playing, shown, reset, show_next, lambda: set_playing(not playing))


def year_words(model: AppModel | None) -> str:
    """What the controls say about time: the simulated year, never a step count."""
    if model is None or model.current is None:
        return "–"
    first, last = model.settings.years.start, model.settings.years.end
    if model.year is None:
        return f"Before {first} (runs {first}–{last})"
    return f"Year {model.year}" + (" (the last year)" if model.year == last else f" (runs {first}–{last})")


@solara.component
def Controls(run: Run, blocked: str | None) -> None:
    """Reset, play/pause and Step, the year shown and whether the page is busy.

    `blocked`: why Reset cannot build the entered settings (a box holds a bad value), or None.
    """
    model = run.model
    usable = model is not None and model.current is not None
    with solara.Card("Controls"):
        with solara.Row(justify="space-between"):
            solara.Button("Reset", color="primary", on_click=run.reset, disabled=blocked is not None)
            solara.Button(
                "❚❚" if run.playing else "▶",
                color="primary",
                on_click=run.play,
                disabled=not usable or not (model and model.running),
            )
            solara.Button(
                "Step", color="primary", on_click=run.step, disabled=not usable or run.playing or not model.running
            )
        if model is None and run.error is None:
            solara.Text("Building the model and simulating every year ahead…")
            solara.ProgressLinear(True)
        else:
            solara.v.Html(tag="div", children=[year_words(model)], style_=YEAR_STYLE)
        if blocked is not None:
            solara.v.Html(tag="div", children=[f"Reset waits for {blocked}."], style_="color: #b00020")
