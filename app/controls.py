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
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import solara
from solara.datatypes import ResultState

from app.session import AppModel, Loaded

YEAR_STYLE = "font-size: 1.15em; font-weight: bold; margin-left: 12px"
NOTE_STYLE = "font-size: 0.9em; color: #555555"
PLAY_INTERVAL_S = 0.7  # the pace of play: a little over a year a second, so each year's charts can be read


@dataclass(frozen=True)
class Run:
    """The page's run as the components see it: the model once built, and what the controls do."""

    model: AppModel | None  # None while it is being built
    error: str | None  # the build failed without a message of the scenario's (a bug: its one line)
    playing: bool
    shown: int  # years shown: the panels depend on it, so that they redraw at each step
    working: bool  # the worker is building the model or running it ahead
    ahead: bool  # every year has been simulated: the panels depend on it, to show the whole window's totals
    reset: Callable[[], None]
    step: Callable[[], None]
    play: Callable[[], None]


def use_run(loaded: Loaded, entered: Mapping[str, Any]) -> Run:
    """The run state of one page (a hook: call it once, at the top of the page's component).

    The worker builds the model and hands it to the page at once (Step and play work from then on), then
    runs it ahead year by year to the end and hands it over again, so that the totals of the whole window
    show. A Reset while it works stops it (each hand-over carries its Reset's count, so a late one of an
    older model is ignored).
    """
    request, set_request = solara.use_state((0, dict(entered)))  # (reset count, the values entered then)

    def build(cancel: threading.Event) -> Iterator[tuple[int, AppModel]]:
        model = AppModel(str(loaded.path), request[1], loaded)
        yield request[0], model
        while not cancel.is_set() and model.advance():
            yield request[0], model  # each year run ahead redraws the controls' progress and, at the end, the totals

    built = solara.use_thread(build, dependencies=[request[0]], intrusive_cancel=False)
    model = built.value[1] if built.value is not None and built.value[0] == request[0] else None
    working = built.state in (ResultState.INITIAL, ResultState.STARTING, ResultState.WAITING, ResultState.RUNNING)
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
    if built.state == ResultState.ERROR and built.error is not None:
        error = f"the model could not be built: {type(built.error).__name__}: {built.error}"
    shown = model.shown if model is not None else 0
    ahead = model is not None and model.ahead()
    return Run(model, error, playing, shown, working, ahead, reset, show_next, lambda: set_playing(not playing))


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
    """Reset, play/pause and Step, the year shown and whether the page is busy: one bar above the pages.

    `blocked`: why Reset cannot build the entered settings (a box holds a bad value), or None. The bar is
    in the main area, not the sidebar: a change in the sidebar redraws all of it, and solara's number
    boxes drop the text being typed whenever they are drawn again, which would happen at every year shown.
    """
    model = run.model
    usable = model is not None and model.current is not None
    with solara.Column(gap="0px", style={"margin": "0 0 4px 0"}):
        with solara.Row(style={"align-items": "center", "gap": "12px"}):
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
            words = "Building the model…" if model is None and run.error is None else year_words(model)
            solara.v.Html(tag="div", children=[words], style_=YEAR_STYLE)
            if run.working and run.error is None:
                done = model.computed if model is not None else 0
                ahead = f" (done to {model.settings.years.start + done - 1})" if model is not None and done else ""
                solara.v.Html(tag="div", children=[f"Simulating every year ahead{ahead}…"], style_=NOTE_STYLE)
            if blocked is not None:
                solara.v.Html(tag="div", children=[f"Reset waits for {blocked}."], style_="color: #b00020")
        solara.ProgressLinear(run.working and run.error is None)
