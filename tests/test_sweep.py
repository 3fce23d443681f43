"""`sweep`: designs, the tidy table, failures, engines and worker counts, kill and resume, bad files.

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

import pytest
import yaml

import experiments.engine
from experiments.cli import main
from experiments.design import Design, Experiment, Factor, grid_points, lhs_points, load_experiment
from model.metrics import SUMMARY_METRICS
from tests.conftest import ROOT, CliResult, read_csv, read_json
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
TALENT_COEF = "behaviour.choice.talent"
OUTCOMES = ["north_share_jobs", "relocated_jobs", "fiscal_cost_yuan"]
REFERENCE = ROOT / "experiments" / "reference.yaml"


def experiment_yaml(**fields: Any) -> str:
    """An experiment on the small base: defaults below, overridden by `fields` (None removes a key)."""
    doc: dict[str, Any] = {
        "name": "sw",
        "base": "base.yaml",
        "seed": 5,
        "replications": 2,
        "factors": {TALENT_BUDGET: {"values": [0, 2.0e9]}, TALENT_COEF: {"range": [0.5, 1.5], "levels": 3}},
        "outcomes": OUTCOMES,
    }
    doc.update(fields)
    return yaml.safe_dump({k: v for k, v in doc.items() if v is not None}, sort_keys=False)


@pytest.fixture
def base(write: Callable[[str, str], Path]) -> Path:
    return write("base.yaml", BASE_YAML)


def sweep(*args: str | Path) -> int:
    """`python run.py sweep ...` in-process (no capture: for fixtures shared between tests)."""
    return main(["sweep", *map(str, args), "-q"])


def rows_of(folder: Path) -> tuple[list[str], list[dict[str, str]]]:
    return read_csv(folder / "results.csv")


# --------------------------------------------------------------------------- designs


def test_grid_is_every_combination_once_with_range_endpoints() -> None:
    exp = Experiment(
        name="g",
        base="x.yaml",
        factors={"a": Factor(values=(1, 2, 3)), "b": Factor(range=(0.0, 1.0), levels=4), "c": Factor(range=(0, 8))},
    )
    points = grid_points(exp)
    assert len(points) == 3 * 4 * 5  # a range without levels gives 5 values
    combos = {(p["a"], p["b"], p["c"]) for p in points}
    assert len(combos) == len(points)
    assert sorted({p["b"] for p in points}) == pytest.approx([0.0, 1 / 3, 2 / 3, 1.0])
    assert {p["c"] for p in points} == {0.0, 2.0, 4.0, 6.0, 8.0}


@pytest.mark.parametrize("n", [1, 7, 50])
def test_lhs_puts_one_point_in_each_stratum_of_every_factor(n: int) -> None:
    ranges = {"a": (0.0, 1.0), "b": (-5.0, 20.0), "c": (1e6, 4e9)}
    exp = Experiment(
        name="l",
        base="x.yaml",
        design=Design(method="lhs", samples=n),
        factors={k: Factor(range=r) for k, r in ranges.items()},
    )
    points = lhs_points(exp, seed=123)
    assert len(points) == n
    for name, (lo, hi) in ranges.items():
        strata = sorted(math.floor((p[name] - lo) / (hi - lo) * n) for p in points)
        assert strata == list(range(n)), name
    assert lhs_points(exp, seed=123) == points
    if n > 1:
        assert lhs_points(exp, seed=124) != points


# --------------------------------------------------------------------------- the tidy table


@pytest.fixture(scope="module")
def grid_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 2 × 3 grid with 2 replications: 12 runs (shared: tests must not change it)."""
    folder = tmp_path_factory.mktemp("grid")
    (folder / "base.yaml").write_text(BASE_YAML, encoding="utf-8")
    (folder / "sw.yaml").write_text(experiment_yaml(), encoding="utf-8")
    assert sweep(folder / "sw.yaml", "--out", folder / "out") == 0
    return folder / "out" / "sw"


def test_results_table_has_a_row_per_point_and_replication_with_the_contract_columns(grid_run: Path) -> None:
    columns, rows = rows_of(grid_run)
    assert columns == ["point", "replication", "seed", TALENT_BUDGET, TALENT_COEF, *OUTCOMES, "error"]
    assert [(int(r["point"]), int(r["replication"])) for r in rows] == [(p, r) for p in range(6) for r in range(2)]
    manifest = read_json(grid_run / "manifest.json")
    for row in rows:
        point = manifest["points"][int(row["point"])]
        assert float(row[TALENT_BUDGET]) == point[TALENT_BUDGET]
        assert float(row[TALENT_COEF]) == pytest.approx(point[TALENT_COEF])
        # common random numbers: replication r has the same seed at every point, the one in the manifest
        assert int(row["seed"]) == manifest["replication_seeds"][int(row["replication"])]
        assert row["error"] == ""
        assert all(math.isfinite(float(row[o])) for o in OUTCOMES)
    budgets = {(r[TALENT_BUDGET], float(r["fiscal_cost_yuan"]) > 0) for r in rows}
    assert budgets == {("0", False), ("2000000000", True)}, "the factor must reach the model"


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


def test_points_table_is_the_mean_and_ci_of_each_point(grid_run: Path) -> None:
    columns, points = read_csv(grid_run / "points.csv")
    assert columns == ["point", TALENT_BUDGET, TALENT_COEF, "outcome", "runs", "failed", "mean", "ci_low", "ci_high"]
    assert len(points) == 6 * len(OUTCOMES)
    _, rows = rows_of(grid_run)
    for p in points:
        values = [float(r[p["outcome"]]) for r in rows if r["point"] == p["point"]]
        assert float(p["mean"]) == pytest.approx(sum(values) / 2, rel=1e-9)
        assert float(p["ci_low"]) <= float(p["mean"]) <= float(p["ci_high"])
        assert (p["runs"], p["failed"]) == ("2", "0")


def test_manifest_and_plots(grid_run: Path) -> None:
    manifest = read_json(grid_run / "manifest.json")
    assert manifest["seed"] == 5 and manifest["seed_source"] == "experiment"
    assert manifest["design"] == {"method": "grid", "seed": None}
    assert len(manifest["points"]) == 6 and manifest["runs"] == 12 and manifest["failed_runs"] == 0
    assert manifest["engine"] == "local" and manifest["workers"] == 1
    assert {"python", "mesa", "numpy", "relocsim"} <= set(manifest["versions"])
    assert sorted(p.name for p in (grid_run / "plots").iterdir()) == sorted(f"{o}.png" for o in OUTCOMES)
    assert not [p for p in grid_run.iterdir() if p.name.startswith(".")], "temporary folders left behind"


def test_rerun_replaces_every_table(tmp_path: Path, base: Path, write: Callable[[str, str], Path]) -> None:
    exp = write("sw.yaml", experiment_yaml(factors={TALENT_COEF: {"values": [1.0]}}, replications=1))
    assert sweep(exp, "--out", tmp_path) == 0
    assert (tmp_path / "sw/results.parquet").is_file() and (tmp_path / "sw/plots").is_dir()
    exp = write("sw.yaml", experiment_yaml(factors={TALENT_COEF: {"values": [0.0, 2.0]}}, outcomes=["relocated_jobs"]))
    assert sweep(exp, "--out", tmp_path) == 0
    columns, rows = rows_of(tmp_path / "sw")
    assert columns == ["point", "replication", "seed", TALENT_COEF, "relocated_jobs", "error"]
    assert len(rows) == 4
    assert [p.name for p in (tmp_path / "sw/plots").iterdir()] == ["relocated_jobs.png"], "one factor: a line plot"
    assert sweep(exp, "--out", tmp_path, "--no-plots") == 0
    assert not (tmp_path / "sw/plots").exists(), "stale plots must not outlive the tables they were drawn from"


# --------------------------------------------------------------------------- failing runs


def test_a_run_that_raises_is_recorded_and_the_rest_go_on(
    tmp_path: Path,
    base: Path,
    write: Callable[[str, str], Path],
    cli: Callable[..., CliResult],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """With one worker the runs execute in this process, so the model itself can be made to fail at one value."""
    real = experiments.engine.simulate

    def fragile(scenario: Any, seed: int, world: Any) -> Any:
        if scenario.behaviour.choice.talent == 1.0:
            raise FloatingPointError("talent coefficient 1.0 breaks the model")
        return real(scenario, seed, world)

    monkeypatch.setattr(experiments.engine, "simulate", fragile)
    exp = write("sw.yaml", experiment_yaml())
    res = cli("sweep", exp, "--out", tmp_path / "out", "--no-plots")
    assert res.code == 0
    assert "(12 run now, 4 failed)" in res.out
    assert "4 of 12 runs failed" in caplog.text
    folder = tmp_path / "out" / "sw"
    _, rows = rows_of(folder)
    assert len(rows) == 12
    for row in rows:
        broken = float(row[TALENT_COEF]) == 1.0
        assert (row["error"] == "FloatingPointError: talent coefficient 1.0 breaks the model") is broken
        assert all(math.isnan(float(row[o])) for o in OUTCOMES) is broken
        assert all(math.isfinite(float(row[o])) for o in OUTCOMES) is not broken
    _, points = read_csv(folder / "points.csv")
    for p in points:
        broken = float(p[TALENT_COEF]) == 1.0
        assert (p["runs"], p["failed"]) == (("0", "2") if broken else ("2", "0"))
        assert (p["mean"] == "nan") is broken
    assert read_json(folder / "manifest.json")["failed_runs"] == 4


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


@pytest.fixture(scope="module")
def one_worker_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 3-factor LHS (main-effects plots) of 6 points × 2 replications on one worker: the reference bytes."""
    folder = tmp_path_factory.mktemp("engines")
    (folder / "base.yaml").write_text(BASE_YAML, encoding="utf-8")
    (folder / "eng.yaml").write_text(experiment_yaml(**ENGINE_YAML), encoding="utf-8")
    assert sweep(folder / "eng.yaml", "--out", folder / "w1") == 0
    return folder


DETERMINISTIC = ("results.csv", "points.csv", "results.parquet")


def test_two_workers_give_byte_identical_tables(one_worker_run: Path) -> None:
    assert sweep(one_worker_run / "eng.yaml", "--out", one_worker_run / "w2", "--workers", "2", "--no-plots") == 0
    for name in DETERMINISTIC:
        assert (one_worker_run / "w2/eng" / name).read_bytes() == (one_worker_run / "w1/eng" / name).read_bytes()
    plots = sorted(p.name for p in (one_worker_run / "w1/eng/plots").iterdir())
    assert plots == sorted(f"{o}.png" for o in OUTCOMES)
    manifest = read_json(one_worker_run / "w2/eng/manifest.json")
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
            "--no-plots",
        )
    assert code == 0
    for name in DETERMINISTIC:
        assert (one_worker_run / "dask/eng" / name).read_bytes() == (one_worker_run / "w1/eng" / name).read_bytes()
    assert read_json(one_worker_run / "dask/eng/manifest.json")["engine"] == "dask"


# --------------------------------------------------------------------------- kill -9 and resume

KILL_BASE_YAML = """\
name: kill_base
seed: 3
replications: 1
firms: {count: 3000}
"""
KILL_RUNS = 30


def _wait_for_runs(runs: Path, at_least: int, proc: subprocess.Popen[bytes], timeout_s: float = 60.0) -> None:
    """Poll until the sweep has streamed some runs (startup time depends on the machine, so no fixed sleep)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if runs.is_dir() and len(list(runs.glob("p*-r*.json"))) >= at_least:
            return
        if proc.poll() is not None:
            pytest.fail(f"the sweep ended (status {proc.returncode}) before it could be killed")
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
    assert sweep(exp, "--out", tmp_path / "whole", "--no-plots") == 0

    out = tmp_path / "killed"
    runs = out / "kill" / "runs"
    proc = subprocess.Popen(
        [sys.executable, "run.py", "sweep", str(exp), "--out", str(out), "-q", "--no-plots"],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for_runs(runs, 3, proc)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    before = _run_files(runs)
    assert 3 <= len(before) < KILL_RUNS, "the sweep must be caught mid-way"
    assert not (out / "kill" / "results.csv").exists()

    assert sweep(exp, "--out", out, "--resume", "--no-plots") == 0
    after = _run_files(runs)
    assert set(after) == {f"p{p:05d}-r{r:04d}.json" for p in range(KILL_RUNS // 3) for r in range(3)}
    assert {k: after[k] for k in before} == before, "runs finished before the kill must not be run again"
    assert (out / "kill/results.csv").read_bytes() == (tmp_path / "whole/kill/results.csv").read_bytes()
    assert (out / "kill/points.csv").read_bytes() == (tmp_path / "whole/kill/points.csv").read_bytes()


def test_resume_refuses_runs_of_a_different_experiment(
    tmp_path: Path, base: Path, write: Callable[[str, str], Path], cli: Callable[..., CliResult]
) -> None:
    one_point = {TALENT_COEF: {"values": [1.0]}}
    exp = write("sw.yaml", experiment_yaml(factors=one_point))
    assert cli("sweep", exp, "--out", tmp_path, "-q", "--no-plots").code == 0
    exp = write("sw.yaml", experiment_yaml(factors=one_point, seed=6))
    res = cli("sweep", exp, "--out", tmp_path, "--resume", "-q", "--no-plots")
    assert res.code == 2
    assert len(res.err_lines) == 1 and "--resume" in res.err and "different experiment" in res.err
    assert cli("sweep", exp, "--out", tmp_path, "-q", "--no-plots").code == 0, "without --resume it starts again"


def test_resume_reuses_a_drawn_seed(
    tmp_path: Path, write: Callable[[str, str], Path], cli: Callable[..., CliResult]
) -> None:
    write("base.yaml", BASE_YAML.replace("seed: 99\n", ""))
    exp = write("sw.yaml", experiment_yaml(seed=None, factors={TALENT_COEF: {"values": [1.0]}}))
    assert cli("sweep", exp, "--out", tmp_path / "out", "-q", "--no-plots").code == 0
    first = read_json(tmp_path / "out/sw/manifest.json")
    assert first["seed_source"] == "drawn"
    assert cli("sweep", exp, "--out", tmp_path / "out", "--resume", "-q", "--no-plots").code == 0
    assert read_json(tmp_path / "out/sw/manifest.json")["seed"] == first["seed"]


# --------------------------------------------------------------------------- bad experiment files


@pytest.mark.parametrize(
    ("fields", "key", "words"),
    [
        ({"bogus": 1}, "sw.yaml: bogus:", "unknown key"),
        ({"design": {"methd": "lhs"}}, "design.methd:", "unknown key"),
        ({"factors": {"policies.talent.nope": {"values": [1]}}}, "factors.policies.talent.nope:", "unknown key"),
        ({"factors": {TALENT_COEF: {"range": [1.5, 1.5]}}}, f"factors.{TALENT_COEF}:", "low < high"),
        ({"factors": {TALENT_COEF: {"range": [2.0, 1.0]}}}, f"factors.{TALENT_COEF}:", "low < high"),
        ({"factors": {TALENT_BUDGET: {"values": [-1.0]}}}, f"factors.{TALENT_BUDGET}:", "out of range"),
        (
            {"factors": {TALENT_COEF: {"range": [0, 1]}}, "design": {"method": "morris"}},
            "design.method:",
            "sensitivity",
        ),
        ({"factors": {"seed": {"values": [1, 2]}}}, "factors.seed:", "not a factor"),
        ({"factors": {}}, "sw.yaml", "at least one factor"),
        ({"base": "missing.yaml"}, "base:", "not found"),
        ({"replications": 0}, "replications:", "out of range"),
        ({"outcomes": ["nope"]}, "sw.yaml", "unknown outcome"),
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


def test_unknown_outcome_names_the_outcomes_key(
    tmp_path: Path, base: Path, write: Callable[[str, str], Path], cli: Callable[..., CliResult]
) -> None:
    res = cli("sweep", write("sw.yaml", experiment_yaml(outcomes=["nope"])), "--out", tmp_path / "out")
    assert "sw.yaml: outcomes: " in res.err


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
    schema = schema_paths(Experiment) | schema_paths(Factor, "factors.*.")
    documented = _documented_paths()
    assert documented - schema == set(), "keys in experiments/reference.yaml that the schema does not know"
    assert schema - documented == set(), "schema keys missing from experiments/reference.yaml"


def test_reference_is_a_valid_experiment_at_the_defaults() -> None:
    loaded = load_experiment(REFERENCE)
    exp = loaded.experiment
    defaults = Experiment(name=exp.name, base=exp.base, factors=exp.factors)
    assert exp == defaults
    assert all(f.integer is False for f in exp.factors.values())
    assert len(grid_points(exp)) == 10
    assert set(exp.outcomes) <= set(SUMMARY_METRICS)


def test_every_reference_key_has_a_comment() -> None:
    lines = REFERENCE.read_text(encoding="utf-8").splitlines()
    assert [ln for ln in lines if ln.strip() and not ln.lstrip().startswith("#") and "#" not in ln] == []


@pytest.mark.parametrize("path", sorted((ROOT / "experiments" / "examples").glob("*.yaml")), ids=lambda p: p.name)
def test_shipped_examples_load(path: Path) -> None:
    """Each example loads; the sweep examples (grid, lhs) give the points their file promises."""
    exp = load_experiment(path).experiment
    if exp.design.method == "grid":
        assert len(grid_points(exp)) > 1
    elif exp.design.method == "lhs":
        assert len(lhs_points(exp, seed=0)) == exp.design.samples
