"""Markdown pieces shared by every report: tables, intervals from the metric catalogue, headers."""

from __future__ import annotations

import math
from collections.abc import Sequence

from model.outcomes import COST_EFFECTIVENESS, Metric, metric

NOT_DEFINED = "95% CI not defined: the change in north jobs is not distinguishable from 0"
NOT_DEFINED_OVER_DRAWS = "interval ({label}) not defined: the change in north jobs is not told from 0 across the draws"
# Quantities a report derives from the catalogue's metrics, formatted the catalogue's way (shares in %).
VARIANCE_SHARE = Metric("variance_share", "Share of the variance", "share", "A Sobol' index.", (-math.inf, math.inf))
SHARE_OF_TOTAL = Metric("share_of_total", "Share of the total change", "share", "φ ÷ total.", (-math.inf, math.inf))
# A Sobol' index is a share of the variance: an estimate outside [0, 1] is noise the design did not resolve, shown
# as UNRESOLVED (its raw value and interval stay in the tables: indices.csv, sobol.csv).
SOBOL_RANGE = (0.0, 1.0)
UNRESOLVED = "unresolved"


def sobol_in_range(value: float) -> bool:
    """Whether a Sobol' estimate (S1 or ST) is a share of the variance at all: finite and inside [0, 1]."""
    return math.isfinite(value) and SOBOL_RANGE[0] <= value <= SOBOL_RANGE[1]


def sobol_text(value: float, text: str, *, raw: bool = True) -> str:
    """`text` for an index inside [0, 1]; else `unresolved (raw: text)`, or just `unresolved` when not `raw`."""
    if sobol_in_range(value) or not math.isfinite(value):
        return text
    return f"{UNRESOLVED} (raw: {text})" if raw else UNRESOLVED


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], align: str | None = None) -> list[str]:
    """A Markdown table; `align` is one letter per column, l or r (default: first left, the rest right)."""
    align = align or "l" + "r" * (len(headers) - 1)
    rule = ["---:" if a == "r" else "---" for a in align]
    lines = ["| " + " | ".join(headers) + " |", "| " + " | ".join(rule) + " |"]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return lines


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


SAME = "same in every replication"


def with_ci(m: Metric, mean: float, low: float, high: float, *, change: bool = False, **words: str) -> str:
    """A value and its interval as one cell, in the metric's format; a zero-width interval says so.

    `words`: the interval's `label` and `same` wording (Metric.interval_text), e.g. over a posterior.
    """
    return m.interval_text(mean, low, high, change=change, **words)


def range_text(m: Metric, low: float, high: float, *, change: bool = False) -> str:
    """An interval alone, `-17.4 pp to +18.7 pp`, both ends on one scale; a dash where undefined."""
    if not (math.isfinite(low) and math.isfinite(high)):
        return "–"
    scale = m.scale([low, high])
    return f"{m.text(low, change=change, scale=scale)} to {m.text(high, change=change, scale=scale)}"


def magnitude_text(m: Metric, value: float) -> str:
    """A size of change (never negative: Morris μ*, σ, a CI half-width) in the change unit, without a sign."""
    return m.text(value, change=True).removeprefix("+")


def ratio_cell(mean: float, low: float, high: float, replications: int, *, compact: bool = False, **words: str) -> str:
    """Yuan per additional north job with Fieller's interval, or why that interval does not exist.

    `compact` (the terminal) says only that the interval is not defined; the report says why. `words`: as
    with_ci's (over a posterior the interval is the draws' quantiles, and the words say so).
    """
    m = metric(COST_EFFECTIVENESS)
    if math.isfinite(low) and math.isfinite(high):
        return m.interval_text(mean, low, high, **words)
    if replications < 2 or not math.isfinite(mean):
        return m.text(mean)
    why = NOT_DEFINED if "label" not in words else NOT_DEFINED_OVER_DRAWS.format(label=words["label"])
    return f"{m.text(mean)} ({why.split(':')[0] if compact else why})"


def one_replication_note(replications: int) -> list[str]:
    """The warning a report gives when it has no intervals at all."""
    if replications >= 2:
        return []
    return ["", "**One replication: no interval exists, so no change can be told from simulation noise.**"]


def lever_label(key: str, label: str = "") -> str:
    """A lever's words: the label it declares (levers.csv or the registry), else its key in words."""
    if not label or label == key:
        try:
            from model.levers import REGISTRY

            label = str(getattr(REGISTRY.get(key), "label", "") or "")
        except ImportError:  # the registry is optional here: words from the key will do
            label = ""
    if not label or label == key:
        label = key.replace("_", " ").capitalize()
    return label


ACTS_ON = {
    "push": "staying (push)",
    "staying": "staying (push)",
    "pull": "destinations (pull)",
    "destinations": "destinations (pull)",
}
PUSH = ("push", "staying")  # named first: where a lever acts on both


def acts_on_words(sides: str) -> str:
    """What a lever works on, from its declared sides (`pull push`): "staying (push) and destinations (pull)"."""
    ordered = sorted(set(sides.split()), key=lambda side: (side not in PUSH, side))
    return " and ".join(ACTS_ON.get(side, side) for side in ordered) or "not declared"


def change_unit(m: Metric) -> str:
    """The unit of a change of the metric as people read it: pp for shares."""
    return "pp" if m.is_share else m.shown_unit


def lower_first(text: str) -> str:
    """A label inside a sentence: `Relocated jobs` → `relocated jobs`."""
    return text[:1].lower() + text[1:]


def image(path: str, alt: str, caption: str) -> list[str]:
    """A figure and the sentence that says how to read it."""
    return [f"![{alt}]({path})", "", caption, ""]


def nan_if_none(value: float | None) -> float:
    return math.nan if value is None else float(value)


def document(title: str, *sections: Sequence[str]) -> str:
    lines = [f"# {title}"]
    for section in sections:
        body = list(section)
        while body and not body[-1].strip():
            body.pop()
        if body:
            lines += ["", *body]
    return "\n".join(lines).rstrip() + "\n"
