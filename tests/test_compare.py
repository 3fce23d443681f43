"""`compare`: common random numbers, paired vs unpaired intervals, the decision table, --ci-width rounds,
result folders, resume, failures and bad input."""

from __future__ import annotations

import math
import shutil
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from experiments.analysis.stats import Interval, ratio_interval, replications_for, t975, t_quantile_975, welch
from experiments.compare.columns import COMPARISON_COLUMNS, DECISION_COLUMNS
from experiments.compare.paired import comparison_row
from model.outcomes import COST_EFFECTIVENESS, DECISION, HORIZON, metric
from model.seeds import replication_seeds
from tests.conftest import SCENARIOS, CliResult, read_csv, read_json, run_py
from tests.tables import assert_shares_bounded, fail_runs, fieller, hidden, run_record

BASE_YAML = """\
name: base
seed: 99
replications: 4
years: {start: 2023, end: 2026}
firms: {count: 12000}  # enough for relocation aid at 80,000 yuan a job to be told from 0 on 4 replications
"""
COPY_YAML = """\
name: copy
extends: base.yaml
description: the baseline under another name
"""
LEVER_YAML = """\
name: lever
extends: base.yaml
policies:
  relocation_aid: {start_year: 2024, yuan_per_job: 80000, annual_budget_yuan: 2.0e9}
"""
# A payment too small to move many firms north: its change in north jobs is not distinguishable from 0.
SMALL_YAML = LEVER_YAML.replace("name: lever", "name: small").replace("80000", "3000")
SCENARIO_FILES = {"base": BASE_YAML, "copy": COPY_YAML, "lever": LEVER_YAML, "small": SMALL_YAML}
NAMES = tuple(SCENARIO_FILES)
FOLDER = "compare-base-vs-copy-lever-small"
DIFF_FIELDS = ("diff", "diff_ci_low", "diff_ci_high")
SHARES = ("north_share_jobs", "outside_share_jobs")
TABLES = ("comparison.csv", "decision.csv", "timeseries.csv")


def _ok(result: CliResult) -> CliResult:
    assert result.code == 0, result.err
    return result


def _scenarios(folder: Path, names: tuple[str, ...] = ("base", "copy", "lever")) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in SCENARIO_FILES.items():
        (folder / f"{name}.yaml").write_text(text, encoding="utf-8")
    return [folder / f"{name}.yaml" for name in names]


def _rows(folder: Path) -> dict[tuple[str, str], dict[str, str]]:
    return {(r["scenario"], r["metric"]): r for r in read_csv(folder / "comparison.csv")[1]}


def _decision(folder: Path) -> dict[tuple[str, str], dict[str, str]]:
    return {(r["scenario"], r["quantity"]): r for r in read_csv(folder / "decision.csv")[1]}


def _half(row: dict[str, str], low: str, high: str) -> float:
    return (float(row[high]) - float(row[low])) / 2


def _per_replication(folder: Path, scenario: str, name: str, n: int) -> np.ndarray:
    return np.array([run_record(folder, f"{scenario}-r{r:04d}")["metrics"][name] for r in range(n)])


@pytest.fixture(scope="module")
def compared(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Path]]:
    """base vs copy (the same scenario renamed) vs lever vs small, 4 replications, one worker, no figures."""
    from cli import main

    root = tmp_path_factory.mktemp("compare")
    files = _scenarios(root, NAMES)
    assert main(["compare", *map(str, files), "--out", str(root / "out"), "-q", "--no-plots"]) == 0
    return root / "out" / FOLDER, files


# --------------------------------------------------------------------------- comparison.csv


def test_comparison_has_the_contract_columns_and_a_row_per_scenario_and_metric(compared) -> None:
    folder, _ = compared
    header, rows = read_csv(folder / "comparison.csv")
    assert tuple(header) == COMPARISON_COLUMNS
    assert [(r["scenario"], r["metric"]) for r in rows] == [(s, m) for s in NAMES for m in HORIZON]
    assert all(r["unit"] == metric(r["metric"]).unit and r["replications"] == "4" for r in rows)


def test_baseline_against_itself_every_difference_is_exactly_zero(compared) -> None:
    """Same seeds and the same scenario under another name ⇒ identical runs ⇒ the tables say 0, not 1e-17."""
    folder, _ = compared
    rows = _rows(folder)
    for name in HORIZON:
        base, copy = rows[("base", name)], rows[("copy", name)]
        assert [copy[f] for f in DIFF_FIELDS] == ["0", "0", "0"], name
        assert [base[f] for f in DIFF_FIELDS] == ["0", "0", "0"], name
        assert [copy[f] for f in ("mean", "ci_low", "ci_high")] == [base[f] for f in ("mean", "ci_low", "ci_high")]
    # Unpaired, the same runs look uncertain: the interval of a zero difference is not zero wide.
    share = rows[("copy", "north_share_jobs")]
    assert float(share["unpaired_diff_ci_low"]) < 0 < float(share["unpaired_diff_ci_high"])
    assert share["paired_to_unpaired_width"] == "0"
    decision = _decision(folder)
    for q in DECISION:
        assert [decision[("copy", q)][f] for f in ("value", "ci_low", "ci_high")] == ["0", "0", "0"], q
    # 0 extra yuan for 0 additional north jobs: no cost per job, said so rather than 0
    assert decision[("copy", COST_EFFECTIVENESS)]["value"] == "nan"


def test_common_random_numbers_give_identical_yearly_rows(compared) -> None:
    folder, _ = compared
    header, rows = read_csv(folder / "timeseries.csv")
    assert header[:3] == ["scenario", "replication", "year"]
    by = defaultdict(list)
    for r in rows:
        by[r.pop("scenario")].append(r)
    assert by["copy"] == by["base"]
    assert by["lever"] != by["base"]
    assert len(by["base"]) == 4 * 4  # replications × years
    # the yearly rows add up to each run's horizon totals
    for r in range(4):
        north = sum(float(x["to_north_jobs"]) for x in by["lever"] if x["replication"] == str(r))
        assert north == pytest.approx(run_record(folder, f"lever-r{r:04d}")["metrics"]["to_north_jobs"])


def test_the_paired_interval_is_centred_on_the_unpaired_one_and_inside_it(compared) -> None:
    folder, _ = compared
    row = _rows(folder)[("lever", "to_north_jobs")]
    x, base = (_per_replication(folder, s, "to_north_jobs", 4) for s in ("lever", "base"))
    ci = stats.ttest_ind(x, base, equal_var=False).confidence_interval(0.95)
    assert (float(row["unpaired_diff_ci_low"]), float(row["unpaired_diff_ci_high"])) == pytest.approx(
        (ci.low, ci.high), rel=1e-6
    )
    paired = float(row["diff_ci_high"]) - float(row["diff_ci_low"])
    unpaired = float(row["unpaired_diff_ci_high"]) - float(row["unpaired_diff_ci_low"])
    assert float(row["paired_to_unpaired_width"]) == pytest.approx(paired / unpaired, rel=1e-6)


# --------------------------------------------------------------------------- decision.csv


def test_decision_table_has_the_changes_and_the_cost_per_job_of_every_scenario(compared) -> None:
    folder, _ = compared
    header, rows = read_csv(folder / "decision.csv")
    assert tuple(header) == DECISION_COLUMNS
    expected = [(s, q) for s in NAMES[1:] for q in (*DECISION, COST_EFFECTIVENESS)]
    assert [(r["scenario"], r["quantity"]) for r in rows] == expected
    assert {r["unit"] for r in rows if r["quantity"] == COST_EFFECTIVENESS} == {"yuan per job"}
    assert {"to_north_jobs", "to_outside_jobs", "relocated_jobs", "fiscal_cost_yuan"} == set(DECISION)


def test_decision_changes_are_the_paired_t_intervals_of_the_runs(compared) -> None:
    folder, _ = compared
    decision, comparison = _decision(folder), _rows(folder)
    t = stats.t.ppf(0.975, 3)
    for scenario in ("lever", "small"):
        for q in DECISION:
            d = _per_replication(folder, scenario, q, 4) - _per_replication(folder, "base", q, 4)
            row = decision[(scenario, q)]
            half = t * d.std(ddof=1) / 2
            assert float(row["value"]) == pytest.approx(d.mean(), rel=1e-9, abs=1e-6), (scenario, q)
            assert float(row["ci_low"]) == pytest.approx(d.mean() - half, rel=1e-9, abs=1e-6), (scenario, q)
            assert float(row["ci_high"]) == pytest.approx(d.mean() + half, rel=1e-9, abs=1e-6), (scenario, q)
            assert row["replications"] == "4"
            # the same paired difference as comparison.csv's
            same = comparison[(scenario, q)]
            assert [same[f] for f in DIFF_FIELDS] == [row[f] for f in ("value", "ci_low", "ci_high")]
    assert float(decision[("lever", "fiscal_cost_yuan")]["value"]) > 0


def test_cost_per_additional_north_job_is_the_ratio_of_mean_changes_with_fiellers_interval(compared) -> None:
    """Finite exactly when the change in north jobs is distinguishable from 0 (its paired interval excludes 0)."""
    folder, _ = compared
    decision = _decision(folder)
    seen = set()
    for scenario in ("lever", "small"):
        cost = _per_replication(folder, scenario, "fiscal_cost_yuan", 4) - _per_replication(
            folder, "base", "fiscal_cost_yuan", 4
        )
        north = _per_replication(folder, scenario, "to_north_jobs", 4) - _per_replication(
            folder, "base", "to_north_jobs", 4
        )
        row = decision[(scenario, COST_EFFECTIVENESS)]
        assert float(row["value"]) == pytest.approx(cost.mean() / north.mean(), rel=1e-9)
        north_row = decision[(scenario, "to_north_jobs")]
        distinguishable = float(north_row["ci_low"]) > 0 or float(north_row["ci_high"]) < 0
        low, high = fieller(cost, north)
        if distinguishable:
            assert (float(row["ci_low"]), float(row["ci_high"])) == pytest.approx((low, high), rel=1e-8)
            assert float(row["ci_low"]) < float(row["value"]) < float(row["ci_high"])
        else:
            assert (row["ci_low"], row["ci_high"]) == ("nan", "nan")
            assert math.isnan(low)
        seen.add(distinguishable)
    assert seen == {True, False}, "the fixture should hold one scenario of each kind (lever: yes, small: no)"


# --------------------------------------------------------------------------- bounds, folders, workers


def test_share_intervals_stay_inside_their_bounds(compared) -> None:
    folder, _ = compared
    assert assert_shares_bounded(folder) > 30


def test_share_intervals_stay_inside_their_bounds_with_two_extreme_replications() -> None:
    cases = [
        ([0.0, 1.0], [1.0, 0.0]),
        ([0.001, 0.999], [0.999, 0.001]),
        ([0.0, 0.02], [0.9, 1.0]),
        ([1.0, 1.0], [0.0, 0.0]),
    ]
    for share in SHARES:
        for x, base in cases:
            values = comparison_row("s", share, np.array(x), np.array(base), False)
            row = dict(zip(COMPARISON_COLUMNS, values, strict=True))
            for col in ("mean", "ci_low", "ci_high"):
                assert 0 <= row[col] <= 1, (share, x, col, row[col])
            for col in ("diff", "diff_ci_low", "diff_ci_high", "unpaired_diff_ci_low", "unpaired_diff_ci_high"):
                assert -1 <= row[col] <= 1, (share, x, base, col, row[col])
    # and summary.json of `run`, from the same Interval
    from experiments.run.experiment import summary_doc

    doc = summary_doc("s", {"north_share_jobs": [0.0, 1.0], "outside_share_jobs": [0.999, 1.0]})
    for name, entry in doc["metrics"].items():
        assert all(0 <= v <= 1 for v in entry["ci95"]), name
    # a plain t interval of the same two values would reach far outside: t(1) = 12.7
    assert Interval.of([0.0, 1.0]).low < -5 < 0 <= Interval.of([0.0, 1.0], (0.0, 1.0)).low


def test_result_folder_runs_and_manifest(compared) -> None:
    folder, _files = compared
    names = {p.name for p in folder.iterdir()}
    assert {*TABLES, "manifest.json", "runs", "scenarios"} <= names
    assert sorted(p.name for p in (folder / "runs").glob("*-r*.json")) == [
        f"{s}-r{r:04d}.json" for s in sorted(NAMES) for r in range(4)
    ]
    assert sorted(p.name for p in (folder / "scenarios").iterdir()) == sorted(f"{s}.resolved.yaml" for s in NAMES)
    manifest = read_json(folder / "manifest.json")
    assert manifest["command"] == "compare" and manifest["name"] == FOLDER
    assert manifest["seed"] == 99 and manifest["seed_source"] == "baseline scenario file"
    assert manifest["replications"] == 4 and manifest["runs"] == 16 and manifest["runs_executed"] == 16
    assert manifest["replication_seeds"] == replication_seeds(99, 4)
    assert [s["name"] for s in manifest["scenarios"]] == list(NAMES)
    assert manifest["scenarios"][2]["levers"] == ["relocation_aid"]
    assert {"python", "mesa", "numpy", "relocsim"} <= set(manifest["versions"])
    assert "git_commit" in manifest and manifest["ci_width"] is None
    assert hidden(folder) == [], "work files left behind"


def test_one_worker_and_two_workers_write_the_same_bytes(compared, tmp_path: Path, cli) -> None:
    folder, files = compared
    _ok(cli("compare", *files, "--out", tmp_path, "--workers", "2", "-q", "--no-plots"))
    for name in TABLES:
        assert (tmp_path / FOLDER / name).read_bytes() == (folder / name).read_bytes(), name
    assert read_json(tmp_path / FOLDER / "manifest.json")["workers"] == 2


def test_a_copied_folder_keeps_its_runs_reusable(compared, tmp_path: Path, cli) -> None:
    """--resume on a copied result folder executes nothing: every run is found and matches its task."""
    folder, files = compared
    shutil.copytree(folder, tmp_path / FOLDER)
    _ok(cli("compare", *files, "--out", tmp_path, "--resume", "-q", "--no-plots"))
    manifest = read_json(tmp_path / FOLDER / "manifest.json")
    assert manifest["runs_executed"] == 0 and manifest["runs_reused"] == 16
    for name in TABLES:
        assert (tmp_path / FOLDER / name).read_bytes() == (folder / name).read_bytes(), name


# --------------------------------------------------------------------------- pairing


def test_paired_ci_is_much_narrower_than_unpaired_for_a_small_lever(tmp_path: Path, cli) -> None:
    """business_environment at 2,000 firms: the north-share effect's paired CI vs the Welch CI.

    The width ratio is about √(1−ρ)·t(15)/t(≈30), ρ the correlation of the two
    scenarios' north shares across seeds: ρ ≈ 0.92–0.97 here gives 0.18–0.31.
    With 16 replications a sample ratio above 0.6 has probability < 0.5% at
    ρ = 0.92; without common random numbers (ρ = 0) the ratio would be ≈ 1.
    """
    args = ("--firms", "2000", "--replications", "16", "--seed", "20240607")
    files = (SCENARIOS / "baseline.yaml", SCENARIOS / "business_environment.yaml")
    result = _ok(cli("compare", *files, *args, "--out", tmp_path, "-q", "--no-plots"))
    assert result.out == ""
    folder = tmp_path / "compare-baseline-vs-business_environment-r16-f2000-s20240607"
    manifest = read_json(folder / "manifest.json")
    assert (manifest["firms"], manifest["replications"], manifest["seed"]) == (2000, 16, 20240607)
    row = _rows(folder)[("business_environment", "north_share_jobs")]
    paired = float(row["diff_ci_high"]) - float(row["diff_ci_low"])
    unpaired = float(row["unpaired_diff_ci_high"]) - float(row["unpaired_diff_ci_low"])
    ratio = paired / unpaired
    print(f"paired/unpaired CI width, north_share_jobs, business_environment, 2000 firms, R=16: {ratio:.3f}")
    assert float(row["paired_to_unpaired_width"]) == pytest.approx(ratio, rel=1e-6)
    assert ratio < 0.6
    # Both intervals are about the same mean difference, so the paired one lies inside the unpaired one.
    assert float(row["unpaired_diff_ci_low"]) < float(row["diff_ci_low"]) < float(row["diff"])
    assert float(row["diff"]) < float(row["diff_ci_high"]) < float(row["unpaired_diff_ci_high"])


# --------------------------------------------------------------------------- --ci-width


def test_ci_width_adds_replications_until_every_share_half_width_is_within_w(tmp_path: Path, cli) -> None:
    base, _copy, lever = _scenarios(tmp_path)
    width = 0.02
    out = tmp_path / "o"
    _ok(cli("compare", base, lever, "--ci-width", width, "--replications", "3", "--out", out, "-q", "--no-plots"))
    folder = out / "compare-base-vs-lever-r3-w0p02"
    manifest = read_json(folder / "manifest.json")
    stop, n = manifest["ci_width"], manifest["replications"]
    assert stop["met"] is True and stop["ci_width"] == width and n > 3
    sizes = [r["replications"] for r in stop["rounds"]]
    assert sizes[0] == 3 and sizes == sorted(set(sizes)) and sizes[-1] == n and len(sizes) >= 2
    # each run was executed once: later rounds reuse the earlier rounds' runs
    assert manifest["runs_executed"] == 2 * n == manifest["runs"]
    assert manifest["replication_seeds"] == replication_seeds(99, n)
    rows = _rows(folder)
    for share in SHARES:
        for name in ("base", "lever"):
            assert _half(rows[(name, share)], "ci_low", "ci_high") <= width
        assert _half(rows[("lever", share)], "diff_ci_low", "diff_ci_high") <= width
    assert stop["rounds"][-1]["widest_half_width"] <= width
    # the round before the last had not met the target (it is not stopping early)
    assert stop["rounds"][-2]["widest_half_width"] > width


def test_ci_width_reports_when_the_maximum_is_reached(tmp_path: Path, cli) -> None:
    base, _copy, lever = _scenarios(tmp_path)
    args = ("--ci-width", "0.0001", "--replications", "3", "--max-replications", "5", "--out", tmp_path / "o")
    _ok(cli("compare", base, lever, *args, "-q", "--no-plots"))
    manifest = read_json(tmp_path / "o" / "compare-base-vs-lever-r3-w0p0001-m5" / "manifest.json")
    assert manifest["replications"] == 5
    assert manifest["ci_width"]["met"] is False and manifest["ci_width"]["rounds"][-1]["replications"] == 5
    assert manifest["ci_width"]["rounds"][-1]["widest_half_width"] > 0.0001


# --------------------------------------------------------------------------- result folders, resume, seeds


def test_compare_a_b_then_a_c_keeps_both_results(tmp_path: Path, cli) -> None:
    base, copy, lever = _scenarios(tmp_path)
    out = tmp_path / "o"
    _ok(cli("compare", base, copy, "--replications", "2", "--out", out, "-q", "--no-plots"))
    first = (out / "compare-base-vs-copy-r2" / "comparison.csv").read_bytes()
    _ok(cli("compare", base, lever, "--replications", "2", "--out", out, "-q", "--no-plots"))
    assert sorted(p.name for p in out.iterdir()) == ["compare-base-vs-copy-r2", "compare-base-vs-lever-r2"]
    assert (out / "compare-base-vs-copy-r2" / "comparison.csv").read_bytes() == first
    assert read_json(out / "compare-base-vs-lever-r2" / "manifest.json")["scenarios"][1]["name"] == "lever"


def test_changed_inputs_into_the_same_name_exit_2_until_overwrite(tmp_path: Path, cli) -> None:
    base, _copy, lever = _scenarios(tmp_path)
    out, name = tmp_path / "o", ("--name", "mine")
    _ok(cli("compare", base, lever, "--replications", "3", "--out", out, *name, "-q", "--no-plots"))
    before = (out / "mine" / "comparison.csv").read_bytes()
    lever.write_text(LEVER_YAML.replace("80000", "90000"), encoding="utf-8")
    for extra in ((), ("--resume",)):
        res = cli("compare", base, lever, "--replications", "3", "--out", out, *name, *extra, "-q", "--no-plots")
        assert res.code == 2 and len(res.err_lines) == 1, res.err
        assert str(out / "mine") in res.err and "other inputs" in res.err
        assert "--name" in res.err and "--overwrite" in res.err
        assert (out / "mine" / "comparison.csv").read_bytes() == before, "a refused command changes nothing"
    _ok(cli("compare", base, lever, "--replications", "3", "--out", out, *name, "--overwrite", "-q", "--no-plots"))
    assert read_json(out / "mine" / "manifest.json")["runs_executed"] == 6
    _ok(cli("compare", base, lever, "--replications", "3", "--out", tmp_path / "fresh", "-q", "--no-plots"))
    after = (out / "mine" / "comparison.csv").read_bytes()
    assert after == (tmp_path / "fresh" / "compare-base-vs-lever-r3" / "comparison.csv").read_bytes() != before


def test_another_seed_is_other_inputs(tmp_path: Path, cli) -> None:
    base, _copy, lever = _scenarios(tmp_path)
    args = ("compare", base, lever, "--replications", "2", "--out", tmp_path / "o", "--name", "seeded", "-q")
    _ok(cli(*args, "--seed", "1", "--no-plots"))
    res = cli(*args, "--seed", "2", "--resume", "--no-plots")
    assert res.code == 2 and "other inputs" in res.err, res.err
    assert read_json(tmp_path / "o" / "seeded" / "manifest.json")["seed"] == 1


def test_same_inputs_rerun_replaces_and_resume_runs_only_what_is_missing(tmp_path: Path, cli) -> None:
    base, _copy, lever = _scenarios(tmp_path)
    args = ("compare", base, lever, "--replications", "3", "--out", tmp_path / "o", "-q", "--no-plots")
    folder = tmp_path / "o" / "compare-base-vs-lever-r3"
    _ok(cli(*args))
    before = (folder / "comparison.csv").read_bytes()
    _ok(cli(*args))
    assert read_json(folder / "manifest.json")["runs_executed"] == 6, "without --resume every run is made again"
    for task in ("lever-r0001", "base-r0002"):
        (folder / "runs" / f"{task}.json").unlink()  # as if the command had been killed before them
    _ok(cli(*args, "--resume"))
    manifest = read_json(folder / "manifest.json")
    assert (manifest["runs_executed"], manifest["runs_reused"]) == (2, 4)
    assert (folder / "comparison.csv").read_bytes() == before


def test_without_a_seed_one_is_drawn_recorded_and_reused_on_resume(tmp_path: Path, cli) -> None:
    base, _copy, lever = _scenarios(tmp_path)
    base.write_text(BASE_YAML.replace("seed: 99\n", ""), encoding="utf-8")
    args = ("compare", base, lever, "--replications", "2", "--out", tmp_path / "o", "--name", "drawn", "-q")
    _ok(cli(*args, "--no-plots"))
    folder = tmp_path / "o" / "drawn"
    manifest = read_json(folder / "manifest.json")
    assert manifest["seed_source"] == "drawn"
    assert manifest["replication_seeds"] == replication_seeds(manifest["seed"], 2)
    assert (folder / "scenarios" / "base.resolved.yaml").read_text(encoding="utf-8").count(f"seed: {manifest['seed']}")
    (folder / "runs" / "lever-r0001.json").unlink()
    _ok(cli(*args, "--resume", "--no-plots"))
    again = read_json(folder / "manifest.json")
    assert (again["seed"], again["seed_source"], again["runs_executed"]) == (manifest["seed"], "drawn", 1)


def test_failed_runs_exit_1_write_no_results_and_resume_finishes(
    tmp_path: Path, cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    base, _copy, lever = _scenarios(tmp_path)
    bad_seed = replication_seeds(99, 3)[1]
    fail_runs(monkeypatch, lambda sc, seed: sc.name == "lever" and seed == bad_seed)
    args = ("compare", base, lever, "--replications", "3", "--out", tmp_path / "o", "-q", "--no-plots")
    result = cli(*args)
    folder = tmp_path / "o" / "compare-base-vs-lever-r3"
    assert result.code == 1 and len(result.err_lines) == 1, result.err
    assert "1 of 6 runs failed" in result.err and "lever-r0001" in result.err and "boom" in result.err
    assert "--resume" in result.err and "Traceback" not in result.err
    assert not (folder / "comparison.csv").exists() and not (folder / "manifest.json").exists()
    assert (folder / "runs" / "lever-r0001.error.json").is_file()
    monkeypatch.undo()
    _ok(cli(*args, "--resume"))
    assert read_json(folder / "manifest.json")["runs_executed"] == 1
    assert not (folder / "runs" / "lever-r0001.error.json").exists()


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("edit", "extra", "expected"),
    [
        ("missing", (), ["missing.yaml", "not found"]),
        ("duplicate", (), ["name:", "'base' is also the name of"]),
        ("years", (), ["years:", "differs from the baseline's"]),
        ("firms", (), ["firms.count:", "differs from the baseline's", "--firms"]),
        (None, ("--ci-width", "-1"), ["--ci-width", "-1"]),
        (None, ("--ci-width", "2"), ["--ci-width", "out of range"]),
        (None, ("--replications", "0"), ["--replications", "out of range"]),
        (None, ("--name", "a/b"), ["--name", "'a/b'"]),
        (None, ("--ci-width", "0.1", "--replications", "9", "--max-replications", "5"), ["--replications", "R ≤ M"]),
        (None, ("--overwrite", "--resume"), ["--overwrite", "--resume"]),
        (None, ("--engine", "dask"), ["--scheduler"]),
    ],
)
def test_bad_input_exits_2_with_one_line_and_writes_nothing(
    tmp_path: Path, cli: Callable[..., CliResult], edit: str | None, extra: tuple[str, ...], expected: list[str]
) -> None:
    base, _copy, lever = _scenarios(tmp_path / "s")
    other = lever
    if edit == "missing":
        other = tmp_path / "s" / "missing.yaml"
    elif edit == "duplicate":
        other.write_text(LEVER_YAML.replace("name: lever", "name: base"), encoding="utf-8")
    elif edit == "years":
        other.write_text(LEVER_YAML + "years: {start: 2023, end: 2027}\n", encoding="utf-8")
    elif edit == "firms":
        other.write_text(LEVER_YAML + "firms: {count: 301}\n", encoding="utf-8")
    result = cli("compare", base, other, *extra, "--out", tmp_path / "o")
    assert result.code == 2
    assert len(result.err_lines) == 1 and result.err.startswith("relocsim: ")
    for text in expected:
        assert text in result.err
    assert not (tmp_path / "o").exists()


def test_bad_input_from_the_shell(tmp_path: Path) -> None:
    """As a user types it: exit 2, one line, no traceback."""
    proc = run_py(["compare", SCENARIOS / "baseline.yaml", tmp_path / "nope.yaml", "--out", tmp_path / "o"])
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "nope.yaml" in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "o").exists()


# --------------------------------------------------------------------------- statistics


@pytest.mark.parametrize("df", [1.0, 2.5, 7.3, 29.9, 120.0])
def test_t_quantile_for_real_df(df: float) -> None:
    assert t975(df) == pytest.approx(stats.t.ppf(0.975, df), rel=1e-9)


def test_welch_interval_matches_scipy_and_stays_inside_bounds_when_given() -> None:
    rng = np.random.default_rng(5)
    x, y = rng.normal(0.3, 1.0, 12), rng.normal(0.0, 2.5, 9)
    ci = stats.ttest_ind(x, y, equal_var=False).confidence_interval(0.95)
    assert welch(x, y) == pytest.approx((ci.low, ci.high), rel=2e-3)
    assert welch(np.full(3, 2.0), np.full(4, 1.0)) == (1.0, 1.0)
    low, high = welch(np.array([0.0, 1.0]), np.array([1.0, 0.0]), (-1.0, 1.0))
    assert -1 <= low < 0 < high <= 1


@pytest.mark.parametrize(("sd", "width"), [(0.12, 0.06), (0.02, 0.001), (1.0, 0.9)])
def test_replications_for_is_the_smallest_n_meeting_the_width(sd: float, width: float) -> None:
    n = replications_for(sd, width, cap=10_000)
    assert t_quantile_975(n - 1) * sd / math.sqrt(n) <= width
    assert n == 2 or t_quantile_975(n - 2) * sd / math.sqrt(n - 1) > width


def test_fieller_interval_is_finite_exactly_when_the_denominator_is_distinguishable_from_zero() -> None:
    rng = np.random.default_rng(11)
    for trial in range(200):
        n = int(rng.integers(2, 12))
        x = rng.normal(rng.uniform(-2, 2), 1.0, n)
        y = 3.0 * x + rng.normal(0.0, 1.0, n)
        iv = ratio_interval(y, x)
        assert iv.mean == pytest.approx(y.mean() / x.mean()) and iv.n == n
        t_iv = Interval.of(x)
        low, high = fieller(y, x)
        if t_iv.excludes_zero():
            assert (iv.low, iv.high) == pytest.approx((low, high), rel=1e-7), trial
            assert iv.low <= iv.mean <= iv.high
        else:
            assert math.isnan(iv.low) and math.isnan(iv.high) and math.isnan(low), trial
    assert math.isnan(ratio_interval([1.0, 2.0], [0.0, 0.0]).mean)
    assert ratio_interval([], []).n == 0
