"""The report of an `attribute` folder: attribution.md, the waterfalls and the terminal summary, from its tables.

attribution.md leads with the decision table per lever (decision.csv,
levers.csv): its Shapley share of the changes in north-park, outside-province
and all relocated jobs and in fiscal cost, the marginal fiscal cost per extra north-park job
with Fieller's interval, and the lever's own spending, ranked by the change in
north-park jobs, with whether the lever acts on staying (push) or on
destinations (pull). Then, per metric, the Shapley table (attribution.csv,
totals.csv) with the alone and last effects and the interactions. A folder
run with `--posterior DIR` adds the section on parameter uncertainty and the
robustness of the lever ranking (report.uncertainty) with its figure
(report.figures.uncertainty), and its intervals are the posterior's (“95% of
draws”: empirical quantiles); over a thin ensemble (`--allow-thin`) every
table and figure title says so. The
tables are read by experiments.attribute.read; `AttributeReport` is the
command's report (experiments.engine.report).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from experiments.analysis.verdicts import Verdict, count_text, lever_verdict, replications_words
from experiments.attribute import figures
from experiments.attribute.read import OWN_SPEND, Attribution, Lever, read_attribution
from experiments.engine.report import Report
from model.outcomes import COST_EFFECTIVENESS, DECISION, Metric, metric
from report import uncertainty
from report.figures import uncertainty as uncertainty_figures
from report.markdown import (
    SHARE_OF_TOTAL,
    change_unit,
    document,
    image,
    lower_first,
    one_replication_note,
    ratio_cell,
    table,
    with_ci,
)
from report.posterior import marked
from report.read import Estimate

if TYPE_CHECKING:
    from matplotlib.figure import Figure

OWN_SPEND_METRIC = Metric(OWN_SPEND, "Own spending", "yuan", "What the lever itself spent in the full package.")

# --------------------------------------------------------------------------- Markdown


def quantity_metric(q: str) -> Metric:
    return OWN_SPEND_METRIC if q == OWN_SPEND else metric(q)


def decision_headers() -> list[str]:
    heads = [metric(q).heading(change=True) for q in DECISION]
    return ["Lever", "Acts on", *heads, metric(COST_EFFECTIVENESS).heading(), OWN_SPEND_METRIC.heading()]


def decision_cells(a: Attribution, lever: Lever) -> list[str]:
    """One lever's decision row: label, side, Shapley changes, yuan per additional north job, own spending."""
    cells = [lever.label, lever.acts_on]
    w = uncertainty.cell_words(a.posterior)
    for q in DECISION:
        e = a.change(lever.key, q)
        cells.append(with_ci(metric(q), e.mean, e.low, e.high, change=True, **w))
    r = a.change(lever.key, COST_EFFECTIVENESS)
    own = a.change(lever.key, OWN_SPEND)
    return [*cells, ratio_cell(r.mean, r.low, r.high, a.replications, **w), with_ci(OWN_SPEND_METRIC, *_t(own), **w)]


def _t(e: Estimate) -> tuple[float, float, float]:
    return e.mean, e.low, e.high


def package_cells(a: Attribution) -> list[str]:
    """The whole package's row: the total changes (totals.csv) and the ratio of the mean changes."""
    cells = ["**Whole package**", "–"]
    w = uncertainty.cell_words(a.posterior)
    cells += [with_ci(metric(q), *_t(a.total(q).change), change=True, **w) for q in DECISION]
    if COST_EFFECTIVENESS in a.totals:  # Fieller's interval, from totals.csv
        r = a.totals[COST_EFFECTIVENESS].change
        cells.append(ratio_cell(r.mean, r.low, r.high, a.replications, **w))
    else:  # a folder written before totals.csv had the row
        north, cost = a.total("to_north_jobs").change.mean, a.total("fiscal_cost_yuan").change.mean
        ratio = cost / north if north else math.nan
        cells.append(f"{metric(COST_EFFECTIVENESS).text(ratio)} (ratio of the mean changes)")
    return [*cells, "–"]


def _decision(a: Attribution) -> list[str]:
    rows = [decision_cells(a, lv) for lv in a.ranked()] + [package_cells(a)]
    return [
        marked("## Decision table: what each lever contributes, ranked by north-park jobs", a.posterior),
        "",
        *table(decision_headers(), rows, "ll" + "r" * 6),
        "",
        "Each change is the lever's Shapley value: its effect averaged over every order in which the levers could be "
        "added to the package; the levers' values add up to the whole package's change. "
        + (
            f"Mean over {a.replications} replication(s) with the 95% confidence interval (CI); an interval that "
            "includes 0 cannot be told from simulation noise. "
            if a.posterior is None
            else uncertainty.interval_words(a.posterior) + " "
        )
        + "The marginal fiscal cost per extra north-park job is the lever's share of the extra fiscal "
        "cost over its share of the change in north-park jobs, with "
        + ("Fieller's interval" if a.posterior is None else "the quantiles of the draws' ratios")
        + ". Own spending is what the lever itself spent in the full package"
        + ("" if a.posterior is None else ", at most its budget × its active years")
        + ". *Acts on*: staying (the push: southern measures that make staying "
        "costlier or guide firms out) or destinations (the pull: what is offered or built at northern places).",
        "",
        "Verdicts, each lever's Shapley changes against what its `acts_on` leads one to expect (a pull part raises "
        "north-park jobs, pull only does not raise outside-province jobs, a push part raises relocated jobs; "
        f"inconclusive where an interval includes 0): {verdict_counts(a)}.",
        "",
        *(f"- {lv.label}: {lever_verdict_text(a, lv)}." for lv in a.ranked()),
    ]


VERDICT_QUANTITIES = ("to_north_jobs", "to_outside_jobs", "relocated_jobs")


def lever_state(a: Attribution, lever: Lever) -> Verdict | None:
    """As expected, contrary or inconclusive (experiments.analysis.verdicts); None for a lever not registered."""
    from model.levers import REGISTRY

    cls = REGISTRY.get(lever.key)
    if cls is None:
        return None
    changes = {q: (a.change(lever.key, q).low, a.change(lever.key, q).high) for q in VERDICT_QUANTITIES}
    return lever_verdict(tuple(sorted(cls.acts_on)), changes)


def lever_verdict_text(a: Attribution, lever: Lever) -> str:
    state = lever_state(a, lever)
    if state is None:
        return "no verdict (not a registered lever)"
    return f"inconclusive at {_at(a)}" if state == Verdict.INCONCLUSIVE else str(state)


def _at(a: Attribution) -> str:
    """The replications the intervals are over (and the draws, over a posterior)."""
    return replications_words(a.replications, a.posterior.draws if a.posterior is not None else None)


def verdict_counts(a: Attribution) -> str:
    """`1 of 8 levers as expected, 0 contrary, 7 inconclusive at 5 replications`."""
    states = [s for lv in a.levers if (s := lever_state(a, lv)) is not None]
    return count_text(states, "levers", a.replications, _at(a))


def _metric_section(a: Attribution, name: str) -> list[str]:
    m, t = metric(name), a.total(name)
    w = uncertainty.cell_words(a.posterior)
    rows = []
    for lv in a.by_size(name):
        s = a.share(name, lv.key)
        row = [lv.label, with_ci(m, *_t(s.phi), change=True, **w)]
        if a.sampling is not None:
            by_order, by_rep, se = a.sampling.se(name, lv.key)
            row.append(f"{m.text(se)} ({m.text(by_order)}; {m.text(by_rep)})")
        rows.append([*row, SHARE_OF_TOTAL.text(s.share), m.text(s.alone, change=True), m.text(s.last, change=True)])
    alone = math.fsum(a.share(name, lv.key).alone for lv in a.levers)
    unit = change_unit(m)
    headers = ["Lever", f"Shapley value ({unit})"]
    if a.sampling is not None:
        headers.append(f"Monte-Carlo error: both (orders; replications) ({unit})")
    headers += [SHARE_OF_TOTAL.heading(), f"Alone ({unit})", f"Last ({unit})"]
    return [
        marked(f"### {m.label}", a.posterior),
        "",
        f"Without the levers {with_ci(m, *_t(t.without), **w)}; with the whole package "
        f"{with_ci(m, *_t(t.with_package), **w)}; total change {with_ci(m, *_t(t.change), change=True, **w)}.",
        "",
        *table(headers, rows),
        "",
        f"Sum of the alone effects {m.text(alone, change=True)} against the total change "
        f"{m.text(t.change.mean, change=True)}: interactions between the levers account for "
        f"{m.text(t.change.mean - alone, change=True)}.",
        "",
        *image(
            f"plots/waterfall_{name}.png",
            marked(f"Shapley waterfall: {m.label}", a.posterior),
            "From the value without the levers to the value with the whole package, one step per lever (largest "
            "first), with the 95% CI of each step.",
        ),
    ]


def subsets_words(a: Attribution) -> str:
    k = len(a.levers)
    if a.sampling is None:
        return f"All {2**k} subsets of the levers"
    return (
        f"{a.sampling.subsets_run} of the {2**k} subsets of the levers (those {a.sampling.orders} sampled orders need)"
    )


def sampling_note(a: Attribution) -> list[str]:
    """With --permutations: the values are estimates, and what their errors are."""
    if a.sampling is None:
        return []
    return [
        f"The Shapley values are **sampled** (`--permutations {a.sampling.orders}`): each lever's marginal effect "
        f"averaged over {a.sampling.orders} random orders of adding the levers (seeded; the orders are in "
        "`manifest.json`), not over all of them. They still add up exactly to the package's change. Each value's "
        "Monte-Carlo error is the standard error from sampling the orders combined with the one across "
        "replications (√(a² + b²); `sampling.csv`), and its interval is the value ± t of it (Student's t with "
        "Welch–Satterthwaite's degrees of freedom, so few replications widen it as they widen an exact value's); the "
        "marginal fiscal cost per extra north-park job"
        " counts the replications' error only. More orders shrink the first part; more "
        "replications the second."
    ]


def held_note(a: Attribution) -> list[str]:
    """With --levers: which of the package's levers stayed on in every subset, and what the values then mean."""
    if not a.held:
        return []
    return [
        f"Only these levers were attributed (`--levers`); the package's other lever(s), "
        f'{", ".join(lv.label for lv in a.held)}, stayed on in every subset. "Without the levers" is the package '
        "without the attributed ones, and each Shapley value is what the lever adds to the rest of the package as "
        "decided, not what it would do alone."
    ]


def markdown(a: Attribution) -> str:
    k = len(a.levers)
    intro = [
        f"A package of {k} lever(s): {', '.join(lv.label for lv in a.levers)}. {subsets_words(a)} "
        f"were run, {a.replications} replication(s) each, on common random numbers (replication r uses the same "
        "seed in every subset), so the differences between subsets come from the levers, not from noise.",
        *sampling_note(a),
        *held_note(a),
        *one_replication_note(a.replications),
    ]
    if a.posterior is not None:
        intro[0] += (
            f" This was repeated in each of {a.posterior.draws} parameter sets drawn from a calibration's posterior."
        )
    how = [
        marked("## How to read the Shapley tables", a.posterior),
        "",
        "- **Shapley value** φ of a lever: its marginal effect averaged over every order of adding the levers, "
        "φ_i = Σ_{S ⊆ N∖{i}} |S|!(k−|S|−1)!/k! · (v(S∪{i}) − v(S)). Per replication the values add up exactly to "
        "v(N) − v(∅), the package's total change.",
        "- **Alone**: v({i}) − v(∅), the lever on its own. **Last**: v(N) − v(N∖{i}), what dropping it from the full "
        "package loses. When alone and last differ the lever interacts with the others; *interactions* = total "
        "change − Σ alone.",
        "- A share of the total is negative for a lever that works against the package, and the others' can then "
        "exceed 100%. Shapley values of spending equal a lever's own spending when budgets are fixed; per-job aid "
        "spends more when other levers send more firms north, and part of that spending is credited to them.",
        (
            "- The intervals measure Monte-Carlo noise across replications only; the results"
            if a.posterior is None
            else "- " + uncertainty.MEANING_POSTERIOR + " The results"
        )
        + " compare levers on the same seeds and are not forecasts. Files: `decision.csv`, "
        "`attribution.csv`, `totals.csv`, `levers.csv`, `runs/`.",
    ]
    per_metric = [marked("## Per metric", a.posterior), ""]
    for name in a.metrics:
        per_metric += _metric_section(a, name)
    post = (
        uncertainty.section(a.posterior, "Lever", "every subset of the levers", _labels(a))
        if a.posterior is not None
        else []
    )
    heading = marked("Which lever did it: Shapley attribution of a package", a.posterior)
    return document(heading, intro, _decision(a), post, per_metric, how)


def _labels(a: Attribution) -> dict[str, str]:
    return {lv.key: lv.label for lv in a.levers} | {"whole_package": "Whole package"}


class AttributeReport(Report[Attribution]):
    """attribution.md and plots/waterfall_<metric>.png of an attribute folder, and the terminal summary."""

    document = "attribution.md"

    def read(self, folder: Path) -> Attribution:
        return read_attribution(folder)

    def figures(self, data: Attribution) -> Iterator[tuple[str, Figure]]:
        yield from figures.figures(data)
        if data.posterior is not None:
            yield from uncertainty_figures.figures(data.posterior, _labels(data))

    def markdown(self, data: Attribution, figures: Sequence[Path]) -> str:
        return markdown(data)

    def summary(self, folder: Path) -> list[str]:
        """The terminal lines: per lever (ranked) its share of the north-park jobs and its yuan per additional job."""
        a = read_attribution(folder)
        north, cost = metric("to_north_jobs"), metric("fiscal_cost_yuan")
        k = len(a.levers)
        draws = f"{a.posterior.draws} posterior draws × " if a.posterior is not None else ""
        thin = f" — {a.posterior.mark}" if a.posterior is not None and a.posterior.mark else ""
        runs = f"{draws}{a.replications} replication(s){thin}"
        subsets = (
            f"{2**k} subsets"
            if a.sampling is None
            else (f"{a.sampling.subsets_run} of {2**k} subsets ({a.sampling.orders} sampled orders)")
        )
        lines = [f"attribute: {k} levers, {subsets}, {runs} -> {folder}"]
        if a.held:
            lines.append(f"  held on in every subset (--levers): {', '.join(lv.label for lv in a.held)}")
        w = uncertainty.cell_words(a.posterior)
        t = a.total("to_north_jobs").change
        c = a.total("fiscal_cost_yuan").change
        lines.append(
            f"  whole package: {lower_first(north.label)} {with_ci(north, *_t(t), change=True, **w)}; "
            f"{lower_first(cost.label)} {with_ci(cost, *_t(c), change=True, **w)}"
        )
        width = max(len(lv.label) for lv in a.levers)
        lines.append(f"  verdicts: {verdict_counts(a)}")
        lines.append(
            f"  per lever: {lower_first(north.label)}; {lower_first(metric(COST_EFFECTIVENESS).label)}; verdict"
        )
        for lv in a.ranked():
            e, r = a.change(lv.key, "to_north_jobs"), a.change(lv.key, COST_EFFECTIVENESS)
            ratio = ratio_cell(r.mean, r.low, r.high, a.replications, compact=True, **w)
            state = lever_state(a, lv)
            tag = f"; {state}" if state is not None else ""
            lines.append(f"    {lv.label:<{width}}  {with_ci(north, *_t(e), change=True, **w)}; {ratio}{tag}")
        return lines

    def replications(self, folder: Path) -> int | None:
        """Over a posterior the intervals are the draws' quantiles, not t intervals: no warning then."""
        a = read_attribution(folder)
        return a.replications if a.posterior is None else None
