"""What a worker process runs: one task (from its first year, or resumed from a stored state), its RunRecord.

This module imports the model (and with it Mesa) at import time on purpose:
the local pool's fork server preloads it once, so every worker starts with the
model already imported. A run goes through experiments.engine.warm (the
process's stored states; a resumed run is byte-identical). A task's reducer
(experiments.engine.store.Reducer) is imported by name on its first use in
each worker: the engine imports no command's code.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import importlib
import os
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable
from pathlib import Path

from experiments.engine.store import RunRecord, Task
from experiments.engine.warm import warm_model
from model.config import Scenario
from model.metrics import Results
from model.world import world_for

PR_SET_PDEATHSIG = 1  # linux/prctl.h
Reduce = Callable[[Results, Scenario], dict[str, float]]


@functools.cache
def reducer(target: str) -> Reduce:
    """The function a Reducer names ("module:function"), imported once per worker."""
    module, _, name = target.partition(":")
    function: Reduce = getattr(importlib.import_module(module), name)
    return function


def execute(task: Task, on_year: Callable[[], None] | None = None) -> RunRecord:
    """Run one task; an exception becomes a record with its error, so the experiment goes on."""
    t0 = time.perf_counter()
    try:
        model, warm_years = warm_model(task, world_for(task.scenario), on_year)
        res: Results = model.run()
        summary = reducer(task.reducer.target)(res, task.scenario) if task.reducer is not None else None
    except Exception as exc:  # noqa: BLE001 - a failed run is recorded, the others go on
        detail = "".join(traceback.format_exception_only(exc)).strip().replace("\n", " ")
        return RunRecord(task.task_id, task.key, task.seed, task.labels, error=detail, wall_seconds=_since(t0))
    reduced = task.reducer is not None
    return RunRecord(
        task.task_id,
        task.key,
        task.seed,
        task.labels,
        metrics={k: float(v) for k, v in res.metrics.items()},
        timeseries=None if reduced else [{k: float(v) for k, v in row.items()} for row in res.timeseries],
        flows=[list(f) for f in res.flows] if task.flows else None,
        hindcast={k: float(v) for k, v in res.hindcast.items()} if res.hindcast else None,
        stocks=[list(s) for s in res.stocks] if task.flows else None,
        mobility=None if reduced else [list(m) for m in res.mobility],
        summary=summary,
        wall_seconds=_since(t0),
        warm_years=warm_years,
    )


WATCH_SECONDS = 0.2
_COMMAND_PID: int | None = None  # set in pool workers by init_worker


def _alive(pid: int) -> bool:
    """Whether the process runs: a killed one that its parent has not reaped yet (a zombie) counts as gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    except OSError:  # pragma: no cover - no /proc: ask the kernel
        try:
            os.kill(pid, 0)
        except (ProcessLookupError, PermissionError):
            return False
        return True
    return stat.rpartition(")")[2].split()[0] not in ("Z", "X")


def _watch(pid: int) -> None:
    while _alive(pid):
        time.sleep(WATCH_SECONDS)
    os._exit(1)


def exit_if_orphaned() -> None:
    """In a pool worker whose command is gone, end quietly instead of sending a result nobody reads."""
    if _COMMAND_PID is not None and not _alive(_COMMAND_PID):
        os._exit(1)


def _since(t0: float) -> float:
    return round(time.perf_counter() - t0, 6)


def init_worker(command_pid: int) -> None:
    """Pool workers leave Ctrl-C to the command and die with it, even after a `kill -9`.

    The parent of a pool worker is the fork server, so the parent-death signal
    alone fires only once the fork server has noticed; a watcher thread also
    ends the worker within a second of the command's process going away,
    before it could finish its run and complain about a broken pipe.
    """
    global _COMMAND_PID
    _COMMAND_PID = command_pid
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_watch, args=(command_pid,), name="relocsim-watch", daemon=True).start()
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):  # no prctl: workers still end with the pool
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
