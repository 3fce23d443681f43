"""Synthetic observed facts: what a known parameter set produced, as the targets of a calibration.

The calibration measures each fitted fact against the article (a distance
d_f ∈ [0, 1] by the fact's rule, experiments.facts.measures). The recovery
check (DESIGN §7, issue 17 item 4: benchmarks/calibration_recovery) needs
facts whose cause is known instead: the values a parameter set θ* produced on
seeds of its own. `targets_of` takes them from θ*'s run summaries (pooled as
every fact pools them), and `distance_to` measures another parameter set's
summaries against them, in [0, 1], on each fact's own scale (its unit,
experiments.facts.catalogue):

- share, ratio: the relative difference |v − v*| / |v*|, at most 1 (the
  relative distance the fact rules use outside their bands, `measures._hinge`);
  a target of 0 is met only by 0;
- correlation: |ρ − ρ*| / 2 (a correlation's range is 2, as in the rules'
  (1 ± ρ)/2);
- count (a destination list compared as a set, `top5_*`): 1 − the cities in
  common with θ*'s own top cities ÷ the longer list's length;
- overlap (a list compared as a ranking): 1 − the rank-biased overlap with
  θ*'s own ranking (experiments.facts.patterns.rbo, ranked).

A value that is undefined (nobody moved, too few bands) is at distance 0 from
an undefined target and 1 from any other, so an undefined target is matched
only by another undefined value.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from experiments.facts.catalogue import FACTS, LIST_FACTS
from experiments.facts.measures import LIST_LENGTH, pool, ranking
from experiments.facts.patterns import overlap, rbo
from model.world import WorldData

Summaries = Sequence[Mapping[str, float]]


@dataclass(frozen=True)
class Target:
    """A fact's synthetic observed value: a number, or (list facts) θ*'s own top cities, best first."""

    fact: str
    value: float  # the fact's measure of θ*'s runs (list facts: the cities in common with the article, for show)
    cities: tuple[str, ...] | None = None  # list facts only

    @property
    def defined(self) -> bool:
        return bool(self.cities) if self.cities is not None else math.isfinite(self.value)


def top_cities(fact: str, summaries: Summaries) -> tuple[str, ...]:
    """The fact's origin group's top outside cities (at most the article's list length), best first."""
    group = LIST_FACTS[fact][0]
    return tuple(ranking(pool(summaries), group)[:LIST_LENGTH])


def targets_of(facts: Sequence[str], summaries: Summaries, world: WorldData) -> dict[str, Target]:
    """Each fact's value in these summaries (θ*'s runs): the synthetic observed facts."""
    out = {}
    for name in facts:
        value = FACTS[name].of(summaries, world).value
        cities = top_cities(name, summaries) if name in LIST_FACTS else None
        out[name] = Target(name, float(value), cities)
    return out


def _relative(value: float, target: float) -> float:
    if target == 0.0:
        return 0.0 if value == 0.0 else 1.0
    return min(1.0, abs(value - target) / abs(target))


def distance_to(target: Target, summaries: Summaries, world: WorldData) -> float:
    """How far these summaries' value of the target's fact is from the target, in [0, 1] (module docstring)."""
    name = target.fact
    if name in LIST_FACTS:
        cities = top_cities(name, summaries)
        if not (cities and target.cities):
            return 0.0 if not cities and not target.cities else 1.0
        if LIST_FACTS[name][1] == "set":
            return 1.0 - overlap(cities, target.cities) / max(len(cities), len(target.cities))
        return min(1.0, max(0.0, 1.0 - rbo(cities, target.cities, ranked=True)))
    value = FACTS[name].of(summaries, world).value
    if not (math.isfinite(value) and target.defined):
        return 0.0 if not math.isfinite(value) and not target.defined else 1.0
    if FACTS[name].unit == "correlation":
        return min(1.0, abs(value - target.value) / 2.0)
    return _relative(value, target.value)
