"""The engine, the run store and result folders: records, resume by task key, failures, claims, publishing."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from experiments.engine.folders import MANIFEST, ResultFolder
from experiments.engine.pool import Engine, EngineOptions, Fault
from experiments.engine.seeds import DRAWN, master_seed
from experiments.engine.store import Reducer, RunRecord, RunStore, Task, digest, scenario_content
from experiments.engine.worker import execute
from experiments.facts.catalogue import HINDCAST_SUMMARY
from model.config import Scenario
from model.errors import InputError
from model.metrics import Results
from model.outcomes import HORIZON
from model.seeds import replication_seeds
from tests.conftest import HANG_GUARD_S, ROOT
from tests.helpers import shipped

OPTIONS = EngineOptions(workers=1, progress=False)


def small_tasks(n: int = 3, firms: int = 300) -> list[Task]:
    sc = shipped("baseline", {"firms.count": firms, "years.end": 2025})
    return [Task(f"r{r:04d}", sc, seed, {"replication": r}) for r, seed in enumerate(replication_seeds(5, n))]


def _run(tasks: list[Task], store: RunStore, options: EngineOptions = OPTIONS) -> tuple[int, int, int]:
    with Engine(options) as engine:
        stats = engine.run(tasks, store)
    return stats.executed, stats.reused, stats.failed


# --- runs and records --------------------------------------------------------------------------------


def test_execute_matches_simulate() -> None:
    from model import simulate

    task = small_tasks(1)[0]
    rec = execute(task)
    res = simulate(task.scenario, task.seed)
    assert rec.ok and rec.key == task.key
    assert rec.metrics == pytest.approx(res.metrics, nan_ok=True)
    years = [row["year"] for row in rec.timeseries or []]
    assert years == list(range(task.scenario.years.start, 2026))
    assert rec.flows is None, "flows are kept only when the task asks"


def test_records_round_trip_exactly() -> None:
    metrics = {m: float("nan") if i == 0 else i / 3 for i, m in enumerate(HORIZON)}
    rec = RunRecord("t", "k", 3, {"point": 1, "x": 0.1}, metrics=metrics, timeseries=[{"year": 2020.0}])
    back = RunRecord.from_json(rec.to_json())
    assert back.to_json() == rec.to_json()
    assert back.metrics is not None and back.metrics[HORIZON[1]] == 1 / 3


@pytest.mark.parametrize(
    "damage",
    [
        "[]",
        '{"task_id": "t"}',
        "metrics-missing",
        "metrics-wrong",
        "timeseries-empty",
        "seed-text",
    ],
)
def test_a_damaged_run_file_is_not_a_run_and_resume_does_it_again(tmp_path: Path, damage: str) -> None:
    """A record that is not what a worker writes (a KeyError or a header-only table later) counts as not run."""
    (task,) = small_tasks(1)
    good = execute(task)
    assert good.ok
    doc = json.loads(good.to_json())
    if damage == "metrics-missing":
        del doc["metrics"][HORIZON[0]]
    elif damage == "metrics-wrong":
        doc["metrics"] = {"x": "y"}
    elif damage == "timeseries-empty":
        doc["timeseries"] = []
    elif damage == "seed-text":
        doc["seed"] = "3"
    text = damage if damage.startswith(("[", "{")) else json.dumps(doc)
    store = RunStore(tmp_path / "runs")
    store.root.mkdir()
    store.path(task.task_id).write_text(text, encoding="utf-8")
    assert store.read(task.task_id) is None
    assert not store.finished(task)
    store.write(good)
    assert store.finished(task)
    assert [rec.key for _t, rec in store.records([task])] == [task.key]


def test_the_task_key_follows_what_the_numbers_depend_on() -> None:
    a, b = small_tasks(2)
    renamed = Task(a.task_id, a.scenario.model_copy(update={"name": "other", "description": "x"}), a.seed)
    assert renamed.key == a.key, "name and description do not change a run"
    assert a.key != b.key, "another seed is another run"
    more = Task(a.task_id, shipped("baseline", {"firms.count": 301, "years.end": 2025}), a.seed)
    assert more.key != a.key
    assert Task(a.task_id, a.scenario, a.seed, flows=True).key != a.key


def test_a_reduced_run_keeps_the_key_it_was_always_stored_under() -> None:
    """`--resume` of a folder written with Task(summary=True) finds its runs: the key bytes are unchanged."""
    (a,) = small_tasks(1)
    reduced = Task(a.task_id, a.scenario, a.seed, reducer=HINDCAST_SUMMARY)
    before = {"run": scenario_content(a.scenario), "seed": a.seed, "flows": False, "summary": 1}
    assert reduced.key == digest(before) != a.key
    assert Task(a.task_id, a.scenario, a.seed, reducer=Reducer(HINDCAST_SUMMARY.target, 2)).key != reduced.key


def reduce_for_test(results: Results, scenario: Scenario) -> dict[str, float]:
    """A reducer named by a test: the worker finds it by "module:function"."""
    return {"years": float(len(results.timeseries)), "firms": float(scenario.firms.count)}


def test_the_worker_runs_the_reducer_a_task_names_and_keeps_no_yearly_rows() -> None:
    (a,) = small_tasks(1, firms=100)
    task = Task(a.task_id, a.scenario, a.seed, reducer=Reducer("tests.test_engine:reduce_for_test", 99))
    rec = execute(task)
    years = a.scenario.years.end - a.scenario.years.start + 1
    assert rec.ok and rec.summary == {"years": float(years), "firms": 100.0}
    assert rec.timeseries is None and rec.mobility is None and rec.metrics


def test_the_engine_imports_no_command_and_no_facts() -> None:
    probe = (
        "import sys\n"
        "import experiments.engine.worker, experiments.engine.worker_entry, experiments.engine.pool\n"
        "import experiments.engine.store, experiments.engine.task_pool\n"
        "print(sorted(m for m in sys.modules if m.startswith('experiments.') and not m.startswith("
        "('experiments.engine', 'experiments.analysis'))))\n"
    )
    proc = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


def test_a_failing_run_is_recorded_and_the_rest_go_on(tmp_path: Path) -> None:
    tasks = small_tasks(2)
    world = tasks[0].scenario.world
    data = world.data.model_copy(update={"places": str(tmp_path / "missing.csv")})
    broken = tasks[0].scenario.model_copy(update={"world": world.model_copy(update={"data": data})})
    tasks.insert(1, Task("broken", broken, 1, {"replication": 99}))
    store = RunStore(tmp_path / "runs")
    assert _run(tasks, store) == (3, 0, 1)
    [error] = store.failures(tasks)
    assert error.task_id == "broken" and "missing.csv" in (error.error or "") and "\n" not in (error.error or "")
    assert [t.task_id for t, _ in store.records(tasks)] == ["r0000", "broken", "r0001"]


def test_finished_runs_are_reused_only_for_the_same_task(tmp_path: Path) -> None:
    tasks = small_tasks(3)
    store = RunStore(tmp_path / "runs")
    _run(tasks[:2], store)
    marked = json.loads(store.path("r0000").read_text(encoding="utf-8"))
    marked["wall_seconds"] = -1.0  # proves the stored run is not executed again
    store.path("r0000").write_text(json.dumps(marked), encoding="utf-8")
    assert _run(tasks, store) == (1, 2, 0)
    assert store.read("r0000").wall_seconds == -1.0  # type: ignore[union-attr]
    other = [Task(t.task_id, t.scenario, t.seed + 1, t.labels) for t in tasks]
    assert _run(other, store) == (3, 0, 0), "runs made with other seeds are not reused"
    store.path("r0001").write_text("{ damaged", encoding="utf-8")
    assert _run(other, store) == (1, 2, 0), "a damaged run file is run again"


def test_task_ids_must_be_unique(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unique"):
        _run(small_tasks(1) * 2, RunStore(tmp_path))


def test_two_workers_write_the_same_runs(tmp_path: Path) -> None:
    tasks = small_tasks(4)
    one, two = RunStore(tmp_path / "one"), RunStore(tmp_path / "two")
    _run(tasks, one)
    _run(tasks, two, EngineOptions(workers=2, progress=False))
    for task in tasks:
        a, b = one.read(task.task_id), two.read(task.task_id)
        assert a is not None and b is not None
        assert (a.metrics, a.timeseries, a.labels, a.seed, a.key) == (b.metrics, b.timeseries, b.labels, b.seed, b.key)


def test_an_unreachable_scheduler_is_a_fault_and_no_scheduler_a_usage_error(tmp_path: Path) -> None:
    pytest.importorskip("distributed")
    with pytest.raises(InputError, match="--scheduler"):
        Engine(EngineOptions(engine="dask", progress=False)).__enter__()
    options = EngineOptions(engine="dask", scheduler="tcp://127.0.0.1:9", progress=False, connect_timeout_s=1.0)
    with pytest.raises(Fault, match="cannot reach"), Engine(options) as engine:
        engine.run(small_tasks(2), RunStore(tmp_path))


# --- the seed rule -------------------------------------------------------------------------------------


def test_the_master_seed_rule() -> None:
    assert master_seed(7, [(3, "file")]) == (7, "--seed")
    assert master_seed(None, [(None, "experiment"), (3, "base")]) == (3, "base")
    assert master_seed(None, [], {"master_seed": 11, "seed_source": DRAWN}) == (11, DRAWN)
    # a seed given on an earlier command line is not reused silently: only a drawn one is
    assert master_seed(None, [], {"master_seed": 11, "seed_source": "--seed"})[1] == DRAWN
    drawn, source = master_seed(None, [(None, "file")])
    assert source == DRAWN and 0 <= drawn < 2**63


# --- result folders --------------------------------------------------------------------------------


def _published(folder: ResultFolder, files: dict[str, str], fingerprint: str = "f1", command: str = "run") -> None:
    def build(tmp: Path) -> None:
        for name, text in files.items():
            (tmp / name).write_text(text, encoding="utf-8")
        (tmp / MANIFEST).write_text(json.dumps({"command": command, "fingerprint": fingerprint}), encoding="utf-8")

    with folder.locked():
        folder.claim(command, fingerprint, overwrite=False, resume=False)
        folder.store.write_state({"command": command, "fingerprint": fingerprint})
        folder.publish(build)


def test_publish_swaps_in_a_whole_set_and_removes_stale_results(tmp_path: Path) -> None:
    folder = ResultFolder(tmp_path, "x")
    _published(folder, {"a.csv": "1", "old.csv": "stale"})
    _published(folder, {"a.csv": "2"})
    assert sorted(p.name for p in folder.path.iterdir()) == ["a.csv", "manifest.json", "runs"]
    assert (folder.path / "a.csv").read_text() == "2"


def test_claims_refuse_other_commands_and_inputs(tmp_path: Path) -> None:
    folder = ResultFolder(tmp_path, "x")
    _published(folder, {"a.csv": "1"})
    with folder.locked():
        with pytest.raises(InputError, match="results of `run`, not `sweep`"):
            folder.claim("sweep", "f1", overwrite=False, resume=False)
        with pytest.raises(InputError, match="other inputs"):
            folder.claim("run", "f2", overwrite=False, resume=True)
        folder.claim("run", "f2", overwrite=True, resume=False)
    assert (folder.path / "a.csv").read_text() == "1", "--overwrite keeps the old results until the new are published"


def test_a_second_command_on_the_same_folder_waits_its_turn(tmp_path: Path) -> None:
    first, second = ResultFolder(tmp_path, "x"), ResultFolder(tmp_path, "x")
    with first.locked(), pytest.raises(InputError, match="another relocsim command is writing"), second.locked():
        pass


def test_leftovers_of_a_killed_command_are_cleared_under_the_lock(tmp_path: Path) -> None:
    folder = ResultFolder(tmp_path, "x")
    _published(folder, {"a.csv": "1"})
    (folder.path / ".publish-123-456").mkdir()
    (folder.path / ".publish-123-456" / "half.csv").write_text("half")
    (folder.store.root / ".r0000.json.123.tmp").write_text("half")
    (tmp_path / ".x.tmp-1-2").mkdir()  # beside it, from the version before this one
    with folder.locked():
        pass
    hidden = [p for p in tmp_path.rglob(".*")]
    assert hidden == [], hidden


def test_a_folder_created_for_a_command_that_fails_early_is_removed(tmp_path: Path) -> None:
    folder = ResultFolder(tmp_path, "new")
    with pytest.raises(InputError), folder.locked():
        raise InputError("x.yaml", "key", "bad")
    assert not folder.path.exists()


# --- killing a command ------------------------------------------------------------------------------

SLOW = """\
name: slow
base: {base}
seed: 3
replications: 2
firms: 10000
factors:
  policies.talent.annual_budget_yuan: {{values: [0, 1.0e9, 2.0e9, 3.0e9]}}
outcomes: [north_share_jobs]
"""


def _children(pid: int) -> set[int]:
    """Every descendant of a process, from /proc."""
    kids: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:
            continue
        kids.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    out, todo = set(), [pid]
    while todo:
        for child in kids.get(todo.pop(), []):
            out.add(child)
            todo.append(child)
    return out


@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGKILL], ids=["term", "kill-9"])
def test_killing_a_command_kills_its_workers_and_resume_cleans_up(tmp_path: Path, how: signal.Signals) -> None:
    if not Path("/proc/self/stat").exists():
        pytest.skip("needs /proc to find the workers")
    experiment = tmp_path / "slow.yaml"
    experiment.write_text(SLOW.format(base=ROOT / "scenarios" / "baseline.yaml"), encoding="utf-8")
    out = tmp_path / "out"
    argv = [sys.executable, "run.py", "sweep", str(experiment), "--out", str(out), "--workers", "2", "-q"]
    proc = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    runs = out / "sweep-slow" / "runs"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(list(runs.glob("p*.json")) if runs.is_dir() else []) < 2:
        time.sleep(0.1)
    workers = _children(proc.pid)
    assert len(workers) >= 2, "the pool should be running"
    os.kill(proc.pid, how)
    _out, err = proc.communicate(timeout=30)
    time.sleep(1.5)  # the workers notice within a fraction of a second
    alive = {p for p in workers if Path(f"/proc/{p}").exists() and "Z" not in Path(f"/proc/{p}/stat").read_text()}
    assert not alive, f"orphan worker processes {alive}"
    if how == signal.SIGKILL:
        return  # resuming after kill -9: tests/test_sweep.py
    assert proc.returncode == 1 and len(err.strip().splitlines()) == 1 and "interrupted" in err, err
    done = subprocess.run([*argv, "--resume"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert not [p for p in out.rglob(".*")], "hidden work files left after resume"
    assert (out / "sweep-slow" / MANIFEST).is_file()


# --- Dask: every failure of the cluster is one line, within a stated time ----------------------------------------


@pytest.mark.parametrize(
    "address", ["garbage", "tcp://[::1", "inproc://x", "tls://", "tcp://127.0.0.1:99999", "tcp://h:1 x", "tcp://:80"]
)
def test_a_malformed_scheduler_address_is_bad_input_before_anything_starts(address: str) -> None:
    with pytest.raises(InputError) as info:
        EngineOptions(engine="dask", scheduler=address, progress=False).check()
    assert info.value.key == "--scheduler" and "tcp://HOST:PORT" in (info.value.allowed or "")


@pytest.mark.parametrize("address", ["tcp://127.0.0.1:8786", "tls://[::1]:8786", "tcp://sched-1.cluster:9000"])
def test_a_well_formed_scheduler_address_passes_the_check(address: str) -> None:
    EngineOptions(engine="dask", scheduler=address, progress=False).check()


def test_a_service_that_is_not_dask_is_a_fault_within_the_connect_timeout() -> None:
    """A listener that accepts and never speaks Dask's protocol hung the command forever."""
    import socket

    from experiments.engine.cluster import CONNECT_MARGIN_S, connect

    pytest.importorskip("distributed")
    from distributed import Client

    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        t0 = time.monotonic()
        with pytest.raises(Fault, match="cannot reach a Dask scheduler"):
            connect(Client, f"tcp://127.0.0.1:{silent.getsockname()[1]}", 1.0)
        assert time.monotonic() - t0 < HANG_GUARD_S  # a hang guard; it takes 1 s + at most CONNECT_MARGIN_S
    assert CONNECT_MARGIN_S > 0


class _FakeClient:
    """A Dask client whose cluster loses its workers, or its scheduler, after the first submissions."""

    def __init__(self, workers: int, fail_wait: BaseException | None = None) -> None:
        self.workers, self.fail_wait, self.submitted = workers, fail_wait, 0

    def scheduler_info(self) -> dict[str, dict[str, int]]:
        return {"workers": {f"w{i}": i for i in range(self.workers)}}

    def submit(self, *_args: object, **_kw: object) -> object:
        self.submitted += 1
        return object()

    def as_current(self) -> object:
        import contextlib

        return contextlib.nullcontext()


def test_a_cluster_without_workers_is_a_fault_after_a_stated_time(monkeypatch: pytest.MonkeyPatch) -> None:
    from experiments.engine import cluster

    monkeypatch.setattr(cluster, "WORKERLESS_S", 0.05)
    client = _FakeClient(workers=0)

    def never_done(futures: set[object], timeout: float, return_when: str) -> None:
        time.sleep(0.03)
        raise TimeoutError

    with pytest.raises(Fault, match="no worker"):
        list(cluster._records(client, never_done, small_tasks(3)))


def test_a_lost_scheduler_is_one_fault_and_the_finished_runs_stay(monkeypatch: pytest.MonkeyPatch) -> None:
    from experiments.engine import cluster

    class CommClosedError(OSError):
        pass

    client = _FakeClient(workers=2, fail_wait=CommClosedError("scheduler-connection-lost"))

    def lost(futures: set[object], timeout: float, return_when: str) -> None:
        raise CommClosedError("scheduler-connection-lost")

    with pytest.raises(Fault, match=r"lost the Dask cluster .*rerun with --resume"):
        list(cluster._records(client, lost, small_tasks(3)))
