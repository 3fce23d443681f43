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
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from experiments.facts import hindcast_figure
from experiments.facts.hindcast_report import destinations_of
from experiments.validation.read import FactRow, Validation, read_facts, read_returns, read_sobol, read_statics
from experiments.validation.sections import AID_KEY, NORTH_PER_MILLION
from model.keys import describe
from model.outcomes import metric
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

SCALE = {"share": 100.0}
UNIT_AXIS = {
    "share": "%",
    "correlation": "ρ or τ",
    "ratio": "ratio (×)",
    "overlap": "rank-biased overlap (0–1)",
    "count": "cities in common (of 5)",
}


def _point(ax: Axes, y: float, e: Estimate, colour: str, scale: float) -> None:
    if e.defined:
        ax.plot([e.low * scale, e.high * scale], [y, y], color=colour, linewidth=2)
    if math.isfinite(e.mean):
        ax.plot(e.mean * scale, y, "o", color=colour, markersize=5)


def _fact_panel(ax: Axes, f: FactRow, calibration: bool) -> None:
    scale = SCALE.get(f.unit, 1.0)
    series = [("Model", f.model, NORTH_COLOUR), ("Null model", f.null, OUTSIDE_COLOUR)]
    series.append(("Gravity", f.gravity, JIANGSU_COLOUR))
    if calibration:
        series.insert(1, ("Posterior", f.posterior, OTHER_COLOUR))
    for i, (_name, e, colour) in enumerate(series):
        _point(ax, float(len(series) - 1 - i), e, colour, scale)
    low, high = f.band
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
        "(the distance clusters' rule compares bands, so none is drawn).",
    )
    return fig


def plot_statics(folder: Path) -> Figure | None:
    statics = read_statics(folder)
    if not statics:
        return None
    fig = new_figure(10.0, 1.2 + 0.42 * len(statics))
    y = np.arange(len(statics))[::-1].astype(float)
    for col, (q, colour) in enumerate((("to_north_jobs", NORTH_COLOUR), ("to_outside_jobs", OUTSIDE_COLOUR))):
        ax = fig.add_subplot(1, 2, col + 1)
        values = [0.0]
        for yi, s in zip(y, statics, strict=True):
            e = s.changes[q]
            _point(ax, yi, e, colour, 1.0)
            values += [v for v in (e.mean, e.low, e.high) if math.isfinite(v)]
        ax.axvline(0, color="#333333", linewidth=0.9)
        ax.set_yticks(y, [wrapped(s.label, 24) for s in statics] if col == 0 else [""] * len(statics), fontsize=8)
        m = metric(q)
        metric_axis(ax.xaxis, m, change=True, values=values, nbins=5)
        ax.set_xlabel(metric_label(m, change=True, values=values), fontsize=8.5)
        ax.grid(axis="x", alpha=0.3)
        plain_spines(ax)
    fig.suptitle("Each lever's comparative static (paired changes against the scenario)", fontsize=11)
    add_caption(fig, f"Dot: mean paired change over {statics[0].replications} replications; whisker: 95% interval.")
    return fig


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
    left.fill_between(x, [lv.gain.low for lv in levels], [lv.gain.high for lv in levels], color=NORTH_COLOUR, alpha=0.2)
    left.plot(x, gain, "o-", color=NORTH_COLOUR)
    north = metric("to_north_jobs")
    metric_axis(left.yaxis, north, change=True, values=list(gain), nbins=6)
    left.set_ylabel(metric_label(north, change=True, values=list(gain)), fontsize=8.5)
    for lv in levels[1:]:
        _point_v(right, lv.yuan_per_job, lv.marginal)
    right.plot([lv.yuan_per_job for lv in levels[1:]], [lv.marginal.mean for lv in levels[1:]], color=NORTH_COLOUR)
    right.set_ylabel(f"Marginal {NORTH_PER_MILLION.label[:1].lower()}{NORTH_PER_MILLION.label[1:]}", fontsize=8.5)
    right.axhline(0, color="#333333", linewidth=0.8)
    for ax in (left, right):
        metric_axis(ax.xaxis, per_job, values=list(x), nbins=6)
        ax.set_xlabel(f"{info.label} ({per_job.shown_unit})", fontsize=8.5)
        ax.grid(alpha=0.3)
        plain_spines(ax)
    title(left, "North-park jobs gained")
    title(right, "Marginal return of the last step")
    add_caption(
        fig,
        f"Annual budget scaled with the payment; {levels[0].replications} paired replications per level; band and "
        "whiskers: 95% intervals (the marginal one by Fieller's method, between consecutive levels).",
    )
    return fig


def _point_v(ax: Axes, x: float, e: Estimate) -> None:
    if e.defined:
        ax.plot([x, x], [e.low, e.high], color=NORTH_COLOUR, linewidth=2)
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
    inside = np.vectorize(sobol_in_range, otypes=[bool])(grid)
    shown = np.ma.masked_where(~inside, grid)  # unresolved cells: no colour (the axes' light grey)
    ax.set_facecolor("#e6e6e6")
    image = ax.imshow(shown, cmap="Blues", vmin=0.0, vmax=1.0, aspect="auto")
    for i in range(grid.shape[0]):
        for j in range(grid.shape[1]):
            if inside[i, j]:
                colour = "white" if grid[i, j] > 0.6 else "#222222"
                ax.text(j, i, f"{grid[i, j]:.2f}", ha="center", va="center", fontsize=6.5, color=colour)
            elif math.isfinite(grid[i, j]):
                ax.text(j, i, "unres.", ha="center", va="center", fontsize=6, color="#555555", style="italic")
    labels = [wrapped(r.label or describe(r.key).label, 22) for r in s.ranges]
    ax.set_xticks(range(len(keys)), labels, fontsize=7, rotation=40, ha="right", rotation_mode="anchor")
    ax.set_yticks(range(len(s.outcomes)), [sobol_row_label(o, e) for o, e in s.outcomes], fontsize=7)
    fig.colorbar(image, ax=ax, fraction=0.03, label="ST (share of the variance, 0–1)")
    title(ax, "Total Sobol' index of each parameter")
    add_caption(
        fig,
        'Numbers: ST as estimated. Grey "unres." (unresolved): the estimate lies outside 0–1, noise this budget '
        "does not resolve (raw value in sobol.csv).",
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
