"""The bounds of a metric in one scenario, and of a difference between two: what an interval must stay inside.

The metric catalogue (model.outcomes) declares each metric's bounds: a share
in [0, 1], jobs, firms and yuan ≥ 0. A scenario narrows spending: each lever
that declares its `yearly_cap` (model.levers.base) spends at most that many
yuan in each year it is active and nothing in the others, so over a window
its spending is at most cap × active years there, and the fiscal cost (the
sum over the scenario's levers) at most the sum of those. A difference of two
values is bounded by the difference of their bounds: a − b lies in
[low_a − high_b, high_a − low_b].

`Bounds.of(scenario, window)` gives a scenario's bounds per metric over a
window (the report window for summary metrics, every simulated year for a
lever's own spending in attribute); `difference(a, b)` those of a change.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from model.config import Scenario
from model.levers import REGISTRY
from model.outcomes import metric

Pair = tuple[float, float]
FISCAL = "fiscal_cost_yuan"


def active_years(config: object, first: int, last: int) -> int:
    """How many years of first..last a lever's window (start_year, end_year; None = open) covers."""
    start = getattr(config, "start_year", None)
    end = getattr(config, "end_year", None)
    lo = first if start is None else max(first, start)
    hi = last if end is None else min(last, end)
    return max(0, hi - lo + 1)


def lever_caps(scenario: Scenario, window: tuple[int, int]) -> dict[str, float]:
    """Each active lever of the scenario: the most it can spend over the window (inf where no cap is declared)."""
    caps: dict[str, float] = {}
    for key, cls in REGISTRY.items():
        config = getattr(scenario.policies, key, None)
        if config is None:
            continue
        field = cls.yearly_cap
        per_year = math.inf if field is None else float(getattr(config, field))
        years = active_years(config, *window)
        caps[key] = 0.0 if years == 0 else per_year * years
    return caps


@dataclass(frozen=True)
class Bounds:
    """A scenario's metric bounds over a window: the catalogue's, spending capped by the levers' budgets."""

    caps: dict[str, float]  # lever -> the most it can spend over the window

    @classmethod
    def of(cls, scenario: Scenario, window: tuple[int, int] | None = None) -> Bounds:
        """Over `window` (default: the scenario's report window, the one summary metrics are over)."""
        return cls(lever_caps(scenario, window if window is not None else scenario.years.report))

    @classmethod
    def widest(cls, scenarios: list[Scenario], window: tuple[int, int] | None = None) -> Bounds:
        """Bounds that hold in every one of the scenarios (a posterior's draws of one scenario)."""
        caps: dict[str, float] = {}
        for sc in scenarios:
            for key, cap in cls.of(sc, window).caps.items():
                caps[key] = max(caps.get(key, 0.0), cap)
        return cls(caps)

    @property
    def fiscal_cap(self) -> float:
        return math.fsum(self.caps.values()) if self.caps else 0.0

    def level(self, name: str) -> Pair:
        """The bounds of the metric's value in this scenario."""
        lo, hi = metric(name).bounds
        if name == FISCAL:
            return (max(lo, 0.0), min(hi, self.fiscal_cap))
        if name.startswith("fiscal_") and name.endswith("_yuan"):
            return (max(lo, 0.0), min(hi, self.spend_cap(name.removeprefix("fiscal_").removesuffix("_yuan"))))
        return (lo, hi)

    def spend_cap(self, lever: str) -> float:
        """The most the lever can spend over the window (0 when the scenario does not have it)."""
        return self.caps.get(lever, 0.0)


def difference(a: Pair, b: Pair) -> Pair:
    """Bounds of x − y for x in a and y in b (an undefined end, inf − inf, is left open)."""
    lo, hi = a[0] - b[1], a[1] - b[0]
    return (-math.inf if math.isnan(lo) else lo, math.inf if math.isnan(hi) else hi)


def change_bounds(name: str, scenario: Bounds, baseline: Bounds) -> Pair:
    """The bounds of the metric's change, the scenario's value minus the baseline's."""
    return difference(scenario.level(name), baseline.level(name))


def shapley_bounds(name: str, package: Bounds, lever: str) -> Pair:
    """Bounds of a lever's Shapley value: each marginal contribution v(S ∪ {i}) − v(S) lies in them.

    v(S) lies in the level bounds of S's levers, and every subset's bounds lie inside the whole package's (spending
    only grows with levers); for the fiscal cost, v(S ∪ {i}) ≤ the package's cap and v(S) ≤ the cap of the others.
    """
    lo, hi = package.level(name)
    if name == FISCAL:
        others = Bounds({k: v for k, v in package.caps.items() if k != lever})
        return difference((lo, hi), others.level(name))
    return difference((lo, hi), (lo, hi))
