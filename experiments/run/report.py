"""The report of a `run` folder: report.md and the figures, from summary.json and the tables.

The figures are the run's (experiments.run.figures, from the tables
report.tables reads) and, for a run with a hindcast window, the destinations
beside the article's lists (experiments.facts.hindcast_figure, from what
experiments.facts.hindcast_report reads). `RunReport` is the command's report
(experiments.engine.report).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from experiments.analysis.replications import CLIPPED, clipped
from experiments.engine.report import Report
from experiments.facts import hindcast_figure
from experiments.facts.hindcast_report import FIGURE, OriginTop, destinations_of, section
from experiments.run import figures
from model.errors import InputError
from model.outcomes import HEADLINE, HORIZON, metric
from report.markdown import document, nan_if_none, table
from report.tables import Place, Results, read_results

if TYPE_CHECKING:
    from matplotlib.figure import Figure


@dataclass(frozen=True)
class RunTables:
    """What a run folder's report is drawn from: summary.json, the tables and the hindcast's destinations."""

    folder: Path
    summary: dict[str, Any]
    results: Results
    origins: list[OriginTop]  # none without a hindcast window
    places: dict[str, Place]


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
    """The mean and its interval; marked where the interval is held inside the metric's bounds by too few runs."""
    entry = doc["metrics"].get(name) or {}
    ci = entry.get("ci95") or [None, None]
    m = metric(name)
    text = m.interval_text(nan_if_none(entry.get("mean")), nan_if_none(ci[0]), nan_if_none(ci[1]))
    values = [nan_if_none(v) for v in entry.get("values") or [] if isinstance(v, int | float) or v is None]
    return f"{text} — {CLIPPED}" if clipped(values, m.bounds) else text


class RunReport(Report[RunTables]):
    """report.md and plots/*.png of a run folder, and the terminal summary."""

    document = "report.md"

    def read(self, folder: Path) -> RunTables:
        """summary.json, then every table the figures are drawn from (all read and checked first)."""
        doc = read_summary(folder)
        return RunTables(folder, doc, read_results(folder), *destinations_of(folder))

    def figures(self, data: RunTables) -> Iterator[tuple[str, Figure]]:
        yield from figures.figures(data.results)
        yield from hindcast_figure.figures(data.origins, data.places)

    def markdown(self, data: RunTables, figures: Sequence[Path]) -> str:
        doc = data.summary
        rows = [[metric(n).label, _cell(doc, n)] for n in HORIZON if n in doc["metrics"]]
        intro = [
            f"{doc.get('replications', '?')} replication(s); mean and 95% confidence interval across replications "
            f"({doc.get('interval', 't interval')}).",
            "Firm and job counts are for the represented population; results compare policies on the same seeds "
            "and are not forecasts.",
        ]
        gallery = [f"![{p.stem}](plots/{p.name})" for p in figures if p.name != FIGURE]
        window = (doc.get("windows") or {}).get("report")
        if window:
            intro.insert(0, f"Summary metrics over the report window {window[0]}–{window[1]}.")
        destinations = any(p.name == FIGURE for p in figures)
        sections = [intro, table(["Metric", "Mean (95% CI)"], rows), section(data.folder, destinations), gallery]
        return document(f"Scenario `{doc.get('scenario', '?')}`", *sections)

    def summary(self, folder: Path) -> list[str]:
        """The terminal lines: the headline metrics with their intervals."""
        doc = read_summary(folder)
        lines = [f"{doc.get('scenario', '?')}: {doc.get('replications', '?')} replication(s) -> {folder}"]
        width = max(len(metric(n).label) for n in HEADLINE)
        lines += [f"  {metric(n).label:<{width}}  {_cell(doc, n)}" for n in HEADLINE if n in doc["metrics"]]
        return lines

    def replications(self, folder: Path) -> int | None:
        n = read_summary(folder).get("replications")
        return n if isinstance(n, int) and not isinstance(n, bool) else None
