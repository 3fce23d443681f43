"""What a result's figures stand for: the window they total over and the firms simulated (scope.json).

Every command writes `scope.json` (experiments.engine.scope) before its report
is drawn; every report opens with `scope_sentence` of it under its title and
every terminal summary repeats it under its first line, so a reader always
knows that the numbers are totals over a window (2024–2035 in the shipped
scenarios) and what the simulated firms represent. A folder written before
scope.json existed shows no such sentence.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from model.outcomes import number_text

SCOPE_FILE = "scope.json"
Window = Literal["report", "hindcast"]


def read_scope(folder: Path) -> dict[str, Any] | None:
    """The folder's scope.json, or None where there is none (or it is unreadable: the sentence is then left out)."""
    try:
        doc = json.loads((folder / SCOPE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return doc if isinstance(doc, dict) else None


def scope_sentence(doc: dict[str, Any], window: Window = "report") -> str:
    """`Totals over 2024–2035 unless stated; 3,000 simulated firms (each a sampled firm whose jobs count ×10) stand
    for the 9 southern origins' 30,000 manufacturers (~5,980,000 jobs).`"""
    years = doc.get(window) or doc.get("report") or [None, None]
    span = f"{years[0]}–{years[1]}" if years[0] != years[1] else f"{years[0]}"
    firms, represented = int(doc["firms"]), float(doc["represented_firms"])
    scale = represented / firms
    each = "one sampled firm each" if scale == 1 else f"each a sampled firm whose jobs count ×{_factor(scale)}"
    return (
        f"Totals over {span} unless stated; {firms:,} simulated firms ({each}) stand for the "
        f"{doc['origins']} southern origins' {_factor(represented)} manufacturers "
        f"(~{number_text(doc['represented_jobs'])} jobs)."
    )


def _factor(value: float) -> str:
    """A count exactly (`12,345`), a ratio to three significant digits (`4.29`)."""
    return f"{value:,.0f}" if value == round(value) else number_text(value)


def scope_lines(folder: Path, window: Window = "report") -> list[str]:
    """The sentence of the folder's scope.json as a list of one line, or no line without one."""
    doc = read_scope(folder)
    try:
        return [scope_sentence(doc, window)] if doc is not None else []
    except (KeyError, TypeError, ValueError, IndexError):  # a scope.json this version cannot read: say nothing
        return []


def with_scope(markdown: str, folder: Path, window: Window = "report") -> str:
    """The report's Markdown with the scope sentence as its first paragraph, under the title."""
    lines = scope_lines(folder, window)
    if not lines:
        return markdown
    head, sep, rest = markdown.partition("\n\n")
    if not head.startswith("# "):
        return f"_{lines[0]}_\n\n{markdown}"
    return f"{head}\n\n_{lines[0]}_\n\n{rest}" if sep else f"{head}\n\n_{lines[0]}_\n"
