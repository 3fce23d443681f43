"""The recovery check (DESIGN §7, issue 17 item 4; benchmarks/calibration_recovery): its synthetic targets, its
statistics, and its core at a tiny size — the file's columns and bounds, determinism, and that a parameter the
fitted fact pins shrinks far more than one no scenario reads.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from benchmarks.calibration_recovery.draw import PLACEBO, draw_seeds
from benchmarks.calibration_recovery.summary import (
    IDENTIFIED,
    NOT_IDENTIFIED,
    WEAK,
    Marginal,
    binomial_p,
    point_recovery,
    sign_p,
    verdict,
)
from experiments.facts.catalogue import FACTS
from experiments.facts.hindcast import ALL
from experiments.facts.synthetic import Target, distance_to, targets_of
from model.scenario import load_scenario
from model.seeds import replication_seeds
from model.world import WorldData, world_for
from tests.conftest import ROOT, read_csv

pytest.importorskip("pyabc")

INTERCEPT = "behaviour.push.intercept"
TINY = f"""\
name: tiny_recovery
base: {ROOT / "scenarios" / "baseline.yaml"}
seed: 11
replications: 1
parameters:
  {INTERCEPT}: {{range: [-6.0, -3.0], reason: test prior}}
fit: [low_move_rate]
held_out: []
"""


@pytest.fixture(scope="module")
def world() -> WorldData:
    return world_for(load_scenario(ROOT / "scenarios" / "baseline.yaml"))


def _cities(group: str, shares: dict[str, float]) -> dict[str, float]:
    return {f"{group}|outside_destination|{c}": v for c, v in shares.items()}


# --- the synthetic targets --------------------------------------------------------------------------------


def test_a_parameter_sets_own_summaries_are_at_distance_zero_from_its_targets(world) -> None:
    summaries = [
        {f"{ALL}|move_rate|": 0.012, f"{ALL}|share|outside_city": 0.8, **_cities("Suzhou", {"a": 0.5, "b": 0.3})},
        {f"{ALL}|move_rate|": 0.010, f"{ALL}|share|outside_city": 0.9, **_cities("Suzhou", {"c": 0.6})},
    ]
    facts = ["low_move_rate", "outside_majority", "top5_suzhou"]
    targets = targets_of(facts, summaries, world)
    assert targets["low_move_rate"].value == pytest.approx(0.011)
    assert targets["top5_suzhou"].cities == ("c", "a", "b")  # pooled: c 0.3, a 0.25, b 0.15
    assert all(distance_to(t, summaries, world) == 0.0 for t in targets.values())


def test_each_fact_is_measured_on_its_own_scale(world) -> None:
    rate = Target("low_move_rate", 0.02)
    assert distance_to(rate, [{f"{ALL}|move_rate|": 0.015}], world) == pytest.approx(0.25)  # relative
    assert distance_to(rate, [{f"{ALL}|move_rate|": 0.08}], world) == 1.0  # at most 1
    top = Target("top5_suzhou", 2.0, ("a", "b", "c", "d", "e"))
    shares = {"e": 0.3, "a": 0.2, "x": 0.1, "y": 0.05, "z": 0.01}
    assert distance_to(top, [_cities("Suzhou", shares)], world) == pytest.approx(1 - 2 / 5)  # a set: order unused
    assert FACTS["mobility_by_size"].unit == "correlation"
    rho = Target("mobility_by_size", -1.0)
    bands = {f"{ALL}|move_rate_by_size|{b}": r for b, r in (("1-9", 0.01), ("10-49", 0.02), ("50+", 0.03))}
    assert distance_to(rho, [bands], world) == pytest.approx(1.0)  # ρ = +1 against −1: |2| / 2


def test_an_undefined_target_is_matched_only_by_an_undefined_value(world) -> None:
    nobody = Target("low_move_rate", math.nan)
    assert distance_to(nobody, [{}], world) == 0.0
    assert distance_to(nobody, [{f"{ALL}|move_rate|": 0.01}], world) == 1.0
    assert distance_to(Target("low_move_rate", 0.01), [{}], world) == 1.0
    assert distance_to(Target("top5_suzhou", math.nan, ()), [_cities("Suzhou", {"a": 1.0})], world) == 1.0


def test_the_target_evaluator_needs_a_target_for_every_fitted_fact(world) -> None:
    from experiments.calibrate.targets import TargetEvaluator

    with pytest.raises(ValueError, match="industry_mix"):
        TargetEvaluator({}, lambda v, n: None, ["industry_mix"], lambda t: [1], world, None, None, False)  # type: ignore[arg-type]


# --- seeds and statistics ---------------------------------------------------------------------------------


def test_draw_seeds_are_stable_in_the_number_of_draws_and_apart_from_replication_seeds() -> None:
    few, many = draw_seeds(5, 2, 3), draw_seeds(5, 4, 3)
    assert [d.truth for d in few] == [d.truth for d in many[:2]]
    truth = {s for d in many for s in d.truth}
    assert len(truth) == 12
    assert not truth & set(replication_seeds(5, 50))


def test_the_binomial_test_of_90_percent_coverage() -> None:
    assert binomial_p(27, 30) == pytest.approx(1.0)
    assert binomial_p(2, 2) == pytest.approx(1.0)
    assert binomial_p(1, 2) == pytest.approx(0.19)  # P(1) = 0.18 and P(0) = 0.01 are no likelier
    assert binomial_p(0, 2) == pytest.approx(0.01)
    assert binomial_p(22, 30) < 0.05 < binomial_p(25, 30)


def test_the_sign_test_against_the_placebo() -> None:
    assert sign_p(0, 10) == 1.0
    assert sign_p(10, 10) == pytest.approx(2**-10)
    assert sign_p(2, 2) == 0.25  # two draws cannot tell a parameter from the placebo
    assert sign_p(20, 30) < 0.05 < sign_p(19, 30)


def test_point_recovery_reads_the_posterior_means() -> None:
    def marginal(truth: float, mean: float) -> Marginal:
        return Marginal(0, "x", truth, mean, 0.1, mean - 0.1, mean + 0.1, True, 0.5)

    exact = [marginal(t, t) for t in (0.1, 0.5, 0.9)]
    assert point_recovery(exact, 0.0, 1.0) == (pytest.approx(1.0), 0.0)
    prior_mean = [marginal(t, 0.5) for t in (0.0, 1.0)]  # the prior's mean every time: error = 0.5, sd = 1/√12
    r, ratio = point_recovery(prior_mean, 0.0, 1.0)
    assert math.isnan(r) and ratio == pytest.approx(0.5 * math.sqrt(12.0))


def test_the_verdicts() -> None:
    assert verdict(0.8, 0.5)[0] == IDENTIFIED
    assert verdict(0.8, 0.01)[0] == WEAK
    assert verdict(0.3, 0.5)[0] == WEAK
    assert verdict(0.1, 0.5)[0] == NOT_IDENTIFIED
    assert verdict(0.8, 0.5, placebo_p=0.001)[0] == IDENTIFIED
    assert verdict(0.8, 0.5, placebo_p=0.3)[0] == NOT_IDENTIFIED  # shrinks, but no more than the placebo


# --- the core at a tiny size ------------------------------------------------------------------------------


def _recover(path: Path, folder: Path, resume: bool = False) -> tuple[dict[str, str], int]:
    """The tables of the check at a tiny size (2 draws, 1,000 firms, 20 particles, 2 generations), and how many
    draws were read back."""
    from benchmarks.calibration_recovery import load_problem, recover
    from benchmarks.calibration_recovery.draw import Budget
    from benchmarks.calibration_recovery.report import tables, write

    problem = load_problem(path, firms=1000, placebo=True)
    budget = Budget(population=20, generations=2, max_simulations=200)
    rec = recover(problem, draws=2, seed=3, budget=budget, folder=folder, resume=resume)
    write(rec, folder, "test")
    return tables(rec), rec.resumed


@pytest.fixture(scope="module")
def recovered(tmp_path_factory) -> tuple[Path, dict[str, str], dict[str, str]]:
    root = tmp_path_factory.mktemp("recovery")
    (root / "tiny.yaml").write_text(TINY, encoding="utf-8")
    one, _ = _recover(root / "tiny.yaml", root / "one")
    two, _ = _recover(root / "tiny.yaml", root / "two")
    return root, one, two


def test_the_tables_have_their_columns_and_bounds(recovered) -> None:
    from benchmarks.calibration_recovery.report import DRAW_COLUMNS, FILES, POSTERIOR_COLUMNS, RECOVERY_COLUMNS

    root, _, _ = recovered
    assert all((root / "one" / f).is_file() for f in FILES)
    columns, rows = read_csv(root / "one" / "recovery.csv")
    assert tuple(columns) == RECOVERY_COLUMNS
    assert [r["parameter"] for r in rows] == [INTERCEPT, PLACEBO]
    for r in rows:
        assert 0.0 <= float(r["coverage"]) <= 1.0 and int(r["covered"]) <= int(r["draws"]) == 2
        assert float(r["shrinkage_q25"]) <= float(r["shrinkage_median"]) <= float(r["shrinkage_q75"]) <= 1.0
        assert r["verdict"] in (IDENTIFIED, WEAK, NOT_IDENTIFIED)
    assert rows[0]["above_placebo"] in ("0", "1", "2") and rows[1]["above_placebo"] == ""
    columns, draws = read_csv(root / "one" / "draws.csv")
    assert tuple(columns) == DRAW_COLUMNS and len(draws) == 4
    for d in draws:
        assert float(d["low"]) <= float(d["mean"]) <= float(d["high"])
        assert (float(d["low"]) <= float(d["truth"]) <= float(d["high"])) == (d["covered"] == "true")
    columns, posteriors = read_csv(root / "one" / "posteriors.csv")
    assert tuple(columns) == POSTERIOR_COLUMNS
    assert all(1.0 <= float(p["effective_size"]) <= 20.0 for p in posteriors)


def test_the_same_seed_gives_byte_identical_tables(recovered) -> None:
    _, one, two = recovered
    assert one == two


def test_resume_reads_the_finished_draws_back_and_gives_the_same_tables(recovered) -> None:
    root, one, _ = recovered
    again, resumed = _recover(root / "tiny.yaml", root / "one", resume=True)
    assert resumed == 2 and again == one


def test_the_fact_that_pins_the_move_rate_shrinks_the_intercept_and_not_the_placebo(recovered) -> None:
    """The move rate is about exp(intercept): its synthetic target pins the intercept; no scenario reads the
    placebo. Were the targets ignored (every distance the same), both would shrink alike, by chance only."""
    root, _, _ = recovered
    rows = {r["parameter"]: r for r in read_csv(root / "one" / "recovery.csv")[1]}
    pinned, untouched = float(rows[INTERCEPT]["shrinkage_median"]), float(rows[PLACEBO]["shrinkage_median"])
    assert pinned >= 0.5
    assert pinned - untouched >= 0.3


def test_bad_command_line_input_is_one_line_and_exit_2(tmp_path, capsys) -> None:
    from benchmarks.calibration_recovery.__main__ import main

    (tmp_path / "tiny.yaml").write_text(TINY, encoding="utf-8")
    for argv in (
        [str(tmp_path / "missing.yaml")],
        [str(tmp_path / "tiny.yaml"), "--draws", "0"],
        [str(tmp_path / "tiny.yaml"), "--population", "many"],
        [str(tmp_path / "tiny.yaml"), "--firms", "0"],
    ):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert len(err.strip().splitlines()) == 1, err
