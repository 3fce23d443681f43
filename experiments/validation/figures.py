"""The figures of a `report` folder: facts beside both yardsticks, lever statics, returns, Sobol' indices.

- facts.png: one small panel per fact, the model, the null model, the gravity
  yardstick (and the posterior) as dots with 95 % whiskers, the band the rule
  asks for shaded;
- statics.png: each lever's paired change in north-park and outside-province jobs;
- returns.png: north-park jobs gained by the relocation-aid payment, and the
  marginal north jobs per extra CNY m;
- sobol.png: the total index ST of every parameter for every outcome;
- hindcast_destinations.png: the model's top outside destinations of Suzhou and
  Wuxi beside the article's lists (experiments.facts.hindcast_figure).

Labels and units come from the metric catalogue (model.outcomes) and the
scenario keys (model.keys); the style is report/figures/style.py. `figures(v)`
yields them as (file name, Figure), a figure whose table is absent left out;
the report (experiments.validation.report) saves them into `plots/`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator, MaxNLocator, NullLocator

from experiments.facts import hindcast_figure
from experiments.facts.hindcast_report import destinations_of
from experiments.validation.read import FactRow, Validation, read_facts, read_returns, read_sobol, read_statics
from experiments.validation.sections import AID_KEY, NORTH_PER_MILLION
from model.keys import describe
from model.outcomes import metric
from report.figures.extent import CUT_NOTE, View, band_marks, draw_interval, set_view, view_of
from report.figures.style import (
    JIANGSU_COLOUR,
    NEUTRAL_COLOUR,
    NORTH_COLOUR,
    OTHER_COLOUR,
    OUTSIDE_COLOUR,
    add_caption,
    metric_axis,
    metric_label,
    new_figure,
    plain_spines,
    title,
    wrapped,
)
from report.markdown import lever_label, lower_first, sobol_in_range
from report.read import Estimate

Fmt = Callable[[float], str]
SCALE = {"share": 100.0}
# The values each fact's unit can take, as plotted (shares in %): no axis runs beyond them.
UNIT_BOUNDS = {"share": (0.0, 100.0), "correlation": (-1.0, 1.0), "overlap": (0.0, 1.0), "count": (0.0, 5.0)}
FACT_REACH = 1.0  # a fact's estimates often sit together (ρ = −1 for all three): whiskers get a whole span
UNIT_AXIS = {
    "share": "%",
    "correlation": "ρ or τ",
    "ratio": "ratio (×)",
    "overlap": "rank-biased overlap (0–1)",
    "count": "cities in common (of 5)",
}


def _point(ax: Axes, view: View, y: float, e: Estimate, colour: str, scale: float, fmt: Fmt) -> bool:
    """A dot and its whisker cut to the view (extent.draw_interval); True if the whisker was cut."""
    cut = False
    if e.defined:
        cut = draw_interval(ax, view, y, e.low * scale, e.high * scale, fmt=fmt, color=colour)
    if math.isfinite(e.mean):  # not clipped: a value at a bound (ρ = −1, a share of 0) sits on the axis edge
        ax.plot(e.mean * scale, y, "o", color=colour, markersize=5, clip_on=False, zorder=4)
    return cut


def _plain(value: float) -> str:
    return f"{value:.3g}"


def _fact_panel(ax: Axes, f: FactRow, calibration: bool) -> None:
    scale = SCALE.get(f.unit, 1.0)
    series = [("Model", f.model, NORTH_COLOUR), ("Null model", f.null, OUTSIDE_COLOUR)]
    series.append(("Gravity", f.gravity, JIANGSU_COLOUR))
    if calibration:
        series.insert(1, ("Posterior", f.posterior, OTHER_COLOUR))
    low, high = f.band
    band = [v * scale for v in (low, high)]
    bounds = UNIT_BOUNDS.get(f.unit, (-math.inf, math.inf))
    view = view_of(
        [e.mean * scale for _n, e, _c in series],
        [v * scale for _n, e, _c in series for v in (e.low, e.high)],
        include=band,
        bounds=bounds,
        reach=FACT_REACH,
    )
    set_view(ax, view)
    for i, (_name, e, colour) in enumerate(series):
        _point(ax, view, float(len(series) - 1 - i), e, colour, scale, _plain)
    if math.isfinite(low):
        right = ax.get_xlim()[1]
        top = high * scale if math.isfinite(high) else max(right, low * scale) * 1.05  # NaN high: open above
        if low == high:
            ax.axvline(low * scale, color=NEUTRAL_COLOUR, linewidth=4, alpha=0.6)
        else:
            ax.axvspan(low * scale, top, color=NEUTRAL_COLOUR, alpha=0.35, linewidth=0)
    ax.set_yticks(range(len(series)), [n for n, _e, _c in reversed(series)], fontsize=7)
    ax.set_ylim(-0.6, len(series) - 0.4)
    ax.set_title(wrapped(f.label, 34), fontsize=8)
    ax.set_xlabel(UNIT_AXIS.get(f.unit, f.unit), fontsize=7)
    ax.xaxis.set_major_locator(MaxNLocator(nbins=5, steps=[1, 2, 2.5, 5, 10]))
    ax.tick_params(axis="x", labelsize=7)
    ax.grid(axis="x", alpha=0.3)
    plain_spines(ax)


def plot_facts(facts: list[FactRow], calibration: bool) -> Figure:
    cols = 3
    rows = max(1, math.ceil(len(facts) / cols))
    fig = new_figure(10.5, 1.65 * rows + 0.8)
    for i, f in enumerate(facts):
        _fact_panel(fig.add_subplot(rows, cols, i + 1), f, calibration)
    fig.suptitle("The facts: model beside the null model and the gravity yardstick", fontsize=11)
    add_caption(
        fig,
        "Dot: the value pooled over replications (posterior: mean over draws); whisker: 95% interval over "
        "replications (posterior: over draws). Shaded: where the fact's rule is met, for rules with a fixed band "
        f"(the distance clusters' rule compares bands, so none is drawn). {CUT_NOTE}",
    )
    return fig


def plot_statics(folder: Path) -> Figure | None:
    statics = read_statics(folder)
    if not statics:
        return None
    fig = new_figure(10.0, 1.2 + 0.42 * len(statics))
    y = np.arange(len(statics))[::-1].astype(float)
    notes: list[str] = []
    for col, (q, colour) in enumerate((("to_north_jobs", NORTH_COLOUR), ("to_outside_jobs", OUTSIDE_COLOUR))):
        ax = fig.add_subplot(1, 2, col + 1)
        m = metric(q)
        changes = [s.changes[q] for s in statics]
        means = [e.mean for e in changes]
        ends = [v for e in changes for v in (e.low, e.high)]
        threshold = symlog_threshold(changes)
        if threshold is None:
            view = view_of(means, ends, include=[0.0])
        else:  # one lever dwarfs the others: linear near 0, logarithmic beyond
            view = view_of(means, ends, include=[0.0], reach=math.inf)
            room = 1.4  # a margin on the log part is a factor, not a share of the range
            view = View(
                view.low * room if view.low < -threshold else view.low,
                view.high * room if view.high > threshold else view.high,
            )
            ax.set_xscale("symlog", linthresh=threshold, linscale=1.0)
            notes.append(
                f"{lower_first(m.label)} on a symmetric-log axis (linear within ±{m.text(threshold)}, logarithmic "
                "beyond), so the largest change does not flatten the others"
            )
        set_view(ax, view)
        for yi, e in zip(y, changes, strict=True):
            _point(ax, view, yi, e, colour, 1.0, lambda v, m=m: m.text(v, change=True))
        ax.axvline(0, color="#333333", linewidth=0.9)
        ax.set_yticks(y, [wrapped(s.label, 24) for s in statics] if col == 0 else [""] * len(statics), fontsize=8)
        values = [v for v in (*means, *ends) if math.isfinite(v) and view.contains(v)]
        metric_axis(ax.xaxis, m, change=True, values=values, nbins=None if threshold else 5)
        if threshold is not None:
            ax.xaxis.set_major_locator(FixedLocator(symlog_ticks(threshold, view)))
            ax.xaxis.set_minor_locator(NullLocator())
            for yi, e in zip(y, changes, strict=True):  # the changes on the log part: their value printed
                if math.isfinite(e.mean) and abs(e.mean) > threshold:
                    ax.annotate(
                        m.text(e.mean, change=True),
                        (e.mean, yi),
                        xytext=(0, 6),
                        textcoords="offset points",
                        ha="center",
                        fontsize=7.5,
                    )
        ax.set_xlabel(metric_label(m, change=True, values=values), fontsize=8.5)
        ax.grid(axis="x", alpha=0.3)
        plain_spines(ax)
    fig.suptitle("Each lever's comparative static (paired changes against the scenario)", fontsize=11)
    scaled = f" Axis: {'; '.join(notes)}." if notes else ""
    add_caption(
        fig,
        f"Dot: mean paired change over {statics[0].replications} replications; whisker: 95% interval.{scaled} "
        + CUT_NOTE,
    )
    return fig


def symlog_ticks(threshold: float, view: View) -> list[float]:
    """Ticks of a symmetric-log axis: 0 and ±threshold on the linear part, powers of ten beyond, within the view."""
    ticks = [0.0, -threshold, threshold]
    power = 10 ** math.ceil(math.log10(threshold * 1.0001))
    while power <= max(abs(view.low), abs(view.high)):
        ticks += [-power, power]
        power *= 10
    return sorted(t for t in ticks if view.contains(t))


SOBOL_SLACK = 0.0  # an ST estimate outside [0, 1] by more than this is drawn as not resolved
SYMLOG_RATIO = 10.0  # a largest change this many times the next largest puts the axis on a symmetric log scale


def symlog_threshold(changes: list[Estimate]) -> float | None:
    """The linear range of a symmetric-log axis when one change dwarfs the rest (None: a linear axis will do).

    The threshold is the furthest interval end of the other changes, so they all stay on the linear part.
    """
    sized = sorted((abs(e.mean), i) for i, e in enumerate(changes) if math.isfinite(e.mean))
    if len(sized) < 3 or sized[-1][0] < SYMLOG_RATIO * max(sized[-2][0], 1e-12):
        return None
    biggest = sized[-1][1]
    rest = [abs(v) for i, e in enumerate(changes) if i != biggest for v in (e.mean, e.low, e.high) if math.isfinite(v)]
    top = max(rest, default=0.0)
    if top <= 0:
        return None
    power = 10 ** math.floor(math.log10(top))
    return float(next(k * power for k in (1, 2, 5, 10) if k * power >= top))


def plot_returns(folder: Path) -> Figure | None:
    levels = read_returns(folder)
    if not levels:
        return None
    fig = new_figure(10.0, 4.0)
    info = describe(AID_KEY)
    per_job = metric("cost_per_north_job_yuan")
    x = np.array([lv.yuan_per_job for lv in levels])
    left, right = fig.add_subplot(1, 2, 1), fig.add_subplot(1, 2, 2)
    gain = np.array([lv.gain.mean for lv in levels])
    lows, highs = [lv.gain.low for lv in levels], [lv.gain.high for lv in levels]
    north = metric("to_north_jobs")
    left_view = view_of(gain, [*lows, *highs], include=[0.0])
    set_view(left, left_view, "y")
    left.fill_between(x, lows, highs, color=NORTH_COLOUR, alpha=0.2)
    left.plot(x, gain, "o-", color=NORTH_COLOUR)
    band_marks(left, left_view, x, lows, highs, fmt=lambda v: north.text(v, change=True))
    metric_axis(left.yaxis, north, change=True, values=list(gain), nbins=6)
    left.set_ylabel(metric_label(north, change=True, values=list(gain)), fontsize=8.5)
    marginal = levels[1:]
    right_view = view_of(
        [lv.marginal.mean for lv in marginal],
        [v for lv in marginal for v in (lv.marginal.low, lv.marginal.high)],
        include=[0.0],
    )
    set_view(right, right_view, "y")
    for lv in marginal:
        _point_v(right, right_view, lv.yuan_per_job, lv.marginal)
    right.plot([lv.yuan_per_job for lv in marginal], [lv.marginal.mean for lv in marginal], color=NORTH_COLOUR)
    right.set_ylabel(f"Marginal {NORTH_PER_MILLION.label[:1].lower()}{NORTH_PER_MILLION.label[1:]}", fontsize=8.5)
    right.axhline(0, color="#333333", linewidth=0.8)
    for ax in (left, right):
        metric_axis(ax.xaxis, per_job, values=list(x), nbins=6)
        ax.set_xlabel(f"{info.label} ({per_job.shown_unit})", fontsize=8.5)
        ax.grid(alpha=0.3)
        plain_spines(ax)
    title(left, "Gain in jobs moved to north parks")
    title(right, "Marginal return of the last step")
    add_caption(
        fig,
        f"Annual budget scaled with the payment; {levels[0].replications} paired replications per level; band and "
        f"whiskers: 95% intervals (the marginal one by Fieller's method, between consecutive levels). {CUT_NOTE}",
    )
    return fig


def _point_v(ax: Axes, view: View, x: float, e: Estimate) -> None:
    if e.defined:
        draw_interval(ax, view, x, e.low, e.high, fmt=_plain, vertical=True, color=NORTH_COLOUR)
    if math.isfinite(e.mean):
        ax.plot(x, e.mean, "o", color=NORTH_COLOUR, markersize=5)


def sobol_row_label(outcome: str, effect_of: str) -> str:
    """A row of the Sobol' figure in words: the metric's label, or the lever's and the change it makes."""
    m = metric(outcome)
    if not effect_of:
        return m.label
    return f"{lever_label(effect_of)}: change in {lower_first(m.label)}"


def plot_sobol(folder: Path) -> Figure | None:
    s = read_sobol(folder)
    if s is None or not s.outcomes:
        return None
    keys = [r.key for r in s.ranges]
    grid = np.array([[s.indices[(o, e, k, "ST")].mean for k in keys] for o, e in s.outcomes])
    fig = new_figure(6.5 + 0.75 * len(keys), 1.6 + 0.36 * len(s.outcomes))
    ax = fig.add_subplot()
    resolved = np.vectorize(sobol_in_range, otypes=[bool])(grid)  # the same rule as the report's tables
    shown = np.ma.masked_array(np.clip(grid, 0.0, 1.0), mask=~resolved)
    cmap = colormaps["Blues"].with_extremes(bad=NEUTRAL_COLOUR)
    image = ax.imshow(shown, cmap=cmap, vmin=0.0, vmax=1.0, aspect="auto")
    for i in range(grid.shape[0]):
        for j in range(grid.shape[1]):
            v = grid[i, j]
            if not math.isfinite(v):
                continue
            if resolved[i, j]:
                colour = "white" if shown[i, j] > 0.6 else "#222222"
                ax.text(j, i, f"{v:.2f}", ha="center", va="center", fontsize=6.5, color=colour)
            else:  # a share of the variance cannot be outside 0–1: the design does not resolve it
                mark = "unres. > 1" if v > 1 else "unres. < 0"
                ax.text(j, i, mark, ha="center", va="center", fontsize=6, color="#222222", style="italic")
    labels = [wrapped(r.label or describe(r.key).label, 22) for r in s.ranges]
    ax.set_xticks(range(len(keys)), labels, fontsize=7, rotation=40, ha="right", rotation_mode="anchor")
    ax.set_yticks(range(len(s.outcomes)), [sobol_row_label(o, e) for o, e in s.outcomes], fontsize=7)
    fig.colorbar(image, ax=ax, fraction=0.03, label="ST (share of the variance, 0–1)")
    title(ax, "Total Sobol' index of each parameter")
    add_caption(
        fig,
        'Numbers: ST as estimated. Grey cells marked "unres." (unresolved), > 1 or < 0: estimated outside 0–1, '
        "which a share of the variance cannot be, so noise this design does not resolve (raw value in sobol.csv; "
        "more samples needed).",
    )
    return fig


TABLE_FIGURES: tuple[tuple[str, Callable[[Path], Figure | None]], ...] = (
    ("statics.png", plot_statics),
    ("returns.png", plot_returns),
    ("sobol.png", plot_sobol),
)


def figures(v: Validation) -> Iterator[tuple[str, Figure]]:
    """Every figure in order: the facts, the hindcast's destinations (from the model's fact runs), then the rest."""
    yield "facts.png", plot_facts(read_facts(v.folder), v.calibration)
    yield from hindcast_figure.figures(*destinations_of(v.folder))
    for name, plot in TABLE_FIGURES:
        fig = plot(v.folder)
        if fig is not None:
            yield name, fig
