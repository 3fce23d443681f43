"""What the app's panels show, computed from an `AppModel` without Solara: figures and table rows.

The charts use the reports' one style (`report.figures.style`) and take every
label, unit and number format from the metric catalogue, so a chart in the
app reads like the same chart in a report.
"""

from __future__ import annotations

import math

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from app.session import AppModel
from model.levers.registry import REGISTRY
from model.outcomes import COST_EFFECTIVENESS, DECISION, metric
from report.figures.names import place_label
from report.figures.style import (
    JIANGSU_COLOUR,
    NORTH_COLOUR,
    OUTSIDE_COLOUR,
    legend_below,
    metric_axis,
    metric_label,
    new_figure,
    plain_spines,
    series_colour,
    title,
    year_axis,
)

KINDS = (
    ("to_north_jobs", "North co-built parks", NORTH_COLOUR),
    ("to_jiangsu_jobs", "Other Jiangsu places", JIANGSU_COLOUR),
    ("to_outside_jobs", "Outside the province", OUTSIDE_COLOUR),
)
CHART_SIZE = (6.4, 3.6)  # two charts and the side-by-side fit one screen (1600×1100) at 100 dpi


FIRST_YEAR = "Press Step or ▶ to simulate the first year."


def _chart(m: AppModel, nothing: str | None = None) -> tuple[Figure, Axes | None]:
    """A chart's figure and axes; before the first year (or when `nothing` says why) a placeholder, no axes."""
    fig = new_figure(*CHART_SIZE)
    ax = fig.add_subplot()
    text = FIRST_YEAR if len(m.years()) == 0 else nothing
    if text is None:
        return fig, ax
    ax.set_axis_off()
    ax.text(0.5, 0.5, text, ha="center", va="center", fontsize=10, color="#444444", transform=ax.transAxes)
    return fig, None


def jobs_chart(m: AppModel) -> Figure:
    """Jobs moved per year to each destination kind: current settings solid, baseline dashed."""
    fig, ax = _chart(m)
    if ax is None:
        return fig
    years = m.years()
    handles, labels, values = [], [], []
    for field, label, colour in KINDS:
        cur, base = m.series("current", field), m.series("baseline", field)
        values += [*cur, *base]
        (h,) = ax.plot(years, cur, color=colour, linewidth=2, marker="o", markersize=3)
        ax.plot(years, base, color=colour, linewidth=1.2, linestyle="--")
        handles.append(h)
        labels.append(label)
    jobs = metric("relocated_jobs")
    metric_axis(ax.yaxis, jobs, values=values, nbins=6)
    ax.set_ylabel(metric_label(jobs, values=values, what="Jobs moved in the year"))
    ax.set_ylim(bottom=0)
    year_axis(ax, years)
    title(ax, "Jobs moved per year, by destination")
    plain_spines(ax)
    (dashed,) = ax.plot([], [], color="#666666", linewidth=1.2, linestyle="--")
    legend_below(ax, [*handles, dashed], [*labels, "Baseline (dashed)"], ncol=2)
    return fig


def share_chart(m: AppModel) -> Figure:
    """The north-park share of the jobs moved each year."""
    fig, ax = _chart(m)
    if ax is None:
        return fig
    years = m.years()
    share = metric("north_share_jobs")
    handles = []
    for which, style, width in (("current", "-", 2.0), ("baseline", "--", 1.2)):
        (h,) = ax.plot(
            years,
            m.north_share(which),
            color=NORTH_COLOUR,
            linestyle=style,
            linewidth=width,
            marker="o" if which == "current" else "",
        )
        handles.append(h)
    metric_axis(ax.yaxis, share)
    ax.set_ylabel(metric_label(share))
    ax.set_ylim(bottom=0)
    year_axis(ax, years)
    title(ax, "North-park share of the jobs moved each year")
    plain_spines(ax)
    legend_below(ax, handles, ["Current settings", "Baseline (the same scenario, seed and firms, every lever off)"])
    return fig


def cost_chart(m: AppModel) -> Figure:
    """Fiscal cost per year, stacked by lever (the baseline spends nothing)."""
    spend = {k: v for k, v in m.fiscal_by_lever().items() if np.any(v > 0)}
    fig, ax = _chart(m, None if spend else "No lever has spent anything yet.")
    if ax is None:
        return fig
    years = m.years()
    cost = metric("fiscal_cost_yuan")
    totals = np.sum(list(spend.values()), axis=0)
    bottom = np.zeros(len(years))
    handles, labels = [], []
    for i, (key, values) in enumerate(spend.items()):
        bars = ax.bar(years, values, bottom=bottom, color=series_colour(i), width=0.8)
        bottom = bottom + values
        handles.append(bars)
        labels.append(REGISTRY[key].label)
    metric_axis(ax.yaxis, cost, values=list(totals), nbins=6)
    ax.set_ylabel(metric_label(cost, values=list(totals), what="Fiscal cost in the year"))
    year_axis(ax, years)
    ax.set_xlim(years[0] - 0.6, years[-1] + 0.6)
    title(ax, "Fiscal cost per year, by lever")
    plain_spines(ax)
    legend_below(ax, handles, labels, ncol=3)
    return fig


def comparison_rows(m: AppModel, *, ahead: bool = False) -> list[dict[str, str]]:
    """The decision quantities over the report window: current, baseline and the difference.

    Over the years shown so far, or (`ahead`) over every year the model has simulated ahead.
    """
    cur, base = m.totals("current", ahead=ahead), m.totals("baseline", ahead=ahead)
    if not cur:
        return []
    rows = []
    for name in ("north_share_jobs", *DECISION):
        mt = metric(name)
        rows.append(
            {
                "Metric": f"{mt.label} ({'%' if mt.is_share else mt.shown_unit})",
                "Current settings": mt.text(cur[name]),
                "Baseline": mt.text(base[name]),
                "Difference": mt.text(cur[name] - base[name], change=True),
            }
        )
    extra_north = cur["to_north_jobs"] - base["to_north_jobs"]
    ratio = metric(COST_EFFECTIVENESS)
    per_job = (cur["fiscal_cost_yuan"] - base["fiscal_cost_yuan"]) / extra_north if extra_north > 0 else math.nan
    rows.append(
        {
            "Metric": f"{ratio.label} ({ratio.shown_unit})",
            "Current settings": "",
            "Baseline": "",
            "Difference": ratio.text(per_job) if math.isfinite(per_job) else "– (no additional north jobs)",
        }
    )
    return rows


def top_destination_rows(m: AppModel, n: int = 5) -> list[dict[str, str]]:
    """One row per southern origin: its top `n` destinations by jobs received so far (current settings).

    Each cell is the destination (named as the report figures name it), its
    kind and its share of the jobs that left the origin.
    """
    if m.current is None:
        return []
    d = m.current.data
    names = {pid: place_label(p) for pid, p in m.places.items()}
    kinds = {"north_park": "north park", "jiangsu_city": "Jiangsu", "outside_city": "outside"}
    jobs = metric("relocated_jobs")
    rows = []
    for o, ranked in m.top_destinations(len(d.place_ids)).items():
        if d.kinds[o] != "origin":
            continue
        total = sum(j for _d, j in ranked)
        row = {"Origin": names[d.place_ids[o]], "Jobs moved": jobs.text(total)}
        for rank in range(n):
            if rank < len(ranked) and total > 0:
                dest, moved = ranked[rank]
                kind = kinds.get(str(d.kinds[dest]), str(d.kinds[dest]))
                row[f"#{rank + 1}"] = f"{names[d.place_ids[dest]]} ({kind}, {100 * moved / total:.0f}%)"
            else:
                row[f"#{rank + 1}"] = "–"
        rows.append(row)
    return rows
