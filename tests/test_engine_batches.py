"""Batches of runs to the pool's workers: the same bytes, every record stored on its own, resume and failures.

The engine sends several runs per submission to a worker (experiments.engine.batching);
nothing of a result folder may depend on it. The speed it buys is measured by
`python -m benchmarks.bench_throughput` and `python -m benchmarks.bench_workers`, not here.
"""

from __future__ import annotations

import argparse
import json
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from experiments.engine import pipeline
from experiments.engine.batching import BATCH_SECONDS, MAX_BATCH, BatchSizer
from experiments.engine.pool import Engine, EngineOptions
from experiments.engine.prestart import for_command
from experiments.engine.report_ahead import prepare_report, report_ahead
from experiments.engine.store import RunRecord, RunStore, Task
from model.seeds import replication_seeds
from tests.conftest import CliResult, read_json
from tests.helpers import shipped

BASE_YAML = """\
name: base
seed: 7
replications: 3
years: {start: 2023, end: 2025}
firms: {count: 600}
"""
LEVER_YAML = """\
name: lever
extends: base.yaml
policies:
  relocation_aid: {start_year: 2024, yuan_per_job: 80000, annual_budget_yuan: 2.0e9}
"""
FOLDER = "compare-base-vs-lever"


def tasks(n: int, firms: int = 300) -> list[Task]:
    sc = shipped("baseline", {"firms.count": firms, "years.end": 2024})
    return [Task(f"r{r:04d}", sc, seed, {"replication": r}) for r, seed in enumerate(replication_seeds(3, n))]


def broken(like: Task, task_id: str, where: Path) -> Task:
    """A task whose run fails in the worker: its places file does not exist."""
    world = like.scenario.world
    data = world.data.model_copy(update={"places": str(where / "missing.csv")})
    scenario = like.scenario.model_copy(update={"world": world.model_copy(update={"data": data})})
    return Task(task_id, scenario, 1, {"replication": 99})


def options(workers: int = 2, batch: int | None = None) -> EngineOptions:
    return EngineOptions(workers=workers, progress=False, batch=batch)


def without_time(record: RunRecord | None) -> dict[str, object]:
    """A stored record less what depends on where and when it ran: its wall time, the years a warm start skipped."""
    assert record is not None
    fields = dict(record.__dict__)
    fields.pop("wall_seconds")
    fields.pop("warm_years", None)
    return fields


def folder_bytes(folder: Path) -> dict[str, bytes]:
    """Every file of a result folder but the manifest (times, the worker count) and the run files (wall times)."""
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != "manifest.json" and p.parent.name != "runs"
    }


# --- the batch size -----------------------------------------------------------------------------------------


def test_the_first_batches_hold_one_run_then_as_many_as_fit_the_aim() -> None:
    sizer = BatchSizer(workers=2)
    assert sizer.size(1000) == 1, "nothing measured yet: one run, so every worker starts at once"
    sizer.observe(BATCH_SECONDS / 10)
    assert sizer.size(1000) == 10
    sizer.observe(BATCH_SECONDS / 10)
    assert sizer.size(1000) == 10, "the mean of the runs seen"
    assert sizer.size(0) == 0


def test_batches_shrink_towards_the_end_and_stay_within_bounds() -> None:
    sizer = BatchSizer(workers=2)
    sizer.observe(0.0)  # runs that take no measurable time
    assert sizer.size(10_000) == MAX_BATCH
    assert sizer.size(40) == 10, "at most a quarter of what is left with 2 workers, 2 batches each"
    assert sizer.size(3) == 1
    slow = BatchSizer(workers=2)
    slow.observe(10 * BATCH_SECONDS)
    assert slow.size(1000) == 1, "a run longer than the aim travels alone"


def test_a_fixed_batch_size_is_kept_to_the_last_runs() -> None:
    sizer = BatchSizer(workers=2, fixed=4)
    assert [sizer.size(n) for n in (10, 4, 3)] == [4, 4, 3]
    with pytest.raises(ValueError, match="at least one"):
        BatchSizer(workers=2, fixed=0)


# --- records ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("batch", [1, 4, None], ids=["batch-1", "batch-4", "sized"])
def test_every_record_of_a_batch_is_stored_on_its_own_and_equals_one_worker(tmp_path: Path, batch: int | None) -> None:
    todo = tasks(7)
    one, many = RunStore(tmp_path / "one"), RunStore(tmp_path / "many")
    with Engine(options(workers=1)) as engine:
        engine.run(todo, one)
    with Engine(options(batch=batch)) as engine:
        stats = engine.run(todo, many)
    assert (stats.executed, stats.reused, stats.failed) == (7, 0, 0)
    for task in todo:
        assert many.path(task.task_id).is_file(), f"{task.task_id} has no file of its own"
        assert many.finished(task)
        assert without_time(many.read(task.task_id)) == without_time(one.read(task.task_id))


def test_a_failing_run_inside_a_batch_does_not_lose_its_siblings(tmp_path: Path) -> None:
    todo = tasks(4)
    todo.insert(2, broken(todo[0], "broken", tmp_path))
    store = RunStore(tmp_path / "runs")
    with Engine(options(batch=5)) as engine:  # all five in one batch
        stats = engine.run(todo, store)
    assert (stats.executed, stats.failed) == (5, 1)
    [error] = store.failures(todo)
    assert error.task_id == "broken" and "missing.csv" in (error.error or "")
    assert [t.task_id for t in todo if store.finished(t)] == ["r0000", "r0001", "r0002", "r0003"]


class StopAfter(RunStore):
    """A run store that is interrupted (as by Ctrl-C) once it has stored `n` records."""

    def __init__(self, root: Path, n: int) -> None:
        super().__init__(root)
        self.n = n

    def write(self, record: RunRecord) -> None:
        if self.n == 0:
            raise KeyboardInterrupt
        super().write(record)
        self.n -= 1


def test_resume_after_an_interrupted_batched_run_does_only_the_missing_runs(tmp_path: Path) -> None:
    todo = tasks(9)
    with pytest.raises(KeyboardInterrupt), Engine(options(batch=3)) as engine:
        engine.run(todo, StopAfter(tmp_path / "runs", 4))
    store = RunStore(tmp_path / "runs")
    kept = [t.task_id for t in todo if store.finished(t)]
    assert len(kept) == 4, "every record that came back before the stop is stored"
    with Engine(options(batch=3)) as engine:
        stats = engine.run(todo, store)
    assert (stats.executed, stats.reused, stats.failed) == (5, 4, 0)
    assert all(store.finished(t) for t in todo)


# --- result folders -----------------------------------------------------------------------------------------


def _compare(
    cli: Callable[..., CliResult], monkeypatch: pytest.MonkeyPatch, files: list[Path], out: Path, *flags: str
) -> Path:
    """`compare` through the command line, with the engine's batch size set by a `--batch N` flag of this test."""
    batch = None
    if "--batch" in flags:
        i = flags.index("--batch")
        batch, flags = int(flags[i + 1]), flags[:i] + flags[i + 2 :]
    real = pipeline.engine_options

    def with_batch(args: argparse.Namespace) -> EngineOptions:
        return EngineOptions(**{**real(args).__dict__, "batch": batch})

    monkeypatch.setattr(pipeline, "engine_options", with_batch)
    result = cli("compare", *files, "--out", out, "-q", *flags)
    assert result.code == 0, result.err
    return out / FOLDER


@pytest.fixture
def scenario_files(tmp_path: Path) -> list[Path]:
    (tmp_path / "base.yaml").write_text(BASE_YAML, encoding="utf-8")
    (tmp_path / "lever.yaml").write_text(LEVER_YAML, encoding="utf-8")
    return [tmp_path / "base.yaml", tmp_path / "lever.yaml"]


def test_result_folders_are_byte_identical_whatever_the_workers_and_batches(
    tmp_path: Path, cli: Callable[..., CliResult], monkeypatch: pytest.MonkeyPatch, scenario_files: list[Path]
) -> None:
    """Tables, reports, figures and HTML pages alike; and every run record but its wall time."""
    cases = {
        "w1": ("--workers", "1"),
        "w2-b1": ("--workers", "2", "--batch", "1"),
        "w2-b4": ("--workers", "2", "--batch", "4"),
        "w2-sized": ("--workers", "2"),
    }
    folders = {name: _compare(cli, monkeypatch, scenario_files, tmp_path / name, *f) for name, f in cases.items()}
    reference = folder_bytes(folders["w1"])
    assert any(name.startswith("plots/") for name in reference), "the figures are compared too"
    runs = RunStore(folders["w1"] / "runs")
    ids = sorted(p.stem for p in runs.root.glob("*-r*.json"))
    assert len(ids) == 6
    for name, folder in folders.items():
        assert folder_bytes(folder) == reference, name
        other = RunStore(folder / "runs")
        assert [without_time(other.read(i)) for i in ids] == [without_time(runs.read(i)) for i in ids], name


def test_resume_of_a_batched_command_runs_only_the_missing_runs(
    tmp_path: Path, cli: Callable[..., CliResult], monkeypatch: pytest.MonkeyPatch, scenario_files: list[Path]
) -> None:
    folder = _compare(cli, monkeypatch, scenario_files, tmp_path / "out", "--workers", "2", "--batch", "4")
    before = folder_bytes(folder)
    lost = ["base-r0001", "lever-r0000", "lever-r0002"]
    for task_id in lost:
        (folder / "runs" / f"{task_id}.json").unlink()
    marked = json.loads((folder / "runs" / "base-r0000.json").read_text(encoding="utf-8"))
    flags = ("--workers", "2", "--batch", "4", "--resume", "--no-plots")
    _compare(cli, monkeypatch, scenario_files, tmp_path / "out", *flags)
    manifest = read_json(folder / "manifest.json")
    assert (manifest["runs_executed"], manifest["runs_reused"]) == (3, 3)
    kept = json.loads((folder / "runs" / "base-r0000.json").read_text(encoding="utf-8"))
    assert kept["wall_seconds"] == marked["wall_seconds"], "a kept run is not run again"
    after = folder_bytes(folder)
    assert {k: v for k, v in after.items() if k.endswith(".csv")} == {
        k: v for k, v in before.items() if k.endswith(".csv")
    }


# --- start-up -----------------------------------------------------------------------------------------------


def test_the_wait_for_the_pool_runs_the_commands_own_preparation_in_its_thread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    slow_start = Engine._start_pool

    def slower(engine: Engine) -> None:
        time.sleep(0.5)  # a pool still starting when the command first needs it, as after a fresh launch
        slow_start(engine)

    monkeypatch.setattr(Engine, "_start_pool", slower)
    seen: list[bool] = []

    def prepare() -> None:
        seen.append(threading.current_thread() is threading.main_thread())

    with Engine(options(), while_starting=prepare) as engine:
        engine.run(tasks(3), RunStore(tmp_path / "two"))
        engine.run(tasks(3, firms=400), RunStore(tmp_path / "again"))
    assert seen == [True], "once, in the command's own thread"
    with Engine(options(workers=1), while_starting=prepare) as engine:
        engine.run(tasks(2), RunStore(tmp_path / "one"))
    assert seen == [True], "no pool, no wait: one worker runs in the command"


def test_the_report_is_prepared_only_when_something_will_read_it() -> None:
    args = argparse.Namespace
    assert report_ahead("compare", args(no_plots=True, quiet=True)) is None
    assert report_ahead("compare", args(no_plots=True, quiet=False)) is not None
    assert report_ahead("compare", args(no_plots=False, quiet=True)) is not None
    prepare_report("no such command", figures=True)  # a failure is left for the draw to report


def test_the_fork_server_is_started_early_only_for_a_local_pool(monkeypatch: pytest.MonkeyPatch) -> None:
    started: list[bool] = []
    monkeypatch.setattr("experiments.engine.prestart.start_helpers", lambda: started.append(True))
    for workers, engine in ((1, "local"), (4, "dask"), (1, "dask")):
        for_command(workers, engine)
    assert started == []
    for_command(2, "local")
    assert started == [True]
