"""Tasks of an experiment with several parts, each distinct run planned once.

Two parts of one experiment may ask for the same run (the same scenario
content, seed and kept outputs: the same `Task.key`), e.g. the shipped
relocation-aid scenario and the sweep level equal to it. `TaskPool.add`
returns the task already planned for that key, so the run happens once and
both parts read the same record.
"""

from __future__ import annotations

from typing import Any

from experiments.engine.store import Reducer, RunRecord, RunStore, Task
from model.config import Scenario


class TaskPool:
    def __init__(self) -> None:
        self.tasks: list[Task] = []
        self._by_key: dict[str, Task] = {}

    def add(
        self, task_id: str, scenario: Scenario, seed: int, labels: dict[str, Any], reducer: Reducer | None = None
    ) -> Task:
        task = Task(task_id, scenario, seed, labels, reducer=reducer)
        found = self._by_key.get(task.key)
        if found is not None:
            return found
        self._by_key[task.key] = task
        self.tasks.append(task)
        return task


def record(store: RunStore, task: Task) -> RunRecord:
    """The stored run of a task (the pipeline has checked that every task finished)."""
    return next(rec for _task, rec in store.records([task]))


class MetricCache:
    """The report-window metrics of stored runs, each run's file read once."""

    def __init__(self, store: RunStore) -> None:
        self.store = store
        self._metrics: dict[str, dict[str, float]] = {}

    def get(self, task: Task, name: str) -> float:
        if task.task_id not in self._metrics:
            self._metrics[task.task_id] = dict(record(self.store, task).metrics or {})
        return float(self._metrics[task.task_id][name])
