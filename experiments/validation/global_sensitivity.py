"""The global sensitivity of `report`: Sobol' indices (SALib) of the headline metrics and of each lever effect.

The parameters and their ranges come from experiments.validation.inputs
(`parameter_ranges`: the posterior's 5–95 % ranges, else the shipped
calibration's priors, else ±50 % of the push and choice coefficients). SALib's
Saltelli design (`SALib.sample.sobol`, first and total order, scrambled Sobol'
sequence with the design seed) gives N·(k+2) parameter sets for N base
samples and k parameters. Each parameter set runs the reported scenario and
every single-lever scenario once, all on one seed (common random numbers
across parameter sets and between a lever and its base). Outcomes, over the
report window:

- the headline metrics: north-park share, outside-province share and jobs
  moved to the north parks, of the base scenario;
- each lever's effect: the paired change in jobs moved to the north parks and
  in jobs moved outside the province (lever − base, same parameter set, same seed).

SALib's analysis (`SALib.analyze.sobol`, seeded bootstrap, 1,000 resamples)
gives S1 and ST with 95 % intervals. One run per parameter set means the
Monte-Carlo noise of a run is part of the variance being apportioned (it
shows as indices that do not add up and as wide intervals); the budget is
stated in the report.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from experiments.analysis.salib import CONF_LEVEL, NUM_RESAMPLES, analysis_seed, require_salib
from experiments.engine.store import RunStore, Task
from experiments.engine.task_pool import MetricCache, TaskPool
from experiments.validation.inputs import LeverScenario, Range, Target

HEADLINE = ("north_share_jobs", "outside_share_jobs", "to_north_jobs")
EFFECTS = ("to_north_jobs", "to_outside_jobs")


class GlobalSensitivity:
    """The Saltelli design as tasks, and the indices from the stored runs."""

    def __init__(
        self,
        target: Target,
        levers: Sequence[LeverScenario],
        ranges: Sequence[Range],
        samples: int,
        sample_seed: int,
        run_seed: int,
        pool: TaskPool,
    ) -> None:
        self.salib = require_salib()
        self.ranges, self.levers = list(ranges), list(levers)
        self.samples, self.sample_seed, self.run_seed = samples, sample_seed, run_seed
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            x = self.salib.sobol_sample(self.problem(), samples, calc_second_order=False, seed=sample_seed)
        self.x = np.asarray(x, dtype=float)
        self.tasks: list[tuple[Task, dict[str, Task]]] = []
        for p, row in enumerate(self.x):
            values = {r.key: float(v) for r, v in zip(self.ranges, row, strict=True)}
            base = pool.add(f"sobol-p{p:05d}-base", target.variant(f"sobol-{p}", values), run_seed, {"point": p})
            runs = {
                lv.name: pool.add(
                    f"sobol-p{p:05d}-{lv.name}",
                    target.variant(f"sobol-{p}-{lv.name}", values, policies=lv.policies),
                    run_seed,
                    {"point": p, "scenario": lv.name},
                )
                for lv in self.levers
            }
            self.tasks.append((base, runs))

    def problem(self) -> dict[str, Any]:
        """A fresh SALib problem each time (SALib adds keys to the one it is given)."""
        return {
            "num_vars": len(self.ranges),
            "names": [r.key for r in self.ranges],
            "bounds": [[r.low, r.high] for r in self.ranges],
        }

    @property
    def runs(self) -> int:
        return len(self.x) * (1 + len(self.levers))

    def outcomes(self, store: RunStore) -> list[tuple[str, str, np.ndarray]]:
        """(outcome, effect_of, values per parameter set): the headline metrics, then each lever's effects."""
        cache = MetricCache(store)
        out = [(name, "", np.array([cache.get(b, name) for b, _r in self.tasks])) for name in HEADLINE]
        for lv in self.levers:
            for name in EFFECTS:
                y = np.array([cache.get(r[lv.name], name) - cache.get(b, name) for b, r in self.tasks])
                out.append((name, lv.name, y))
        return out

    def rows(self, store: RunStore) -> tuple[list[list[Any]], list[list[Any]], list[list[Any]]]:
        """sobol.csv, sobol_points.csv and sobol_notes.csv rows."""
        outcomes = self.outcomes(store)
        rows: list[list[Any]] = []
        notes: list[list[Any]] = []
        for name, effect_of, y in outcomes:
            if not np.all(np.isfinite(y)):
                notes.append([name, effect_of, f"undefined at {int((~np.isfinite(y)).sum())} parameter sets"])
            elif float(np.ptp(y)) == 0.0:
                notes.append([name, effect_of, "the same value at every parameter set: no variance to apportion"])
            else:
                rows += self._indices(name, effect_of, y)
        points = [[p, *row, *(y[p] for _n, _e, y in outcomes)] for p, row in enumerate(self.x)]
        return rows, points, notes

    def point_columns(self) -> list[str]:
        heads = [*HEADLINE, *(f"{name}:{lv.name}" for lv in self.levers for name in EFFECTS)]
        return ["point", *(r.key for r in self.ranges), *heads]

    def _indices(self, name: str, effect_of: str, y: np.ndarray) -> list[list[Any]]:
        seed = analysis_seed(self.sample_seed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            si = self.salib.sobol_analyze(
                self.problem(),
                y,
                calc_second_order=False,
                num_resamples=NUM_RESAMPLES,
                conf_level=CONF_LEVEL,
                seed=seed,
            )
        rows = []
        for i, r in enumerate(self.ranges):
            for index in ("S1", "ST"):
                value = float(np.asarray(si[index])[i])
                conf = float(np.asarray(si[f"{index}_conf"])[i])
                lo, hi = (value - conf, value + conf) if math.isfinite(conf) else (math.nan, math.nan)
                rows.append([name, effect_of, r.key, index, value, lo, hi])
        return rows

    def range_rows(self) -> list[list[Any]]:
        return [[r.key, r.label, r.unit, r.low, r.high, r.centre, r.source] for r in self.ranges]
