"""The report of a `sweep` folder: sweep.md, one figure per outcome and the terminal summary, from its tables.

sweep.md has one table per outcome: each point's factor values (labels and
units from factors.csv), its mean with the 95% interval, its paired
difference against the base scenario with that interval (points.csv, base.csv)
and its state: above or below the base beyond noise, or inconclusive at this
many replications (the interval includes 0; experiments.analysis.verdicts).
With one replication no interval exists and nothing is judged. Every number and label comes from the metric
catalogue; no dotted key path is shown. The tables are read by
experiments.sweep.read; `SweepReport` is the command's report
(experiments.engine.report).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from experiments.analysis.verdicts import ABOVE, BELOW, Verdict, difference_text, direction
from experiments.engine.report import Report
from experiments.sweep import figures
from experiments.sweep.read import Point, Sweep, read_sweep
from model.outcomes import metric
from report.markdown import change_unit, document, image, one_replication_note, table, with_ci
from report.read import Estimate

if TYPE_CHECKING:
    from matplotlib.figure import Figure

NOISE_WORDS = {
    ABOVE: "above the base",
    BELOW: "below the base",
    Verdict.INCONCLUSIVE: "inconclusive (interval includes 0)",
    Verdict.UNDEFINED: "–",
}
LISTED_VALUES = 8  # a factor with more distinct values is described by its range


# --------------------------------------------------------------------------- Markdown


def factor_values_text(s: Sweep, k: int) -> str:
    f, values = s.factors[k], s.distinct(k)
    if len(values) <= LISTED_VALUES:
        return ", ".join(f.text(v) for v in values)
    return f"{f.text(values[0])} to {f.text(values[-1])} ({len(values)} distinct values)"


def noise_text(p: Point) -> str:
    return NOISE_WORDS[direction(p.diff.low, p.diff.high) if p.within_noise is not None else Verdict.UNDEFINED]


def states_text(s: Sweep, name: str) -> str:
    """`2 of 12 points differ from the base beyond noise (2 above, 0 below), 10 inconclusive at 2 replications`."""
    return difference_text([(p.diff.low, p.diff.high) for p in s.points[name]], "points", s.replications, "the base")


def outcome_rows(s: Sweep, name: str) -> tuple[list[str], list[list[str]]]:
    """The headers and rows of one outcome's table."""
    m = metric(name)
    headers = [f.heading(axis=False) for f in s.factors]
    headers += [m.heading(), f"Change against the base ({change_unit(m)})", "Against the base"]
    show_runs = any(p.failed for p in s.points[name])
    if show_runs:
        headers.append("Runs (failed)")
    rows = []
    for p in s.points[name]:
        cells = [f.text(v) for f, v in zip(s.factors, p.values, strict=True)]
        cells += [with_ci(m, *_t(p.mean)), with_ci(m, *_t(p.diff), change=True), noise_text(p)]
        if show_runs:
            cells.append(f"{p.runs} ({p.failed})")
        rows.append(cells)
    return headers, rows


def _t(e: Estimate) -> tuple[float, float, float]:
    return e.mean, e.low, e.high


FIGURE_WORDS = {
    "line": "the mean at each value of the factor with its 95% band, the base scenario's value as a dashed line; "
    "hollow grey markers are points within noise of the base",
    "heatmap": "the difference against the base at each grid point; grey cells (≈ base) are within noise of the "
    "base: their paired interval includes 0",
    "scatter": "each design point coloured by its difference against the base; grey hollow points are within noise",
    "main effects": "per factor, each point's mean (grey where within noise of the base) and their mean at each "
    "level or bin of the factor; the dashed line is the base scenario",
}


def markdown(s: Sweep) -> str:
    design = "a full grid" if s.is_grid() else "a Latin hypercube"
    reps = s.replications
    intro = [
        f"{s.n_points} points ({design}) × {reps} replication(s), plus the base scenario on the same seeds: "
        "replication r uses the same seed at every point (common random numbers), so each point's difference "
        "against the base is paired and its 95% confidence interval (CI) is tight. A difference whose interval "
        "includes 0 is *within noise* of the base.",
    ]
    intro += one_replication_note(s.replications)
    factors = table(
        ["Factor", "Unit", "Values"],
        [[f.label, f.unit or "–", factor_values_text(s, k)] for k, f in enumerate(s.factors)],
        "lll",
    )
    sections: list[list[str]] = [intro, ["## Factors", "", *factors]]
    words = FIGURE_WORDS[s.figure_kind()]
    for name in s.outcomes:
        m = metric(name)
        headers, rows = outcome_rows(s, name)
        lines = [f"## {m.label}", "", f"Base scenario: {with_ci(m, *_t(s.base[name]))}."]
        if s.judged:
            states = states_text(s, name)
            lines[-1] += f" {states[:1].upper()}{states[1:]}."
        lines += ["", *table(headers, rows), ""]
        lines += image(f"plots/{name}.png", m.label, f"Figure: {words}.")
        sections.append(lines)
    sections.append(
        [
            "## What the numbers do and do not mean",
            "",
            "- The intervals measure Monte-Carlo noise across replications only; the results compare points on "
            "the same seeds and are not forecasts.",
            "- Files: `points.csv` (per point and outcome), `results.csv` (per run), `base.csv`, `factors.csv`.",
        ]
    )
    return document("Sweep of " + " × ".join(f.label for f in s.factors), *sections)


class SweepReport(Report[Sweep]):
    """sweep.md and plots/<outcome>.png of a sweep folder, and the terminal summary."""

    document = "sweep.md"

    def read(self, folder: Path) -> Sweep:
        return read_sweep(folder)

    def figures(self, data: Sweep) -> Iterator[tuple[str, Figure]]:
        return figures.figures(data)

    def markdown(self, data: Sweep, figures: Sequence[Path]) -> str:
        return markdown(data)

    def summary(self, folder: Path) -> list[str]:
        """The terminal lines: per outcome the base value and the lowest and highest point means."""
        s = read_sweep(folder)
        lines = [f"sweep: {s.n_points} points × {s.replications} replication(s) -> {folder}"]
        width = max(len(metric(o).label) for o in s.outcomes)
        for name in s.outcomes:
            m = metric(name)
            finite = [p for p in s.points[name] if math.isfinite(p.mean.mean)]
            if not finite:
                lines.append(f"  {m.label:<{width}}  no values")
                continue
            lo = min(finite, key=lambda p: p.mean.mean)
            hi = max(finite, key=lambda p: p.mean.mean)
            text = f"  {m.label:<{width}}  base {m.text(s.base[name].mean)}; points {m.text(lo.mean.mean)} (point "
            text += f"{lo.index}) to {m.text(hi.mean.mean)} (point {hi.index})"
            if s.judged:
                text += f"; {states_text(s, name)}"
            lines.append(text)
        return lines

    def replications(self, folder: Path) -> int | None:
        return read_sweep(folder).replications
