"""fit.png of a `calibrate` folder: one row per fact, fitted first, then held out, then the others.

Each row shows the posterior predictive mean and 95% interval over draws, the
calibrated point, the defaults and the null model (value pooled over the
replications, 95% interval over them) and, for the top-5 lists, random picks
(mean and 95% quantile); the values where the fact's rule holds are shaded,
and the verdict of the posterior and of the null model is written beside it.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter

from experiments.calibrate.read import Calibration, FactFit
from experiments.facts.catalogue import UNIT_BOUNDS
from experiments.facts.measures import MET_BANDS
from report.figures.extent import View, draw_interval
from report.figures.style import NORTH_COLOUR, OTHER_COLOUR, OUTSIDE_COLOUR, add_caption, new_figure, plain_spines

MET_COLOUR = "#009E73"
CALIBRATED_COLOUR = OUTSIDE_COLOUR
DEFAULT_COLOUR = "#555555"
NULL_COLOUR = "#CC79A7"
GRAVITY_COLOUR = "#E69F00"  # a colour of style.SERIES_COLOURS the other models and the met region do not use
SECTIONS = {
    "fit": "Fitted facts",
    "held_out": "Held-out facts (never used in fitting)",
    "other": "Other facts (neither fitted nor held out)",
}
# model -> (label, colour, marker), top row first
MODEL_STYLE = {
    "posterior": ("posterior predictive", NORTH_COLOUR, "o"),
    "calibrated": ("calibrated point", CALIBRATED_COLOUR, "D"),
    "defaults": ("defaults", DEFAULT_COLOUR, "s"),
    "null": ("null model", NULL_COLOUR, "^"),
    "gravity": ("gravity yardstick", GRAVITY_COLOUR, "v"),
    "random": ("random picks", OTHER_COLOUR, "x"),
}
INF = math.inf
# fact -> the values where its rule holds (experiments.facts.measures); a list fact's comes from random picks' 95%
# quantile (experiments.facts.catalogue.list_band): a set's overlap above it, a ranking's RBO above it.
MET_REGION = MET_BANDS
UNIT_RANGE = UNIT_BOUNDS
WIDE = 3.0  # an interval end beyond WIDE × the largest point value is cut at the axis edge


def met_region(f: FactFit) -> tuple[float, float] | None:
    """The values where the fact's rule holds, or None where it is not a threshold on the value."""
    random = f.get("random")
    if random is not None:
        if not math.isfinite(random.high):
            return None
        return (random.high + 1.0, UNIT_RANGE["count"][1]) if f.unit == "count" else (random.high, 1.0)
    return MET_REGION.get(f.name)


def limits(f: FactFit, region: tuple[float, float] | None) -> tuple[float, float]:
    """The x range: the unit's range, cut above for shares and ratios to what the points and rule need."""
    lo, hi = UNIT_RANGE.get(f.unit, (-INF, INF))
    points = [r.value for r in f.results.values() if math.isfinite(r.value)]
    points += [v for v in region or () if math.isfinite(v)]
    top = max(points, default=1.0)
    ends = [v for r in f.results.values() for v in (r.low, r.high) if math.isfinite(v) and v <= WIDE * top]
    if f.unit in ("share", "ratio"):
        hi = min(hi, 1.15 * max([top, *ends, 1e-3]))
    if not math.isfinite(lo):
        lo = min([*points, *ends], default=0.0)
    return lo, hi


def _value_text(f: FactFit) -> Callable[[float], str]:
    """How a cut interval's end is printed: shares in %, other units as numbers."""
    if f.unit == "share":
        return lambda v: f"{v * 100:.3g}%"
    return lambda v: f"{v:.3g}"


def _met_words(met: bool | None) -> str:
    return {True: "met", False: "not met", None: "undefined"}[met]


def _shade(ax: Axes, region: tuple[float, float] | None, lo: float, hi: float) -> None:
    if region is None:
        return
    a, b = max(region[0], lo), min(region[1], hi)
    if a < b:
        ax.axvspan(a, b, color=MET_COLOUR, alpha=0.12, linewidth=0)
    for edge in region:
        if lo <= edge <= hi:
            ax.axvline(edge, color=MET_COLOUR, linewidth=1.0, linestyle="--")


def fact_row(ax: Axes, f: FactFit) -> None:
    region = met_region(f)
    lo, hi = limits(f, region)
    _shade(ax, region, lo, hi)
    models = [m for m in MODEL_STYLE if m in f.results]
    ys = range(len(models), 0, -1)
    for y, model in zip(ys, models, strict=True):
        r, (_label, colour, marker) = f[model], MODEL_STYLE[model]
        if math.isfinite(r.low) and math.isfinite(r.high):
            width = 4 if model == "posterior" else 1.4
            draw_interval(ax, View(lo, hi), y, r.low, r.high, fmt=_value_text(f), color=colour, linewidth=width)
        if math.isfinite(r.value):
            ax.plot(r.value, y, marker, color=colour, markersize=6, mew=2)
    ax.set_yticks(list(ys), [MODEL_STYLE[m][0] for m in models], fontsize=7)
    ax.set_ylim(0.4, len(models) + 0.6)
    ax.set_xlim(lo - 0.02 * (hi - lo), hi + 0.02 * (hi - lo))
    if f.unit == "share":
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"{v * 100:.3g}%"))
    ax.tick_params(axis="x", labelsize=7)
    ax.grid(axis="x", alpha=0.3)
    ax.set_title(f.label, loc="left", fontsize=8.5)
    post, null, gravity = f["posterior"], f["null"], f.get("gravity")
    share = f" ({post.met_share:.0%} of draws)" if math.isfinite(post.met_share) else ""
    colour = MET_COLOUR if post.met else OUTSIDE_COLOUR if post.met is False else OTHER_COLOUR
    verdict = f"posterior: {_met_words(post.met)}{share} · null: {_met_words(null.met)}"
    if gravity is not None:
        verdict += f" · gravity: {_met_words(gravity.met)}"
    ax.set_title(verdict, loc="right", fontsize=8, color=colour)
    plain_spines(ax)


def plot_fit(c: Calibration) -> Figure:
    groups = [(role, c.role(role)) for role in SECTIONS if c.role(role)]
    heights: list[float] = []
    for _role, facts in groups:
        heights += [0.3] + [0.3 + 0.2 * len(f.results) for f in facts]
    fig = new_figure(8.5, sum(heights) + 1.9)
    grid = fig.add_gridspec(len(heights), 1, height_ratios=heights)
    row = 0
    for role, facts in groups:
        head = fig.add_subplot(grid[row])
        head.axis("off")
        head.text(0.0, 0.1, SECTIONS[role], fontsize=10.5, fontweight="bold", transform=head.transAxes)
        row += 1
        for f in facts:
            fact_row(fig.add_subplot(grid[row]), f)
            row += 1
    handles: list[Line2D | Patch] = [
        Line2D([], [], color=s[1], marker=s[2], linewidth=4 if m == "posterior" else 1.4)
        for m, s in MODEL_STYLE.items()
    ]
    handles.append(Patch(color=MET_COLOUR, alpha=0.25))
    labels = [*(s[0] for s in MODEL_STYLE.values()), "where the rule holds"]
    name = f"Fit per fact: {c.settings.name}"
    fig.legend(handles, labels, loc="outside upper center", ncol=3, fontsize=8, frameon=False, title=name)
    s = c.settings
    add_caption(
        fig,
        f"Posterior predictive: {s.predictive_draws} draws from the final population, each on "
        f"{s.predictive_replications} fresh seed(s); dot = mean of the per-draw values, thick line = 2.5–97.5% of "
        "draws. Calibrated point, defaults, null model (every choice coefficient 0, every nest λ 1) and gravity "
        "yardstick (GDP^a · km^b) on the same seeds: value pooled over the replications, thin line = 95% interval "
        "over them (cut at the axis edge when far wider than the values). Random picks (top-5 lists): mean and 95% "
        "quantile of what random picks score. Right: the rule on all the posterior's predictive runs pooled, the "
        "share of draws meeting it on their own, and the yardsticks' verdicts.",
        width=105,
    )
    return fig
