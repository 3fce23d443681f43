"""`compare`: common random numbers, paired vs unpaired CIs, --ci-width rounds, files and bad input."""

from __future__ import annotations

import math
import shutil
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from experiments.compare import CSV_COLUMNS, METRICS
from experiments.runner import replication_seeds
from experiments.stats import replications_for, t975, t_quantile_975, welch
from tests.conftest import SCENARIOS, CliResult, read_csv, read_json, run_py

BASE_YAML = """\
name: base
seed: 99
replications: 4
years: {start: 2023, end: 2026}
firms: {count: 300}
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
  relocation_aid: {start_year: 2024, yuan_per_job: 30000, annual_budget_yuan: 3.0e8}
"""
DIFF_FIELDS = ("diff", "diff_ci_low", "diff_ci_high")
SHARES = ("north_share_jobs", "outside_share_jobs")
DETERMINISTIC = ("comparison.csv", "comparison.md", "timeseries.csv", "plots/forest.png", "plots/timeseries.png")


def _ok(result: CliResult) -> CliResult:
    assert result.code == 0, result.err
    return result


def _scenarios(folder: Path) -> tuple[Path, Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in (("base.yaml", BASE_YAML), ("copy.yaml", COPY_YAML), ("lever.yaml", LEVER_YAML)):
        (folder / name).write_text(text, encoding="utf-8")
    return folder / "base.yaml", folder / "copy.yaml", folder / "lever.yaml"


def _rows(folder: Path) -> dict[tuple[str, str], dict[str, str]]:
    return {(r["scenario"], r["metric"]): r for r in read_csv(folder / "comparison.csv")[1]}


def _half(row: dict[str, str], low: str, high: str) -> float:
    return (float(row[high]) - float(row[low])) / 2


@pytest.fixture
def no_plots(monkeypatch: pytest.MonkeyPatch) -> None:
    """Skip drawing for tests about numbers and stopping (the figures are checked on `compared`)."""
    from experiments import compare_report

    monkeypatch.setattr(compare_report, "plot_forest", lambda c, path: path)
    monkeypatch.setattr(compare_report, "plot_timeseries", lambda c, path: path)


@pytest.fixture(scope="module")
def compared(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, tuple[Path, Path, Path]]:
    """base vs copy (the same scenario renamed) vs lever, 4 replications, one worker, with figures."""
    from experiments.cli import main

    root = tmp_path_factory.mktemp("compare")
    files = _scenarios(root)
    code = main(["compare", *map(str, files), "--out", str(root / "out"), "-q"])
    assert code == 0
    return root / "out" / "compare_base", files


# --------------------------------------------------------------------------- the tables


def test_csv_has_the_contract_columns_and_a_row_per_scenario_and_metric(compared) -> None:
    folder, _ = compared
    header, rows = read_csv(folder / "comparison.csv")
    assert tuple(header[:8]) == (
        "scenario",
        "metric",
        "mean",
        "ci_low",
        "ci_high",
        "diff",
        "diff_ci_low",
        "diff_ci_high",
    )
    assert tuple(header) == CSV_COLUMNS
    expected = [(s, m.key) for s in ("base", "copy", "lever") for m in METRICS]
    assert [(r["scenario"], r["metric"]) for r in rows] == expected


def test_baseline_against_itself_every_difference_is_exactly_zero(compared) -> None:
    """Same seeds and same scenario under another name ⇒ identical runs ⇒ the CSV says 0, not 1e-17."""
    folder, _ = compared
    rows = _rows(folder)
    for metric in METRICS:
        base, copy = rows[("base", metric.key)], rows[("copy", metric.key)]
        if metric.key == "cost_per_additional_north_job_yuan":
            # 0 extra yuan ÷ 0 additional jobs: undefined in every replication, said so rather than 0
            assert [copy[f] for f in ("mean", *DIFF_FIELDS)] == ["nan"] * 4
            continue
        assert [copy[f] for f in DIFF_FIELDS] == ["0", "0", "0"], metric.key
        assert [base[f] for f in DIFF_FIELDS] == ["0", "0", "0"], metric.key
        assert [copy[f] for f in ("mean", "ci_low", "ci_high")] == [base[f] for f in ("mean", "ci_low", "ci_high")]
    assert rows[("copy", "additional_north_jobs")]["mean"] == "0"
    # Unpaired, the same runs look uncertain: the CI of a zero difference is not zero wide.
    share = rows[("copy", "north_share_jobs")]
    assert float(share["unpaired_diff_ci_low"]) < 0 < float(share["unpaired_diff_ci_high"])
    assert share["paired_to_unpaired_width"] == "0"


def test_common_random_numbers_give_identical_yearly_rows(compared) -> None:
    folder, _ = compared
    _, rows = read_csv(folder / "timeseries.csv")
    by = defaultdict(list)
    for r in rows:
        by[r.pop("scenario")].append(r)
    assert by["copy"] == by["base"]
    assert by["lever"] != by["base"]
    assert len(by["base"]) == 4 * 4  # replications × years


def test_paired_differences_agree_with_the_yearly_table(compared) -> None:
    """The lever's diffs are per-replication differences of the same seeds; recompute them from timeseries.csv."""
    folder, _ = compared
    _, ts = read_csv(folder / "timeseries.csv")
    north: dict[str, np.ndarray] = {}
    fiscal: dict[str, np.ndarray] = {}
    for name in ("base", "lever"):
        n = np.zeros(4)
        f = np.zeros(4)
        for r in ts:
            if r["scenario"] == name:
                n[int(r["replication"])] += float(r["to_north_jobs"])
                f[int(r["replication"])] += float(r["fiscal_cost_yuan"])
        north[name], fiscal[name] = n, f
    rows = _rows(folder)
    extra = north["lever"] - north["base"]
    d = rows[("lever", "additional_north_jobs")]
    assert float(d["mean"]) == pytest.approx(extra.mean())
    half = t_quantile_975(3) * extra.std(ddof=1) / 2
    assert float(d["diff_ci_high"]) - float(d["diff_ci_low"]) == pytest.approx(2 * half)
    extra_yuan = fiscal["lever"] - fiscal["base"]
    assert float(rows[("lever", "fiscal_cost_yuan")]["diff"]) == pytest.approx(extra_yuan.mean())
    defined = extra != 0  # no additional job: cost per additional job undefined in that replication
    per_job = rows[("lever", "cost_per_additional_north_job_yuan")]
    assert int(per_job["replications"]) == defined.sum() >= 2
    assert float(per_job["mean"]) == pytest.approx((extra_yuan[defined] / extra[defined]).mean())
    for metric in METRICS:
        r = rows[("lever", metric.key)]
        if r["diff"] != "nan":
            assert float(r["diff_ci_low"]) <= float(r["diff"]) <= float(r["diff_ci_high"])


# --------------------------------------------------------------------------- files


def test_folder_report_plots_and_manifest(compared) -> None:
    folder, _files = compared
    names = {p.name for p in folder.iterdir()}
    assert {"comparison.csv", "comparison.md", "timeseries.csv", "manifest.json", "plots", "runs", "scenarios"} <= names
    assert sorted(p.name for p in (folder / "runs").iterdir()) == [
        f"{s}-r{r:04d}.json" for s in ("base", "copy", "lever") for r in range(4)
    ]
    for png in ("forest.png", "timeseries.png"):
        assert (folder / "plots" / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    manifest = read_json(folder / "manifest.json")
    assert manifest["seed"] == 99 and manifest["seed_source"] == "baseline scenario file"
    assert manifest["replications"] == 4
    assert manifest["replication_seeds"] == replication_seeds(99, 4)
    assert [s["name"] for s in manifest["scenarios"]] == ["base", "copy", "lever"]
    assert {"python", "mesa", "numpy", "relocsim"} <= set(manifest["versions"])
    assert "git_commit" in manifest and manifest["ci_width"] is None
    report = (folder / "comparison.md").read_text(encoding="utf-8")
    for text in ("**4 replications**", "Master seed: 99", "](plots/forest.png)", "](plots/timeseries.png)"):
        assert text in report
    assert "## What pairing gained" in report and "`lever`: " in report


def test_one_worker_and_two_workers_write_the_same_bytes(compared, tmp_path: Path, cli) -> None:
    folder, files = compared
    _ok(cli("compare", *files, "--out", tmp_path, "--workers", "2", "-q"))
    for name in DETERMINISTIC:
        assert (tmp_path / "compare_base" / name).read_bytes() == (folder / name).read_bytes(), name


# --------------------------------------------------------------------------- pairing


def test_paired_ci_is_much_narrower_than_unpaired_for_a_small_lever(tmp_path: Path, cli, no_plots) -> None:
    """business_environment at 2,000 firms: the north-share effect's paired CI vs the Welch CI.

    The width ratio is about √(1−ρ)·t(15)/t(≈30), ρ the correlation of the two
    scenarios' north shares across seeds: ρ ≈ 0.92–0.97 here gives 0.18–0.31.
    With 16 replications a sample ratio above 0.6 has probability < 0.5% at
    ρ = 0.92; without common random numbers (ρ = 0) the ratio would be ≈ 1.
    """
    result = _ok(
        cli(
            "compare",
            SCENARIOS / "baseline.yaml",
            SCENARIOS / "business_environment.yaml",
            "--firms",
            "2000",
            "--replications",
            "16",
            "--seed",
            "20240607",
            "--out",
            tmp_path,
            "-q",
        )
    )
    assert result.out == ""
    row = _rows(tmp_path / "compare_baseline")[("business_environment", "north_share_jobs")]
    paired = float(row["diff_ci_high"]) - float(row["diff_ci_low"])
    unpaired = float(row["unpaired_diff_ci_high"]) - float(row["unpaired_diff_ci_low"])
    ratio = paired / unpaired
    print(f"paired/unpaired CI width, north_share_jobs, business_environment, 2000 firms, R=16: {ratio:.3f}")
    assert float(row["paired_to_unpaired_width"]) == pytest.approx(ratio)
    assert ratio < 0.6
    # Both intervals are centred on the same mean difference, so the paired one lies inside the unpaired one.
    centre = (float(row["unpaired_diff_ci_high"]) + float(row["unpaired_diff_ci_low"])) / 2
    assert centre == pytest.approx(float(row["diff"]))
    assert float(row["unpaired_diff_ci_low"]) < float(row["diff_ci_low"]) < float(row["diff_ci_high"])
    assert float(row["diff_ci_high"]) < float(row["unpaired_diff_ci_high"])


# --------------------------------------------------------------------------- --ci-width


def test_ci_width_adds_replications_until_every_share_half_width_is_within_w(tmp_path: Path, cli, no_plots) -> None:
    base, _copy, lever = _scenarios(tmp_path)
    width = 0.06
    result = _ok(cli("compare", base, lever, "--ci-width", width, "--replications", "3", "--out", tmp_path / "o"))
    folder = tmp_path / "o" / "compare_base"
    manifest = read_json(folder / "manifest.json")
    stop = manifest["ci_width"]
    n = manifest["replications"]
    assert stop["met"] is True and stop["replications_needed"] == n > 3
    assert f"{n} replications needed" in result.out
    assert f"**{n} replications were enough**" in (folder / "comparison.md").read_text(encoding="utf-8")
    sizes = [r["replications"] for r in stop["rounds"]]
    assert sizes[0] == 3 and sizes == sorted(sizes) and sizes[-1] == n and len(sizes) >= 2
    # each run was executed once: later rounds reuse the earlier rounds' runs
    assert sum(r["runs_executed"] for r in stop["rounds"]) == 2 * n
    assert manifest["replication_seeds"] == replication_seeds(99, n)
    rows = _rows(folder)
    for metric in SHARES:
        for name in ("base", "lever"):
            assert _half(rows[(name, metric)], "ci_low", "ci_high") <= width
        assert _half(rows[("lever", metric)], "diff_ci_low", "diff_ci_high") <= width
    # the round before the last had not met the target (it is not stopping early)
    assert stop["rounds"][-2]["widest_half_width"] > width


def test_ci_width_reports_when_the_maximum_is_reached(tmp_path: Path, cli, no_plots) -> None:
    base, _copy, lever = _scenarios(tmp_path)
    args = ("--ci-width", "0.0001", "--replications", "3", "--max-replications", "5", "--out", tmp_path / "o")
    result = _ok(cli("compare", base, lever, *args))
    manifest = read_json(tmp_path / "o" / "compare_base" / "manifest.json")
    assert manifest["replications"] == 5
    assert manifest["ci_width"]["met"] is False and manifest["ci_width"]["replications_needed"] is None
    assert "maximum of 5 replications reached" in result.out
    report = (tmp_path / "o" / "compare_base" / "comparison.md").read_text(encoding="utf-8")
    assert "The maximum of 5 replications was reached before the target" in report


# --------------------------------------------------------------------------- resume and seeds


def test_resume_reruns_only_the_scenario_that_changed(tmp_path: Path, cli, no_plots) -> None:
    base, _copy, lever = _scenarios(tmp_path)
    out = tmp_path / "o"
    _ok(cli("compare", base, lever, "--replications", "3", "--out", out, "-q"))
    before = (out / "compare_base" / "comparison.csv").read_bytes()
    lever.write_text(LEVER_YAML.replace("3.0e8", "6.0e8"), encoding="utf-8")
    _ok(cli("compare", base, lever, "--replications", "3", "--out", out, "--resume", "-q"))
    manifest = read_json(out / "compare_base" / "manifest.json")
    assert manifest["ci_width"] is None
    assert manifest["runs_executed"] == 3  # the lever's runs only: the baseline's were kept
    fresh = tmp_path / "fresh"
    _ok(cli("compare", base, lever, "--replications", "3", "--out", fresh, "-q"))
    after = (out / "compare_base" / "comparison.csv").read_bytes()
    assert after == (fresh / "compare_base" / "comparison.csv").read_bytes() != before


def test_without_a_seed_one_is_drawn_and_recorded(tmp_path: Path, cli, no_plots) -> None:
    base, _copy, lever = _scenarios(tmp_path)
    base.write_text(BASE_YAML.replace("seed: 99\n", ""), encoding="utf-8")
    _ok(cli("compare", base, lever, "--replications", "2", "--out", tmp_path / "o", "--name", "drawn", "-q"))
    manifest = read_json(tmp_path / "o" / "drawn" / "manifest.json")
    assert manifest["seed_source"].startswith("drawn")
    assert manifest["replication_seeds"] == replication_seeds(manifest["seed"], 2)


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("edit", "extra", "expected"),
    [
        ("missing", (), ["missing.yaml", "cannot read file"]),
        ("duplicate", (), ["name", "'base' is also the name of"]),
        ("years", (), ["years", "differs from the baseline's"]),
        (None, ("--ci-width", "-1"), ["ci-width", "-1"]),
        (None, ("--ci-width", "2"), ["--ci-width", "(0, 1]"]),
        (None, ("--replications", "0"), ["replications", "out of range"]),
        (None, ("--name", "a/b"), ["--name", "'a/b'"]),
        (None, ("--ci-width", "0.1", "--replications", "9", "--max-replications", "5"), ["--replications", "R <= M"]),
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


def test_welch_interval_matches_scipy() -> None:
    rng = np.random.default_rng(5)
    x, y = rng.normal(0.3, 1.0, 12), rng.normal(0.0, 2.5, 9)
    ci = stats.ttest_ind(x, y, equal_var=False).confidence_interval(0.95)
    assert welch(x, y) == pytest.approx((ci.low, ci.high), rel=2e-3)
    assert welch(np.full(3, 2.0), np.full(4, 1.0)) == (1.0, 1.0)


@pytest.mark.parametrize(("sd", "width"), [(0.12, 0.06), (0.02, 0.001), (1.0, 0.9)])
def test_replications_for_is_the_smallest_n_meeting_the_width(sd: float, width: float) -> None:
    n = replications_for(sd, width, cap=10_000)
    assert t_quantile_975(n - 1) * sd / math.sqrt(n) <= width
    assert n == 2 or t_quantile_975(n - 2) * sd / math.sqrt(n - 1) > width


def test_no_stale_tmp_folders_are_left(compared) -> None:
    folder, _ = compared
    assert [p.name for p in folder.parent.iterdir()] == ["compare_base"]


def test_copy_of_folder_keeps_runs_reusable(compared, tmp_path: Path, cli, no_plots) -> None:
    """--resume on a copied result folder executes nothing: every run is found and matches its seed and scenario."""
    folder, files = compared
    shutil.copytree(folder, tmp_path / "compare_base")
    _ok(cli("compare", *files, "--out", tmp_path, "--resume", "-q"))
    manifest = read_json(tmp_path / "compare_base" / "manifest.json")
    assert manifest["replications"] == 4 and manifest["runs_executed"] == 0
    assert (tmp_path / "compare_base" / "comparison.csv").read_bytes() == (folder / "comparison.csv").read_bytes()


def test_a_fresh_run_forgets_the_runs_of_earlier_invocations(tmp_path: Path, cli, no_plots) -> None:
    """Without --resume no earlier run can leak into later --ci-width rounds (it may come from another model)."""
    base, _copy, lever = _scenarios(tmp_path)
    _ok(cli("compare", base, lever, "--replications", "4", "--out", tmp_path / "o", "-q"))
    _ok(cli("compare", base, lever, "--replications", "2", "--out", tmp_path / "o", "-q"))
    runs = sorted(p.name for p in (tmp_path / "o" / "compare_base" / "runs").iterdir())
    assert runs == ["base-r0000.json", "base-r0001.json", "lever-r0000.json", "lever-r0001.json"]


def test_failed_runs_exit_1_write_no_comparison_and_resume_finishes(
    tmp_path: Path, cli, no_plots, monkeypatch: pytest.MonkeyPatch
) -> None:
    import experiments.engine as engine

    base, _copy, lever = _scenarios(tmp_path)
    real = engine.simulate
    bad_seed = replication_seeds(99, 3)[1]

    def flaky(scenario, seed, world):
        if scenario.name == "lever" and seed == bad_seed:
            raise ValueError("boom")
        return real(scenario, seed, world)

    monkeypatch.setattr(engine, "simulate", flaky)
    result = cli("compare", base, lever, "--replications", "3", "--out", tmp_path / "o", "-q")
    folder = tmp_path / "o" / "compare_base"
    assert result.code == 1
    assert "1 of 6 runs failed" in result.err and "lever-r0001" in result.err and "boom" in result.err
    assert not (folder / "comparison.csv").exists()
    assert (folder / "runs" / "lever-r0001.error.json").is_file()
    monkeypatch.setattr(engine, "simulate", real)
    _ok(cli("compare", base, lever, "--replications", "3", "--out", tmp_path / "o", "--resume", "-q"))
    assert read_json(folder / "manifest.json")["runs_executed"] == 1
    assert not (folder / "runs" / "lever-r0001.error.json").exists()
