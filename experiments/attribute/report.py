"""The report of an `attribute` folder: attribution.md, the waterfalls and the terminal summary, from its tables.

attribution.md leads with the decision table per lever (decision.csv,
levers.csv): its Shapley share of the changes in north-park, outside-province
and all relocated jobs and in fiscal cost, the yuan per additional north job
with Fieller's interval, and the lever's own spending, ranked by the change in
north-park jobs, with whether the lever acts on staying (push) or on
destinations (pull). Then, per metric, the Shapley table (attribution.csv,
totals.csv) with the alone and last effects and the interactions. A folder
run with `--posterior DIR` adds the section on parameter uncertainty and the
robustness of the lever ranking (report.uncertainty), and its intervals are
the posterior's.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from model.errors import InputError, short
from model.outcomes import COST_EFFECTIVENESS, DECISION, Metric, metric
from report import uncertainty
from report.markdown import (
    SHARE_OF_TOTAL,
    change_unit,
    document,
    image,
    lever_label,
    lower_first,
    one_replication_note,
    ratio_cell,
    table,
    with_ci,
)
from report.read import Estimate, in_order, read_table

DRAWN = ("plots", "attribution.md", "attribution.html")  # the .html page: written by the pipeline (report/html.py)
OWN_SPEND = "own_spend_yuan"
OWN_SPEND_METRIC = Metric(OWN_SPEND, "Own spending", "yuan", "What the lever itself spent in the full package.")
ACTS_ON = {
    "push": "staying (push)",
    "staying": "staying (push)",
    "pull": "destinations (pull)",
    "destinations": "destinations (pull)",
}
PUSH = ("push", "staying")  # named first: where a lever acts on both
QUANTITIES = (*DECISION, COST_EFFECTIVENESS, OWN_SPEND)


@dataclass(frozen=True)
class Lever:
    key: str
    label: str
    acts_on: str  # in words


@dataclass(frozen=True)
class Share:
    """One lever's part of one metric's change (attribution.csv)."""

    phi: Estimate
    share: float
    alone: float
    last: float


@dataclass(frozen=True)
class Total:
    """One metric without the levers, with the package, and the change (totals.csv)."""

    without: Estimate
    with_package: Estimate
    change: Estimate


@dataclass(frozen=True)
class Attribution:
    folder: Path
    levers: list[Lever]
    metrics: list[str]
    shares: dict[tuple[str, str], Share]
    totals: dict[str, Total]
    decision: dict[tuple[str, str], Estimate]
    replications: int
    posterior: uncertainty.PosteriorReport | None = None  # run with --posterior

    def share(self, m: str, lever: str) -> Share:
        found = self.shares.get((m, lever))
        if found is None:
            raise InputError(self.folder / "attribution.csv", "", f"no row for {m} × {lever}", "every metric × lever")
        return found

    def total(self, m: str) -> Total:
        found = self.totals.get(m)
        if found is None:
            raise InputError(self.folder / "totals.csv", "metric", f"no row for {m}", "one row per metric")
        return found

    def change(self, lever: str, q: str) -> Estimate:
        found = self.decision.get((lever, q))
        if found is None:
            raise InputError(self.folder / "decision.csv", "", f"no row for {lever} × {q}", ", ".join(QUANTITIES))
        return found

    def ranked(self) -> list[Lever]:
        """Levers by their share of the change in north-park jobs, largest first (ties: levers.csv order)."""
        return sorted(self.levers, key=lambda lv: -_finite(self.change(lv.key, "to_north_jobs").mean))

    def by_size(self, m: str) -> list[Lever]:
        return sorted(self.levers, key=lambda lv: -abs(_finite(self.share(m, lv.key).phi.mean)))


def _finite(value: float) -> float:
    return value if math.isfinite(value) else -math.inf


def read_attribution(folder: Path) -> Attribution:
    """levers.csv, attribution.csv, totals.csv and decision.csv, checked against each other."""
    levers = []
    for row in read_table(folder, "levers.csv", ("lever", "label", "acts_on")):
        key = row.name("lever")
        sides = sorted(set(row.text("acts_on").split()), key=lambda side: (side not in PUSH, side))
        words = " and ".join(ACTS_ON.get(side, side) for side in sides) or "not declared"
        levers.append(Lever(key, lever_label(key, row.text("label")), words))
    keys = [lv.key for lv in levers]

    def lever_of(row_lever: str, path: Path, line: int) -> str:
        if row_lever not in keys:
            raise InputError(path, f"row {line}, column lever", short(row_lever), "a lever of levers.csv")
        return row_lever

    shares: dict[tuple[str, str], Share] = {}
    rows = read_table(folder, "attribution.csv", ("metric", "lever", "shapley", "ci_low", "ci_high", "share_of_total"))
    for row in rows:
        lever = lever_of(row.name("lever"), row.path, row.line)
        phi = row.estimate("shapley", "ci_low", "ci_high")
        share = Share(phi, row.number("share_of_total"), row.number("alone"), row.number("last"))
        shares[(row.metric("metric").name, lever)] = share
    metrics = in_order(row.metric("metric").name for row in rows)
    totals = {}
    reps = []
    for row in read_table(folder, "totals.csv", ("metric", "without_levers", "with_package", "change", "replications")):
        totals[row.metric("metric").name] = Total(
            row.estimate("without_levers", "without_ci_low", "without_ci_high"),
            row.estimate("with_package", "with_ci_low", "with_ci_high"),
            row.estimate("change", "change_ci_low", "change_ci_high"),
        )
        reps.append(row.integer("replications"))
    decision = {}
    for row in read_table(folder, "decision.csv", ("lever", "quantity", "value", "ci_low", "ci_high")):
        lever = lever_of(row.name("lever"), row.path, row.line)
        q = row.text("quantity")
        if q != OWN_SPEND:
            q = row.metric("quantity").name
        decision[(lever, q)] = row.estimate("value", "ci_low", "ci_high")
    post = uncertainty.read_posterior(folder, "lever")
    a = Attribution(folder, levers, metrics, shares, totals, decision, max(reps), post)  # a ratio may count fewer
    for m in metrics:  # every cell the report shows must exist
        a.total(m)
        for lv in levers:
            a.share(m, lv.key)
    for lv in levers:
        for q in QUANTITIES:
            a.change(lv.key, q)
    for q in DECISION:
        a.total(q)
    return a


# --------------------------------------------------------------------------- Markdown


def quantity_metric(q: str) -> Metric:
    return OWN_SPEND_METRIC if q == OWN_SPEND else metric(q)


def decision_headers() -> list[str]:
    heads = [metric(q).heading(change=True) for q in DECISION]
    return ["Lever", "Acts on", *heads, metric(COST_EFFECTIVENESS).heading(), OWN_SPEND_METRIC.heading()]


def decision_cells(a: Attribution, lever: Lever) -> list[str]:
    """One lever's decision row: label, side, Shapley changes, yuan per additional north job, own spending."""
    cells = [lever.label, lever.acts_on]
    for q in DECISION:
        e = a.change(lever.key, q)
        cells.append(with_ci(metric(q), e.mean, e.low, e.high, change=True))
    r = a.change(lever.key, COST_EFFECTIVENESS)
    own = a.change(lever.key, OWN_SPEND)
    return [*cells, ratio_cell(r.mean, r.low, r.high, a.replications), with_ci(OWN_SPEND_METRIC, *_t(own))]


def _t(e: Estimate) -> tuple[float, float, float]:
    return e.mean, e.low, e.high


def package_cells(a: Attribution) -> list[str]:
    """The whole package's row: the total changes (totals.csv) and the ratio of the mean changes."""
    cells = ["**Whole package**", "–"]
    cells += [with_ci(metric(q), *_t(a.total(q).change), change=True) for q in DECISION]
    if COST_EFFECTIVENESS in a.totals:  # Fieller's interval, from totals.csv
        r = a.totals[COST_EFFECTIVENESS].change
        cells.append(ratio_cell(r.mean, r.low, r.high, a.replications))
    else:  # a folder written before totals.csv had the row
        north, cost = a.total("to_north_jobs").change.mean, a.total("fiscal_cost_yuan").change.mean
        ratio = cost / north if north else math.nan
        cells.append(f"{metric(COST_EFFECTIVENESS).text(ratio)} (ratio of the mean changes)")
    return [*cells, "–"]


def _decision(a: Attribution) -> list[str]:
    rows = [decision_cells(a, lv) for lv in a.ranked()] + [package_cells(a)]
    return [
        "## Decision table: what each lever contributes, ranked by north-park jobs",
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
        + "The yuan per additional north job is the lever's share of the extra fiscal "
        "cost over its share of the change in north-park jobs, with Fieller's interval. Own spending is what the "
        "lever itself spent in the full package. *Acts on*: staying (the push: southern measures that make staying "
        "costlier or guide firms out) or destinations (the pull: what is offered or built at northern places).",
    ]


def _metric_section(a: Attribution, name: str) -> list[str]:
    m, t = metric(name), a.total(name)
    rows = []
    for lv in a.by_size(name):
        s = a.share(name, lv.key)
        rows.append(
            [
                lv.label,
                with_ci(m, *_t(s.phi), change=True),
                SHARE_OF_TOTAL.text(s.share),
                m.text(s.alone, change=True),
                m.text(s.last, change=True),
            ]
        )
    alone = math.fsum(a.share(name, lv.key).alone for lv in a.levers)
    unit = change_unit(m)
    headers = ["Lever", f"Shapley value ({unit})", SHARE_OF_TOTAL.heading(), f"Alone ({unit})", f"Last ({unit})"]
    return [
        f"### {m.label}",
        "",
        f"Without the levers {with_ci(m, *_t(t.without))}; with the whole package {with_ci(m, *_t(t.with_package))}; "
        f"total change {with_ci(m, *_t(t.change), change=True)}.",
        "",
        *table(headers, rows),
        "",
        f"Sum of the alone effects {m.text(alone, change=True)} against the total change "
        f"{m.text(t.change.mean, change=True)}: interactions between the levers account for "
        f"{m.text(t.change.mean - alone, change=True)}.",
        "",
        *image(
            f"plots/waterfall_{name}.png",
            f"Shapley waterfall: {m.label}",
            "From the value without the levers to the value with the whole package, one step per lever (largest "
            "first), with the 95% CI of each step.",
        ),
    ]


def markdown(a: Attribution) -> str:
    k = len(a.levers)
    intro = [
        f"A package of {k} lever(s): {', '.join(lv.label for lv in a.levers)}. All {2**k} subsets of the levers "
        f"were run, {a.replications} replication(s) each, on common random numbers (replication r uses the same "
        "seed in every subset), so the differences between subsets come from the levers, not from noise.",
        *one_replication_note(a.replications),
    ]
    if a.posterior is not None:
        intro[0] += (
            f" This was repeated in each of {a.posterior.draws} parameter sets drawn from a calibration's posterior."
        )
    how = [
        "## How to read the Shapley tables",
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
    per_metric = ["## Per metric", ""]
    for name in a.metrics:
        per_metric += _metric_section(a, name)
    post = (
        uncertainty.section(a.posterior, "Lever", "every subset of the levers", _labels(a))
        if a.posterior is not None
        else []
    )
    return document("Which lever did it: Shapley attribution of a package", intro, _decision(a), post, per_metric, how)


def _labels(a: Attribution) -> dict[str, str]:
    return {lv.key: lv.label for lv in a.levers} | {"whole_package": "Whole package"}


def draw(folder: Path, out: Path | None = None) -> list[Path]:
    """attribution.md and plots/waterfall_<metric>.png of an attribute folder (read `folder`, write `out`)."""
    from experiments.attribute.figures import draw_all

    out = out or folder
    a = read_attribution(folder)
    figures = draw_all(a, out)
    if a.posterior is not None:
        figures += uncertainty.draw(a.posterior, out, _labels(a))
    (out / "attribution.md").write_text(markdown(a), encoding="utf-8")
    return [out / "attribution.md", *figures]


def summary(folder: Path) -> list[str]:
    """The terminal lines: per lever (ranked) its share of the north-park jobs and its yuan per additional job."""
    a = read_attribution(folder)
    north, cost = metric("to_north_jobs"), metric("fiscal_cost_yuan")
    k = len(a.levers)
    draws = f"{a.posterior.draws} posterior draws × " if a.posterior is not None else ""
    lines = [f"attribute: {k} levers, {2**k} subsets, {draws}{a.replications} replication(s) -> {folder}"]
    t = a.total("to_north_jobs").change
    c = a.total("fiscal_cost_yuan").change
    lines.append(
        f"  whole package: {lower_first(north.label)} {with_ci(north, *_t(t), change=True)}; "
        f"{lower_first(cost.label)} {with_ci(cost, *_t(c), change=True)}"
    )
    width = max(len(lv.label) for lv in a.levers)
    lines.append(f"  per lever: {lower_first(north.label)}; {lower_first(metric(COST_EFFECTIVENESS).label)}")
    for lv in a.ranked():
        e, r = a.change(lv.key, "to_north_jobs"), a.change(lv.key, COST_EFFECTIVENESS)
        ratio = ratio_cell(r.mean, r.low, r.high, a.replications, compact=True)
        lines.append(f"    {lv.label:<{width}}  {with_ci(north, *_t(e), change=True)}; {ratio}")
    return lines
