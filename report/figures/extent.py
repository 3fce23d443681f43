"""Axes set by the estimates, not by their error bars: one rule for every figure.

A few replications give intervals that can run far beyond every estimate (a
3.3 % share with a bar to 73 %, a log-scale interval to 10^4 times its mean).
Drawn in full they set the axis and squash what the figure is about. So:

- `view_of` gives the plotted range: every estimate (and anything the figure
  must show, such as 0), then interval ends as far as REACH times the span of
  the estimates beyond them, a small margin, and never past the metric's
  bounds (a share stays within 0–100 %);
- `draw_interval` draws an interval cut at that range; a cut end is marked
  with an arrowhead at the axis edge and the end's value printed beside it;
- `mark_beyond` marks an estimate itself beyond a fixed view (a share
  estimated outside 0–100 %);
- `band_marks` does the same for a shaded band (marks where the band leaves
  the axis, the furthest end printed).

Captions say so with CUT_NOTE. All values are in the units plotted (shares
in %, when a figure plots them in %).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from matplotlib.axes import Axes

# How far beyond the estimates an interval is drawn before it is cut, in spans of the estimates (the range from
# the lowest to the highest estimate): half a span keeps every interval of a well-replicated run whole, and cuts
# those of a few replications that would otherwise take most of the axis. A design choice, not a statistic.
REACH = 0.5
MARGIN = 0.04  # of the plotted range, on each side, so markers at the ends are not cut by the frame
CUT_NOTE = "An interval running beyond the axis is cut at its edge and marked with an arrowhead and its end's value."
CUT_COLOUR = "#333333"


@dataclass(frozen=True)
class View:
    """The plotted range of one axis."""

    low: float
    high: float

    def cut(self, low: float, high: float) -> tuple[float, float, bool, bool]:
        """An interval as drawn: (low, high) inside the view and whether each end was cut."""
        return max(low, self.low), min(high, self.high), low < self.low, high > self.high

    def contains(self, value: float) -> bool:
        return self.low <= value <= self.high


def _finite(values: Iterable[float]) -> list[float]:
    return [float(v) for v in values if v is not None and math.isfinite(v)]


def view_of(
    estimates: Iterable[float],
    ends: Iterable[float] = (),
    *,
    include: Iterable[float] = (),
    bounds: tuple[float, float] = (-math.inf, math.inf),
    reach: float = REACH,
    margin: float = MARGIN,
) -> View:
    """The range that shows every estimate and `include`, and interval `ends` up to `reach` spans beyond them."""
    core = _finite([*estimates, *include])
    tails = _finite(ends)
    if not core:
        core = tails or [0.0, 1.0]
    lo, hi = min(core), max(core)
    span = hi - lo or abs(hi) or 1.0
    lo = max(lo - reach * span, min([lo, *tails]))
    hi = min(hi + reach * span, max([hi, *tails]))
    if hi == lo:
        lo, hi = lo - 0.5 * span, hi + 0.5 * span
    pad = margin * (hi - lo)
    return View(max(bounds[0], lo - pad), min(bounds[1], hi + pad))


def set_view(ax: Axes, view: View, axis: str = "x") -> None:
    (ax.set_xlim if axis == "x" else ax.set_ylim)(view.low, view.high)


def _mark(
    ax: Axes,
    at: float,
    pos: float,
    upward: bool,
    value: float | None,
    vertical: bool,
    fmt: Callable[[float], str],
    colour: str,
) -> None:
    """An arrowhead at the axis edge pointing out, and (unless None) the value the interval reaches printed inside."""
    if vertical:
        marker, xy = ("^" if upward else "v"), (pos, at)
        text_kw = {"xytext": (4, -6 if upward else 6), "ha": "left", "va": "top" if upward else "bottom"}
    else:
        marker, xy = (">" if upward else "<"), (at, pos)
        text_kw = {"xytext": (-6 if upward else 6, 4), "ha": "right" if upward else "left", "va": "bottom"}
    (line,) = ax.plot(*xy, marker=marker, color=colour, markersize=5, linestyle="", zorder=5, clip_on=False)
    line.set_gid("cut")
    if value is None:
        return
    note = ax.annotate(
        "to " + fmt(value),
        xy,
        textcoords="offset points",
        fontsize=6.5,
        color=colour,
        zorder=5,
        **text_kw,  # type: ignore[arg-type]
    )
    note.set_gid("cut-value")


def draw_interval(
    ax: Axes,
    view: View,
    pos: float,
    low: float,
    high: float,
    *,
    fmt: Callable[[float], str],
    vertical: bool = False,
    color: str = CUT_COLOUR,
    linewidth: float = 2.0,
    caps: bool = False,
    **line_kw: object,
) -> bool:
    """Draw the interval low–high at `pos` cut to the view; a cut end gets an arrowhead and its value. True if cut."""
    if not (math.isfinite(low) and math.isfinite(high)):
        return False
    a, b, cut_low, cut_high = view.cut(low, high)
    if a > b:  # wholly outside: only the mark at the near edge
        a = b = view.high if low > view.high else view.low
    xs, ys = ([pos, pos], [a, b]) if vertical else ([a, b], [pos, pos])
    ax.plot(xs, ys, color=color, linewidth=linewidth, solid_capstyle="butt", **line_kw)  # type: ignore[arg-type]
    if caps:
        for end, was_cut in ((a, cut_low), (b, cut_high)):
            if not was_cut:
                cap = "_" if vertical else "|"
                ax.plot(*((pos, end) if vertical else (end, pos)), marker=cap, color=color, markersize=6, linestyle="")
    if cut_low:
        _mark(ax, view.low, pos, False, low, vertical, fmt, color)
    if cut_high:
        _mark(ax, view.high, pos, True, high, vertical, fmt, color)
    return cut_low or cut_high


def mark_beyond(
    ax: Axes,
    view: View,
    pos: float,
    value: float,
    *,
    fmt: Callable[[float], str],
    vertical: bool = False,
    color: str = CUT_COLOUR,
) -> bool:
    """Mark an estimate that lies beyond the view (an arrowhead at the edge, its value printed); True if marked."""
    if not math.isfinite(value) or view.contains(value):
        return False
    upward = value > view.high
    _mark(ax, view.high if upward else view.low, pos, upward, value, vertical, fmt, color)
    return True


def band_marks(
    ax: Axes,
    view: View,
    xs: Sequence[float],
    lows: Sequence[float],
    highs: Sequence[float],
    *,
    fmt: Callable[[float], str],
    color: str = CUT_COLOUR,
) -> bool:
    """Mark where a band (y from lows to highs at xs) leaves a vertical view; print its furthest end. True if cut."""
    above = [(x, h) for x, h in zip(xs, highs, strict=True) if math.isfinite(h) and h > view.high]
    below = [(x, lo) for x, lo in zip(xs, lows, strict=True) if math.isfinite(lo) and lo < view.low]
    for points, upward, edge in ((above, True, view.high), (below, False, view.low)):
        if not points:
            continue
        far = max(points, key=lambda p: p[1]) if upward else min(points, key=lambda p: p[1])
        for x, v in points:
            _mark(ax, edge, x, upward, v if (x, v) == far else None, True, fmt, color)
    return bool(above or below)
