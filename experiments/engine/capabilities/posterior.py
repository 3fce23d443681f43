"""`--posterior DIR --draws K` at run time, for every command that opts into POSTERIOR.

What is the same for every such command lives here, once: the checks (a
posterior needs ≥ MIN_REPLICATIONS replications per draw, to tell its
Monte-Carlo part from its parameter part, and a fixed R, so no --ci-width),
the draw-major plan (in draw k every unit — a compared scenario, a lever
subset — with draw k's parameter values, replication r on
`draw_seeds[k][r]`: common random numbers inside a draw, independent seeds
across draws; experiments.analysis.ensemble), the (draw, replication) grids
read back from the run store, and the posterior's own tables
(`posterior_effects.csv`, `posterior_draws.csv`, `ranking.csv`,
`ranking_orders.csv` through experiments.analysis.uncertainty; `draws.csv`,
`posterior.json`) with the manifest's entry. A thin ensemble (effective size
below THIN_ESS, DESIGN §7) is refused, after every other check, unless
`--allow-thin`; then its mark goes into every table. The draws' weights and
parameter sets (`weights`) and each scenario's metric bounds (`bounds`:
experiments.analysis.bounds, spending capped by the budgets in every draw)
are what the commands' own analyses pass to experiments.analysis.uncertainty.
A command supplies which units a draw runs and what its own tables say of the
grids.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from experiments.analysis.bounds import Bounds
from experiments.analysis.ensemble import CRN, MIN_REPLICATIONS, Ensemble
from experiments.analysis.quantiles import DrawWeights
from experiments.analysis.uncertainty import Measured, rankings_of, write_tables
from experiments.engine.plans import Unit, crossed
from experiments.engine.store import RunRecord, RunStore, Task
from model.config import Scenario
from model.errors import InputError

Grid = dict[Any, dict[str, np.ndarray]]  # unit label (scenario, subset) -> metric -> (K draws, R replications)


@dataclass(frozen=True)
class PosteriorDraws:
    """The ensemble a command runs over and the replications of each draw."""

    ensemble: Ensemble
    replications: int

    @classmethod
    def from_args(cls, args: Any, replications: int, scenarios: Sequence[Scenario]) -> PosteriorDraws | None:
        """The draws of `--posterior DIR --draws K`, or None without --posterior; InputError before anything runs."""
        ensemble = Ensemble.from_args(args)
        if ensemble is None:
            return None
        adaptive = getattr(args, "ci_width", None) is not None
        if adaptive or replications < MIN_REPLICATIONS:
            problem = "--ci-width" if adaptive else f"{replications} replication(s) per draw"
            what = "no --ci-width" if adaptive else f"--replications ≥ {MIN_REPLICATIONS}"
            raise InputError("command line", "--posterior", f"given with {problem}", what)
        ensemble.check(scenarios)
        if ensemble.thin and not getattr(args, "allow_thin", False):
            ensemble.refuse_thin()
        return cls(ensemble, replications)

    @property
    def k(self) -> int:
        return self.ensemble.k

    @cached_property
    def weights(self) -> DrawWeights:
        """The draws' weights and parameter sets (experiments.analysis.ensemble.Ensemble.draw_weights)."""
        return self.ensemble.draw_weights()

    @property
    def mark(self) -> str:
        """The ensemble's mark, the last cell of every table row with an interval."""
        return self.ensemble.mark

    def bounds(self, scenario: Scenario, window: tuple[int, int] | None = None) -> Bounds:
        """The scenario's metric bounds over `window` (default its report window) in every draw.

        The draws set behaviour keys; should one set a lever's key, the widest bounds over the draws are taken.
        """
        if not any(key.startswith("policies.") for key in self.ensemble.keys):
            return Bounds.of(scenario, window)
        return Bounds.widest([self.ensemble.apply(scenario, k) for k in range(self.k)], window)

    def name_tags(self) -> list[str]:
        return self.ensemble.name_tags()

    def inputs(self) -> dict[str, Any]:
        return self.ensemble.inputs()

    def tasks(
        self, master_seed: int, units_of: Callable[[int], Sequence[Unit]], *, replication_major: bool = False
    ) -> list[Task]:
        """Draw-major: every task of draw k (its units from `units_of(k)`, on draw k's seeds), then draw k + 1."""
        seeds = self.ensemble.seeds(master_seed, self.replications)
        return [
            task
            for k in range(self.k)
            for task in crossed(units_of(k), seeds[k], replication_major=replication_major, draw=k)
        ]

    def grid(
        self,
        store: RunStore,
        tasks: Sequence[Task],
        by: str,
        metrics: Sequence[str],
        on_record: Callable[[Task, RunRecord], None] | None = None,
    ) -> Grid:
        """Every run's metrics as (draw, replication) arrays per value of the label `by` (task order).

        `on_record` sees each run as it is read (a command's own per-run tables:
        compare's timeseries.csv, attribute's spending), so the store is read once.
        """
        out: Grid = {}
        for task, rec in store.records(tasks):
            d, r = task.labels["draw"], task.labels["replication"]
            cell = out.get(task.labels[by])
            if cell is None:
                cell = out[task.labels[by]] = {m: np.full((self.k, self.replications), math.nan) for m in metrics}
            for m in metrics:
                cell[m][d, r] = float((rec.metrics or {})[m])
            if on_record is not None:
                on_record(task, rec)
        return out

    def write(
        self, folder: Path, group_column: str, measured: Sequence[Measured], ranked: Sequence[str], master_seed: int
    ) -> dict[str, Any]:
        """The posterior's own tables; returns the manifest's `posterior` and `common_random_numbers` entries."""
        rankings = rankings_of(measured, ranked, self.weights)
        write_tables(folder, group_column, measured, rankings, self.ensemble.particles, self.mark)
        self.ensemble.write(folder, self.replications)
        return {"posterior": self.ensemble.manifest(master_seed, self.replications), "common_random_numbers": CRN}
