"""Sections of the validation report: closed-form checks, comparative statics, returns, Sobol' indices."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from experiments.analysis.verdicts import Verdict, count_text, replications_words, signs_agree
from experiments.validation.read import (
    QUANTITIES,
    Level,
    Sobol,
    Static,
    read_checks,
    read_returns,
    read_sobol,
    read_statics,
)
from model.keys import describe
from model.outcomes import COST_EFFECTIVENESS, Metric, metric
from report.markdown import acts_on_words, image, lower_first, ratio_cell, sobol_in_range, sobol_text, table, with_ci
from report.read import Estimate

AID_KEY = "policies.relocation_aid.yuan_per_job"
NORTH_PER_MILLION = Metric(
    "north_jobs_per_million_yuan",
    "North-park jobs per CNY m",
    "jobs",
    "Jobs moved to north parks per million yuan of fiscal cost.",
    (-math.inf, math.inf),
)
UNRESOLVED = 0.25  # a Sobol' index whose 95% interval is wider than ±0.25 is not resolved by the budget
TOP = 3


def _num(value: float) -> str:
    if not math.isfinite(value):
        return "–"
    return f"{value:.6g}" if abs(value) >= 1e-4 or value == 0 else f"{value:.3e}"


def checks_section(folder: Path) -> list[str]:
    checks = read_checks(folder)
    failed = [c for c in checks if not c.passed]
    head = (
        f"All {len(checks)} checks pass."
        if not failed
        else f"**{len(failed)} of {len(checks)} checks FAIL**: " + "; ".join(c.check for c in failed) + "."
    )
    rows = [
        [c.check, _num(c.expected), _num(c.got), _num(c.tolerance), "yes" if c.passed else "**no**"] for c in checks
    ]
    return [
        "## Closed-form checks",
        "",
        "Computed when the report ran. The conditional logit (every λ = 1) and the nested logit of model/nested.py "
        "on a stated case of five destinations in two nests, against the formulas written out "
        "(experiments/validation/closed_form.py); the nest shares n_g^λ_g / Σ_h n_h^λ_h of zero utilities on the "
        "scenario's "
        "destinations; and a simulated year of the model with its state fixed (every firm moving, one batch): the "
        "movers' destination shares against the model's own probabilities, within 4 binomial standard errors per "
        "nest, and the largest |z| over all destinations within the Šidák bound; and the gravity yardstick at its "
        "fitted a and b: the model's own choice probabilities from each origin against GDP^a · km^b / Σ. Exact "
        "checks: absolute tolerance 1e-12.",
        "",
        head,
        "",
        *table(["Check", "Expected", "Got", "Tolerance", "Passed"], rows, "lrrrl"),
    ]


def statics_section(folder: Path, meta: dict[str, Any]) -> list[str]:
    statics = read_statics(folder)
    first, last = meta["report_window"]
    n = statics[0].replications if statics else 0
    heads = [metric(q).heading(change=True) for q in QUANTITIES]
    rows = []
    for s in statics:
        cells = [with_ci(metric(q), *_triple(s.changes[q]), change=True) for q in QUANTITIES]
        pj = s.per_north_job
        ratio = ratio_cell(pj.mean, pj.low, pj.high, s.replications)
        rows.append(
            [f"{s.label} (`{s.scenario}`)", acts_on_words(s.acts_on), *cells, ratio, s.expected, verdict_cell(s)]
        )
    return [
        f"## Comparative statics, {first}–{last}",
        "",
        f"Every shipped scenario with exactly one lever, applied to this scenario; each change is the paired "
        f"difference against it over {n} replications on common random numbers, with its 95% interval. Expected "
        "from what the lever acts on (DESIGN §3: staying, the push, or the destinations' appeal, the pull): a "
        "pull-only lever raises north-park jobs (interval above 0) and does not raise outside-province jobs "
        "(interval not above 0); a lever with a push part raises relocated jobs. A lever is *contrary* when an "
        "interval lies on the wrong side of 0, and *inconclusive* when an interval it is judged by includes 0 (its "
        f"mean's sign is given beside it): more replications may tell. Comparative statics: {statics_counts(statics)}.",
        "",
        *table(
            ["Lever", "Acts on", *heads, metric(COST_EFFECTIVENESS).heading(), "Expected", "Verdict"],
            rows,
            "llrrrrrll",
        ),
        "",
        *image(
            "plots/statics.png",
            "statics",
            "Paired changes in north-park and outside-province jobs per lever, with 95% intervals.",
        ),
    ]


def _agrees(s: Static) -> bool:
    return signs_agree(s.acts_on.split(), {q: e.mean for q, e in s.changes.items()})


def verdict_cell(s: Static) -> str:
    """`as expected`, `**contrary**`, `inconclusive (means as expected)` / `(a mean against)`, `undefined`."""
    if s.verdict == Verdict.CONTRARY:
        return "**contrary**"
    if s.verdict == Verdict.INCONCLUSIVE:
        return "inconclusive (means as expected)" if _agrees(s) else "inconclusive (a mean against)"
    return str(s.verdict)


def statics_counts(statics: Sequence[Static]) -> str:
    """`2 of 8 levers as expected, 0 contrary, 6 inconclusive at 3 replications (6 with every mean as expected)`."""
    n = max((s.replications for s in statics), default=0)
    text = count_text([s.verdict for s in statics], "levers", n)
    open_ = [s for s in statics if s.verdict == Verdict.INCONCLUSIVE]
    if open_:
        text += f" ({sum(_agrees(s) for s in open_)} of them with every mean as expected)"
    return text


def _triple(e: Estimate) -> tuple[float, float, float]:
    return e.mean, e.low, e.high


def returns_verdict(folder: Path) -> str:
    levels = [lv for lv in read_returns(folder) if math.isfinite(lv.marginal.mean)]
    if len(levels) < 2:
        return ""
    first, last = levels[0], levels[-1]
    falls = [lv.falling for lv in levels[1:]]
    span = f"{first.marginal.mean:.3g} to {last.marginal.mean:.3g} north jobs per extra CNY m"
    if all(f is True for f in falls):
        words = f"diminishing: the marginal return falls at every step ({span})"
    elif last.marginal.mean < first.marginal.mean:
        ups = sum(f is False for f in falls)
        words = f"diminishing overall ({span}), but it rises at {ups} of {len(falls)} steps"
    else:
        words = f"not diminishing ({span})"
    return f"{returns_state(first.marginal, last.marginal, last.replications)}; by the point estimates, {words}"


def returns_state(first: Estimate, last: Estimate, replications: int) -> str:
    """Diminishing as expected (the last step's interval lies below the first's), contrary (above), or
    inconclusive at this many replications (they overlap, or one is not defined: Fieller's interval of a step
    whose north-jobs change cannot be told from 0). The words after it go by the point estimates."""
    if first.defined and last.defined and last.high < first.low:
        return f"{Verdict.AS_EXPECTED} (the last step's interval lies below the first's)"
    if first.defined and last.defined and last.low > first.high:
        return f"{Verdict.CONTRARY} (the last step's interval lies above the first's)"
    return f"{Verdict.INCONCLUSIVE} at {replications_words(replications)} (the first and last steps' intervals overlap)"


def returns_section(folder: Path, meta: dict[str, Any]) -> list[str]:
    levels = read_returns(folder)
    if not levels:
        return ["## Diminishing returns to subsidies", "", "No relocation-aid scenario is shipped: not measured."]
    info = describe(AID_KEY)
    money = metric("fiscal_cost_yuan")
    per_job = metric("cost_per_north_job_yuan")
    rows = [_level_row(lv, per_job, money) for lv in levels]
    verdict = returns_verdict(folder)
    return [
        "## Diminishing returns to subsidies",
        "",
        f"{info.label} (`{AID_KEY}`) swept on common random numbers over {len(levels)} levels, with the annual "
        "budget scaled in proportion (so the fund's cap on jobs paid per year stays the shipped scenario's and "
        f"does not cause the result); {levels[0].replications} replications, {meta['report_window'][0]}–"
        f"{meta['report_window'][1]}. Marginal: the change from the level before, as a ratio of paired mean changes "
        "(Fieller's interval).",
        "",
        f"Result, against the expectation that returns diminish: **{verdict}**."
        if verdict
        else "Result: not enough levels to tell.",
        "",
        *table(
            [
                f"{info.label} (CNY per job)",
                "Annual budget",
                metric("to_north_jobs").heading(change=True),
                money.heading(change=True),
                f"Average {lower_first(NORTH_PER_MILLION.label)}",
                f"Marginal {lower_first(NORTH_PER_MILLION.label)} (95% CI)",
                "Falling",
            ],
            rows,
            "rrrrrrl",
        ),
        "",
        *image(
            "plots/returns.png",
            "returns",
            "Left: north-park jobs gained over the base by the payment per job. Right: the marginal north jobs per "
            "extra CNY m between consecutive levels; whiskers: 95% intervals.",
        ),
    ]


def _level_row(lv: Level, per_job: Metric, money: Metric) -> list[str]:
    marginal = NORTH_PER_MILLION.interval_text(*_triple(lv.marginal))
    falling = {True: "yes", False: "no", None: "–"}[lv.falling]
    return [
        per_job.text(lv.yuan_per_job),
        money.text(lv.budget),
        with_ci(metric("to_north_jobs"), *_triple(lv.gain), change=True),
        with_ci(money, *_triple(lv.cost), change=True),
        NORTH_PER_MILLION.text(lv.average),
        marginal,
        falling,
    ]


def outcome_label(outcome: str, effect_of: str) -> str:
    m = metric(outcome)
    return f"{m.heading(change=True)} by `{effect_of}`" if effect_of else m.label


def sobol_section(folder: Path, meta: dict[str, Any]) -> list[str]:
    s = read_sobol(folder)
    head = ["## Global sensitivity (Sobol' indices)", ""]
    if s is None:
        return [*head, "Skipped (--sobol-samples 0)."]
    info = meta["sobol"]
    ranges = [[f"{r.label} (`{r.key}`)", f"{r.low:.4g} to {r.high:.4g}", f"{r.centre:.4g}"] for r in s.ranges]
    lines = [
        *head,
        f"SALib's Saltelli design over {info['parameters']} parameters, ranges from {info['ranges']}: "
        f"N = {info['samples']} base samples, {info['parameter_sets']} parameter sets, each run once for the base "
        f"and each single-lever scenario on one seed ({info['runs']} runs). Outcomes over the report window: the "
        "headline metrics of the base, and each lever's paired effect on jobs moved north and outside the province. "
        "S1: the share of an outcome's variance due to a parameter alone; ST: including its interactions; 95% "
        f"bootstrap intervals. One run per parameter set puts the Monte-Carlo noise into the variance, and an "
        f"interval wider than ±{UNRESOLVED:g}, or an estimate outside 0 to 1 (shown as *unresolved*, with its "
        "raw value; `sobol.csv` keeps it), means this budget does not resolve the index: raise "
        "`--sobol-samples` (run time grows in proportion).",
        "",
        *table(["Parameter", "Range", "Scenario's value"], ranges, "lrr"),
        "",
        f"The {TOP} parameters with the largest total index per outcome:",
        "",
    ]
    rows = [_sobol_row(s, outcome, effect_of) for outcome, effect_of in s.outcomes]
    lines += [f"Resolved at this budget: {sobol_resolved(s)}.", ""]
    lines += table(["Outcome", *(f"#{i + 1}: ST; S1" for i in range(TOP)), "Resolved"], rows, "lllll")
    for outcome, effect_of, note in s.notes:
        lines += ["", f"- {outcome_label(outcome, effect_of)}: {note}."]
    lines += [
        "",
        *image(
            "plots/sobol.png", "sobol", "Total Sobol' index ST of each parameter (columns) for each outcome (rows)."
        ),
    ]
    return lines


def sobol_resolved(s: Sobol) -> str:
    """`k of n outcomes` whose three largest total indices lie in [0, 1] with 95% intervals within ±UNRESOLVED."""
    rows = [_sobol_row(s, outcome, effect_of) for outcome, effect_of in s.outcomes]
    return f"{sum(r[-1] == 'yes' for r in rows)} of {len(rows)} outcomes"


def ranked(s: Sobol, outcome: str, effect_of: str) -> list[tuple[str, Estimate, Estimate]]:
    keys = [r.key for r in s.ranges]
    entries = [(k, s.indices[(outcome, effect_of, k, "ST")], s.indices[(outcome, effect_of, k, "S1")]) for k in keys]

    return sorted(entries, key=lambda e: -e[1].mean if math.isfinite(e[1].mean) else math.inf)


def _index_text(e: Estimate) -> str:
    """An index with its interval; `unresolved (raw: …)` outside [0, 1] (sobol.csv keeps the raw values)."""
    text = f"{e.mean:.2f}" if not e.defined else f"{e.mean:.2f} ({e.low:.2f} to {e.high:.2f})"
    return sobol_text(e.mean, text)


def _sobol_row(s: Sobol, outcome: str, effect_of: str) -> list[str]:
    entries = ranked(s, outcome, effect_of)
    cells = [f"`{k.removeprefix('behaviour.')}` {_index_text(st)}; {_index_text(s1)}" for k, st, s1 in entries[:TOP]]
    widths = [(st.high - st.low) / 2 for _k, st, _s1 in entries[:TOP] if st.defined]
    inside = all(sobol_in_range(e.mean) for _k, st, s1 in entries[:TOP] for e in (st, s1))
    resolved = "yes" if widths and max(widths) <= UNRESOLVED and inside else "no"
    out = [
        f"`{k.removeprefix('behaviour.')}`"
        for k, st, _s1 in entries
        if math.isfinite(st.mean) and not sobol_in_range(st.mean)
    ]
    if out:  # every parameter whose ST estimate lies outside [0, 1], shown or not among the largest
        resolved += f" (ST unresolved: {', '.join(out)})"
    return [outcome_label(outcome, effect_of), *cells, resolved]
