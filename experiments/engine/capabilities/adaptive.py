"""`--ci-width W --max-replications M` at run time, for every command that opts into ADAPTIVE_REPLICATIONS.

Replications are added in rounds until the 95% interval half-width of every
sample the command names (compare: both job shares of every scenario's mean
and of every paired difference against the baseline) is at most W, or M
replications are reached. Finished runs are kept and reused: the seeds of the
first n replications do not depend on how many follow, so a round only adds
runs. A round grows by half, or to what the current SDs say is needed,
whichever is more (at most MAX_ROUND_GROWTH-fold and at most M).

Written here: `stopping.csv` (one row per round: replications, the widest
half-width, where it is, W, whether it was met) and the manifest's
`ci_width` entry.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from experiments.analysis.stats import Interval, replications_for
from experiments.engine.capabilities import DEFAULT_MAX_REPLICATIONS
from experiments.engine.naming import number_tag
from experiments.engine.store import RunStore, Task
from experiments.engine.tables import write_csv
from model.errors import InputError

if TYPE_CHECKING:
    from experiments.engine.pool import Engine, RunStats

MIN_ADAPTIVE_START = 3  # an SD from 2 replications is too noisy to plan the next round from
MAX_ROUND_GROWTH = 4  # nor should a few replications make one round jump more than 4-fold
STOPPING_FILE = "stopping.csv"
STOPPING_COLUMNS = ("round", "replications", "widest_half_width", "at", "ci_width", "met")


@dataclass(frozen=True)
class Sample:
    """One interval W bounds: where it is (stopping.csv's `at`), its per-replication values, the metric's bounds."""

    where: str
    values: np.ndarray
    bounds: tuple[float, float]


def widest_half_width(samples: Sequence[Sample]) -> tuple[float, str]:
    """The largest half-width W bounds (inf where an interval is undefined), and where it is (the first of ties)."""
    worst, where = -math.inf, ""
    for s in samples:
        iv = Interval.of(s.values, s.bounds)
        half = iv.half_width if iv.defined else math.inf
        if half > worst:
            worst, where = half, s.where
    return worst, where


def next_round_size(samples: Sequence[Sample], n: int, width: float, cap: int) -> int:
    """Grow by half, or to what the current SDs say is needed, whichever is more (≤ MAX_ROUND_GROWTH× and ≤ cap)."""
    needed = n + 1
    for s in samples:
        x = s.values[np.isfinite(s.values)]
        if len(x) >= 2:
            needed = max(needed, replications_for(float(x.std(ddof=1)), width, cap))
    grown = max(math.ceil(n * 1.5), min(needed, n * MAX_ROUND_GROWTH))
    return min(cap, max(n + 1, grown))


@dataclass
class AdaptiveRounds:
    """The replications of the first round and, with --ci-width, the rounds run so far."""

    width: float | None  # --ci-width; None: one round of `first` replications
    cap: int  # --max-replications
    first: int
    rounds: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def from_args(cls, args: Any, declared: int) -> AdaptiveRounds:
        """The first round: --replications, else the scenario's `declared` count (≥ MIN_ADAPTIVE_START with W)."""
        width = getattr(args, "ci_width", None)
        cap = getattr(args, "max_replications", DEFAULT_MAX_REPLICATIONS)
        r = getattr(args, "replications", None)
        if width is None:
            first = r if r is not None else declared
        elif r is not None and r > cap:
            raise InputError("command line", "--replications", f"{r} is more than --max-replications {cap}", "R ≤ M")
        else:
            first = max(r, 2) if r is not None else min(max(declared, MIN_ADAPTIVE_START), cap)
        return cls(width, cap, first)

    def name_tags(self) -> list[str]:
        """Folder-name pieces: W, and M when it is not the default."""
        if self.width is None:
            return []
        tags = [number_tag("w", self.width)]
        if self.cap != DEFAULT_MAX_REPLICATIONS:
            tags.append(number_tag("m", self.cap))
        return tags

    def inputs(self) -> dict[str, Any]:
        """What the results depend on (M only with W)."""
        return {"ci_width": self.width, "max_replications": self.cap if self.width is not None else None}

    def execute(
        self,
        engine: Engine,
        store: RunStore,
        tasks: list[Task],
        plan: Callable[[int], list[Task]],
        samples: Callable[[RunStore, Sequence[Task]], Sequence[Sample]],
        stats: list[RunStats],
    ) -> list[Task]:
        """One round, or rounds until W is met; `plan(n)` is the tasks of n replications (earlier runs reused)."""
        self.rounds = []
        n = self.first
        while True:
            stats.append(engine.run(tasks, store))
            if store.failures(tasks) or self.width is None:
                return tasks
            found = samples(store, tasks)
            widest, where = widest_half_width(found)
            self.rounds.append({"replications": n, "widest_half_width": widest, "at": where})
            if widest <= self.width or n >= self.cap:
                return tasks
            n = next_round_size(found, n, self.width, self.cap)
            tasks = plan(n)

    def write(self, folder: Path) -> dict[str, Any] | None:
        """stopping.csv; returns the manifest's `ci_width` entry (None without --ci-width)."""
        if self.width is None:
            return None
        w = self.width
        rows = [[i + 1, r["replications"], r["widest_half_width"], r["at"], w] for i, r in enumerate(self.rounds)]
        write_csv(folder / STOPPING_FILE, STOPPING_COLUMNS, ([*row, row[2] <= w] for row in rows))
        met = bool(self.rounds) and self.rounds[-1]["widest_half_width"] <= w
        return {"ci_width": w, "max_replications": self.cap, "met": met, "rounds": self.rounds}
