"""Warm starts: a run starts from a stored state of the year before its levers act, not from its first year.

Every process that executes runs (the command itself with one worker, each
pool or Dask worker) keeps one `WarmStarts`: a store of model snapshots
(model.snapshot) keyed by prefix key (model.prefix: world data, seed, cut
year and the scenario without what acts after the cut). A run of scenario S
on seed s:

1. resumes from the stored state of the latest cut year c that S shares
   (c ≤ `shared_through(S)`, the year before S's first lever or outside rise
   acts; a key found in the store), skipping years start..c, else it starts
   from the first year;
2. while it runs, stores its state after each cut year that other runs may
   resume from and that the store does not hold yet: the cut years this
   process has seen (each run's `shared_through` when a lever or the outside
   rise acts within its years, and `years.report_start − 1`, where the
   shipped scenarios' policies start), up to its own `shared_through`.

So the baseline of a `compare` (no levers) stores its state after 2023 and
every package on the same seed whose levers start in 2024 resumes from it.
The outputs are byte-identical to running from the first year: a resume
requires equal prefix keys and `model.prefix.replay`'s check of the levers
(tests/test_warm.py). A scenario whose lever acts in its first year shares
nothing.

What is stored and when it is evicted: pickle bytes of whole models (a few MB
at 30,000 firms, about 4 kB per firm at most), least recently used first
once the store holds more than its bound, `RELOCSIM_WARM_CACHE_MB` MiB per
process (default DEFAULT_MB; 0 turns warm starts off); a snapshot larger than
the bound is not stored. The store lives as long as its process: a pool
worker's for one command, the command's own (one worker: runs execute in
it) until it exits (`reset` empties it). Which runs hit depends on which
process ran what, so the number of years a command's workers skipped is not
a property of its inputs; `experiments.engine.sharing` counts the years its
plan lets one process skip.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Callable

from experiments.engine.cuts import CutYears, RunPlan
from model.config import Scenario
from model.model import RelocationModel
from model.prefix import replay
from model.snapshot import Snapshot, resume, take
from model.world import WorldData

ENV = "RELOCSIM_WARM_CACHE_MB"
DEFAULT_MB = 256  # assumption: 60 states of 30,000 firms, or one of 1,000,000, per process


def bound_from_env() -> int:
    """The store's bound in bytes: `RELOCSIM_WARM_CACHE_MB` MiB (a number ≥ 0), else DEFAULT_MB; 0 = off."""
    text = os.environ.get(ENV, "").strip()
    try:
        mb = float(text) if text else DEFAULT_MB
    except ValueError:
        mb = DEFAULT_MB
    return max(0, int(mb * 2**20))


class StateStore:
    """Snapshots by prefix key, at most `max_bytes` in all, the least recently used evicted first."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.nbytes = 0
        self._items: OrderedDict[str, Snapshot] = OrderedDict()

    def __contains__(self, key: object) -> bool:
        return key in self._items

    def __len__(self) -> int:
        return len(self._items)

    def get(self, key: str) -> Snapshot | None:
        found = self._items.get(key)
        if found is not None:
            self._items.move_to_end(key)
        return found

    def put(self, key: str, snapshot: Snapshot) -> None:
        if snapshot.nbytes > self.max_bytes or key in self._items:
            return
        while self._items and self.nbytes + snapshot.nbytes > self.max_bytes:
            _, old = self._items.popitem(last=False)
            self.nbytes -= old.nbytes
        self._items[key] = snapshot
        self.nbytes += snapshot.nbytes

    def clear(self) -> None:
        self._items.clear()
        self.nbytes = 0


class WarmStarts:
    """One process's warm starts: its cut years and its store of states (see the module docstring)."""

    def __init__(self, max_bytes: int) -> None:
        self.cuts = CutYears()
        self.store = StateStore(max_bytes)

    @property
    def enabled(self) -> bool:
        return self.store.max_bytes > 0

    def reset(self, max_bytes: int | None = None) -> None:
        """Forget every state and cut year (and set a new bound)."""
        self.cuts = CutYears()
        self.store.clear()
        if max_bytes is not None:
            self.store.max_bytes = max_bytes

    def run(
        self, scenario: Scenario, seed: int, data: WorldData, on_year: Callable[[], None] | None = None
    ) -> tuple[RelocationModel, int]:
        """The model after its last year, and how many of its years it did not simulate (resumed past them)."""
        plan = self.cuts.plan(scenario, seed, data, self.store) if self.enabled else RunPlan(None, ())
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

    def _start(self, scenario: Scenario, seed: int, data: WorldData, plan: RunPlan) -> tuple[RelocationModel, int]:
        if plan.resume is not None:
            cut, key = plan.resume
            snapshot = self.store.get(key)
            rebuilt = replay(scenario, data, cut, check=False)  # `plan` checked the scenario through its own cut
            if snapshot is not None and rebuilt is not None:
                return resume(snapshot, scenario, data, rebuilt), plan.years_skipped(scenario.years.start)
        return RelocationModel(scenario, seed, data), 0


WARM = WarmStarts(bound_from_env())


def warm_model(
    scenario: Scenario, seed: int, data: WorldData, on_year: Callable[[], None] | None = None
) -> tuple[RelocationModel, int]:
    """This process's warm starts: the model after its last year, and the years it did not simulate."""
    return WARM.run(scenario, seed, data, on_year)


def reset() -> None:
    """Empty this process's store (a command starts with none) and read its bound from the environment again."""
    WARM.reset(bound_from_env())
