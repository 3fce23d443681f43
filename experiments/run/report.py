"""The report of a `run` folder: report.md and the figures, from summary.json and the tables."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from model.errors import InputError
from model.outcomes import HEADLINE, HORIZON, metric
from report.markdown import document, nan_if_none, table

DRAWN = ("plots", "report.md", "report.html")  # the .html page: written by the pipeline (report/html.py)


def read_summary(folder: Path) -> dict[str, Any]:
    path = folder / "summary.json"
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(path, "", "file not found", "the summary.json a run writes") from None
    except (OSError, ValueError) as exc:
        raise InputError(
            path, "", f"not readable JSON ({type(exc).__name__})", "the summary.json a run writes"
        ) from None
    if not isinstance(doc, dict) or not isinstance(doc.get("metrics"), dict):
        raise InputError(path, "metrics", "missing", "the summary.json a run writes")
    return doc


def _cell(doc: dict[str, Any], name: str) -> str:
    entry = doc["metrics"].get(name) or {}
    ci = entry.get("ci95") or [None, None]
    return metric(name).interval_text(nan_if_none(entry.get("mean")), nan_if_none(ci[0]), nan_if_none(ci[1]))


def draw(folder: Path, out: Path | None = None) -> list[Path]:
    """report.md and plots/*.png of a run folder (read from `folder`, written into `out`)."""
    from experiments.run.figures import draw_all

    out = out or folder
    doc = read_summary(folder)
    rows = [[metric(n).label, _cell(doc, n)] for n in HORIZON if n in doc["metrics"]]
    intro = [
        f"{doc.get('replications', '?')} replication(s); mean and 95% confidence interval across replications "
        f"({doc.get('interval', 't interval')}).",
        "Firm and job counts are for the represented population; results compare policies on the same seeds "
        "and are not forecasts.",
    ]
    figures = draw_all(folder, out)
    gallery = [f"![{p.stem}](plots/{p.name})" for p in figures]
    from experiments.facts.hindcast_figure import draw_for
    from experiments.facts.hindcast_report import section

    destinations = draw_for(folder, out)

    window = (doc.get("windows") or {}).get("report")
    if window:
        intro.insert(0, f"Summary metrics over the report window {window[0]}–{window[1]}.")
    sections = [intro, table(["Metric", "Mean (95% CI)"], rows), section(folder, bool(destinations)), gallery]
    text = document(f"Scenario `{doc.get('scenario', '?')}`", *sections)
    (out / "report.md").write_text(text, encoding="utf-8")
    return [out / "report.md", *figures, *destinations]


def summary(folder: Path) -> list[str]:
    """The terminal lines: the headline metrics with their intervals."""
    doc = read_summary(folder)
    lines = [f"{doc.get('scenario', '?')}: {doc.get('replications', '?')} replication(s) -> {folder}"]
    width = max(len(metric(n).label) for n in HEADLINE)
    lines += [f"  {metric(n).label:<{width}}  {_cell(doc, n)}" for n in HEADLINE if n in doc["metrics"]]
    return lines
