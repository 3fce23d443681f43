"""The engine: the only place model runs execute, in this process, a local pool or a Dask cluster.

`Engine.run(tasks, store)` runs the tasks whose result is not already in the
store and writes each finished run to it at once; a run that raises is
recorded as an error and the others go on. The local pool (forkserver, the
model preloaded in the fork server) starts in the background when the engine
is opened, so it comes up while the command reads and plans its inputs.
Closing the engine terminates its workers, also on Ctrl-C or SIGTERM, and a
worker dies with the fork server if the command is killed outright.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Literal

from experiments.engine.batching import BatchSizer
from experiments.engine.faults import IN_FLIGHT_PER_WORKER
from experiments.engine.faults import Fault as Fault  # re-exported: the pipeline and tests name it here
from experiments.engine.prestart import start_helpers
from experiments.engine.progress import progress_bar
from experiments.engine.sharing import Ledger
from experiments.engine.store import RunRecord, RunStore, Task
from model.errors import InputError

logger = logging.getLogger(__name__)

EngineKind = Literal["local", "dask"]


@dataclass(frozen=True)
class EngineOptions:
    workers: int = 1
    engine: EngineKind = "local"
    scheduler: str | None = None
    progress: bool = True
    connect_timeout_s: float = 10.0
    batch: int | None = None  # runs per submission to a local pool worker; None: sized from the runs' times

    def check(self) -> None:
        """Usage errors found before anything runs, the scheduler's address included."""
        if self.engine == "dask" and not self.scheduler:
            raise InputError(
                "command line", "--scheduler", "the dask engine needs a scheduler address", "tcp://HOST:PORT"
            )
        if self.engine == "local" and self.scheduler:
            raise InputError("command line", "--scheduler", "is only used with --engine dask", "--engine dask")
        if self.scheduler:
            from experiments.engine.cluster import scheduler_address

            scheduler_address(self.scheduler)


@dataclass(frozen=True)
class RunStats:
    executed: int
    reused: int
    failed: int


class Engine:
    """Runs tasks; use as a context manager so that workers never outlive the command."""

    def __init__(self, options: EngineOptions, while_starting: Callable[[], None] | None = None) -> None:
        """`while_starting` is called once, in the command's thread, while it waits for the local pool to start
        (experiments.engine.report_ahead): work of the command's own that the otherwise idle wait absorbs."""
        self.options = options
        self._while_starting = while_starting
        self._pool: ProcessPoolExecutor | None = None
        self._starting: threading.Thread | None = None
        self._start_error: BaseException | None = None
        self.ledger = Ledger()  # identical runs once, and the model-years not simulated (experiments.engine.sharing)

    # --- life cycle ----------------------------------------------------------

    def __enter__(self) -> Engine:
        self.options.check()
        if self.options.engine == "local" and self.options.workers > 1:
            start_helpers()
            self._starting = threading.Thread(target=self._start_pool, name="relocsim-pool-start", daemon=True)
            self._starting.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close(graceful=kind is None)

    def _start_pool(self) -> None:
        """Start the workers now (one warm-up task each), so they are up when the first task comes."""
        try:
            from experiments.engine import worker_entry

            ctx = multiprocessing.get_context("forkserver")
            pool = ProcessPoolExecutor(
                self.options.workers, mp_context=ctx, initializer=worker_entry.init, initargs=(os.getpid(),)
            )
            self._pool = pool
            for future in [pool.submit(worker_entry.ready) for _ in range(self.options.workers)]:
                future.result()
        except BaseException as exc:  # noqa: BLE001 - re-raised in the main thread by _pool_ready
            self._start_error = exc

    def _pool_ready(self) -> ProcessPoolExecutor:
        if self._starting is not None:
            task, self._while_starting = self._while_starting, None
            if task is not None and self._starting.is_alive():
                task()  # the start-up thread waits on the fork server meanwhile: no import runs beside this
            self._starting.join()
            self._starting = None
        if self._start_error is not None or self._pool is None:
            raise Fault(f"cannot start {self.options.workers} worker processes: {self._start_error}")
        return self._pool

    def close(self, graceful: bool = True) -> None:
        """Stop the workers: let them finish when all went well; else cancel what waits and leave.

        A worker still busy with a run ends by itself within a fraction of a
        second of the command's exit (experiments.engine.worker watches the command).
        """
        if self._starting is not None:
            self._starting.join()
            self._starting = None
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=graceful, cancel_futures=not graceful)

    # --- running -------------------------------------------------------------

    def run(self, tasks: Sequence[Task], store: RunStore, progress: bool | None = None) -> RunStats:
        """Run every task not already finished in the store; return what was done.

        `progress=False` hides this call's bar (a caller that runs many small batches shows its own).
        """
        ids = [t.task_id for t in tasks]
        if len(set(ids)) != len(ids):
            raise ValueError("task ids must be unique")
        todo = [t for t in tasks if not store.finished(t)]
        reused = len(tasks) - len(todo)
        if reused:
            logger.info("%d of %d runs already finished", reused, len(tasks))
        runs = self.ledger.runs(todo)  # each distinct run once; an identical task gets its record
        years = sum(t.scenario.years.end - t.scenario.years.start + 1 for t in runs)
        in_process = self.options.engine == "local" and (self.options.workers <= 1 or len(todo) <= 1)
        total, unit = (years, "year") if in_process else (len(todo), "run")
        show = self.options.progress if progress is None else progress and self.options.progress
        bar = progress_bar(total, unit, show and bool(todo))
        failed = 0
        try:
            source = self._source(runs, in_process, bar.update if bar and in_process else None)
            for record in self.ledger.records(source):
                store.write(record)
                if not record.ok:
                    failed += 1
                    logger.info("run %s failed: %s", record.task_id, record.error)
                if bar is not None and not in_process:
                    bar.update()
        finally:
            if bar is not None:
                bar.close()
        return RunStats(len(todo), reused, failed)

    def _source(self, todo: Sequence[Task], in_process: bool, on_year: Any) -> Iterator[RunRecord]:
        if not todo:
            return iter(())
        if in_process:
            return self._in_process(todo, on_year)
        if self.options.engine == "dask":
            return self._dask(todo)
        return self._local(todo)

    @staticmethod
    def _in_process(todo: Sequence[Task], on_year: Any) -> Iterator[RunRecord]:
        from experiments.engine.worker import execute

        for task in todo:
            yield execute(task, on_year)

    def _local(self, todo: Sequence[Task]) -> Iterator[RunRecord]:
        """Batches of tasks to the pool, at most `IN_FLIGHT_PER_WORKER` per worker; each record yielded on its own."""
        from experiments.engine import worker_entry  # a light module the pool can pickle by name

        pool = self._pool_ready()
        sizer = BatchSizer(self.options.workers, self.options.batch)
        pending = deque(todo)
        running: set[Future[list[RunRecord]]] = set()

        def submit() -> None:
            batch = [pending.popleft() for _ in range(sizer.size(len(pending)))]
            running.add(pool.submit(worker_entry.execute_batch, batch))

        while pending and len(running) < self.options.workers * IN_FLIGHT_PER_WORKER:
            submit()
        while running:
            done, running = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                try:
                    records = future.result()
                except BrokenProcessPool:
                    raise Fault("a worker process died (out of memory, or killed); rerun with --resume") from None
                for record in records:
                    sizer.observe(record.wall_seconds)
                if pending:
                    submit()  # before the records are stored: the worker is not kept waiting
                yield from records

    def _dask(self, todo: Sequence[Task]) -> Iterator[RunRecord]:
        from experiments.engine.cluster import dask_records

        return dask_records(self.options.scheduler or "", self.options.connect_timeout_s, todo)
