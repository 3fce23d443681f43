"""The flow map of a run: origin → destination flows on province outlines, overview and Jiangsu zoom.

`flow_map_figure(res)` returns the Figure (the browser app draws it, and a
run's report saves it as plots/flow_map.png); `plot_flow_map(res, path)`
writes it as a PNG with the same save helper; `draw_flow_map(res)`
also returns where each marker and label went (the tests check that every
label is attached to its own marker).
"""

from __future__ import annotations

import math
import textwrap
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

from report.figures.labels import Box, LabelPlacer, Placed, Wanted
from report.figures.map_base import Extent, boundary_source, draw_jiangsu, draw_provinces, jiangsu_bounds
from report.figures.names import font_families, place_label
from report.figures.style import (
    DPI,
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

TOP_OUTSIDE = 20  # outside-province cities labelled: those receiving the most jobs
JIANGSU_KINDS = ("origin", "north_park", "jiangsu_city")
LABEL_ORDER = {"north_park": 0, "origin": 1, "jiangsu_city": 2, "outside_city": 3}
NUDGE_ORDER = {"origin": 0, "jiangsu_city": 1, "north_park": 2, "outside_city": 3}
MAX_WIDTH_PT = 9.0
# Flows to the north parks are a few per cent of all jobs moved, so at widths proportional to jobs they vanish
# under the outside flows: they are drawn at least this wide, opaque and on top (the caption says so).
NORTH_MIN_WIDTH_PT = 1.2
NORTH_ALPHA = 0.9
FIG_WIDTH_IN = 14.5
ZOOM_HEIGHT_IN = 8.6
NOTES_MIN_IN = 2.6  # under the overview: legends and caption
MARGINS_IN = (0.6, 0.12, 0.55, 0.7, 0.4)  # left, right, between the panels, top, bottom
# The zoom reaches south of Jiangsu into northern Zhejiang (Hangzhou, Ningbo, Shaoxing, Jinhua, Taizhou): the
# outside cities nearest the origins, which receive most outside jobs and crowd the overview.
ZOOM_SOUTH_LAT = 28.3
NOTE_COLOUR = "#444444"


@dataclass(frozen=True)
class PanelStyle:
    marker_area: float  # scatter size, points²
    fontsize: float

    @property
    def marker_pt(self) -> float:
        """About the radius of a marker in points (with its white edge)."""
        return math.sqrt(self.marker_area) / 2 + 0.5


OVERVIEW = PanelStyle(marker_area=13.0, fontsize=7.0)
ZOOM = PanelStyle(marker_area=36.0, fontsize=7.0)


@dataclass(frozen=True)
class Panel:
    """One map panel as drawn: marker positions (data coordinates, after side-by-side nudges) and labels."""

    ax: Axes
    name: str
    extent: Extent
    positions: dict[str, tuple[float, float]]
    labels: dict[str, Placed]


@dataclass(frozen=True)
class FlowMap:
    figure: Figure
    panels: tuple[Panel, ...]
    labelled_outside: tuple[str, ...]  # outside-city ids chosen for a label


def _kind_style(kind: str) -> tuple[str, str, str]:
    return KIND_STYLE.get(kind, (kind, OTHER_COLOUR, "D"))


def _positions(ax: Axes, places: Sequence[Place], style: PanelStyle) -> dict[str, tuple[float, float]]:
    """Where each marker is drawn: its place, or side by side when places share a point (a park at its host)."""
    ax.apply_aspect()
    groups: dict[tuple[float, float], list[Place]] = {}
    for p in places:
        groups.setdefault((round(p.lon, 4), round(p.lat, 4)), []).append(p)
    out: dict[str, tuple[float, float]] = {}
    px_per_deg = float(ax.transData.transform((1.0, 0.0))[0] - ax.transData.transform((0.0, 0.0))[0])
    spacing_deg = (2 * style.marker_pt + 1.5) * ax.figure.dpi / 72.0 / px_per_deg
    for (lon, lat), members in groups.items():
        members.sort(key=lambda p: (NUDGE_ORDER.get(p.kind, 9), p.id))
        for i, p in enumerate(members):
            out[p.id] = (lon + (i - (len(members) - 1) / 2) * spacing_deg, lat)
    return out


def _flow_order(item: tuple[tuple[str, str], float], places: dict[str, Place]) -> tuple[bool, float, tuple[str, str]]:
    """Outside flows under north flows, and small flows under large ones, so the large stay legible."""
    (_o, d), total = item
    return (places[d].kind == "north_park", total, item[0])


def _draw_flows_and_markers(
    ax: Axes, res: Results, at: dict[str, tuple[float, float]], style: PanelStyle, width_of: Callable[[float], float]
) -> None:
    for (o, d), total in sorted(res.jobs_by_pair.items(), key=lambda kv: _flow_order(kv, res.places)):
        width = width_of(total / res.replications)
        if width <= 0:
            continue
        (x0, y0), (x1, y1) = at[o], at[d]
        kind = res.places[d].kind
        colour = _kind_style(kind)[1]
        north = kind == "north_park"
        ax.plot(
            [x0, x1],
            [y0, y1],
            color=colour,
            linewidth=max(width, NORTH_MIN_WIDTH_PT) if north else width,
            alpha=NORTH_ALPHA if north else 0.5,
            solid_capstyle="butt",
            zorder=3 if north else 2,
        )
    kinds = [*KIND_STYLE, *sorted({p.kind for p in res.places.values()} - set(KIND_STYLE))]
    for kind in kinds:
        ids = sorted(pid for pid, p in res.places.items() if p.kind == kind)
        if not ids:
            continue
        _label, colour, marker = _kind_style(kind)
        dots = ax.scatter(
            [at[i][0] for i in ids],
            [at[i][1] for i in ids],
            s=style.marker_area,
            marker=marker,
            color=colour,
            edgecolor="white",
            linewidth=0.6,
            zorder=4 if kind != "origin" else 4.5,
        )
        dots.set_gid(f"markers:{kind}")


def _label_panel(
    ax: Axes,
    at: dict[str, tuple[float, float]],
    extent: Extent,
    chosen: Sequence[Place],
    style: PanelStyle,
    obstacles: Sequence[Box] = (),
) -> dict[str, Placed]:
    inside = [pid for pid, (x, y) in at.items() if extent.lon0 <= x <= extent.lon1 and extent.lat0 <= y <= extent.lat1]
    placer = LabelPlacer(
        ax,
        [at[pid] for pid in sorted(inside)],
        marker_pt=style.marker_pt,
        fontsize=style.fontsize,
        families=font_families(),
        obstacles=obstacles,
    )
    wanted = [
        Wanted(p.id, place_label(p, lines=p.kind == "north_park", short=True), at[p.id])
        for p in chosen
        if p.id in inside
    ]
    return {placed.key: placed for placed in placer.place(wanted)}


def _outside_ranking(res: Results, top: int) -> list[Place]:
    """The outside-province cities receiving the most jobs (mean over replications), at most `top`."""
    jobs = {pid: float(np.sum(v)) / res.replications for pid, v in res.jobs_by_destination.items()}
    ranked = sorted(
        (p for p in res.places.values() if p.kind not in JIANGSU_KINDS and jobs.get(p.id, 0.0) > 0),
        key=lambda p: (-jobs[p.id], p.name, p.id),
    )
    return ranked[:top]


def _extents(res: Results) -> tuple[Extent, Extent]:
    places = list(res.places.values())
    whole = Extent.around(places, 1.5)
    lon0, lat0, lon1, lat1 = jiangsu_bounds()
    home = [p for p in places if p.kind in JIANGSU_KINDS]
    pad = 0.25
    zoom = Extent(
        min([lon0, *(p.lon for p in home)]) - pad,
        max([lon1, *(p.lon for p in home)]) + pad,
        min([ZOOM_SOUTH_LAT, lat0 - pad, *(p.lat - pad for p in home)]),
        max([lat1, *(p.lat for p in home)]) + pad,
    )
    return whole, zoom


def _layout(whole: Extent, zoom: Extent) -> tuple[Figure, Axes, Axes, float]:
    """The figure, the overview (top left), the zoom (right, full height) and the top of the notes (inches).

    The zoom holds most labels, so it takes the full height; the legends and
    the caption go under the overview.
    """
    left, right, gap, top, bottom = MARGINS_IN
    zoom_w = ZOOM_HEIGHT_IN * zoom.width_over_height
    all_w = FIG_WIDTH_IN - left - gap - right - zoom_w
    all_h = min(all_w / whole.width_over_height, ZOOM_HEIGHT_IN - NOTES_MIN_IN)
    all_w = all_h * whole.width_over_height
    fig_h = top + ZOOM_HEIGHT_IN + bottom
    fig = new_figure(FIG_WIDTH_IN, fig_h, layout=None)
    fig.set_dpi(DPI)  # labels are measured at the resolution the PNG is written at
    ax_all = fig.add_axes((left / FIG_WIDTH_IN, (fig_h - top - all_h) / fig_h, all_w / FIG_WIDTH_IN, all_h / fig_h))
    ax_js = fig.add_axes(
        ((FIG_WIDTH_IN - right - zoom_w) / FIG_WIDTH_IN, bottom / fig_h, zoom_w / FIG_WIDTH_IN, ZOOM_HEIGHT_IN / fig_h)
    )
    return fig, ax_all, ax_js, fig_h - top - all_h - 0.4


def _zoom_frame_on_overview(ax: Axes, zoom: Extent) -> Annotation:
    ax.add_patch(
        Rectangle(
            (zoom.lon0, zoom.lat0),
            zoom.lon1 - zoom.lon0,
            zoom.lat1 - zoom.lat0,
            fill=False,
            edgecolor=NOTE_COLOUR,
            linestyle="--",
            linewidth=0.8,
            zorder=5,
        )
    )
    return ax.annotate(
        "right panel",
        (zoom.lon0, zoom.lat1),
        xytext=(0, 3),
        textcoords="offset points",
        fontsize=7.5,
        color=NOTE_COLOUR,
        ha="left",
        va="bottom",
        fontfamily=font_families(),
    )


def draw_flow_map(res: Results, *, top_outside: int = TOP_OUTSIDE) -> FlowMap:
    """The flow map and where its markers and labels went."""
    whole, zoom = _extents(res)
    fig, ax_all, ax_js, notes_top = _layout(whole, zoom)
    whole.frame(ax_all)
    zoom.frame(ax_js)
    draw_provinces(ax_all)
    draw_jiangsu(ax_js)
    vmax = max(res.jobs_by_pair.values(), default=0.0) / res.replications

    def width_of(jobs: float) -> float:
        return MAX_WIDTH_PT * jobs / vmax if vmax > 0 else 0.0

    places = list(res.places.values())
    at_all = _positions(ax_all, places, OVERVIEW)
    at_js = _positions(ax_js, places, ZOOM)
    _draw_flows_and_markers(ax_all, res, at_all, OVERVIEW, width_of)
    _draw_flows_and_markers(ax_js, res, at_js, ZOOM, width_of)
    note = _zoom_frame_on_overview(ax_all, zoom)
    ax_all.set_title("All places (province outlines; Jiangsu shaded)", fontsize=10)
    ax_js.set_title("Jiangsu (prefecture outlines) and northern Zhejiang", fontsize=10)
    _legends_and_notes(fig, res, vmax, width_of, top_outside, notes_top, ax_all)

    fig.canvas.draw()  # fix the axes boxes before measuring label extents
    note_box = note.get_window_extent(fig.canvas.get_renderer())  # type: ignore[attr-defined]
    rect = ax_all.transData.transform([(zoom.lon0, zoom.lat0), (zoom.lon1, zoom.lat1)])
    obstacles: list[Box] = [
        (note_box.x0, note_box.y0, note_box.x1, note_box.y1),
        (float(rect[0][0]), float(rect[0][1]), float(rect[1][0]), float(rect[1][1])),
    ]
    ranked = _outside_ranking(res, top_outside)
    home = sorted(
        (p for p in places if p.kind in JIANGSU_KINDS), key=lambda p: (LABEL_ORDER.get(p.kind, 9), -p.lat, p.id)
    )
    labels_js = _label_panel(ax_js, at_js, zoom, [*home, *ranked], ZOOM)
    rest = [p for p in ranked if p.id not in labels_js and not zoom.contains(p)]
    labels_all = _label_panel(ax_all, at_all, whole, rest, OVERVIEW, obstacles)
    return FlowMap(
        fig,
        (Panel(ax_all, "overview", whole, at_all, labels_all), Panel(ax_js, "jiangsu", zoom, at_js, labels_js)),
        tuple(p.id for p in ranked),
    )


def _legends_and_notes(
    fig: Figure,
    res: Results,
    vmax: float,
    width_of: Callable[[float], float],
    top_outside: int,
    top_in: float,
    under: Axes,
) -> None:
    """The legends and the caption, under the overview, from `top_in` inches down."""
    kind_handles: list[Any] = [
        Line2D([], [], linestyle="", marker=marker, color=colour, markersize=6, label=label)
        for label, colour, marker in KIND_STYLE.values()
    ]
    kind_handles += [
        Line2D([], [], color=colour, linewidth=3, alpha=0.6, label=f"Flow to {what}")
        for what, colour in (
            ("a north park", NORTH_COLOUR),
            ("another Jiangsu place", KIND_STYLE["jiangsu_city"][1]),
            ("an outside city", OUTSIDE_COLOUR),
        )
    ]
    inches = fig.dpi_scale_trans
    x_in = MARGINS_IN[0]
    common = {"loc": "upper left", "bbox_transform": inches, "fontsize": 8, "frameon": False, "borderaxespad": 0}
    fig.legend(handles=kind_handles, bbox_to_anchor=(x_in, top_in), ncol=2, **common)
    if vmax > 0:
        refs = sorted({nice(vmax), nice(vmax / 4), nice(vmax / 20)} - {0.0}, reverse=True)
        width_handles = [
            Line2D([], [], color="#666666", linewidth=width_of(v), label=f"{thousands(v)} jobs") for v in refs
        ]
        fig.legend(
            handles=width_handles,
            bbox_to_anchor=(x_in + 4.3, top_in),
            ncol=1,
            title="Line width ∝ mean jobs moved",
            title_fontsize=8,
            handlelength=3.5,
            alignment="left",
            **common,
        )
    first, last = res.totals_window
    fig.suptitle(
        f"Relocation flows {first}–{last} (origin → destination), mean of "
        f"{res.replications} replication{'s' if res.replications != 1 else ''} — scenario {res.scenario}",
        fontsize=11,
    )
    caption = (
        f"{boundary_source()}. Longitude is scaled by cos(mean latitude) of each panel. Lines are straight, not "
        f"routes; flows are summed over {first}–{last} (the report window) and industries and divided by the number "
        f"of replications. Flows to north parks are drawn on top, at least {NORTH_MIN_WIDTH_PT:g} pt wide. "
        f"Labelled: every Jiangsu place, and the {top_outside} outside-province cities receiving the most jobs "
        "(fewer if fewer receive any). A label away from its marker has a leader line to it. A park located at its "
        "host city's point is drawn just east of the host's marker. Parks are named by their partner pair "
        "(Changzhou–Yancheng = Changzhou–Yancheng Industrial Park)."
    )
    width_chars = int(under.get_position().width * FIG_WIDTH_IN * 72 / (7.5 * 0.5))
    text = "\n".join(textwrap.wrap(caption, width_chars))
    fig.text(x_in, top_in - 1.05, text, fontsize=7.5, color=NOTE_COLOUR, va="top", transform=inches)


def flow_map_figure(res: Results) -> Figure:
    """The flow map as a Figure (not saved): for the browser app and a run's report (experiments.run.figures)."""
    return draw_flow_map(res).figure


def plot_flow_map(res: Results, path: Path) -> Path:
    """Origin→destination flows on province outlines, overview plus a zoom on Jiangsu, as the report's PNG."""
    return save_png(flow_map_figure(res), path)
