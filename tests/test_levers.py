"""Levers stand alone: metadata, a schema built from the registry, typed targets, declared push/pull.

Every test iterates `model.levers.REGISTRY` and the fields' own markers, so a
new lever is covered without editing this file. The last tests add a lever
that is not in the registry (config class + rule, defined here) the documented
way, `model.config.scenario_model`, and show that it validates and runs
without touching any global state.
"""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from pydantic import BaseModel, ValidationError

from model import simulate
from model.choice import Context, Movers, NestSpec, nested_logit, push_eta, push_probability, utilities
from model.config import LEVER_KEYS, Policies, Scenario, scenario_model
from model.errors import InputError
from model.levers import LEVERS, REGISTRY, build_levers
from model.levers.base import PULL, PUSH, Lever
from model.scenario import load_raw, load_scenario, set_path, to_input_error
from model.schema import Fraction, IdsOf, ParkIds, Timed, Yuan, ids, label_of, marker_of, quantity, unit_of
from model.state import WorldState
from model.world import WorldData, check_references, world_for
from tests.conftest import run_py
from tests.helpers import SCENARIOS, hand_set, scenario, shipped

YEARS = {"start": 2023, "end": 2035}


def _numeric(annotation: Any) -> bool:
    """int or float, constrained or optional or not (bool excluded)."""
    if typing.get_origin(annotation) is typing.Annotated:
        return _numeric(typing.get_args(annotation)[0])
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        return any(_numeric(a) for a in typing.get_args(annotation) if a is not type(None))
    return annotation in (int, float)


def _id_fields(cls: type[Lever]) -> list[tuple[str, IdsOf]]:
    found = [(name, marker_of(cls.config_class, name)) for name in cls.config_class.model_fields]
    return [(name, marker) for name, marker in found if marker is not None]


@pytest.fixture(scope="module")
def world() -> WorldData:
    return world_for(scenario())


# --- metadata and schema -------------------------------------------------------------


@pytest.mark.parametrize("key", list(REGISTRY))
def test_every_lever_declares_its_metadata(key: str) -> None:
    cls = REGISTRY[key]
    assert cls.key == key
    assert cls.label and cls.label[0].isupper() and "_" not in cls.label
    assert cls.acts_on and cls.acts_on <= {PUSH, PULL}
    assert cls.summary and "\n" not in cls.summary and len(cls.summary) <= 120
    assert issubclass(cls.config_class, Timed)
    assert cls.__module__.startswith("model.levers.") and cls.config_class.__module__ == cls.__module__


@pytest.mark.parametrize("key", list(REGISTRY))
def test_every_numeric_field_has_a_unit_and_a_label_and_every_target_a_label(key: str) -> None:
    config = REGISTRY[key].config_class
    numeric = [n for n, f in config.model_fields.items() if _numeric(f.annotation)]
    assert {"start_year", "end_year"} <= set(numeric)
    for name in numeric:
        assert unit_of(config, name), f"{key}.{name} has no unit"
        assert label_of(config, name), f"{key}.{name} has no label"
    for name, _marker in _id_fields(REGISTRY[key]):
        assert label_of(config, name), f"{key}.{name} has no label"


def test_the_policies_schema_is_built_from_the_registry() -> None:
    assert tuple(Policies.model_fields) == tuple(REGISTRY) == LEVER_KEYS == tuple(cls.key for cls in LEVERS)
    assert Policies.lever_classes == LEVERS
    for key, cls in REGISTRY.items():
        assert Policies.model_fields[key].annotation == cls.config_class | None
        assert Policies.model_fields[key].default is None


def test_a_lever_without_metadata_is_refused() -> None:
    class Bare(Lever):
        key = "bare"

    with pytest.raises(TypeError, match="lacks label"):
        scenario_model((*LEVERS, Bare))
    with pytest.raises(TypeError, match="used by"):
        scenario_model((*LEVERS, LEVERS[0]))


# --- typed targets ---------------------------------------------------------------


def _refusal(world: WorldData, key: str, config: dict[str, Any]) -> InputError:
    sc = scenario({"years": YEARS, f"policies.{key}": config})
    with pytest.raises(InputError) as caught:
        check_references(sc, world, "s.yaml")
    return caught.value


def _wrong_kind_id(world: WorldData, marker: IdsOf) -> str | None:
    """A real id of the wrong kind for the field: a place of another kind, or a place for an industry field."""
    if marker.table == "industries":
        return world.place_ids[0]
    return next((p for p, k in zip(world.place_ids, world.kinds, strict=True) if not marker.allows_kind(k)), None)


CASES = [(key, name, marker) for key, cls in REGISTRY.items() for name, marker in _id_fields(cls)]


@pytest.mark.parametrize(("key", "name", "marker"), CASES, ids=[f"{k}.{n}" for k, n, _ in CASES])
def test_a_wrong_kind_or_unknown_id_is_refused_in_every_target_field(world, key, name, marker) -> None:
    if marker.table == "industries":
        good = list(world.industry_ids)
    else:
        good = [p for p, k in zip(world.place_ids, world.kinds, strict=True) if marker.allows_kind(k)]
    check_references(scenario({"years": YEARS, f"policies.{key}": {name: good[:2]}}), world, "s.yaml")  # allowed
    wrong = _wrong_kind_id(world, marker)
    bad_ids = ([wrong] if wrong is not None else []) + ["no_such_id"]
    for bad in bad_ids:
        err = _refusal(world, key, {name: [*good[:1], bad]})
        assert err.key == f"policies.{key}.{name}[1]"
        assert repr(bad) in err.problem and marker.describe() in err.problem
        assert err.allowed and good[0] in err.allowed and "\n" not in err.message


def test_talent_in_an_outside_city_or_an_origin_exits_2_in_validate(tmp_path: Path) -> None:
    for place in ("ningbo", "suzhou"):
        path = tmp_path / f"{place}.yaml"
        path.write_text(f"name: x\npolicies: {{talent: {{places: [{place}], annual_budget_yuan: 3.3e10}}}}\n")
        done = run_py(["validate", path])
        assert done.returncode == 2, done.stderr
        assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
        assert f"policies.talent.places[0]: '{place}'" in done.stderr


# --- windows ----------------------------------------------------------------------


@pytest.mark.parametrize("key", list(REGISTRY))
def test_a_lever_window_outside_the_years_is_refused(world, key: str) -> None:
    start, end = YEARS["start"], YEARS["end"]
    check_references(scenario({"years": YEARS, f"policies.{key}": {"start_year": start, "end_year": end}}), world, None)
    for name, year in (("start_year", start - 1), ("end_year", end + 1), ("start_year", end + 1)):
        err = _refusal(world, key, {name: year})
        assert err.key == f"policies.{key}.{name}" and str(year) in err.problem
        assert f"{start} to {end}" in err.allowed


@pytest.mark.parametrize("path", sorted(SCENARIOS.glob("*.yaml")), ids=lambda p: p.stem)
def test_every_shipped_scenario_passes_the_checks(path: Path) -> None:
    sc = load_scenario(path)
    check_references(sc, world_for(sc, path), path)


# --- push and pull ------------------------------------------------------------------


@dataclass
class _Decision:
    """One firm per (origin, industry) in a year: the push's own part of η, the inclusive value, the utilities."""

    eta_z: np.ndarray  # η with push.inclusive_value = 0: intercept and z terms only
    iv: np.ndarray  # inclusive value IV of the destinations
    v: np.ndarray  # utilities (n, D)
    ctx: Context
    movers: Movers
    ages: np.ndarray


def _decision(sc: Scenario, levers: list[Lever], year: int = 2030) -> _Decision:
    """The decision of one 80-job, 5-year-old firm per (origin, industry) in `year`, with the given levers applied."""
    data = world_for(sc)
    state = WorldState(data, sc)
    for y in range(sc.years.start, year + 1):
        state.begin_year(y)
        for lever in levers:
            lever.apply(state, y)
    origins = data.of_kind("origin")
    place = np.repeat(origins, data.n_industries)
    industry = np.tile(np.arange(data.n_industries), len(origins))
    movers = Movers(industry, place, place, np.full(len(place), 80.0))
    ages = np.full(len(place), 5.0)
    dest = np.flatnonzero(np.isin(data.kinds, sc.world.destination_kinds))
    ctx = Context(state, dest, data.base_jobs, state.wage, state.land, state.offered_yuan_per_job())
    v = utilities(sc.behaviour.choice, ctx, movers)
    _prob, iv = nested_logit(v, NestSpec.of(list(data.kinds[dest]), sc.behaviour.nests.model_dump()))
    coef = sc.behaviour.push.model_copy(update={"inclusive_value": 0.0})
    return _Decision(push_eta(coef, ctx, movers, ages, iv), iv, v, ctx, movers, ages)


def _offers_in_2030(key: str) -> bool:
    """Whether the lever's shipped scenario offers money per relocated job in 2030."""
    sc = shipped(key)
    data = world_for(sc)
    state = WorldState(data, sc)
    state.begin_year(2030)
    for lever in build_levers(sc, data):
        lever.apply(state, 2030)
    return bool(state.offers)


OFFERING = [key for key in REGISTRY if _offers_in_2030(key)]


def test_some_levers_offer_money_per_job() -> None:
    assert {"relocation_aid", "labour_resettlement"} <= set(OFFERING)


@pytest.mark.parametrize("key", list(REGISTRY))
def test_a_lever_moves_the_push_directly_exactly_when_it_declares_push(key: str) -> None:
    """Applied alone (its shipped scenario), a pull-only lever leaves the push's own terms as they were;
    with push.inclusive_value c it changes η by exactly c · ΔIV."""
    sc = shipped(key)
    c = sc.behaviour.push.inclusive_value
    assert c > 0
    base, lever = _decision(sc, []), _decision(sc, build_levers(sc, world_for(sc)))
    assert not np.array_equal(lever.v, base.v), "the lever changes no destination's utility"
    assert np.any(lever.iv > base.iv + 1e-9), "the lever improves no firm's destinations"
    if PUSH in REGISTRY[key].acts_on:
        assert not np.array_equal(lever.eta_z, base.eta_z)
        return
    np.testing.assert_array_equal(lever.eta_z, base.eta_z)
    iv_ref = float(base.iv.mean())  # any constant: it is the same in both
    eta0 = push_eta(sc.behaviour.push, base.ctx, base.movers, base.ages, base.iv - iv_ref)
    eta1 = push_eta(sc.behaviour.push, lever.ctx, lever.movers, lever.ages, lever.iv - iv_ref)
    np.testing.assert_allclose(eta1 - eta0, c * (lever.iv - base.iv), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("key", OFFERING)
def test_no_per_job_offer_feeds_the_push_directly(key: str) -> None:
    """A per-job offer changes the push only through IV − IV_ref, and with push.inclusive_value 0 not at all.

    The push's terms read no offer (η is the same on a Context without `offered`); the offer raises only
    the utilities of the parks it pays for, hence IV; with inclusive_value 0 the move probability is unchanged.
    """
    sc = shipped(key)
    data = world_for(sc)
    base, lever = _decision(sc, []), _decision(sc, build_levers(sc, data))
    no_offers = dataclasses.replace(lever.ctx, offered=None)
    for c in (0.0, 0.5, 1.0):
        coef = sc.behaviour.push.model_copy(update={"inclusive_value": c})
        eta = push_eta(coef, lever.ctx, lever.movers, lever.ages, lever.iv)
        np.testing.assert_array_equal(push_eta(coef, no_offers, lever.movers, lever.ages, lever.iv), eta)
        p0 = push_probability(coef, base.ctx, base.movers, base.ages, base.iv - 1.0)
        p1 = push_probability(coef, lever.ctx, lever.movers, lever.ages, lever.iv - 1.0)
        if c == 0.0:
            np.testing.assert_array_equal(p1, p0)
        else:
            assert np.all(p1 >= p0) and np.any(p1 > p0)
    parks = data.kinds[lever.ctx.destinations] == "north_park"
    np.testing.assert_array_equal(lever.v[:, ~parks], base.v[:, ~parks])
    assert np.all(lever.v[:, parks] >= base.v[:, parks]) and np.any(lever.v[:, parks] > base.v[:, parks])


@pytest.mark.parametrize("key", OFFERING)
def test_a_lever_that_offers_money_per_job_acts_on_the_pull_only(key: str) -> None:
    """DESIGN §3: money offered only for moves to northern parks is pull, never push."""
    assert REGISTRY[key].acts_on == {PULL}
    sc = shipped(key)
    state = _decision(sc, build_levers(sc, world_for(sc))).ctx.state
    for offer in state.offers:
        paid_at = np.flatnonzero(offer.yuan_per_job.sum(axis=(0, 1)))
        assert len(paid_at) and set(state.data.kinds[paid_at]) == {"north_park"}


# --- a worked example: adding a lever ------------------------------------------------


class PowerDiscountConfig(Timed):
    """A new lever's config: typed targets, quantities with units and labels, the window from Timed."""

    parks: ParkIds = ids(None, label="Parks", description="north park ids; None = every north park")
    discount: Fraction = quantity(0.3, unit="share of the power price", label="Power-price discount")
    annual_budget_yuan: Yuan = quantity(0.0, unit="yuan per year", label="Annual budget")


class PowerDiscount(Lever):
    """Cheaper industrial power at northern parks: acts on their utility through the `energy` term."""

    key = "power_discount"
    label = "Power-price discount"
    acts_on = frozenset({PULL})
    summary = "Discounts industrial power prices at northern parks."
    config_class = PowerDiscountConfig
    config: PowerDiscountConfig

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.parks = self.place_targets("parks")

    def apply(self, state: WorldState, year: int) -> float:
        if not self.config.active(year):
            return 0.0
        state.power = state.power.copy()
        state.power[self.parks] *= 1.0 - self.config.discount
        return self.config.annual_budget_yuan


EXTENDED = scenario_model((*LEVERS, PowerDiscount))


def _extended(policy: dict[str, Any], firms: int = 4_000) -> Scenario:
    data = load_raw(SCENARIOS / "baseline.yaml")
    for key, value in hand_set().items():  # sized on the hand-set coefficients' move rate
        set_path(data, key, value)
    data["firms"] = {"count": firms}
    data["policies"] = {"power_discount": policy}
    try:
        return EXTENDED.model_validate_json(json.dumps(data), strict=True)
    except ValidationError as exc:
        raise to_input_error(exc, "extended.yaml", root=EXTENDED) from None


def test_a_new_lever_validates_runs_and_is_checked_like_the_shipped_ones() -> None:
    policy = {"start_year": 2024, "parks": ["suzhou_suqian", "wuxi_xuzhou"], "annual_budget_yuan": 1e9}
    sc = _extended(policy)
    data = world_for(sc)  # the generic checks see the new lever's fields
    assert [lever.key for lever in build_levers(sc, data)] == ["power_discount"]
    base = simulate(shipped("baseline", {**hand_set(), "firms.count": 4_000}), 3, data)
    res = simulate(sc, 3, data)
    assert res.metrics["fiscal_cost_yuan"] == pytest.approx(1e9 * 12)
    assert res.metrics["to_north_jobs"] > base.metrics["to_north_jobs"]
    with pytest.raises(InputError, match=r"policies\.power_discount\.parks\[0\]: 'ningbo'"):
        world_for(_extended({"parks": ["ningbo"]}))
    with pytest.raises(InputError, match=r"policies\.power_discount\.discount"):
        _extended({"discount": 1.5})
    with pytest.raises(InputError, match=r"policies\.power_discount\.end_year"):
        world_for(_extended({"end_year": 2050}))


def test_adding_a_lever_this_way_changes_no_global_state() -> None:
    assert "power_discount" not in REGISTRY and PowerDiscount not in LEVERS
    assert "power_discount" not in Policies.model_fields and "power_discount" not in LEVER_KEYS
    assert issubclass(EXTENDED, Scenario) and EXTENDED is not Scenario
    with pytest.raises(InputError, match="power_discount"):
        scenario({"policies.power_discount": {"discount": 0.1}})
    assert isinstance(_extended({}).policies, BaseModel)


def test_the_guidance_pull_of_a_year_is_gone_the_next_year_although_its_array_is_reused() -> None:
    """WorldState keeps one (P, K, P) pull per run (no 3 MB array a year): a lever's addition
    must not outlive its year, or a guidance window would act after it closes."""
    sc = load_scenario(SCENARIOS / "industry_guidance.yaml")
    world = world_for(sc)
    state = WorldState(world, sc)
    (lever,) = (lv for lv in build_levers(sc, world) if lv.key == "industry_guidance")
    year = lever.config.start_year
    state.begin_year(year)
    lever.apply(state, year)
    assert state.guidance_pull.sum() > 0
    buffer = state.guidance_pull
    state.begin_year(year + 1)
    assert state.guidance_pull is buffer
    assert not state.guidance_pull.any()
