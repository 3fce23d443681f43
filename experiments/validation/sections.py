"""Sections of the validation report: closed-form checks, comparative statics, returns, Sobol' indices."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from experiments.validation.read import QUANTITIES, Level, Sobol, read_checks, read_returns, read_sobol, read_statics
from model.keys import describe
from model.outcomes import COST_EFFECTIVENESS, Metric, metric
from report.markdown import acts_on_words, image, lower_first, ratio_cell, table, with_ci
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
        mark = {True: "yes", False: "**no**", None: "–"}[s.as_expected]
        rows.append([f"{s.label} (`{s.scenario}`)", acts_on_words(s.acts_on), *cells, ratio, s.expected, mark])
    good = sum(s.as_expected is True for s in statics)
    return [
        f"## Comparative statics, {first}–{last}",
        "",
        f"Every shipped scenario with exactly one lever, applied to this scenario; each change is the paired "
        f"difference against it over {n} replications on common random numbers, with its 95% interval. Expected "
        "from what the lever acts on (DESIGN §3: staying, the push, or the destinations' appeal, the pull): a "
        "pull-only lever raises north-park jobs (interval above 0) and does not raise outside-province jobs "
        "(interval not above 0); a lever with a push part raises "
        f"relocated jobs. {good} of {len(statics)} levers behave as expected.",
        "",
        *table(
            ["Lever", "Acts on", *heads, metric(COST_EFFECTIVENESS).heading(), "Expected", "As expected"],
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
        return f"diminishing: the marginal return falls at every step ({span})"
    if last.marginal.mean < first.marginal.mean:
        ups = sum(f is False for f in falls)
        return f"diminishing overall ({span}), but it rises at {ups} of {len(falls)} steps"
    return f"not diminishing ({span})"


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
        f"Result: returns are **{verdict}**." if verdict else "Result: not enough levels to tell.",
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
        f"interval wider than ±{UNRESOLVED:g} means this budget does not resolve the index: raise "
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
    """`k of n outcomes` whose three largest total indices have 95% intervals within ±UNRESOLVED."""
    rows = [_sobol_row(s, outcome, effect_of) for outcome, effect_of in s.outcomes]
    return f"{sum(r[-1] == 'yes' for r in rows)} of {len(rows)} outcomes"


def ranked(s: Sobol, outcome: str, effect_of: str) -> list[tuple[str, Estimate, Estimate]]:
    keys = [r.key for r in s.ranges]
    entries = [(k, s.indices[(outcome, effect_of, k, "ST")], s.indices[(outcome, effect_of, k, "S1")]) for k in keys]
    return sorted(entries, key=lambda e: -e[1].mean if math.isfinite(e[1].mean) else math.inf)


def _index_text(e: Estimate) -> str:
    if not e.defined:
        return f"{e.mean:.2f}"
    return f"{e.mean:.2f} ({e.low:.2f} to {e.high:.2f})"


def _sobol_row(s: Sobol, outcome: str, effect_of: str) -> list[str]:
    entries = ranked(s, outcome, effect_of)
    cells = [f"`{k.removeprefix('behaviour.')}` {_index_text(st)}; {_index_text(s1)}" for k, st, s1 in entries[:TOP]]
    widths = [(st.high - st.low) / 2 for _k, st, _s1 in entries[:TOP] if st.defined]
    resolved = "yes" if widths and max(widths) <= UNRESOLVED else "no"
    return [outcome_label(outcome, effect_of), *cells, resolved]
