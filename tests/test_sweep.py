"""`sweep`: designs, the tidy table, differences against the base, failures, engines and worker counts,
kill and resume, result folders, overrides, bad files, and experiments/reference.yaml.

Every sweep here runs a small base scenario (a few hundred firms, a short
horizon), except the kill test, which needs runs long enough to be caught
mid-way.
"""

from __future__ import annotations

import math
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from cli import main
from experiments.analysis.stats import Interval
from experiments.design.experiment_file import Design, ExperimentFile, Factor, LoadedExperiment, load_experiment
from experiments.sweep.experiment import POINT_TAIL, write_points
from model import simulate
from model.outcomes import HORIZON, metric
from model.scenario import load_scenario
from model.seeds import replication_seeds
from tests.conftest import HANG_GUARD_S, ROOT, CliResult, read_csv, read_json
from tests.tables import assert_shares_bounded, fail_runs, hidden, run_record
from tests.test_reference import schema_paths, yaml_paths

BASE_YAML = """\
name: sweep_base
seed: 99
replications: 1
years: {start: 2023, end: 2025}
firms: {count: 300}
policies:
  talent: {annual_budget_yuan: 1.0e9}
"""
TALENT_BUDGET = "policies.talent.annual_budget_yuan"
TALENT_COEF = "behaviour.choice.talent"  # default 1.0: point (1e9, 1.0) of the grid below is the base scenario
OUTCOMES = ["north_share_jobs", "relocated_jobs", "fiscal_cost_yuan"]
REFERENCE = ROOT / "experiments" / "reference.yaml"
YEARS = 3


def experiment_yaml(**fields: Any) -> str:
    """An experiment on the small base: defaults below, overridden by `fields` (None removes a key)."""
    doc: dict[str, Any] = {
        "name": "sw",
        "base": "base.yaml",
        "seed": 5,
        "replications": 2,
        "factors": {TALENT_BUDGET: {"values": [0, 1.0e9]}, TALENT_COEF: {"range": [0.5, 1.5], "levels": 3}},
        "outcomes": OUTCOMES,
    }
    doc.update(fields)
    return yaml.safe_dump({k: v for k, v in doc.items() if v is not None}, sort_keys=False)


@pytest.fixture
def base(write: Callable[[str, str], Path]) -> Path:
    return write("base.yaml", BASE_YAML)


def sweep(*args: str | Path) -> int:
    """`python run.py sweep ...` in-process, without figures (no capture: for fixtures shared between tests)."""
    return main(["sweep", *map(str, args), "-q", "--no-plots"])


def rows_of(folder: Path) -> tuple[list[str], list[dict[str, str]]]:
    return read_csv(folder / "results.csv")


def _loaded(experiment: ExperimentFile) -> LoadedExperiment:
    return LoadedExperiment(experiment, Path("x.yaml"), Path("base.yaml"), {})


# --------------------------------------------------------------------------- designs


def test_grid_is_every_combination_once_with_range_endpoints() -> None:
    exp = ExperimentFile(
        name="g",
        base="x.yaml",
        factors={"a": Factor(values=(1, 2, 3)), "b": Factor(range=(0.0, 1.0), levels=4), "c": Factor(range=(0, 8))},
    )
    loaded = _loaded(exp)
    points = loaded.grid_points()
    assert len(points) == 3 * 4 * 5 == loaded.n_points()  # a range without levels gives 5 values
    combos = {(p["a"], p["b"], p["c"]) for p in points}
    assert len(combos) == len(points)
    assert sorted({p["b"] for p in points}) == pytest.approx([0.0, 1 / 3, 2 / 3, 1.0])
    assert {p["c"] for p in points} == {0.0, 2.0, 4.0, 6.0, 8.0}


@pytest.mark.parametrize("n", [1, 7, 50])
def test_lhs_puts_one_point_in_each_stratum_of_every_factor(n: int) -> None:
    ranges = {"a": (0.0, 1.0), "b": (-5.0, 20.0), "c": (1e6, 4e9)}
    exp = ExperimentFile(
        name="l",
        base="x.yaml",
        design=Design(method="lhs", samples=n),
        factors={k: Factor(range=r) for k, r in ranges.items()},
    )
    loaded = _loaded(exp)
    points = loaded.lhs_points(seed=123)
    assert len(points) == n == loaded.n_points()
    for name, (lo, hi) in ranges.items():
        strata = sorted(math.floor((p[name] - lo) / (hi - lo) * n) for p in points)
        assert strata == list(range(n)), name
    assert loaded.lhs_points(seed=123) == points
    if n > 1:
        assert loaded.lhs_points(seed=124) != points


# --------------------------------------------------------------------------- the tables


@pytest.fixture(scope="module")
def grid_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 2 × 3 grid with 2 replications: 12 runs and 2 of the base (shared: tests must not change it)."""
    folder = tmp_path_factory.mktemp("grid")
    (folder / "base.yaml").write_text(BASE_YAML, encoding="utf-8")
    (folder / "sw.yaml").write_text(experiment_yaml(), encoding="utf-8")
    assert sweep(folder / "sw.yaml", "--out", folder / "out") == 0
    return folder / "out" / "sweep-sw"


def test_results_table_has_a_row_per_point_and_replication_with_the_contract_columns(grid_run: Path) -> None:
    columns, rows = rows_of(grid_run)
    assert columns == ["point", "replication", "seed", TALENT_BUDGET, TALENT_COEF, *OUTCOMES, "error"]
    assert [(int(r["point"]), int(r["replication"])) for r in rows] == [(p, r) for p in range(6) for r in range(2)]
    manifest = read_json(grid_run / "manifest.json")
    for row in rows:
        point = manifest["points_values"][int(row["point"])]
        assert float(row[TALENT_BUDGET]) == point[TALENT_BUDGET]
        assert float(row[TALENT_COEF]) == pytest.approx(point[TALENT_COEF])
        # common random numbers: replication r has the same seed at every point, the one in the manifest
        assert int(row["seed"]) == manifest["replication_seeds"][int(row["replication"])]
        assert row["error"] == ""
        assert all(math.isfinite(float(row[o])) for o in OUTCOMES)
        # the factor reaches the model: the talent budget is spent every year
        assert float(row["fiscal_cost_yuan"]) == pytest.approx(YEARS * float(row[TALENT_BUDGET]), rel=1e-12)


def test_parquet_holds_the_same_table_with_typed_columns(grid_run: Path) -> None:
    pq = pytest.importorskip("pyarrow.parquet")
    table = pq.read_table(grid_run / "results.parquet")
    columns, rows = rows_of(grid_run)
    assert table.column_names == columns
    assert str(table.schema.field("seed").type) == "uint64"
    assert str(table.schema.field(TALENT_COEF).type) == "double"
    data = table.to_pylist()
    assert len(data) == len(rows)
    for got, want in zip(data, rows, strict=True):
        assert got["seed"] == int(want["seed"])
        assert got["error"] is None
        for name in OUTCOMES:
            assert got[name] == pytest.approx(float(want[name]), rel=1e-9)


def _points(folder: Path) -> list[dict[str, str]]:
    columns, points = read_csv(folder / "points.csv")
    assert columns == ["point", TALENT_BUDGET, TALENT_COEF, *POINT_TAIL]
    return points


def test_points_table_is_the_mean_and_ci_of_each_point(grid_run: Path) -> None:
    points = _points(grid_run)
    assert len(points) == 6 * len(OUTCOMES)
    _, rows = rows_of(grid_run)
    for p in points:
        values = [float(r[p["outcome"]]) for r in rows if r["point"] == p["point"]]
        iv = Interval.of(values, metric(p["outcome"]).bounds)
        assert float(p["mean"]) == pytest.approx(iv.mean, rel=1e-9)
        assert (float(p["ci_low"]), float(p["ci_high"])) == pytest.approx((iv.low, iv.high), rel=1e-9, abs=1e-12)
        assert float(p["ci_low"]) <= float(p["mean"]) <= float(p["ci_high"])
        assert (p["runs"], p["failed"], p["unit"]) == ("2", "0", metric(p["outcome"]).unit)


def test_points_are_paired_differences_against_the_base_and_within_noise_iff_the_interval_has_0(grid_run: Path) -> None:
    points = _points(grid_run)
    _, rows = rows_of(grid_run)
    base = {o: [run_record(grid_run, f"base-r{r:04d}")["metrics"][o] for r in range(2)] for o in OUTCOMES}
    noise = set()
    for p in points:
        o = p["outcome"]
        d = [float(r[o]) - b for r, b in zip((r for r in rows if r["point"] == p["point"]), base[o], strict=True)]
        iv = Interval.of(d, metric(o).change_bounds())
        assert float(p["diff"]) == pytest.approx(iv.mean, rel=1e-9, abs=1e-12)
        assert (float(p["diff_ci_low"]), float(p["diff_ci_high"])) == pytest.approx(
            (iv.low, iv.high), rel=1e-9, abs=1e-9
        )
        inside = float(p["diff_ci_low"]) <= 0 <= float(p["diff_ci_high"])
        assert p["within_noise"] == ("true" if inside else "false"), p
        noise.add(p["within_noise"])
    assert noise == {"true", "false"}
    # the point with the base's own values differs by exactly 0, in every outcome
    at_base = [p for p in points if float(p[TALENT_BUDGET]) == 1e9 and float(p[TALENT_COEF]) == 1.0]
    assert len(at_base) == len(OUTCOMES)
    for p in at_base:
        assert (p["diff"], p["diff_ci_low"], p["diff_ci_high"], p["within_noise"]) == ("0", "0", "0", "true")
    # no budget: the fiscal cost is surely lower than the base's, by the base's budget
    for p in points:
        if p["outcome"] == "fiscal_cost_yuan" and p[TALENT_BUDGET] == "0":
            assert float(p["diff"]) == -YEARS * 1e9 and p["within_noise"] == "false"


def test_base_table_is_the_base_scenario_on_the_same_seeds(grid_run: Path) -> None:
    columns, rows = read_csv(grid_run / "base.csv")
    assert columns == ["outcome", "unit", "runs", "mean", "ci_low", "ci_high"]
    assert [r["outcome"] for r in rows] == OUTCOMES
    manifest = read_json(grid_run / "manifest.json")
    for row in rows:
        values = [run_record(grid_run, f"base-r{r:04d}")["metrics"][row["outcome"]] for r in range(2)]
        assert float(row["mean"]) == pytest.approx(np.mean(values), rel=1e-9) and row["runs"] == "2"
    assert [run_record(grid_run, f"base-r{r:04d}")["seed"] for r in range(2)] == manifest["replication_seeds"]
    # the base is the point with the base's values
    at_base = {p["outcome"]: p["mean"] for p in _points(grid_run) if p["point"] == "4"}
    assert at_base == {r["outcome"]: r["mean"] for r in rows}


def test_factor_labels_and_share_bounds(grid_run: Path) -> None:
    columns, rows = read_csv(grid_run / "factors.csv")
    assert columns == ["key", "label", "unit", "values", "integer"]
    assert [r["key"] for r in rows] == [TALENT_BUDGET, TALENT_COEF]
    assert all(r["label"] and "." not in r["label"] for r in rows), "labels are words, not key paths"
    assert rows[0]["unit"].startswith("yuan")
    assert assert_shares_bounded(grid_run) > 0


def test_points_keep_shares_and_share_differences_inside_their_bounds_at_extremes(tmp_path: Path) -> None:
    """2 replications of shares at 0 and 1 (t = 12.7): the intervals still stay inside [0, 1] and [-1, 1]."""
    at = np.array([[[0.0], [1.0]], [[0.001], [0.999]], [[1.0], [1.0]], [[0.0], [0.05]]])
    base = np.array([[1.0], [0.0]])
    write_points(tmp_path / "points.csv", [{"x": i} for i in range(4)], ["x"], ["north_share_jobs"], at, base)
    assert assert_shares_bounded(tmp_path) == 4 * 6


def test_manifest_and_no_work_files(grid_run: Path) -> None:
    manifest = read_json(grid_run / "manifest.json")
    assert manifest["command"] == "sweep" and manifest["name"] == "sweep-sw"
    assert manifest["seed"] == 5 and manifest["seed_source"] == "experiment file"
    assert manifest["design"] == {"method": "grid", "seed": None}
    assert manifest["points"] == 6 and manifest["runs"] == 14 and manifest["failed_runs"] == 0
    assert manifest["engine"] == "local" and manifest["workers"] == 1
    assert (manifest["firms"], manifest["years"], manifest["replications"]) == (300, [2023, 2025], 2)
    assert {"python", "mesa", "numpy", "relocsim"} <= set(manifest["versions"])
    assert hidden(grid_run) == [], "temporary files left behind"


# --------------------------------------------------------------------------- result folders and overrides


def test_rerun_replaces_changed_inputs_need_overwrite(
    tmp_path: Path, base: Path, write: Callable[[str, str], Path], cli: Callable[..., CliResult]
) -> None:
    exp = write("sw.yaml", experiment_yaml(factors={TALENT_COEF: {"values": [1.0]}}, replications=1))
    assert sweep(exp, "--out", tmp_path) == 0
    assert sweep(exp, "--out", tmp_path) == 0, "the same inputs again: replaced"
    assert read_json(tmp_path / "sweep-sw/manifest.json")["runs_executed"] == 2
    exp = write("sw.yaml", experiment_yaml(factors={TALENT_COEF: {"values": [0.0, 2.0]}}, outcomes=["relocated_jobs"]))
    res = cli("sweep", exp, "--out", tmp_path, "-q", "--no-plots")
    assert res.code == 2 and len(res.err_lines) == 1
    assert str(tmp_path / "sweep-sw") in res.err and "other inputs" in res.err and "--overwrite" in res.err
    assert sweep(exp, "--out", tmp_path, "--overwrite") == 0
    columns, rows = rows_of(tmp_path / "sweep-sw")
    assert columns == ["point", "replication", "seed", TALENT_COEF, "relocated_jobs", "error"]
    assert len(rows) == 4


def test_firms_replications_and_seed_on_the_command_line_reach_the_runs(
    tmp_path: Path, base: Path, write: Callable[[str, str], Path]
) -> None:
    exp = write("sw.yaml", experiment_yaml(factors={TALENT_COEF: {"values": [1.5]}}))
    assert sweep(exp, "--out", tmp_path, "--firms", "150", "--replications", "3", "--seed", "11") == 0
    folder = tmp_path / "sweep-sw-r3-f150-s11"
    manifest = read_json(folder / "manifest.json")
    assert (manifest["firms"], manifest["replications"], manifest["seed"]) == (150, 3, 11)
    assert manifest["seed_source"] == "--seed"
    _, rows = rows_of(folder)
    assert [int(r["seed"]) for r in rows] == replication_seeds(11, 3)
    scenario = load_scenario(base, {"firms.count": 150, TALENT_COEF: 1.5})
    for r, seed in enumerate(replication_seeds(11, 3)):
        expected = simulate(scenario, seed).metrics
        assert run_record(folder, f"p00000-r{r:04d}")["metrics"] == pytest.approx(expected, nan_ok=True)
        assert float(rows[r]["relocated_jobs"]) == pytest.approx(expected["relocated_jobs"])


# --------------------------------------------------------------------------- failing runs


def test_a_run_that_raises_is_recorded_and_the_rest_go_on(
    tmp_path: Path,
    base: Path,
    write: Callable[[str, str], Path],
    cli: Callable[..., CliResult],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fail_runs(monkeypatch, lambda sc, _seed: sc.behaviour.choice.talent == 1.5, "talent coefficient 1.5 breaks it")
    exp = write("sw.yaml", experiment_yaml())
    res = cli("sweep", exp, "--out", tmp_path / "out", "-q", "--no-plots")
    assert res.code == 0, res.err
    folder = tmp_path / "out" / "sweep-sw"
    _, rows = rows_of(folder)
    assert len(rows) == 12
    for row in rows:
        broken = float(row[TALENT_COEF]) == 1.5
        assert (row["error"] == "RuntimeError: talent coefficient 1.5 breaks it") is broken
        assert all(math.isnan(float(row[o])) for o in OUTCOMES) is broken
        assert all(math.isfinite(float(row[o])) for o in OUTCOMES) is not broken
    for p in _points(folder):
        broken = float(p[TALENT_COEF]) == 1.5
        assert (p["runs"], p["failed"]) == (("0", "2") if broken else ("2", "0"))
        assert (p["mean"] == "nan") is broken and (p["within_noise"] == "") is broken
    manifest = read_json(folder / "manifest.json")
    assert manifest["failed_runs"] == 4 and len(manifest["failures"]) == 4
    assert list((folder / "runs").glob("*.error.json"))


# --------------------------------------------------------------------------- engines and worker counts

ENGINE_YAML = dict(
    name="eng",
    design={"method": "lhs", "samples": 6},
    factors={
        TALENT_BUDGET: {"range": [0, 4.0e9]},
        TALENT_COEF: {"range": [0.0, 2.0]},
        "behaviour.choice.distance": {"range": [-1.0, 0.0]},
    },
)
DETERMINISTIC = ("results.csv", "points.csv", "base.csv", "factors.csv", "results.parquet")


@pytest.fixture(scope="module")
def one_worker_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 3-factor LHS of 6 points × 2 replications on one worker: the reference bytes."""
    folder = tmp_path_factory.mktemp("engines")
    (folder / "base.yaml").write_text(BASE_YAML, encoding="utf-8")
    (folder / "eng.yaml").write_text(experiment_yaml(**ENGINE_YAML), encoding="utf-8")
    assert sweep(folder / "eng.yaml", "--out", folder / "w1") == 0
    return folder


def test_two_workers_give_byte_identical_tables(one_worker_run: Path) -> None:
    assert sweep(one_worker_run / "eng.yaml", "--out", one_worker_run / "w2", "--workers", "2") == 0
    for name in DETERMINISTIC:
        assert (one_worker_run / "w2/sweep-eng" / name).read_bytes() == (
            one_worker_run / "w1/sweep-eng" / name
        ).read_bytes(), name
    manifest = read_json(one_worker_run / "w2/sweep-eng/manifest.json")
    assert manifest["design"]["method"] == "lhs" and isinstance(manifest["design"]["seed"], int)
    assert manifest["workers"] == 2


def test_a_dask_cluster_gives_byte_identical_tables(one_worker_run: Path) -> None:
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, host="127.0.0.1", dashboard_address=None, processes=True
    ) as cluster:
        code = sweep(
            one_worker_run / "eng.yaml",
            "--out",
            one_worker_run / "dask",
            "--engine",
            "dask",
            "--scheduler",
            cluster.scheduler_address,
        )
    assert code == 0
    for name in DETERMINISTIC:
        assert (one_worker_run / "dask/sweep-eng" / name).read_bytes() == (
            one_worker_run / "w1/sweep-eng" / name
        ).read_bytes(), name
    assert read_json(one_worker_run / "dask/sweep-eng/manifest.json")["engine"] == "dask"


# --------------------------------------------------------------------------- kill -9 and resume

KILL_BASE_YAML = """\
name: kill_base
seed: 3
replications: 1
years: {start: 2023, end: 2030, hindcast_end: null, report_start: null}
firms: {count: 4000}
"""
KILL_RUNS = 30


def _wait_for_runs(
    runs: Path, at_least: int, proc: subprocess.Popen[bytes], stderr: Path, timeout_s: float = HANG_GUARD_S
) -> None:
    """Poll until the sweep has streamed some runs (startup time depends on the machine, so no fixed sleep)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if runs.is_dir() and len(list(runs.glob("p*-r*.json"))) >= at_least:
            return
        if proc.poll() is not None:
            said = stderr.read_text(encoding="utf-8", errors="replace")[-2000:]
            pytest.fail(f"the sweep ended (status {proc.returncode}) before it could be killed: {said}")
        time.sleep(0.005)
    pytest.fail("the sweep wrote no runs in time")


def _run_files(runs: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in runs.glob("p*-r*.json")}


def test_kill_minus_9_then_resume_gives_the_uninterrupted_table(
    tmp_path: Path, write: Callable[[str, str], Path]
) -> None:
    write("base.yaml", KILL_BASE_YAML)
    exp = write(
        "kill.yaml",
        experiment_yaml(
            name="kill", replications=3, factors={TALENT_COEF: {"range": [0.0, 2.0], "levels": KILL_RUNS // 3}}
        ),
    )
    out = tmp_path / "killed"
    runs = out / "sweep-kill" / "runs"
    stderr = tmp_path / "stderr.txt"
    with stderr.open("wb") as err:
        proc = subprocess.Popen(
            [sys.executable, "run.py", "sweep", str(exp), "--out", str(out), "-q", "--no-plots"],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=err,
        )
    try:
        _wait_for_runs(runs, 3, proc, stderr)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=HANG_GUARD_S)
    assert proc.returncode == -signal.SIGKILL
    before = _run_files(runs)
    assert 3 <= len(before) < KILL_RUNS, "the sweep must be caught mid-way"
    assert not (out / "sweep-kill" / "results.csv").exists()

    assert sweep(exp, "--out", out, "--resume") == 0
    after = _run_files(runs)
    assert set(after) == {f"p{p:05d}-r{r:04d}.json" for p in range(KILL_RUNS // 3) for r in range(3)}
    assert {k: after[k] for k in before} == before, "runs finished before the kill must not be run again"
    assert read_json(out / "sweep-kill" / "manifest.json")["runs_reused"] == len(before)
    assert hidden(out / "sweep-kill") == []

    assert sweep(exp, "--out", tmp_path / "whole") == 0
    for name in ("results.csv", "points.csv", "base.csv"):
        assert (out / "sweep-kill" / name).read_bytes() == (tmp_path / "whole/sweep-kill" / name).read_bytes(), name


def test_resume_refuses_runs_of_other_inputs(
    tmp_path: Path, base: Path, write: Callable[[str, str], Path], cli: Callable[..., CliResult]
) -> None:
    one_point = {TALENT_COEF: {"values": [1.0]}}
    exp = write("sw.yaml", experiment_yaml(factors=one_point))
    assert cli("sweep", exp, "--out", tmp_path, "-q", "--no-plots").code == 0
    exp = write("sw.yaml", experiment_yaml(factors=one_point, seed=6))
    res = cli("sweep", exp, "--out", tmp_path, "--resume", "-q", "--no-plots")
    assert res.code == 2
    assert len(res.err_lines) == 1 and "other inputs" in res.err and "--resume continues only the same" in res.err
    assert cli("sweep", exp, "--out", tmp_path, "-q", "--no-plots").code == 2, "nor without --resume"
    assert cli("sweep", exp, "--out", tmp_path, "--overwrite", "-q", "--no-plots").code == 0
    assert read_json(tmp_path / "sweep-sw/manifest.json")["seed"] == 6


def test_a_new_description_or_comment_is_not_other_inputs(
    tmp_path: Path, base: Path, write: Callable[[str, str], Path], cli: Callable[..., CliResult]
) -> None:
    exp = write("sw.yaml", experiment_yaml(factors={TALENT_COEF: {"values": [1.0, 1.5]}}))
    assert cli("sweep", exp, "--out", tmp_path, "-q", "--no-plots").code == 0
    (tmp_path / "sweep-sw" / "runs" / "p00001-r0001.json").unlink()
    exp.write_text("# a comment\n" + exp.read_text(encoding="utf-8") + "description: now described\n")
    base.write_text(BASE_YAML + "description: the base, described\n", encoding="utf-8")
    assert cli("sweep", exp, "--out", tmp_path, "--resume", "-q", "--no-plots").code == 0
    assert read_json(tmp_path / "sweep-sw" / "manifest.json")["runs_executed"] == 1
    base.write_text(BASE_YAML.replace("seed: 99", "seed: 98"), encoding="utf-8")
    write("sw.yaml", experiment_yaml(seed=None, factors={TALENT_COEF: {"values": [1.0, 1.5]}}))
    res = cli("sweep", exp, "--out", tmp_path, "--resume", "-q", "--no-plots")
    assert res.code == 2 and "other inputs" in res.err, "the base's seed is an input when the experiment has none"


def test_resume_reuses_a_drawn_seed(
    tmp_path: Path, write: Callable[[str, str], Path], cli: Callable[..., CliResult]
) -> None:
    write("base.yaml", BASE_YAML.replace("seed: 99\n", ""))
    exp = write("sw.yaml", experiment_yaml(seed=None, factors={TALENT_COEF: {"values": [1.0, 1.5]}}))
    assert cli("sweep", exp, "--out", tmp_path / "out", "-q", "--no-plots").code == 0
    folder = tmp_path / "out/sweep-sw"
    first = read_json(folder / "manifest.json")
    assert first["seed_source"] == "drawn"
    assert first["replication_seeds"] == replication_seeds(first["seed"], 2)
    (folder / "runs" / "p00001-r0001.json").unlink()
    assert cli("sweep", exp, "--out", tmp_path / "out", "--resume", "-q", "--no-plots").code == 0
    again = read_json(folder / "manifest.json")
    assert (again["seed"], again["seed_source"], again["runs_executed"]) == (first["seed"], "drawn", 1)


# --------------------------------------------------------------------------- bad experiment files


@pytest.mark.parametrize(
    ("fields", "key", "words"),
    [
        ({"bogus": 1}, "sw.yaml: not an experiment file", "1 of its"),  # its keys are not echoed
        ({"design": {"methd": "lhs"}}, "design.methd:", "unknown key"),
        ({"factors": {"policies.talent.nope": {"values": [1]}}}, "factors.policies.talent.nope:", "unknown key"),
        ({"factors": {"policies.talnt.annual_budget_yuan": {"values": [1]}}}, "factors.policies.talnt", "unknown key"),
        ({"factors": {TALENT_COEF: {"range": [1.5, 1.5]}}}, f"factors.{TALENT_COEF}:", "low < high"),
        ({"factors": {TALENT_COEF: {"range": [2.0, 1.0]}}}, f"factors.{TALENT_COEF}:", "low < high"),
        ({"factors": {TALENT_BUDGET: {"values": [-1.0]}}}, f"factors.{TALENT_BUDGET}:", "out of range"),
        (
            {"factors": {TALENT_COEF: {"range": [0, 1]}}, "design": {"method": "morris"}},
            "design.method:",
            "sensitivity",
        ),
        ({"design": {"method": "lhs"}}, "factors:", "needs a range for every factor"),
        ({"factors": {"seed": {"values": [1, 2]}}}, "factors.seed:", "not a factor"),
        ({"factors": {}}, "factors:", "at least one factor"),
        ({"base": "missing.yaml"}, "base:", "not found"),
        ({"replications": 0}, "replications:", "out of range"),
        ({"firms": 0}, "firms:", "out of range"),
        ({"outcomes": ["nope"]}, "sw.yaml: outcomes:", "north_share_jobs"),
        (
            {
                "factors": {
                    k: {"range": [0, 1], "levels": 1000}
                    for k in (TALENT_BUDGET, TALENT_COEF, "behaviour.choice.distance")
                }
            },
            "design:",
            "1,000,000,000 design points",
        ),
    ],
)
def test_bad_experiment_files_exit_2_with_one_line_naming_the_key(
    fields: dict[str, Any],
    key: str,
    words: str,
    tmp_path: Path,
    base: Path,
    write: Callable[[str, str], Path],
    cli: Callable[..., CliResult],
) -> None:
    exp = write("sw.yaml", experiment_yaml(**fields))
    res = cli("sweep", exp, "--out", tmp_path / "out")
    assert res.code == 2
    assert len(res.err_lines) == 1 and res.err.startswith("relocsim: ")
    assert key in res.err and words in res.err
    assert not (tmp_path / "out").exists(), "nothing may be written for bad input"


def test_dask_engine_without_a_scheduler_exits_2_before_writing(
    tmp_path: Path, base: Path, write: Callable[[str, str], Path], cli: Callable[..., CliResult]
) -> None:
    res = cli("sweep", write("sw.yaml", experiment_yaml()), "--out", tmp_path / "out", "--engine", "dask")
    assert res.code == 2 and len(res.err_lines) == 1 and "--scheduler" in res.err
    assert not (tmp_path / "out").exists()


def test_bad_data_file_in_a_factor_stops_the_sweep_before_any_run(
    tmp_path: Path, base: Path, write: Callable[[str, str], Path], cli: Callable[..., CliResult]
) -> None:
    exp = write("sw.yaml", experiment_yaml(factors={"world.data.places": {"values": [str(tmp_path / "none.csv")]}}))
    res = cli("sweep", exp, "--out", tmp_path / "out")
    assert res.code == 2 and len(res.err_lines) == 1
    assert "world.data.places" in res.err and "not found" in res.err
    assert not (tmp_path / "out").exists()


# --------------------------------------------------------------------------- experiments/reference.yaml


def _documented_paths() -> set[str]:
    """Key paths of reference.yaml, with each factor's own key path replaced by '*'."""
    data = yaml.safe_load(REFERENCE.read_text(encoding="utf-8"))
    factors = data.pop("factors")
    paths = yaml_paths(data) | {"factors"}
    for spec in factors.values():
        paths |= {f"factors.*.{key}" for key in spec}
    return paths


def test_reference_documents_exactly_the_experiment_schema() -> None:
    schema = schema_paths(ExperimentFile) | schema_paths(Factor, "factors.*.")
    documented = _documented_paths()
    assert documented - schema == set(), "keys in experiments/reference.yaml that the schema does not know"
    assert schema - documented == set(), "schema keys missing from experiments/reference.yaml"


def test_reference_is_a_valid_experiment_at_the_defaults() -> None:
    loaded = load_experiment(REFERENCE)
    exp = loaded.experiment
    defaults = ExperimentFile(name=exp.name, base=exp.base, factors=exp.factors)
    assert exp == defaults
    assert all(f.integer is False for f in exp.factors.values())
    assert len(loaded.grid_points()) == 10 == loaded.n_points()
    assert set(exp.outcomes) <= set(HORIZON)


def test_every_reference_key_has_a_comment() -> None:
    lines = REFERENCE.read_text(encoding="utf-8").splitlines()
    assert [ln for ln in lines if ln.strip() and not ln.lstrip().startswith("#") and "#" not in ln] == []


@pytest.mark.parametrize("path", sorted((ROOT / "experiments" / "examples").glob("*.yaml")), ids=lambda p: p.name)
def test_shipped_examples_load(path: Path) -> None:
    """Each example loads; the sweep examples (grid, lhs) give the points their file promises."""
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    if (
        "packages" in doc or "decisions" in doc
    ):  # a discovery or optimise file: tests/test_discover.py, test_optimise.py
        return
    loaded = load_experiment(path)
    exp = loaded.experiment
    if exp.design.method == "grid":
        assert len(loaded.grid_points()) == loaded.n_points() > 1
    elif exp.design.method == "lhs":
        assert len(loaded.lhs_points(seed=0)) == exp.design.samples
    else:
        assert loaded.n_points() > 1
