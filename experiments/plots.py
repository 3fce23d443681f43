"""Figures drawn from a result folder (never from a live model).

`plot_results(folder)` reads the tables a run wrote (DESIGN §5) and writes
four PNGs into `folder/plots/`. It only reads files, so the same figures come
out whether it is called by `run` on the temporary folder (before
`manifest.json` exists) or later by `python run.py plot RESULTS_DIR`.

Figures are built on `matplotlib.figure.Figure` with the Agg canvas, so
importing this module or plotting changes no global matplotlib state (no
pyplot, no backend switch), and PNGs carry no software or time stamp, so the
same folder always gives the same bytes.
"""

from __future__ import annotations

import logging
import math
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle
from matplotlib.text import Annotation
from matplotlib.ticker import FuncFormatter, MaxNLocator, PercentFormatter

from experiments.result_tables import Place, Results, read_results
from experiments.stats import mean_ci95

logger = logging.getLogger(__name__)

PLOTS_DIR = "plots"
DPI = 150
# Okabe–Ito colours: distinguishable with the common colour-vision deficiencies.
NORTH_COLOUR = "#0072B2"
OUTSIDE_COLOUR = "#D55E00"
ORIGIN_COLOUR = "#222222"
OTHER_COLOUR = "#777777"
KIND_STYLE: dict[str, tuple[str, str, str]] = {
    # kind: (label, colour, marker)
    "origin": ("Southern Jiangsu origin", ORIGIN_COLOUR, "s"),
    "north_park": ("North Jiangsu co-built park", NORTH_COLOUR, "^"),
    "outside_city": ("Outside-province city", OUTSIDE_COLOUR, "o"),
}
PNG_METADATA: dict[str, str | None] = {"Software": None}

# --------------------------------------------------------------------------- helpers


def _thousands(value: float, _pos: object = None) -> str:
    """Tick text with thousands separators, never a 1e6 offset."""
    return f"{value:,.0f}"


def _band_text(replications: int) -> str:
    """The caption that says what the line and the band are."""
    if replications < 2:
        return "One replication, so no confidence band can be drawn."
    return f"Line: mean of {replications} replications. Shaded band: 95% confidence interval of that mean (Student t)."


def add_caption(fig: Figure, text: str) -> None:
    """A small left-aligned note under the axes; as a supxlabel the layout keeps room for it."""
    fig.supxlabel("\n".join(textwrap.wrap(text, 130)), x=0.01, ha="left", fontsize=7.5, color="#444444")


def _legend_below(ax: Axes, handles: Sequence[Any], labels: Sequence[str]) -> None:
    """Legend under the x axis: inside the axes it would hide the line whenever a scenario pushes it high."""
    ax.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=2, fontsize=8, frameon=False)


def new_figure(width_in: float, height_in: float, *, layout: str | None = "constrained") -> Figure:
    fig = Figure(figsize=(width_in, height_in), layout=layout)
    FigureCanvasAgg(fig)
    return fig


def save_png(fig: Figure, path: Path) -> Path:
    """Write a PNG without a Software stamp so the bytes depend only on the data."""
    fig.savefig(path, dpi=DPI, metadata=PNG_METADATA)
    fig.clear()
    logger.info("wrote %s", path)
    return path


def mean_band(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-column mean and 95% CI of the mean across replications (rows); NaN where undefined."""
    stats = [mean_ci95(values[:, j].tolist()) for j in range(values.shape[1])]
    mean = np.array([m for m, _, _ in stats], dtype=float)
    lo = np.array([math.nan if a is None else a for _, a, _ in stats], dtype=float)
    hi = np.array([math.nan if b is None else b for _, _, b in stats], dtype=float)
    return mean, lo, hi


def _year_axis(ax: Axes, years: np.ndarray) -> None:
    ax.set_xlabel("Year")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True, nbins=min(len(years), 13)))
    if len(years) == 1:
        ax.set_xlim(years[0] - 0.5, years[0] + 0.5)
    else:
        ax.set_xlim(years[0], years[-1])


# --------------------------------------------------------------------------- figure 1


def plot_jobs_per_year(res: Results, path: Path) -> Path:
    """Jobs relocated each year, north parks vs outside-province cities, with CI bands."""
    fig = new_figure(8.0, 4.8)
    ax = fig.add_subplot()
    handles: list[Any] = []
    labels: list[str] = []
    for values, label, colour in (
        (res.to_north_jobs, "To north Jiangsu co-built parks", NORTH_COLOUR),
        (res.to_outside_jobs, "To cities outside Jiangsu", OUTSIDE_COLOUR),
    ):
        mean, lo, hi = mean_band(values)
        (line,) = ax.plot(res.years, mean, color=colour, marker="o", markersize=3.5, linewidth=2)
        if res.replications >= 2:
            band = ax.fill_between(res.years, lo, hi, color=colour, alpha=0.2, linewidth=0)
            handles.append((band, line))
            labels.append(f"{label} (mean, 95% CI band)")
        else:
            handles.append(line)
            labels.append(f"{label} (1 replication, no band)")
    ax.set_ylim(bottom=0)
    ax.yaxis.set_major_formatter(FuncFormatter(_thousands))
    ax.set_ylabel("Jobs relocated per year")
    _year_axis(ax, res.years)
    ax.grid(alpha=0.3)
    _legend_below(ax, handles, labels)
    ax.set_title(f"Relocated jobs per year by destination — scenario {res.scenario}", fontsize=11)
    add_caption(fig, _band_text(res.replications))
    return save_png(fig, path)


# --------------------------------------------------------------------------- figure 2


def plot_cumulative_by_destination(res: Results, path: Path) -> Path:
    """Jobs received by each destination over the horizon, grouped north parks vs outside cities."""
    groups = (
        ("north_park", "North Jiangsu co-built parks", NORTH_COLOUR),
        ("outside_city", "Cities outside Jiangsu", OUTSIDE_COLOUR),
    )
    known = {kind for kind, _, _ in groups}
    zeros = np.zeros(res.replications)
    rows: list[tuple[str, float, float | None, float | None, str] | None] = []  # None = group heading
    headings: list[tuple[int, str, str, float]] = []
    for kind, title, colour in groups:
        ids = [p.id for p in res.places.values() if p.kind == kind]
        stats = {pid: mean_ci95(res.jobs_by_destination.get(pid, zeros).tolist()) for pid in ids}
        ids.sort(key=lambda pid: (-stats[pid][0], res.places[pid].name))
        total = sum(stats[pid][0] for pid in ids)
        headings.append((len(rows), title, colour, total))
        rows.append(None)
        rows.extend((res.places[pid].name, *stats[pid], colour) for pid in ids)
    others = sorted(d for d in res.jobs_by_destination if res.places[d].kind not in known)
    if others:
        logger.warning("%d destination(s) of other kinds are not shown in %s", len(others), path.name)

    fig = new_figure(8.5, 0.28 * len(rows) + 1.6)
    ax = fig.add_subplot()
    y = np.arange(len(rows))[::-1]
    vmax = 0.0
    for yi, row in zip(y, rows, strict=True):
        if row is None:
            continue
        _name, mean, lo, hi, colour = row
        ax.barh(yi, mean, color=colour, height=0.7)
        if lo is not None and hi is not None:
            ax.errorbar(mean, yi, xerr=[[mean - lo], [hi - mean]], color="#333333", capsize=2, linewidth=0.8)
            vmax = max(vmax, hi)
        vmax = max(vmax, mean)
    pad = 0.01 * (vmax or 1.0)
    for yi, row in zip(y, rows, strict=True):
        if row is not None:
            _name, mean, lo, hi, _colour = row
            end = hi if hi is not None else mean
            ax.text(end + pad, yi, _thousands(mean), va="center", fontsize=7.5, color="#333333")
    for index, title, colour, total in headings:
        ax.text(
            0,
            y[index],
            f"{title} (total {_thousands(total)} jobs)",
            fontsize=9,
            fontweight="bold",
            color=colour,
            va="center",
            ha="left",
        )
    ax.set_yticks(y, ["" if row is None else row[0] for row in rows], fontsize=8)
    ax.tick_params(axis="y", length=0)
    ax.set_xlim(0, (vmax or 1.0) * 1.15)
    ax.set_ylim(-0.7, len(rows) - 0.3)
    ax.xaxis.set_major_formatter(FuncFormatter(_thousands))
    ax.set_xlabel(f"Jobs relocated to the destination, {res.years[0]}–{res.years[-1]} (cumulative)")
    ax.grid(axis="x", alpha=0.3)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.set_title(f"Where relocated jobs went — scenario {res.scenario}", fontsize=11)
    note = (
        f"Bars: mean over {res.replications} replications; whiskers: 95% confidence interval of the mean."
        if res.replications >= 2
        else "Bars: 1 replication, so no confidence interval."
    )
    add_caption(fig, note)
    return save_png(fig, path)


# --------------------------------------------------------------------------- figure 3


def plot_north_share(res: Results, path: Path) -> Path:
    """North share of relocated jobs per year; years with no moves have no share and leave a gap."""
    fig = new_figure(8.0, 4.8)
    ax = fig.add_subplot()
    mean, lo, hi = mean_band(res.north_share_jobs)
    # A t interval ignores that a share lives in [0, 1]; show only the possible part.
    lo, hi = np.clip(lo, 0.0, 1.0), np.clip(hi, 0.0, 1.0)
    label = "Mean across replications" if res.replications >= 2 else "The single replication"
    ax.plot(res.years, mean, color=NORTH_COLOUR, marker="o", markersize=3.5, linewidth=2, label=label)
    if res.replications >= 2:
        ax.fill_between(res.years, lo, hi, color=NORTH_COLOUR, alpha=0.2, linewidth=0, label="95% CI of the mean")
    else:
        ax.plot([], [], " ", label="1 replication: no band")
    if res.horizon_north_share is not None:
        pooled_over = " (mean over replications)" if res.replications >= 2 else ""
        ax.axhline(
            res.horizon_north_share,
            color="#555555",
            linestyle="--",
            linewidth=1,
            label=f"All years pooled{pooled_over}: {res.horizon_north_share:.1%}",
        )
    empty = np.isnan(mean)
    if empty.any():
        ax.plot(
            res.years[empty], np.zeros(int(empty.sum())), "x", color="#999999", label="No jobs moved (share undefined)"
        )
    top = np.nanmax(np.concatenate([mean, hi, [res.horizon_north_share or 0.0]])) if not empty.all() else 1.0
    ax.set_ylim(0, min(1.0, max(0.1, top * 1.2)))
    ax.yaxis.set_major_formatter(PercentFormatter(xmax=1.0, decimals=0))
    ax.set_ylabel("Share of relocated jobs going to north parks")
    _year_axis(ax, res.years)
    ax.grid(alpha=0.3)
    _legend_below(ax, *ax.get_legend_handles_labels())
    ax.set_title(f"North share of relocated jobs per year — scenario {res.scenario}", fontsize=11)
    caption = _band_text(res.replications)
    if res.replications >= 2:
        caption += " Band clipped to 0–100%."
        if np.any(np.isfinite(mean) & np.isnan(lo)):
            caption += " No band in years where fewer than 2 replications moved any job."
    add_caption(fig, caption)
    return save_png(fig, path)


# --------------------------------------------------------------------------- figure 4


def _nice(value: float) -> float:
    """Round down to 1, 2 or 5 times a power of ten, for legend line widths."""
    if value <= 0:
        return 0.0
    exp = 10 ** math.floor(math.log10(value))
    return max(m * exp for m in (1, 2, 5) if m * exp <= value)


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
        refs = sorted({_nice(vmax), _nice(vmax / 4), _nice(vmax / 20)} - {0.0}, reverse=True)
        width_handles = [
            Line2D([], [], color="#666666", linewidth=width_of(v), label=f"{_thousands(v)} jobs") for v in refs
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


# --------------------------------------------------------------------------- entry point

FIGURES: tuple[tuple[str, Callable[[Results, Path], Path]], ...] = (
    ("jobs_per_year.png", plot_jobs_per_year),
    ("cumulative_by_destination.png", plot_cumulative_by_destination),
    ("north_share.png", plot_north_share),
    ("flow_map.png", plot_flow_map),
)


def plot_results(folder: Path) -> list[Path]:
    """Draw every figure of a result folder into `folder/plots/` and return the PNG paths.

    All tables are read and checked before anything is written, so bad input
    raises InputError and leaves no partial plots folder.
    """
    folder = Path(folder)
    res = read_results(folder)
    out = folder / PLOTS_DIR
    out.mkdir(exist_ok=True)
    return [draw(res, out / name) for name, draw in FIGURES]
