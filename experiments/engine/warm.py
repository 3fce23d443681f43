"""Warm starts: a run starts from a stored state of the year before its levers act, not from its first year.

Every process that executes runs (the command itself with one worker, each
pool or Dask worker) keeps one `WarmStarts`: a store of model states
(model.snapshot) by prefix key (model.prefix: world data, seed, cut year and
the scenario without what acts after the cut). The command plans which runs
share which states (experiments.engine.cuts: `Task.warm`, the run's useful
(cut year, prefix key) pairs); a worker, for each run:

1. keeps the pairs whose key it computes the same way (its data and code
   agree with the command's),
2. resumes from the stored state of the latest pair it holds, skipping the
   years start..cut, else starts from the first year,
3. stores its state after each later pair's cut year that it does not hold.

So the baseline of a `compare` (no levers) stores its state after 2023, and
every package on the same seed whose levers start in 2024 resumes from it if
the same worker holds it. The outputs are byte-identical to running from the
first year (tests/test_warm.py): a resume requires equal prefix keys, and
the plan gives pairs only to scenarios whose levers `model.prefix.dormant`
checked. A scenario whose lever acts in its first year, and a run that shares
nothing with another, get no pair and run as before.

What is stored and when it is evicted: pickle bytes of whole models (3.6 MiB
at 30,000 firms, 79 MiB at 1,000,000), least recently used first once the store holds
more than its bound, `RELOCSIM_WARM_CACHE_MB` MiB per process (default
DEFAULT_MB; 0 turns warm starts off), read when the process starts; a state
larger than the bound is not stored. The store lives as long as its process:
a pool worker's for one command, the command's own (one worker: runs execute
in it) until it exits (`reset` empties it). Which runs hit depends on which
worker ran what, so the years a command's workers skipped are not a property
of its inputs; `experiments.engine.sharing` counts those its plan skips.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import threading
from collections import OrderedDict
from collections.abc import Callable

from experiments.engine.cuts import Pairs, Step, step
from experiments.engine.store import Task
from model.config import Scenario
from model.model import RelocationModel
from model.prefix import prefix_key, replay
from model.snapshot import Snapshot, resume, take
from model.world import WorldData

ENV = "RELOCSIM_WARM_CACHE_MB"
DEFAULT_MB = 256  # assumption: 70 states of 30,000 firms or 3 of 1,000,000 per process (runs that share run together)


def bound_from_env() -> int:
    """The store's bound in bytes: `RELOCSIM_WARM_CACHE_MB` MiB (a number ≥ 0), else DEFAULT_MB; 0 = off."""
    text = os.environ.get(ENV, "").strip()
    try:
        mb = float(text) if text else DEFAULT_MB
    except ValueError:
        mb = DEFAULT_MB
    return max(0, int(mb * 2**20))


class StateStore:
    """Snapshots by prefix key, at most `max_bytes` in all, the least recently used evicted first.

    Safe to share between threads (a Dask worker may run several tasks at once).
    """

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.nbytes = 0
        self._items: OrderedDict[str, Snapshot] = OrderedDict()
        self._lock = threading.Lock()

    def __contains__(self, key: object) -> bool:
        return key in self._items

    def __len__(self) -> int:
        return len(self._items)

    def get(self, key: str) -> Snapshot | None:
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
            return found

    def put(self, key: str, snapshot: Snapshot) -> None:
        with self._lock:
            if snapshot.nbytes > self.max_bytes or key in self._items:
                return
            while self._items and self.nbytes + snapshot.nbytes > self.max_bytes:
                _, old = self._items.popitem(last=False)
                self.nbytes -= old.nbytes
            self._items[key] = snapshot
            self.nbytes += snapshot.nbytes

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self.nbytes = 0


class WarmStarts:
    """One process's warm starts: its store of states and the runs it serves (see the module docstring)."""

    def __init__(self, max_bytes: int) -> None:
        self.store = StateStore(max_bytes)

    @property
    def enabled(self) -> bool:
        return self.store.max_bytes > 0

    def reset(self, max_bytes: int | None = None) -> None:
        """Forget every state (and set a new bound)."""
        self.store.clear()
        if max_bytes is not None:
            self.store.max_bytes = max_bytes

    def run(
        self,
        scenario: Scenario,
        seed: int,
        data: WorldData,
        pairs: Pairs = (),
        on_year: Callable[[], None] | None = None,
    ) -> tuple[RelocationModel, int]:
        """The model after its last year, and how many of its years it did not simulate (resumed past them).

        `pairs` are the run's planned (cut year, prefix key) pairs (`Task.warm`);
        a pair whose key this process computes otherwise (other data, other
        code) is dropped.
        """
        ours = tuple((c, k) for c, k in pairs if prefix_key(scenario, seed, data, c) == k) if self.enabled else ()
        plan = step(ours, self.store)
        model, skipped = self._start(scenario, seed, data, plan)
        for _ in range(skipped):
            if on_year is not None:
                on_year()
        pending = dict(plan.store)
        while model.year < scenario.years.end:
            model.step()
            if on_year is not None:
                on_year()
            key = pending.get(model.year)
            if key is not None:
                self.store.put(key, take(model))
        return model, skipped

    def _start(self, scenario: Scenario, seed: int, data: WorldData, plan: Step) -> tuple[RelocationModel, int]:
        if plan.resume is not None:
            cut, key = plan.resume
            snapshot = self.store.get(key)
            rebuilt = replay(scenario, data, cut, check=False)  # the plan's `dormant` checked it through its cut
            if snapshot is not None and rebuilt is not None:
                with contextlib.suppress(pickle.UnpicklingError):  # a lever held outside the model's list
                    return resume(snapshot, scenario, data, rebuilt), plan.years_skipped(scenario.years.start)
        return RelocationModel(scenario, seed, data), 0


WARM = WarmStarts(bound_from_env())


def warm_model(task: Task, data: WorldData, on_year: Callable[[], None] | None = None) -> tuple[RelocationModel, int]:
    """A task's run through this process's warm starts: the model after its last year, and the years it skipped."""
    return WARM.run(task.scenario, task.seed, data, task.warm, on_year)


def reset() -> None:
    """Empty this process's store (a command starts with none) and read its bound from the environment again."""
    WARM.reset(bound_from_env())
