"""One style for every figure of every command.

Figures are built on `matplotlib.figure.Figure` with the Agg canvas, so
drawing changes no global matplotlib state (no pyplot, no backend switch), and
PNGs carry no software or time stamp, so the same tables always give the same
bytes. Every text is drawn with one family list (report.figures.names: DejaVu
Sans, then a CJK font if one is installed), set per text when the figure is
drawn, never in the global rcParams. Axis labels, tick formats and units come
from the metric catalogue (model.outcomes): shares in %, changes of shares in
percentage points, money in CNY m or bn, jobs with thousands separators.
"""

from __future__ import annotations

import logging
import math
import re
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib import rcParams
from matplotlib.axes import Axes
from matplotlib.axis import Axis
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.text import Text
from matplotlib.ticker import Formatter, MaxNLocator

from experiments.analysis.stats import Interval
from model.outcomes import Metric
from report.figures.names import font_families

logger = logging.getLogger(__name__)

PLOTS_DIR = "plots"
DPI = 150
# Okabe–Ito colours: distinguishable with the common colour-vision deficiencies.
NORTH_COLOUR = "#0072B2"
OUTSIDE_COLOUR = "#D55E00"
JIANGSU_COLOUR = "#009E73"
ORIGIN_COLOUR = "#222222"
OTHER_COLOUR = "#777777"
NEUTRAL_COLOUR = "#BBBBBB"  # what is within noise
SERIES_COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000")
KIND_STYLE: dict[str, tuple[str, str, str]] = {
    # kind: (label, colour, marker)
    "origin": ("Southern Jiangsu origin", ORIGIN_COLOUR, "s"),
    "north_park": ("North Jiangsu co-built park", NORTH_COLOUR, "^"),
    "jiangsu_city": ("Other Jiangsu place", JIANGSU_COLOUR, "D"),
    "outside_city": ("Outside-province city", OUTSIDE_COLOUR, "o"),
}
PNG_METADATA: dict[str, str | None] = {"Software": None}
TITLE_SIZE = 11
CAPTION_WIDTH = 130


DEFAULT_FAMILY = ["sans-serif"]  # matplotlib's default font.family


def use_fonts(fig: Figure) -> None:
    """Give every text of `fig` that has the default family the figure family list (names.font_families).

    Per text, so no global matplotlib state changes; tick labels made later copy
    the first tick's font. StyledFigure calls it at every draw.
    """
    families = font_families()
    defaults = (DEFAULT_FAMILY, list(rcParams["font.family"]))  # what a text nobody gave a family has
    for text in fig.findobj(Text):
        if text.get_fontfamily() in defaults:
            text.set_fontfamily(families)


class StyledFigure(Figure):
    """A Figure whose texts are drawn with the figure family list (Latin, then CJK glyphs)."""

    def draw(self, renderer: Any) -> None:
        use_fonts(self)
        super().draw(renderer)


def new_figure(width_in: float, height_in: float, *, layout: str | None = "constrained") -> Figure:
    fig = StyledFigure(figsize=(width_in, height_in), layout=layout)
    FigureCanvasAgg(fig)
    return fig


def save_png(fig: Figure, path: Path) -> Path:
    """Write a PNG without a Software stamp so the bytes depend only on the data."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=DPI, metadata=PNG_METADATA)
    fig.clear()
    logger.info("wrote %s", path)
    return path


def add_caption(fig: Figure, text: str, width: int = CAPTION_WIDTH) -> None:
    """A small left-aligned note under the axes; as a supxlabel the layout keeps room for it."""
    fig.supxlabel("\n".join(textwrap.wrap(text, width)), x=0.01, ha="left", fontsize=7.5, color="#444444")


def title(ax: Axes, text: str) -> None:
    ax.set_title(text, fontsize=TITLE_SIZE)


def legend_below(ax: Axes, handles: Sequence[Any], labels: Sequence[str], ncol: int = 2) -> None:
    """Legend under the x axis: inside the axes it would hide a line whenever a scenario pushes it high."""
    ax.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=ncol, fontsize=8, frameon=False)


def band_text(replications: int) -> str:
    """The caption that says what a line and its band are."""
    if replications < 2:
        return "One replication, so no confidence band can be drawn."
    return (
        f"Line: mean of {replications} replications. Shaded band: 95% confidence interval of that mean "
        "(Student t; for shares on the logit scale, so it stays within 0–100%)."
    )


def mean_band(values: np.ndarray, bounds: tuple[float, float]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-column mean and 95% interval across replications (rows), kept inside `bounds`; NaN where undefined."""
    ivs = [Interval.of(values[:, j], bounds) for j in range(values.shape[1])]
    return (
        np.array([iv.mean for iv in ivs], dtype=float),
        np.array([iv.low for iv in ivs], dtype=float),
        np.array([iv.high for iv in ivs], dtype=float),
    )


class MetricTicks(Formatter):
    """Tick text of a metric axis: % or pp for shares, CNY m/bn for money, thousands separators.

    The number of decimals is the fewest that writes every tick exactly, so a
    ±0.5 pp axis does not read "+0, +0, +1" and a jobs axis has no ".0".
    """

    def __init__(self, m: Metric, change: bool, divisor: float) -> None:
        self.m, self.change, self.divisor, self.decimals = m, change, divisor, 0

    def shown(self, value: float) -> float:
        return value * 100 if self.m.is_share else value / self.divisor

    def set_locs(self, locs: Sequence[float]) -> None:
        super().set_locs(locs)
        shown = [self.shown(v) for v in locs if math.isfinite(v)]
        self.decimals = next(
            (d for d in range(6) if all(abs(round(v, d) - v) <= 1e-9 * max(1.0, abs(v)) for v in shown)), 6
        )

    def __call__(self, value: float, pos: int | None = None) -> str:
        shown = self.shown(value)
        if abs(shown) < 0.5 * 10.0**-self.decimals:
            shown = 0.0  # no "-0"
        text = f"{shown:,.{self.decimals}f}"
        return "+" + text if self.change and shown > 0 else text


def metric_axis(
    axis: Axis, m: Metric, *, change: bool = False, values: Sequence[float] = (), nbins: int | None = None
) -> None:
    """Ticks of a metric's axis in the unit people read (values are in the stored unit).

    `values` are the numbers plotted: money is shown in CNY m or bn by their
    largest magnitude, the same scale `metric_label` names. `nbins` caps the
    number of ticks.
    """
    divisor, _suffix = m.scale(values)
    axis.set_major_formatter(MetricTicks(m, change, divisor))
    if nbins is not None:  # long tick texts (jobs with separators) need fewer ticks
        axis.set_major_locator(MaxNLocator(nbins=nbins))


def metric_label(m: Metric, *, change: bool = False, values: Sequence[float] = (), what: str | None = None) -> str:
    """An axis label: the metric's label (or `what`) and the unit of its ticks."""
    _divisor, suffix = m.scale(values)
    unit = ("pp" if change else "%") if m.is_share else f"{m.shown_unit.replace('CNY', 'CNY' + suffix)}"
    text = what or (f"Change in {m.label[:1].lower()}{m.label[1:]}" if change else m.label)
    return f"{text} ({unit})"


def year_axis(ax: Axes, years: np.ndarray) -> None:
    ax.set_xlabel("Year")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True, nbins=min(len(years), 13)))
    if len(years) == 1:
        ax.set_xlim(years[0] - 0.5, years[0] + 0.5)
    else:
        ax.set_xlim(years[0], years[-1])


def thousands(value: float, _pos: object = None) -> str:
    """Tick text with thousands separators, never a 1e6 offset."""
    return f"{value:,.0f}"


def nice(value: float) -> float:
    """Round down to 1, 2 or 5 times a power of ten (legend sizes)."""
    if value <= 0:
        return 0.0
    exp = 10 ** math.floor(math.log10(value))
    return max(m * exp for m in (1, 2, 5) if m * exp <= value)


def series_colour(i: int) -> str:
    return SERIES_COLOURS[i % len(SERIES_COLOURS)]


def diverging_colours(m: Metric) -> str:
    """A colour map for differences centred on 0: blue where the metric moves the better way, red the worse."""
    if m.better == "higher":
        return "RdBu"
    if m.better == "lower":
        return "RdBu_r"
    return "PuOr_r"


def wrapped(text: str, width: int = 22) -> str:
    """A long tick label (a lever or factor label) on a few lines."""
    return "\n".join(textwrap.wrap(text, width)) or text


def plain_spines(ax: Axes) -> None:
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def interval_caption(replications: int, what: str = "mean", marks: str = "Whiskers") -> str:
    """What the whiskers or bands are, or that there are none (one replication)."""
    if replications < 2:
        return "One replication, so no confidence interval exists and none is drawn."
    return f"{marks}: 95% confidence interval of the {what} across {replications} replications."


SHORT_LABEL_CHARS = 60  # a scenario's short label: at most this many characters of its description


def short_label(description: str, fallback: str) -> str:
    """A scenario as figures name it: its description up to the first ':', ' (', ', ' or '. ' (at most
    SHORT_LABEL_CHARS, cut at a word, without a trailing year range), or `fallback` (its file id) when it has
    no description."""
    text = " ".join(description.split())
    cuts = [i for i in (text.find(": "), text.find(" ("), text.find(", "), text.find(". ")) if i > 0]
    text = text[: min(cuts)] if cuts else text.rstrip(".")
    text = re.sub(r"\s+\d{4}\s*[-–]\s*\d{4}$", "", text)  # "Status quo 2019-2035": figures name their own window
    if len(text) > SHORT_LABEL_CHARS:
        text = text[:SHORT_LABEL_CHARS].rsplit(" ", 1)[0] + "…"
    return text or fallback
