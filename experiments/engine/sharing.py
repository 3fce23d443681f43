"""Runs an experiment does not need are not run, and what that saved is counted.

Two kinds of sharing, both with outputs byte-identical to running everything:

- **Identical runs, once.** Tasks of one `Engine.run` call with the same
  `Task.key` (the same scenario content, seed and kept outputs: a sweep level
  equal to the base scenario, a Morris point two trajectories visit) are run
  once; each of the others gets the record of that run under its own task id
  and labels (`Ledger.written`), as its own run would have written it.
- **Warm starts** (experiments.engine.warm): a run that shares its first years
  with a run done before starts from that run's stored state.

The ledger plans each call's distinct runs (experiments.engine.cuts: which
states each may resume from or store, `Task.warm`) and counts, over every
`Engine.run` call of a command, the model-years (one run's
years.start..years.end) of the tasks it was asked to run and how many of them
were not simulated: the years of identical runs, and the years warm starts
skip *as the plan allows* — the decisions a worker makes (`cuts.step`), made
here in task order with every state kept (one process, an unbounded store).
That figure depends only on the tasks, so it goes into the manifest
(`model_years`) and is the same for 1 and N workers, with warm starts on or
off. What the workers actually skipped (`RunRecord.warm_years`: with W
workers each keeps its own store, and a bounded one) is printed in the
command's terminal line only.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from experiments.engine.cuts import Pairs, shares, step
from experiments.engine.store import RunRecord, Task

HELD_MAX = 100_000  # prefix keys the plan remembers (then it starts afresh: a bound on the parent's memory)


def model_years(task: Task) -> int:
    years = task.scenario.years
    return years.end - years.start + 1


@dataclass
class Ledger:
    """Model-years asked for and not simulated, over the `Engine.run` calls of one command (module docstring)."""

    asked: int = 0  # model-years of every task run (not already stored)
    identical: int = 0  # of them, the years of tasks identical to another task of the same call
    warm_plan: int = 0  # of them, the years the plan resumes past (one process, unbounded store)
    warm_done: int = 0  # the years the workers resumed past
    held: set[str] = field(default_factory=set)
    twins: dict[str, list[Task]] = field(default_factory=dict)

    def runs(self, todo: Sequence[Task]) -> list[Task]:
        """The distinct runs of `todo` (the first task of each key), each with its warm-start pairs, grouped.

        Runs that share a state run one after the other (`grouped`); the other
        tasks wait for their twin's record (`written`); `held` keeps the keys
        the plan has stored, for the counts and for later calls.
        """
        first: dict[str, Task] = {}
        runs: list[Task] = []
        for task in todo:
            years = model_years(task)
            self.asked += years
            twin = first.get(task.key)
            if twin is None:
                first[task.key] = task
                runs.append(task)
            else:
                self.twins.setdefault(twin.task_id, []).append(task)
                self.identical += years
        planned = []
        for task, pairs in grouped(runs, shares(runs, self.held)):
            done = step(pairs, self.held)
            self.held.update(key for _cut, key in done.store)
            self.warm_plan += done.years_skipped(task.scenario.years.start)
            planned.append(_with_warm(task, pairs))
        if len(self.held) > HELD_MAX:
            self.held.clear()
        return planned

    def records(self, source: Iterable[RunRecord]) -> Iterator[RunRecord]:
        """Each record of `source`, each followed by its identical tasks' copies (`written`)."""
        for record in source:
            yield from self.written(record)

    def written(self, record: RunRecord) -> list[RunRecord]:
        """The record of a run, then the same record under the task id and labels of each identical task."""
        self.warm_done += record.warm_years
        twins = self.twins.pop(record.task_id, [])
        return [record, *(dataclasses.replace(record, task_id=t.task_id, labels=t.labels) for t in twins)]

    def manifest(self) -> dict[str, Any]:
        """The manifest's `model_years`: what the plan saves (the same for any number of workers)."""
        return {
            "asked": self.asked,
            "identical_runs": self.identical,
            "warm_starts": self.warm_plan,
            "simulated": self.asked - self.identical - self.warm_plan,
        }

    def line(self) -> str | None:
        """The terminal line: what this command did not simulate again (its workers' own warm starts)."""
        if not self.asked:
            return None
        saved = self.identical + self.warm_done
        share = 100.0 * saved / self.asked
        parts = [f"{self.warm_done:,} by warm starts"]
        if self.identical:
            parts.append(f"{self.identical:,} of identical runs done once")
        if self.warm_done < self.warm_plan:
            parts.append(f"the plan allows {self.warm_plan:,} by warm starts in one worker")
        return (
            f"warm starts: {saved:,} of {self.asked:,} model-years not simulated again ({share:.0f} %; "
            + "; ".join(parts)
            + ")"
        )


def _with_warm(task: Task, pairs: Pairs) -> Task:
    """The task with its warm-start pairs (its key, which does not depend on them, carried over)."""
    if not pairs:
        return task
    out = dataclasses.replace(task, warm=pairs)
    out.__dict__["key"] = task.key  # a cached_property: computed once per task
    return out


def grouped(runs: Sequence[Task], pairs: Sequence[Pairs]) -> list[tuple[Task, Pairs]]:
    """The runs with their pairs, those sharing their first state together (groups in order of first appearance).

    A compare planned scenario-major (every replication of the baseline, then
    of each package) runs replication by replication: the baseline and the
    packages of one seed one after the other. A worker then needs one stored
    state at a time, and with two workers both hold a group's state after its
    first two runs, whichever of them takes the rest. Runs that share nothing
    keep their order. The tables do not depend on the order runs finish in.
    """
    groups: dict[str, list[tuple[Task, Pairs]]] = {}
    for i, (task, p) in enumerate(zip(runs, pairs, strict=True)):
        groups.setdefault(p[0][1] if p else f"#{i}", []).append((task, p))
    return [item for group in groups.values() for item in group]
