"""The tables of a `compare` folder, read and checked: comparison.csv, decision.csv, the resolved scenarios.

`read_comparison(folder)` gives the `Comparison` that the report's Markdown
(experiments.compare.report) and its figures (experiments.compare.figures)
are drawn from, with the posterior tables (report.posterior) of a folder run
with `--posterior DIR`. Every cell the report shows is checked here, so a
damaged table is one InputError naming the file before anything is written.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from experiments.compare.columns import COMPARISON_COLUMNS, COMPARISON_FILE, DECISION_COLUMNS, DECISION_FILE, SHARES
from model.csvfile import without
from model.errors import InputError, short
from model.outcomes import COST_EFFECTIVENESS, DECISION
from report.posterior import PosteriorReport, read_posterior
from report.read import Estimate, Resolved, Row, in_order, read_resolved, read_table

COMPARISON_NEEDED = without(COMPARISON_COLUMNS, "unit")
DECISION_NEEDED = without(DECISION_COLUMNS, "unit")  # the posterior's decision.csv has more
LEVELS = ("relocated_jobs", "to_north_jobs", "to_outside_jobs", "fiscal_cost_yuan", "cost_per_north_job_yuan")


@dataclass(frozen=True)
class MetricRow:
    """One scenario × metric of comparison.csv."""

    value: Estimate
    diff: Estimate
    unpaired: Estimate  # mean = diff.mean
    width_ratio: float
    replications: int


@dataclass(frozen=True)
class Comparison:
    """The tables of a compare folder; the baseline is the first scenario of comparison.csv."""

    folder: Path
    scenarios: list[str]
    rows: dict[tuple[str, str], MetricRow]
    decision: dict[tuple[str, str], Estimate]
    replications: int
    resolved: dict[str, Resolved]
    posterior: PosteriorReport | None = None  # run with --posterior

    @property
    def baseline(self) -> str:
        return self.scenarios[0]

    @property
    def others(self) -> list[str]:
        return self.scenarios[1:]

    def row(self, scenario: str, name: str) -> MetricRow:
        found = self.rows.get((scenario, name))
        if found is None:
            raise InputError(self.folder / COMPARISON_FILE, "", f"no row for {scenario} × {name}", "every metric")
        return found

    def change(self, scenario: str, quantity: str) -> Estimate:
        found = self.decision.get((scenario, quantity))
        if found is None:
            raise InputError(self.folder / DECISION_FILE, "", f"no row for {scenario} × {quantity}", "every quantity")
        return found


def _metric_row(row: Row) -> MetricRow:
    diff = row.estimate("diff", "diff_ci_low", "diff_ci_high")
    unpaired = Estimate(diff.mean, row.number("unpaired_diff_ci_low"), row.number("unpaired_diff_ci_high"))
    value = row.estimate("mean", "ci_low", "ci_high")
    return MetricRow(value, diff, unpaired, row.number("paired_to_unpaired_width"), row.integer("replications"))


def read_comparison(folder: Path) -> Comparison:
    """comparison.csv, decision.csv and the resolved scenarios, checked."""
    rows: dict[tuple[str, str], MetricRow] = {}
    table_rows = read_table(folder, COMPARISON_FILE, COMPARISON_NEEDED)
    for row in table_rows:
        rows[(row.name("scenario"), row.metric("metric").name)] = _metric_row(row)
    scenarios = in_order(r.name("scenario") for r in table_rows)
    if len(scenarios) < 2:
        raise InputError(folder / COMPARISON_FILE, "scenario", "only one scenario", "a baseline and at least one other")
    decision: dict[tuple[str, str], Estimate] = {}
    for row in read_table(folder, DECISION_FILE, DECISION_NEEDED):
        name = row.name("scenario")
        if name not in scenarios[1:]:
            raise InputError(row.path, f"row {row.line}, column scenario", f"{short(name)}", ", ".join(scenarios[1:]))
        decision[(name, row.metric("quantity").name)] = row.estimate("value", "ci_low", "ci_high")
    reps = max(r.replications for r in rows.values())  # a row counts its defined values (a ratio may have fewer)
    resolved = {name: read_resolved(folder / "scenarios" / f"{name}.resolved.yaml") for name in scenarios}
    comparison = Comparison(folder, scenarios, rows, decision, reps, resolved, read_posterior(folder, "scenario"))
    for name in comparison.others:  # every cell the report shows must exist
        for q in (*DECISION, COST_EFFECTIVENESS):
            comparison.change(name, q)
    for name in scenarios:
        for q in (*SHARES, *LEVELS):
            comparison.row(name, q)
    return comparison
