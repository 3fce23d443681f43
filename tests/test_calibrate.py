"""`calibrate`: the batched sampler is pyabc's single-core sampler, the result folder, determinism, resume, bad input.

The small calibration here (3,000 firms, 2 parameters, 12 particles, 2 generations) runs in
a few seconds; the shipped one (calibrations/article_suzhou.yaml) is in the README.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from experiments.analysis.posterior import load_posterior
from experiments.calibrate.tables import FIT_COLUMNS, PARAMETER_COLUMNS, TRACE_COLUMNS
from experiments.facts.catalogue import FACTS, LIST_FACTS
from experiments.facts.gravity import GRAVITY_COLUMNS
from experiments.facts.yardsticks import evidence, null_overrides
from model.config import Choice, Nests
from model.scenario import load_scenario
from tests.conftest import ROOT, read_csv, read_json

pyabc = pytest.importorskip("pyabc")

TINY = f"""\
name: tiny
base: {ROOT / "scenarios" / "baseline.yaml"}
seed: 11
firms: 3000
replications: 2
parameters:
  behaviour.push.intercept: {{range: [-6.0, -3.0], reason: test prior}}
  behaviour.choice.distance: {{range: [-2.0, 0.0], reason: test prior}}
fit: [outside_majority, low_move_rate, top5_suzhou]
held_out: [top5_wuxi, north_skipped]
abc: {{population: 12, generations: 2, max_simulations: 200}}
predictive: {{draws: 3, replications: 2}}
"""
TABLES = (
    "posterior.csv",
    "parameters.csv",
    "populations.csv",
    "trace.csv",
    "fit.csv",
    "predictive.csv",
    "gravity.csv",
)


# --- the sampler ------------------------------------------------------------------------------------


class _ToyEvaluator:
    """A closed-form 'model': the distance of (x, y) to (0.3, -0.2), one per coordinate."""

    def __init__(self) -> None:
        self.cache: dict[tuple[float, float], dict[str, float]] = {}
        self.evaluated = 0

    def evaluate(self, batch: list[dict[str, float]]) -> None:
        for v in batch:
            self.cache[(v["x"], v["y"])] = {"a": abs(v["x"] - 0.3), "b": abs(v["y"] + 0.2)}
        self.evaluated += len(batch)

    def lookup(self, v: dict[str, float]) -> dict[str, float]:
        if (v["x"], v["y"]) not in self.cache:
            self.evaluate([v])
        return self.cache[(v["x"], v["y"])]


def _toy_history(tmp_path: Path, sampler_for: Callable[..., object], tag: str) -> tuple[object, _ToyEvaluator]:
    from experiments.calibrate.abc import AbcModel

    logging.getLogger("ABC").setLevel(logging.WARNING)
    ev = _ToyEvaluator()
    model = AbcModel(["x", "y"], ev)  # type: ignore[arg-type]
    prior = pyabc.Distribution(p0=pyabc.RV("uniform", -1, 2), p1=pyabc.RV("uniform", -1, 2))
    state = np.random.get_state()
    np.random.seed(5)
    try:
        abc = pyabc.ABCSMC(
            model,
            prior,
            pyabc.PNormDistance(p=1, fixed_weights={"a": 1.0, "b": 1.0}),
            population_size=25,
            eps=pyabc.QuantileEpsilon(alpha=0.5),
            sampler=sampler_for(model),
        )
        abc.new(f"sqlite:///{tmp_path / (tag + '.db')}", {"a": 0.0, "b": 0.0})
        history = abc.run(max_nr_populations=3)
    finally:
        np.random.set_state(state)
    return history, ev


@pytest.mark.parametrize("batch", [1, 3, 16])
def test_the_batched_sampler_accepts_exactly_the_single_core_samplers_population(tmp_path, batch) -> None:
    from pyabc.sampler import SingleCoreSampler

    from experiments.calibrate.abc import _sampler_class

    ref, ref_ev = _toy_history(tmp_path, lambda model: SingleCoreSampler(), "single")
    got, got_ev = _toy_history(tmp_path, lambda model: _sampler_class()(model, batch), f"batch{batch}")
    a, b = ref.get_all_populations(), got.get_all_populations()  # type: ignore[attr-defined]
    assert list(a["samples"]) == list(b["samples"])
    np.testing.assert_array_equal(a["epsilon"].to_numpy(), b["epsilon"].to_numpy())
    fa, wa = ref.get_distribution(m=0, t=2)  # type: ignore[attr-defined]
    fb, wb = got.get_distribution(m=0, t=2)  # type: ignore[attr-defined]
    np.testing.assert_array_equal(fa.to_numpy(), fb.to_numpy())
    np.testing.assert_array_equal(wa, wb)
    # a batch evaluates at most batch - 1 proposals per sampling round that are not used
    rounds = len(a) * 1
    assert ref_ev.evaluated <= got_ev.evaluated <= ref_ev.evaluated + rounds * (batch - 1)


def test_the_null_model_zeroes_every_choice_coefficient_and_flattens_every_nest() -> None:
    null = null_overrides()
    assert {k for k in null if k.startswith("behaviour.choice.")} == {
        f"behaviour.choice.{k}" for k in Choice.model_fields
    }
    assert {k for k in null if k.startswith("behaviour.nests.")} == {f"behaviour.nests.{k}" for k in Nests.model_fields}
    assert all(v == 0.0 for k, v in null.items() if ".choice." in k)
    assert all(v == 1.0 for k, v in null.items() if ".nests." in k)


# --- the command ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def calibrated(tmp_path_factory) -> Path:
    from cli import main

    root = tmp_path_factory.mktemp("cal")
    (root / "tiny.yaml").write_text(TINY, encoding="utf-8")
    assert main(["calibrate", str(root / "tiny.yaml"), "--out", str(root / "out"), "--quiet"]) == 0
    return root


def test_a_calibration_writes_every_table_of_the_contract(calibrated) -> None:
    folder = calibrated / "out" / "tiny"
    for name in (*TABLES, "calibrated.yaml", "calibration.resolved.yaml", "manifest.json", "abc.db"):
        assert (folder / name).is_file(), name
    cols, rows = read_csv(folder / "parameters.csv")
    assert tuple(cols) == PARAMETER_COLUMNS
    assert [r["key"] for r in rows] == ["behaviour.push.intercept", "behaviour.choice.distance"]
    for r in rows:
        lo, hi = float(r["prior_low"]), float(r["prior_high"])
        assert lo <= float(r["q05"]) <= float(r["q50"]) <= float(r["q95"]) <= hi
    # the calibrated point is one particle of the final population (experiments.calibrate.experiment.point_estimate)
    _pcols, particles = read_csv(folder / "posterior.csv")
    point = tuple(float(r["calibrated"]) for r in rows)
    assert point in {tuple(float(p[r["key"]]) for r in rows) for p in particles}
    cols, trace = read_csv(folder / "trace.csv")
    assert tuple(cols) == TRACE_COLUMNS
    eps = [float(r["epsilon"]) for r in trace]
    assert eps == sorted(eps, reverse=True)  # a quantile schedule never rises
    sims = [int(r["simulations"]) for r in trace]
    assert sims == sorted(sims) and sims[-1] <= 200 + 12
    manifest = read_json(folder / "manifest.json")["calibration"]
    assert manifest["simulations"] == sims[-1] and manifest["generations"] == len(trace)
    assert manifest["seeds"] == "fresh"  # the fit's seeds are each parameter set's own, none a predictive seed
    assert set(_run_seeds(folder).values()).isdisjoint(manifest["predictive_seeds"])


def test_the_gravity_yardstick_is_fitted_to_the_fitted_facts_on_the_fit_seeds(calibrated) -> None:
    folder = calibrated / "out" / "tiny"
    cols, rows = read_csv(folder / "gravity.csv")
    assert tuple(cols) == GRAVITY_COLUMNS
    assert {r["fact"] for r in rows} == {"outside_majority", "low_move_rate", "top5_suzhou"}
    chosen = {(r["a"], r["b"]) for r in rows if r["chosen"] == "true"}
    assert len(chosen) == 1
    manifest = read_json(folder / "manifest.json")["calibration"]
    a, b = chosen.pop()
    assert (manifest["gravity"]["a"], manifest["gravity"]["b"]) == (float(a), float(b))
    # On the fit's common seeds (under `seeds: fresh` too, where each parameter set has its own).
    assert manifest["gravity"]["replications"] == manifest["replications"]
    assert "| Evidence |" in (folder / "report.md").read_text(encoding="utf-8")


def test_fit_csv_has_every_fact_with_its_role_and_every_model(calibrated) -> None:
    cols, rows = read_csv(calibrated / "out" / "tiny" / "fit.csv")
    assert tuple(cols) == FIT_COLUMNS
    assert {r["fact"] for r in rows} == set(FACTS)
    roles = {r["fact"]: r["role"] for r in rows}
    assert roles["outside_majority"] == "fit" and roles["top5_wuxi"] == "held_out" and roles["industry_mix"] == "other"
    for fact in FACTS:
        models = [r["model"] for r in rows if r["fact"] == fact]
        expected = ["posterior", "calibrated", "defaults", "null", "gravity"] + (
            ["random"] if fact in LIST_FACTS else []
        )
        assert models == expected
        assert len({r["evidence"] for r in rows if r["fact"] == fact}) == 1  # the fact's, on each of its rows
    flag = {"true": True, "false": False, "": None}
    for fact in FACTS:
        met = {r["model"]: flag[r["met"]] for r in rows if r["fact"] == fact}
        got = next(r["evidence"] for r in rows if r["fact"] == fact)
        assert got == evidence(met["posterior"], met["null"], met["gravity"]), fact
        p_values = {r["model"]: r["p_value"] for r in rows if r["fact"] == fact and r["model"] != "random"}
        assert all(v for v in p_values.values()) == (fact in LIST_FACTS)
    for r in rows:
        if r["model"] != "random" and r["value"] not in ("", "nan"):
            assert 0.0 <= float(r["met_share"]) <= 1.0
            if r["ci_low"] not in ("", "nan"):
                assert float(r["ci_low"]) <= float(r["ci_high"])


def test_the_posterior_folder_loads_and_calibrated_yaml_is_a_valid_scenario_with_the_point(calibrated) -> None:
    folder = calibrated / "out" / "tiny"
    post = load_posterior(folder)
    assert post.keys == ("behaviour.push.intercept", "behaviour.choice.distance")
    assert post.size == 12 and abs(post.weights.sum() - 1) < 1e-12
    sc = load_scenario(folder / "calibrated.yaml")
    assert sc.name == "tiny_calibrated"
    assert sc.behaviour.push.intercept == pytest.approx(post.point["behaviour.push.intercept"], rel=1e-3)
    assert sc.behaviour.choice.distance == pytest.approx(post.point["behaviour.choice.distance"], rel=1e-3)
    assert sc.years.end == 2035  # the base scenario's years: calibration only shortened its own runs


def test_same_seed_gives_byte_identical_tables_with_two_workers_and_resume_replays_from_the_runs(calibrated) -> None:
    from cli import main

    out2 = calibrated / "out2"
    assert main(["calibrate", str(calibrated / "tiny.yaml"), "--out", str(out2), "--quiet", "--workers", "2"]) == 0
    for name in TABLES:
        assert (out2 / "tiny" / name).read_bytes() == (calibrated / "out" / "tiny" / name).read_bytes(), name
    before = {p.name: p.stat().st_mtime_ns for p in (out2 / "tiny" / "runs").glob("abc-*.json")}
    args = ["calibrate", str(calibrated / "tiny.yaml"), "--out", str(out2), "--quiet", "--resume"]
    assert main(args) == 0
    after = {p.name: p.stat().st_mtime_ns for p in (out2 / "tiny" / "runs").glob("abc-*.json")}
    assert before == after  # nothing was run again
    manifest = read_json(out2 / "tiny" / "manifest.json")
    assert manifest["runs_executed"] == 0
    for name in TABLES:
        assert (out2 / "tiny" / name).read_bytes() == (calibrated / "out" / "tiny" / name).read_bytes(), name


@pytest.mark.parametrize(
    ("edit", "key"),
    [
        (("fit: [outside_majority, low_move_rate, top5_suzhou]", "fit: [outside_majority, no_such_fact]"), "fit"),
        (("held_out: [top5_wuxi, north_skipped]", "held_out: [top5_suzhou]"), "held_out"),
        (("behaviour.choice.distance:", "behaviour.choice.nonsense:"), "parameters.behaviour.choice.nonsense"),
        (("range: [-2.0, 0.0]", "range: [0.0, -2.0]"), "parameters"),
        (("behaviour.choice.distance: {range: [-2.0, 0.0]", "behaviour.nests.north_park: {range: [0.5, 2.0]"), "range"),
        (("firms: 3000", "firms: -5"), "firms"),
        (("seed: 11", "seed: 11\nseeds: sometimes"), "seeds"),
        (("population: 12,", "population: 12, distance: learned,"), "abc.distance"),
        (("population: 12,", "population: 12, adaptive_population: {target_cv: 2.0},"), "target_cv"),
        (("population: 12,", "population: 12, adaptive_population: {min_size: 50, max_size: 20},"), "min_size"),
        (("population: 12,", "population: 12, adaptive_population: {cv: 0.1},"), "cv"),
    ],
)
def test_a_bad_calibration_file_is_one_line_naming_the_file_and_key(tmp_path, cli, edit, key) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(TINY.replace(*edit), encoding="utf-8")
    res = cli("calibrate", path, "--out", tmp_path / "out")
    assert res.code == 2
    assert len(res.err_lines) == 1 and "Traceback" not in res.err
    assert "bad.yaml" in res.err and key in res.err
    assert not (tmp_path / "out" / "tiny").exists()


# --- seeds, the ensemble's size, the adaptive settings ------------------------------------------------


def test_fresh_evaluation_seeds_are_the_sets_own_and_depend_only_on_the_master_seed_and_the_digest() -> None:
    from experiments.calibrate.abc import evaluation_seeds

    a = evaluation_seeds(11, "03c99fca857ea3d8", 3)
    assert a == evaluation_seeds(11, "03c99fca857ea3d8", 3)
    assert a[:2] == evaluation_seeds(11, "03c99fca857ea3d8", 2)  # more replications keep the first ones
    assert not set(a) & set(evaluation_seeds(11, "05494b4cf1b238be", 3))
    assert not set(a) & set(evaluation_seeds(12, "03c99fca857ea3d8", 3))


def _run_seeds(folder: Path) -> dict[str, int]:
    return {p.stem: int(read_json(p)["seed"]) for p in (folder / "runs").glob("abc-*.json")}


def test_a_fresh_calibration_runs_every_parameter_set_on_its_own_seeds_and_reports_its_ensemble(calibrated) -> None:
    folder = calibrated / "out" / "tiny"
    seeds = _run_seeds(folder)
    assert len(seeds) > 20 and len(set(seeds.values())) == len(seeds)
    cal = read_json(folder / "manifest.json")["calibration"]
    assert cal["seeds"] == "fresh" and cal["thin_below"] == 200
    post = load_posterior(folder)
    assert cal["distinct_sets"] == post.distinct_sets() and cal["thin"] is True
    assert cal["effective_size"] == pytest.approx(post.effective_size())
    report = (folder / "report.md").read_text(encoding="utf-8")
    assert f"{post.distinct_sets()} distinct parameter sets" in report and "thin" in report


ADAPTIVE = TINY.replace("seed: 11", "seed: 11\nseeds: common").replace(
    "population: 12,",
    "population: 12, adaptive_population: {target_cv: 0.2, min_size: 8, max_size: 20}, distance: adaptive,",
)


def test_an_adaptive_calibration_on_common_seeds_is_the_same_with_one_and_two_workers(tmp_path) -> None:
    from cli import main

    (tmp_path / "tiny.yaml").write_text(ADAPTIVE, encoding="utf-8")
    for workers in ("1", "2"):
        args = ["calibrate", str(tmp_path / "tiny.yaml"), "--out", str(tmp_path / workers), "--quiet"]
        assert main([*args, "--workers", workers]) == 0
    for name in TABLES:
        assert (tmp_path / "1" / "tiny" / name).read_bytes() == (tmp_path / "2" / "tiny" / name).read_bytes(), name
    folder = tmp_path / "1" / "tiny"
    assert len(set(_run_seeds(folder).values())) == 2  # common: every set on the same two seeds
    cal = read_json(folder / "manifest.json")["calibration"]
    assert cal["distance"] == "adaptive" and cal["adaptive_population"]["max_size"] == 20
    _, trace = read_csv(folder / "trace.csv")
    assert len(trace) == 2 and all(8 <= int(r["particles"]) <= 20 for r in trace)
    assert "adaptive distance" in (folder / "report.md").read_text(encoding="utf-8")


LEVER_KEYS = {
    *(f"behaviour.choice.{k}" for k in ("subsidy", "infrastructure", "environment", "pairing", "focus", "talent")),
    *(f"behaviour.nests.{k}" for k in Nests.model_fields),
    "world.outside.subsidy_yuan_per_job",
}


def test_the_levers_calibration_gives_every_lever_coefficient_a_prior_and_runs_when_tiny(tmp_path) -> None:
    from cli import main
    from experiments.design.calibration_file import load_calibration

    path = ROOT / "calibrations" / "article_suzhou_levers.yaml"
    loaded = load_calibration(path)
    cal, suzhou = loaded.calibration, load_calibration(ROOT / "calibrations" / "article_suzhou.yaml").calibration
    assert set(suzhou.parameters) | LEVER_KEYS == set(cal.parameters)
    assert all(
        0.0 < cal.parameters[k].range[0] < cal.parameters[k].range[1] <= 1.0 for k in LEVER_KEYS if ".nests." in k
    )
    assert cal.seeds == "fresh" and cal.abc.distance == "adaptive" and cal.abc.adaptive_population is not None
    assert suzhou.seeds == "common"  # the shipped results stay reproducible
    text = path.read_text(encoding="utf-8").replace("base: ../scenarios", f"base: {ROOT / 'scenarios'}")
    text = text[: text.index("abc:\n")] + "abc: {population: 8, generations: 2, max_simulations: 60}\n"
    (tmp_path / "levers.yaml").write_text(text + "predictive: {draws: 2, replications: 1}\n", encoding="utf-8")
    args = ["calibrate", str(tmp_path / "levers.yaml"), "--firms", "300", "--out", str(tmp_path / "out"), "--quiet"]
    assert main(args) == 0
    assert set(
        read_json(tmp_path / "out" / "article_suzhou_levers" / "manifest.json")["calibration"]["parameters"]
    ) == (set(cal.parameters))
