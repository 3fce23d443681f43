"""The figure of a `--posterior` folder: each decision quantity's effect draw by draw, per scenario or lever.

`plots/posterior_effects.png`, from posterior_draws.csv and posterior_effects.csv:
one panel per decision quantity; per group (scenario or lever) a strip of the
draw means, each with its Monte-Carlo bar (± one standard error of the draw
mean, within-draw SD ÷ √R), the posterior mean (diamond) and the interval
(the 2.5% to 97.5% empirical quantiles of the draws, as the tables give it).
No normal approximation is drawn. The title says how many distinct and
effective draws there are, and marks a thin ensemble. Units and labels from
the metric catalogue.
`figures(p, labels)` yields it for the report of a compare or attribute
folder (experiments.engine.report saves it); the tables are read by
report.posterior.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from experiments.analysis.posterior_tables import DRAW_FIELDS, DRAWS_EFFECTS_FILE
from model.csvfile import without
from model.outcomes import COST_EFFECTIVENESS, metric
from report.figures.extent import CUT_NOTE, draw_interval, set_view, view_of
from report.figures.style import (
    NEUTRAL_COLOUR,
    add_caption,
    metric_axis,
    metric_label,
    new_figure,
    plain_spines,
    series_colour,
    wrapped,
)
from report.posterior import QUANTITIES, PosteriorReport, marked
from report.read import read_table

NAME = "posterior_effects.png"
DRAW_NEEDED = without(DRAW_FIELDS, "particle", "replications")
JITTER = 0.28  # half the height of a strip of draws


def read_draw_means(p: PosteriorReport, group_column: str) -> dict[tuple[str, str], list[tuple[float, float]]]:
    """(draw mean, its Monte-Carlo SD) per draw, by (group, metric), from posterior_draws.csv."""
    out: dict[tuple[str, str], list[tuple[float, float]]] = {}
    rows = read_table(p.folder, DRAWS_EFFECTS_FILE, (group_column, *DRAW_NEEDED))
    for r in rows:
        key = (r.name(group_column), r.metric("metric").name)
        out.setdefault(key, []).append((r.number("mean"), r.number("sd_monte_carlo")))
    return out


def _panel(ax: Axes, p: PosteriorReport, name: str, draws: dict, labels: dict[str, str]) -> None:
    m = metric(name)
    change = name != COST_EFFECTIVENESS
    groups = [g for g in p.groups if (g, name) in p.effects]
    y = np.arange(len(groups))[::-1].astype(float)
    estimates: list[float] = []
    ends: list[float] = []
    for g in groups:
        for mean, sd in draws.get((g, name), []):
            estimates.append(mean)
            if math.isfinite(sd) and sd > 0:
                ends += [mean - sd, mean + sd]
        e = p.effect(g, name)
        estimates.append(e.value.mean)
        if e.value.defined:
            ends += [e.value.low, e.value.high]
    view = view_of(estimates, ends, include=[0.0] if change else [], bounds=m.change_bounds() if change else m.bounds)
    set_view(ax, view)

    def fmt(v: float) -> str:
        return m.text(v, change=change)

    for i, (yi, g) in enumerate(zip(y, groups, strict=True)):
        colour = series_colour(i + 1)
        points = draws.get((g, name), [])
        offsets = np.linspace(-JITTER, JITTER, len(points)) if len(points) > 1 else np.zeros(len(points))
        for off, (mean, sd) in zip(offsets, points, strict=True):
            if not math.isfinite(mean):
                continue
            if math.isfinite(sd) and sd > 0:
                draw_interval(ax, view, yi + off, mean - sd, mean + sd, fmt=fmt, color=colour, linewidth=0.7, alpha=0.5)
            ax.plot(mean, yi + off, "o", color=colour, markersize=3, alpha=0.75)
        e = p.effect(g, name)
        if e.value.defined:
            draw_interval(ax, view, yi - JITTER - 0.12, e.value.low, e.value.high, fmt=fmt, color="#222222")
        if math.isfinite(e.value.mean):
            ax.plot(e.value.mean, yi - JITTER - 0.12, "D", color="#000000", markersize=5)
    values = [v for v in (0.0, *estimates, *ends) if math.isfinite(v) and view.contains(v)]
    if change:
        ax.axvline(0, color=NEUTRAL_COLOUR, linewidth=0.9)
    ax.set_yticks(y, [wrapped(labels.get(g, g), 22) for g in groups], fontsize=8)
    ax.set_ylim(-0.9, len(groups) - 0.4)
    metric_axis(ax.xaxis, m, change=change, values=values, nbins=5)
    ax.set_xlabel(metric_label(m, change=change, values=values), fontsize=8.5)
    ax.tick_params(axis="x", labelsize=7.5)
    ax.grid(axis="x", alpha=0.3)
    plain_spines(ax)


def plot_effects(p: PosteriorReport, group_column: str, labels: dict[str, str]) -> Figure:
    draws = read_draw_means(p, group_column)
    cols = 2
    rows = math.ceil((len(QUANTITIES) + 1) / cols)
    fig = new_figure(11.0, rows * (1.2 + 0.45 * len(p.groups)) + 1.4)
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    for ax, name in zip(axes, QUANTITIES, strict=False):
        _panel(ax, p, name, draws, labels)
    key = axes[len(QUANTITIES)]
    key.axis("off")
    key.legend(
        [
            Line2D([], [], color=series_colour(1), marker="o", markersize=3, lw=0.7),
            Line2D([], [], color="#000000", marker="D", markersize=5, lw=0),
            Line2D([], [], color="#222222", lw=2.0),
        ],
        ["One draw: mean ± one Monte-Carlo standard error", "Posterior mean", "2.5–97.5% of the draws"],
        loc="center",
        fontsize=8.5,
        frameon=False,
    )
    for ax in axes[len(QUANTITIES) + 1 :]:
        ax.axis("off")
    e = p.ensemble
    draws = f"{e.distinct_draws} distinct, {e.effective_draws:.3g} effective"
    heading = f"Effects across {p.draws} posterior draws ({draws}; {p.replications} replications each)"
    fig.suptitle(marked(heading, p), fontsize=11)
    add_caption(
        fig,
        "Dots: each posterior draw's mean effect over its replications, with ± one Monte-Carlo standard error. "
        "Diamond: the mean over the draws; bar: from the 2.5% to the 97.5% empirical quantile of the draws (with "
        "fewer than 20 draws, the smallest to the largest). Where the dots spread far beyond their own bars the "
        f"parameters, not the noise, make the uncertainty. {CUT_NOTE}",
    )
    return fig


def figures(p: PosteriorReport, labels: dict[str, str]) -> Iterator[tuple[str, Figure]]:
    """posterior_effects.png, the groups named by `labels` (default: the name in code)."""
    yield NAME, plot_effects(p, p.group_column, labels)
