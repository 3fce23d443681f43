"""The figures of an `attribute` folder: one Shapley waterfall per metric, from attribution.csv and totals.csv.

`figures(a)` yields (file name, Figure) pairs, `plots/waterfall_<metric>.png`: the bar
without the levers, one floating bar per lever (largest |φ| first) with the
95% interval of its Shapley value, and the bar with the whole package; axes,
ticks and bar labels in the catalogue's units (shares in %, steps in pp, money
in CNY m or bn). Drawn from the tables experiments.attribute.read gives; the
report (experiments.attribute.report) saves them into `plots/`. Over a
posterior the whiskers are the draws' empirical quantiles and a thin ensemble
marks the title.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

from matplotlib.figure import Figure

from experiments.attribute.read import Attribution
from model.outcomes import metric
from report.figures.extent import CUT_NOTE, draw_interval, set_view, view_of
from report.figures.style import (
    NEUTRAL_COLOUR,
    NORTH_COLOUR,
    OUTSIDE_COLOUR,
    add_caption,
    interval_caption,
    metric_axis,
    metric_label,
    new_figure,
    plain_spines,
    title,
    wrapped,
)
from report.posterior import marked

END_COLOUR = "#777777"
BAR_WIDTH = 0.65


def plot_waterfall(a: Attribution, name: str) -> Figure:
    """Start bar v(∅), one step per lever (Shapley value, CI whisker), end bar v(N)."""
    m = metric(name)
    total = a.total(name)
    order = a.by_size(name)
    n = len(order) + 2
    fig = new_figure(max(6.5, 0.95 * n + 2.5), 5.4)
    ax = fig.add_subplot()
    start = total.without.mean if math.isfinite(total.without.mean) else 0.0
    ax.bar(0, start, color=END_COLOUR, width=BAR_WIDTH)
    steps = [a.share(name, lever.key).phi for lever in order]
    levels = [start + sum(p.mean for p in steps[:i] if math.isfinite(p.mean)) for i in range(len(steps) + 1)]
    ends = [lv + v for lv, p in zip(levels, steps, strict=False) for v in (p.low, p.high)]
    view = view_of([*levels, total.with_package.mean], ends, include=[0.0], bounds=m.bounds, margin=0.1)
    set_view(ax, view, "y")
    level, tops = start, [start, total.with_package.mean, 0.0]
    for x, lever in enumerate(order, start=1):
        phi = a.share(name, lever.key).phi
        step = phi.mean if math.isfinite(phi.mean) else 0.0
        better = (step >= 0) == (m.better != "lower")
        ax.bar(x, step, bottom=level, color=NORTH_COLOUR if better else OUTSIDE_COLOUR, width=BAR_WIDTH)
        ax.plot([x - 1 - BAR_WIDTH / 2, x - BAR_WIDTH / 2], [level, level], color=NEUTRAL_COLOUR, linewidth=0.8)
        new = level + step
        label_at = max(level, new)
        if phi.defined:
            draw_interval(
                ax,
                view,
                x,
                level + phi.low,
                level + phi.high,
                fmt=lambda v: m.text(v),
                vertical=True,
                color="#222222",
                linewidth=0.9,
                caps=True,
            )
            tops += [level + phi.low, level + phi.high]
            label_at = max(label_at, min(level + phi.high, view.high))
        ax.annotate(
            m.text(step, change=True),
            (x, label_at),
            xytext=(0, 3),
            textcoords="offset points",
            ha="center",
            va="bottom",
            fontsize=7.5,
        )
        level = new
    end = total.with_package.mean
    ax.plot([n - 2 - BAR_WIDTH / 2, n - 1 - BAR_WIDTH / 2], [level, level], color=NEUTRAL_COLOUR, linewidth=0.8)
    ax.bar(n - 1, end, color=END_COLOUR, width=BAR_WIDTH)
    for x, value in ((0, start), (n - 1, end)):
        ax.annotate(m.text(value), (x, value), xytext=(0, 3), textcoords="offset points", ha="center", fontsize=8)
    labels = ["Without the levers", *(lever.label for lever in order), "Whole package"]
    ax.set_xticks(range(n), [wrapped(t, 14) for t in labels], fontsize=8)
    finite = [t for t in tops if math.isfinite(t) and view.contains(t)]
    metric_axis(ax.yaxis, m, values=finite)
    ax.set_ylabel(metric_label(m, values=finite))
    ax.grid(axis="y", alpha=0.3)
    plain_spines(ax)
    title(ax, marked(f"Which lever did it: {m.label}", a.posterior))
    whiskers = interval_caption(a.replications, "Shapley value")
    over = f"{a.replications} replication(s)"
    if a.posterior is not None:
        over = f"{a.posterior.draws} posterior draws × {a.replications} replication(s)"
        whiskers = "Whiskers: from the 2.5% to the 97.5% empirical quantile of the draws' Shapley values."
    without = "the package's levers" if not a.held else "the attributed levers (the package's other levers on)"
    averaged = "averaged over every order of adding the levers"
    if a.sampling is not None:  # --permutations
        averaged = f"averaged over {a.sampling.orders} sampled orders of adding the levers"
        whiskers = (
            "Whiskers: 95% interval of the sampled Shapley value, from its error over the orders and the replications."
        )
    add_caption(
        fig,
        f"Grey bars: mean over {over} without {without} and with all of them. "
        "Blue / orange steps: each lever's Shapley value (blue where the metric moves the better way, or up when "
        f"neither way is better), its effect {averaged}, largest first; the "
        f"steps add up exactly to the total change. {whiskers} "
        f"All subsets share the replications' random numbers. {CUT_NOTE}",
    )
    return fig


def figures(a: Attribution) -> Iterator[tuple[str, Figure]]:
    for name in a.metrics:
        yield f"waterfall_{name}.png", plot_waterfall(a, name)
