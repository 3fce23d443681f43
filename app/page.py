"""The browser app: a Mesa SolaraViz page over `app.session.AppModel` (`python run.py app` serves it).

The sidebar picks a scenario (a shipped one, or any file by path) and holds
Mesa's controls (step, play/pause, reset) and one input per lever key
(`app.levers`). The main area has three pages: the yearly charts with the
side-by-side against the baseline; the flow map with the top destinations of
each origin; and the least-cost packages of an `optimise` result folder
(`app.results`), whose "Load into levers" buttons make a package's scenario
file the current scenario. A scenario that does not validate replaces the
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
from app.results import Package, Results, front_chart, optimise_folders, read_results, table_rows
from app.session import DEFAULT_SCENARIO, PACKAGES, ROOT, SCENARIOS, AppModel, Loaded, load
from app.views import comparison_rows, cost_chart, jobs_chart, share_chart, top_destination_rows

TITLE = "relocsim: where do the firms go?"
OWN_FILE = "Own file…"
OTHER_FOLDER = "Other folder…"
LOAD_PACKAGE = "Load into levers"
MAP_DPI = 150

scenario_path = solara.reactive(str(DEFAULT_SCENARIO))
results_path = solara.reactive("")  # the optimise folder the third page shows ("" before one is opened)


def _shipped() -> dict[str, str]:
    return {p.stem: str(p) for p in scenario_files(SCENARIOS)}


@solara.component
def ScenarioPicker(current: str) -> None:
    """Pick a shipped scenario or type the path of one's own; loading it rebuilds the page.

    `current` is the page's scenario, passed in (not read here) so that the picker never draws a new
    scenario with the state of the old one. A scenario set elsewhere (a package loaded from page 2) shows
    as "Own file…" with its path in the box. The picker is not keyed by the path: it sits in the sidebar's
    portal, which is redrawn a moment after the page, and a remounted picker would drop what is typed then.
    """
    shipped = _shipped()
    is_shipped = current in shipped.values()
    own_wanted, set_own_wanted = solara.use_state(False)
    own_mode = own_wanted or not is_shipped
    own, set_own = solara.use_state("" if is_shipped else current)

    def follow() -> None:
        if not is_shipped:
            set_own(current)

    solara.use_effect(follow, [current])
    chosen = OWN_FILE if own_mode else next(name for name, path in shipped.items() if path == current)

    def pick(name: str) -> None:
        set_own_wanted(name == OWN_FILE)
        if name != OWN_FILE:
            scenario_path.set(shipped[name])

    with solara.Card("Scenario"):
        solara.Select("Scenario file", value=chosen, values=[*shipped, OWN_FILE], on_value=pick)
        if own_mode:
            solara.InputText("Path of a scenario .yaml", value=own, on_value=set_own, continuous_update=True)
            solara.Button(
                "Load", on_click=lambda: scenario_path.set(own.strip()), disabled=not own.strip(), color="primary"
            )
        solara.Text(f"Loaded: {loaded_words(Path(current))}")


def loaded_words(path: Path) -> str:
    """The loaded file's name; a package of an optimise folder says which folder."""
    if path.parent.name == PACKAGES:
        return f"{path.name} (a package of {path.parent.parent.name})"
    return path.name


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


# --- the third page: the least-cost packages of an optimise folder -----------------------------------------------


def load_package(package: Package) -> None:
    """Make the package's scenario file the current scenario: the levers panel shows its values, the model runs it."""
    scenario_path.set(str(package.file))


def _folder_name(folder: Path) -> str:
    return str(folder.relative_to(ROOT)) if folder.is_relative_to(ROOT) else str(folder)


def _results() -> Results | None:
    path = results_path.value
    return solara.use_memo(lambda: read_results(path) if path else None, [path])


@solara.component
def ResultsPicker(current: str) -> None:
    """Pick an optimise folder found under the results roots, or type the path of one (`current`: the open one)."""
    found = solara.use_memo(lambda: {_folder_name(f): str(f) for f in optimise_folders()}, [])
    listed = current in found.values()
    other_wanted, set_other_wanted = solara.use_state(False)
    other_mode = other_wanted or (bool(current) and not listed)
    typed, set_typed = solara.use_state("" if listed else current)
    chosen = OTHER_FOLDER if other_mode else next((n for n, p in found.items() if p == current), None)

    def pick(name: str | None) -> None:
        set_other_wanted(name == OTHER_FOLDER)
        if name in found:
            results_path.set(found[name])

    solara.Select("Optimise result folder", value=chosen, values=[*found, OTHER_FOLDER], on_value=pick)
    if not found:
        solara.Text("No optimise folder under outputs/ (python run.py optimise PROBLEM writes one there).")
    if other_mode:
        solara.InputText("Path of an optimise folder", value=typed, on_value=set_typed, continuous_update=True)
        solara.Button(
            "Open", on_click=lambda: results_path.set(typed.strip()), disabled=not typed.strip(), color="primary"
        )


@solara.component
def FrontView() -> None:
    results = _results()
    loaded = scenario_path.value
    shown = results is not None and results.error is None
    figure = solara.use_memo(lambda: front_chart(results, Path(loaded)) if shown else None, [results, loaded])
    with solara.Card("Least-cost packages"):
        ResultsPicker(results_path.value).key(results_path.value)
        if results is None:
            solara.Text("Open the folder of an `optimise` run to see its front and load a package into the levers.")
        elif results.error is not None:
            solara.Error(results.error)
        else:
            solara.FigureMatplotlib(figure, format="png")
            solara.Text(
                "Each package's change against the base (paired: same seeds and worlds) with its 95% interval, "
                "over the report window. Certified: no other package beats it beyond noise on every objective."
            )


@solara.component
def PackagesView() -> None:
    results = _results()
    if results is None or results.error is not None:
        return
    with solara.Card(f"Packages of {results.folder.name}, certified first, by fiscal cost"):
        if not results.packages:
            solara.Text("This folder's front holds no package.")
        else:
            PackageTable(results, Path(scenario_path.value))
        if results.skipped:
            solara.Warning(f"Left out, without a scenario file in {PACKAGES}/: {', '.join(results.skipped)}")


@solara.component
def PackageTable(results: Results, loaded: Path) -> None:
    """The front as a table; each package's first cell has its "Load into levers" button."""
    rows = table_rows(results)
    heads = ["Package", *list(rows[0])[2:]]
    cell = {"style_": CELL_STYLE + "; vertical-align: top"}
    with solara.v.Html(tag="table", style_=TABLE_STYLE):
        with solara.v.Html(tag="thead"), solara.v.Html(tag="tr"):
            for h in heads:
                solara.v.Html(tag="th", style_=CELL_STYLE + "; text-align: left", children=[h])
        with solara.v.Html(tag="tbody"):
            for package, row in zip(results.packages, rows, strict=True):
                here = package.file == loaded
                with solara.v.Html(tag="tr"):
                    with solara.v.Html(tag="td", **cell):
                        solara.v.Html(tag="div", style_="font-family: monospace", children=[package.key])
                        solara.v.Html(tag="div", children=[row["Certified"]])
                        solara.Button(
                            "Loaded" if here else LOAD_PACKAGE,
                            on_click=lambda p=package: load_package(p),
                            disabled=here,
                            small=True,
                            color="primary",
                        )
                    for h in heads[1:]:
                        solara.v.Html(tag="td", children=[row[h]], **cell)


def FrontPanel(model: AppModel) -> None:
    FrontView()


def PackagesPanel(model: AppModel) -> None:
    PackagesView()


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
    (FrontPanel, 2),
    (PackagesPanel, 2),
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
        ScenarioPicker(path)
    if loaded.error is not None:
        solara.Error(f"This scenario cannot be run: {loaded.error}")
    else:
        Viz(loaded).key(path)
