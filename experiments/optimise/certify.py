"""The certified front: the search's front re-run on fresh seeds, and kept only where no package beats it beyond noise.

Every package of the search's final front (and the base) is run again on the
confirmation block: `confirm.replications` fresh seeds in every world, shared
by all of them (common random numbers). On those runs alone:

- a package whose constraints fail (mean over the worlds) is not certified
  ("infeasible at confirmation");
- package B beats package A beyond noise when, on every objective, the 95 %
  percentile-bootstrap interval of B's robust value minus A's (paired: the
  same resampled worlds for both, oriented so that negative is better) lies
  at or below 0, and on at least one objective strictly below 0. A package
  beaten so by another feasible package is not certified, and the table says
  by which.

So a package that reached the front by a lucky block, or by a difference the
confirmation cannot repeat, is dropped, and two packages the confirmation
cannot tell apart both stay.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from experiments.optimise.outcomes import nanmean, resample_indices, resampled
from experiments.optimise.search import Scoring

UNBOUNDED = (-np.inf, np.inf)


@dataclass
class Verdict:
    """One confirmed package: feasible at confirmation, certified, and which packages beat it beyond noise."""

    key: str
    feasible: bool
    violations: list[str] = field(default_factory=list)
    beaten_by: list[str] = field(default_factory=list)

    @property
    def certified(self) -> bool:
        return self.feasible and not self.beaten_by


def beats(b: np.ndarray, a: np.ndarray, scoring: Scoring, idx: np.ndarray, over_worlds: bool) -> bool:
    """Whether package B beats package A beyond noise on paired (W, R, M) changes (module docstring)."""
    strict = False
    for o in scoring.objectives:
        j = scoring.metrics.index(o.metric)
        rb = resampled(b, j, scoring.robustness, o.metric, idx, over_worlds)
        ra = resampled(a, j, scoring.robustness, o.metric, idx, over_worlds)
        diff = o.sign * (rb - ra)
        if not np.isfinite(diff).all():
            return False
        high = float(np.quantile(diff, 0.975))
        if high > 0:
            return False
        if high < 0:
            strict = True
    return strict


def certify(
    keys: Sequence[str], confirmed: dict[str, tuple[np.ndarray, np.ndarray]], scoring: Scoring, seed: int
) -> list[Verdict]:
    """The verdict on each confirmed package, in the order of `keys` (module docstring)."""
    verdicts = []
    for k in keys:
        change, level = confirmed[k]
        mean_change = nanmean(change, axis=(0, 1))
        mean_level = nanmean(level, axis=(0, 1))
        col = {m: j for j, m in enumerate(scoring.metrics)}
        broken = [
            c.text()
            for c in scoring.constraints
            if not c.violation(float(mean_change[col[c.metric]]), float(mean_level[col[c.metric]])) <= 0
        ]
        verdicts.append(Verdict(k, not broken, broken))
    if not keys:
        return verdicts
    idx, over_worlds = resample_indices(confirmed[keys[0]][0], seed)
    feasible = [v.key for v in verdicts if v.feasible]
    for v in verdicts:
        for other in feasible:
            if other != v.key and beats(confirmed[other][0], confirmed[v.key][0], scoring, idx, over_worlds):
                v.beaten_by.append(other)
    return verdicts
