"""The app's view of an `optimise` result folder: its front as table rows and a chart, its packages as files.

An `optimise` folder holds `frontier.csv` (one row per confirmed package:
its decisions, then for each metric the paired change against the base with
its 95 % interval; read by `experiments.optimise.read`, the reader `optimise`
itself uses) and `packages/<id>.yaml`, each package as a full scenario file.
The page lists such folders under the results roots (`app.session`), reads
one into `Results` (or its one-line message), shows the packages certified
first, by fiscal cost, and loads a package's file as the scenario.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path

from matplotlib.figure import Figure

from app.session import FRONTIER, PACKAGES, in_results, is_optimise_folder, results_roots
from experiments.optimise.read import read_frontier
from model.errors import InputError
from model.outcomes import metric
from report.figures.style import NEUTRAL_COLOUR, NORTH_COLOUR, metric_axis, metric_label, new_figure, plain_spines
from report.figures.style import title as set_title
from report.package_words import levers_words

NORTH, OUTSIDE, COST = "to_north_jobs", "to_outside_jobs", "fiscal_cost_yuan"
SHOWN = (NORTH, OUTSIDE, COST)
SEARCH_DEPTH = 3  # folders below a results root that are looked at (outputs/NAME, outputs/GROUP/NAME, ...)
CHART_SIZE = (6.4, 4.2)


@dataclass(frozen=True)
class Package:
    """One package of the front: its decisions (as written in frontier.csv), its changes, its scenario file."""

    key: str
    certified: bool
    decisions: dict[str, str]
    changes: dict[str, tuple[float, float, float]]  # metric -> (mean change, low, high)
    file: Path

    def cell(self, name: str) -> str:
        """A change with its interval, in the metric's format (`+3,580 (95% CI +2,500 to +4,920)`)."""
        if name not in self.changes:
            return "–"
        return metric(name).interval_text(*self.changes[name], change=True)


@dataclass(frozen=True)
class Results:
    """An optimise folder as the page needs it, or why it cannot be shown."""

    folder: Path
    packages: tuple[Package, ...] = ()
    decisions: tuple[str, ...] = ()
    error: str | None = None
    skipped: tuple[str, ...] = ()  # package ids whose scenario file is missing


def optimise_folders(roots: list[Path] | None = None) -> list[Path]:
    """Every optimise folder (frontier.csv and packages/) under the results roots, a few levels deep, by path."""
    found: list[Path] = []
    for root in roots if roots is not None else results_roots():
        if not root.is_dir():
            continue
        base = len(root.parts)
        for here, dirs, _files in os.walk(root, followlinks=False):
            path = Path(here)
            if is_optimise_folder(path):
                found.append(path)
                dirs.clear()  # an optimise folder's own subfolders (runs/, packages/) hold no other
                continue
            if len(path.parts) - base >= SEARCH_DEPTH:
                dirs.clear()
            dirs.sort()
    return sorted(dict.fromkeys(found))


def not_allowed(folder: Path) -> str:
    roots = ", ".join(str(r) for r in results_roots())
    return (
        f"{str(folder)[:200]!r}: only optimise folders under {roots} can be opened here "
        "(start the app with --results DIR to add a folder)"
    )


def read_results(folder: str | Path) -> Results:
    """Read an optimise folder's front; a folder that is not one (or is out of bounds) comes back with one line."""
    folder = Path(str(folder).strip()).expanduser()
    if not in_results(folder):  # the same message whether or not it exists
        return Results(folder, error=not_allowed(folder))
    if not is_optimise_folder(folder):
        return Results(
            folder,
            error=f"{str(folder)[:200]!r}: not an optimise result folder (it needs {FRONTIER} and {PACKAGES}/, "
            "which `python run.py optimise` writes)",
        )
    try:
        return _read(folder)
    except InputError as exc:
        return Results(folder, error=exc.message)


def _read(folder: Path) -> Results:
    """The front as `optimise` itself reads frontier.csv back (experiments.optimise.read), with each package's file."""
    decisions, metrics, front = read_frontier(folder)
    packages, skipped = [], []
    for p in front:
        key = p.key.strip()
        file = folder / PACKAGES / f"{key}.yaml"
        if not key or "/" in key or not file.is_file():
            skipped.append(key)
            continue
        changes = {m: p.values[m] for m in SHOWN if m in metrics}
        packages.append(Package(key, p.certified, p.decisions, changes, file))
    packages.sort(key=lambda p: (not p.certified, _cost(p), p.key))
    return Results(folder, tuple(packages), tuple(decisions), None, tuple(skipped))


def _cost(p: Package) -> float:
    value = p.changes.get(COST, (math.nan,))[0]
    return value if math.isfinite(value) else math.inf


# --------------------------------------------------------------------------- words


def table_rows(results: Results) -> list[dict[str, str]]:
    """The front as the page's table shows it (without the load buttons)."""
    return [
        {
            "Package": p.key,
            "Certified": "certified" if p.certified else "not certified",
            "Levers": levers_words(p.decisions),
            "North-park jobs (change)": p.cell(NORTH),
            "Outside-province jobs (change)": p.cell(OUTSIDE),
            "Fiscal cost (change)": p.cell(COST),
        }
        for p in results.packages
    ]


# --------------------------------------------------------------------------- the chart


def front_chart(results: Results, loaded: Path | None = None) -> Figure:
    """North-park jobs against fiscal cost, paired changes with 95 % intervals; the loaded package ringed."""
    fig = new_figure(*CHART_SIZE)
    ax = fig.add_subplot()
    pk = [p for p in results.packages if NORTH in p.changes and COST in p.changes]
    if not pk:
        ax.set_axis_off()
        ax.text(0.5, 0.5, "No package to show.", ha="center", va="center", fontsize=10, transform=ax.transAxes)
        return fig
    north, cost = metric(NORTH), metric(COST)
    costs = [v for p in pk for v in p.changes[COST]]
    for certified, colour, face, label in (
        (False, NEUTRAL_COLOUR, "none", "not certified"),
        (True, NORTH_COLOUR, NORTH_COLOUR, "certified"),
    ):
        group = [p for p in pk if p.certified == certified]
        if not group:
            continue
        x = [p.changes[COST][0] for p in group]
        y = [p.changes[NORTH][0] for p in group]
        ax.errorbar(
            x,
            y,
            xerr=[
                [p.changes[COST][0] - p.changes[COST][1] for p in group],
                [p.changes[COST][2] - p.changes[COST][0] for p in group],
            ],
            yerr=[
                [p.changes[NORTH][0] - p.changes[NORTH][1] for p in group],
                [p.changes[NORTH][2] - p.changes[NORTH][0] for p in group],
            ],
            fmt="o",
            color=colour,
            mfc=face,
            ms=5,
            capsize=2,
            lw=1,
            label=label,
        )
    here = next((p for p in pk if loaded is not None and p.file.resolve() == loaded.resolve()), None)
    if here is not None:
        ax.plot([here.changes[COST][0]], [here.changes[NORTH][0]], "o", ms=13, mfc="none", mec="black", label="loaded")
    ax.axhline(0, color="#999999", lw=0.6)
    metric_axis(ax.xaxis, cost, change=True, values=costs)
    metric_axis(ax.yaxis, north, change=True, values=[v for p in pk for v in p.changes[NORTH]])
    ax.set_xlabel(metric_label(cost, change=True, values=costs))
    ax.set_ylabel(metric_label(north, change=True))
    ax.legend(fontsize=8, frameon=False, loc="best")
    plain_spines(ax)
    set_title(ax, f"The front of {results.folder.name}")
    return fig
