"""The figures of a `discover` folder, drawn from its tables: one for all packages, two per package with boxes.

- `changes.png`: each package's change of the rule's metric in every world
  (the mean over the world's replications), failing worlds coloured, the
  rule's bound dashed: how far from the bound the package is, also when it
  never or always fails (outcomes.csv, packages.csv);
- `tradeoff_<package>.png`: PRIM's peeling trajectory, coverage against
  density, one point per step coloured by the number of restricted
  dimensions; the chosen box is ringed and labelled, the density the choice
  asks for is a dashed line (trajectory.csv, packages.csv);
- `scatter_<package>.png`: the worlds on the two most restrictive dimensions
  of the first box (those that keep the smallest share of their sampled
  range), failing worlds coloured, the box drawn (worlds.csv, outcomes.csv,
  boxes.csv). With one uncertainty, the world's change of the rule's metric
  against it, with the rule's bound.

A package that never or always fails has no box and no figure. Labels and
units come from factors.csv; money in CNY, shares in %.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
from matplotlib import colormaps
from matplotlib.axis import Axis
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle
from matplotlib.ticker import FuncFormatter, MaxNLocator

from experiments.discover.boxes import Box
from experiments.discover.read import Discovery, PackageResult
from report.figures.style import (
    NEUTRAL_COLOUR,
    NORTH_COLOUR,
    OUTSIDE_COLOUR,
    add_caption,
    legend_below,
    metric_axis,
    metric_label,
    new_figure,
    plain_spines,
    title,
)
from report.read import Factor

BOX_STYLES = ("-", "--", ":")


def captions(p: PackageResult) -> list[tuple[str, str, str]]:
    """(file name, alt text, caption) of the package's figures, in the order drawn; none without a box."""
    if not p.prim:
        return []
    return [
        (
            f"tradeoff_{p.name}.png",
            f"PRIM peeling trade-off of {p.name}",
            "Figure: each point is a step of PRIM's peeling trajectory: the share of all failing worlds inside the "
            "box (coverage) against the share of the worlds inside it that fail (density); colour: restricted "
            "dimensions. The ringed point is the box chosen; the dashed line the density it must reach.",
        ),
        (
            f"scatter_{p.name}.png",
            f"Failing worlds of {p.name}",
            "Figure: every world on the two most restrictive dimensions of the first box; filled orange: the "
            "package fails; hollow grey: it does not; the rectangle is the box (other dimensions unrestricted "
            "in the picture, so some worlds inside it lie outside the box).",
        ),
    ]


CHANGES = "changes.png"
CHANGES_CAPTION = (
    "Figure: each package's change against the base in every world (mean over the world's replications, same "
    "seeds), one dot per world; filled orange: the package fails there; the dashed line is the rule's bound."
)
JITTER_ROWS = 7  # dots of one package spread over this many rows, by world number, so that they do not hide


def figures(d: Discovery) -> Iterator[tuple[str, Figure]]:
    yield CHANGES, changes(d)
    for p in d.packages:
        if not p.prim:
            continue
        yield f"tradeoff_{p.name}.png", tradeoff(p)
        yield f"scatter_{p.name}.png", scatter(d, p)


def changes(d: Discovery) -> Figure:
    """Every world's change of the rule's metric per package, failures coloured, the bound marked."""
    fig = new_figure(7.5, 1.6 + 0.9 * len(d.packages))
    ax = fig.add_subplot()
    first = d.packages[0]
    values: list[float] = []
    for k, p in enumerate(d.packages):
        ok = np.isfinite(p.world_change)
        rows = k + (np.arange(len(p.world_change)) % JITTER_ROWS - JITTER_ROWS // 2) * 0.06
        fails = p.failed & ok
        keeps = ~p.failed & ok
        ax.scatter(p.world_change[keeps], rows[keeps], s=12, facecolors="none", edgecolors=NEUTRAL_COLOUR)
        ax.scatter(p.world_change[fails], rows[fails], s=12, color=OUTSIDE_COLOUR)
        values += list(p.world_change[ok])
    ax.axvline(first.bound, color="#444444", linestyle="--", linewidth=1)
    metric_axis(ax.xaxis, first.metric, change=True, values=[*values, first.bound])
    ax.set_xlabel(metric_label(first.metric, change=True, values=[*values, first.bound]))
    ax.set_yticks(range(len(d.packages)), [p.name for p in d.packages])
    ax.set_ylim(len(d.packages) - 0.5, -0.5)
    plain_spines(ax)
    title(ax, "Change against the base in each world")
    add_caption(fig, f"A package fails where {first.rule_words()}.")
    return fig


def tradeoff(p: PackageResult) -> Figure:
    """Coverage against density along each box's trajectory; the chosen steps ringed."""
    fig = new_figure(6.5, 5.2)
    ax = fig.add_subplot()
    dims = [s.restricted for s in p.trajectory]
    cmap = colormaps["viridis"].resampled(max(dims) + 1)
    markers = ("o", "s", "^", "D", "v")
    for box in sorted({s.box for s in p.trajectory}):
        steps = [s for s in p.trajectory if s.box == box]
        ax.scatter(
            [s.coverage * 100 for s in steps],
            [s.density * 100 for s in steps],
            c=[s.restricted for s in steps],
            cmap=cmap,
            vmin=-0.5,
            vmax=max(dims) + 0.5,
            marker=markers[(box - 1) % len(markers)],
            s=22,
            zorder=2,
        )
        for s in steps:
            if s.chosen:
                ax.scatter([s.coverage * 100], [s.density * 100], s=180, facecolors="none", edgecolors="black")
                ax.annotate(
                    f"box {box}", (s.coverage * 100, s.density * 100), xytext=(8, 8), textcoords="offset points"
                )
    ax.axhline(p.density_min * 100, color="#444444", linestyle="--", linewidth=1)
    mappable = ax.collections[0] if ax.collections else None
    if mappable is not None:
        bar = fig.colorbar(mappable, ax=ax, ticks=range(max(dims) + 1))
        bar.set_label("Restricted dimensions")
    ax.set_xlabel("Coverage: share of all failing worlds in the box (%)")
    ax.set_ylabel("Density: share of the worlds in the box that fail (%)")
    ax.set_xlim(0, 105)
    ax.set_ylim(0, 105)
    plain_spines(ax)
    title(ax, f"{p.name}: PRIM peeling trade-off")
    boxes = len({s.box for s in p.trajectory})
    markers_text = " Markers: ○ box 1, □ box 2 (sought among the worlds outside box 1)." if boxes > 1 else ""
    add_caption(fig, f"Fails when {p.rule_words()}.{markers_text}")
    return fig


def _axis(axis: Axis, f: Factor, values: np.ndarray) -> str:
    """Ticks of an uncertainty's axis (money in CNY m or bn, shares in %); returns its title."""
    if f.money is not None:
        metric_axis(axis, f.money, values=list(values))
        return f.heading(list(values))
    if f.unit.startswith("share"):
        axis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v * 100:.3g}"))
        per = f.unit.removeprefix("share").strip()
        return f"{f.label} (%{' ' + per if per else ''})"
    return f.heading()


def most_restrictive(d: Discovery, box: Box, n: int = 2) -> list[str]:
    """The box's dimensions that keep the smallest share of their sampled range, then the others in order."""
    kept = {
        r.dimension: r.kept_share(float(d.worlds[r.dimension].min()), float(d.worlds[r.dimension].max()))
        for r in box.restrictions
    }
    chosen = sorted(kept, key=lambda k: (kept[k], list(d.worlds).index(k)))[:n]
    return chosen + [k for k in d.worlds if k not in chosen][: n - len(chosen)]


def scatter(d: Discovery, p: PackageResult) -> Figure:
    """The worlds on the first box's two most restrictive dimensions, failures coloured, boxes drawn."""
    fig = new_figure(6.8, 5.4)
    ax = fig.add_subplot()
    keys = most_restrictive(d, p.prim[0])
    failed = p.failed
    x = d.worlds[keys[0]]
    if len(keys) > 1:
        y, ylabel = d.worlds[keys[1]], _axis(ax.yaxis, d.factor(keys[1]), d.worlds[keys[1]])
    else:
        y = p.world_change
        metric_axis(ax.yaxis, p.metric, change=True, values=list(y[np.isfinite(y)]))
        ylabel = metric_label(p.metric, change=True, values=list(y[np.isfinite(y)]))
        ax.axhline(p.bound, color="#444444", linestyle="--", linewidth=1)
    ax.scatter(x[~failed], y[~failed], s=14, facecolors="none", edgecolors=NEUTRAL_COLOUR, zorder=2)
    ax.scatter(x[failed], y[failed], s=14, color=OUTSIDE_COLOUR, zorder=3)
    for box in p.prim:
        _rectangle(ax, d, box, keys, BOX_STYLES[(box.index - 1) % len(BOX_STYLES)])
    ax.set_xlabel(_axis(ax.xaxis, d.factor(keys[0]), x))
    ax.set_ylabel(ylabel)
    ax.xaxis.set_major_locator(MaxNLocator(nbins=6))
    plain_spines(ax)
    title(ax, f"{p.name}: where it fails")
    handles = [
        Line2D([], [], linestyle="", marker="o", color=OUTSIDE_COLOUR),
        Line2D([], [], linestyle="", marker="o", markerfacecolor="none", markeredgecolor=NEUTRAL_COLOUR),
    ]
    labels = [f"Fails ({int(failed.sum())} worlds)", f"Does not fail ({int((~failed).sum())})"]
    for box in p.prim:
        handles.append(Line2D([], [], color=NORTH_COLOUR, linestyle=BOX_STYLES[(box.index - 1) % len(BOX_STYLES)]))
        labels.append(f"PRIM box {box.index}: coverage {box.coverage:.0%}, density {box.density:.0%}")
    legend_below(ax, handles, labels)
    add_caption(fig, f"Fails when {p.rule_words()} (mean over the world's replications).")
    return fig


def _rectangle(ax: object, d: Discovery, box: Box, keys: list[str], style: str) -> None:
    """The box's limits on the plotted dimensions (the sampled range where a dimension is not restricted)."""
    limits = {r.dimension: (r.low, r.high) for r in box.restrictions}
    spans = []
    for k in keys:
        lo, hi = float(d.worlds[k].min()), float(d.worlds[k].max())
        spans.append(limits.get(k, (lo, hi)))
    if len(keys) == 1:
        ax.axvspan(*spans[0], facecolor=NORTH_COLOUR, alpha=0.08, edgecolor=NORTH_COLOUR, linestyle=style)  # type: ignore[attr-defined]
        return
    (x0, x1), (y0, y1) = spans
    ax.add_patch(  # type: ignore[attr-defined]
        Rectangle((x0, y0), x1 - x0, y1 - y0, fill=False, edgecolor=NORTH_COLOUR, linewidth=1.6, linestyle=style)
    )
