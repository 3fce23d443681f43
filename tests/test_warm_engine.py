"""Runs an experiment does not need are not run: identical tasks once, warm starts, and the model-years counted.

experiments.engine.sharing (the ledger the engine keeps) and the result
folders of whole commands with warm starts on and off (the switch is the
environment variable RELOCSIM_WARM_CACHE_MB, read when a process starts).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from experiments.engine import warm
from experiments.engine.pool import Engine, EngineOptions
from experiments.engine.sharing import Ledger
from experiments.engine.store import RunStore, Task
from model.seeds import replication_seeds
from tests.conftest import HANG_GUARD_S, ROOT, read_json
from tests.helpers import shipped
from tools.output_digest import digest_folder

FIRMS = 600


def tasks_of(names: list[str], replications: int = 2, **overrides: object) -> list[Task]:
    """Scenario-major tasks on common seeds, as compare plans them."""
    seeds = replication_seeds(3, replications)
    out = []
    for name in names:
        sc = shipped(name, {"firms.count": FIRMS, **overrides})
        for r, seed in enumerate(seeds):
            out.append(Task(f"{name}-r{r:04d}", sc, seed, {"scenario": name, "replication": r}))
    return out


def run(tasks: list[Task], store: RunStore, workers: int = 1) -> Engine:
    with Engine(EngineOptions(workers=workers, progress=False)) as engine:
        engine.run(tasks, store)
    return engine


def test_identical_tasks_are_run_once_and_each_gets_its_own_record(tmp_path: Path) -> None:
    tasks = tasks_of(["baseline"])
    twins = [Task(f"twin-{t.task_id}", t.scenario, t.seed, {**t.labels, "point": "twin"}) for t in tasks]
    store = RunStore(tmp_path)
    engine = run([*tasks, *twins], store)
    assert engine.ledger.identical == 2 * 17 and engine.ledger.asked == 4 * 17
    for task, twin in zip(tasks, twins, strict=True):
        a, b = store.read(task.task_id), store.read(twin.task_id)
        assert a is not None and b is not None and b.labels == twin.labels and b.task_id == twin.task_id
        same = ("key", "seed", "metrics", "timeseries", "mobility", "error")
        assert [getattr(a, f) for f in same] == [getattr(b, f) for f in same]
    assert [t.task_id for t, _ in store.records([*tasks, *twins])] == [t.task_id for t in [*tasks, *twins]]


def test_the_plans_figure_is_what_one_worker_saves_and_it_does_not_change_with_the_workers(tmp_path: Path) -> None:
    tasks = tasks_of(["baseline", "talent", "relocation_aid"])
    warm.reset()
    one = run(tasks, RunStore(tmp_path / "one"))
    assert one.ledger.warm_plan == 2 * 2 * 5, "two packages × two seeds resume after 2023"
    assert one.ledger.warm_done == one.ledger.warm_plan, "one worker does what the plan says"
    two = run(tasks, RunStore(tmp_path / "two"), workers=2)
    assert two.ledger.manifest() == one.ledger.manifest()
    assert 0 <= two.ledger.warm_done <= two.ledger.warm_plan
    for task in tasks:
        a, b = RunStore(tmp_path / "one").read(task.task_id), RunStore(tmp_path / "two").read(task.task_id)
        assert a is not None and b is not None
        assert (a.metrics, a.timeseries, a.mobility) == (b.metrics, b.timeseries, b.mobility)


def test_runs_that_share_a_state_run_one_after_the_other_and_the_rest_keep_their_order() -> None:
    tasks = tasks_of(["baseline", "talent", "relocation_aid"])
    alone = shipped("baseline", {"firms.count": FIRMS, "behaviour.push.intercept": -4.0})
    tasks.insert(1, Task("alone", alone, 1, {}))
    runs = Ledger().runs(tasks)
    ids = [t.task_id for t in runs]
    assert ids == [
        "baseline-r0000",
        "talent-r0000",
        "relocation_aid-r0000",
        "alone",
        "baseline-r0001",
        "talent-r0001",
        "relocation_aid-r0001",
    ]
    assert [bool(t.warm) for t in runs] == [True, True, True, False, True, True, True]
    assert all(t.key == u.key for t in runs for u in tasks if u.task_id == t.task_id)


def test_a_lever_in_the_first_year_saves_nothing(tmp_path: Path) -> None:
    tasks = tasks_of(["baseline", "talent"], **{"policies.talent.start_year": 2019})
    ledger = Ledger()
    ledger.runs(tasks)
    assert ledger.warm_plan == 0 and ledger.identical == 0


def test_the_line_says_what_was_not_simulated() -> None:
    ledger = Ledger(asked=5100, identical=40, warm_plan=1500, warm_done=1190)
    line = ledger.line()
    assert line is not None and line.startswith("warm starts: 1,230 of 5,100 model-years not simulated again (24 %")
    assert "1,500" in line, "the plan's figure is named when the workers saved less"
    assert Ledger().line() is None


def _command(args: list[str], out: Path, warm_mb: str, workers: int) -> str:
    env = {**os.environ, warm.ENV: warm_mb}
    argv = [sys.executable, "run.py", *args, "--out", str(out), "--workers", str(workers), "--no-plots"]
    proc = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=HANG_GUARD_S, check=False)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


COMMANDS = {
    "compare": [
        "compare",
        "scenarios/baseline.yaml",
        "scenarios/talent.yaml",
        "scenarios/article_package.yaml",
        "--firms",
        "500",
        "--replications",
        "3",
        "--seed",
        "4",
    ],
    "sweep": ["sweep", "experiments/examples/aid_per_job.yaml", "--firms", "300", "--replications", "2", "--seed", "5"],
}


@pytest.mark.parametrize("command", list(COMMANDS))
def test_a_result_folder_is_the_same_bytes_with_warm_starts_on_and_off(tmp_path: Path, command: str) -> None:
    args = COMMANDS[command]
    printed = _command(args, tmp_path / "on", "256", workers=2)
    _command(args, tmp_path / "off", "0", workers=1)
    [on] = [p for p in (tmp_path / "on").iterdir() if not p.name.startswith(".")]
    [off] = [p for p in (tmp_path / "off").iterdir() if not p.name.startswith(".")]
    a, b = digest_folder(on, tmp_path / "on"), digest_folder(off, tmp_path / "off")
    assert a.pop("manifest.json") != b.pop("manifest.json"), "the workers differ, and the manifest says so"
    assert a == b
    ma, mb = read_json(on / "manifest.json"), read_json(off / "manifest.json")
    assert ma["model_years"] == mb["model_years"] and ma["model_years"]["warm_starts"] > 0
    assert "model-years not simulated again" in printed.splitlines()[-1]
