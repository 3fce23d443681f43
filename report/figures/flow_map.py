"""The flow map of a run: origin → destination flows on a longitude/latitude map, overview and Jiangsu zoom."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle
from matplotlib.text import Annotation
from matplotlib.ticker import FuncFormatter, MaxNLocator

from report.figures.style import (
    KIND_STYLE,
    NORTH_COLOUR,
    OTHER_COLOUR,
    OUTSIDE_COLOUR,
    new_figure,
    nice,
    save_png,
    thousands,
)
from report.tables import Place, Results

Box = tuple[float, float, float, float]  # x0, y0, x1, y1 in display pixels
# Beside the point only: a label centred above or below reads as belonging to a neighbour.
LABEL_OFFSETS: tuple[tuple[float, float, str, str], ...] = (
    (5, 3, "left", "bottom"),
    (5, -3, "left", "top"),
    (-5, 3, "right", "bottom"),
    (-5, -3, "right", "top"),
    (8, 0, "left", "center"),
    (-8, 0, "right", "center"),
)
LABEL_BOX = {"boxstyle": "square,pad=0.1", "fc": "white", "ec": "none", "alpha": 0.7}


def _overlap(a: Box, b: Box) -> float:
    return max(0.0, min(a[2], b[2]) - max(a[0], b[0])) * max(0.0, min(a[3], b[3]) - max(a[1], b[1]))


def _annotate(
    ax: Axes, text: str, xy: tuple[float, float], offset: tuple[float, float, str, str], fontsize: float, **kw: bool
) -> Annotation:
    """A place label at an offset (points) from its point, in the map's label style."""
    dx, dy, ha, va = offset
    return ax.annotate(
        text, xy, xytext=(dx, dy), textcoords="offset points", ha=ha, va=va, fontsize=fontsize, bbox=LABEL_BOX, **kw
    )


def _place_labels(ax: Axes, fig: Figure, points: list[tuple[float, float, str]], fontsize: float) -> None:
    """Label points without overlapping each other or the markers (greedy, deterministic).

    Each label tries the positions beside its point in a fixed order and keeps
    the first that overlaps nothing already placed and stays inside the axes;
    if none does, the least-overlapping one inside the axes is kept. The axes
    must already be laid out (the figure drawn once) so extents are final.
    """
    renderer = fig.canvas.get_renderer()
    frame = ax.get_window_extent(renderer)
    taken: list[Box] = []
    for x, y, _ in points:
        cx, cy = ax.transData.transform((x, y))
        taken.append((cx - 4, cy - 4, cx + 4, cy + 4))
    for x, y, text in points:
        scored: list[tuple[float, int, Box]] = []
        for i in range(len(LABEL_OFFSETS)):
            trial = _annotate(ax, text, (x, y), LABEL_OFFSETS[i], fontsize)
            bb = trial.get_window_extent(renderer)
            trial.remove()
            box = (bb.x0, bb.y0, bb.x1, bb.y1)
            outside = box[0] < frame.x0 or box[2] > frame.x1 or box[1] < frame.y0 or box[3] > frame.y1
            scored.append((sum(_overlap(box, t) for t in taken) + (1e9 if outside else 0.0), i, box))
            if scored[-1][0] == 0:
                break
        _score, i, box = min(scored)
        label = _annotate(ax, text, (x, y), LABEL_OFFSETS[i], fontsize, annotation_clip=True)
        label.set_in_layout(False)
        taken.append(box)


@dataclass(frozen=True)
class Extent:
    """A map panel's lon/lat frame and its display aspect."""

    lon0: float
    lon1: float
    lat0: float
    lat1: float
    aspect: float  # display height of one degree of latitude ÷ one degree of longitude

    @classmethod
    def around(cls, places: Sequence[Place], pad_deg: float) -> Extent:
        lats = [p.lat for p in places]
        lons = [p.lon for p in places]
        # One degree of longitude is cos(latitude) as long as one of latitude.
        aspect = 1 / math.cos(math.radians(float(np.mean(lats))))
        return cls(min(lons) - pad_deg, max(lons) + pad_deg, min(lats) - pad_deg, max(lats) + pad_deg, aspect)

    @property
    def width_over_height(self) -> float:
        return (self.lon1 - self.lon0) / ((self.lat1 - self.lat0) * self.aspect)

    def contains(self, place: Place) -> bool:
        return self.lon0 <= place.lon <= self.lon1 and self.lat0 <= place.lat <= self.lat1


def _flow_order(item: tuple[tuple[str, str], float], places: dict[str, Place]) -> tuple[bool, float, tuple[str, str]]:
    """Outside flows under north flows, and small flows under large ones, so the large stay legible."""
    (_o, d), total = item
    return (places[d].kind == "north_park", total, item[0])


def _draw_map(ax: Axes, res: Results, frame: Extent, width_of: Callable[[float], float]) -> None:
    """One map panel: flows as lines, every place as a marker, clipped to `frame`."""
    ax.set_xlim(frame.lon0, frame.lon1)
    ax.set_ylim(frame.lat0, frame.lat1)
    ax.set_aspect(frame.aspect, adjustable="box")
    for (o, d), total in sorted(res.jobs_by_pair.items(), key=lambda kv: _flow_order(kv, res.places)):
        width = width_of(total / res.replications)
        if width <= 0:
            continue
        po, pd = res.places[o], res.places[d]
        colour = KIND_STYLE.get(pd.kind, ("", OTHER_COLOUR, ""))[1]
        ax.plot(
            [po.lon, pd.lon],
            [po.lat, pd.lat],
            color=colour,
            linewidth=width,
            alpha=0.55,
            solid_capstyle="butt",
            zorder=2,
        )
    for kind, (_label, colour, marker) in KIND_STYLE.items():
        sel = [p for p in res.places.values() if p.kind == kind]
        ax.scatter(
            [p.lon for p in sel],
            [p.lat for p in sel],
            s=30,
            marker=marker,
            color=colour,
            edgecolor="white",
            linewidth=0.6,
            zorder=4,
        )
    other = [p for p in res.places.values() if p.kind not in KIND_STYLE]
    if other:
        ax.scatter([p.lon for p in other], [p.lat for p in other], s=22, marker="D", color=OTHER_COLOUR, zorder=4)
    for axis, suffix in ((ax.xaxis, "°E"), (ax.yaxis, "°N")):
        axis.set_major_locator(MaxNLocator(nbins=6, integer=True, steps=[1, 2, 5, 10]))
        axis.set_major_formatter(FuncFormatter(lambda v, _p, s=suffix: f"{v:.0f}{s}"))
    ax.tick_params(labelsize=7)
    ax.grid(alpha=0.25, linewidth=0.5)


def plot_flow_map(res: Results, path: Path) -> Path:
    """Origin→destination flows on a plain lon/lat map: overview plus a zoom on Jiangsu.

    The Jiangsu origins and parks sit within a few tenths of a degree of each
    other, so on the national overview they cannot be labelled; the zoom panel
    shows and labels them.
    """
    places = list(res.places.values())
    jiangsu = [p for p in places if p.kind in ("origin", "north_park")] or places
    whole, zoom = Extent.around(places, 1.2), Extent.around(jiangsu, 0.55)
    fig = new_figure(11.5, 8.0, layout=None)
    grid = fig.add_gridspec(
        1,
        2,
        width_ratios=(whole.width_over_height, zoom.width_over_height),
        left=0.07,
        right=0.98,
        top=0.9,
        bottom=0.22,
        wspace=0.15,
    )
    ax_all = fig.add_subplot(grid[0])
    ax_js = fig.add_subplot(grid[1])

    vmax = max(res.jobs_by_pair.values(), default=0.0) / res.replications
    max_width_pt = 9.0

    def width_of(jobs: float) -> float:
        return max_width_pt * jobs / vmax if vmax > 0 else 0.0

    _draw_map(ax_all, res, whole, width_of)
    _draw_map(ax_js, res, zoom, width_of)
    ax_all.add_patch(
        Rectangle(
            (zoom.lon0, zoom.lat0),
            zoom.lon1 - zoom.lon0,
            zoom.lat1 - zoom.lat0,
            fill=False,
            edgecolor="#444444",
            linestyle="--",
            linewidth=0.8,
            zorder=5,
        )
    )
    ax_all.annotate(
        "Jiangsu: see right",
        (zoom.lon0, zoom.lat1),
        xytext=(0, 3),
        textcoords="offset points",
        fontsize=7.5,
        color="#444444",
        ha="left",
        va="bottom",
    )
    ax_all.set_title("All places", fontsize=10)
    ax_js.set_title("Zoom: southern Jiangsu origins and northern co-built parks", fontsize=10)
    for ax in (ax_all, ax_js):
        ax.set_xlabel("Longitude (°E)", fontsize=8)
        ax.set_ylabel("Latitude (°N)", fontsize=8)

    fig.canvas.draw()  # fix the axes boxes before measuring label extents
    _place_labels(ax_all, fig, [(p.lon, p.lat, p.name) for p in places if not zoom.contains(p)], 7.0)
    _place_labels(ax_js, fig, [(p.lon, p.lat, p.name) for p in places if zoom.contains(p)], 6.5)

    kind_handles: list[Any] = [
        Line2D([], [], linestyle="", marker=marker, color=colour, markersize=6, label=label)
        for label, colour, marker in KIND_STYLE.values()
    ]
    kind_handles += [
        Line2D([], [], color=NORTH_COLOUR, linewidth=3, alpha=0.6, label="Flow to a north park"),
        Line2D([], [], color=OUTSIDE_COLOUR, linewidth=3, alpha=0.6, label="Flow to an outside city"),
    ]
    fig.legend(handles=kind_handles, loc="lower left", bbox_to_anchor=(0.03, 0.06), ncol=2, fontsize=8, frameon=False)
    if vmax > 0:
        refs = sorted({nice(vmax), nice(vmax / 4), nice(vmax / 20)} - {0.0}, reverse=True)
        width_handles = [
            Line2D([], [], color="#666666", linewidth=width_of(v), label=f"{thousands(v)} jobs") for v in refs
        ]
        fig.legend(
            handles=width_handles,
            loc="lower right",
            bbox_to_anchor=(0.98, 0.06),
            ncol=len(refs),
            fontsize=8,
            frameon=False,
            title="Line width ∝ mean jobs moved over the horizon",
            title_fontsize=8,
            handlelength=3.5,
        )
    fig.suptitle(
        f"Relocation flows {res.years[0]}–{res.years[-1]} (origin → destination), mean of "
        f"{res.replications} replication{'s' if res.replications != 1 else ''} — scenario {res.scenario}",
        fontsize=11,
    )
    fig.text(
        0.03,
        0.012,
        "Plain longitude/latitude map: no coastline or province boundaries are drawn. Longitude is scaled by cos(mean "
        "latitude) of each panel.\nLines are straight, not routes. Flows are summed over years and industries and "
        "divided by the number of replications.",
        fontsize=7.5,
        color="#444444",
        va="bottom",
    )
    return save_png(fig, path)
