"""The figures of a `run` result folder, drawn from its tables (timeseries.csv, flows.csv, places.csv).

`figures(res)` yields jobs_per_year.png, cumulative_by_destination.png,
north_share.png and flow_map.png as (file name, Figure), from the tables
report.tables reads; the report (experiments.run.report) saves them into
`plots/`.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from experiments.analysis.stats import Interval
from model.outcomes import CATALOGUE
from report.figures.extent import CUT_NOTE, View, band_marks, draw_interval, set_view, view_of
from report.figures.flow_map import flow_map_figure
from report.figures.names import place_label
from report.figures.style import (
    JIANGSU_COLOUR,
    NORTH_COLOUR,
    OUTSIDE_COLOUR,
    add_caption,
    band_text,
    legend_below,
    mean_band,
    metric_axis,
    metric_label,
    new_figure,
    thousands,
    year_axis,
)
from report.tables import Results

logger = logging.getLogger(__name__)
JOBS = CATALOGUE["relocated_jobs"]  # number format of a count of jobs


def _mean_ci(values: np.ndarray) -> tuple[float, float | None, float | None]:
    iv = Interval.of(values, (0.0, math.inf))
    return iv.mean, (iv.low if iv.defined else None), (iv.high if iv.defined else None)


# --------------------------------------------------------------------------- figure 1


def plot_jobs_per_year(res: Results) -> Figure:
    """Jobs relocated each year, north parks vs outside-province cities, with CI bands."""
    fig = new_figure(8.0, 4.8)
    ax = fig.add_subplot()
    handles: list[Any] = []
    labels: list[str] = []
    drawn: list[tuple[np.ndarray, np.ndarray, np.ndarray, str]] = []
    series = [
        (res.to_north_jobs, "To north Jiangsu co-built parks", NORTH_COLOUR),
        (res.to_jiangsu_jobs, "To other Jiangsu places", JIANGSU_COLOUR),
        (res.to_outside_jobs, "To cities outside Jiangsu", OUTSIDE_COLOUR),
    ]
    for values, label, colour in series:
        if not np.nansum(values) and colour == JIANGSU_COLOUR:
            continue  # no other Jiangsu place among the destinations
        mean, lo, hi = mean_band(values, (0.0, math.inf))
        drawn.append((mean, lo, hi, colour))
        (line,) = ax.plot(res.years, mean, color=colour, marker="o", markersize=3.5, linewidth=2)
        if res.replications >= 2:
            band = ax.fill_between(res.years, lo, hi, color=colour, alpha=0.2, linewidth=0)
            handles.append((band, line))
            labels.append(f"{label} (mean, 95% CI band)")
        else:
            handles.append(line)
            labels.append(f"{label} (1 replication, no band)")
    view = view_of(
        [v for mean, _lo, _hi, _c in drawn for v in mean],
        [v for _m, lo, hi, _c in drawn for v in (*lo, *hi)],
        include=[0.0],
    )
    view = View(0.0, view.high)
    set_view(ax, view, "y")
    cut = any(  # a list, so every band is marked
        [band_marks(ax, view, list(res.years), list(lo), list(hi), fmt=JOBS.text, color=c) for _m, lo, hi, c in drawn]
    )
    ax.yaxis.set_major_formatter(FuncFormatter(thousands))
    ax.set_ylabel("Jobs relocated per year")
    year_axis(ax, res.years)
    ax.grid(alpha=0.3)
    legend_below(ax, handles, labels)
    ax.set_title(
        f"Relocated jobs per year by destination, {res.years[0]}–{res.years[-1]} — scenario {res.scenario}", fontsize=11
    )
    cut_note = " The axis is set by the means: a band beyond it is cut and marked (▲ and its end)." if cut else ""
    add_caption(fig, band_text(res.replications) + cut_note)
    return fig


# --------------------------------------------------------------------------- figure 2


TOP_PER_KIND = 15  # destinations shown per kind; the rest are summed in one bar
CUMULATIVE = "cumulative_by_destination.png"


def plot_cumulative_by_destination(res: Results) -> Figure:
    """Jobs received by each destination over the horizon, by kind: the top ones and the rest in one bar."""
    groups = (
        ("north_park", "North Jiangsu co-built parks", NORTH_COLOUR),
        ("jiangsu_city", "Other Jiangsu places", JIANGSU_COLOUR),
        ("outside_city", "Cities outside Jiangsu", OUTSIDE_COLOUR),
    )
    known = {kind for kind, _, _ in groups}
    zeros = np.zeros(res.replications)
    rows: list[tuple[str, float, float | None, float | None, str] | None] = []  # None = group heading
    headings: list[tuple[int, str, str, float]] = []
    for kind, title, colour in groups:
        ids = [p.id for p in res.places.values() if p.kind == kind]
        stats = {pid: _mean_ci(res.jobs_by_destination.get(pid, zeros)) for pid in ids}
        if not ids:
            continue
        ids.sort(key=lambda pid: (-stats[pid][0], res.places[pid].name))
        total = sum(stats[pid][0] for pid in ids)
        headings.append((len(rows), title, colour, total))
        rows.append(None)
        rows.extend((place_label(res.places[pid]), *stats[pid], colour) for pid in ids[:TOP_PER_KIND])
        rest = ids[TOP_PER_KIND:]
        if rest:
            summed = sum((res.jobs_by_destination.get(pid, zeros) for pid in rest), start=zeros.copy())
            rows.append((f"{len(rest)} other places", *_mean_ci(summed), colour))
    others = sorted(d for d in res.jobs_by_destination if res.places[d].kind not in known)
    if others:
        logger.warning("%d destination(s) of other kinds are not shown in %s", len(others), CUMULATIVE)

    fig = new_figure(8.5, 0.28 * len(rows) + 1.6)
    ax = fig.add_subplot()
    y = np.arange(len(rows))[::-1]
    shown = [row for row in rows if row is not None]
    means = [row[1] for row in shown]
    ends = [v for row in shown for v in (row[2], row[3]) if v is not None]
    view = View(0.0, view_of(means, ends, include=[0.0], margin=0.12).high)  # bars from 0; room for the numbers
    for yi, row in zip(y, rows, strict=True):
        if row is None:
            continue
        _name, mean, lo, hi, colour = row
        ax.barh(yi, mean, color=colour, height=0.7)
        if lo is not None and hi is not None:
            draw_interval(ax, view, yi, lo, hi, fmt=JOBS.text, color="#333333", linewidth=0.8, caps=True)
    pad = 0.01 * view.high
    for yi, row in zip(y, rows, strict=True):
        if row is not None:
            _name, mean, lo, hi, _colour = row
            end = hi if hi is not None else mean
            if end < view.high:
                ax.text(end + pad, yi, thousands(mean), va="center", fontsize=7.5, color="#333333")
            else:  # the whisker is cut at the edge, whose mark prints its end: the mean goes under it
                ax.annotate(
                    f"mean {thousands(mean)}",
                    (view.high, yi),
                    xytext=(-6, -3),
                    textcoords="offset points",
                    ha="right",
                    va="top",
                    fontsize=6.5,
                    color="#333333",
                )
    for index, title, colour, total in headings:
        ax.text(
            0,
            y[index],
            f"{title} (total {thousands(total)} jobs)",
            fontsize=9,
            fontweight="bold",
            color=colour,
            va="center",
            ha="left",
        )
    ax.set_yticks(y, ["" if row is None else row[0] for row in rows], fontsize=8)
    ax.tick_params(axis="y", length=0)
    set_view(ax, view)
    ax.set_ylim(-0.7, len(rows) - 0.3)
    ax.xaxis.set_major_locator(MaxNLocator(nbins=5))
    ax.xaxis.set_major_formatter(FuncFormatter(thousands))
    first, last = res.totals_window
    ax.set_xlabel(f"Jobs relocated to the destination, total {first}–{last}")
    ax.grid(axis="x", alpha=0.3)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.set_title(f"Where relocated jobs went, {first}–{last} — scenario {res.scenario}", fontsize=11)
    note = (
        f"Bars: mean over {res.replications} replications of the jobs each destination received in {first}–{last} "
        f"(the report window of the headline figures); whiskers: 95% confidence interval of the mean. {CUT_NOTE}"
        if res.replications >= 2
        else f"Bars: the jobs each destination received in {first}–{last}; 1 replication, so no confidence interval."
    )
    add_caption(fig, note)
    return fig


# --------------------------------------------------------------------------- figure 3


def plot_north_share(res: Results) -> Figure:
    """North-park share of relocated jobs per year; years with no moves have no share and leave a gap."""
    fig = new_figure(8.0, 4.8)
    ax = fig.add_subplot()
    share = CATALOGUE["north_share_jobs"]
    mean, lo, hi = mean_band(res.north_share_jobs, share.bounds)
    label = "Mean across replications" if res.replications >= 2 else "The single replication"
    ax.plot(res.years, mean, color=NORTH_COLOUR, marker="o", markersize=3.5, linewidth=2, label=label)
    if res.replications >= 2:
        ax.fill_between(res.years, lo, hi, color=NORTH_COLOUR, alpha=0.2, linewidth=0, label="95% CI of the mean")
    else:
        ax.plot([], [], " ", label="1 replication: no band")
    first, last = res.totals_window
    if res.horizon_north_share is not None:
        pooled_over = " (mean over replications)" if res.replications >= 2 else ""
        ax.axhline(
            res.horizon_north_share,
            color="#555555",
            linestyle="--",
            linewidth=1,
            label=f"{first}–{last} pooled{pooled_over}: {res.horizon_north_share:.1%}",
        )
    empty = np.isnan(mean)
    if empty.any():
        ax.plot(
            res.years[empty], np.zeros(int(empty.sum())), "x", color="#999999", label="No jobs moved (share undefined)"
        )
    view = view_of([*mean, res.horizon_north_share or 0.0], [*lo, *hi], include=[0.0], bounds=share.bounds)
    view = View(0.0, max(view.high, min(1.0, 0.02)))  # at least 0–2 % when every share is 0
    set_view(ax, view, "y")
    cut = band_marks(ax, view, list(res.years), list(lo), list(hi), fmt=share.text, color=NORTH_COLOUR)
    metric_axis(ax.yaxis, share)  # as many decimals as the ticks need (0.5% steps do not read 0%, 0%, 1%)
    ax.set_ylabel(metric_label(share))
    year_axis(ax, res.years)
    ax.grid(alpha=0.3)
    legend_below(ax, *ax.get_legend_handles_labels())
    ax.set_title(f"{share.label} per year, {res.years[0]}–{res.years[-1]} — scenario {res.scenario}", fontsize=11)
    caption = band_text(res.replications)
    if cut:
        caption += " The axis is set by the means: where the band runs beyond it, it is cut and marked (▲ and its end)."
    if res.replications >= 2 and np.any(np.isfinite(mean) & np.isnan(lo)):
        caption += " No band in years where fewer than 2 replications moved any job."
    add_caption(fig, caption)
    return fig


FIGURES: tuple[tuple[str, Callable[[Results], Figure]], ...] = (
    ("jobs_per_year.png", plot_jobs_per_year),
    (CUMULATIVE, plot_cumulative_by_destination),
    ("north_share.png", plot_north_share),
    ("flow_map.png", flow_map_figure),
)


def figures(res: Results) -> Iterator[tuple[str, Figure]]:
    """Every figure of a run folder, in order, drawn one at a time as they are saved."""
    for name, plot in FIGURES:
        yield name, plot(res)
