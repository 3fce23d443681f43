"""The report of a `sensitivity` folder: indices.md, one bar chart per outcome and the terminal summary.

Read from indices.csv (outcome, factor, index, value, conf), notes.csv (the
outcomes that could not be analysed, and why), points.csv (the design as run)
and factors.csv (each factor's label and unit). Morris μ*, μ and σ are in the
outcome's unit per whole factor range and are written with the catalogue (pp
for shares, CNY m or bn for money); Sobol' indices are shares of the variance,
in %. The tables are read by experiments.sensitivity.read; `SensitivityReport`
is the command's report (experiments.engine.report).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from experiments.engine.report import Report
from experiments.sensitivity import figures
from experiments.sensitivity.read import METHODS, RANKED_BY, Index, Sensitivity, read_sensitivity
from model.outcomes import Metric, metric
from report.markdown import VARIANCE_SHARE, change_unit, document, image, magnitude_text, sobol_text, table
from report.read import Factor

if TYPE_CHECKING:
    from matplotlib.figure import Figure

# The index that ranks the factors in the terminal: its full name the first time, then its plain name.
RANKED_WORDS = {
    "mu_star": ("Morris mean absolute effect (μ*), ± 95% CI", "mean absolute effect"),
    "ST": ("Sobol' share of variance with interactions (ST), ± 95% CI", "share with interactions"),
}

# --------------------------------------------------------------------------- Markdown


def index_text(s: Sensitivity, m: Metric, ix: Index, name: str, *, raw: bool = True) -> str:
    """One index as people read it: μ in the outcome's change unit, μ*, σ as sizes, S1 and ST in %.

    A Sobol' index outside [0, 1] is `unresolved` (with its raw value and interval when `raw`: report.md;
    indices.csv keeps them).
    """
    if s.method == "sobol":
        text = VARIANCE_SHARE.text(ix.value)
        text = f"{text} ± {magnitude_text(VARIANCE_SHARE, ix.conf)}" if math.isfinite(ix.conf) else text
        return sobol_text(ix.value, text, raw=raw)
    text = m.text(ix.value, change=True) if name == "mu" else magnitude_text(m, ix.value)
    return f"{text} ± {magnitude_text(m, ix.conf)}" if math.isfinite(ix.conf) else text


def index_headers(s: Sensitivity, m: Metric) -> list[str]:
    if s.method == "sobol":
        return ["Factor", "Share of variance, factor alone (%, ± 95% CI)", "Share with interactions (%, ± 95% CI)"]
    unit = f"{change_unit(m)} per whole factor range"
    return ["Factor", f"Mean absolute effect ({unit}, ± 95% CI)", f"Mean effect, signed ({unit})", f"Spread ({unit})"]


def design_text(s: Sensitivity) -> str:
    """The design's words, before the number of points: trajectories (Morris) or base samples (Sobol')."""
    k = len(s.factors)
    if s.method == "sobol" and s.n_points % (k + 2) == 0:
        return f"Sobol' indices (Saltelli sampling, first and total order): N = {s.n_points // (k + 2)} base samples, "
    if s.method == "morris" and s.n_points % (k + 1) == 0:
        return f"Morris screening: r = {s.n_points // (k + 1)} trajectories, "
    return ""


def outcome_section(s: Sensitivity, name: str) -> list[str]:
    m = metric(name)
    lines = [f"## {m.label}", ""]
    if name in s.notes:
        return [*lines, f"Not analysed: {s.notes[name]}."]
    names = METHODS[s.method or "morris"]
    rows = [[f.label, *(index_text(s, m, s.index(name, f.key, n), n) for n in names)] for f in s.ranked(name)]
    lines += table(index_headers(s, m), rows)
    inert = s.inert(name)
    if inert:
        which = "mean absolute effect" if s.method == "morris" else "share with interactions"
        lines += ["", f"No effect at any sampled point ({which} exactly 0): " + ", ".join(f.label for f in inert)]
    lines += ["", *image(f"plots/indices_{name}.png", m.label, "Bars: the indices with their 95% bootstrap intervals.")]
    return lines


def how_to_read(s: Sensitivity) -> list[str]:
    if s.method == "sobol":
        lines = [
            "- The share of variance of the factor alone (Sobol' first-order index, S1) is the share of the "
            "outcome's variance over the ranges due to the factor alone; the share with interactions (Sobol' "
            "total index, ST) adds every interaction it takes part in. The difference of the two measures "
            "interactions; a share with interactions near 0 means the factor can be fixed anywhere in its range.",
            "- ± is the half-width of the 95% bootstrap interval. With few base samples the intervals are wide and "
            "an estimate can come out below 0 or above 100%: that is estimation noise, and such an index is shown "
            "as *unresolved* (its raw value beside it; `indices.csv` keeps it): more base samples resolve it.",
        ]
    else:
        lines = [
            "- An elementary effect is the change in the outcome when one factor moves by a step of its grid, "
            "divided by that step as a fraction of the factor's range: it is in outcome units per whole range.",
            "- The Morris mean absolute effect (μ*, the mean of the elementary effects' sizes) ranks the factors by "
            "influence; ± is the half-width of its 95% bootstrap interval. The signed mean effect (μ) gives the "
            "direction when it is about as large as the mean absolute effect; a spread (σ, the standard deviation "
            "of the elementary effects) large next to the mean absolute effect means the effect depends on where "
            "the other factors are (non-linearity or interactions).",
            "- Morris screens; it does not apportion variance (a Sobol' design does).",
        ]
    return [
        "## How to read this",
        "",
        *lines,
        "- Indices depend on the ranges: a factor given a wider range looks more influential.",
        "- Replication r uses the same seed at every design point (common random numbers), so an inert factor's "
        "indices are exactly 0; the rest of the model's noise shows up as small effects (and as spread). "
        "The results are not forecasts.",
    ]


def span_text(f: Factor) -> str:
    if len(f.span) == 2:
        return f"{f.text(f.span[0])} to {f.text(f.span[1])}"
    return ", ".join(f.text(v) for v in f.span) or "–"


def markdown(s: Sensitivity) -> str:
    title = {"morris": "Morris screening", "sobol": "Sobol' indices", None: "Sensitivity"}[s.method]
    intro = [
        f"{design_text(s)}{s.n_points} design points, {len(s.factors)} factors; each point's outcome is the mean of "
        "its replications on common random numbers.",
        "",
        *table(["Factor", "Unit", "Range"], [[f.label, f.unit or "–", span_text(f)] for f in s.factors], "lll"),
    ]
    sections = [intro, *(outcome_section(s, o) for o in s.outcomes), how_to_read(s)]
    return document(f"{title} of {len(s.factors)} factors", *sections)


class SensitivityReport(Report[Sensitivity]):
    """indices.md and plots/indices_<outcome>.png of a sensitivity folder, and the terminal summary."""

    document = "indices.md"

    def read(self, folder: Path) -> Sensitivity:
        return read_sensitivity(folder)

    def figures(self, data: Sensitivity) -> Iterator[tuple[str, Figure]]:
        return figures.figures(data)

    def markdown(self, data: Sensitivity, figures: Sequence[Path]) -> str:
        return markdown(data)

    def summary(self, folder: Path) -> list[str]:
        """The terminal lines: per outcome its three most influential factors with the index and its interval."""
        s = read_sensitivity(folder)
        lines = [f"sensitivity: {s.n_points} design points, {len(s.factors)} factors -> {folder}"]
        key = RANKED_BY[s.method or "morris"]
        named = RANKED_WORDS[key]  # said in full once, then plainly
        for name in s.outcomes:
            m = metric(name)
            if name in s.notes:
                lines.append(f"  {m.label}: not analysed ({s.notes[name]})")
                continue
            top = [
                f"{f.label} {index_text(s, m, s.index(name, f.key, key), key, raw=False)}" for f in s.ranked(name)[:3]
            ]
            lines.append(f"  {m.label} ({named[0]}): " + "; ".join(top))
            named = (named[1], named[1])
        return lines
