"""The candidate facts screened by experiments.facts.screening (issue 17 item 3): their statistics and rules.

Each is derived from Suzhou's list (the fitted one) or is a reported fact of the catalogue; see
experiments.facts.screening for how they are screened and docs/calibration/fact_screening.md for the result.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from experiments.facts.catalogue import ARTICLE, FACTS, HINDCAST, UNIT_BOUNDS, Fact
from experiments.facts.hindcast import CLUSTER_BANDS_KM
from experiments.facts.measures import LIST_LENGTH, MET_BANDS, Measure, Pooled, outside_candidates, ranking
from experiments.facts.patterns import RANDOM_DRAWS, RANDOM_SEED, SetChance, read_targets, set_chance
from model.world import WorldData

GROUP = "Suzhou"  # the origin group whose list is fitted (calibrations/article_suzhou*.yaml)
# "Far": beyond the article's far cluster's lower edge (domain.md stylized fact 7: the far cities at
# 1,100-1,500 km; experiments.facts.hindcast.CLUSTER_BANDS_KM), great circle from the group's own city.
FAR_KM = CLUSTER_BANDS_KM[-1]
# "Cheap power": a province whose large-industry tariff is at least 10% below Jiangsu's, index ≤ 0.9
# (places.csv power_price_index, Jiangsu = 1). Assumption: a gap beyond the index's stated
# uncertainty of about ±0.08 (±0.05 yuan/kWh on a tariff, model/data/README.md).
CHEAP_POWER_INDEX = 0.9
# The mean index of five cities matches the list's within 0.04 ≈ 0.08 / √5 (assumption: the five
# provinces' errors independent).
POWER_MEAN_TOLERANCE = 0.04
# The list's 4 far cities of 5 read as "most outside-bound jobs go far" (assumption: the source gives
# no shares, only the list).
FAR_JOBS_MAJORITY = 0.5


# --- the candidates' statistics ------------------------------------------------------------

CityKind = Callable[[WorldData, Sequence[str]], list[str]]  # the cities of a kind among the given ones


def group_city(world: WorldData, group: str = GROUP) -> int:
    """The index of an origin group's own city: the origin named as its prefecture (Suzhou for Suzhou's group)."""
    for i, (kind, row) in enumerate(zip(world.kinds, world.place_rows, strict=True)):
        if kind == "origin" and row["name"] == group and row["prefecture"] == group:
            return i
    raise KeyError(f"no origin city named {group!r}")


def km_from_group(world: WorldData, city: str, group: str = GROUP) -> float:
    return float(world.distance_km[group_city(world, group), world.place_index(city)])


def power_index(world: WorldData, city: str) -> float:
    return float(world.place_num["power_price_index"][world.place_index(city)])


def far(world: WorldData, cities: Sequence[str]) -> list[str]:
    return [c for c in cities if km_from_group(world, c) > FAR_KM]


def cheap_power(world: WorldData, cities: Sequence[str]) -> list[str]:
    return [c for c in cities if power_index(world, c) <= CHEAP_POWER_INDEX]


def far_cheap_power(world: WorldData, cities: Sequence[str]) -> list[str]:
    return cheap_power(world, far(world, cities))


def listed() -> list[str]:
    return read_targets().top_destinations[GROUP]


def top_five(p: Pooled) -> list[str]:
    """The group's top outside cities by jobs, as many as its list (the ranking top5_suzhou uses)."""
    return ranking(p, GROUP)[: len(listed())]


def kind_chance(world: WorldData, kind: CityKind, picks: int = LIST_LENGTH) -> SetChance:
    """How many cities of a kind `picks` random candidates hold: hypergeometric, exact."""
    candidates = outside_candidates(world)
    return set_chance(kind(world, candidates), candidates, picks)


def count_in_top5(kind: CityKind, what: str) -> Callable[[Pooled, WorldData], Measure]:
    """How many of the group's top five are of a kind, against the list's count: met at the list's count or more.

    The distance is the shortfall as a fraction of the list's count; `p` the exact chance that five
    random candidates hold at least as many.
    """

    def measure(p: Pooled, world: WorldData) -> Measure:
        top = top_five(p)
        if not top:
            return Measure(math.nan, 1.0, None, "undefined: no moves in the window")
        target = len(kind(world, listed()))
        hits = len(kind(world, top))
        p_value = kind_chance(world, kind, len(top)).p(hits)
        detail = f"{' '.join(top)}: {hits} {what} (the list: {target}; p = {p_value:.2g})"
        short = max(0, target - hits) / target if target else 0.0
        return Measure(float(hits), short, hits >= target, detail, p_value)

    return measure


def listed_power_mean(world: WorldData) -> float:
    return float(np.mean([power_index(world, c) for c in listed()]))


def power_mean(p: Pooled, world: WorldData) -> Measure:
    """The mean power-price index of the group's top five, against the list's mean ± POWER_MEAN_TOLERANCE."""
    top = top_five(p)
    if not top:
        return Measure(math.nan, 1.0, None, "undefined: no moves in the window")
    target = listed_power_mean(world)
    value = float(np.mean([power_index(world, c) for c in top]))
    gap = max(0.0, abs(value - target) - POWER_MEAN_TOLERANCE)
    detail = f"{' '.join(top)}: mean index {value:.3f} (the list: {target:.3f})"
    return Measure(value, min(1.0, gap / target), gap == 0.0, detail)


def far_jobs(p: Pooled, world: WorldData) -> Measure:
    """The share of the group's outside-bound jobs going beyond FAR_KM: met at FAR_JOBS_MAJORITY or more."""
    value = float(p.get(f"{GROUP}|outside_distance_band|{FAR_KM:g}+ km", math.nan))
    if not math.isfinite(value):
        return Measure(math.nan, 1.0, None, "undefined: no outside-bound moves in the window")
    short = max(0.0, FAR_JOBS_MAJORITY - value) / FAR_JOBS_MAJORITY
    return Measure(value, short, value >= FAR_JOBS_MAJORITY, f"{value:.1%} of outside-bound jobs beyond {FAR_KM:g} km")


def random_power_chance(world: WorldData, draws: int = RANDOM_DRAWS) -> float:
    """Monte-Carlo chance that five random candidates' mean index is within the tolerance of the list's."""
    rng = np.random.default_rng(RANDOM_SEED)
    index = np.array([power_index(world, c) for c in outside_candidates(world)])
    means = np.array([index[rng.choice(len(index), LIST_LENGTH, replace=False)].mean() for _ in range(draws)])
    return float((np.abs(means - listed_power_mean(world)) <= POWER_MEAN_TOLERANCE + 1e-12).mean())


# --- the candidates --------------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    fact: Fact
    band: Callable[[WorldData], tuple[float, float]]  # the values where the rule holds
    chance: Callable[[WorldData], float] | None  # a random pick of five meeting it (a top-five statistic)
    origin: str  # why it is screened


SUZHOU_LIST = ARTICLE + ", line 17 (China Industrial Transfer Report): Suzhou's list"
BRIEF = "issue 17 item 3"
POST_HOC = "post hoc: built after the others were measured, as the conjunction of far_suzhou and cheap_power_suzhou"


MeasureFn = Callable[[Pooled, WorldData], Measure]


def _fact(name: str, label: str, statistic: str, observed: str, rule: str, unit: str, fn: MeasureFn) -> Fact:
    return Fact(name, label, statistic, observed, rule, SUZHOU_LIST, HINDCAST, unit, UNIT_BOUNDS[unit], fn)


def _count(kind: CityKind, what: str, name: str, label: str, observed: str, rule: str, origin: str) -> Candidate:
    statistic = f"how many of Suzhou's top 5 outside cities by jobs are {what}"
    fact = _fact(name, label, statistic, observed, rule, "count", count_in_top5(kind, what))

    def band(world: WorldData) -> tuple[float, float]:
        return float(len(kind(world, listed()))), float(len(listed()))

    def chance(world: WorldData) -> float:
        return kind_chance(world, kind).p(len(kind(world, listed())))

    return Candidate(fact, band, chance, origin)


FAR_WHAT = f"beyond {FAR_KM:,.0f} km of Suzhou"
CHEAP_WHAT = f"in a province with power-price index ≤ {CHEAP_POWER_INDEX}"
CANDIDATES: dict[str, Candidate] = {
    c.fact.name: c
    for c in (
        _count(
            far,
            FAR_WHAT,
            "far_suzhou",
            "Suzhou's top five: how many are far",
            "4 of 5: Guiyang 1,429 km, Luzhou 1,470, Maoming 1,409, Xianyang 1,158 (Ningbo 196)",
            "at least the list's 4 (assumption: one far city fewer is a miss; '3 or more' would be met by 24% of"
            " random picks of five)",
            BRIEF + " (a): the distance profile of Suzhou's list",
        ),
        Candidate(
            _fact(
                "far_jobs_suzhou",
                "Suzhou's outside-bound jobs: most go far",
                f"share of Suzhou's outside-bound jobs going beyond {FAR_KM:,.0f} km",
                "4 of the list's 5 cities are far (no shares are given)",
                f"share ≥ {FAR_JOBS_MAJORITY:.0%} (assumption: the list's 4 of 5 read as most jobs; the source gives"
                " no share)",
                "share",
                far_jobs,
            ),
            lambda world: (FAR_JOBS_MAJORITY, 1.0),
            None,
            BRIEF + " (a), as a share of jobs: the distance profile of outside-bound moves",
        ),
        Candidate(
            _fact(
                "power_suzhou",
                "Suzhou's top five: power prices",
                "mean power-price index (places.csv, Jiangsu = 1) of Suzhou's top 5 outside cities by jobs",
                "0.912: Guiyang 0.828, Luzhou 0.875, Maoming 1.016, Ningbo 1.031, Xianyang 0.812",
                f"within ±{POWER_MEAN_TOLERANCE} of the list's mean (assumption: the index's ±0.08 a province / √5)",
                "ratio",
                power_mean,
            ),
            lambda world: (
                listed_power_mean(world) - POWER_MEAN_TOLERANCE,
                listed_power_mean(world) + POWER_MEAN_TOLERANCE,
            ),
            random_power_chance,
            BRIEF + " (b): the power-price profile of Suzhou's list",
        ),
        _count(
            cheap_power,
            CHEAP_WHAT,
            "cheap_power_suzhou",
            "Suzhou's top five: cheap-power provinces",
            "3 of 5: Guiyang (Guizhou 0.828), Luzhou (Sichuan 0.875), Xianyang (Shaanxi 0.812)",
            f"at least the list's 3 (index ≤ {CHEAP_POWER_INDEX}: a tariff at least 10% below Jiangsu's, beyond the"
            " index's ±0.08; assumption)",
            BRIEF + " (b): the share of the list in the cheapest-power provinces",
        ),
        _count(
            far_cheap_power,
            f"{FAR_WHAT} and {CHEAP_WHAT}",
            "far_cheap_power_suzhou",
            "Suzhou's top five: far and cheap power",
            "3 of 5: Guiyang, Luzhou, Xianyang (Maoming is far, in Guangdong, 1.016)",
            "at least the list's 3 (the two rules above; assumption)",
            POST_HOC,
        ),
    )
}
# Facts of the catalogue reported but fitted by no shipped calibration (domain.md stylized facts 3, 6).
EXISTING = ("agglomeration_lock_in", "park_effects_modest")
# What was considered and not measured as a candidate, and why (shown under the table).
LEFT_OUT: tuple[tuple[str, str], ...] = (
    (
        "Shares by destination kind (north parks, other Jiangsu places, other provinces)",
        "the article gives no shares; that most jobs leave the province is fitted already (outside_majority) and"
        " that northern Jiangsu is skipped is held out (north_skipped)",
    ),
    (
        "The industry mix of moves to cheap-power provinces",
        "no source gives it and Suzhou's list names no industries; domain.md stylized fact 7 names the energy"
        " term as a mechanism whose working 'is a finding, not a target to tune'",
    ),
    (
        "Most moves short (domain.md stylized fact 1, Knoben & Oerlemans 2005)",
        "'most moves short' has no distance figure and is about every move of Dutch firms, while the model has"
        " inter-city moves only; the fact's figure (about 6% a year) is used by low_move_rate already",
    ),
    (
        "Southern industry leaves the province more and more (article line 17, 苏南产业向省外转移增加)",
        "a direction without a figure; the yardsticks keep the model's push, so a rise of outside-bound moves that"
        " comes from rising costs is theirs as much as the model's",
    ),
    (
        "Magnitudes of the literature (wage elasticity −0.46, +10% motorways → +0.7–2.6% plant openings,"
        " >3× labour costs to stay near home)",
        "responses to attributes estimated in other countries, not 2019–2022 outcomes; the wage one already sets"
        " a default and a prior (scenarios/before_calibration.yaml, calibrations/article_suzhou_levers.yaml),"
        " so fitting it too would count it twice",
    ),
    (
        "Profiles of Wuxi's list, the distance clusters, the park facts",
        "held out (domain.md, 'Which facts to fit and which to hold out'): never a source of a fitted fact",
    ),
)


def screened() -> dict[str, Candidate]:
    """The candidates, then the catalogue's facts screened the same way (their band: MET_BANDS)."""
    existing = {
        name: Candidate(FACTS[name], lambda world, n=name: MET_BANDS[n], None, "catalogue: reported, not fitted")
        for name in EXISTING
    }
    return {**CANDIDATES, **existing}
