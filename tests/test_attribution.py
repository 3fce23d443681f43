"""Lever attribution: the Shapley function on hand-made games, then the `attribute` command on the model.

The hand-made games pin the axioms (efficiency, symmetry, dummy, additivity)
and the permutation definition. On the model, a small package of three levers
(one of them a zero-budget dummy) is attributed once per module; the tests
check the tables (attribution, totals, the decision table with each lever's
cost per additional north job and own spending), efficiency per replication,
that fixed budgets are attributed to the lever that spends them, that the
dummy gets exactly 0, common random numbers across subsets, worker counts,
resume, failures, result folders and the bad-input paths (exit 2, nothing written).
"""

from __future__ import annotations

import argparse
import itertools
import math
import random
import shutil
from pathlib import Path

import numpy as np
import pytest

import experiments.attribute.package as attribution
from cli import main
from experiments.analysis.shapley import shapley_values
from experiments.analysis.stats import Interval
from experiments.attribute.columns import ATTRIBUTION_COLUMNS, DECISION_COLUMNS, OWN_SPEND, TOTALS_COLUMNS
from experiments.attribute.experiment import Attribute
from experiments.attribute.read import read_attribution
from experiments.attribute.report import markdown
from experiments.attribute.shapley_tables import attribution_rows, totals_rows
from model.levers import REGISTRY
from model.outcomes import COST_EFFECTIVENESS, DECISION
from model.seeds import replication_seeds
from tests.conftest import read_csv, read_json
from tests.tables import assert_shares_bounded, fail_runs, fieller, hidden, run_record, snapshot

# --------------------------------------------------------------------------- the Shapley function


def _game(k: int, value: object) -> list[float]:
    """v[mask] for all 2^k subsets, from a function of the set of lever indices."""
    return [float(value({i for i in range(k) if mask >> i & 1})) for mask in range(1 << k)]  # type: ignore[operator]


def _by_permutations(v: list[float], k: int) -> list[float]:
    """The textbook definition: each lever's marginal effect averaged over all k! orders of adding the levers."""
    phi = [0.0] * k
    orders = list(itertools.permutations(range(k)))
    for order in orders:
        mask = 0
        for i in order:
            phi[i] += v[mask | 1 << i] - v[mask]
            mask |= 1 << i
    return [p / len(orders) for p in phi]


def test_additive_game_gives_each_lever_its_own_effect() -> None:
    # Dyadic effects add up without rounding, so the values come back exactly.
    own = [0.25, 2.5, -0.75, 1024.0]
    assert shapley_values(_game(4, lambda s: sum(own[i] for i in s))) == own
    own = [0.1, 2.7, -0.7]
    assert shapley_values(_game(3, lambda s: sum(own[i] for i in s))) == pytest.approx(own, rel=1e-12, abs=1e-15)


def test_dummy_lever_gets_exactly_zero_and_symmetric_levers_equal_shares() -> None:
    rng = random.Random(3)
    base = {mask: rng.uniform(-5, 5) for mask in range(16)}
    # Lever 1 never changes anything: v depends only on the other bits.
    v = [base[mask & ~0b0010] for mask in range(16)]
    phi = shapley_values(v)
    assert phi[1] == 0.0
    # Levers 0 and 2 enter symmetrically: swapping them leaves v unchanged.
    sym = _game(3, lambda s: 2.0 * len(s & {0, 2}) ** 2 + (0.5 if 1 in s else 0.0))
    phi = shapley_values(sym)
    assert phi[0] == phi[2]
    assert phi[1] == pytest.approx(0.5, abs=1e-15)


def test_pure_interaction_is_split_equally_among_the_levers_it_needs() -> None:
    # All three needed: each gets a third. Only 0 and 1 needed: halves, lever 2 nothing.
    assert shapley_values(_game(3, lambda s: 1.0 if s == {0, 1, 2} else 0.0)) == pytest.approx([1 / 3] * 3, abs=1e-15)
    assert shapley_values(_game(3, lambda s: 6.0 if {0, 1} <= s else 0.0)) == [3.0, 3.0, 0.0]


@pytest.mark.parametrize("k", [1, 2, 4, 6, 8])
def test_matches_the_permutation_definition_and_is_efficient(k: int) -> None:
    rng = random.Random(k)
    scale = 10.0 ** rng.randint(-3, 11)
    v = [rng.uniform(-scale, scale) for _ in range(1 << k)]
    phi = shapley_values(v)
    if k <= 6:
        assert phi == pytest.approx(_by_permutations(v, k), rel=1e-9, abs=1e-12 * scale)
    assert abs(math.fsum(phi) - (v[-1] - v[0])) <= 1e-12 * max(1.0, max(map(abs, v)))


def test_a_game_without_all_subsets_or_with_a_missing_value() -> None:
    with pytest.raises(ValueError, match="2\\^k"):
        shapley_values([0.0, 1.0, 2.0])
    assert all(math.isnan(p) for p in shapley_values([0.0, math.nan, 1.0, 2.0]))


# --------------------------------------------------------------------------- the command on the model

YEARS = (2023, 2026)
ACTIVE_YEARS = YEARS[1] - 2024 + 1
BE_BUDGET, PAIRING_BUDGET = 3.0e8, 2.0e8
# business_environment and pairing have fixed budgets and effects on the choice;
# infrastructure with a zero budget changes nothing: a dummy. Pairing's strength_gain 6 (of 0-10) makes its
# north effect clear on 2 replications of 1,500 firms with the industry bases by rule (2.0 did with the hand list).
PACKAGE_YAML = f"""\
name: att_pkg
seed: 4242
replications: 3
years: {{start: {YEARS[0]}, end: {YEARS[1]}, hindcast_end: null, report_start: null}}
firms: {{count: 1500}}
behaviour: {{batches_per_year: 4}}
policies:
  pairing: {{start_year: 2024, strength_gain: 6.0, environment_gain: 0.1, annual_budget_yuan: {PAIRING_BUDGET}}}
  business_environment: {{start_year: 2024, gain_per_year: 0.08, max_gain: 0.3, annual_budget_yuan: {BE_BUDGET}}}
  infrastructure: {{start_year: 2024, annual_budget_yuan: 0}}
"""
LEVERS = tuple(k for k in REGISTRY if k in ("pairing", "business_environment", "infrastructure"))  # registry order
DUMMY = LEVERS.index("infrastructure")
FOLDER = "attribute-att_pkg-r2"
TABLES = ("attribution.csv", "totals.csv", "decision.csv", "levers.csv")


@pytest.fixture(scope="module")
def done(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The package file and its result folder after `attribute --replications 2`."""
    root = tmp_path_factory.mktemp("attribution")
    package = root / "att_pkg.yaml"
    package.write_text(PACKAGE_YAML, encoding="utf-8")
    code = main(["attribute", str(package), "--replications", "2", "--out", str(root / "out"), "-q", "--no-plots"])
    assert code == 0
    return package, root / "out" / FOLDER


def _metrics(folder: Path) -> list[str]:
    metrics: list[str] = read_json(folder / "manifest.json")["metrics"]
    return metrics


def _games(folder: Path) -> dict[str, list[list[float]]]:
    """v[mask] of every metric and replication, read from the run files."""
    return {
        m: [[run_record(folder, f"s{mask:03d}-r{r:04d}")["metrics"][m] for mask in range(8)] for r in range(2)]
        for m in _metrics(folder)
    }


def _rows(folder: Path) -> dict[tuple[str, str], dict[str, str]]:
    columns, rows = read_csv(folder / "attribution.csv")
    assert tuple(columns) == ATTRIBUTION_COLUMNS
    return {(r["metric"], r["lever"]): r for r in rows}


def _decision(folder: Path) -> dict[tuple[str, str], dict[str, str]]:
    columns, rows = read_csv(folder / "decision.csv")
    assert tuple(columns) == DECISION_COLUMNS
    return {(r["lever"], r["quantity"]): r for r in rows}


def test_tables_have_one_row_per_metric_and_lever(done) -> None:
    _package, folder = done
    assert {*TABLES, "manifest.json", "runs"} <= {p.name for p in folder.iterdir()}
    metrics = _metrics(folder)
    assert metrics[:2] == ["north_share_jobs", "outside_share_jobs"] and set(DECISION) <= set(metrics)
    _columns, rows = read_csv(folder / "attribution.csv")
    assert [(r["metric"], r["lever"]) for r in rows] == [(m, lever) for m in metrics for lever in LEVERS]
    assert {r["replications"] for r in rows} == {"2"}
    columns, totals = read_csv(folder / "totals.csv")
    assert tuple(columns) == TOTALS_COLUMNS
    assert [r["metric"] for r in totals] == [*metrics, "cost_per_additional_north_job_yuan"]  # the package's ratio
    _, levers = read_csv(folder / "levers.csv")
    assert [(r["lever"], r["label"]) for r in levers] == [(k, REGISTRY[k].label) for k in LEVERS]
    assert sorted(p.name for p in (folder / "runs").glob("s*-r*.json")) == [
        f"s{mask:03d}-r{r:04d}.json" for mask in range(8) for r in range(2)
    ]
    manifest = read_json(folder / "manifest.json")
    assert manifest["levers"] == list(LEVERS) and manifest["subsets"] == 8 and manifest["seed"] == 4242
    assert manifest["replications"] == 2 and manifest["replication_seeds"] == replication_seeds(4242, 2)
    assert manifest["runs"] == 16 and manifest["name"] == FOLDER
    assert hidden(folder) == []


def test_efficiency_holds_in_every_replication(done) -> None:
    _package, folder = done
    games = _games(folder)
    moved = False
    for m, gs in games.items():
        for v in gs:
            phi = shapley_values(v)
            assert abs(math.fsum(phi) - (v[-1] - v[0])) <= 1e-12 * max(1.0, max(map(abs, v)))
            moved |= m == "to_north_jobs" and any(p != 0 for p in phi)
    assert moved, "the package changed nothing: the efficiency check would be vacuous"
    rows = _rows(folder)
    totals = {r["metric"]: r for r in read_csv(folder / "totals.csv")[1]}
    for m, gs in games.items():
        total = sum(float(rows[m, lever]["shapley"]) for lever in LEVERS)
        expected = math.fsum(v[-1] - v[0] for v in gs) / 2
        assert total == pytest.approx(expected, rel=1e-9, abs=1e-9)
        assert float(totals[m]["change"]) == pytest.approx(expected, rel=1e-9, abs=1e-9)
        assert float(totals[m]["with_package"]) == pytest.approx(np.mean([v[-1] for v in gs]), rel=1e-9)


def test_fixed_budgets_are_attributed_to_the_lever_that_spends_them(done) -> None:
    _package, folder = done
    rows, decision = _rows(folder), _decision(folder)
    own = {"business_environment": BE_BUDGET * ACTIVE_YEARS, "pairing": PAIRING_BUDGET * ACTIVE_YEARS}
    own["infrastructure"] = 0.0
    for lever, spend in own.items():
        assert float(rows["fiscal_cost_yuan", lever]["shapley"]) == pytest.approx(spend, rel=1e-12)
        assert float(decision[lever, "fiscal_cost_yuan"]["value"]) == pytest.approx(spend, rel=1e-12)
        # and it is what the full package's runs record as that lever's own spending
        assert float(decision[lever, OWN_SPEND]["value"]) == pytest.approx(spend, rel=1e-12)
        full = run_record(folder, "s007-r0001")["timeseries"]
        assert math.fsum(row[f"fiscal_{lever}_yuan"] for row in full) == pytest.approx(spend, rel=1e-12)


def test_zero_budget_lever_without_other_effect_is_an_exact_dummy(done) -> None:
    _package, folder = done
    rows = _rows(folder)
    for m in _metrics(folder):
        row = rows[m, "infrastructure"]
        assert [row[c] for c in ("shapley", "ci_low", "ci_high", "alone", "last")] == ["0"] * 5, m
    for m, games in _games(folder).items():
        for v in games:
            assert shapley_values(v)[DUMMY] == 0.0, m


def test_decision_table_gives_each_levers_changes_cost_per_north_job_and_own_spending(done) -> None:
    _package, folder = done
    rows, decision = _rows(folder), _decision(folder)
    expected = [(lever, q) for lever in LEVERS for q in (*DECISION, COST_EFFECTIVENESS, OWN_SPEND)]
    assert list(decision) == expected
    games = _games(folder)
    phis = {m: np.array([shapley_values(v) for v in gs]) for m, gs in games.items()}  # (replications, levers)
    seen = set()
    for i, lever in enumerate(LEVERS):
        for q in DECISION:
            # the lever's Shapley share of each change, with the same interval as attribution.csv
            row, same = decision[lever, q], rows[q, lever]
            assert [row[c] for c in ("value", "ci_low", "ci_high")] == [
                same[c] for c in ("shapley", "ci_low", "ci_high")
            ]
        cost, north = phis["fiscal_cost_yuan"][:, i], phis["to_north_jobs"][:, i]
        row = decision[lever, COST_EFFECTIVENESS]
        if north.mean() == 0:
            assert row["value"] == "nan", lever  # no additional north job: no cost per job
            continue
        assert float(row["value"]) == pytest.approx(cost.mean() / north.mean(), rel=1e-9)
        distinguishable = Interval.of(north).excludes_zero()
        low, high = fieller(cost, north)
        if distinguishable:
            assert (float(row["ci_low"]), float(row["ci_high"])) == pytest.approx((low, high), rel=1e-8)
        else:
            assert (row["ci_low"], row["ci_high"]) == ("nan", "nan")
        seen.add(distinguishable)
    assert seen == {True, False}, (
        "the fixture should give one lever of each kind (pairing: yes, business_environment: no)"
    )
    assert float(decision["pairing", COST_EFFECTIVENESS]["value"]) > 0


def test_share_intervals_stay_inside_their_bounds(done) -> None:
    _package, folder = done
    assert assert_shares_bounded(folder) > 0


def test_share_intervals_stay_inside_their_bounds_with_extreme_games(tmp_path: Path) -> None:
    """Two replications whose shares jump between 0 and 1: Shapley values in [-1, 1], totals in [0, 1]."""
    from experiments.engine.tables import write_csv

    games = {"north_share_jobs": [[0.0, 1.0, 0.0, 1.0], [1.0, 0.0, 0.001, 0.0]]}
    phis = {m: [shapley_values(g) for g in gs] for m, gs in games.items()}
    write_csv(tmp_path / "attribution.csv", ATTRIBUTION_COLUMNS, attribution_rows(["a", "b"], games, phis))
    write_csv(tmp_path / "totals.csv", TOTALS_COLUMNS, totals_rows(games))
    assert assert_shares_bounded(tmp_path) == 2 * 5 + 9


def test_subsets_share_seeds_and_keep_the_world(tmp_path: Path) -> None:
    path = tmp_path / "att_pkg.yaml"
    path.write_text(PACKAGE_YAML, encoding="utf-8")
    exp = Attribute(argparse.Namespace(package=path, metric=None, replications=2, seed=None, firms=None))
    tasks = exp.plan(99)
    assert [t.task_id for t in tasks[:2]] == ["s000-r0000", "s001-r0000"] and len(tasks) == 16
    for r, seed in enumerate(replication_seeds(99, 2)):
        assert {t.seed for t in tasks if t.labels["replication"] == r} == {seed}
    pkg = exp.package
    assert pkg.levers == LEVERS
    only_pairing = 1 << LEVERS.index("pairing")
    empty, pairing = pkg.subset_scenario(0), pkg.subset_scenario(only_pairing)
    assert empty.policies.pairing is None and empty.behaviour.batches_per_year == 4
    assert pairing.policies.pairing is not None and pairing.policies.business_environment is None
    assert pairing.name == f"att_pkg__s{only_pairing}" and pairing.firms.count == 1500


def test_two_workers_write_the_same_bytes(done, tmp_path: Path) -> None:
    package, folder = done
    args = ["attribute", str(package), "--replications", "2", "--out", str(tmp_path), "--workers", "2", "-q"]
    assert main([*args, "--no-plots"]) == 0
    for name in TABLES:
        assert (tmp_path / FOLDER / name).read_bytes() == (folder / name).read_bytes(), name


def test_resume_reuses_the_runs_and_refuses_other_seeds(done, tmp_path: Path, cli) -> None:
    package, folder = done
    shutil.copytree(folder, tmp_path / FOLDER)
    copy = tmp_path / FOLDER

    def runs() -> dict[str, tuple[int, str]]:
        return {k: v for k, v in snapshot(copy / "runs").items() if k.startswith("s0")}

    before = runs()
    args = ("attribute", package, "--replications", "2", "--out", tmp_path, "-q", "--no-plots")
    assert cli(*args, "--resume").code == 0
    assert runs() == before and len(before) == 16, "no run was made again"
    assert read_json(copy / "manifest.json")["runs_executed"] == 0
    for name in TABLES:
        assert (copy / name).read_bytes() == (folder / name).read_bytes(), name
    res = cli(*args, "--seed", "1", "--name", FOLDER, "--resume")
    assert res.code == 2 and len(res.err_lines) == 1
    assert str(copy) in res.err and "other inputs" in res.err


def test_run_after_attribute_leaves_the_attribute_folder_alone(done, tmp_path: Path, cli) -> None:
    package, folder = done
    shutil.copytree(folder, tmp_path / FOLDER)
    before = snapshot(tmp_path / FOLDER)
    res = cli("run", package, "--replications", "1", "--firms", "200", "--out", tmp_path, "-q", "--no-plots")
    assert res.code == 0, res.err
    assert (tmp_path / "att_pkg-r1-f200" / "summary.json").is_file()
    assert snapshot(tmp_path / FOLDER) == before
    assert read_json(tmp_path / FOLDER / "manifest.json")["command"] == "attribute"


def test_a_failed_run_exits_1_writes_nothing_and_resume_completes(tmp_path: Path, cli, monkeypatch) -> None:
    """Also: --metric adds a metric (and names the folder), --firms reaches the runs."""
    package = tmp_path / "att_pkg.yaml"
    package.write_text(PACKAGE_YAML, encoding="utf-8")
    second_seed = replication_seeds(4242, 2)[1]
    fail_runs(monkeypatch, lambda sc, seed: sc.name == "att_pkg__s3" and seed == second_seed)
    args = ("attribute", package, "--replications", "2", "--firms", "300", "--metric", "closed_jobs")
    args += ("--out", tmp_path / "out", "-q", "--no-plots")
    folder = tmp_path / "out" / "attribute-att_pkg-r2-f300-mclosed_jobs"
    res = cli(*args)
    assert res.code == 1 and len(res.err_lines) == 1, res.err
    assert "1 of 16 runs failed" in res.err and "s003-r0001" in res.err and "boom" in res.err
    assert (folder / "runs" / "s003-r0001.error.json").is_file()
    assert not (folder / "attribution.csv").exists() and not (folder / "manifest.json").exists()
    monkeypatch.undo()
    res = cli(*args, "--resume")
    assert res.code == 0, res.err
    manifest = read_json(folder / "manifest.json")
    assert manifest["runs_executed"] == 1 and manifest["firms"] == 300 and "closed_jobs" in manifest["metrics"]
    assert ("closed_jobs", "pairing") in _rows(folder)


TOO_MANY = [k for k in REGISTRY if k not in LEVERS] + [f"extra_{i}" for i in range(attribution.MAX_LEVERS)]
TOO_MANY_LEVERS = PACKAGE_YAML.replace(
    "policies:\n",
    "policies:\n" + "".join(f"  {k}: {{}}\n" for k in TOO_MANY[: attribution.MAX_LEVERS + 1 - len(LEVERS)]),
)


@pytest.mark.parametrize(
    ("text", "extra", "key"),
    [
        (TOO_MANY_LEVERS, [], f"policies: {attribution.MAX_LEVERS + 1} levers"),
        (PACKAGE_YAML.split("policies:")[0], [], "policies"),
        (PACKAGE_YAML, ["--metric", "north_share"], "--metric"),
        (PACKAGE_YAML, ["--name", "a/b"], "--name"),
        (PACKAGE_YAML, ["--levers", "pairing,talent"], "--levers: 'talent'"),
        (PACKAGE_YAML, ["--levers", "pairing,pairing"], "--levers: 'pairing,pairing'"),
    ],
    ids=["too-many-levers", "no-levers", "unknown-metric", "bad-name", "lever-not-in-package", "lever-twice"],
)
def test_bad_input_exits_2_with_one_line_and_writes_nothing(tmp_path: Path, cli, text, extra, key) -> None:
    package = tmp_path / "pkg.yaml"
    package.write_text(text, encoding="utf-8")
    res = cli("attribute", package, "--out", tmp_path / "out", *extra)
    assert res.code == 2
    assert len(res.err_lines) == 1 and key in res.err
    assert not (tmp_path / "out").exists()


def test_the_lever_cap_is_checked_before_anything_runs(tmp_path: Path, cli, monkeypatch) -> None:
    monkeypatch.setattr(attribution, "MAX_LEVERS", 2)
    package = tmp_path / "pkg.yaml"
    package.write_text(PACKAGE_YAML, encoding="utf-8")
    res = cli("attribute", package, "--out", tmp_path / "out")
    assert res.code == 2
    assert "3 levers" in res.err and "1 to 2" in res.err
    assert not (tmp_path / "out").exists()


# --------------------------------------------------------------------------- --levers: a subset of the package


def test_levers_option_runs_the_named_levers_subsets_with_the_others_on(tmp_path: Path) -> None:
    path = tmp_path / "att_pkg.yaml"
    path.write_text(PACKAGE_YAML, encoding="utf-8")
    args = argparse.Namespace(package=path, metric=None, replications=2, seed=None, firms=None, levers="pairing")
    exp = Attribute(args)
    assert exp.package.levers == ("pairing",)
    assert exp.package.held == tuple(k for k in LEVERS if k != "pairing")
    assert len(exp.plan(99)) == 2 * 2  # 2^1 subsets x 2 replications
    off, on = exp.package.subset_scenario(0), exp.package.subset_scenario(1)
    assert off.policies.pairing is None and on.policies.pairing is not None
    for scenario in (off, on):  # the held levers stay on in every subset
        assert scenario.policies.business_environment is not None and scenario.policies.infrastructure is not None


def test_levers_option_with_a_held_dummy_gives_the_full_attribution(done, tmp_path: Path) -> None:
    """Holding the zero-budget dummy on changes no game value, so the two levers' Shapley values are the full run's."""
    package, full = done
    out = tmp_path / "out"
    args = ["attribute", str(package), "--replications", "2", "--out", str(out), "-q", "--no-plots"]
    assert main([*args, "--levers", "business_environment,pairing"]) == 0
    (folder,) = out.iterdir()
    assert folder.name == "attribute-att_pkg-r2-lbusiness_environment_pairing"
    manifest = read_json(folder / "manifest.json")
    assert manifest["levers"] == [k for k in LEVERS if k != "infrastructure"]  # registry order
    assert manifest["held_on"] == ["infrastructure"]
    assert manifest["subsets"] == 4 and manifest["runs"] == 8
    assert [r["lever"] for r in read_csv(folder / "held.csv")[1]] == ["infrastructure"]
    sub, whole = _rows(folder), _rows(full)
    for m in ("to_north_jobs", "fiscal_cost_yuan", "relocated_jobs"):
        for lever in ("pairing", "business_environment"):
            assert float(sub[m, lever]["shapley"]) == pytest.approx(float(whole[m, lever]["shapley"]), abs=1e-6)
    a = read_attribution(folder)
    assert [lv.key for lv in a.held] == ["infrastructure"] and read_attribution(full).held == ()
    assert "Infrastructure, stayed on in every subset" in markdown(a)
