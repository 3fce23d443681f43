"""The figures of an `optimise` folder: the front, the decisions along it, convergence."""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING

import numpy as np

from experiments.optimise.columns import COST, NORTH
from model.keys import describe
from model.outcomes import metric
from report.figures.extent import CUT_NOTE, draw_interval, set_view, view_of
from report.figures.style import NEUTRAL_COLOUR, NORTH_COLOUR, add_caption, new_figure, plain_spines, title

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from experiments.optimise.read import Front


def frontier(front: Front) -> Figure:
    """North-park jobs against fiscal cost, paired changes with 95 % intervals; the base at the origin."""
    fig = new_figure(7.0, 4.8)
    ax = fig.add_subplot()
    every = front.packages
    xs = np.array([p.values[COST] for p in every]).reshape(-1, 3) / 1e9
    ys = np.array([p.values[NORTH] for p in every]).reshape(-1, 3)
    x_view = view_of([*xs[:, 0], 0.0], [*xs[:, 1], *xs[:, 2]])
    y_view = view_of([*ys[:, 0], 0.0], [*ys[:, 1], *ys[:, 2]])
    set_view(ax, x_view, "x")
    set_view(ax, y_view, "y")
    for certified, colour, face in ((False, NEUTRAL_COLOUR, "none"), (True, NORTH_COLOUR, NORTH_COLOUR)):
        pk = [p for p in front.packages if p.certified == certified]
        if not pk:
            continue
        x = np.array([p.values[COST] for p in pk]) / 1e9
        y = np.array([p.values[NORTH] for p in pk])
        for (xm, xl, xh), (ym, yl, yh) in zip(x, y, strict=True):
            draw_interval(ax, x_view, ym, xl, xh, fmt=lambda v: f"CNY {v:.3g} bn", color=colour, linewidth=1)
            draw_interval(ax, y_view, xm, yl, yh, fmt=lambda v: f"{v:,.0f}", vertical=True, color=colour, linewidth=1)
        ax.plot(
            x[:, 0],
            y[:, 0],
            "o",
            color=colour,
            mfc=face,
            ms=6,
            label="certified" if certified else "dropped at confirmation",
        )
    ax.plot([0], [0], marker="*", color="black", ms=11, ls="none", label="base (status quo)")
    ax.axhline(0, color="#999999", lw=0.6)
    ax.set_xlabel(f"Change in {metric(COST).label.lower()} (CNY bn)")
    ax.set_ylabel(f"Change in {metric(NORTH).label.lower()}")
    ax.yaxis.set_major_formatter(lambda v, _p: f"{v:,.0f}")
    ax.legend(fontsize=8, frameon=False, loc="best")
    plain_spines(ax)
    title(ax, f"Least-cost robust packages: {front.problem['name']}")
    add_caption(
        fig,
        "Each point is a package's paired change against the base (same seeds, same worlds), with "
        f"95 % percentile-bootstrap intervals over the worlds of the confirmation runs. {CUT_NOTE}",
        width=110,
    )
    return fig


def decisions(front: Front) -> Figure:
    """Each decision's value along the certified front, packages ordered by fiscal cost."""
    pk = sorted(front.certified, key=lambda p: p.values[COST][0])
    n = len(front.decisions)
    fig = new_figure(7.0, 1.3 + 1.2 * n)
    axes = fig.subplots(n, 1, sharex=True, squeeze=False)[:, 0]
    x = np.arange(len(pk))
    for ax, key in zip(axes, front.decisions, strict=True):
        raw = [p.decisions[key] for p in pk]
        try:
            values = [float(v) for v in raw]
            ax.plot(x, values, "o-", color=NORTH_COLOUR, ms=4)
            span = (front.problem["decisions"].get(key) or {}).get("range")
            if span:  # the axis is the decision's whole range: where on it the front sits is the message
                pad = 0.04 * (span[1] - span[0])
                ax.set_ylim(span[0] - pad, span[1] + pad)
            in_bn = "yuan" in key and "per_job" not in key
            ax.yaxis.set_major_formatter(_bn if in_bn else _plain)
        except ValueError:
            cats = sorted(set(raw))
            ax.plot(x, [cats.index(v) for v in raw], "o", color=NORTH_COLOUR, ms=5)
            ax.set_yticks(range(len(cats)), cats)
        info = describe(key)
        unit = " (CNY bn)" if "yuan" in key and "per_job" not in key else f" ({info.unit})" if info.unit else ""
        ax.set_ylabel(textwrap.fill(info.label + unit, 22), fontsize=7)
        plain_spines(ax)
    axes[-1].set_xticks(x, [f"{p.values[COST][0] / 1e9:.2g}" for p in pk], fontsize=7)
    axes[-1].set_xlabel("Certified packages by change in fiscal cost (CNY bn)")
    title(axes[0], "Decisions along the certified front")
    return fig


def _bn(value: float, _pos: object = None) -> str:
    """Yuan on an axis labelled CNY bn."""
    return f"{value / 1e9:g}"


def _plain(value: float, _pos: object = None) -> str:
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:g}"


def convergence(front: Front) -> Figure:
    """Hypervolume and the front's size by generation, one line per search seed."""
    fig = new_figure(7.0, 3.6)
    ax = fig.add_subplot()
    seeds = sorted({int(r["search_seed"]) for r in front.convergence})
    for i, s in enumerate(seeds):
        rows = [r for r in front.convergence if int(r["search_seed"]) == s]
        ax.plot(
            [r["generation"] for r in rows],
            [r["hypervolume"] for r in rows],
            "o-",
            ms=3,
            label=f"search seed {s}",
            color=("#0072B2", "#D55E00", "#009E73", "#CC79A7")[i % 4],
        )
    ax.set_xlabel("Generation")
    ax.set_ylabel("Hypervolume of the estimated front")
    ax.legend(fontsize=8, frameon=False)
    plain_spines(ax)
    title(ax, "Convergence of the search")
    add_caption(
        fig,
        "Objectives scaled to the range of every package evaluated, reference point 1.1; each generation's "
        "front with the final estimates (after re-evaluation).",
        width=110,
    )
    return fig
