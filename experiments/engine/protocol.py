"""What an experiment is: it reads its inputs, plans tasks, and analyses the stored runs into tables.

Every command that runs the model (`run`, `compare`, `sweep`, `sensitivity`,
`attribute`) is an `Experiment` subclass in its own module, listed in
`experiments.registry`. The shared pipeline (`experiments.engine.pipeline`) does the
rest the same way for all of them: the output folder check, the one seed rule,
the engine, the one resume rule, failures, publishing, the manifest.

A new experiment type is one module with a subclass that sets `command` and
implements

- `load()`: read and check every input (raise InputError; nothing runs yet),
- `default_name()`: the result folder's name, derived from all its inputs,
- `inputs()`: a JSON-able description of the inputs (their fingerprint),
- `plan(master_seed)`: the tasks,
- `analyse(tasks, store, folder)`: the tables, written into `folder`,

plus a `Report` subclass (experiments.engine.report: the Markdown and figures
from the tables on disk, and the terminal lines), named beside it in the
registry. Overriding `execute` lets an experiment run in rounds (compare
--ci-width).
"""

from __future__ import annotations

import argparse
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal

if TYPE_CHECKING:
    from experiments.engine.capabilities import Capability
    from experiments.engine.pool import Engine, RunStats
    from experiments.engine.store import RunStore, Task
    from model.config import Scenario

ArgKind = Literal["path", "paths", "int", "float", "flag", "text", "texts"]


@dataclass(frozen=True)
class Arg:
    """A command-line argument of one experiment command (the CLI turns these into argparse)."""

    flags: tuple[str, ...]
    help: str
    kind: ArgKind = "text"
    metavar: str | None = None
    default: Any = None
    bounds: tuple[float, float] | None = None  # inclusive, for int and float


class Experiment(ABC):
    """One command's plan and analysis; see the module docstring."""

    command: ClassVar[str]
    tolerates_failures: ClassVar[bool] = False  # True: failed runs are reported in the tables, not fatal
    capabilities: ClassVar[tuple[Capability, ...]] = ()  # what it opts into (experiments.engine.capabilities)

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.run_stats: list[RunStats] = []
        self.load()

    @abstractmethod
    def load(self) -> None:
        """Read and validate every input; raise InputError on the first problem."""

    @abstractmethod
    def default_name(self) -> str:
        """The result folder's name when --name is not given."""

    @abstractmethod
    def inputs(self) -> dict[str, Any]:
        """Everything the results depend on (files' content, options, a given seed): its hash is the fingerprint."""

    def scope_scenario(self) -> Scenario | None:
        """The scenario whose windows and firms the report's totals are over (scope.json); None: the first run's."""
        return None

    def declared_seeds(self) -> Sequence[tuple[int | None, str]]:
        """Seeds the input files declare, in order of precedence, for the master-seed rule."""
        return ()

    @abstractmethod
    def plan(self, master_seed: int) -> list[Task]:
        """The tasks, all seeds derived from the master seed."""

    def execute(self, engine: Engine, store: RunStore, tasks: list[Task]) -> list[Task]:
        """Run the tasks (one round); return the tasks whose runs the analysis reads."""
        self.run_stats.append(engine.run(tasks, store))
        return tasks

    @abstractmethod
    def analyse(self, tasks: Sequence[Task], store: RunStore, folder: Path) -> dict[str, Any]:
        """Write the result tables into `folder`; return what the manifest should add."""
