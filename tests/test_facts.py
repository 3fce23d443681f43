"""experiments/facts/measures.py and experiments/facts/catalogue.py on hand-made cases whose answers are known."""

from __future__ import annotations

import math
import random

import pytest
from scipy import stats

from experiments.facts import measures as m
from experiments.facts.catalogue import (
    FACTS,
    FIT_DEFAULT,
    HELD_OUT_DEFAULT,
    LIST_FACTS,
    UNIT_BOUNDS,
    list_band,
    random_picks_of,
)
from experiments.facts.hindcast import ALL
from experiments.facts.patterns import rbo, read_targets
from experiments.validation.facts import COVERAGE, NO_EVIDENCE, NOT_REPRODUCED, REPRODUCED, UNDEFINED, verdict
from model.scenario import load_scenario
from model.world import WorldData, world_for
from tests.conftest import SCENARIOS

SIZE_BANDS = ("0-50 jobs", "50-200 jobs", "200-1000 jobs", "1000+ jobs")
AGE_BANDS = ("0-5 years", "5-10 years", "10-20 years", "20+ years")


@pytest.fixture(scope="module")
def world() -> WorldData:
    return world_for(load_scenario(SCENARIOS / "baseline.yaml"))


# --- rank statistics ---------------------------------------------------------------------


def test_spearman_with_ties_is_the_average_rank_correlation() -> None:
    x, y = [1.0, 2.0, 3.0, 4.0, 5.0], [1.0, 1.0, 2.0, 5.0, 3.0]
    assert m.spearman(x, y) == pytest.approx(stats.spearmanr(x, y).statistic, rel=1e-12)
    assert m.spearman(x, [10.0, 8.0, 8.0, 3.0, 1.0]) == pytest.approx(stats.spearmanr(x, [10, 8, 8, 3, 1]).statistic)
    assert m.spearman([1.0, 2.0, 3.0], [3.0, 2.0, 1.0]) == pytest.approx(-1.0)


def test_spearman_is_undefined_without_three_finite_pairs_or_without_spread() -> None:
    assert math.isnan(m.spearman([1.0, 2.0], [2.0, 1.0]))
    assert math.isnan(m.spearman([1.0, 2.0, math.nan], [1.0, 2.0, 3.0]))
    assert math.isnan(m.spearman([1.0, 2.0, 3.0], [4.0, 4.0, 4.0]))
    assert m.spearman([1.0, 2.0, 3.0, math.nan], [1.0, 2.0, 3.0, 0.0]) == pytest.approx(1.0)


def test_kendall_tau_against_a_stated_order() -> None:
    order = ("a", "b", "c")
    assert m.kendall_tau(order, {"a": 3.0, "b": 2.0, "c": 1.0}) == 1.0
    assert m.kendall_tau(order, {"a": 1.0, "b": 2.0, "c": 3.0}) == -1.0
    assert m.kendall_tau(order, {"a": 3.0, "b": 1.0, "c": 2.0}) == pytest.approx(1 / 3)
    assert m.kendall_tau(order, {"a": 2.0, "b": 2.0, "c": 2.0}) == 0.0  # ties count 0


def test_rbo_closed_cases() -> None:
    a = ["x", "y", "z", "u", "v"]
    assert rbo(a, a) == pytest.approx(1.0)
    assert rbo(a, ["p", "q", "r", "s", "t"]) == pytest.approx(0.0)
    assert 0.0 < rbo(a, list(reversed(a))) < 1.0  # ranked: the order matters
    for seed in range(5):
        shuffled = random.Random(seed).sample(a, len(a))
        assert rbo(shuffled, a, ranked=False) == pytest.approx(1.0)  # unranked: the same set in any order
    assert rbo(a, ["p", "q", "r", "s", "t"], ranked=False) == pytest.approx(0.0)


# --- each measure on hand-made pooled statistics --------------------------------------------


@pytest.mark.parametrize(("share", "met"), [(0.49, False), (0.51, True), (m.OUTSIDE_MAJORITY, True)])
def test_outside_majority(world: WorldData, share: float, met: bool) -> None:
    got = m.outside_majority({f"{ALL}|share|outside_city": share}, world)
    assert got.value == share and got.met is met
    assert (got.distance == 0.0) is met


@pytest.mark.parametrize(
    ("rate", "met"),
    [
        (m.MOVE_RATE_BAND[0], True),
        (m.MOVE_RATE_BAND[1], True),
        (m.MOVE_RATE_BAND[0] * 0.99, False),
        (m.MOVE_RATE_BAND[1] * 1.01, False),
        (0.01, True),
    ],
)
def test_move_rate_band_edges(world: WorldData, rate: float, met: bool) -> None:
    got = m.move_rate({f"{ALL}|move_rate|": rate}, world)
    assert got.met is met and (got.distance == 0.0) is met


@pytest.mark.parametrize(("what", "bands"), [("size", SIZE_BANDS), ("age", AGE_BANDS)])
def test_falling_with_a_strictly_decreasing_series(world: WorldData, what: str, bands: tuple[str, ...]) -> None:
    falling = {f"{ALL}|move_rate_by_{what}|{b}": 0.04 - 0.01 * i for i, b in enumerate(bands)}
    shuffled = dict(reversed(list(falling.items())))  # the bands are ordered by their label, not by insertion
    got = m.falling(what)(shuffled, world)
    assert got.value == pytest.approx(-1.0) and got.met is True and got.distance == pytest.approx(0.0)
    rising = {k: 0.1 - v for k, v in falling.items()}
    got = m.falling(what)(rising, world)
    assert got.value == pytest.approx(1.0) and got.met is False


def test_falling_is_undefined_with_too_few_bands(world: WorldData) -> None:
    got = m.falling("size")({f"{ALL}|move_rate_by_size|0-50 jobs": 0.02}, world)
    assert math.isnan(got.value) and got.met is None


def test_industry_mix_follows_the_intensity_order(world: WorldData) -> None:
    intensity = (world.industry_num["labour_intensity"] + world.industry_num["land_intensity"]) / 2
    rates = {
        f"{ALL}|industry_move_rate|{k}": 0.01 + float(v) for k, v in zip(world.industry_ids, intensity, strict=True)
    }
    assert m.industry_mix(rates, world).met is True
    reverse = {k: 1.0 - v for k, v in rates.items()}
    assert m.industry_mix(reverse, world).met is False


def _clusters(near: float, mid: float, far: float) -> dict[str, float]:
    bands = {"0-400 km": near, "400-1000 km": mid, "1000+ km": far}
    return {f"{g}|outside_distance_band|{b}": v for g in m.LIST_GROUPS for b, v in bands.items()}


def test_clusters(world: WorldData) -> None:
    assert m.clusters(_clusters(0.4, 0.1, 0.5), world).met is True
    assert m.clusters(_clusters(0.2, 0.5, 0.3), world).met is False
    assert m.clusters(_clusters(0.1, 0.2, 0.7), world).met is False  # between above near: not two clusters
    assert m.clusters({}, world).met is None


@pytest.mark.parametrize(("factor", "met"), [(0.99, True), (1.01, False)])
def test_north_skipped_against_what_chance_sends_north(world: WorldData, factor: float, met: bool) -> None:
    share = m.SKIPPED_RATIO * m.north_chance(world) * factor
    got = m.north_skipped({f"{ALL}|north_jiangsu_share|": share}, world)
    assert got.value == pytest.approx(m.SKIPPED_RATIO * factor) and got.met is met


def test_park_rank_tau(world: WorldData) -> None:
    parks = m.WUXI_PARKS_BY_INVESTMENT
    ordered = {f"{ALL}|park_share|{p}": 0.03 - 0.01 * i for i, p in enumerate(parks)}
    got = m.park_rank(ordered, world)
    assert got.value == 1.0 and got.met is True
    swapped = {**ordered, f"{ALL}|park_share|{parks[0]}": 0.0}
    got = m.park_rank(swapped, world)
    assert got.value == pytest.approx(-1 / 3) and got.met is False


def test_top5_of_the_article_list_is_met(world: WorldData) -> None:
    target = read_targets().top_destinations["Wuxi"]
    pooled = {f"Wuxi|outside_destination|{c}": 0.3 - 0.05 * i for i, c in enumerate(target)}
    got = m.top5("Wuxi")(pooled, world)
    assert got.value == 5.0 and got.met is True and got.distance == 0.0 and got.p < 1e-8
    ranked = m.top5_ranked("Wuxi")(pooled, world)
    assert ranked.value == pytest.approx(1.0) and ranked.met is True
    assert m.top5("Wuxi")({}, world).met is None and m.top5_ranked("Wuxi")({}, world).met is None


def _top(group: str, cities: list[str]) -> dict[str, float]:
    return {f"{group}|outside_destination|{c}": 0.3 - 0.05 * i for i, c in enumerate(cities)}


def test_a_set_list_counts_cities_in_common_in_any_order_and_asks_for_a_rare_overlap(world: WorldData) -> None:
    """Suzhou's list is a set: the order of the model's top 5 does not matter, the number in common does."""
    target = read_targets().top_destinations["Suzhou"]
    others = [c for c in m.outside_candidates(world) if c not in target][:5]
    one_first, one_last = [target[3], *others[:4]], [*others[:4], target[3]]
    a, b = m.top5("Suzhou")(_top("Suzhou", one_first), world), m.top5("Suzhou")(_top("Suzhou", one_last), world)
    assert a.value == b.value == 1.0 and a.p == b.p and a.met is False  # 1 in common: chance 16%, not rare
    assert a.p == pytest.approx(m.list_set_chance("Suzhou", m.outside_candidates(world)).p(1))
    two = m.top5("Suzhou")(_top("Suzhou", [*others[:3], target[0], target[4]]), world)
    assert two.value == 2.0 and two.met is True and two.p <= 0.05 and two.distance == pytest.approx(0.6)
    assert "2 in common" in two.detail and two.detail.split(" (")[0].split()[3:] == [target[0], target[4]]


def test_the_ranked_list_rewards_the_order(world: WorldData) -> None:
    target = read_targets().top_destinations["Wuxi"]
    forward = m.top5_ranked("Wuxi")(_top("Wuxi", target), world)
    backward = m.top5_ranked("Wuxi")(_top("Wuxi", list(reversed(target))), world)
    assert forward.value == pytest.approx(1.0) and backward.value < forward.value
    assert m.top5("Wuxi")(_top("Wuxi", list(reversed(target))), world).value == 5.0  # the same set


def test_the_catalogue_compares_each_list_as_the_targets_file_says() -> None:
    """A list the targets file calls unranked is a set fact only; a ranked one is a set fact and an RBO fact."""
    targets = read_targets()
    for group in targets.top_destinations:
        kinds = sorted(how for g, how in LIST_FACTS.values() if g == group)
        assert kinds == (["ranking", "set"] if targets.is_ranked(group) else ["set"]), group
    assert FACTS["top5_suzhou"].unit == "count" and FACTS["top5_wuxi_ranked"].unit == "overlap"
    assert targets.is_ranked("Wuxi") and not targets.is_ranked("Suzhou")


def test_random_picks_and_the_band_of_the_list_facts(world: WorldData) -> None:
    n = len(m.outside_candidates(world))
    mean, q95 = random_picks_of("top5_suzhou", world) or (math.nan, math.nan)
    assert mean == pytest.approx(25 / n) and q95 == 1.0
    assert list_band("top5_suzhou", world) == (2.0, 5.0)
    low, high = list_band("top5_wuxi_ranked", world) or (math.nan, math.nan)
    assert 0.0 < low < 1.0 and high == 1.0
    assert random_picks_of("outside_majority", world) is None and list_band("outside_majority", world) is None


@pytest.mark.parametrize("name", sorted(FACTS))
def test_every_fact_is_undefined_on_no_statistics(world: WorldData, name: str) -> None:
    got = FACTS[name].of([{}], world)
    assert got.met is None and math.isnan(got.value) and got.distance == 1.0


def test_lock_in_and_parks_modest(world: WorldData) -> None:
    assert m.lock_in({f"{ALL}|base_ratio|": 1.2}, world).met is True
    assert m.lock_in({f"{ALL}|base_ratio|": 0.9}, world).met is False
    modest = {f"{ALL}|share|north_park": 0.05, f"{ALL}|park_focus_ratio|": 1.5}
    assert m.parks_modest(modest, world).met is True
    assert m.parks_modest({**modest, f"{ALL}|park_focus_ratio|": 0.9}, world).met is False
    assert m.parks_modest({**modest, f"{ALL}|share|north_park": 0.2}, world).met is False


# --- pooling and the facts ------------------------------------------------------------------


def test_pool_averages_and_counts_a_missing_outside_city_as_zero() -> None:
    city = "Suzhou|outside_destination|guiyang"
    pooled = m.pool([{city: 0.4, "x|move_rate|": 0.1}, {"x|move_rate|": 0.3}, {}])
    assert pooled[city] == pytest.approx(0.4 / 3)  # a run that never chose the city counts 0
    assert pooled["x|move_rate|"] == pytest.approx(0.2)  # any other statistic: the mean of the runs that have it
    assert math.isnan(m.pool([{"y|share|a": math.nan}])["y|share|a"])


def test_fact_of_pools_and_per_replication_does_not(world: WorldData) -> None:
    runs = [{f"{ALL}|share|outside_city": 0.4}, {f"{ALL}|share|outside_city": 0.7}]
    fact = FACTS["outside_majority"]
    assert fact.of(runs, world).value == pytest.approx(0.55) and fact.of(runs, world).met is True
    assert fact.per_replication(runs, world) == [0.4, 0.7]


def test_the_thirteen_facts_are_described_and_partitioned() -> None:
    assert len(FACTS) == 13
    for name, fact in FACTS.items():
        assert fact.name == name and fact.unit in UNIT_BOUNDS and fact.bounds == UNIT_BOUNDS[fact.unit]
        assert fact.source and fact.rule and fact.observed and fact.window == "2019-2022"
    assert not set(FIT_DEFAULT) & set(HELD_OUT_DEFAULT) and set(FIT_DEFAULT) | set(HELD_OUT_DEFAULT) <= set(FACTS)


def test_every_fact_covers_a_stated_fact_and_every_uncovered_one_says_why() -> None:
    covered = {f for _source, _item, facts, _note in COVERAGE for f in facts.split()}
    assert covered == set(FACTS)
    assert all(note for _s, _i, facts, note in COVERAGE if not facts)
    assert {f"domain.md stylized fact {i}" for i in range(1, 8)} <= {source for source, *_ in COVERAGE}


def test_verdicts() -> None:
    assert verdict(True, False) == REPRODUCED and verdict(True, None) == REPRODUCED
    assert verdict(True, True) == NO_EVIDENCE
    assert verdict(False, True) == NOT_REPRODUCED and verdict(None, True) == UNDEFINED
