"""Markdown pieces shared by every report: tables, intervals from the metric catalogue, headers."""

from __future__ import annotations

import math
from collections.abc import Sequence

from model.outcomes import Metric


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], align: str | None = None) -> list[str]:
    """A Markdown table; `align` is one letter per column, l or r (default: first left, the rest right)."""
    align = align or "l" + "r" * (len(headers) - 1)
    rule = ["---:" if a == "r" else "---" for a in align]
    lines = ["| " + " | ".join(headers) + " |", "| " + " | ".join(rule) + " |"]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return lines


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def with_ci(m: Metric, mean: float, low: float, high: float, *, change: bool = False) -> str:
    """A value and its interval as one cell, in the metric's format."""
    return m.interval_text(mean, low, high, change=change)


def nan_if_none(value: float | None) -> float:
    return math.nan if value is None else float(value)


def document(title: str, *sections: Sequence[str]) -> str:
    lines = [f"# {title}"]
    for section in sections:
        lines += ["", *section]
    return "\n".join(lines).rstrip() + "\n"
