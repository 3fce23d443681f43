"""The function a pool or Dask worker is sent: light to import, so the parent never loads the model for it.

Workers of the local pool already have `experiments.worker` (and the model)
preloaded by the fork server; a Dask worker imports it on its first task.
"""

from __future__ import annotations

from experiments.store import RunRecord, Task


def execute(task: Task) -> RunRecord:
    """Run one task in a worker process (see experiments.worker.execute)."""
    from experiments.worker import execute as run

    return run(task)
