"""Warm starts: a run resumed from a stored state of the year before its levers act is byte-identical to a cold run.

model.prefix (which runs share their first years, and the check that nothing
acts before its year), model.snapshot (a model stored and resumed) and
experiments.engine.warm (a process's store of states and the runs it
serves). The engine-level tests (identical runs once, the model-years
counted, a result folder with warm starts on and off) are in
tests/test_warm_engine.py.
"""

from __future__ import annotations

import pickle
from typing import Any

import numpy as np
import pytest

from experiments.engine.cuts import shares, step
from experiments.engine.store import Task
from experiments.engine.warm import StateStore, WarmStarts
from model import RelocationModel
from model.config import Choice, Scenario, scenario_model
from model.levers import LEVERS, Lever
from model.levers.base import PULL
from model.prefix import dormant, prefix_key, replay, shared_through, stripped
from model.scenario import load_raw
from model.schema import Timed, Yuan, quantity
from model.snapshot import Snapshot, resume, take
from model.state import WorldState
from model.world import world_for
from tests.helpers import SCENARIOS, shipped

FIRMS = 1_500
SEED = 11
PACKAGES = (
    "talent",
    "relocation_aid",
    "labour_resettlement",
    "industry_guidance",
    "infrastructure",
    "business_environment",
    "pairing",
    "cluster_parks",
    "article_package",
    "outside_competition",
)


def small(name: str, **overrides: Any) -> Scenario:
    return shipped(name, {"firms.count": FIRMS, **overrides})


def cold(scenario: Scenario, seed: int = SEED) -> RelocationModel:
    model = RelocationModel(scenario, seed, world_for(scenario))
    while model.year < scenario.years.end:
        model.step()
    return model


def finish(model: RelocationModel) -> RelocationModel:
    while model.year < model.config.years.end:
        model.step()
    return model


def outputs(model: RelocationModel) -> dict[str, Any]:
    """Everything a run gives, as bytes or plain values: its tables, the DataCollector's frame, both generators."""
    res = model.run()
    frame = model.datacollector.get_model_vars_dataframe()
    return {
        "timeseries": pickle.dumps(res.timeseries),
        "flows": pickle.dumps(res.flows),
        "stocks": pickle.dumps(res.stocks),
        "mobility": pickle.dumps(res.mobility),
        "metrics": pickle.dumps(res.metrics),
        "hindcast": pickle.dumps(res.hindcast),
        "datacollector": pickle.dumps((list(frame.columns), frame.to_numpy().tobytes(), list(frame.dtypes))),
        "rng": model.rng.bit_generator.state,
        "random": model.random.getstate(),
        "steps": (model.steps, model.time, model.year, model.running),
    }


def stored_after(scenario: Scenario, cut: int, seed: int = SEED) -> Snapshot:
    model = RelocationModel(scenario, seed, world_for(scenario))
    while model.year < cut:
        model.step()
    return take(model)


def resumed(snapshot: Snapshot, scenario: Scenario) -> RelocationModel:
    data = world_for(scenario)
    rebuilt = replay(scenario, data, snapshot.cut)
    assert rebuilt is not None
    return finish(resume(snapshot, scenario, data, rebuilt))


# --- byte-identical to a cold run -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def baseline_2023() -> Snapshot:
    return stored_after(small("baseline"), 2023)


@pytest.mark.parametrize("name", PACKAGES)
def test_a_package_resumed_from_the_baselines_2023_is_its_cold_run_byte_for_byte(
    name: str, baseline_2023: Snapshot
) -> None:
    package = small(name)
    data = world_for(package)
    assert shared_through(package) == 2023
    assert prefix_key(package, SEED, data, 2023) == prefix_key(small("baseline"), SEED, data, 2023)
    assert outputs(resumed(baseline_2023, package)) == outputs(cold(package))


def test_the_baseline_resumed_from_its_own_state_is_its_cold_run(baseline_2023: Snapshot) -> None:
    assert outputs(resumed(baseline_2023, small("baseline"))) == outputs(cold(small("baseline")))


def test_one_package_resumed_from_another_packages_state_is_its_own_cold_run() -> None:
    """The state stored by a run of talent (its lever built, dormant) serves relocation aid exactly."""
    snapshot = stored_after(small("talent"), 2023)
    assert outputs(resumed(snapshot, small("relocation_aid"))) == outputs(cold(small("relocation_aid")))
    assert outputs(resumed(snapshot, small("article_package"))) == outputs(cold(small("article_package")))


def test_an_earlier_cut_serves_a_lever_that_starts_later() -> None:
    late = small("talent", **{"policies.talent.start_year": 2027})
    assert shared_through(late) == 2026
    snapshot = stored_after(small("baseline"), 2021)
    assert outputs(resumed(snapshot, late)) == outputs(cold(late))


def test_the_snapshot_stores_every_attribute_even_one_added_later(baseline_2023: Snapshot) -> None:
    model = RelocationModel(small("baseline"), SEED, world_for(small("baseline")))
    model.step()
    model.someone_elses_cache = np.arange(5.0)  # type: ignore[attr-defined]
    again = resumed(take(model), small("talent"))
    assert np.array_equal(again.someone_elses_cache, np.arange(5.0))  # type: ignore[attr-defined]


def test_the_prefix_records_name_the_resumed_scenarios_levers(baseline_2023: Snapshot) -> None:
    model = resumed(baseline_2023, small("article_package"))
    expected = cold(small("article_package"))
    for got, want in zip(model.records, expected.records, strict=True):
        assert got.fiscal_by_lever == want.fiscal_by_lever
    assert list(model.records[0].fiscal_by_lever) == [lever.key for lever in model.levers]


def test_a_lever_referred_to_outside_the_models_list_is_not_resumed_silently() -> None:
    model = RelocationModel(small("talent"), SEED, world_for(small("talent")))
    model.step()
    model.kept = model.levers[0]  # type: ignore[attr-defined]
    with pytest.raises(pickle.UnpicklingError, match="does not rebuild"):
        resumed(take(model), small("talent"))


# --- the prefix rule ---------------------------------------------------------------------------------------


def test_what_acts_from_the_first_year_shares_nothing() -> None:
    first = small("talent", **{"policies.talent.start_year": 2019})
    data = world_for(first)
    assert shared_through(first) == 2018 < first.years.start
    assert all(prefix_key(first, SEED, data, cut) is None for cut in range(2018, 2036))
    no_start = small("talent", **{"policies.talent.start_year": None})
    assert shared_through(no_start) == 2018, "a lever without start_year acts from the first year"
    rise = small("outside_competition", **{"world.outside.rise.start_year": 2019})
    assert shared_through(rise) == 2018


def test_a_key_is_the_same_only_where_nothing_but_later_levers_names_and_texts_differ() -> None:
    base = small("baseline")
    data = world_for(base)
    key = prefix_key(base, SEED, data, 2023)
    assert key is not None
    renamed = base.model_copy(update={"name": "other", "description": "other", "seed": 3, "replications": 9})
    assert prefix_key(renamed, SEED, data, 2023) == key
    assert prefix_key(small("article_package"), SEED, data, 2023) == key
    assert prefix_key(small("article_package"), SEED, data, 2024) is None, "its levers act in 2024"
    different = {
        "a behaviour coefficient": small("baseline", **{"behaviour.choice.talent": 0.9}),
        "the push": small("baseline", **{"behaviour.push.intercept": -4.0}),
        "the firm count": small("baseline", **{"firms.count": FIRMS + 1}),
        "the last year": small("baseline", **{"years.end": 2034}),
        "the report window": small("baseline", **{"years.report_start": 2025}),
        "a world setting": small("baseline", **{"world.south.wage_per_year": 0.05}),
        "a lever in 2023": small("talent", **{"policies.talent.start_year": 2023}),
    }
    for what, scenario in different.items():
        assert prefix_key(scenario, SEED, data, 2023) != key, what
    assert prefix_key(base, SEED + 1, data, 2023) != key, "the seed"
    assert prefix_key(base, SEED, data, 2022) != key, "the cut year"


def test_other_world_data_give_another_key(tmp_path) -> None:
    from tests.conftest import places_with

    base = small("baseline")
    path = tmp_path / "places.csv"
    path.write_text(places_with({(2, "talent_pool_k"): "123"}), encoding="utf-8")
    other = small("baseline", **{"world.data.places": str(path)})
    assert prefix_key(other, SEED, world_for(other), 2023) != prefix_key(base, SEED, world_for(base), 2023)


def test_stripping_removes_the_levers_and_the_outside_rise_only() -> None:
    sc = small("article_package", **{"world.outside.rise.start_year": 2025})
    bare = stripped(sc)
    assert all(config is None for _key, config in bare.policies) and bare.world.outside.rise is None
    expected = sc.model_dump()
    expected["world"]["outside"]["rise"] = None
    expected["policies"] = dict.fromkeys(expected["policies"])
    assert bare.model_dump() == expected


class LeakyConfig(Timed):
    budget_yuan: Yuan = quantity(0.0, unit="yuan per year", label="Budget")


class Leaky(Lever):
    """A lever that raises infrastructure every year, its window or not: it must share nothing before it."""

    key = "leaky"
    label = "Leaky"
    acts_on = frozenset({PULL})
    summary = "Acts before its start year."
    config_class = LeakyConfig

    def apply(self, state: WorldState, year: int) -> float:
        state.infrastructure = state.infrastructure + 0.01
        return 0.0


class Spender(Leaky):
    """A lever that changes nothing but spends before its start year."""

    key = "spender"

    def apply(self, state: WorldState, year: int) -> float:
        return 1.0


def _extended(lever: type[Lever], on: bool = True) -> Scenario:
    """The baseline in the scenario class with `lever` added, the lever on from 2024 (or off)."""
    raw = load_raw(SCENARIOS / "baseline.yaml")
    raw["firms"] = {"count": FIRMS}
    raw["policies"] = {lever.key: {"start_year": 2024}} if on else {}
    return scenario_model((*LEVERS, lever)).model_validate(raw)


@pytest.mark.parametrize("lever", [Leaky, Spender])
def test_a_lever_that_acts_before_its_start_year_is_caught_and_its_runs_start_cold(lever: type[Lever]) -> None:
    sc = _extended(lever)
    data = world_for(sc)
    assert shared_through(sc) == 2023 and prefix_key(sc, SEED, data, 2023) is not None, "the declared rule"
    assert replay(sc, data, 2023) is None and not dormant(sc, data, 2023), "the check"
    warm = WarmStarts(1 << 30)
    (_, _), (model, skipped) = serve(warm, [(_extended(lever, on=False), SEED), (sc, SEED)])
    assert skipped == 0 and len(warm.store) == 1, "it neither resumed nor stored (the baseline stored)"
    assert outputs(model) == outputs(cold(sc))


class Peeker(Leaky):
    """A lever that acts before its start year only where the talent coefficient is above 1 (it reads behaviour)."""

    key = "peeker"

    def apply(self, state: WorldState, year: int) -> float:
        if self.scenario.behaviour.choice.talent > 1.0:
            state.infrastructure = state.infrastructure + 0.01
        return 0.0


def test_a_lever_that_reads_more_than_the_world_and_policies_has_its_verdict_kept_per_scenario() -> None:
    quiet, loud = (_extended(Peeker).model_copy(deep=True) for _ in range(2))
    behaviour = loud.behaviour.model_copy(update={"choice": loud.behaviour.choice.model_copy(update={"talent": 1.5})})
    loud = loud.model_copy(update={"behaviour": behaviour})
    quiet = quiet.model_copy(update={"behaviour": behaviour.model_copy(update={"choice": Choice(talent=0.5)})})
    data = world_for(quiet)
    assert dormant(quiet, data, 2023) and not dormant(loud, data, 2023)
    assert not dormant(loud, data, 2022) and dormant(quiet, data, 2022), "the other order"


def test_the_shipped_levers_pass_the_check_in_every_shipped_scenario() -> None:
    for path in sorted(SCENARIOS.glob("*.yaml")):
        sc = shipped(path.stem)
        cut = shared_through(sc)
        if cut >= sc.years.start:
            assert dormant(sc, world_for(sc), cut), path.name


# --- a process's store ------------------------------------------------------------------------------------


def test_the_store_keeps_at_most_its_bound_and_evicts_the_least_recently_used() -> None:
    store = StateStore(250)
    for key in "abc":
        store.put(key, Snapshot(2023, bytes(100)))
    assert "a" not in store and len(store) == 2 and store.nbytes == 200
    assert store.get("b") is not None  # b is now the most recent: c goes next
    store.put("d", Snapshot(2023, bytes(100)))
    assert set("bd") == {k for k in "abcd" if k in store}
    store.put("huge", Snapshot(2023, bytes(251)))
    assert "huge" not in store and store.nbytes == 200


def serve(warm: WarmStarts, runs: list[tuple[Scenario, int]]) -> list[tuple[RelocationModel, int]]:
    """The runs planned together (their `Task.warm` pairs, as the engine plans a call) and run in order."""
    tasks = [Task(f"t{i}", sc, seed) for i, (sc, seed) in enumerate(runs)]
    planned = zip(tasks, shares(tasks, set()), strict=True)
    return [warm.run(t.scenario, t.seed, world_for(t.scenario), pairs) for t, pairs in planned]


def test_warm_starts_resume_the_packages_of_a_seed_and_give_their_cold_runs() -> None:
    warm = WarmStarts(1 << 30)
    runs = [(small(name), SEED) for name in ("baseline", "talent", "relocation_aid")]
    runs += [(small("talent"), SEED + 1), (small("talent", **{"behaviour.choice.talent": 0.5}), SEED)]
    served = serve(warm, runs)
    assert [skipped for _, skipped in served] == [0, 5, 5, 0, 0]
    assert len(warm.store) == 1, "the baseline stored its state after 2023; runs that share nothing store nothing"
    for (model, _), (sc, seed) in zip(served, runs, strict=True):
        assert outputs(model) == outputs(cold(sc, seed))


def test_a_lever_starting_later_resumes_from_the_latest_state_and_stores_its_own_cut() -> None:
    warm = WarmStarts(1 << 30)
    data = world_for(small("baseline"))
    late = small("talent", **{"policies.talent.start_year": 2027})
    other = small("infrastructure", **{"policies.infrastructure.start_year": 2027})
    served = serve(warm, [(small("relocation_aid"), SEED), (late, SEED), (other, SEED)])
    assert [skipped for _, skipped in served] == [0, 5, 8], "2023 from relocation aid, then 2026 from talent"
    assert prefix_key(late, SEED, data, 2026) in warm.store and len(warm.store) == 2
    assert outputs(served[1][0]) == outputs(cold(late)) and outputs(served[2][0]) == outputs(cold(other))


def test_a_bound_too_small_for_one_state_stores_nothing_and_changes_nothing() -> None:
    warm = WarmStarts(1000)
    (_, _), (model, skipped) = serve(warm, [(small("baseline"), SEED), (small("talent"), SEED)])
    assert skipped == 0 and len(warm.store) == 0
    assert outputs(model) == outputs(cold(small("talent")))


def test_warm_starts_off_store_nothing() -> None:
    warm = WarmStarts(0)
    (_, _), (_, skipped) = serve(warm, [(small("baseline"), SEED), (small("talent"), SEED)])
    assert skipped == 0 and len(warm.store) == 0 and not warm.enabled


def test_a_pair_another_process_computed_otherwise_is_not_used() -> None:
    warm = WarmStarts(1 << 30)
    data = world_for(small("baseline"))
    warm.run(small("baseline"), SEED, data, ((2023, "not-this-processes-key"),))
    assert len(warm.store) == 0


def test_the_plan_gives_pairs_only_where_a_state_is_shared() -> None:
    names = ("baseline", "pairing", "talent")
    tasks = [Task(n, small(n), SEED) for n in names]
    tasks.append(Task("alone", small("talent", **{"behaviour.choice.talent": 0.5}), SEED))
    pairs = shares(tasks, set())
    key = prefix_key(small("baseline"), SEED, world_for(small("baseline")), 2023)
    assert pairs == [((2023, key),)] * 3 + [()]
    first = step(pairs[0], set())
    assert first.resume is None and first.store == pairs[0]
    second = step(pairs[1], {key})
    assert second.resume == (2023, key) and second.store == () and second.years_skipped(2019) == 5
    lonely = [Task(f"p{i}", small("baseline", **{"behaviour.push.intercept": -4.0 - i / 10}), SEED) for i in range(3)]
    assert shares(lonely, set()) == [(), (), ()], "a sweep over behaviour shares nothing and plans nothing"
    assert shares(tasks[2:3], {key}) == [((2023, key),)], "a key an earlier call stored is useful alone"
    assert shares(tasks[2:3], set()) == [()]
