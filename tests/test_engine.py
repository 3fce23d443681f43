"""The experiment engine: records, the run store, resume and failures."""

from __future__ import annotations

import json

import pytest

from experiments.engine import EngineOptions, RunRecord, RunStore, Task, execute, run_tasks
from experiments.runner import replication_seeds
from tests.helpers import shipped

OPTIONS = EngineOptions(workers=1, progress=False)


def small_tasks(n: int = 3) -> list[Task]:
    sc = shipped("baseline", {"firms.count": 300, "years.end": 2025})
    return [Task(f"r{r:04d}", sc, seed, {"replication": r}) for r, seed in enumerate(replication_seeds(5, n))]


def test_execute_matches_simulate() -> None:
    from model import simulate

    task = small_tasks(1)[0]
    rec = execute(task)
    res = simulate(task.scenario, task.seed)
    assert rec.error is None
    assert rec.metrics == pytest.approx(res.metrics, nan_ok=True)
    assert [row["year"] for row in rec.timeseries or []] == [2023, 2024, 2025]


def test_a_failing_run_is_recorded_and_the_rest_go_on(tmp_path) -> None:
    tasks = small_tasks(2)
    broken = tasks[0].scenario.model_copy(
        update={
            "world": tasks[0].scenario.world.model_copy(
                update={
                    "data": tasks[0].scenario.world.data.model_copy(update={"places": str(tmp_path / "missing.csv")})
                }
            )
        }
    )
    tasks.insert(1, Task("broken", broken, 1, {"replication": 99}))
    store = RunStore(tmp_path / "exp")
    executed, failed = run_tasks(tasks, store, OPTIONS)
    assert (executed, failed) == (3, 1)
    error = store.read("broken")
    assert error is not None and error.metrics is None and "missing.csv" in (error.error or "")
    assert [r.task_id for r in store.records(tasks)] == ["r0000", "broken", "r0001"]


def test_resume_skips_finished_runs_and_fresh_start_clears_them(tmp_path) -> None:
    tasks = small_tasks(3)
    store = RunStore(tmp_path / "exp")
    run_tasks(tasks[:2], store, OPTIONS)
    first = store.path("r0000").read_text(encoding="utf-8")
    # a marker proves the finished run was not executed again
    marked = json.loads(first)
    marked["wall_seconds"] = -1.0
    store.path("r0000").write_text(json.dumps(marked), encoding="utf-8")
    executed, _ = run_tasks(tasks, store, EngineOptions(workers=1, progress=False, resume=True))
    assert executed == 1
    assert store.read("r0000").wall_seconds == -1.0  # type: ignore[union-attr]
    executed, _ = run_tasks(tasks, store, OPTIONS)
    assert executed == 3
    assert store.read("r0000").wall_seconds >= 0  # type: ignore[union-attr]


def test_records_round_trip_exactly() -> None:
    rec = RunRecord(
        "t", 3, {"point": 1, "x": 0.1}, metrics={"a": float("nan"), "b": 1 / 3}, timeseries=[{"year": 2023}]
    )
    back = RunRecord.from_json(rec.to_json())
    assert back.to_json() == rec.to_json()
    assert back.metrics is not None and back.metrics["b"] == 1 / 3


def test_task_ids_must_be_unique(tmp_path) -> None:
    tasks = small_tasks(1) * 2
    with pytest.raises(ValueError, match="unique"):
        run_tasks(tasks, RunStore(tmp_path), OPTIONS)


def test_two_workers_write_the_same_runs(tmp_path) -> None:
    tasks = small_tasks(4)
    one, two = RunStore(tmp_path / "one"), RunStore(tmp_path / "two")
    run_tasks(tasks, one, OPTIONS)
    run_tasks(tasks, two, EngineOptions(workers=2, progress=False))
    for task in tasks:
        a, b = one.read(task.task_id), two.read(task.task_id)
        assert a is not None and b is not None
        assert (a.metrics, a.timeseries, a.labels, a.seed) == (b.metrics, b.timeseries, b.labels, b.seed)
