"""The report of a `report` folder: report.md, the figures and the terminal summary, from its tables.

Sections: how it was run (the budget); every fact beside the null model, the
gravity yardstick and random picks, with whether it counts as evidence (and,
for a calibration folder, fitted and held-out facts apart, with the posterior
and the defaults before calibration); what domain.md or the article states
that no fact measures, and why; the closed-form checks; each lever's
comparative static; the returns to a subsidy; the Sobol' indices
(experiments.validation.sections). Numbers of facts are written in their own
units (shares in %, correlations and overlaps as numbers, ratios as ×);
everything about jobs and money takes its words and format from the metric
catalogue (model.outcomes). The tables are read by experiments.validation.read,
the figures drawn by experiments.validation.figures; `ValidationReport` is
the command's report (experiments.engine.report).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from experiments.analysis.verdicts import replications_words
from experiments.engine.report import Report
from experiments.facts.hindcast_report import FIGURE, figure_lines
from experiments.facts.yardsticks import EVIDENCE, NOT_MET, UNDEFINED
from experiments.validation import figures
from experiments.validation.read import (
    FactRow,
    Validation,
    read_checks,
    read_coverage,
    read_facts,
    read_meta,
    read_sobol,
    read_statics,
    read_validation,
)
from experiments.validation.recovery import recovery_section
from experiments.validation.sections import (
    checks_section,
    returns_section,
    returns_verdict,
    sobol_resolved,
    sobol_section,
    statics_counts,
    statics_section,
)
from model.outcomes import percent_text
from report.markdown import document, image, table
from report.read import Estimate

if TYPE_CHECKING:
    from matplotlib.figure import Figure

ROLE_TITLES = {
    "fit": "Fitted facts (the calibration's targets)",
    "held_out": "Held-out facts (never seen by the calibration)",
    "other": "Other facts (neither fitted nor held out)",
    "": "Facts",
}


def fact_text(unit: str, value: float) -> str:
    """A fact's value in its unit: shares in %, correlations signed, ratios with ×, overlaps as numbers."""
    if not math.isfinite(value):
        return "–"
    if unit == "share":
        return percent_text(value)
    if unit == "correlation":
        return f"{value:+.2f}"
    if unit == "ratio":
        return f"{value:.3g}×"
    if unit == "count":
        return f"{value:.2f}".rstrip("0").rstrip(".")
    return f"{value:.2f}"


def fact_cell(unit: str, e: Estimate, met: bool | None) -> str:
    head = fact_text(unit, e.mean)
    if e.defined and e.low != e.high:
        head += f" ({fact_text(unit, e.low)} to {fact_text(unit, e.high)})"
    mark = {True: "met", False: "not met", None: "undefined"}[met]
    return f"{head}, {mark}"


def _random(f: FactRow) -> str:
    mean, q95 = f.random
    if not math.isfinite(mean):
        return "–"
    quantile = f"{q95:.0f}" if f.unit == "count" else f"{q95:.2f}"
    text = f"mean {mean:.2f}, 95% quantile {quantile}"
    return text + (f"; model's p {f.p_value:.2g}" if math.isfinite(f.p_value) else "")


def facts_table(facts: list[FactRow], calibration: bool, gravity: str = "") -> list[str]:
    headers = ["Fact", "Observed", "Rule", "Model (95% CI)", "Null model (95% CI)"]
    headers += [f"Gravity {gravity} (95% CI)".replace("  ", " "), "Random picks"]
    if calibration:
        headers += ["Posterior (95% of draws; share of draws met)", "Defaults before calibration"]
    headers.append("Evidence")
    rows = []
    for f in facts:
        row = [
            f"{f.label} (`{f.name}`)",
            f.observed,
            f.rule,
            fact_cell(f.unit, f.model, f.met),
            fact_cell(f.unit, f.null, f.null_met),
            fact_cell(f.unit, f.gravity, f.gravity_met),
            _random(f),
        ]
        if calibration:
            post = fact_cell(f.unit, f.posterior, f.posterior_met)
            share = f"{100 * f.posterior_share:.0f}%" if math.isfinite(f.posterior_share) else "–"
            row += [f"{post}; {share}", fact_cell(f.unit, f.defaults, f.defaults_met)]
        evidence = f"**{f.evidence}**" if f.evidence == EVIDENCE else f.evidence
        row.append(f"{evidence} (inconclusive)" if inconclusive(f) else evidence)
        rows.append(row)
    return table(headers, rows, "l" * len(headers))


def inconclusive(f: FactRow) -> bool:
    """Whether the model's 95 % interval crosses a finite edge of the band the fact's rule asks for, so that met
    or not met may change with more replications (facts without a fixed band, or without an interval, never)."""
    lo, hi = f.model.low, f.model.high
    if not (math.isfinite(lo) and math.isfinite(hi)) or lo >= hi:
        return False
    return any(math.isfinite(edge) and lo < edge < hi for edge in f.band)


def verdict_counts(facts: list[FactRow], replications: int | None = None) -> str:
    """`2 of 13 count as evidence (A low annual …; …) — met, but also by a yardstick: Most relocated jobs leave the
    province (null model); … — not met: …`, each fact by its label, not its id, and, given `replications`, the
    facts whose met or not met is inconclusive at that many (`inconclusive`)."""
    evidence = [f.label for f in facts if f.evidence == EVIDENCE]
    also = [f"{f.label} ({_yardsticks(f.evidence)})" for f in facts if f.evidence.startswith("no: ")]
    missed = [f.label for f in facts if f.evidence == NOT_MET]
    undefined = [f.label for f in facts if f.evidence == UNDEFINED]
    text = f"{len(evidence)} of {len(facts)} count as evidence" + (f" ({'; '.join(evidence)})" if evidence else "")
    if also:  # labels may hold commas: items are split by semicolons, groups by dashes
        text += f" — met, but also by a yardstick: {'; '.join(also)}"
    if missed:
        text += f" — not met: {'; '.join(missed)}"
    if undefined:
        text += f" — undefined: {'; '.join(undefined)}"
    open_ = [f.label for f in facts if inconclusive(f)]
    if replications is not None and open_:
        text += (
            f" — inconclusive at {replications_words(replications)} (the model's interval crosses the edge of "
            f"the rule's band, so met or not may change): {'; '.join(open_)}"
        )
    return text


def _yardsticks(evidence: str) -> str:
    """`no: met by null and gravity` -> `null model and gravity model`."""
    words = evidence.removeprefix("no: met by ").split(" and ")
    return " and ".join(f"{w} model" if w in ("null", "gravity") else w for w in words)


def gravity_words(meta: dict[str, Any]) -> str:
    """The fitted gravity yardstick in one phrase, from validation.json."""
    g = meta.get("gravity")
    if not isinstance(g, dict):
        return ""
    return f"(a = {g['a']:g}, b = {g['b']:g})"


def facts_section(folder: Path, meta: dict[str, Any], destinations: bool = False) -> list[str]:
    """The facts table(s) and figure; `destinations`: the hindcast destinations figure was drawn too."""
    facts = read_facts(folder)
    calibration = meta["mode"] == "calibration"
    first, last = meta["hindcast"]
    lines = [
        f"## Stylized facts and the article's facts, {first}–{last}",
        "",
        f"Each fact is measured on runs over the hindcast window {first}–{last} (the years of the article's lists): "
        f"the value pooled over {meta['replications']} replications, with the 95% interval of the mean of the "
        "per-replication values (a rank statistic of the pooled runs, such as ρ over four size bands, can lie "
        "outside it: one replication's bands are noisier than the pool's). "
        "Beside it, two yardsticks with the same push: the **null model** (every choice coefficient 0 and every "
        "nest λ 1, so that a mover picks any allowed destination with equal probability) and the **gravity "
        f"yardstick** {gravity_words(meta)} (every λ 1 and P(j) ∝ GDP_j^a · km^b, a and b fitted on a grid to "
        "the fitted facts, `gravity.csv`). A fact counts as **evidence** only where the model meets it and "
        "neither yardstick does. For the top-5 lists, random picks of five candidate cities give what chance "
        "scores: a list the source gives unordered is compared as a set (cities in common; its rule asks that "
        "random picks reach as many with a hypergeometric chance ≤ 5%), a ranked one also by rank-biased overlap.",
    ]
    if calibration:
        lines[-1] += (
            f" The model is the calibrated scenario (the point estimate); the posterior columns measure each fact "
            f"over {meta['draws']} posterior draws, each run {meta['replications']} times."
        )
    lines.append("")
    lines += [f"Evidence: {verdict_counts(facts, meta['replications'])}.", ""]
    roles = list(dict.fromkeys(f.role for f in facts))
    for role in roles:
        group = [f for f in facts if f.role == role]
        if len(roles) > 1 or role:
            lines += [f"### {ROLE_TITLES.get(role, role)}", "", f"{verdict_counts(group, meta['replications'])}.", ""]
        lines += [*facts_table(group, calibration, gravity_words(meta)), ""]
    lines += hand_rows_lines(facts, meta)
    lines += image(
        "plots/facts.png",
        "facts",
        "Each panel one fact: the model, the null model and the gravity yardstick (and the posterior), dot = "
        "pooled value, whisker = 95% interval; shaded: the band the fact's rule asks for, where it is one.",
    )
    details = [f"- `{f.name}`: model {f.detail}" for f in facts if f.detail]  # gravity's: gravity_detail in facts.csv
    if details:
        lines += ["What the model shows:", "", *details, ""]
    return lines + figure_lines(destinations)


def hand_rows_lines(facts: list[FactRow], meta: dict[str, Any]) -> list[str]:
    """Every fact with and without the data's rows set by hand (DESIGN §7), if the scenario has any."""
    n = int(meta.get("hand_seeded_rows") or 0)
    if not n or not any(math.isfinite(f.without_hand.mean) for f in facts):
        return []
    rows = []
    for f in facts:
        changed = f.met is not None and f.without_hand_met is not None and f.met != f.without_hand_met
        rows.append(
            [
                f"{f.label} (`{f.name}`)",
                ROLE_TITLES.get(f.role, f.role).split(" (")[0] if f.role else "",
                fact_cell(f.unit, f.model, f.met),
                fact_cell(f.unit, f.without_hand, f.without_hand_met),
                "**yes**" if changed else "no",
            ]
        )
    flips = sum(r[-1] != "no" for r in rows)
    return [
        f"### The facts without the {n} rows of data set by hand",
        "",
        f"`industry_base.csv` has {n} rows marked `seeded=hand` (set by hand, not by the data's rule: "
        "`model/data/README.md`). The model again on the same seeds with them left out "
        f"(`world.hand_seeded_rows: drop`): {flips} of {len(rows)} facts change between met and not met.",
        "",
        *table(["Fact", "Role", "Model", f"Without the {n} hand rows", "Met changes"], rows, "lllll"),
        "",
    ]


def coverage_section(folder: Path) -> list[str]:
    rows = read_coverage(folder)
    lines = [
        "### What the facts cover, and what they cannot",
        "",
        "Every stylized fact of domain.md, the article's facts and the park facts, with the facts that measure them:",
        "",
    ]
    cells = [
        [source, item, " ".join(f"`{x}`" for x in facts.split()) or "none", note or "–"]
        for source, item, facts, note in rows
    ]
    return lines + table(["Source", "Statement", "Measured by", "Why not, or where instead"], cells, "llll")


def gravity_budget(meta: dict[str, Any]) -> str:
    g = meta.get("gravity")
    if not isinstance(g, dict):
        return "- Gravity yardstick: not run (a folder written before it existed)."
    return (
        f"- Gravity yardstick: a and b fitted to {', '.join(f'`{x}`' for x in g['facts'])} on a grid of "
        f"{g['points']} points × {g['replications']} runs on seeds of their own ({g['runs']} runs; "
        f"experiments/facts/gravity.py): a = {g['a']:g}, b = {g['b']:g}, distance {g['distance']:.3g}"
        f"{tie_words(g.get('tied', 1), g['points'])}; its facts then on the model's seeds."
    )


def tie_words(tied: int, points: int) -> str:
    """What a flat grid means, when the least distance is shared."""
    if tied <= 1:
        return ""
    return (
        f" ({tied} of the {points} points share it: the fitted facts do not tell them apart, and the first in "
        "grid order is taken)"
    )


def intro(meta: dict[str, Any]) -> list[str]:
    sobol = meta.get("sobol")
    what = (
        f"the calibration folder `{meta['calibration']}` (its calibrated scenario `{meta['scenario']}`, the posterior "
        "and its fitted and held-out facts)"
        if meta["mode"] == "calibration"
        else f"the scenario `{meta['scenario']}` ({meta['target']})"
    )
    budget = [
        f"- Facts: {meta['replications']} replications per model over {meta['hindcast'][0]}–{meta['hindcast'][1]}"
        + (f", and {meta['draws']} posterior draws × {meta['replications']} replications" if meta["draws"] else "")
        + ".",
        f"- Comparative statics and returns: {meta['replications']} paired replications per scenario over the "
        f"report window {meta['report_window'][0]}–{meta['report_window'][1]}.",
    ]
    if sobol:
        budget.append(
            f"- Sobol' indices: N = {sobol['samples']} base samples × (k + 2) with k = {sobol['parameters']} "
            f"parameters = {sobol['parameter_sets']} parameter sets, each run once for the base and each of the "
            f"{len(meta['levers'])} single-lever scenarios: {sobol['runs']} runs."
        )
    else:
        budget.append("- Sobol' indices: skipped (--sobol-samples 0).")
    budget.append(gravity_budget(meta))
    budget.append(f"- {meta['firms']:,} simulated firms per run; {meta['runs']:,} distinct runs in all.")
    return [
        f"Validation of {what}: DESIGN §7's checks, computed when the report ran. Results compare the model with "
        "facts and with itself under changes; they are not forecasts.",
        "",
        "Budget:",
        "",
        *budget,
    ]


class ValidationReport(Report[Validation]):
    """report.md and plots/*.png of a report folder, and the terminal summary."""

    document = "report.md"

    def read(self, folder: Path) -> Validation:
        return read_validation(folder)

    def figures(self, data: Validation) -> Iterator[tuple[str, Figure]]:
        return figures.figures(data)

    def markdown(self, data: Validation, figures: Sequence[Path]) -> str:
        folder, meta = data.folder, data.meta
        return document(
            f"Validation report: `{meta['calibration'] or meta['scenario']}`",
            intro(meta),
            facts_section(folder, meta, any(p.name == FIGURE for p in figures)),
            coverage_section(folder),
            checks_section(folder),
            statics_section(folder, meta),
            returns_section(folder, meta),
            sobol_section(folder, meta),
            recovery_section(),
        )

    def summary(self, folder: Path) -> list[str]:
        """The terminal lines: the verdicts, the checks, the statics and the returns."""
        meta = read_meta(folder)
        facts = read_facts(folder)
        checks = read_checks(folder)
        statics = read_statics(folder)
        lines = [f"validation report of {meta['calibration'] or meta['scenario']} -> {folder}"]
        lines.append(f"  facts: {verdict_counts(facts, int(meta['replications']))}")
        lines.append(f"  closed-form checks: {sum(c.passed for c in checks)} of {len(checks)} passed")
        if statics:
            lines.append(f"  comparative statics: {statics_counts(statics)}")
        verdict = returns_verdict(folder)
        if verdict:
            lines.append(f"  returns to relocation aid: {verdict}")
        sobol = read_sobol(folder)
        if sobol is not None:
            info = meta["sobol"]
            lines.append(
                f"  Sobol' indices: N = {info['samples']}, {info['parameters']} parameters, {info['runs']} runs; "
                f"resolved: {sobol_resolved(sobol)}"
            )
        return lines

    def replications(self, folder: Path) -> int | None:
        return int(read_meta(folder)["replications"])
