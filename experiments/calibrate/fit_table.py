"""The fit of a calibration's facts in words and tables: the model beside both yardsticks, and the evidence.

Read by the report (experiments.calibrate.report) from what experiments.calibrate.read
returns: per fact the posterior predictive value, the calibrated point, the
defaults, the null model, the gravity yardstick and random picks, and whether
the fact counts as evidence (`verdict`: experiments.facts.yardsticks.evidence
on the posterior's, the null model's and the gravity yardstick's `met`; a
folder written before the gravity yardstick existed is judged against the
null model alone).
"""

from __future__ import annotations

import math

from experiments.calibrate.read import FactFit, Result
from experiments.facts.gravity import FittedGravity
from experiments.facts.yardsticks import EVIDENCE, NOT_MET, UNDEFINED, evidence
from report.markdown import table

MODEL_WORDS = {
    "calibrated": "calibrated point",
    "defaults": "defaults",
    "null": "null model",
    "gravity": "gravity yardstick",
}


def verdict(f: FactFit) -> str:
    """Whether the fact counts as evidence (experiments.facts.yardsticks.evidence): the posterior predictive
    runs pooled meet its rule, and neither the null model nor the gravity yardstick does."""
    gravity = f.get("gravity")
    return evidence(f["posterior"].met, f["null"].met, gravity.met if gravity is not None else None)


def met_words(met: bool | None) -> str:
    return {True: "met", False: "not met", None: "undefined"}[met]


def interval(f: FactFit, r: Result) -> str:
    if not (math.isfinite(r.low) and math.isfinite(r.high)):
        return f.text(r.value)
    return f"{f.text(r.value)} ({f.text(r.low)} to {f.text(r.high)})"


def _cell(f: FactFit, model: str) -> str:
    r = f.get(model)
    if r is None:
        return "–"
    if model == "random":
        return f"mean {f.text(r.value)}, 95% quantile {f.text(r.high)}"
    share = f", {r.met_share:.0%}" if math.isfinite(r.met_share) else ""
    p = f" (p {r.p:.2g})" if math.isfinite(r.p) else ""
    return f"{interval(f, r)}; {met_words(r.met)}{p}{share}"


def _evidence_cell(f: FactFit) -> str:
    v = verdict(f)
    return f"**{v}**" if v == EVIDENCE else v


def fit_table(facts: list[FactFit], gravity: FittedGravity | None = None) -> list[str]:
    named = f"Gravity (a = {gravity.a:g}, b = {gravity.b:g})" if gravity is not None else "Gravity"
    headers = ["Fact", "Rule", "Posterior predictive", "Calibrated", "Defaults", "Null model", named, "Random"]
    models = ("posterior", "calibrated", "defaults", "null", "gravity", "random")
    rows = [[f.label, f.rule, *(_cell(f, m) for m in models), _evidence_cell(f)] for f in facts]
    return [
        *table([*headers, "Evidence"], rows, "l" * (len(headers) + 1)),
        "",
        "Each model cell: value (95% interval); the rule on all its runs pooled; the share of posterior draws "
        "(posterior) or of replications (the others) that meet the rule on their own. Random: what 5 cities picked "
        "at random from the candidates score (mean and 95% quantile: cities in common for a list compared as a "
        "set, whose rule asks for a count random picks reach with a chance ≤ 5%; rank-biased overlap for a ranked "
        "list, whose rule asks for more than the 95% quantile). Evidence: yes only where the posterior predictive "
        "runs meet the rule and neither the null model nor the gravity yardstick does.",
        "",
    ]


def fact_words(f: FactFit) -> str:
    """One bullet: the verdict and the numbers behind it."""
    post = f["posterior"]
    text = f"- **{f.label}: evidence — {verdict(f)}.** Observed: {f.observed}. Rule: {f.rule}. "
    text += f"Posterior predictive {interval(f, post)}"
    text += f", met by {post.met_share:.0%} of the draws on their own." if math.isfinite(post.met_share) else "."
    if post.met and math.isfinite(post.met_share) and post.met_share < 0.5:
        text += " Pooled the runs meet it, but most single draws do not: a weak reproduction."
    others = [f"{MODEL_WORDS[m]} {f.text(f[m].value)} ({met_words(f[m].met)})" for m in MODEL_WORDS if m in f.results]
    text += " " + "; ".join(others).capitalize() + "."
    if f.get("random") is not None:
        r = f["random"]
        text += f" Random picks: mean {f.text(r.value)}, 95% quantile {f.text(r.high)} ({r.detail})."
    if post.detail:
        text += f" Posterior runs pooled: {post.detail}."
    if f.get("gravity") is not None and f["gravity"].detail:
        text += f" Gravity yardstick: {f['gravity'].detail}."
    return text


def count(facts: list[FactFit]) -> str:
    """`2 of 6 count as evidence (a, b); met, but also by a yardstick: c (null), d (null and gravity); not met: e`."""
    v = {f.label: verdict(f) for f in facts}
    yes = [name for name, x in v.items() if x == EVIDENCE]
    text = f"{len(yes)} of {len(facts)} count as evidence" + (f" ({', '.join(yes)})" if yes else "")
    also = [f"{name} ({x.removeprefix('no: met by ')})" for name, x in v.items() if x.startswith("no: ")]
    if also:
        text += f"; met, but also by a yardstick: {', '.join(also)}"
    missed = [name for name, x in v.items() if x in (NOT_MET, UNDEFINED)]
    if missed:
        text += f"; not met: {', '.join(missed)}"
    return text


def summary_line(f: FactFit, width: int) -> str:
    """One fact in the terminal summary: the posterior, the yardsticks and the evidence."""
    post, null, gravity = f["posterior"], f["null"], f.get("gravity")
    line = (
        f"    {f.label:<{width}}  {met_words(post.met):<9} {interval(f, post):<32} "
        f"null {interval(f, null)} {met_words(null.met)}"
    )
    if gravity is not None:
        line += f"; gravity {interval(f, gravity)} {met_words(gravity.met)}"
    return f"{line}; evidence: {verdict(f)}"
