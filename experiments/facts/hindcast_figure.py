"""The hindcast's top outside destinations per origin group, beside the article's 2019–2022 lists.

`plots/hindcast_destinations.png`, one row per origin group the article lists
destinations for (Suzhou, Wuxi): on the left the model's top destinations
(TOP_SHOWN, by mean share of the group's outside-bound jobs over the hindcast
window) as bars with their 95% intervals across replications, orange where
the city is on the article's list; on the right the article's list with each
city's rank in the model. Place names are bilingual (report.figures.names),
the share axis is in % (the metric catalogue's share format). `figures`
yields it for the report of a run or validation folder, which saves it
(experiments.engine.report); what it shows is read by
experiments.facts.hindcast_report, which imports nothing of this module.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from experiments.facts.hindcast_report import FIGURE, OriginTop, place_name
from model.outcomes import Metric
from report.figures.extent import CUT_NOTE, View, draw_interval, set_view, view_of
from report.figures.names import place_label
from report.figures.style import (
    OUTSIDE_COLOUR,
    add_caption,
    interval_caption,
    metric_axis,
    metric_label,
    new_figure,
    plain_spines,
    title,
)
from report.tables import Place

TOP_SHOWN = 8
OFF_LIST_COLOUR = "#9AA4AE"
SHARE_OF_OUTSIDE = Metric(
    "outside_destination_share",
    "Share of the group's outside-bound jobs",
    "share",
    "Jobs an outside city received from the origin group ÷ all the group's outside-bound jobs, hindcast window.",
    (0.0, 1.0),
)


def _group_name(places: Mapping[str, Place], group: str) -> str:
    """The origin group by its prefecture's place ("Suzhou 苏州"), else as the tables name it."""
    origin = next((p for p in places.values() if p.kind == "origin" and p.name == group), None)
    return place_label(origin) if origin is not None else group


def _bars(ax: Axes, o: OriginTop, places: Mapping[str, Place]) -> None:
    shown = o.ranking[:TOP_SHOWN]
    y = np.arange(len(shown), dtype=float)[::-1]
    on_list = [d.place in o.article for d in shown]
    means = np.array([d.share.mean for d in shown])
    colours = [OUTSIDE_COLOUR if hit else OFF_LIST_COLOUR for hit in on_list]
    ax.barh(y, means, height=0.62, color=colours)
    view = view_of(means, [v for d in shown for v in (d.share.low, d.share.high)], include=[0.0], bounds=(0.0, 1.0))
    view = View(0.0, view.high)  # bars start at 0
    for yi, d in zip(y, shown, strict=True):
        if d.share.defined and d.share.low != d.share.high:
            draw_interval(
                ax,
                view,
                yi,
                d.share.low,
                d.share.high,
                fmt=SHARE_OF_OUTSIDE.text,
                color="#222222",
                linewidth=1.1,
                caps=True,
            )
        ax.annotate(
            SHARE_OF_OUTSIDE.text(d.share.mean),
            (d.share.mean, yi),
            xytext=(3, 4),
            textcoords="offset points",
            fontsize=7,
            color="#333333",
        )
    labels = [f"{d.rank}. {place_name(places, d.place)}" for d in shown]
    ax.set_yticks(y, labels, fontsize=8.5)
    for tick, hit in zip(ax.get_yticklabels(), on_list, strict=True):
        if hit:
            tick.set_fontweight("bold")
            tick.set_color(OUTSIDE_COLOUR)
    ax.set_ylim(-0.7, max(len(shown), 1) - 0.3)
    set_view(ax, view)
    metric_axis(ax.xaxis, SHARE_OF_OUTSIDE, nbins=5)
    ax.set_xlabel(metric_label(SHARE_OF_OUTSIDE), fontsize=8.5)
    ax.tick_params(axis="x", labelsize=7.5)
    ax.grid(axis="x", alpha=0.3)
    plain_spines(ax)
    if not shown:
        ax.text(0.5, 0.5, "No jobs left the group for an outside city", transform=ax.transAxes, ha="center")


def _rank_text(o: OriginTop, pid: str) -> str:
    rank = o.rank_of(pid)
    if rank is not None:
        return f"model rank {rank}"
    if o.kept is not None:
        return f"not in any replication's top {o.kept}"
    return "no jobs in the model"


def _article(ax: Axes, o: OriginTop, places: Mapping[str, Place]) -> None:
    ax.axis("off")
    order = "as ranked there" if o.article_ranked else "in pinyin order: a set, not a ranking"
    ax.text(0.0, 1.0, "The article's list", transform=ax.transAxes, fontsize=9, va="top", weight="bold")
    ax.text(0.0, 0.92, f"({order})", transform=ax.transAxes, fontsize=7.5, va="top", color="#444444")
    step = min(0.16, 0.8 / max(len(o.article), 1))
    for i, pid in enumerate(o.article):
        rank = o.rank_of(pid)
        hit = rank is not None and rank <= TOP_SHOWN
        y = 0.8 - i * step
        colour, weight = (OUTSIDE_COLOUR, "bold") if hit else ("#222222", "normal")
        mark = f"{i + 1}." if o.article_ranked else "•"
        ax.text(0.0, y, mark, transform=ax.transAxes, fontsize=8.5, va="top", color=colour)
        ax.text(
            0.09,
            y,
            place_name(places, pid),
            transform=ax.transAxes,
            fontsize=8.5,
            va="top",
            color=colour,
            weight=weight,
        )
        ax.text(
            0.09,
            y - 0.065,
            _rank_text(o, pid),
            transform=ax.transAxes,
            fontsize=7.5,
            va="top",
            color=colour if hit else "#555555",
        )


def plot_destinations(origins: list[OriginTop], places: Mapping[str, Place]) -> Figure:
    """One row per origin group: the model's top destinations (bars, 95% whiskers) and the article's list."""
    rows = len(origins)
    fig = new_figure(10.0, 0.9 + 3.5 * rows)
    grid = fig.add_gridspec(rows, 2, width_ratios=(2.7, 1.3))
    for i, o in enumerate(origins):
        bars, article = fig.add_subplot(grid[i, 0]), fig.add_subplot(grid[i, 1])
        _bars(bars, o, places)
        _article(article, o, places)
        first, last = o.window
        title(bars, f"Firms leaving {_group_name(places, o.group)}: top outside destinations, {first}–{last}")
    fig.legend(
        [Patch(color=OUTSIDE_COLOUR), Patch(color=OFF_LIST_COLOUR)],
        ["On the article's list", "Not on it"],
        loc="outside upper right",
        ncols=2,
        fontsize=8,
        frameon=False,
    )
    reps = max((o.replications for o in origins), default=0)
    kept = next((o.kept for o in origins if o.kept is not None), None)
    note = (
        f" Each run's summary keeps its top {kept} cities; a city outside them counts 0 in that replication."
        if kept is not None
        else ""
    )
    add_caption(
        fig,
        f"Bars: the model's top {TOP_SHOWN} outside destinations of each origin group by mean share of the group's "
        f"outside-bound jobs over the hindcast window, numbered by rank. {interval_caption(reps, 'share')}"
        f"{note} Right: the article's 2019–2022 list (China Industrial Transfer Report) with each city's rank in "
        f"the model; orange where the city is also among the model's top {TOP_SHOWN}. {CUT_NOTE}",
        width=150,
    )
    return fig


def figures(origins: list[OriginTop], places: Mapping[str, Place]) -> Iterator[tuple[str, Figure]]:
    """plots/hindcast_destinations.png, or nothing when no origin group has a ranking."""
    if origins and any(o.ranking for o in origins):
        yield FIGURE, plot_destinations(origins, places)
