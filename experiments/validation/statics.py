"""Each lever's comparative static and the returns to a subsidy, on common random numbers (`report`).

Comparative statics (statics.csv): every shipped single-lever scenario
(experiments.validation.inputs) applied to the reported scenario, replication
r on the base's seed r, over the report window; per lever the paired changes
in north-park, outside-province and all relocated jobs and the extra fiscal
cost, each with its paired 95 % interval (experiments.analysis.stats), the yuan per
additional north job (Fieller), and what its declared `acts_on` leads one to
expect (DESIGN §3), with its verdict: as expected, contrary, or inconclusive
at this many replications (experiments.analysis.verdicts):

- pull: north-park jobs rise (as expected when the interval lies above 0,
  contrary when below, inconclusive when it includes 0); pull only: and
  outside-province jobs do not (contrary only when the interval lies above
  0), since money or amenities offered at some destinations draw movers from
  staying and from the other nests (the inclusive-value contract);
- push: relocated jobs rise (interval above 0), to every nest.

Returns to a subsidy (returns.csv): the relocation-aid payment per job swept
over `AID_LEVELS` (0: no aid, the scenario itself unless it pays aid), with
the annual budget scaled in proportion, so that the fund's cap on jobs paid
per year stays the shipped scenario's and the cap does not make the returns
fall by itself. Per level:
north-park jobs gained over level 0 and extra fiscal cost (paired), the
average north jobs per CNY m, and the marginal north jobs per extra CNY m
from the level before (ratio of paired mean changes, Fieller's interval).
Returns diminish where the marginal figure falls from level to level.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from experiments.analysis.stats import Interval, ratio_interval
from experiments.analysis.verdicts import Verdict, expectation_words, lever_verdict
from experiments.engine.store import RunStore, Task
from experiments.engine.task_pool import MetricCache, TaskPool
from experiments.validation.columns import STATIC_QUANTITIES
from experiments.validation.inputs import LeverScenario, Target
from model.outcomes import metric

AID_LEVER = "relocation_aid"
AID_LEVELS = (
    0.0,
    10_000.0,
    20_000.0,
    30_000.0,
    45_000.0,
    60_000.0,
    90_000.0,
)  # yuan per job (assumption: 0-3x shipped)
PER_MILLION = 1e6


def expectation(acts_on: Sequence[str]) -> str:
    """What a lever's `acts_on` leads one to expect (module docstring)."""
    return expectation_words(acts_on)


def static_verdict(acts_on: Sequence[str], changes: dict[str, Interval]) -> Verdict:
    """As expected, contrary or inconclusive at these replications (experiments.analysis.verdicts)."""
    return lever_verdict(acts_on, {q: (e.low, e.high) for q, e in changes.items()})


class Statics:
    """The tasks and tables of the comparative statics and the returns sweep."""

    def __init__(self, target: Target, levers: Sequence[LeverScenario], seeds: Sequence[int], pool: TaskPool) -> None:
        self.target, self.levers, self.seeds = target, list(levers), list(seeds)
        self.base = [
            pool.add(f"base-r{r:04d}", target.scenario, s, {"part": "base", "replication": r})
            for r, s in enumerate(seeds)
        ]
        self.lever_tasks: dict[str, list[Task]] = {}
        for lv in self.levers:
            sc = target.variant(lv.name, policies=lv.policies)
            self.lever_tasks[lv.name] = [
                pool.add(f"lever-{lv.name}-r{r:04d}", sc, s, {"part": "lever", "scenario": lv.name, "replication": r})
                for r, s in enumerate(seeds)
            ]
        self._cache: MetricCache | None = None
        self.aid = next((lv for lv in self.levers if lv.key == AID_LEVER), None)
        self.level_tasks: list[list[Task]] = []
        if self.aid is not None:
            shipped = self.aid.policies[AID_LEVER]
            self.shipped_rate = float(shipped["yuan_per_job"])
            self.shipped_budget = float(shipped["annual_budget_yuan"])
            for i, level in enumerate(AID_LEVELS):
                if level == 0 and target.scenario.policies.relocation_aid is None:
                    self.level_tasks.append(self.base)  # no aid: the scenario itself
                    continue
                sc = target.variant(f"aid-{i}", policies={AID_LEVER: self.level_policy(level)})
                self.level_tasks.append(
                    [
                        pool.add(f"aid-{i}-r{r:04d}", sc, s, {"part": "returns", "level": i, "replication": r})
                        for r, s in enumerate(seeds)
                    ]
                )

    def level_policy(self, level: float) -> dict[str, Any]:
        assert self.aid is not None
        section = dict(self.aid.policies[AID_LEVER])
        section["yuan_per_job"] = level
        section["annual_budget_yuan"] = self.budget_at(level)
        return section

    def budget_at(self, level: float) -> float:
        return self.shipped_budget * level / self.shipped_rate if self.shipped_rate > 0 else self.shipped_budget

    def values(self, store: RunStore, tasks: Sequence[Task], name: str) -> np.ndarray:
        if self._cache is None or self._cache.store is not store:
            self._cache = MetricCache(store)
        return np.array([self._cache.get(t, name) for t in tasks])

    def statics_rows(self, store: RunStore) -> list[list[Any]]:
        base = {q: self.values(store, self.base, q) for q in STATIC_QUANTITIES}
        rows = []
        for lv in self.levers:
            runs = self.lever_tasks[lv.name]
            diffs = {q: self.values(store, runs, q) - base[q] for q in STATIC_QUANTITIES}
            changes = {q: Interval.of(d, metric(q).change_bounds()) for q, d in diffs.items()}
            ratio = ratio_interval(diffs["fiscal_cost_yuan"], diffs["to_north_jobs"])
            cells = [x for q in STATIC_QUANTITIES for x in (changes[q].mean, changes[q].low, changes[q].high)]
            verdict = static_verdict(lv.acts_on, changes)
            rows.append(
                [
                    lv.name,
                    lv.key,
                    lv.label,
                    " ".join(lv.acts_on),
                    *cells,
                    ratio.mean,
                    ratio.low,
                    ratio.high,
                    len(runs),
                    expectation(lv.acts_on),
                    str(verdict),
                ]
            )
        return rows

    def returns_rows(self, store: RunStore) -> list[list[Any]]:
        if self.aid is None:
            return []
        north0 = self.values(store, self.level_tasks[0], "to_north_jobs")
        cost0 = self.values(store, self.level_tasks[0], "fiscal_cost_yuan")
        rows: list[list[Any]] = []
        prev_north, prev_cost = north0, cost0
        prev_marginal = math.nan
        for i, (level, tasks) in enumerate(zip(AID_LEVELS, self.level_tasks, strict=True)):
            north = self.values(store, tasks, "to_north_jobs")
            cost = self.values(store, tasks, "fiscal_cost_yuan")
            gain = Interval.of(north - north0, metric("to_north_jobs").change_bounds())
            extra = Interval.of(cost - cost0, metric("fiscal_cost_yuan").change_bounds())
            average = gain.mean / extra.mean * PER_MILLION if extra.mean > 0 else math.nan
            if i == 0:
                marginal, lo, hi, falling = math.nan, math.nan, math.nan, None
            else:
                m = ratio_interval((north - prev_north) * PER_MILLION, cost - prev_cost)
                marginal, lo, hi = m.mean, m.low, m.high
                falling = None if not math.isfinite(prev_marginal) else bool(marginal < prev_marginal)
                prev_marginal = marginal
            rows.append(
                [
                    i,
                    level,
                    self.budget_at(level),
                    gain.mean,
                    gain.low,
                    gain.high,
                    extra.mean,
                    extra.low,
                    extra.high,
                    average,
                    marginal,
                    lo,
                    hi,
                    "" if falling is None else falling,
                    len(tasks),
                ]
            )
            prev_north, prev_cost = north, cost
        return rows
