"""The tables of an `attribute` folder, read and checked: levers.csv, attribution.csv, totals.csv, decision.csv.

`read_attribution(folder)` gives the `Attribution` that the report's Markdown
(experiments.attribute.report) and its waterfalls (experiments.attribute.figures)
are drawn from, with the posterior tables (report.posterior) of a folder run
with `--posterior DIR`. Every cell the report shows is checked here, so a
damaged table is one InputError naming the file before anything is written.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from experiments.attribute.columns import (
    ATTRIBUTION_COLUMNS,
    ATTRIBUTION_FILE,
    DECISION_COLUMNS,
    DECISION_FILE,
    HELD_FILE,
    LEVER_COLUMNS,
    LEVERS_FILE,
    OWN_SPEND,
    SAMPLING_COLUMNS,
    SAMPLING_FILE,
    TOTALS_COLUMNS,
    TOTALS_FILE,
)
from model.csvfile import pick, without
from model.errors import InputError, short
from model.outcomes import COST_EFFECTIVENESS, DECISION
from report.markdown import acts_on_words, lever_label
from report.posterior import PosteriorReport, read_posterior
from report.read import Estimate, in_order, read_table

QUANTITIES = (*DECISION, COST_EFFECTIVENESS, OWN_SPEND)

ATTRIBUTION_NEEDED = without(ATTRIBUTION_COLUMNS, "unit", "alone", "last", "replications")
TOTALS_NEEDED = pick(TOTALS_COLUMNS, "metric", "without_levers", "with_package", "change", "replications")
DECISION_NEEDED = without(DECISION_COLUMNS, "unit", "replications")  # the posterior's decision.csv has more


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
class Sampling:
    """A folder run with --permutations (sampling.csv): how many orders and subsets, each value's errors."""

    orders: int
    subsets_run: int
    errors: dict[tuple[str, str], tuple[float, float, float]]  # (metric, lever) -> orders', replications', combined

    def se(self, m: str, lever: str) -> tuple[float, float, float]:
        return self.errors.get((m, lever), (math.nan, math.nan, math.nan))


@dataclass(frozen=True)
class Attribution:
    folder: Path
    levers: list[Lever]
    metrics: list[str]
    shares: dict[tuple[str, str], Share]
    totals: dict[str, Total]
    decision: dict[tuple[str, str], Estimate]
    replications: int
    posterior: PosteriorReport | None = None  # run with --posterior
    held: tuple[Lever, ...] = ()  # run with --levers: the package's other levers, on in every subset
    sampling: Sampling | None = None  # run with --permutations: sampled Shapley values

    def share(self, m: str, lever: str) -> Share:
        found = self.shares.get((m, lever))
        if found is None:
            raise InputError(self.folder / ATTRIBUTION_FILE, "", f"no row for {m} × {lever}", "every metric × lever")
        return found

    def total(self, m: str) -> Total:
        found = self.totals.get(m)
        if found is None:
            raise InputError(self.folder / TOTALS_FILE, "metric", f"no row for {m}", "one row per metric")
        return found

    def change(self, lever: str, q: str) -> Estimate:
        found = self.decision.get((lever, q))
        if found is None:
            raise InputError(self.folder / DECISION_FILE, "", f"no row for {lever} × {q}", ", ".join(QUANTITIES))
        return found

    def ranked(self) -> list[Lever]:
        """Levers by their share of the change in north-park jobs, largest first (ties: levers.csv order)."""
        return sorted(self.levers, key=lambda lv: -_finite(self.change(lv.key, "to_north_jobs").mean))

    def by_size(self, m: str) -> list[Lever]:
        return sorted(self.levers, key=lambda lv: -abs(_finite(self.share(m, lv.key).phi.mean)))


def _finite(value: float) -> float:
    return value if math.isfinite(value) else -math.inf


def read_levers(folder: Path, name: str) -> list[Lever]:
    """levers.csv (the attributed levers) or held.csv (those on in every subset): key, label, side in words."""
    levers = []
    for row in read_table(folder, name, LEVER_COLUMNS):
        key = row.name("lever")
        levers.append(Lever(key, lever_label(key, row.text("label")), acts_on_words(row.text("acts_on"))))
    return levers


def read_sampling(folder: Path, levers: list[str]) -> Sampling:
    """sampling.csv: per metric and lever the sampled value's errors (from the orders, the replications, both)."""
    errors = {}
    orders, subsets = set(), set()
    for row in read_table(folder, SAMPLING_FILE, SAMPLING_COLUMNS):
        lever = row.name("lever")
        if lever not in levers:
            raise InputError(row.path, f"row {row.line}, column lever", short(lever), "a lever of levers.csv")
        errors[(row.metric("metric").name, lever)] = (
            row.number("order_se"),
            row.number("replication_se"),
            row.number("se"),
        )
        orders.add(row.integer("orders"))
        subsets.add(row.integer("subsets_run"))
    if len(orders) != 1 or len(subsets) != 1:
        path = folder / SAMPLING_FILE
        raise InputError(path, "orders, subsets_run", "differ between rows", "one count of each for the whole run")
    return Sampling(orders.pop(), subsets.pop(), errors)


def read_attribution(folder: Path) -> Attribution:
    """levers.csv, attribution.csv, totals.csv and decision.csv, checked against each other."""
    levers = read_levers(folder, LEVERS_FILE)
    held = tuple(read_levers(folder, HELD_FILE)) if (folder / HELD_FILE).exists() else ()
    keys = [lv.key for lv in levers]

    def lever_of(row_lever: str, path: Path, line: int) -> str:
        if row_lever not in keys:
            raise InputError(path, f"row {line}, column lever", short(row_lever), "a lever of levers.csv")
        return row_lever

    shares: dict[tuple[str, str], Share] = {}
    rows = read_table(folder, ATTRIBUTION_FILE, ATTRIBUTION_NEEDED)
    for row in rows:
        lever = lever_of(row.name("lever"), row.path, row.line)
        phi = row.estimate("shapley", "ci_low", "ci_high")
        share = Share(phi, row.number("share_of_total"), row.number("alone"), row.number("last"))
        shares[(row.metric("metric").name, lever)] = share
    metrics = in_order(row.metric("metric").name for row in rows)
    totals = {}
    reps = []
    for row in read_table(folder, TOTALS_FILE, TOTALS_NEEDED):
        totals[row.metric("metric").name] = Total(
            row.estimate("without_levers", "without_ci_low", "without_ci_high"),
            row.estimate("with_package", "with_ci_low", "with_ci_high"),
            row.estimate("change", "change_ci_low", "change_ci_high"),
        )
        reps.append(row.integer("replications"))
    decision = {}
    for row in read_table(folder, DECISION_FILE, DECISION_NEEDED):
        lever = lever_of(row.name("lever"), row.path, row.line)
        q = row.text("quantity")
        if q != OWN_SPEND:
            q = row.metric("quantity").name
        decision[(lever, q)] = row.estimate("value", "ci_low", "ci_high")
    post = read_posterior(folder, "lever")
    sampling = read_sampling(folder, keys) if (folder / SAMPLING_FILE).exists() else None
    a = Attribution(
        folder, levers, metrics, shares, totals, decision, max(reps), post, held, sampling
    )  # a ratio may count fewer
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
