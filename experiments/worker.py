"""What a worker process runs: one task through `simulate`, its outcome as a RunRecord.

This module imports the model (and with it Mesa) at import time on purpose:
the local pool's fork server preloads it once, so every worker starts with the
model already imported.
"""

from __future__ import annotations

import contextlib
import ctypes
import signal
import sys
import time
import traceback
from collections.abc import Callable

from experiments.store import RunRecord, Task
from model.metrics import Results
from model.model import RelocationModel
from model.world import world_for

PR_SET_PDEATHSIG = 1  # linux/prctl.h


def execute(task: Task, on_year: Callable[[], None] | None = None) -> RunRecord:
    """Run one task; an exception becomes a record with its error, so the experiment goes on."""
    t0 = time.perf_counter()
    try:
        model = RelocationModel(task.scenario, task.seed, world_for(task.scenario))
        while model.year < task.scenario.years.end:
            model.step()
            if on_year is not None:
                on_year()
        res: Results = model.run()
    except Exception as exc:  # noqa: BLE001 - a failed run is recorded, the others go on
        detail = "".join(traceback.format_exception_only(exc)).strip().replace("\n", " ")
        return RunRecord(task.task_id, task.key, task.seed, task.labels, error=detail, wall_seconds=_since(t0))
    return RunRecord(
        task.task_id,
        task.key,
        task.seed,
        task.labels,
        metrics={k: float(v) for k, v in res.metrics.items()},
        timeseries=[{k: float(v) for k, v in row.items()} for row in res.timeseries],
        flows=[list(f) for f in res.flows] if task.flows else None,
        wall_seconds=_since(t0),
    )


def _since(t0: float) -> float:
    return round(time.perf_counter() - t0, 6)


def init_worker() -> None:
    """Pool workers die with their parent and leave Ctrl-C to it.

    The parent of a pool worker is the fork server, which itself exits when
    the command's process goes (its `alive` pipe closes); with the parent-death
    signal a `kill -9` of the command therefore leaves no worker behind.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):  # no prctl: workers still end with the pool
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
