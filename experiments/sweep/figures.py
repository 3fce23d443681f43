"""The figures of a `sweep` folder, one per outcome, drawn from points.csv, base.csv and factors.csv.

- one factor: the mean at each value with its 95% band, the base scenario's
  value and band marked; points within noise of the base drawn hollow grey;
- two factors on a grid: a heatmap of the DIFFERENCE against the base, each
  cell labelled with its value; a cell whose paired interval includes 0 is
  neutral grey and reads "≈ base", so noise is not painted as an effect;
- two factors off a grid (LHS): a scatter coloured by that difference;
- three or more: main effects (each point's mean and the mean per level or bin).

With one replication no interval exists: the caption says so and nothing is
greyed. Axis titles come from factors.csv (label and unit) and the catalogue.
`figures(s)` yields them as (file name, Figure) from the tables
experiments.sweep.read gives; the report (experiments.sweep.report) saves them
into `plots/`.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.axis import Axis
from matplotlib.cm import ScalarMappable
from matplotlib.colors import Normalize, to_rgba
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter

from experiments.sweep.read import Point, Sweep
from model.outcomes import Metric, metric
from report.figures.extent import CUT_NOTE, band_marks, set_view, view_of
from report.figures.style import (
    NEUTRAL_COLOUR,
    NORTH_COLOUR,
    ORIGIN_COLOUR,
    MetricTicks,
    add_caption,
    diverging_colours,
    metric_axis,
    metric_label,
    new_figure,
    title,
    wrapped,
)
from report.read import Factor

CELL_TEXT_LIMIT = 150  # more cells than this: colours only
MAIN_EFFECT_BINS = 10  # a factor with more distinct values (LHS) is binned
POINTS_PER_BIN = 4
MISSING_COLOUR = "#FFFFFF"
NOISE_LABEL = "≈ base"
CUT_BAND = " " + CUT_NOTE


def _numbers(values: Sequence[float | str]) -> list[float]:
    return [v for v in values if isinstance(v, float)]


def factor_axis(axis: Axis, f: Factor, values: Sequence[float]) -> str:
    """Ticks of a factor axis (money in CNY m or bn); returns the axis title from factors.csv."""
    if f.money is not None:
        metric_axis(axis, f.money, values=values)
    else:
        axis.set_major_formatter(FuncFormatter(lambda v, _pos: f.text(float(v))))
    return f.heading(values)


def caption(s: Sweep, extra: str = "") -> str:
    if not s.judged:
        return (
            "One replication: no confidence interval exists, so no point can be judged against noise and nothing "
            "is greyed. " + extra
        )
    return (
        f"Means over {s.replications} replications. Replication r uses the same seed at every point and in the base "
        "scenario, so each point's difference against the base is paired; grey marks a difference whose 95% "
        "interval includes 0 (within noise of the base). " + extra
    )


def _marker_style(within_noise: bool | None) -> dict[str, str]:
    """Hollow grey for a point within noise of the base, filled blue otherwise (or when nothing is judged)."""
    if within_noise:
        return {"marker": "o", "markerfacecolor": "white", "markeredgecolor": NEUTRAL_COLOUR, "color": NEUTRAL_COLOUR}
    return {"marker": "o", "markerfacecolor": NORTH_COLOUR, "markeredgecolor": NORTH_COLOUR, "color": NORTH_COLOUR}


def _base_line(ax: Axes, s: Sweep, name: str, m: Metric) -> None:
    base = s.base[name]
    if base.defined:
        ax.axhspan(base.low, base.high, color=NEUTRAL_COLOUR, alpha=0.3, linewidth=0)
    ax.axhline(base.mean, color=ORIGIN_COLOUR, linestyle="--", linewidth=1)


def _base_handles(s: Sweep, name: str, m: Metric, values: Sequence[float]) -> tuple[list[Line2D], list[str]]:
    """The legend of the base line, its value in the unit the axis shows (`values`: the numbers on the axis)."""
    handles = [Line2D([], [], color=ORIGIN_COLOUR, linestyle="--", linewidth=1)]
    labels = [f"Base scenario: {m.text(s.base[name].mean, scale=m.scale(values))}"]
    if s.judged:
        handles += [Line2D([], [], linestyle="", **_marker_style(True))]
        labels += ["Within noise of the base"]
    return handles, labels


def plot_line(s: Sweep, name: str) -> Figure:
    """One factor: mean and band per value, the base marked, points within noise hollow grey."""
    m, f = metric(name), s.factors[0]
    pts = sorted(s.points[name], key=lambda p: _order_key(p.values[0]))
    numeric = s.numeric(0)
    x = np.array([p.values[0] for p in pts] if numeric else range(len(pts)), dtype=float)
    mean, lo, hi = (np.array([getattr(p.mean, a) for p in pts]) for a in ("mean", "low", "high"))
    fig = new_figure(7.5, 4.8)
    ax = fig.add_subplot()
    _base_line(ax, s, name, m)
    ax.fill_between(x, lo, hi, color=NORTH_COLOUR, alpha=0.2, linewidth=0)
    ax.plot(x, mean, color=NORTH_COLOUR, linewidth=2)
    for xi, p in zip(x, pts, strict=True):
        ax.plot([xi], [p.mean.mean], markersize=6, linestyle="", **_marker_style(p.within_noise))
    base = s.base[name]
    view = view_of([*mean, base.mean], [*lo, *hi, base.low, base.high], bounds=m.bounds)
    set_view(ax, view, "y")
    cut = band_marks(ax, view, list(x), list(lo), list(hi), fmt=m.text)
    values = [v for v in (*mean, *lo, *hi, base.mean) if math.isfinite(v) and view.contains(v)]
    metric_axis(ax.yaxis, m, values=values)
    ax.set_ylabel(metric_label(m, values=values))
    if numeric:
        ax.set_xlabel(factor_axis(ax.xaxis, f, list(x)))
    else:
        ax.set_xticks(x, [f.text(p.values[0]) for p in pts])
        ax.set_xlabel(f.heading())
    ax.grid(alpha=0.3)
    ax.legend(*_base_handles(s, name, m, values), fontsize=8, loc="best")
    title(ax, f"{m.label} against {f.label}")
    add_caption(
        fig,
        caption(s, "Line and band: mean and its 95% CI at each value; dashed: the base scenario." + CUT_BAND * cut),
    )
    return fig


def _order_key(value: float | str) -> tuple[int, float, str]:
    return (0, value, "") if isinstance(value, float) else (1, 0.0, value)


@dataclass(frozen=True)
class HeatGrid:
    """The heatmap's data: the difference against the base per cell and whether it is within noise."""

    xs: list[float | str]
    ys: list[float | str]
    diff: np.ndarray  # (len(ys), len(xs)), NaN where no value
    noise: np.ndarray  # True where the paired interval includes 0
    colours: np.ndarray  # (len(ys), len(xs), 4) RGBA as drawn
    norm: Normalize
    cmap: str


def heat_grid(s: Sweep, name: str) -> HeatGrid:
    """The cells of a two-factor grid, coloured by the difference; within-noise cells neutral grey."""
    xs, ys = s.distinct(0), s.distinct(1)
    diff = np.full((len(ys), len(xs)), math.nan)
    noise = np.zeros((len(ys), len(xs)), dtype=bool)
    for p in s.points[name]:
        j, i = ys.index(p.values[1]), xs.index(p.values[0])
        diff[j, i] = p.diff.mean
        noise[j, i] = bool(p.within_noise)
    shown = diff[np.isfinite(diff) & ~noise]
    pool = shown if shown.size else diff[np.isfinite(diff)]
    vmax = float(np.max(np.abs(pool))) if pool.size else 0.0
    norm = Normalize(-(vmax or 1.0), vmax or 1.0)
    cmap = diverging_colours(metric(name))
    colours = colormaps[cmap](norm(np.nan_to_num(diff)))
    colours[noise] = to_rgba(NEUTRAL_COLOUR)
    colours[~np.isfinite(diff)] = to_rgba(MISSING_COLOUR)
    return HeatGrid(xs, ys, diff, noise, colours, norm, cmap)


def _ticks(f: Factor, values: list[float | str]) -> list[str]:
    """Tick texts of a factor's grid values: money as bare numbers in the unit the axis title names."""
    numbers = _numbers(values)
    if f.money is None or len(numbers) != len(values):
        return [f.text(v) for v in values]
    ticks = MetricTicks(f.money, False, f.scale(numbers)[0])
    ticks.set_locs(numbers)
    return [ticks(v) for v in numbers]


def cells(s: Sweep, k: int, values: list[float | str]) -> tuple[np.ndarray, np.ndarray]:
    """Cell edges and centres of factor k on a grid: numbers at their true spacing (budgets 0, 1, 2, 4 bn are not
    equally spaced), each cell reaching halfway to its neighbours; categories one unit apart."""
    if not s.numeric(k):
        centres = np.arange(len(values), dtype=float)
        return np.arange(len(values) + 1, dtype=float) - 0.5, centres
    centres = np.array(values, dtype=float)
    if len(centres) == 1:
        half = abs(centres[0]) / 2 or 0.5
        return np.array([centres[0] - half, centres[0] + half]), centres
    mids = (centres[:-1] + centres[1:]) / 2
    first, last = centres[0] - (mids[0] - centres[0]), centres[-1] + (centres[-1] - mids[-1])
    return np.concatenate([[first], mids, [last]]), centres


def plot_heatmap(s: Sweep, name: str) -> Figure:
    """Two factors on a grid: the difference against the base, within-noise cells grey and labelled ≈ base.

    Numeric factors are at their true spacing (`cells`), so unequal steps read as unequal."""
    m, (fx, fy) = metric(name), s.factors
    g = heat_grid(s, name)
    fig = new_figure(8.0, 5.8)
    ax = fig.add_subplot()
    (xe, xc), (ye, yc) = cells(s, 0, g.xs), cells(s, 1, g.ys)
    ax.pcolormesh(xe, ye, g.colours)
    ax.set_xticks(xc, _ticks(fx, g.xs))
    ax.set_yticks(yc, _ticks(fy, g.ys))
    ax.set_xlabel(fx.heading(_numbers(g.xs)))
    ax.set_ylabel(fy.heading(_numbers(g.ys)))
    finite = [float(v) for v in g.diff[np.isfinite(g.diff)]]
    scale = m.scale(finite)
    if g.diff.size <= CELL_TEXT_LIMIT:
        for (j, i), value in np.ndenumerate(g.diff):
            r, gr, b, _a = g.colours[j, i]
            ink = "white" if 0.299 * r + 0.587 * gr + 0.114 * b < 0.5 else "black"
            text = m.text(value, change=True, scale=scale if value else None)  # "CNY 0", not "CNY 0 bn"
            label = f"{NOISE_LABEL}\n({text})" if g.noise[j, i] else text
            ax.text(xc[i], yc[j], label, ha="center", va="center", fontsize=7, color=ink)
    bar = fig.colorbar(ScalarMappable(g.norm, g.cmap), ax=ax)
    metric_axis(bar.ax.yaxis, m, change=True, values=finite)
    bar.set_label(metric_label(m, change=True, values=finite, what="Change against the base"))
    title(ax, f"{m.label}: change against the base")
    add_caption(
        fig,
        caption(
            s,
            f"Colour and number: each grid point's mean change against the base scenario "
            f"(base: {m.text(s.base[name].mean)}); white: no value.",
        ),
    )
    return fig


def plot_scatter(s: Sweep, name: str) -> Figure:
    """Two factors off a grid (LHS): each point coloured by its difference; within-noise points hollow grey."""
    m, (fx, fy) = metric(name), s.factors
    pts = s.points[name]
    diffs = np.array([p.diff.mean for p in pts])
    real = np.array([not p.within_noise for p in pts]) & np.isfinite(diffs)
    pool = diffs[real] if real.any() else diffs[np.isfinite(diffs)]
    vmax = float(np.max(np.abs(pool))) if pool.size else 1.0
    norm, cmap = Normalize(-(vmax or 1.0), vmax or 1.0), diverging_colours(m)
    x = np.array([p.values[0] for p in pts], dtype=float)
    y = np.array([p.values[1] for p in pts], dtype=float)
    fig = new_figure(8.0, 5.8)
    ax = fig.add_subplot()
    ax.scatter(x[real], y[real], c=diffs[real], cmap=cmap, norm=norm, s=60, edgecolors="#333333", linewidths=0.4)
    ax.scatter(x[~real], y[~real], s=60, facecolors="white", edgecolors=NEUTRAL_COLOUR, linewidths=1.2)
    ax.set_xlabel(factor_axis(ax.xaxis, fx, list(x)))
    ax.set_ylabel(factor_axis(ax.yaxis, fy, list(y)))
    finite = [float(v) for v in diffs[np.isfinite(diffs)]]
    bar = fig.colorbar(ScalarMappable(norm, cmap), ax=ax)
    metric_axis(bar.ax.yaxis, m, change=True, values=finite)
    bar.set_label(metric_label(m, change=True, values=finite, what="Change against the base"))
    ax.grid(alpha=0.3)
    title(ax, f"{m.label}: change against the base")
    add_caption(fig, caption(s, "Each dot is a design point coloured by its mean change against the base scenario."))
    return fig


def _levels(s: Sweep, pts: Sequence[Point], k: int) -> tuple[np.ndarray, list[str] | None, list[list[int]]]:
    """x positions, tick labels (categorical only) and the point indices at each level or bin of factor k."""
    values = [p.values[k] for p in pts]
    distinct = s.distinct(k)
    if not s.numeric(k):
        groups = [[i for i, v in enumerate(values) if v == level] for level in distinct]
        return np.arange(len(distinct), dtype=float), [s.factors[k].text(v) for v in distinct], groups
    nums = np.array(values, dtype=float)
    if len(distinct) <= MAIN_EFFECT_BINS:
        return np.array(distinct, dtype=float), None, [[i for i, v in enumerate(values) if v == d] for d in distinct]
    bins = min(MAIN_EFFECT_BINS, max(2, len(nums) // POINTS_PER_BIN))
    edges = np.linspace(nums.min(), nums.max(), bins + 1)
    index = np.minimum(np.searchsorted(edges, nums, side="right") - 1, bins - 1)
    groups = [[i for i in range(len(nums)) if index[i] == b] for b in range(bins)]
    keep = [b for b in range(bins) if groups[b]]
    return ((edges[:-1] + edges[1:]) / 2)[keep], None, [groups[b] for b in keep]


def plot_main_effects(s: Sweep, name: str) -> Figure:
    """Per factor, each point's mean (grey where within noise) and their mean per level or bin; the base dashed."""
    m, pts = metric(name), s.points[name]
    cols = min(3, len(s.factors))
    rows = math.ceil(len(s.factors) / cols)
    fig = new_figure(4.2 * cols, 3.3 * rows + 1.0)
    axes = fig.subplots(rows, cols, squeeze=False, sharey=True).ravel()
    means = [p.mean.mean for p in pts]
    base = s.base[name]
    view = view_of([*means, base.mean], [base.low, base.high], bounds=m.bounds)
    values = [v for v in (*means, base.mean) if math.isfinite(v)]
    for k, (ax, f) in enumerate(zip(axes, s.factors, strict=False)):
        x, ticks, groups = _levels(s, pts, k)
        level = np.array([np.nanmean([means[i] for i in g]) if g else math.nan for g in groups])
        _base_line(ax, s, name, m)
        ax.plot(x, level, color=NORTH_COLOUR, linewidth=2)
        where = dict(zip((t for t in (ticks or [])), x, strict=False))
        for p, mean in zip(pts, means, strict=True):
            px = where[f.text(p.values[k])] if ticks is not None else p.values[k]
            ax.plot([px], [mean], markersize=3.5, linestyle="", **_marker_style(p.within_noise))
        if ticks is not None:
            ax.set_xticks(x, ticks)
            ax.set_xlabel(wrapped(f.heading(), 40), fontsize=8)
        else:
            ax.set_xlabel(wrapped(factor_axis(ax.xaxis, f, _numbers(s.distinct(k))), 40), fontsize=8)
        metric_axis(ax.yaxis, m, values=values)
        ax.grid(alpha=0.3)
        if k % cols == 0:
            ax.set_ylabel(metric_label(m, values=values))
    set_view(axes[0], view, "y")  # the axes share y
    for ax in axes[len(s.factors) :]:
        ax.set_visible(False)
    fig.legend(*_base_handles(s, name, m, values), loc="outside upper right", fontsize=8, frameon=False)
    fig.suptitle(f"Main effects on {m.label}", fontsize=11)
    add_caption(
        fig,
        caption(
            s,
            "Dots: each design point's mean. Line: the mean of those dots at each level of the factor (in "
            f"equal-width bins of about {POINTS_PER_BIN} points when it has more than {MAIN_EFFECT_BINS} values), "
            "i.e. averaged over the other factors. Dashed: the base scenario; shaded: its 95% CI (cut at the axis).",
        ),
    )
    return fig


PLOTS = {"line": plot_line, "heatmap": plot_heatmap, "scatter": plot_scatter, "main effects": plot_main_effects}


def figures(s: Sweep) -> Iterator[tuple[str, Figure]]:
    plot = PLOTS[s.figure_kind()]
    for name in s.outcomes:
        yield f"{name}.png", plot(s, name)
