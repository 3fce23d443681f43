"""Running many model runs: a local process pool or a Dask cluster, streamed to disk.

An experiment is a list of `Task`s (a scenario, a seed, and labels such as the
replication or the factor values of a sweep point). `run_tasks` executes them
and writes each finished run at once, atomically, as `runs/<task id>.json` in
a `RunStore`; a run that raises is written as `runs/<task id>.error.json` and
the rest go on. With `resume`, tasks whose file exists are skipped, so an
experiment killed mid-way continues where it stopped. Tables are assembled from
the run files in task order, so the output is byte-identical whatever the
engine, the worker count or the order in which runs finished.
"""

from __future__ import annotations

import hashlib
import json
import logging
import multiprocessing
import os
import time
import traceback
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from experiments.progress import progress_bar
from model.config import Scenario
from model.errors import InputError
from model.model import simulate
from model.world import world_for

logger = logging.getLogger(__name__)

Engine = Literal["local", "dask"]
RUNS_DIR = "runs"
STATE_FILE = "experiment.json"  # in runs/: what the runs were made for (seed, fingerprint), checked on --resume
IN_FLIGHT_PER_WORKER = 2  # bounded queue: memory stays flat however many tasks there are


@dataclass(frozen=True)
class Task:
    """One model run. `labels` (replication, scenario, factor values, …) go into the tables."""

    task_id: str
    scenario: Scenario
    seed: int
    labels: dict[str, Any] = field(default_factory=dict)


@dataclass
class RunRecord:
    """What is kept of one run: its labels, horizon metrics and yearly rows (no flows)."""

    task_id: str
    seed: int
    labels: dict[str, Any]
    metrics: dict[str, float] | None = None
    timeseries: list[dict[str, float]] | None = None
    error: str | None = None
    wall_seconds: float = 0.0

    def to_json(self) -> str:
        return json.dumps(self.__dict__, sort_keys=True, allow_nan=True)

    @classmethod
    def from_json(cls, text: str) -> RunRecord:
        return cls(**json.loads(text))


def execute(task: Task) -> RunRecord:
    """Run one task; an exception becomes a record with its error (module-level: it pickles)."""
    t0 = time.perf_counter()
    try:
        res = simulate(task.scenario, task.seed, world_for(task.scenario))
    except Exception as exc:  # noqa: BLE001 - a failed run is recorded and the experiment goes on
        detail = "".join(traceback.format_exception_only(exc)).strip()
        return RunRecord(task.task_id, task.seed, task.labels, error=detail, wall_seconds=time.perf_counter() - t0)
    return RunRecord(
        task.task_id,
        task.seed,
        task.labels,
        metrics={k: float(v) for k, v in res.metrics.items()},
        timeseries=[{k: float(v) for k, v in row.items()} for row in res.timeseries],
        wall_seconds=time.perf_counter() - t0,
    )


def write_text_atomic(path: Path, text: str) -> None:
    """Write a whole file or nothing: a temporary sibling renamed onto the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def tasks_fingerprint(tasks: Sequence[Task]) -> str:
    """A hash of what each run computes (id, seed, labels, full scenario): resumed runs must match it."""
    digest = hashlib.sha256()
    for task in tasks:
        item = [task.task_id, task.seed, task.labels, task.scenario.model_dump(mode="json")]
        digest.update(json.dumps(item, sort_keys=True, default=str).encode())
    return "sha256:" + digest.hexdigest()


class RunStore:
    """A folder of finished runs, one small JSON file per run, each written atomically."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.runs = self.root / RUNS_DIR

    def path(self, task_id: str, error: bool = False) -> Path:
        return self.runs / (f"{task_id}.error.json" if error else f"{task_id}.json")

    def done(self, task_id: str) -> bool:
        return self.path(task_id).is_file()

    def write(self, record: RunRecord) -> None:
        write_text_atomic(self.path(record.task_id, error=record.error is not None), record.to_json())
        if record.error is None:
            self.path(record.task_id, error=True).unlink(missing_ok=True)

    def read(self, task_id: str) -> RunRecord | None:
        """The finished run, or its error record, or None if it has not run."""
        for error in (False, True):
            p = self.path(task_id, error)
            if p.is_file():
                return RunRecord.from_json(p.read_text(encoding="utf-8"))
        return None

    def read_state(self) -> dict[str, Any] | None:
        """What the stored runs were made for, or None (no state, or an unreadable one)."""
        path = self.runs / STATE_FILE
        try:
            state = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return state if isinstance(state, dict) else None

    def write_state(self, state: dict[str, Any]) -> None:
        write_text_atomic(self.runs / STATE_FILE, json.dumps(state, indent=2, sort_keys=True) + "\n")

    def check_resume(self, fingerprint: str, tasks: Sequence[Task], source: Path) -> None:
        """Refuse to resume into runs made for something else (another design, base scenario or seed)."""
        state = self.read_state()
        if state is None:
            if any(self.read(t.task_id) is not None for t in tasks):
                raise InputError(
                    source,
                    "--resume",
                    f"{self.runs} has runs but no {STATE_FILE} to check them against",
                    "run without --resume to start again",
                )
            return
        if state.get("fingerprint") != fingerprint:
            raise InputError(
                source,
                "--resume",
                f"the runs in {self.runs} were made for a different experiment, base scenario or seed",
                "run without --resume to start again",
            )

    def records(self, tasks: Sequence[Task]) -> Iterator[RunRecord]:
        """Records in task order (missing runs skipped), read one at a time."""
        for task in tasks:
            rec = self.read(task.task_id)
            if rec is not None:
                yield rec


@dataclass
class EngineOptions:
    workers: int = 1
    engine: Engine = "local"
    scheduler: str | None = None
    resume: bool = False
    progress: bool = True


def run_tasks(tasks: Sequence[Task], store: RunStore, options: EngineOptions) -> tuple[int, int]:
    """Execute the tasks not yet done; return (runs executed now, runs that failed in all)."""
    ids = [t.task_id for t in tasks]
    if len(set(ids)) != len(ids):
        raise ValueError("task ids must be unique")
    for leftover in store.runs.glob(".*.tmp") if store.runs.is_dir() else ():
        leftover.unlink(missing_ok=True)  # a write cut short by a kill; its run was not finished
    if not options.resume:
        _clear(store, ids)
    todo = [t for t in tasks if not store.done(t.task_id)]
    if options.resume and len(todo) < len(tasks):
        logger.info("resume: %d of %d runs already done", len(tasks) - len(todo), len(tasks))
    bar = progress_bar(len(tasks), "run", options.progress, initial=len(tasks) - len(todo))
    try:
        source = _run_dask(todo, options) if options.engine == "dask" else _run_local(todo, options.workers)
        for record in source:
            store.write(record)
            if record.error:
                logger.warning("run %s failed: %s", record.task_id, record.error)
            if bar is not None:
                bar.update()
    finally:
        if bar is not None:
            bar.close()
    failed = sum(1 for t in tasks if store.path(t.task_id, error=True).is_file())
    return len(todo), failed


def _clear(store: RunStore, ids: Iterable[str]) -> None:
    """A fresh (non-resumed) experiment starts from no runs."""
    for task_id in ids:
        for error in (False, True):
            store.path(task_id, error).unlink(missing_ok=True)


def process_pool(workers: int) -> ProcessPoolExecutor:
    """The project's local worker pool.

    forkserver, because forking a process that may hold threads (BLAS, tqdm,
    Dask) can deadlock; the model is imported once in the fork server, not in
    every worker (a start-up of 1-3 s each otherwise).
    """
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["experiments.engine"])
    return ProcessPoolExecutor(max_workers=workers, mp_context=ctx)


def _run_local(tasks: Sequence[Task], workers: int) -> Iterator[RunRecord]:
    if workers <= 1:
        for task in tasks:
            yield execute(task)
        return
    with process_pool(workers) as pool:
        yield from _bounded(lambda t: pool.submit(execute, t), tasks, workers * IN_FLIGHT_PER_WORKER)


def _bounded(submit: Callable[[Task], Future[RunRecord]], tasks: Sequence[Task], limit: int) -> Iterator[RunRecord]:
    """Keep at most `limit` runs in flight; yield each as it finishes."""
    pending: set[Future[RunRecord]] = set()
    queue = iter(tasks)
    for task in queue:
        pending.add(submit(task))
        if len(pending) >= limit:
            break
    while pending:
        done, pending = wait(pending, return_when=FIRST_COMPLETED)
        for fut in done:
            yield fut.result()
            nxt = next(queue, None)
            if nxt is not None:
                pending.add(submit(nxt))


def _run_dask(tasks: Sequence[Task], options: EngineOptions) -> Iterator[RunRecord]:
    """Submit to an existing Dask distributed cluster; results come back as they finish."""
    if not options.scheduler:
        raise InputError("command line", "--scheduler", "the dask engine needs a scheduler address", "tcp://HOST:PORT")
    try:
        from distributed import Client, as_completed
    except ImportError:
        raise InputError(
            "command line", "--engine", "dask is not installed", 'pip install -e ".[dask]", or --engine local'
        ) from None
    try:
        client = Client(options.scheduler, timeout="10s", set_as_default=False)
    except OSError as exc:
        raise InputError("command line", "--scheduler", f"cannot reach {options.scheduler!r} ({exc})") from None
    try:
        n_workers = max(1, len(client.scheduler_info().get("workers", {})))
        limit = max(2, n_workers * IN_FLIGHT_PER_WORKER)
        queue = iter(tasks)
        futures = as_completed([client.submit(execute, t, pure=False) for t in _take(queue, limit)], loop=client.loop)
        for fut in futures:
            yield fut.result()
            fut.release()
            nxt = next(queue, None)
            if nxt is not None:
                futures.add(client.submit(execute, nxt, pure=False))
    finally:
        client.close()


def _take(it: Iterator[Task], n: int) -> list[Task]:
    out = []
    for item in it:
        out.append(item)
        if len(out) >= n:
            break
    return out
