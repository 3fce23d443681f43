"""Lever attribution: the Shapley function on hand-made games, then the `attribute` command on the model.

The hand-made games pin the axioms (efficiency, symmetry, dummy, additivity)
and the permutation definition. On the model, a small package of three levers
(one of them a zero-budget dummy) is attributed once per module; the tests
check the files, efficiency per replication, that fixed budgets are attributed
to the lever that spends them, that the dummy gets exactly 0, common random
numbers across subsets, resume, and the bad-input paths (exit 2, nothing written).
"""

from __future__ import annotations

import itertools
import math
import random
from pathlib import Path

import pytest

import experiments.attribution as attribution
import experiments.engine
from experiments.attribution import CSV_COLUMNS, build_tasks, collect, load_package, shapley_values
from experiments.cli import main
from experiments.engine import RunStore
from tests.conftest import read_csv, read_json

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


def test_additive_game_gives_each_lever_its_own_effect():
    # Dyadic effects add up without rounding, so the values come back exactly.
    own = [0.25, 2.5, -0.75, 1024.0]
    assert shapley_values(_game(4, lambda s: sum(own[i] for i in s))) == own
    own = [0.1, 2.7, -0.7]
    assert shapley_values(_game(3, lambda s: sum(own[i] for i in s))) == pytest.approx(own, rel=1e-12, abs=1e-15)


def test_dummy_lever_gets_exactly_zero_and_symmetric_levers_equal_shares():
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


def test_pure_interaction_is_split_equally_among_the_levers_it_needs():
    # All three needed: each gets a third. Only 0 and 1 needed: halves, lever 2 nothing.
    assert shapley_values(_game(3, lambda s: 1.0 if s == {0, 1, 2} else 0.0)) == pytest.approx([1 / 3] * 3, abs=1e-15)
    assert shapley_values(_game(3, lambda s: 6.0 if {0, 1} <= s else 0.0)) == [3.0, 3.0, 0.0]


@pytest.mark.parametrize("k", [1, 2, 4, 6, 8])
def test_matches_the_permutation_definition_and_is_efficient(k):
    rng = random.Random(k)
    scale = 10.0 ** rng.randint(-3, 11)
    v = [rng.uniform(-scale, scale) for _ in range(1 << k)]
    phi = shapley_values(v)
    if k <= 6:
        assert phi == pytest.approx(_by_permutations(v, k), rel=1e-9, abs=1e-12 * scale)
    assert abs(math.fsum(phi) - (v[-1] - v[0])) <= 1e-12 * max(1.0, max(map(abs, v)))


def test_a_game_without_all_subsets_or_with_a_missing_value():
    with pytest.raises(ValueError, match="2\\^k"):
        shapley_values([0.0, 1.0, 2.0])
    assert all(math.isnan(p) for p in shapley_values([0.0, math.nan, 1.0, 2.0]))


# --------------------------------------------------------------------------- the command on the model

YEARS = (2023, 2026)
ACTIVE_YEARS = YEARS[1] - 2024 + 1
BE_BUDGET, PAIRING_BUDGET = 3.0e8, 2.0e8
# business_environment and pairing have fixed budgets and effects on the choice;
# infrastructure with a zero budget changes nothing: a dummy.
PACKAGE_YAML = f"""\
name: att_pkg
seed: 4242
replications: 3
years: {{start: {YEARS[0]}, end: {YEARS[1]}}}
firms: {{count: 1500}}
behaviour: {{batches_per_year: 4}}
policies:
  pairing: {{start_year: 2024, strength_gain: 2.0, environment_gain: 0.1, annual_budget_yuan: {PAIRING_BUDGET}}}
  business_environment: {{start_year: 2024, gain_per_year: 0.08, max_gain: 0.3, annual_budget_yuan: {BE_BUDGET}}}
  infrastructure: {{start_year: 2024, annual_budget_yuan: 0}}
"""
LEVERS = ("infrastructure", "business_environment", "pairing")  # registry order
METRICS = ("north_share_jobs", "to_north_jobs", "fiscal_cost_yuan")


@pytest.fixture(scope="module")
def done(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The package file and its result folder after `attribute --replications 2 -q`."""
    root = tmp_path_factory.mktemp("attribution")
    package = root / "att_pkg.yaml"
    package.write_text(PACKAGE_YAML, encoding="utf-8")
    code = main(["attribute", str(package), "--replications", "2", "--out", str(root / "out"), "-q"])
    assert code == 0
    return package, root / "out" / "att_pkg"


def _games(package: Path, folder: Path) -> dict[str, list[list[float]]]:
    pkg = load_package(package)
    tasks = build_tasks(pkg, 2, 4242)
    collected = collect(RunStore(folder), pkg, tasks, METRICS)
    assert collected.complete == [0, 1] and not collected.failed
    return collected.games


def _rows(folder: Path) -> dict[tuple[str, str], dict[str, str]]:
    columns, rows = read_csv(folder / "attribution.csv")
    assert tuple(columns) == CSV_COLUMNS
    return {(r["metric"], r["lever"]): r for r in rows}


def test_files_have_one_row_per_metric_and_lever(done):
    _package, folder = done
    assert sorted(p.name for p in folder.iterdir()) == [
        "attribution.csv",
        "attribution.md",
        "manifest.json",
        "plots",
        "runs",
    ]
    _columns, rows = read_csv(folder / "attribution.csv")
    assert [(r["metric"], r["lever"]) for r in rows] == [(m, lever) for m in METRICS for lever in LEVERS]
    assert {r["replications"] for r in rows} == {"2"}
    assert sorted(p.name for p in (folder / "plots").iterdir()) == sorted(f"waterfall_{m}.png" for m in METRICS)
    assert len(list((folder / "runs").glob("s*-r*.json"))) == 8 * 2
    manifest = read_json(folder / "manifest.json")
    assert manifest["levers"] == list(LEVERS) and manifest["subsets"] == 8 and manifest["seed"] == 4242
    assert manifest["replications"] == 2 and len(manifest["replication_seeds"]) == 2 and manifest["failed_runs"] == []
    report = (folder / "attribution.md").read_text(encoding="utf-8")
    assert all(f"`{lever}`" in report for lever in LEVERS) and "plots/waterfall_to_north_jobs.png" in report


def test_efficiency_holds_in_every_replication(done):
    package, folder = done
    games = _games(package, folder)
    moved = False
    for metric in METRICS:
        for v in games[metric]:
            phi = shapley_values(v)
            assert abs(math.fsum(phi) - (v[-1] - v[0])) <= 1e-12 * max(1.0, max(map(abs, v)))
            moved |= metric == "to_north_jobs" and any(p != 0 for p in phi)
    assert moved, "the package changed nothing: the efficiency check would be vacuous"
    rows = _rows(folder)
    for metric in METRICS:
        total = sum(float(rows[metric, lever]["shapley_mean"]) for lever in LEVERS)
        expected = math.fsum(v[-1] - v[0] for v in games[metric]) / 2
        assert total == pytest.approx(expected, rel=1e-9, abs=1e-9)


def test_fixed_budgets_are_attributed_to_the_lever_that_spends_them(done):
    package, folder = done
    rows = _rows(folder)
    own = {
        "business_environment": BE_BUDGET * ACTIVE_YEARS,
        "pairing": PAIRING_BUDGET * ACTIVE_YEARS,
        "infrastructure": 0,
    }
    for lever, spend in own.items():
        assert float(rows["fiscal_cost_yuan", lever]["shapley_mean"]) == pytest.approx(spend, rel=1e-12)
    # and it is what the full package's runs record as that lever's spending
    pkg = load_package(package)
    collected = collect(RunStore(folder), pkg, build_tasks(pkg, 2, 4242), METRICS)
    assert collected.own_spend_yuan["pairing"] == [PAIRING_BUDGET * ACTIVE_YEARS] * 2


def test_zero_budget_lever_without_other_effect_is_an_exact_dummy(done):
    package, folder = done
    rows = _rows(folder)
    for metric in METRICS:
        row = rows[metric, "infrastructure"]
        assert float(row["shapley_mean"]) == 0.0
        assert float(row["alone_mean"]) == 0.0 and float(row["last_mean"]) == 0.0
    for metric, games in _games(package, folder).items():
        for v in games:
            assert shapley_values(v)[0] == 0.0, metric


def test_subsets_share_seeds_and_keep_the_world(tmp_path):
    path = tmp_path / "att_pkg.yaml"
    path.write_text(PACKAGE_YAML, encoding="utf-8")
    pkg = load_package(path)
    tasks = build_tasks(pkg, 2, 99)
    assert [t.task_id for t in tasks[:2]] == ["s000-r0000", "s001-r0000"]
    for r in range(2):
        assert len({t.seed for t in tasks if t.labels["replication"] == r}) == 1
    assert tasks[0].seed != tasks[8].seed
    empty, only_pairing = pkg.subset_scenario(0), pkg.subset_scenario(0b100)
    assert empty.policies.pairing is None and empty.behaviour.batches_per_year == 4
    assert only_pairing.policies.pairing is not None and only_pairing.policies.business_environment is None
    assert only_pairing.name == "att_pkg__s4" and only_pairing.firms.count == 1500


def test_two_workers_write_the_same_bytes(done, tmp_path):
    package, folder = done
    out = tmp_path / "out"
    assert main(["attribute", str(package), "--replications", "2", "--out", str(out), "--workers", "2", "-q"]) == 0
    for name in ("attribution.csv", "attribution.md", *(f"plots/waterfall_{m}.png" for m in METRICS)):
        assert (out / "att_pkg" / name).read_bytes() == (folder / name).read_bytes(), name


def test_a_failed_run_drops_its_replication_and_exits_1(done, tmp_path, monkeypatch, capsys):
    package, _folder = done
    real = experiments.engine.simulate
    second_seed = build_tasks(load_package(package), 2, 4242)[8].seed

    def flaky(scenario, seed, data):
        if scenario.name == "att_pkg__s3" and seed == second_seed:
            raise RuntimeError("boom")
        return real(scenario, seed, data)

    monkeypatch.setattr(experiments.engine, "simulate", flaky)
    out = tmp_path / "out"
    assert main(["attribute", str(package), "--replications", "2", "--out", str(out), "-q"]) == 1
    assert "1 run(s) failed; 1 of 2 replications used" in capsys.readouterr().err
    folder = out / "att_pkg"
    assert (folder / "runs" / "s003-r0001.error.json").is_file()
    assert {r["replications"] for r in read_csv(folder / "attribution.csv")[1]} == {"1"}
    assert read_json(folder / "manifest.json")["failed_runs"] == ["s003-r0001"]


def test_resume_reuses_the_runs_and_refuses_other_seeds(done, tmp_path, capsys):
    package, folder = done
    before = (folder / "attribution.csv").read_bytes()
    mtimes = {p: p.stat().st_mtime_ns for p in (folder / "runs").iterdir()}
    out = str(folder.parent)
    assert main(["attribute", str(package), "--replications", "2", "--out", out, "--resume", "-q"]) == 0
    assert (folder / "attribution.csv").read_bytes() == before
    assert {p: p.stat().st_mtime_ns for p in (folder / "runs").iterdir()} == mtimes
    capsys.readouterr()
    code = main(["attribute", str(package), "--replications", "2", "--seed", "1", "--out", out, "--resume", "-q"])
    assert code == 2
    assert "different package, seed or firm count" in capsys.readouterr().err


NINE_LEVERS = PACKAGE_YAML.replace(
    "policies:\n",
    "policies:\n"
    + "".join(
        f"  {k}: {{}}\n"
        for k in (
            "relocation_aid",
            "labour_resettlement",
            "industry_guidance",
            "talent",
            "cluster_parks",
            "extra_lever",
        )
    ),
)


@pytest.mark.parametrize(
    ("text", "extra", "key"),
    [
        (NINE_LEVERS, [], "policies: 9 levers"),
        (PACKAGE_YAML.split("policies:")[0], [], "policies"),
        (PACKAGE_YAML, ["--metric", "north_share"], "--metric"),
        (PACKAGE_YAML, ["--name", "a/b"], "--name"),
    ],
    ids=["nine-levers", "no-levers", "unknown-metric", "bad-name"],
)
def test_bad_input_exits_2_with_one_line_and_writes_nothing(tmp_path, cli, text, extra, key):
    package = tmp_path / "pkg.yaml"
    package.write_text(text, encoding="utf-8")
    res = cli("attribute", package, "--out", tmp_path / "out", *extra)
    assert res.code == 2
    assert len(res.err_lines) == 1 and key in res.err
    assert not (tmp_path / "out").exists()


def test_the_lever_cap_is_checked_before_anything_runs(tmp_path, cli, monkeypatch):
    monkeypatch.setattr(attribution, "MAX_LEVERS", 2)
    package = tmp_path / "pkg.yaml"
    package.write_text(PACKAGE_YAML, encoding="utf-8")
    res = cli("attribute", package, "--out", tmp_path / "out")
    assert res.code == 2
    assert "3 levers" in res.err and "1 to 2 lever sections" in res.err
    assert not (tmp_path / "out").exists()
