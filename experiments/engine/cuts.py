"""Where the runs of one plan share their first years, planned before they run.

The *cut years* of a list of runs are the years before a lever (or the
outside rise) first acts in one of them (`model.prefix.shared_through`, when
that is before the run's last year). Each run gets, at each cut year it
shares (start ≤ c ≤ its own `shared_through`), its prefix key
(model.prefix.prefix_key). A key is *useful* when another run of the plan has
it too, or a run of an earlier call stored it; a run's useful (cut, key)
pairs are its `Task.warm`, and only a scenario `model.prefix.dormant` accepts
gets any. So a baseline and the packages whose levers start in 2024 share
the key of 2023 and the baseline, listed first, stores its state after 2023;
runs that share nothing (a sweep over behaviour coefficients) get no pair and
cost nothing more than before.

`step` follows one run in plan order against the keys stored so far: it
resumes from its latest stored pair and stores the pairs after it that are
not stored yet. A worker does the same against its own store of states
(experiments.engine.warm), so with one worker and an unbounded store the
years skipped are exactly the plan's (experiments.engine.sharing counts
them). This module imports no Mesa: the command's own process plans.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Container, Sequence
from dataclasses import dataclass

from experiments.engine.store import Task
from model.prefix import dormant, prefix_key, shared_through
from model.world import world_for

Pairs = tuple[tuple[int, str], ...]  # (cut year, prefix key), cut years ascending


@dataclass(frozen=True)
class Step:
    """One run against the stored keys: where it resumes (cut, key) or None, and the pairs it stores."""

    resume: tuple[int, str] | None
    store: Pairs

    def years_skipped(self, start: int) -> int:
        return 0 if self.resume is None else self.resume[0] - start + 1


def step(pairs: Pairs, stored: Container[str]) -> Step:
    """Resume from the latest pair whose key is stored; store the later pairs not stored yet."""
    found = next(((c, k) for c, k in reversed(pairs) if k in stored), None)
    after = -1 if found is None else found[0]
    return Step(found, tuple((c, k) for c, k in pairs if c > after and k not in stored))


def cut_years(tasks: Sequence[Task]) -> list[int]:
    """The years before something first acts in one of the runs (within its years), ascending."""
    cuts = set()
    for task in tasks:
        years, own = task.scenario.years, shared_through(task.scenario)
        if years.start <= own < years.end:
            cuts.add(own)
    return sorted(cuts)


def shares(tasks: Sequence[Task], stored: Container[str]) -> list[Pairs]:
    """Each run's useful (cut, key) pairs: keys another run of `tasks` has too, or already `stored`."""
    cuts = cut_years(tasks)
    keys: list[Pairs] = []
    for task in tasks:
        sc = task.scenario
        own = shared_through(sc)
        within = [c for c in cuts if sc.years.start <= c <= own]
        if not within:
            keys.append(())
            continue
        try:
            data = world_for(sc)
        except Exception:  # noqa: BLE001 - a run that cannot load its world fails in its worker, not here
            keys.append(())
            continue
        found = ((c, prefix_key(sc, task.seed, data, c)) for c in within)
        keys.append(tuple((c, k) for c, k in found if k is not None))
    count = Counter(k for pairs in keys for _c, k in pairs)
    out: list[Pairs] = []
    for task, pairs in zip(tasks, keys, strict=True):
        useful = tuple((c, k) for c, k in pairs if count[k] > 1 or k in stored)
        sc = task.scenario
        if useful and not dormant(sc, world_for(sc), shared_through(sc)):
            useful = ()
        out.append(useful)
    return out
