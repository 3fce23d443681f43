"""`sensitivity EXPERIMENT.yaml`: Morris screening or Sobol' indices through SALib.

The factors (every one with a `range`) become a SALib problem; SALib draws the
design with the design seed; every point runs `replications` times on common
random numbers. Each point's outcome is the mean over its replications, then
SALib analyses each outcome with a seeded bootstrap, so the same seed gives
the same bytes. With common random numbers, two points that differ only in an
inert factor give bit-identical runs, so an inert factor's indices are exactly
0, not noise.

Run counts: Morris r·(k+1) points (r = `design.samples` trajectories, k
factors, p = `design.levels` grid levels, even); Sobol' (Saltelli, first and
total order) N·(k+2) points (N = `design.samples`, best a power of 2).

Tables: `indices.csv` (outcome, factor, index, value, conf: the half-width of
the 95% bootstrap interval where SALib gives one), `points.csv` (the design as
run with each outcome's replication mean), `factors.csv`, `notes.csv`
(outcomes that could not be analysed, and why).
"""

from __future__ import annotations

import logging
import math
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from experiments.analysis.salib import CONF_LEVEL, NUM_RESAMPLES, analysis_seed, require_salib
from experiments.design.experiment_file import Value
from experiments.design.points import PointsExperiment, outcome_values
from experiments.engine.provenance import package_version
from experiments.engine.store import RunStore, Task
from experiments.engine.tables import write_csv
from experiments.sensitivity.columns import INDEX_COLUMNS, INDICES_FILE, NOTE_COLUMNS, NOTES_FILE, POINT, POINTS_FILE
from model.errors import InputError

logger = logging.getLogger(__name__)

INDICES: dict[str, tuple[str, ...]] = {"morris": ("mu_star", "mu", "sigma"), "sobol": ("S1", "ST")}
CONF_OF = {"mu_star": "mu_star_conf", "S1": "S1_conf", "ST": "ST_conf"}


class Sensitivity(PointsExperiment):
    command = "sensitivity"

    def check_method(self) -> None:
        exp, path = self.loaded.experiment, self.loaded.path
        method, n = exp.design.method, exp.design.samples
        if method not in INDICES:
            raise InputError(path, "design.method", f"{method!r} is not a sensitivity method", "morris or sobol")
        if n < 2:
            raise InputError(path, "design.samples", f"{n}", "at least 2 (bootstrap intervals need them)")
        if method == "morris" and exp.design.levels % 2:
            raise InputError(path, "design.levels", f"{exp.design.levels} grid levels", "an even number, e.g. 4")
        if method == "sobol" and n & (n - 1):
            logger.warning("design.samples = %d is not a power of 2: Sobol' sequences balance best at 2^m", n)
        self.salib = require_salib()

    @property
    def method(self) -> str:
        return self.loaded.experiment.design.method

    def problem(self) -> dict[str, Any]:
        """A fresh SALib problem each time: SALib adds keys to the one it is given."""
        exp = self.loaded.experiment
        bounds = [list(f.range) for f in exp.factors.values() if f.range is not None]
        return {"num_vars": len(exp.factors), "names": list(exp.factors), "bounds": bounds}

    def plan(self, master_seed: int) -> list[Task]:
        exp = self.loaded.experiment
        self.sample_seed = self.loaded.design_seed(master_seed)
        n, levels = exp.design.samples, exp.design.levels
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            if self.method == "morris":
                x = self.salib.morris_sample(self.problem(), n, num_levels=levels, seed=self.sample_seed)
            else:
                x = self.salib.sobol_sample(self.problem(), n, calc_second_order=False, seed=self.sample_seed)
        for w in caught:
            logger.info("SALib: %s", w.message)
        self.x = np.asarray(x, dtype=float)
        names = self.loaded.factor_names
        integer = [f.integer for f in exp.factors.values()]
        points: list[dict[str, Value]] = [
            {k: (round(float(v)) if i else float(v)) for k, i, v in zip(names, integer, row, strict=True)}
            for row in self.x
        ]
        return self.points_tasks(points, master_seed, with_base=False)

    def analyse(self, tasks: Sequence[Task], store: RunStore, folder: Path) -> dict[str, Any]:
        outcomes = list(self.loaded.experiment.outcomes)
        at, _base, _errors = outcome_values(store, tasks, outcomes, len(self.points))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            y = np.nanmean(at, axis=1)  # (points, outcomes), NaN where no replication had a value
        rows, notes = [], []
        for j, o in enumerate(outcomes):
            col = y[:, j]
            missing = int(np.count_nonzero(~np.isfinite(col)))
            if missing:
                notes.append([o, f"undefined at {missing} of {len(col)} design points"])
            elif self.method == "sobol" and float(np.ptp(col)) == 0.0:
                notes.append([o, "the same value at every design point: no variance to apportion"])
            else:
                rows += self._indices(o, col)
        write_csv(folder / INDICES_FILE, INDEX_COLUMNS, rows)
        write_csv(folder / NOTES_FILE, NOTE_COLUMNS, notes)
        names = self.loaded.factor_names
        write_csv(
            folder / POINTS_FILE,
            (POINT, *names, *outcomes),
            ([p, *(pt[k] for k in names), *y[p]] for p, pt in enumerate(self.points)),
        )
        self.write_factors(folder)
        self.write_experiment(folder, sample_seed=self.sample_seed, analysis_seed=analysis_seed(self.sample_seed))
        exp = self.loaded.experiment
        return {
            **self.common_manifest(),
            "method": self.method,
            "design": {
                "samples": exp.design.samples,
                "levels": exp.design.levels if self.method == "morris" else None,
                "sample_seed": self.sample_seed,
                "analysis_seed": analysis_seed(self.sample_seed),
                "num_resamples": NUM_RESAMPLES,
                "conf_level": CONF_LEVEL,
            },
            "versions_extra": {"SALib": package_version("SALib")},
        }

    def _indices(self, outcome: str, y: np.ndarray) -> list[list[Any]]:
        seed = analysis_seed(self.sample_seed)
        common = {"num_resamples": NUM_RESAMPLES, "conf_level": CONF_LEVEL, "seed": seed}
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            if self.method == "morris":
                levels = self.loaded.experiment.design.levels
                si = self.salib.morris_analyze(self.problem(), self.x, y, num_levels=levels, **common)
            else:
                si = self.salib.sobol_analyze(self.problem(), y, calc_second_order=False, **common)
        for w in caught:
            logger.info("SALib (%s): %s", outcome, w.message)
        rows = []
        for i, factor in enumerate(self.loaded.factor_names):
            for index in INDICES[self.method]:
                key = CONF_OF.get(index)
                conf = float(np.asarray(si[key])[i]) if key else math.nan
                rows.append([outcome, factor, index, float(np.asarray(si[index])[i]), conf])
        return rows
