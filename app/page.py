"""The browser app (`python run.py app` serves it): a Solara page over the Mesa model `app.session.AppModel`.

The sidebar holds the scenario picker (a shipped scenario, or any file by
path; it stays mounted whatever the scenario, so that what is typed into it is
never dropped) and one input per lever key (`app.inputs`). The main area has
the controls' bar (Reset, play/pause, Step and the year shown; `app.controls`)
above three named pages: "Jobs and costs" (the yearly charts and the
side-by-side of the report window's totals against the baseline), "Map and
destinations" (the flow map and the top destinations of each origin;
`app.panels`) and "Least-cost packages" (the front of an `optimise` result
folder, `app.results`, whose "Load into levers" buttons make a package's
scenario file the current scenario). A scenario file that does not validate
replaces the page with its one-line message; a bad value typed into a box is
reported once, under that box."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import solara
import solara.lab

from app.checks import BoxProblem, box_problem
from app.controls import Controls, Run, use_run
from app.inputs import LeverPanel, initial_values
from app.levers import scenario_files
from app.panels import CELL_STYLE, TABLE_STYLE, JobsAndCosts, MapAndDestinations
from app.results import Package, Results, front_chart, optimise_folders, read_results, table_rows
from app.session import DEFAULT_SCENARIO, PACKAGES, ROOT, SCENARIOS, Loaded, load, settings_of
from model.errors import InputError

TITLE = "relocsim: where do the firms go?"
OWN_FILE = "Own file…"
OTHER_FOLDER = "Other folder…"
LOAD_PACKAGE = "Load into levers"
PAGES = ("Jobs and costs", "Map and destinations", "Least-cost packages")

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


def check(loaded: Loaded, entered: dict[str, Any]) -> BoxProblem | str | None:
    """What is wrong with the entered values: a box's problem, the message of one no box holds, or None."""
    try:
        settings_of(loaded, entered)
    except InputError as exc:
        return box_problem(exc, loaded.inputs, entered) or exc.message
    return None


def box_words(loaded: Loaded, box: str) -> str:
    """A box as the controls name it: "relocation aid: annual budget" (the lever, then the box's own label)."""
    found = next((i for i in loaded.inputs if i.name == box), None)
    return found.label if found is not None else {"firms": "number of simulated firms", "seed": "seed"}.get(box, box)


@solara.component
def Main(run: Run, problem: BoxProblem | str | None) -> None:
    """The main area: the three named pages, or why there is nothing to show."""
    model = run.model
    tab, set_tab = solara.use_state(0)
    with solara.lab.Tabs(value=tab, on_value=set_tab, lazy=True):
        for name in PAGES:
            with solara.lab.Tab(name):
                if name == PAGES[2]:
                    FrontView()
                    PackagesView()
                elif isinstance(problem, str):
                    solara.Error(f"These settings cannot run: {problem}")
                elif run.error is not None:
                    solara.Error(run.error)
                elif model is None:
                    solara.Info("Building the model…")
                elif model.error is not None:
                    solara.Error(model.error)
                elif name == PAGES[0]:
                    JobsAndCosts(model, run.shown, run.ahead)
                else:
                    MapAndDestinations(model, run.shown)


def blocked_words(loaded: Loaded, problem: BoxProblem | str | None) -> str | None:
    """What Reset waits for, or None."""
    if isinstance(problem, BoxProblem):
        return f"a valid {box_words(loaded, problem.box)} (marked below)"
    return None if problem is None else "settings that can run"


@solara.component
def RunView(loaded: Loaded, entered: dict[str, Any], problem: BoxProblem | str | None) -> None:
    """The controls' bar and the pages: all that a step, a play tick or the worker's progress redraws.

    Kept apart from the lever boxes in the sidebar (`Viz`): solara's number box resets the text being
    typed whenever it is drawn again, so the boxes must not be redrawn at every year shown.
    """
    run = use_run(loaded, entered)
    Controls(run, blocked_words(loaded, problem))
    Main(run, problem)


@solara.component
def Viz(loaded: Loaded) -> None:
    """The page over a valid scenario; keyed by its path, so a new scenario starts a new page state."""
    entered = solara.use_memo(lambda: initial_values(loaded), [])
    problem, set_problem = solara.use_state(None)  # checked at every change of a box
    RunView(loaded, entered, problem)
    with solara.Sidebar():

        def changed(unreadable: str | None) -> None:
            """A box changed: check the values, or (`unreadable`: its name) note the box whose text is no number."""
            set_problem(BoxProblem(unreadable, "") if unreadable else check(loaded, entered))

        LeverPanel(loaded, entered, changed, problem if isinstance(problem, BoxProblem) else None)


@solara.component
def Page() -> None:
    path = scenario_path.value
    loaded = solara.use_memo(lambda: load(path), [path])
    with solara.AppBar():
        solara.AppBarTitle(TITLE)
    with solara.Sidebar():
        ScenarioPicker(path)
    if loaded.error is not None:
        solara.Error(f"This scenario cannot be run: {loaded.error}")
    else:
        Viz(loaded).key(path)
