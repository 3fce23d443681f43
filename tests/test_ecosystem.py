"""relocsim driven by other tools: `mesa.batch_run` and EMA Workbench.

The contracts: batch_run builds RelocationModel from keyword parameters, the
rows carry the parameters and the DataCollector's reporters, a parameter really
changes the scenario, and the same seeds give the same rows and the same
figures as `simulate`; EMA experiments run the declared uncertainties and
levers, each experiment's outcome is the mean over the replication seeds of
`python run.py run`, and PRIM finds a box in the results.
"""

from __future__ import annotations

import json
import math
import multiprocessing
import pickle
from collections.abc import Iterator
from typing import Any

import mesa
import numpy as np
import pytest

from model import InputError, RelocationModel, simulate
from model.levers import REGISTRY
from model.metrics import TIMESERIES_COLUMNS
from model.model import REPORTERS
from model.outcomes import CATALOGUE, HORIZON, metric
from model.seeds import replication_seeds
from tests.helpers import SCENARIOS, shipped

BASELINE = SCENARIOS / "baseline.yaml"
FIRMS = 300
TALENT = "policies__talent__annual_budget_yuan"
TALENT_BUDGETS = [0.0, 4e9]


@pytest.fixture
def keep_start_method() -> Iterator[None]:
    """batch_run forces the 'spawn' start method process-wide; put the previous one back."""
    before = multiprocessing.get_start_method(allow_none=True)
    yield
    multiprocessing.set_start_method(before, force=True)


def batch(rng: list[Any], period: int = -1, **params: Any) -> list[dict[str, Any]]:
    parameters = {"scenario_file": str(BASELINE), "firms__count": FIRMS, TALENT: TALENT_BUDGETS, **params}
    return mesa.batch_run(
        RelocationModel,
        parameters=parameters,
        rng=rng,
        max_steps=17,
        data_collection_period=period,
        display_progress=False,
    )


# --- mesa.batch_run ------------------------------------------------------------


def test_batch_run_rows_carry_parameters_reporters_and_the_figures_of_simulate(keep_start_method) -> None:
    rows = batch([11, 12])
    assert len(rows) == 4  # 2 talent budgets x 2 seeds, one row (the last year) each
    for row in rows:
        assert set(REPORTERS) | {"firms__count", TALENT, "scenario_file"} <= set(row)
        assert row["year"] == 2035
        assert row["Step"] == 17
        # The last row's "_to_date" reporters are the run's horizon metrics: batch_run = simulate.
        sc = shipped("baseline", {"firms.count": FIRMS, "policies.talent.annual_budget_yuan": row[TALENT]})
        metrics = simulate(sc, row["seed"]).metrics
        assert row["relocated_jobs_to_date"] == metrics["relocated_jobs"]
        assert row["north_share_jobs_to_date"] == metrics["north_share_jobs"]
        assert row["fiscal_cost_yuan_to_date"] == metrics["fiscal_cost_yuan"]
    assert sorted((r["seed"], r[TALENT]) for r in rows) == [(s, b) for s in (11, 12) for b in TALENT_BUDGETS]
    # The parameter reaches the scenario: the talent budget is spent every year, and the report window
    # (2024-2035, 12 years) counts 12 x 4e9; no budget costs nothing.
    for row in rows:
        expected = 12 * row[TALENT]
        assert row["fiscal_cost_yuan_to_date"] == pytest.approx(expected, rel=1e-9)
        assert row["fiscal_cost_yuan"] == pytest.approx(row[TALENT], rel=1e-9)


def test_batch_run_same_seeds_same_rows_other_seeds_other_rows(keep_start_method) -> None:
    def dump(rows: list[dict[str, Any]]) -> str:
        return json.dumps(rows, sort_keys=True, default=float)

    first, again, other = batch([3, 4], period=1), batch([3, 4], period=1), batch([5, 6], period=1)
    assert dump(first) == dump(again)
    strip = [{k: v for k, v in r.items() if k not in {"seed", "RunId"}} for r in first]
    strip_other = [{k: v for k, v in r.items() if k not in {"seed", "RunId"}} for r in other]
    assert dump(strip) != dump(strip_other)


def test_batch_run_collects_every_year_and_stops_when_the_years_end(keep_start_method) -> None:
    rows = batch([1], period=1, years__end=2026)  # 8 years although max_steps is 17: `running` turns False
    for budget in TALENT_BUDGETS:
        years = [r["year"] for r in rows if r[TALENT] == budget]
        assert years == list(range(2019, 2027))
    last = [r for r in rows if r["year"] == 2026]
    for row in last:
        jobs = sum(r["relocated_jobs"] for r in rows if r[TALENT] == row[TALENT] and r["year"] >= 2024)
        assert row["relocated_jobs_to_date"] == pytest.approx(jobs)


def test_keyword_construction_validates_like_a_scenario_file() -> None:
    with pytest.raises(InputError, match=r"firms\.cont: unknown key \(allowed: count, represented"):
        RelocationModel(firms__cont=300)
    with pytest.raises(InputError, match=r"policies\.talent\.annual_budget_yuan: -1\.0 is out of range"):
        RelocationModel(firms__count=FIRMS, policies__talent__annual_budget_yuan=-1.0)
    with pytest.raises(InputError, match="rng: given together with seed"):
        RelocationModel(seed=1, rng=2, firms__count=FIRMS)
    with pytest.raises(InputError, match="seed: -3 is out of range"):
        RelocationModel(seed=-3, firms__count=FIRMS)
    with pytest.raises(InputError, match="scenario_file: given together with a scenario"):
        RelocationModel(shipped("baseline"), 1, scenario_file=BASELINE)
    # Overrides apply to a given scenario too, and numpy scalars (np.arange values) are accepted.
    model = RelocationModel(shipped("baseline"), 1, firms__count=np.int64(FIRMS), years__end=2024)
    assert (model.config.firms.count, model.config.years.end, model.config.name) == (FIRMS, 2024, "baseline")
    assert RelocationModel(firms__count=FIRMS).config.name == "defaults"


def test_seeds_given_as_seed_sequences_are_the_replication_seeds_and_none_is_drawn_and_kept() -> None:
    sc = shipped("baseline", {"firms.count": FIRMS, "years.end": 2024})
    children = np.random.SeedSequence(20230101).spawn(3)
    assert [RelocationModel(sc, c).seed for c in children] == replication_seeds(20230101, 3)
    drawn = [RelocationModel(sc).seed for _ in range(2)]
    assert drawn[0] != drawn[1]
    model = RelocationModel(sc)
    model.run_model()  # Mesa's own loop: runs until `running` is False
    assert model.year == 2024
    assert model.datacollector.model_vars["seed"] == [model.seed] * (2024 - 2019 + 1)
    assert model.run().metrics == simulate(sc, model.seed).metrics


def test_reporters_come_from_the_catalogue_and_the_collector_pickles() -> None:
    yearly = [c for c in TIMESERIES_COLUMNS if c not in ("replication", "year")]
    assert list(REPORTERS) == ["year", "seed", *yearly, *(f"{m}_to_date" for m in HORIZON)]
    assert all(metric(n.removesuffix("_to_date")) for n in REPORTERS if n not in ("year", "seed"))
    assert {"firms_active", "mean_move_probability"} <= set(CATALOGUE) & set(REPORTERS)
    model = RelocationModel(shipped("baseline", {"firms.count": FIRMS, "years.end": 2025}), 2)
    model.run_model()
    restored = pickle.loads(pickle.dumps(model.datacollector))
    assert json.dumps(restored.model_vars) == json.dumps(model.datacollector.model_vars)  # NaN-safe equality
    assert pickle.loads(pickle.dumps(REPORTERS)).keys() == REPORTERS.keys()
    # Each yearly reporter is the year's timeseries value; each _to_date one the horizon metric so far.
    res = simulate(model.config, 2)
    rows = model.datacollector.model_vars
    for name in yearly:
        assert rows[name] == pytest.approx([r[name] for r in res.timeseries], nan_ok=True), name
    for name in HORIZON:
        assert rows[f"{name}_to_date"][-1] == pytest.approx(res.metrics[name], nan_ok=True), name


# --- EMA Workbench ---------------------------------------------------------------


@pytest.fixture(scope="module")
def ema() -> Any:
    return pytest.importorskip("ema_workbench")


def small_model(**kwargs: Any) -> Any:
    from experiments.adapters.ema import relocsim_model

    return relocsim_model(firms=FIRMS, fixed={"years.end": 2030}, **kwargs)


def test_perform_experiments_runs_the_declared_inputs_with_the_replication_seeds(ema) -> None:
    from experiments.adapters.ema import LEVERS, OUTCOMES, UNCERTAINTIES, param_name

    model = small_model(replications=2)
    experiments, outcomes = ema.perform_experiments(
        model,
        scenarios=4,
        policies=2,
        evaluator=ema.SequentialEvaluator(model),
        uncertainty_sampling_kwargs={"rng": 1},
        lever_sampling_kwargs={"rng": 2},
    )
    assert len(experiments) == 8
    assert set(outcomes) == set(OUTCOMES) == set(HORIZON)
    assert all(len(v) == 8 for v in outcomes.values())
    for key, (low, high) in {**UNCERTAINTIES, **LEVERS}.items():
        assert experiments[param_name(key)].between(low, high).all(), key
    assert np.all((outcomes["north_share_jobs"] > 0) & (outcomes["north_share_jobs"] < 1))
    shares = outcomes["north_share_jobs"] + outcomes["jiangsu_share_jobs"] + outcomes["outside_share_jobs"]
    np.testing.assert_allclose(shares, 1.0)
    assert model.master_seed == 20230101  # the baseline file's seed
    # Experiment i = the mean over `run`'s replication seeds of simulate at its input values.
    for i in (0, 7):
        overrides = {key: float(experiments.loc[i, param_name(key)]) for key in (*UNCERTAINTIES, *LEVERS)} | {
            "firms.count": FIRMS,
            "years.end": 2030,
        }
        sc = shipped("baseline", overrides)
        runs = [simulate(sc, s).metrics for s in replication_seeds(20230101, 2)]
        for name in OUTCOMES:
            assert outcomes[name][i] == pytest.approx(np.mean([r[name] for r in runs]), rel=1e-12), name


def test_prim_finds_a_box_for_a_high_north_share(ema) -> None:
    from ema_workbench.analysis import prim

    model = small_model(seed=5)
    experiments, outcomes = ema.perform_experiments(
        model,
        scenarios=8,
        policies=2,
        evaluator=ema.SequentialEvaluator(model),
        uncertainty_sampling_kwargs={"rng": 3},
        lever_sampling_kwargs={"rng": 4},
    )
    share = outcomes["north_share_jobs"]
    high = share > np.median(share)
    assert len(experiments) == 16 and 0 < high.sum() < 16
    x = experiments.drop(columns=["policy", "model"])
    box = prim.Prim(x, high, peel_alpha=0.1).find_box()
    assert box is not None
    assert 0 < box.coverage <= 1 and 0 < box.density <= 1
    assert math.isfinite(box.mass) and box.res_dim >= 1
    assert set(box.box_lim.columns) <= set(x.columns)


def test_the_model_pickles_for_the_multiprocessing_evaluator(ema) -> None:
    from experiments.adapters.ema import run_relocsim

    model = pickle.loads(pickle.dumps(small_model()))
    assert model.function is run_relocsim
    assert [c.name for c in model.constants] == ["scenario_path", "years__end", "firms__count"]


def test_outcomes_and_levers_come_from_the_catalogue_and_the_registry(ema) -> None:
    from experiments.adapters.ema import LEVERS, OUTCOMES, lever_setting, param_name

    kinds = {"higher": "maximize", "lower": "minimize", None: "info"}
    assert {name: kinds[metric(name).better] for name in HORIZON} == OUTCOMES
    assert OUTCOMES["north_share_jobs"] == "maximize" and OUTCOMES["fiscal_cost_yuan"] == "minimize"
    model = small_model()
    directions = {o.name: o.kind for o in model.outcomes}
    want = {"maximize": ema.ScalarOutcome.MAXIMIZE, "minimize": ema.ScalarOutcome.MINIMIZE}
    assert directions == {n: want.get(k, ema.ScalarOutcome.INFO) for n, k in OUTCOMES.items()}
    assert [p.name for p in model.levers] == [param_name(k) for k in LEVERS]
    # Every number setting of every registered lever can be a lever; nothing else can.
    for key, cls in REGISTRY.items():
        for field in cls.config_class.model_fields:
            if field in ("start_year", "end_year") or not lever_setting(f"policies.{key}.{field}"):
                continue
            d = getattr(cls.config_class(), field)
            span = (d, d + 1) if isinstance(d, int) else (d / 2, d) if d > 0 else (0.0, 1.0)
            assert small_model(levers={f"policies.{key}.{field}": span}).levers[0].name == f"policies__{key}__{field}"
    assert not lever_setting("behaviour.choice.talent")
    assert not lever_setting("policies.talent.places")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"levers": {"policies.talent.annual_budget_yuan": (0.0, 1e15)}},
            r"high ends and fixed values: policies\.talent\.annual_budget_yuan: 1000000000000000\.0 is out of range",
        ),
        (
            {"levers": {"policies.talnt.annual_budget_yuan": (0.0, 1e9)}},
            r"policies\.talnt\.annual_budget_yuan: is not a lever setting .*<lever> one of infrastructure, ",
        ),
        ({"levers": {"world.south.wage_per_year": (0.0, 0.1)}}, r"world\.south\.wage_per_year: is not a lever"),
        ({"uncertainties": {"behaviour.choice.talent": (2.0, 1.0)}}, r"is not a range"),
        ({"uncertainties": {"behaviour__choice__talent": (0.0, 1.0)}}, r"is not a dotted key path"),
        ({"replications": 0}, r"replications: 0 is out of range"),
    ],
)
def test_bad_ranges_are_refused_before_any_experiment(ema, kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(InputError, match=message):
        small_model(**kwargs)
