"""Tasks crossed from units and replication seeds: one rule for task ids, labels and order.

A unit is one scenario of a plan (a compared scenario, a lever subset): the
piece of its task ids, its labels and its scenario. `crossed` makes one task
per unit and replication, unit-major (every replication of a unit, then the
next unit) or replication-major (every unit of replication r, then r + 1: a
stop leaves whole replications). Inside a posterior draw the ids get a
`d{k:04d}-` prefix and the labels a leading `draw`. The ids are what the run
store finds a run by, so they are the ones the commands have always written:
`--resume` of an older folder still finds its runs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from experiments.engine.store import Task
from model.config import Scenario


@dataclass(frozen=True)
class Unit:
    """One scenario of a plan: its piece of the task ids (`base`, `s003`), its labels, the scenario itself."""

    tag: str
    labels: dict[str, Any]
    scenario: Scenario


def crossed(
    units: Sequence[Unit], seeds: Sequence[int], *, replication_major: bool = False, draw: int | None = None
) -> list[Task]:
    """A task per unit and replication r (on seeds[r]); `draw` k prefixes the ids and labels of a posterior draw."""
    prefix, head = ("", {}) if draw is None else (f"d{draw:04d}-", {"draw": draw})

    def task(unit: Unit, r: int, seed: int) -> Task:
        labels = {**head, **unit.labels, "replication": r}
        return Task(f"{prefix}{unit.tag}-r{r:04d}", unit.scenario, seed, labels)

    if replication_major:
        return [task(unit, r, seed) for r, seed in enumerate(seeds) for unit in units]
    return [task(unit, r, seed) for unit in units for r, seed in enumerate(seeds)]
