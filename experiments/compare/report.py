"""The report of a `compare` folder: comparison.md, the figures and the terminal summary, from its tables.

comparison.md leads with the decision table (decision.csv): per scenario the
paired changes against the baseline in north-park, outside-province and all
relocated jobs, the extra fiscal cost and the marginal fiscal cost per extra north-park job
(Fieller's interval, which does not exist when the change in north jobs cannot
be told from 0). Then the shares and levels per scenario (comparison.csv),
what pairing gained, how it was run (scenarios/*.resolved.yaml) and what the
numbers mean. Every number and label comes from the metric catalogue. A
folder run with `--posterior DIR` adds the section on parameter uncertainty
(report.uncertainty) and its figure (report.figures.uncertainty), and its
intervals are the posterior's (“95% of draws”: empirical quantiles); over a
thin ensemble (`--allow-thin`) every table and figure title says so. The tables are read by
experiments.compare.read; `CompareReport` is the command's report
(experiments.engine.report).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from experiments.compare import figures
from experiments.compare.read import LEVELS, SHARES, Comparison, read_comparison
from experiments.compare.stopping import stopping
from experiments.compare.verdicts import counts_text, verdict_text
from experiments.engine.report import Report
from model.outcomes import COST_EFFECTIVENESS, DECISION, Metric, metric, number_text
from report import uncertainty
from report.figures import uncertainty as uncertainty_figures
from report.markdown import (
    document,
    image,
    lever_label,
    lower_first,
    one_replication_note,
    range_text,
    ratio_cell,
    table,
    with_ci,
)
from report.posterior import PosteriorReport, marked
from report.read import Estimate

if TYPE_CHECKING:
    from matplotlib.figure import Figure

PAIRING = ("north_share_jobs", "to_north_jobs", "relocated_jobs")
SUMMARY = ("north_share_jobs", *DECISION)


# --------------------------------------------------------------------------- Markdown


def decision_cells(c: Comparison, scenario: str) -> list[str]:
    """One decision-table row after the scenario's name: the changes with their intervals, then yuan per job."""
    words = uncertainty.cell_words(c.posterior)
    cells = [with_ci(metric(q), *_triple(c.change(scenario, q)), change=True, **words) for q in DECISION]
    ratio = c.change(scenario, COST_EFFECTIVENESS)
    return [*cells, ratio_cell(ratio.mean, ratio.low, ratio.high, c.replications, **words)]


def decision_headers() -> list[str]:
    return [*(metric(q).heading(change=True) for q in DECISION), metric(COST_EFFECTIVENESS).heading()]


def _triple(e: Estimate) -> tuple[float, float, float]:
    return e.mean, e.low, e.high


def _decision(c: Comparison) -> list[str]:
    lines = [
        marked(f"## Decision table: each scenario against `{c.baseline}`", c.posterior),
        "",
        *table(["Scenario", *decision_headers()], [[f"`{s}`", *decision_cells(c, s)] for s in c.others]),
        "",
        f"Changes are paired: scenario minus baseline in the same replication (same seed), averaged over "
        f"{c.replications} replication(s), with 95% confidence intervals (CI). A change whose interval includes 0 "
        "cannot be told from simulation noise. The marginal fiscal cost per extra north-park job"
        " is the extra fiscal cost divided "
        "by the change in jobs moved to north parks, with Fieller's interval; when that change is not "
        "distinguishable from 0 no interval exists and the ratio says little."
        if c.posterior is None
        else uncertainty.decision_words(c.posterior, "scenario minus baseline"),
        "",
    ]
    return lines + _readings(c)


def _readings(c: Comparison) -> list[str]:
    """Per scenario, in words: which changes are distinguishable from noise, and share down while jobs go up."""
    lines = []
    for s in c.others:
        clear = [q for q in DECISION if c.change(s, q).excludes_zero()]
        noise = [q for q in DECISION if c.change(s, q).within_noise()]
        parts = []
        if clear:
            parts.append("distinguishable from the baseline: " + ", ".join(_change_words(c, s, q) for q in clear))
        if noise:
            parts.append(
                ("within noise: " if c.posterior is None else "interval includes 0: ")
                + ", ".join(lower_first(metric(q).label) for q in noise)
            )
        if parts:
            lines.append(f"- `{s}`: " + "; ".join(parts) + ".")
        share = c.row(s, "outside_share_jobs").diff
        jobs = c.change(s, "to_outside_jobs")
        if share.mean < 0 < jobs.mean:
            m_share, m_jobs, m_all = metric("outside_share_jobs"), metric("to_outside_jobs"), metric("relocated_jobs")
            note = " (that rise is within noise)" if jobs.within_noise() else ""
            lower = f"{lower_first(m_share.label)} ({m_share.text(share.mean, change=True)})"
            raise_ = f"{lower_first(m_jobs.label)} ({m_jobs.text(jobs.mean, change=True)}){note}"
            more = m_all.text(c.change(s, "relocated_jobs").mean, change=True)
            lines.append(
                f"- **`{s}` lowers the {lower} but raises the {raise_}**: it moves more jobs in all ({more}), so a "
                "smaller share of a larger flow still leaves the province."
            )
    return [*lines, ""] if lines else []


def _change_words(c: Comparison, s: str, q: str) -> str:
    return f"{lower_first(metric(q).label)} {metric(q).text(c.change(s, q).mean, change=True)}"


def _cell(m: Metric, e: Estimate, change: bool = False, posterior: PosteriorReport | None = None) -> str:
    return with_ci(m, e.mean, e.low, e.high, change=change, **uncertainty.cell_words(posterior))


def _headline(c: Comparison) -> list[str]:
    share_headers = []
    for q in SHARES:
        share_headers += [metric(q).heading(), metric(q).heading(change=True)]
    share_rows = []
    for s in c.scenarios:
        cells = [f"`{s}`" + (" (baseline)" if s == c.baseline and s != "baseline" else "")]
        for q in SHARES:
            r = c.row(s, q)
            diff = "–" if s == c.baseline else _cell(metric(q), r.diff, True, c.posterior)
            cells += [_cell(metric(q), r.value, posterior=c.posterior), diff]
        share_rows.append(cells)
    level_rows = [
        [f"`{s}`", *(_cell(metric(q), c.row(s, q).value, posterior=c.posterior) for q in LEVELS)] for s in c.scenarios
    ]
    return [
        marked("## Shares of relocated jobs", c.posterior),
        "",
        *table(["Scenario", *share_headers], share_rows),
        "",
        (
            "Mean over the replications with its 95% CI (for shares on the logit scale, so it stays within 0–100%); "
            if c.posterior is None
            else "Mean over the posterior draws with the 2.5% to 97.5% quantiles of the draws (within 0–100% for "
            "shares, within the levers' budgets for spending); "
        )
        + "changes are paired differences against the baseline in percentage points (pp).",
        "",
        marked("## Jobs and cost", c.posterior),
        "",
        *table(["Scenario", *(metric(q).heading() for q in LEVELS)], level_rows),
        "",
    ]


def _pairing(c: Comparison) -> list[str]:
    if c.posterior is not None:  # the unpaired interval needs independent seeds
        return []
    rows = []
    for s in c.others:
        for q in PAIRING:
            r, m = c.row(s, q), metric(q)
            ratio = r.width_ratio
            ok = math.isfinite(ratio) and ratio > 0
            rows.append(
                [
                    f"`{s}`",
                    m.label,
                    range_text(m, r.diff.low, r.diff.high, change=True),
                    range_text(m, r.unpaired.low, r.unpaired.high, change=True),
                    f"{ratio:.2f}" if ok else "–",
                    f"{1 / ratio**2:,.1f}×" if ok else "–",
                ]
            )
    headers = ["Scenario", "Quantity", "Paired 95% CI", "Unpaired (Welch) 95% CI", "Width ratio", "Runs saved"]
    return [
        "## What pairing gained",
        "",
        *table(headers, rows),
        "",
        "Width ratio: paired CI width ÷ the Welch CI width the same runs would give with independent seeds. "
        "Runs saved: how many times as many replications independent runs would need for the same precision "
        "(1 ÷ ratio²). Pairing gains most for a small lever, whose runs follow the baseline's closely.",
        "",
    ]


def _how(c: Comparison) -> list[str]:
    base = c.resolved[c.baseline]
    rows = [
        [
            f"`{s}`",
            "baseline" if s == c.baseline else "policy",
            ", ".join(lever_label(k) for k in c.resolved[s].levers) or "none",
            c.resolved[s].description or "–",
        ]
        for s in c.scenarios
    ]
    lines = [
        marked("## How it was run", c.posterior),
        "",
        *table(["Scenario", "Role", "Levers", "Description"], rows, "llll"),
        "",
    ]
    facts = [f"{c.replications} replication(s) per scenario on common random numbers"]
    if c.posterior is not None:
        facts[0] = f"{c.posterior.draws} posterior draws × {c.replications} replication(s) per scenario"
        facts.append(uncertainty.seed_words(c.posterior, base.seed))
    elif base.seed is not None:
        facts.append(f"replication seeds `SeedSequence({base.seed}).spawn({c.replications})` (master seed {base.seed})")
    if base.years is not None:
        facts.append(f"years {base.years[0]}–{base.years[1]}")
    if base.firms is not None:
        stands = f", standing for {number_text(base.represented)}" if base.represented else ""
        facts.append(f"{base.firms:,} simulated firms{stands}")
    lines += [
        "- " + "; ".join(facts) + ".",
        "- Replication r of every scenario uses the same seed and each firm draws the same random numbers whatever "
        "the policy, so the scenarios differ by policy, not by noise. Seeds, versions and timings are in "
        "`manifest.json`; the resolved scenarios in `scenarios/`.",
        "",
        *stopping(c.folder),
    ]
    return lines


def _meaning(c: Comparison) -> list[str]:
    return [
        marked("## What the numbers do and do not mean", c.posterior),
        "",
        "- The intervals measure Monte-Carlo noise across replications only. They do not include uncertainty in "
        "the behavioural coefficients or the data (`sweep` and `sensitivity` explore those)."
        if c.posterior is None
        else "- " + uncertainty.MEANING_POSTERIOR,
        "- The results are comparative: each scenario against the same baseline on the same seeds. They are not "
        "forecasts of relocations in Jiangsu.",
        "- Shares are of all jobs relocated over the horizon; a lower outside-province share can come with more "
        "outside-province jobs when a package moves more jobs in all (the decision table shows both).",
        "- Where the marginal fiscal cost per extra north-park job"
        " says that its CI is not defined, the change in north jobs cannot "
        "be told from 0: " + ("Fieller's interval" if c.posterior is None else "an interval") + " of the ratio is "
        "then unbounded and the ratio can be anything.",
        "- Files: `decision.csv`, `comparison.csv` (a row per scenario and metric), `timeseries.csv` (per scenario, "
        "replication and year), `scenarios/`, `runs/` (one file per run, reused by `--resume`).",
        "",
    ]


def markdown(c: Comparison) -> str:
    intro = [
        f"{len(c.others)} scenario(s) against the baseline `{c.baseline}`, {c.replications} replication(s) each on "
        "common random numbers. Every change is a paired difference with its 95% confidence interval."
        if c.posterior is None
        else f"{len(c.others)} scenario(s) against the baseline `{c.baseline}` over a calibration's posterior. "
        + uncertainty.interval_words(c.posterior),
        *one_replication_note(c.replications),
        "",
        f"Verdicts against what the levers each scenario adds lead one to expect (as expected when every interval "
        f"it is judged by lies on the expected side of 0, contrary when one lies on the other side, inconclusive "
        f"when one includes 0): {counts_text(c)}.",
        "",
        *(f"- `{s}`: {verdict_text(c, s)}." for s in c.others),
    ]
    figures = [
        marked("## Figures", c.posterior),
        "",
        *image(
            "plots/forest.png",
            marked("Paired changes against the baseline", c.posterior),
            "Each scenario's paired change in each headline quantity: dot and thick line, mean and 95% CI; thin "
            "grey line, the unpaired (Welch) CI of the same difference. The vertical line marks no change."
            if c.posterior is None
            else "Each scenario's paired change in each headline quantity: dot and thick line, the mean over the "
            "posterior draws and the 2.5% to 97.5% quantiles of the draws. The vertical line marks no change.",
        ),
        *image(
            "plots/timeseries.png",
            marked("North-park share per year", c.posterior),
            "Top: the north-park share of the jobs relocated each year, per scenario (mean and "
            + ("95% CI band" if c.posterior is None else "the band of the 2.5% to 97.5% quantiles of the draws")
            + "). Bottom: the paired change against the baseline, year by year.",
        ),
    ]
    post = uncertainty.section(c.posterior, "Scenario", "every scenario") if c.posterior is not None else []
    sections = [intro, _decision(c), post, _headline(c), _pairing(c), _how(c), _meaning(c), figures]
    return document(marked(f"Policy comparison against `{c.baseline}`", c.posterior), *sections)


class CompareReport(Report[Comparison]):
    """comparison.md and plots/*.png of a compare folder, and the terminal summary."""

    document = "comparison.md"

    def read(self, folder: Path) -> Comparison:
        return read_comparison(folder)

    def figures(self, data: Comparison) -> Iterator[tuple[str, Figure]]:
        yield from figures.figures(data)
        if data.posterior is not None:
            yield from uncertainty_figures.figures(data.posterior, figures.scenario_labels(data))

    def markdown(self, data: Comparison, figures: Sequence[Path]) -> str:
        return markdown(data)

    def summary(self, folder: Path) -> list[str]:
        """The terminal lines: per scenario the paired changes and the marginal cost per north job."""
        c = read_comparison(folder)
        draws = f"{c.posterior.draws} posterior draws × " if c.posterior is not None else ""
        runs = f"{draws}{c.replications} replication(s)"
        thin = f" — {c.posterior.mark}" if c.posterior is not None and c.posterior.mark else ""
        lines = [f"compare: {len(c.others)} scenario(s) against {c.baseline}, {runs}{thin} -> {folder}"]
        labels = [metric(q).label for q in (*SUMMARY, COST_EFFECTIVENESS)]
        width = max(len(label) for label in labels)
        lines.append(f"  verdicts: {counts_text(c)}")
        for s in c.others:
            lines.append(f"  {s}: {verdict_text(c, s)}")
            for q in SUMMARY:
                e = c.row(s, q).diff if q == "north_share_jobs" else c.change(s, q)
                lines.append(f"    {metric(q).label:<{width}}  {_cell(metric(q), e, True, c.posterior)}")
            r = c.change(s, COST_EFFECTIVENESS)
            words = uncertainty.cell_words(c.posterior)
            ratio = ratio_cell(r.mean, r.low, r.high, c.replications, compact=True, **words)
            lines.append(f"    {labels[-1]:<{width}}  {ratio}")
        return lines

    def replications(self, folder: Path) -> int | None:
        """Over a posterior the intervals are the draws' quantiles, not t intervals: no warning then."""
        c = read_comparison(folder)
        return c.replications if c.posterior is None else None
