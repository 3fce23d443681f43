"""The figures of a `compare` folder, drawn from comparison.csv, decision.csv and timeseries.csv.

`figures(c)` yields (file name, Figure) pairs — forest.png (each scenario's
paired change in each headline quantity, paired and unpaired intervals) and
timeseries.png (north-park share per year per scenario, and the paired change
per year) — drawn from the tables experiments.compare.read gives; the
report (experiments.compare.report) saves them into `plots/`. Over a
posterior the intervals are the draws' empirical quantiles (the tables' for
the forest, per year for the time series) and a thin ensemble marks the
titles.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Iterator

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from experiments.analysis.quantiles import weighted_quantile
from experiments.compare.columns import SCENARIO_TIMESERIES_COLUMNS, TIMESERIES_FILE
from experiments.compare.read import Comparison
from model.csvfile import pick
from model.errors import InputError, short
from model.outcomes import COST_EFFECTIVENESS, DECISION, metric
from report.figures.extent import CUT_NOTE, View, band_marks, draw_interval, set_view, view_of
from report.figures.style import (
    OTHER_COLOUR,
    add_caption,
    band_text,
    legend_below,
    mean_band,
    metric_axis,
    metric_label,
    new_figure,
    series_colour,
    short_label,
    title,
    wrapped,
    year_axis,
)
from report.posterior import marked
from report.read import Estimate, read_table

FOREST = ("north_share_jobs", "outside_share_jobs", *DECISION)
SHARE = "north_share_jobs"
Band = tuple[np.ndarray, np.ndarray, np.ndarray]  # per year: mean, low, high
YEARLY_SHARE_NEEDED = pick(SCENARIO_TIMESERIES_COLUMNS, "scenario", "replication", "year", SHARE)


def scenario_labels(c: Comparison) -> dict[str, str]:
    """Each scenario as the figures name it: the short form of its description (style.short_label)."""
    return {s: short_label(c.resolved[s].description if s in c.resolved else "", s) for s in c.scenarios}


def _effects(c: Comparison, name: str) -> list[tuple[Estimate, Estimate | None]]:
    """(paired change, unpaired interval) per other scenario; the ratio has no unpaired interval."""
    if name == COST_EFFECTIVENESS:
        return [(c.change(s, name), None) for s in c.others]
    return [(c.row(s, name).diff, c.row(s, name).unpaired) for s in c.others]


def _forest_panel(ax: Axes, c: Comparison, name: str) -> bool:
    """One quantity's panel; True if it drew an unpaired interval."""
    m = metric(name)
    change = name != COST_EFFECTIVENESS
    effects = _effects(c, name)
    y = np.arange(len(effects))[::-1].astype(float)
    means = [paired.mean for paired, _u in effects]
    ends = [v for paired, unpaired in effects for e in (paired, unpaired) if e is not None for v in (e.low, e.high)]
    view = view_of(means, ends, include=[0.0], bounds=m.change_bounds() if change else (-math.inf, math.inf))
    set_view(ax, view)

    def fmt(v: float) -> str:
        return m.text(v, change=change)

    unpaired_drawn = False
    for yi, i, (paired, unpaired) in zip(y, range(1, len(effects) + 1), effects, strict=True):
        if unpaired is not None and unpaired.defined:
            draw_interval(ax, view, yi - 0.22, unpaired.low, unpaired.high, fmt=fmt, color=OTHER_COLOUR, linewidth=1.2)
            unpaired_drawn = True
        if paired.defined:
            draw_interval(ax, view, yi, paired.low, paired.high, fmt=fmt, color=series_colour(i), linewidth=3)
        if math.isfinite(paired.mean):
            ax.plot(paired.mean, yi, "o", color=series_colour(i), markersize=5)
            if not change and not paired.defined and c.replications >= 2:
                ax.annotate("no CI", (paired.mean, yi), xytext=(4, 4), textcoords="offset points", fontsize=7)
    ax.axvline(0, color="#333333", linewidth=0.9)
    names = scenario_labels(c)
    ax.set_yticks(y, [wrapped(names[s], 20) for s in c.others], fontsize=8)
    ax.set_ylim(-0.7, len(effects) - 0.3)
    values = [v for v in (0.0, *means, *ends) if math.isfinite(v) and view.contains(v)]
    metric_axis(ax.xaxis, m, change=change, values=values, nbins=5)
    ax.set_xlabel(metric_label(m, change=change, values=values), fontsize=8.5)
    ax.tick_params(axis="x", labelsize=7.5)
    ax.grid(axis="x", alpha=0.3)
    return unpaired_drawn


def plot_forest(c: Comparison) -> Figure:
    """Each scenario's paired change in each headline quantity, with paired and unpaired intervals."""
    names = [*FOREST, COST_EFFECTIVENESS]
    cols = 2
    rows = math.ceil((len(names) + 1) / cols)
    fig = new_figure(11.0, rows * (1.0 + 0.32 * len(c.others)) + 1.4)
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    unpaired = [_forest_panel(ax, c, name) for ax, name in zip(axes, names, strict=False)]
    key = axes[len(names)]
    key.axis("off")
    handles = [Line2D([], [], color=series_colour(1), linewidth=3, marker="o")]
    labels = ["Paired change: mean and 95% CI" if c.posterior is None else "Paired change: mean, 2.5–97.5% of draws"]
    if any(unpaired):  # the legend names only what is drawn
        handles.append(Line2D([], [], color=OTHER_COLOUR, linewidth=1.2))
        labels.append("Unpaired (Welch) 95% CI")
    handles.append(Line2D([], [], color="#333333", linewidth=0.9))
    labels.append("No change (0)")
    key.legend(
        handles,
        labels,
        loc="center",
        fontsize=8.5,
        frameon=False,
    )
    for ax in axes[len(names) + 1 :]:
        ax.axis("off")
    named = f": {scenario_labels(c)[c.baseline]}" if c.baseline != "baseline" else ""
    fig.suptitle(marked(f"Paired changes against the baseline{named}", c.posterior), fontsize=11)
    ratio = metric(COST_EFFECTIVENESS).label
    post = c.posterior
    text = (
        f"Dot and thick line: mean over {c.replications} replication(s) of the paired difference (scenario − "
        "baseline, same seed) and its 95% CI; thin grey line: the Welch CI of the same difference as if the runs had "
        f"independent seeds. {ratio}: the ratio of the mean changes with Fieller's interval, drawn only where the "
        "change in north jobs is distinguishable from 0."
        if post is None
        else f"Dot and thick line: mean over {post.draws} posterior draws ({c.replications} replications each) of "
        "the paired difference and the 2.5% to 97.5% empirical quantiles of the draws' differences, with parameter "
        f"uncertainty (posterior_effects.png shows the draws). {ratio}: drawn with an interval only where the change "
        "in north jobs is told from 0."
    )
    add_caption(fig, f"{text} {CUT_NOTE}")
    return fig


def read_yearly_share(c: Comparison) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """timeseries.csv: the years and, per scenario, the north-park share as (replication, year), NaN if no moves."""
    rows = read_table(c.folder, TIMESERIES_FILE, YEARLY_SHARE_NEEDED)
    cells: dict[tuple[str, int, int], float] = {}
    for row in rows:
        scenario = row.name("scenario")
        if scenario not in c.scenarios:
            raise InputError(row.path, f"row {row.line}, column scenario", short(scenario), ", ".join(c.scenarios))
        key = (scenario, row.integer("replication"), row.integer("year"))
        if key in cells:
            raise InputError(row.path, f"row {row.line}", f"{key} repeated", "one row per scenario, replication, year")
        cells[key] = row.number(SHARE)
    years = sorted({y for _s, _r, y in cells})
    reps = sorted({r for _s, r, _y in cells})
    shares = {s: np.full((len(reps), len(years)), math.nan) for s in c.scenarios}
    r_at, y_at = {r: i for i, r in enumerate(reps)}, {y: j for j, y in enumerate(years)}
    for (s, r, y), value in cells.items():
        shares[s][r_at[r], y_at[y]] = value
    return np.array(years, dtype=int), shares


def _draw_band(replications: int) -> Callable[[np.ndarray, tuple[float, float]], Band]:
    """Per year over a posterior: the mean of the draw means and their 2.5–97.5% quantiles, inside `bounds`.

    The rows are the runs k·R + r (timeseries.csv's `replication` over a posterior); the draws weigh equally (they
    are resampled by particle weight), so the quantiles are the equal-weight ones of experiments.analysis.quantiles.
    """

    def band(values: np.ndarray, bounds: tuple[float, float]) -> Band:
        k = values.shape[0] // replications
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # a draw with no moves in a year has no mean there
            means = np.nanmean(values[: k * replications].reshape(k, replications, -1), axis=1)
            centre = np.nanmean(means, axis=0)
        qs = np.array([weighted_quantile(means[:, j], (0.025, 0.975)) for j in range(means.shape[1])])
        qs = np.clip(qs, *bounds) if len(qs) else np.full((0, 2), math.nan)
        return centre, qs[:, 0], qs[:, 1]

    return band


def plot_timeseries(c: Comparison) -> Figure:
    """North-park share per year per scenario (bands), and the paired change per year against the baseline."""
    years, shares = read_yearly_share(c)
    m = metric(SHARE)
    fig = new_figure(9.0, 8.0)
    top, bottom = fig.subplots(2, 1, sharex=True)
    handles, labels = [], []
    band = mean_band if c.posterior is None else _draw_band(c.replications)
    levels = [(s, *band(shares[s], m.bounds)) for s in c.scenarios]
    changes = [(s, *band(shares[s] - shares[c.baseline], m.change_bounds())) for s in c.scenarios[1:]]
    top_view = view_of(
        [v for _s, mean, _lo, _hi in levels for v in mean],
        [v for _s, _m, lo, hi in levels for v in (*lo, *hi)],
        include=[0.0],
        bounds=m.bounds,
    )
    top_view = View(0.0, top_view.high)
    bottom_view = view_of(
        [v for _s, mean, _lo, _hi in changes for v in mean],
        [v for _s, _m, lo, hi in changes for v in (*lo, *hi)],
        include=[0.0],
        bounds=m.change_bounds(),
    )
    set_view(top, top_view, "y")
    set_view(bottom, bottom_view, "y")
    names = scenario_labels(c)

    def share_text(change: bool) -> Callable[[float], str]:
        return lambda v: m.text(v, change=change)

    for i, (s, mean, lo, hi) in enumerate(levels):
        (line,) = top.plot(years, mean, color=series_colour(i), linewidth=2, marker="o", markersize=3)
        top.fill_between(years, lo, hi, color=series_colour(i), alpha=0.15, linewidth=0)
        band_marks(top, top_view, list(years), list(lo), list(hi), fmt=share_text(False), color=series_colour(i))
        handles.append(line)
        labels.append(names[s] + (" (baseline)" if i == 0 else ""))
    for i, (_s, d_mean, d_lo, d_hi) in enumerate(changes, start=1):
        bottom.plot(years, d_mean, color=series_colour(i), linewidth=2, marker="o", markersize=3)
        bottom.fill_between(years, d_lo, d_hi, color=series_colour(i), alpha=0.15, linewidth=0)
        band_marks(
            bottom, bottom_view, list(years), list(d_lo), list(d_hi), fmt=share_text(True), color=series_colour(i)
        )
    diffs = [
        v for _s, mean, lo, hi in changes for v in (*mean, *lo, *hi) if math.isfinite(v) and bottom_view.contains(v)
    ]
    metric_axis(top.yaxis, m)
    top.set_ylabel(metric_label(m))
    title(top, marked(f"North-park share of relocated jobs per year, {years[0]}–{years[-1]}", c.posterior))
    bottom.axhline(0, color="#333333", linewidth=0.9)
    metric_axis(bottom.yaxis, m, change=True, values=[0.0, *diffs])
    bottom.set_ylabel(metric_label(m, change=True, what="Paired change against the baseline"))
    title(bottom, "Change in the yearly north-park share (scenario − baseline, same seed)")
    year_axis(bottom, years)
    for ax in (top, bottom):
        ax.grid(alpha=0.3)
    legend_below(bottom, handles, labels, ncol=min(2, len(labels)))
    runs = band_text(c.replications) + " Bottom band: 95% CI of the per-replication paired differences."
    if c.posterior is not None:
        runs = (
            f"Line: mean over {c.posterior.draws} posterior draws of each draw's mean over its {c.replications} "
            "replications; band: from the 2.5% to the 97.5% empirical quantile of those draw means, year by year "
            "(parameter and Monte-Carlo parts together). Bottom: the same for the paired differences."
        )
    add_caption(
        fig,
        runs + " A year in which a replication moved no jobs has no share and is left out of that year's mean. "
        "A band beyond the axis is cut there; an arrowhead marks each year it leaves, the furthest end printed.",
    )
    return fig


def figures(c: Comparison) -> Iterator[tuple[str, Figure]]:
    yield "forest.png", plot_forest(c)
    yield "timeseries.png", plot_timeseries(c)
