"""experiments/facts/screening.py: the candidate facts on hand-made summaries, the clear-miss rule, the screening
at a tiny size (reproducible), and the shipped table held to the catalogue's fit list."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import pytest
from scipy import stats

from experiments.facts import candidates as cand
from experiments.facts import screening as sc
from experiments.facts.catalogue import FACTS, FIT_DEFAULT, HELD_OUT_DEFAULT
from experiments.facts.measures import outside_candidates
from model.scenario import load_scenario
from model.world import WorldData, world_for
from tests.conftest import ROOT, SCENARIOS

SHIPPED = ROOT / "docs" / "calibration" / "fact_screening"
LIST = ["guiyang", "luzhou", "maoming", "ningbo", "xianyang"]
NEAR = ["hangzhou", "jiaxing", "huzhou", "shaoxing", "ningbo"]  # all within 200 km of Suzhou, all in Zhejiang


@pytest.fixture(scope="module")
def world() -> WorldData:
    return world_for(load_scenario(SCENARIOS / "baseline.yaml"))


def _top(cities: list[str]) -> dict[str, float]:
    """Pooled statistics whose Suzhou top five are `cities`, in this order."""
    return {f"Suzhou|outside_destination|{c}": 0.3 - 0.05 * i for i, c in enumerate(cities)}


def test_suzhou_and_its_distances(world: WorldData) -> None:
    assert world.place_ids[cand.group_city(world)] == "suzhou"
    km = {c: cand.km_from_group(world, c) for c in LIST}
    assert km["ningbo"] < 250 and all(1100 < km[c] < 1500 for c in LIST if c != "ningbo")
    assert cand.far(world, LIST) == ["guiyang", "luzhou", "maoming", "xianyang"]
    assert cand.cheap_power(world, LIST) == ["guiyang", "luzhou", "xianyang"]
    assert cand.far_cheap_power(world, LIST) == ["guiyang", "luzhou", "xianyang"]
    with pytest.raises(KeyError):
        cand.group_city(world, "Nowhere")


@pytest.mark.parametrize(
    ("name", "cities", "value", "met", "distance"),
    [
        ("far_suzhou", LIST, 4.0, True, 0.0),
        ("far_suzhou", NEAR, 0.0, False, 1.0),
        ("far_suzhou", ["chongqing", "shenzhen", "guangzhou", "hangzhou", "ningbo"], 3.0, False, 0.25),
        ("cheap_power_suzhou", LIST, 3.0, True, 0.0),
        ("cheap_power_suzhou", NEAR, 0.0, False, 1.0),
        ("far_cheap_power_suzhou", ["chengdu", "chongqing", "shenzhen", "guiyang", "xian"], 3.0, True, 0.0),
        ("far_cheap_power_suzhou", ["chengdu", "shenzhen", "guangzhou", "hangzhou", "ningbo"], 1.0, False, 2 / 3),
    ],
)
def test_the_counts_of_the_top_five(
    world: WorldData, name: str, cities: list[str], value: float, met: bool, distance: float
) -> None:
    got = cand.CANDIDATES[name].fact.of([_top(cities)], world)
    assert got.value == value and got.met is met and got.distance == pytest.approx(distance)
    assert got.detail.startswith(" ".join(cities))


def test_the_chance_of_a_count_is_the_hypergeometric_tail(world: WorldData) -> None:
    n = len(outside_candidates(world))
    far = len(cand.far(world, outside_candidates(world)))
    assert (n, far) == (147, 52)  # the candidate rule's 147 cities, 52 of them beyond 1,000 km of Suzhou
    got = cand.CANDIDATES["far_suzhou"].fact.of([_top(LIST)], world)
    assert got.p == pytest.approx(stats.hypergeom(n, far, 5).sf(3), rel=1e-12)  # P(X ≥ 4)
    assert cand.CANDIDATES["far_suzhou"].chance is not None
    assert cand.CANDIDATES["far_suzhou"].chance(world) == pytest.approx(0.0530, abs=5e-4)  # just above 5%
    assert cand.CANDIDATES["far_suzhou"].band(world) == (4.0, 5.0)


def test_the_power_mean(world: WorldData) -> None:
    fact = cand.CANDIDATES["power_suzhou"].fact
    assert cand.listed_power_mean(world) == pytest.approx((0.828 + 0.875 + 1.016 + 1.031 + 0.812) / 5)
    got = fact.of([_top(LIST)], world)
    assert got.met is True and got.distance == 0.0
    near = fact.of([_top(NEAR)], world)
    assert near.value == pytest.approx(1.031) and near.met is False and near.distance > 0.0
    chance = cand.random_power_chance(world, draws=2000)
    assert 0.5 < chance < 0.8  # the list's mean is the candidates' (0.912 against 0.914): chance meets it


def test_the_far_share_of_jobs(world: WorldData) -> None:
    fact = cand.CANDIDATES["far_jobs_suzhou"].fact
    key = "Suzhou|outside_distance_band|1000+ km"
    assert fact.of([{key: 0.6}], world).met is True
    got = fact.of([{key: 0.3}], world)
    assert got.met is False and got.distance == pytest.approx(0.4)


@pytest.mark.parametrize("name", sorted(cand.screened()))
def test_every_screened_fact_is_undefined_without_moves(world: WorldData, name: str) -> None:
    got = cand.screened()[name].fact.of([{}], world)
    assert got.met is None and math.isnan(got.value) and got.distance == 1.0


def test_the_clear_miss_rule() -> None:
    assert not sc.clear_miss(True, [0.0, 0.0], 4.0, 5.0, None)  # met is never a miss
    assert sc.clear_miss(False, [0.0, 0.0, 0.0], 4.0, 5.0, None)  # no spread, far from the band
    assert not sc.clear_miss(False, [1.0, 3.0, 2.0, 4.0], 4.0, 5.0, None)  # within two SD
    assert sc.clear_miss(False, [0.9, 1.0, 1.1], 0.0, 0.5, None)  # above the band by more than two SD
    assert not sc.clear_miss(False, [1.0], 4.0, 5.0, None)  # one evaluation: no SD, no verdict
    assert sc.clear_miss(False, [3.9, 4.0], 4.0, 5.0, 0.05)  # a random pick's chance decides where given
    assert not sc.clear_miss(False, [0.0, 0.0], 4.0, 5.0, 0.053)


def test_no_candidate_is_a_catalogue_fact_and_the_rest_are_roles_of_it() -> None:
    assert not set(cand.CANDIDATES) & set(FACTS)
    assert set(cand.EXISTING) <= set(FACTS) - set(FIT_DEFAULT) - set(HELD_OUT_DEFAULT)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The screening at 500 firms, 4 runs a model, 1 a grid point, twice on separate run stores (≈10 s each)."""
    outs = []
    for k in range(2):
        out = tmp_path_factory.mktemp(f"screen{k}") / "s.md"
        args = ["--firms", "500", "--replications", "4", "--grid-replications", "1", "--out", str(out)]
        assert sc.main(args) == 0
        outs.append(out)
    return outs[0], outs[1]


def test_the_tiny_screening_is_reproducible_and_complete(tiny: tuple[Path, Path]) -> None:
    first, second = tiny
    assert first.read_bytes() == second.read_bytes()
    assert first.with_suffix(".csv").read_bytes() == second.with_suffix(".csv").read_bytes()
    with first.with_suffix(".csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert {(r["fact"], r["model"]) for r in rows} == {(f, m) for f in cand.screened() for m in sc.MODEL_ORDER}
    assert all(r["evaluations"] == "2" for r in rows)
    gravity = [r for r in rows if r["model"].startswith("gravity")]
    assert all(r["a"] and r["b"] for r in gravity) and not any(r["a"] for r in rows if r not in gravity)
    text = first.read_text(encoding="utf-8")
    assert "python -m experiments.facts.screening --firms 500 --replications 4 --grid-replications 1" in text
    assert all(f"| `{name}` |" in text for name in cand.screened())


def _verdicts(path: Path) -> dict[str, bool]:
    """fact -> passes (the null model and the refitted gravity yardstick both miss it clearly), from the CSV."""
    with path.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    miss = {(r["fact"], r["model"]): r["clear_miss"] == "true" for r in rows}
    return {f: miss[(f, "null")] and miss[(f, "gravity_refit")] for f, _ in miss}


def test_the_shipped_screening_agrees_with_the_fit_list() -> None:
    """A screened fact that passes is fitted by default, and one that does not is not (docs/calibration/...)."""
    verdicts = _verdicts(SHIPPED.with_suffix(".csv"))
    assert set(verdicts) == set(cand.screened())
    for name, passes in verdicts.items():
        assert (name in FIT_DEFAULT) is passes, name
    text = SHIPPED.with_suffix(".md").read_text(encoding="utf-8")
    assert "--firms 10000 --replications 20 --grid-replications 4 --seed 20230101" in text
