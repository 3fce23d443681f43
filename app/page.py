"""The browser app: a Mesa SolaraViz page over `app.session.AppModel` (`python run.py app` serves it).

The sidebar picks a scenario (a shipped one, or any file by path) and holds
Mesa's controls (step, play/pause, reset) and one input per lever key
(`app.levers`). The main area has two pages: the yearly charts with the
side-by-side against the baseline, and the flow map with the top
destinations of each origin. A scenario that does not validate replaces the
page with its one-line message.
"""

from __future__ import annotations

import html
import io
from pathlib import Path
from typing import Any

import solara
from mesa.visualization import SolaraViz

from app.inputs import LeverPanel, initial_values
from app.levers import scenario_files
from app.maps import flow_map
from app.session import DEFAULT_SCENARIO, SCENARIOS, AppModel, Loaded, load
from app.views import comparison_rows, cost_chart, jobs_chart, share_chart, top_destination_rows

TITLE = "relocsim: where do the firms go?"
OWN_FILE = "Own file…"
MAP_DPI = 150

scenario_path = solara.reactive(str(DEFAULT_SCENARIO))


def _shipped() -> dict[str, str]:
    return {p.stem: str(p) for p in scenario_files(SCENARIOS)}


@solara.component
def ScenarioPicker() -> None:
    """Pick a shipped scenario or type the path of one's own; loading it rebuilds the page."""
    shipped = _shipped()
    current = scenario_path.value
    is_shipped = current in shipped.values()
    own_mode, set_own_mode = solara.use_state(not is_shipped)
    own, set_own = solara.use_state("" if is_shipped else current)
    chosen = OWN_FILE if own_mode else next(name for name, path in shipped.items() if path == current)

    def pick(name: str) -> None:
        set_own_mode(name == OWN_FILE)
        if name != OWN_FILE:
            scenario_path.set(shipped[name])

    with solara.Card("Scenario"):
        solara.Select("Scenario file", value=chosen, values=[*shipped, OWN_FILE], on_value=pick)
        if own_mode:
            solara.InputText("Path of a scenario .yaml", value=own, on_value=set_own, continuous_update=True)
            solara.Button(
                "Load", on_click=lambda: scenario_path.set(own.strip()), disabled=not own.strip(), color="primary"
            )
        solara.Text(f"Loaded: {Path(current).name}")


def _guard(model: AppModel) -> bool:
    if model.error is not None:
        solara.Error(model.error)
        return False
    return True


def JobsPanel(model: AppModel) -> None:
    if _guard(model):
        solara.FigureMatplotlib(jobs_chart(model), format="png")


def SharePanel(model: AppModel) -> None:
    if _guard(model):
        solara.FigureMatplotlib(share_chart(model), format="png")


def CostPanel(model: AppModel) -> None:
    if _guard(model):
        solara.FigureMatplotlib(cost_chart(model), format="png")


def ComparisonPanel(model: AppModel) -> None:
    if not _guard(model):
        return
    lo, hi = model.window()
    year = model.year
    with solara.Card(f"Current settings against the baseline, {lo}–{hi}"):
        rows = comparison_rows(model)
        if year is None or year < hi:
            done = "nothing yet" if year is None or year < lo else f"{lo}–{year}"
            solara.Info(f"Simulated so far: to {year or '–'}; the sums cover {done} of the window {lo}–{hi}.")
        if rows:
            Table(rows)
        solara.Text(
            "Both runs share the seed and the firms (common random numbers); the baseline is the same "
            "scenario with every lever off. One replication, so no confidence interval: `compare` gives those."
        )


def MapPanel(model: AppModel) -> None:
    if not _guard(model):
        return
    if model.year is None:
        solara.Info("The flow map appears after the first simulated year: press step or play.")
        return
    png = io.BytesIO()
    flow_map(model).savefig(png, format="png", dpi=MAP_DPI, metadata={"Software": None})
    solara.Image(png.getvalue(), width="100%")
    label = "Download the map (PNG, full size)"
    solara.FileDownload(png.getvalue(), filename=f"flow_map_{model.year}.png", label=label)


def TopPanel(model: AppModel) -> None:
    if not _guard(model):
        return
    rows = top_destination_rows(model)
    with solara.Card("Top destinations per origin (current settings, all years so far)"):
        solara.Text("Each destination with its kind and its share of the jobs that left the origin.")
        if rows:
            Table(rows)
        else:
            solara.Text("No moves yet.")


TABLE_STYLE = "border-collapse: collapse; font-size: 13px; width: 100%"
CELL_STYLE = "padding: 2px 8px; border-bottom: 1px solid #ddd"


def table_html(rows: list[dict[str, str]]) -> str:
    """Rows as an HTML table, every cell escaped (solara's Markdown would fetch KaTeX from a CDN)."""
    heads = list(rows[0])
    head = "".join(f'<th style="{CELL_STYLE}; text-align: left">{html.escape(h)}</th>' for h in heads)
    body = "".join(
        "<tr>" + "".join(f'<td style="{CELL_STYLE}">{html.escape(r[h])}</td>' for h in heads) + "</tr>" for r in rows
    )
    return f'<table style="{TABLE_STYLE}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


@solara.component
def Table(rows: list[dict[str, str]]) -> None:
    solara.HTML(tag="div", unsafe_innerHTML=table_html(rows))


COMPONENTS: list[tuple[Any, int]] = [
    (JobsPanel, 0),
    (ComparisonPanel, 0),
    (SharePanel, 0),
    (CostPanel, 0),
    (MapPanel, 1),
    (TopPanel, 1),
]


@solara.component
def Viz(loaded: Loaded) -> None:
    """SolaraViz over a valid scenario; keyed by its path, so a new scenario starts a new page state."""
    entered = solara.use_memo(lambda: initial_values(loaded), [])
    model = solara.use_memo(lambda: AppModel(str(loaded.path), entered, loaded), [])
    # Fixed parameters: Mesa's Reset calls AppModel(scenario_file=..., entered=<the mapping as it is then>, loaded=...).
    params = {"scenario_file": str(loaded.path), "entered": entered, "loaded": loaded}
    SolaraViz(model, components=COMPONENTS, model_params=params, name=TITLE)
    with solara.Sidebar():  # after SolaraViz's own cards, so its controls stay at the top
        LeverPanel(loaded, entered)


@solara.component
def Page() -> None:
    path = scenario_path.value
    loaded = solara.use_memo(lambda: load(path), [path])
    with solara.Sidebar():
        ScenarioPicker()
    if loaded.error is not None:
        solara.Error(f"This scenario cannot be run: {loaded.error}")
    else:
        Viz(loaded).key(path)
