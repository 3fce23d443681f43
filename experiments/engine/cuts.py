"""Where runs share their first years: the cut years a process has seen, and each run's plan against a store.

`CutYears.plan` decides, for one run, from which stored state it resumes and
which of its states it stores (experiments.engine.warm explains the rule).
It reads keys only, never a model, so the same decisions are made by a
worker against its store of snapshots (experiments.engine.warm) and by the
command against the set of keys its plan would have stored
(experiments.engine.sharing, which counts the years this saves). This module
imports no Mesa: the command's own process plans without it.
"""

from __future__ import annotations

from collections.abc import Container
from dataclasses import dataclass, field

from model.config import Scenario
from model.prefix import dormant, prefix_key, shared_through
from model.world import WorldData

MAX_CUT_YEARS = 16  # cut years a process remembers (most recent kept)


@dataclass(frozen=True)
class RunPlan:
    """What a run does with the store: resume at (cut, key) or not, and the (cut, key) states it stores."""

    resume: tuple[int, str] | None
    store: tuple[tuple[int, str], ...]

    def years_skipped(self, start: int) -> int:
        return 0 if self.resume is None else self.resume[0] - start + 1


@dataclass
class CutYears:
    """The years after which runs of this process may share a state, and the plan of each run."""

    years: dict[int, None] = field(default_factory=dict)  # insertion-ordered set, most recent last

    def note(self, year: int) -> None:
        self.years.pop(year, None)
        self.years[year] = None
        while len(self.years) > MAX_CUT_YEARS:
            del self.years[next(iter(self.years))]

    def plan(self, scenario: Scenario, seed: int, data: WorldData, held: Container[str]) -> RunPlan:
        """Where the run resumes (the latest cut year whose key `held` has) and which states it stores."""
        years = scenario.years
        own = shared_through(scenario)
        if own < years.start or not dormant(scenario, data, own):
            return RunPlan(None, ())
        if own < years.end:  # something acts within the run: its own cut year is where others may share
            self.note(own)
        if years.report_start is not None and years.start < years.report_start:
            self.note(years.report_start - 1)
        cuts = sorted(c for c in self.years if years.start <= c <= own)
        keys = {c: prefix_key(scenario, seed, data, c) for c in cuts}
        found = next(((c, k) for c in reversed(cuts) if (k := keys[c]) is not None and k in held), None)
        after = years.start - 1 if found is None else found[0]
        store = tuple((c, k) for c in cuts if c > after and (k := keys[c]) is not None and k not in held)
        return RunPlan(found, store)
