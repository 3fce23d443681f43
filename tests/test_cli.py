"""The command line and the result folder: DESIGN §5 contracts, determinism, atomic writes."""

from __future__ import annotations

import math
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import yaml
from matplotlib.figure import Figure

import experiments.run.experiment
import experiments.run.figures
from cli import main
from model.scenario import load_scenario
from report.figures.style import new_figure
from tests.conftest import (
    HANG_GUARD_S,
    RESULT_FILES,
    ROOT,
    SCENARIOS,
    SHIPPED_PLACES,
    SMALL_YAML,
    CliResult,
    read_csv,
    read_json,
    run_py,
)

TIMESERIES_CONTRACT = (
    "replication",
    "year",
    "firms_active",
    "relocations",
    "relocated_jobs",
    "to_north_jobs",
    "to_outside_jobs",
    "north_share_jobs",
    "fiscal_cost_yuan",
)
FLOWS_CONTRACT = ("replication", "year", "origin", "destination", "industry", "firms", "jobs")
SUMMARY_CONTRACT = (
    "north_share_jobs",
    "outside_share_jobs",
    "relocated_firms",
    "relocated_jobs",
    "fiscal_cost_yuan",
    "cost_per_north_job_yuan",
)
DETERMINISTIC_FILES = ("timeseries.csv", "flows.csv", "summary.json", "places.csv", "scenario.resolved.yaml")

# A parent with a lever, a child that extends it, adds a lever and points at its own (copied) places file:
# the resolved scenario then has to carry extends, policies and a data override.
PARENT_YAML = """\
name: parent
description: levers shared by the CLI tests
seed: 424242
replications: 2
years: {start: 2023, end: 2025}
firms: {count: 200}
policies:
  talent: {places: [suzhou_suqian, nanjing_huaian], annual_budget_yuan: 2.0e8, start_year: 2024}
"""
CHILD_YAML = """\
name: cli_small
extends: parent.yaml
description: "child: 中文 and a colon"
world:
  data: {places: my_places.csv}
behaviour: {batches_per_year: 4}
policies:
  relocation_aid: {yuan_per_job: 30000, annual_budget_yuan: 5.0e8}
"""


def _files(folder: Path) -> dict[str, bytes]:
    return {name: (folder / name).read_bytes() for name in DETERMINISTIC_FILES}


def _ok(result: CliResult) -> CliResult:
    assert result.code == 0, result.err
    return result


@pytest.fixture(scope="module")
def shipped_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """One full run (with plots) of CHILD_YAML, shared by the read-only checks of its folder."""
    base = tmp_path_factory.mktemp("cli_run")
    (base / "parent.yaml").write_text(PARENT_YAML, encoding="utf-8")
    (base / "child.yaml").write_text(CHILD_YAML, encoding="utf-8")
    shutil.copyfile(SHIPPED_PLACES, base / "my_places.csv")
    assert main(["run", str(base / "child.yaml"), "--out", str(base / "out"), "-q"]) == 0
    return base / "child.yaml", base / "out" / "cli_small"


@pytest.fixture
def small(write: Callable[[str, str], Path]) -> Path:
    return write("small.yaml", SMALL_YAML)


NO_REPORT = RESULT_FILES - {"plots", "report.md", "report.html"}  # a run with --no-plots


# --- help and validate ---------------------------------------------------------------------------


def test_help_lists_the_commands(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    for command in ("run", "validate", "plot"):
        assert f"  {command}" in out, f"{command} missing from --help:\n{out}"


def test_run_help_lists_its_options(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["run", "--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    for option in ("--out", "--replications", "--seed", "--firms", "--workers"):
        assert option in out


@pytest.mark.parametrize("path", sorted(SCENARIOS.glob("*.yaml")), ids=lambda p: p.name)
def test_validate_accepts_every_shipped_scenario(path: Path, cli: Callable[..., CliResult]) -> None:
    result = _ok(cli("validate", path))
    assert result.err == ""
    assert f"ok: {path}" in result.out


def test_shipped_scenarios_exist() -> None:
    names = {p.stem for p in SCENARIOS.glob("*.yaml")}
    assert {"baseline", "reference"} <= names


# --- the result folder (DESIGN §5) ---------------------------------------------------------------


def test_run_writes_exactly_the_contract_files(shipped_run: tuple[Path, Path]) -> None:
    _, folder = shipped_run
    assert {p.name for p in folder.iterdir()} == RESULT_FILES
    assert (folder / "plots").is_dir()
    pngs = list((folder / "plots").glob("*.png"))
    assert pngs, "plots/ has no PNG"
    for png in pngs:
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert [p.name for p in folder.parent.iterdir()] == ["cli_small"], "temporary folders left beside the result"


def test_timeseries_has_contract_columns_and_one_row_per_replication_year(shipped_run: tuple[Path, Path]) -> None:
    _, folder = shipped_run
    columns, rows = read_csv(folder / "timeseries.csv")
    assert columns[:2] == ["replication", "year"]
    assert set(TIMESERIES_CONTRACT) <= set(columns)
    assert [(int(r["replication"]), int(r["year"])) for r in rows] == [
        (rep, year) for rep in (0, 1) for year in (2023, 2024, 2025)
    ]
    for r in rows:
        moved, north, jiangsu, outside = (
            float(r[c]) for c in ("relocated_jobs", "to_north_jobs", "to_jiangsu_jobs", "to_outside_jobs")
        )
        assert north >= 0 and jiangsu >= 0 and outside >= 0
        assert math.isclose(north + jiangsu + outside, moved, rel_tol=1e-9, abs_tol=1e-6)
        if moved > 0:
            assert math.isclose(float(r["north_share_jobs"]), north / moved, rel_tol=1e-6)


def test_flows_have_contract_columns_and_add_up_to_the_timeseries(shipped_run: tuple[Path, Path]) -> None:
    _, folder = shipped_run
    columns, flows = read_csv(folder / "flows.csv")
    assert columns[: len(FLOWS_CONTRACT)] == list(FLOWS_CONTRACT)
    assert flows, "a 3-year run of 200 firms should move someone"
    _, places = read_csv(folder / "places.csv")
    kind = {p["id"]: p["kind"] for p in places}
    _, series = read_csv(folder / "timeseries.csv")
    for r in series:
        key = (r["replication"], r["year"])
        mine = [f for f in flows if (f["replication"], f["year"]) == key]
        assert math.isclose(sum(float(f["jobs"]) for f in mine), float(r["relocated_jobs"]), abs_tol=1e-6)
        assert math.isclose(sum(float(f["firms"]) for f in mine), float(r["relocations"]), abs_tol=1e-6)
        to_north = sum(float(f["jobs"]) for f in mine if kind[f["destination"]] == "north_park")
        assert math.isclose(to_north, float(r["to_north_jobs"]), abs_tol=1e-6)
    for f in flows:
        assert f["origin"] != f["destination"]
        assert kind[f["destination"]] in ("north_park", "jiangsu_city", "outside_city")
        assert float(f["firms"]) > 0 and float(f["jobs"]) > 0


def test_places_csv_is_the_place_table_used(shipped_run: tuple[Path, Path]) -> None:
    _, folder = shipped_run
    columns, rows = read_csv(folder / "places.csv")
    assert {"id", "kind", "lat", "lon", "wage_index"} <= set(columns)
    _, shipped = read_csv(SHIPPED_PLACES)
    assert [r["id"] for r in rows] == [r["id"] for r in shipped]


def test_summary_has_contract_keys_with_ci_and_one_value_per_replication(shipped_run: tuple[Path, Path]) -> None:
    _, folder = shipped_run
    summary = read_json(folder / "summary.json")
    assert summary["scenario"] == "cli_small"
    assert summary["replications"] == 2
    assert set(SUMMARY_CONTRACT) <= set(summary["metrics"])
    for name in SUMMARY_CONTRACT:
        m = summary["metrics"][name]
        assert isinstance(m["ci95"], list) and len(m["ci95"]) == 2, name
        assert len(m["values"]) == 2, name
        finite = [v for v in m["values"] if v is not None]
        if len(finite) == 2:
            assert math.isclose(m["mean"], sum(finite) / 2, rel_tol=1e-9, abs_tol=1e-9), name
            lo, hi = m["ci95"]
            assert lo <= m["mean"] <= hi, name


def test_summary_agrees_with_the_timeseries(shipped_run: tuple[Path, Path]) -> None:
    _, folder = shipped_run
    metrics = read_json(folder / "summary.json")["metrics"]
    _, series = read_csv(folder / "timeseries.csv")
    for rep in (0, 1):
        rows = [r for r in series if r["replication"] == str(rep)]
        moved = sum(float(r["relocated_jobs"]) for r in rows)
        north = sum(float(r["to_north_jobs"]) for r in rows)
        outside = sum(float(r["to_outside_jobs"]) for r in rows)
        cost = sum(float(r["fiscal_cost_yuan"]) for r in rows)
        assert math.isclose(metrics["relocated_jobs"]["values"][rep], moved, rel_tol=1e-9)
        assert math.isclose(metrics["relocated_firms"]["values"][rep], sum(float(r["relocations"]) for r in rows))
        assert math.isclose(metrics["fiscal_cost_yuan"]["values"][rep], cost, rel_tol=1e-9, abs_tol=1e-6)
        assert math.isclose(metrics["north_share_jobs"]["values"][rep], north / moved, rel_tol=1e-9)
        assert math.isclose(metrics["outside_share_jobs"]["values"][rep], outside / moved, rel_tol=1e-9)


def test_manifest_records_seeds_versions_and_data(shipped_run: tuple[Path, Path]) -> None:
    scenario_file, folder = shipped_run
    m = read_json(folder / "manifest.json")
    assert m["scenario"] == "cli_small"
    assert m["seed"] == 424242
    assert m["replications"] == 2
    seeds = m["replication_seeds"]
    assert len(seeds) == 2 and len(set(seeds)) == 2 and all(isinstance(s, int) for s in seeds)
    for package in ("python", "mesa", "numpy", "relocsim"):
        assert m["versions"][package], package
    assert m["config_hash"].startswith("sha256:")
    assert m["wall_seconds"] >= 0 and m["start_time"]
    assert "git_commit" in m
    data_files = {Path(p).name: p for p in m["data_files"]}
    assert Path(data_files["my_places.csv"]) == (scenario_file.parent / "my_places.csv").resolve()


def test_resolved_scenario_loads_back_equal(shipped_run: tuple[Path, Path]) -> None:
    scenario_file, folder = shipped_run
    original = load_scenario(scenario_file)
    resolved_path = folder / "scenario.resolved.yaml"
    again = load_scenario(resolved_path)
    assert again == original
    assert again.policies.talent is not None and again.policies.relocation_aid is not None
    raw = yaml.safe_load(resolved_path.read_text(encoding="utf-8"))
    assert "extends" not in raw
    assert raw["behaviour"]["choice"], "defaults are written out in full"


def test_single_replication_summary_keeps_the_ci95_shape(
    tmp_path: Path, cli: Callable[..., CliResult], small: Path
) -> None:
    """`ci95` is a two-element list even when one replication gives no interval (scripts unpack it)."""
    _ok(cli("run", small, "--out", tmp_path / "out", "--replications", "1", "-q", "--no-plots"))
    summary = read_json(tmp_path / "out" / "small-r1" / "summary.json")
    for name in SUMMARY_CONTRACT:
        m = summary["metrics"][name]
        assert isinstance(m["ci95"], list) and len(m["ci95"]) == 2, f"{name}: ci95 = {m['ci95']!r}"
        assert len(m["values"]) == 1


def test_command_line_overrides_reach_the_outputs(tmp_path: Path, cli: Callable[..., CliResult], small: Path) -> None:
    out = tmp_path / "out"
    _ok(cli("run", small, "--out", out, "--replications", "3", "--firms", "150", "--seed", "99", "-q", "--no-plots"))
    m = read_json(out / "small-r3-f150-s99" / "manifest.json")
    assert (m["replications"], m["firms"], m["seed"], len(m["replication_seeds"])) == (3, 150, 99, 3)
    resolved = load_scenario(out / "small-r3-f150-s99" / "scenario.resolved.yaml")
    assert (resolved.replications, resolved.firms.count, resolved.seed) == (3, 150, 99)
    _, rows = read_csv(out / "small-r3-f150-s99" / "timeseries.csv")
    assert {r["replication"] for r in rows} == {"0", "1", "2"}


def test_run_names_its_folder_after_the_overrides_so_a_smaller_run_never_collides(
    tmp_path: Path, cli: Callable[..., CliResult], small: Path
) -> None:
    """The scenario's own folder and a `--firms` run of it are two folders, as for every other command."""
    out = tmp_path / "out"
    _ok(cli("run", small, "--out", out, "-q", "--no-plots"))
    smaller = cli("run", small, "--out", out, "--firms", "150", "-q", "--no-plots")
    assert smaller.code == 0, smaller.err
    assert sorted(p.name for p in out.iterdir()) == ["small", "small-f150"]
    assert read_json(out / "small-f150" / "manifest.json")["firms"] == 150
    assert read_json(out / "small" / "manifest.json")["firms"] != 150


def test_run_prints_a_summary_unless_quiet(tmp_path: Path, cli: Callable[..., CliResult], small: Path) -> None:
    loud = _ok(cli("run", small, "--out", tmp_path / "a", "--no-plots"))
    assert "North-park share of relocated jobs" in loud.out and str(tmp_path / "a" / "small") in loud.out
    assert "95% CI" in loud.out
    quiet = _ok(cli("run", small, "--out", tmp_path / "b", "--no-plots", "-q"))
    assert quiet.out == ""


# --- shorthand and subprocess --------------------------------------------------------------------


def test_yaml_shorthand_is_run(tmp_path: Path, cli: Callable[..., CliResult], small: Path) -> None:
    _ok(cli("run", small, "--out", tmp_path / "a", "-q", "--no-plots"))
    _ok(cli(small, "--out", tmp_path / "b", "-q", "--no-plots"))
    assert _files(tmp_path / "a" / "small") == _files(tmp_path / "b" / "small")


def test_python_run_py_shorthand_in_a_subprocess(tmp_path: Path, small: Path) -> None:
    proc = run_py([small, "--out", tmp_path / "out", "-q", "--no-plots"])
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    assert {p.name for p in (tmp_path / "out" / "small").iterdir()} == NO_REPORT


# --- determinism ---------------------------------------------------------------------------------


def test_same_seed_same_bytes_other_seed_other_bytes(
    tmp_path: Path, cli: Callable[..., CliResult], small: Path
) -> None:
    for name, seed in (("a", "5"), ("b", "5"), ("c", "6")):
        _ok(cli("run", small, "--out", tmp_path / name, "--seed", seed, "-q", "--no-plots"))
    a, b, c = (_files(tmp_path / n / f"small-s{s}") for n, s in zip("abc", "556", strict=True))
    assert a == b
    assert a["flows.csv"].count(b"\n") > 2, "too few flows for the comparison to mean anything"
    assert a["timeseries.csv"] != c["timeseries.csv"]
    assert a["flows.csv"] != c["flows.csv"]


def test_two_workers_give_the_same_bytes_as_one(tmp_path: Path, cli: Callable[..., CliResult], small: Path) -> None:
    _ok(cli("run", small, "--out", tmp_path / "w1", "--workers", "1", "-q", "--no-plots"))
    _ok(cli("run", small, "--out", tmp_path / "w2", "--workers", "2", "-q", "--no-plots"))
    assert _files(tmp_path / "w1" / "small") == _files(tmp_path / "w2" / "small")
    m1, m2 = (read_json(tmp_path / w / "small" / "manifest.json") for w in ("w1", "w2"))
    assert m1["replication_seeds"] == m2["replication_seeds"]


def test_drawn_seed_is_recorded_and_reproduces_the_run(
    tmp_path: Path, cli: Callable[..., CliResult], write: Callable[[str, str], Path]
) -> None:
    unseeded = write("unseeded.yaml", SMALL_YAML.replace("seed: 20230101\n", ""))
    assert load_scenario(unseeded).seed is None
    _ok(cli("run", unseeded, "--out", tmp_path / "first", "-q", "--no-plots"))
    first = tmp_path / "first" / "small"
    seed = read_json(first / "manifest.json")["seed"]
    assert isinstance(seed, int) and 0 <= seed < 2**63
    assert load_scenario(first / "scenario.resolved.yaml").seed == seed
    _ok(cli("run", unseeded, "--out", tmp_path / "again", "--seed", str(seed), "--name", "small", "-q", "--no-plots"))
    _ok(cli("run", first / "scenario.resolved.yaml", "--out", tmp_path / "resolved", "-q", "--no-plots"))
    for other in ("again", "resolved"):
        other_files = _files(tmp_path / other / "small")
        for name in ("timeseries.csv", "flows.csv", "summary.json"):
            assert other_files[name] == (first / name).read_bytes(), f"{other}/{name}"
    _ok(cli("run", unseeded, "--out", tmp_path / "second", "-q", "--no-plots"))
    assert read_json(tmp_path / "second" / "small" / "manifest.json")["seed"] != seed, "seeds must be drawn afresh"


# --- replacing, refusing and failing atomically ---------------------------------------------------


def test_rerun_of_the_same_inputs_replaces_the_folder(
    tmp_path: Path, cli: Callable[..., CliResult], small: Path
) -> None:
    out = tmp_path / "out"
    _ok(cli("run", small, "--out", out, "--seed", "1", "--name", "small", "-q"))
    _ok(
        cli("run", small, "--out", out, "--seed", "1", "--name", "small", "-q", "--no-plots")
    )  # the old report and plots are gone
    assert {p.name for p in (out / "small").iterdir()} == NO_REPORT
    assert [p.name for p in out.iterdir()] == ["small"]


@pytest.mark.parametrize("stray", ["notes.txt", "link", "plots/mine.txt"])
def test_a_rerun_never_deletes_a_file_relocsim_did_not_write(
    tmp_path: Path, cli: Callable[..., CliResult], small: Path, stray: str
) -> None:
    out = tmp_path / "out"
    _ok(cli("run", small, "--out", out, "--seed", "1", "--name", "small", "-q"))
    path = out / "small" / stray
    if stray == "link":
        path.symlink_to(tmp_path)
    elif stray.startswith("plots/"):
        (out / "small" / "plots" / "sub").symlink_to(tmp_path)
    else:
        path.write_text("the user's own notes")
    for extra in ((), ("--overwrite",)):
        res = cli("run", small, "--out", out, "--seed", "1", "--name", "small", "-q", *extra)
        assert res.code == 2 and len(res.err_lines) == 1 and "was not written by relocsim" in res.err, res.err
        assert (out / "small" / "manifest.json").is_file(), "the results stay as they were"
    assert path.is_symlink() or path.exists() or (out / "small" / "plots" / "sub").is_symlink()


def test_other_inputs_are_refused_until_overwrite(tmp_path: Path, cli: Callable[..., CliResult], small: Path) -> None:
    out = tmp_path / "out"
    _ok(cli("run", small, "--out", out, "--seed", "1", "--name", "small", "-q", "--no-plots"))
    before = (out / "small" / "summary.json").read_bytes()
    refused = cli("run", small, "--out", out, "--seed", "2", "--name", "small", "-q", "--no-plots")
    assert refused.code == 2 and len(refused.err_lines) == 1, refused.err
    assert str(out / "small") in refused.err and "--overwrite" in refused.err and "--name" in refused.err
    assert (out / "small" / "summary.json").read_bytes() == before
    _ok(cli("run", small, "--out", out, "--seed", "2", "--name", "small", "-q", "--no-plots", "--overwrite"))
    assert read_json(out / "small" / "manifest.json")["seed"] == 2
    _ok(cli("run", small, "--out", out, "--seed", "1", "-q", "--no-plots", "--name", "other"))
    assert (out / "other" / "summary.json").read_bytes() == before


def test_another_commands_folder_is_refused(tmp_path: Path, cli: Callable[..., CliResult], small: Path) -> None:
    out = tmp_path / "out"
    _ok(cli("run", small, "--out", out, "-q", "--no-plots"))
    other = small.parent / "other.yaml"
    other.write_text(SMALL_YAML.replace("name: small", "name: other"), encoding="utf-8")
    refused = cli("compare", small, other, "--out", out, "--name", "small", "-q", "--no-plots")
    assert refused.code == 2 and len(refused.err_lines) == 1
    assert "holds the results of `run`" in refused.err


def test_a_folder_that_is_not_a_result_folder_is_refused(
    tmp_path: Path, cli: Callable[..., CliResult], small: Path
) -> None:
    (tmp_path / "out" / "small").mkdir(parents=True)
    (tmp_path / "out" / "small" / "thesis.docx").write_text("precious")
    refused = cli("run", small, "--out", tmp_path / "out", "-q", "--no-plots")
    assert refused.code == 2 and "not a relocsim result folder" in refused.err
    assert (tmp_path / "out" / "small" / "thesis.docx").read_text() == "precious"


def test_overwrite_never_deletes_a_folder_relocsim_did_not_write(
    tmp_path: Path, cli: Callable[..., CliResult], small: Path
) -> None:
    mine = tmp_path / "out" / "mine"
    (mine / "sub").mkdir(parents=True)
    (mine / "thesis.tex").write_text("precious")
    (mine / "sub" / "data.txt").write_text("x")
    res = cli("run", small, "--out", tmp_path / "out", "--name", "mine", "--overwrite", "-q", "--no-plots")
    assert res.code == 2 and "not a relocsim result folder" in res.err
    assert (mine / "thesis.tex").read_text() == "precious" and (mine / "sub" / "data.txt").exists()


def _fail_writing_flows(monkeypatch: pytest.MonkeyPatch) -> None:
    """The disk fills up while the tables are written."""
    real = experiments.run.experiment.write_csv

    def flaky(path: Path, columns: object, rows: object) -> None:
        real(path, columns, rows)  # type: ignore[arg-type]
        raise OSError(28, "No space left on device", str(path))

    monkeypatch.setattr(experiments.run.experiment, "write_csv", flaky)


def _raise_in_plots(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(res: object) -> Iterator[tuple[str, Figure]]:
        yield "half.png", new_figure(1.0, 1.0)  # saved into plots/ by the report before the failure
        raise RuntimeError("plotting failed half-way")

    monkeypatch.setattr(experiments.run.figures, "figures", broken)


@pytest.mark.parametrize("breakage", [_fail_writing_flows, _raise_in_plots], ids=["disk-full", "plots"])
def test_failed_run_keeps_previous_results_and_leaves_no_hidden_folder(
    breakage: Callable[[pytest.MonkeyPatch], None],
    tmp_path: Path,
    cli: Callable[..., CliResult],
    small: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    out = tmp_path / "out"
    _ok(cli("run", small, "--out", out, "--seed", "1", "--name", "small", "-q", "--no-plots"))
    results = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file() and "runs" not in p.parts}
    breakage(monkeypatch)
    failed = cli("run", small, "--out", out, "--seed", "2", "--name", "small", "-q", "--overwrite")
    assert failed.code == 1 and len(failed.err_lines) == 1, failed.err
    assert "Traceback" not in failed.err
    after = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file() and "runs" not in p.parts}
    assert after == results
    assert [p.name for p in out.iterdir()] == ["small"]
    assert not [p for p in (out / "small").rglob(".*")], "hidden work files were left behind"


def test_failed_first_run_leaves_only_resumable_runs(
    tmp_path: Path, cli: Callable[..., CliResult], small: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fail_writing_flows(monkeypatch)
    out = tmp_path / "out"
    failed = cli("run", small, "--out", out, "-q", "--no-plots")
    assert failed.code == 1 and "No space left on device" in failed.err
    assert [p.name for p in (out / "small").iterdir()] == ["runs"]
    monkeypatch.undo()
    _ok(cli("run", small, "--out", out, "-q", "--no-plots", "--resume"))
    assert {p.name for p in (out / "small").iterdir()} == NO_REPORT


# --- the output place is checked before anything runs ---------------------------------------------


@pytest.mark.parametrize("where", ["file", "/dev/null", "/proc"])
def test_an_unusable_out_is_refused_before_any_run(
    where: str, tmp_path: Path, cli: Callable[..., CliResult], small: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "a_file" if where == "file" else Path(where)
    if where == "file":
        out.write_text("not a folder")
    monkeypatch.setattr(
        experiments.run.experiment.Run, "plan", lambda *_: pytest.fail("planned runs for an unusable --out")
    )
    result = cli("run", small, "--out", out, "-q")
    assert result.code == 2 and len(result.err_lines) == 1, result.err
    assert "--out" in result.err


def test_a_read_only_disk_is_a_machine_fault_in_one_line(
    tmp_path: Path, cli: Callable[..., CliResult], small: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tempfile

    def read_only(*_args: object, **_kwargs: object) -> str:
        raise OSError(30, "Read-only file system")

    monkeypatch.setattr(tempfile, "mkdtemp", read_only)
    result = cli("run", small, "--out", tmp_path / "out", "-q")
    assert result.code == 1 and result.err_lines == [f"relocsim: cannot write {tmp_path}: Read-only file system"]


# --- the command line itself ---------------------------------------------------------------------


def test_version_and_usage_errors(cli: Callable[..., CliResult]) -> None:
    version = _ok(cli("--version"))
    assert version.out.startswith("relocsim ")
    bad = cli("run", "--replications", "zero", "x.yaml")
    assert bad.code == 2 and len(bad.err_lines) == 1
    assert bad.err.count("relocsim") == 2, "prefix and the `relocsim run --help` hint, no doubled prefix"
    assert bad.err.startswith("relocsim: command line: run: argument --replications")


def test_help_and_validate_import_neither_mesa_nor_matplotlib() -> None:
    probe = (
        "import sys, contextlib, io\n"
        "from cli import main\n"
        "for argv in (['--help'], ['validate', 'scenarios/baseline.yaml'], ['compare', '--help'], ['app', '--help']):\n"
        "    with contextlib.suppress(SystemExit), contextlib.redirect_stdout(io.StringIO()):\n"
        "        main(argv)\n"
        "print(sorted(m for m in ('mesa', 'matplotlib', 'pandas', 'scipy', 'solara') if m in sys.modules))\n"
    )
    proc = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=HANG_GUARD_S)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"
