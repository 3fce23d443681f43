"""The figures of a `sensitivity` folder: one bar chart of the indices per analysed outcome.

Morris: μ* bars with their 95% bootstrap whiskers and σ as open diamonds, on
the outcome's axis (pp for shares, CNY m or bn for money) per whole factor
range. Sobol': ST and S1 bars with whiskers, as shares of the variance in %.
Factors are named by their labels (factors.csv), most influential on top.
`figures(s)` yields them as (file name, Figure) from the tables
experiments.sensitivity.read gives; the report (experiments.sensitivity.report)
saves them into `plots/`.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from experiments.sensitivity.read import Sensitivity
from model.outcomes import Metric, metric
from report.figures.extent import CUT_NOTE, View, draw_interval, mark_beyond, set_view, view_of
from report.figures.style import (
    NORTH_COLOUR,
    OUTSIDE_COLOUR,
    add_caption,
    metric_axis,
    metric_label,
    new_figure,
    title,
    wrapped,
)
from report.markdown import VARIANCE_SHARE, sobol_in_range
from report.read import Factor

Handles = list[tuple[Any, str]]


def _values(s: Sensitivity, outcome: str, order: list[Factor], name: str) -> tuple[np.ndarray, np.ndarray]:
    """An index per factor (in `order`) and its CI half-width, 0 where there is none (no whisker)."""
    ixs = [s.index(outcome, f.key, name) for f in order]
    conf = np.array([ix.conf if math.isfinite(ix.conf) else 0.0 for ix in ixs])
    return np.array([ix.value for ix in ixs]), conf


def _resolved(values: np.ndarray, conf: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sobol' estimates outside [0, 1] (or undefined) as NaN, so no bar is drawn for them (report.markdown)."""
    inside = np.array([sobol_in_range(float(v)) for v in values], dtype=bool)
    return np.where(inside, values, np.nan), np.where(inside, conf, 0.0)


def _draw_morris(ax: Axes, s: Sensitivity, outcome: str, order: list[Factor]) -> tuple[Handles, str]:
    m = metric(outcome)
    y = np.arange(len(order), dtype=float)
    mu_star, conf = _values(s, outcome, order, "mu_star")
    sigma, _none = _values(s, outcome, order, "sigma")
    view = view_of([*mu_star, *sigma], [*(mu_star - conf), *(mu_star + conf)], include=[0.0])
    view = View(0.0, view.high)  # μ* and σ are ≥ 0
    set_view(ax, view)
    bars = ax.barh(y, mu_star, height=0.6, color=NORTH_COLOUR)

    def fmt(v: float) -> str:
        return m.text(v, change=True)

    for yi, mu, half in zip(y, mu_star, conf, strict=True):
        if half > 0:
            draw_interval(ax, view, yi, mu - half, mu + half, fmt=fmt, linewidth=1.0, caps=True)
    (diamonds,) = ax.plot(
        sigma, y, linestyle="none", marker="D", markersize=6, markerfacecolor="white", markeredgecolor=OUTSIDE_COLOUR
    )
    for yi, sd in zip(y, sigma, strict=True):
        mark_beyond(ax, view, yi, sd, fmt=fmt, color=OUTSIDE_COLOUR)
    values = [float(v) for v in (*mu_star, *sigma, 0.0) if math.isfinite(v) and view.contains(v)]
    metric_axis(ax.xaxis, m, values=values, nbins=6)
    ax.set_xlabel(metric_label(m, change=True, values=values, what=f"{m.label}: effect per whole factor range"))
    caption = (
        "Bars: the mean absolute effect (Morris μ*), the mean size of the change in the outcome when the factor "
        "alone moves over its whole range, over the Morris trajectories; whiskers: its 95% bootstrap interval. "
        f"Diamonds: the spread of those effects (σ; non-linearity or interactions). {CUT_NOTE}"
    )
    handles = [(bars, "Mean absolute effect (95% CI)"), (diamonds, "Spread of the effects")]
    return handles, caption


def _draw_sobol(ax: Axes, s: Sensitivity, outcome: str, order: list[Factor], share: Metric) -> tuple[Handles, str]:
    y = np.arange(len(order), dtype=float)
    s1, s1c = _resolved(*_values(s, outcome, order, "S1"))
    st, stc = _resolved(*_values(s, outcome, order, "ST"))
    half = 0.18
    view = View(0.0, 1.0)  # a share of the variance: estimates outside 0–100% are unresolved, marked at the edge
    set_view(ax, View(-0.02, 1.02))
    st_bars = ax.barh(y + half, np.clip(st, 0.0, 1.0), height=2 * half, color=NORTH_COLOUR)
    s1_bars = ax.barh(y - half, np.clip(s1, 0.0, 1.0), height=2 * half, color=OUTSIDE_COLOUR)
    for offset, values, conf in ((half, st, stc), (-half, s1, s1c)):
        for yi, v, c in zip(y + offset, values, conf, strict=True):
            if c > 0:
                draw_interval(ax, view, yi, v - c, v + c, fmt=share.text, linewidth=1.0, caps=True)
            mark_beyond(ax, view, yi, v, fmt=share.text)
    ax.axvline(0.0, color="#444444", linewidth=0.8)
    for yi, a, b in zip(y, st, s1, strict=True):  # no bar where the estimate is no share of the variance
        for offset, value, which in ((half, a, "ST"), (-half, b, "S1")):
            if math.isnan(value):
                ax.text(0.01, yi + offset, f"{which} unresolved", va="center", fontsize=7, color="#555555")
    metric_axis(ax.xaxis, share)
    ax.set_xlabel(metric_label(share, what=f"Share of the variance of {metric(outcome).label.lower()}"))
    caption = (
        f"Bars: Sobol' indices from {s.n_points} design points; whiskers: 95% bootstrap intervals. S1: the share "
        "of the variance due to the factor alone; ST: including its interactions. Unresolved: the estimate lies "
        "outside 0–100% (noise of too small a design; its raw value is in indices.csv); no bar is drawn for it. "
        f"{CUT_NOTE}"
    )
    return [(st_bars, "ST, total index (95% CI)"), (s1_bars, "S1, first-order index (95% CI)")], caption


def plot_indices(s: Sensitivity, outcome: str) -> Figure:
    """Horizontal bars of one outcome's indices, most influential factor on top."""
    order = list(reversed(s.ranked(outcome)))  # barh draws bottom-up
    fig = new_figure(8.5, 1.9 + 0.5 * len(order))
    ax = fig.add_subplot()
    if s.method == "sobol":
        handles, caption = _draw_sobol(ax, s, outcome, order, VARIANCE_SHARE)
    else:
        handles, caption = _draw_morris(ax, s, outcome, order)
    ax.set_yticks(np.arange(len(order)), [wrapped(f.label, 30) for f in order], fontsize=8.5)
    ax.set_ylim(-0.6, len(order) - 0.4)
    ax.grid(axis="x", alpha=0.3)
    ax.legend([h for h, _ in handles], [t for _, t in handles], loc="lower right", fontsize=8, framealpha=0.9)
    method = "Morris screening" if s.method == "morris" else "Sobol' indices"
    title(ax, f"{method}: {metric(outcome).label}")
    add_caption(
        fig,
        caption + " Each point is the mean of its replications on common random numbers; indices "
        "depend on the ranges given to the factors.",
    )
    return fig


def figures(s: Sensitivity) -> Iterator[tuple[str, Figure]]:
    if s.method is None:
        return
    for outcome in s.analysed():
        yield f"indices_{outcome}.png", plot_indices(s, outcome)
