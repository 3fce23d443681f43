"""The first two pages of the app: "Jobs and costs" and "Map and destinations", drawn off the event loop.

Every figure is drawn into PNG bytes in a worker thread (`Picture`), keyed by
the model and the years shown, so a click is answered at once: while a new
year's chart is drawn the previous one stays, under a thin progress bar.
"""

from __future__ import annotations

import html
import io
from collections.abc import Callable

import solara
from matplotlib.figure import Figure
from solara.datatypes import ResultState

from app.maps import flow_map
from app.session import AppModel
from app.views import comparison_rows, cost_chart, jobs_chart, share_chart, top_destination_rows

CHART_DPI = 100  # the charts' size on screen: CHART_SIZE inches (app.views) at 100 dpi fill half the main area
MAP_DPI = 150  # the map is shown full width; 150 dpi keeps its labels sharp there and in the download
TABLE_STYLE = "border-collapse: collapse; font-size: 13px; width: 100%"
CELL_STYLE = "padding: 2px 8px; border-bottom: 1px solid #ddd"


def png_of(fig: Figure, dpi: int) -> bytes:
    """A figure as PNG bytes without a Software stamp (the same bytes for the same data)."""
    out = io.BytesIO()
    fig.savefig(out, format="png", dpi=dpi, metadata={"Software": None})
    return out.getvalue()


@solara.component
def Picture(
    draw: Callable[[AppModel], Figure], model: AppModel, shown: int, dpi: int = CHART_DPI, download: str = ""
) -> None:
    """A figure of the model drawn in a worker thread; the last one stays while the next is drawn.

    `download`: a file name, to offer the PNG for download under the picture.
    """
    result = solara.use_thread(lambda: png_of(draw(model), dpi), dependencies=[model, shown], intrusive_cancel=False)
    solara.ProgressLinear(result.state != ResultState.FINISHED)
    if result.value is not None:
        solara.Image(result.value, width="100%")
        if download:
            solara.FileDownload(result.value, filename=download, label=f"Download {download} (full size)")


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


def totals_title(model: AppModel) -> str:
    """The side-by-side's window: the whole report window once run ahead, else the years shown so far."""
    lo, hi = model.window()
    if model.ahead():
        return f"Current settings against the baseline, totals {lo}–{hi}"
    year = model.year
    done = f"{lo}–{year}" if year is not None and year >= lo else "nothing yet"
    return f"Current settings against the baseline, so far ({done} of {lo}–{hi})"


@solara.component
def Comparison(model: AppModel, shown: int, ahead: bool) -> None:
    """The side-by-side: over the whole window once the model has run ahead (`ahead`), else so far."""
    with solara.Card(totals_title(model)):
        rows = comparison_rows(model, ahead=ahead)
        if rows:
            Table(rows)
        notes = []
        if ahead and (model.year is None or model.year < model.window()[1]):
            notes.append(
                "The model has simulated every year ahead, so these are the totals of the whole window; "
                "the charts show the years as you step or play."
            )
        notes.append(
            "Both runs share the seed and the firms (common random numbers); the baseline is the same "
            "scenario with every lever off. One replication, so no confidence interval: `compare` gives those."
        )
        for note in notes:
            solara.v.Html(tag="p", children=[note], style_="margin: 8px 0 0 0; font-size: 13px")


@solara.component
def JobsAndCosts(model: AppModel, shown: int, ahead: bool) -> None:
    """The first page: the yearly charts and the side-by-side of the window's totals."""
    with solara.Columns([1, 1]):
        with solara.Column():
            with solara.Card():
                Picture(jobs_chart, model, shown)
            with solara.Card():
                Picture(share_chart, model, shown)
        with solara.Column():
            Comparison(model, shown, ahead)
            with solara.Card():
                Picture(cost_chart, model, shown)


@solara.component
def MapAndDestinations(model: AppModel, shown: int) -> None:
    """The second page: the flow map of the moves so far, full width, and each origin's top destinations."""
    with solara.Card("Flows of the jobs moved so far (current settings)"):
        if model.year is None:
            solara.Info("The flow map appears after the first simulated year: press Step or ▶.")
        else:
            download = f"flow_map_{model.year}.png"
            Picture(flow_map, model, shown, MAP_DPI, download)
    with solara.Card("Top destinations per origin (current settings, all years so far)"):
        rows = top_destination_rows(model)
        solara.Text("Each destination with its kind and its share of the jobs that left the origin.")
        if rows:
            Table(rows)
        else:
            solara.Text("No moves yet.")
