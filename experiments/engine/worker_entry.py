"""The function a pool or Dask worker is sent: light to import, so the parent never loads the model for it.

Workers of the local pool already have `experiments.engine.worker` (and the model)
preloaded by the fork server; a Dask worker imports it on its first task.
"""

from __future__ import annotations

from collections.abc import Sequence

from experiments.engine.store import RunRecord, Task


def execute(task: Task) -> RunRecord:
    """Run one task in a worker process (see experiments.engine.worker.execute)."""
    from experiments.engine.worker import execute as run

    return run(task)


def execute_batch(tasks: Sequence[Task]) -> list[RunRecord]:
    """Run several tasks in a row in one worker (experiments.engine.batching): one record each, in task order."""
    from experiments.engine.worker import execute as run

    return [run(task) for task in tasks]


def init(command_pid: int) -> None:
    """Pool worker start-up (see experiments.engine.worker.init_worker)."""
    from experiments.engine.worker import init_worker

    init_worker(command_pid)


def ready() -> bool:
    """A warm-up task: the pool has started this worker."""
    return True
