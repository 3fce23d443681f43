"""`calibrate CALIBRATION.yaml`: fit behaviour parameters to the article's facts by ABC-SMC (DESIGN §7).

1. The fit: pyabc's ABC-SMC (experiments.calibrate.abc) over the file's parameters and
   uniform priors; one evaluation = `replications` hindcast runs (2019 to the
   base scenario's `years.hindcast_end`), on the parameter set's own seeds
   (`seeds: fresh`) or on the same seeds for every set (`seeds: common`);
   the distance is Σ w_f d_f over the fitted facts (experiments.facts.catalogue),
   with fixed weights or rescaled each generation (`abc.distance: adaptive`).
2. The posterior predictive check: `predictive.draws` parameter sets drawn
   from the final population (systematic resampling on the weights, no random
   generator), each run on `predictive.replications` fresh seeds (never used
   in the fit); beside them, on the same seeds, the point estimate (the final
   population's particle nearest the weighted marginal medians), the base scenario's defaults and
   the two yardsticks of experiments.facts.yardsticks, each with the point
   estimate's push: the null model (every choice coefficient 0 and every
   nest λ 1: the model without its choice rule) and the gravity yardstick
   (P(j) ∝ GDP^a · km^b, every λ 1), whose a and b are fitted first to the
   same facts with the same weights on the fit seeds (a grid of at most 43
   points: experiments.facts.gravity). Every fact is measured, fitted and
   held out alike.

Tables (experiments/calibrate/tables.py writes them): posterior.csv,
parameters.csv, populations.csv, trace.csv, fit.csv, predictive.csv,
gravity.csv, calibrated.yaml, calibration.resolved.yaml, and pyabc's database abc.db.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from experiments.analysis.posterior import systematic_indices
from experiments.calibrate.abc import AbcSettings, Evaluator, Generation, evaluation_seeds, run_abc
from experiments.calibrate.tables import Predictions, write_tables
from experiments.design.calibration_file import LoadedCalibration, load_calibration
from experiments.engine.capabilities import THIN_ESS
from experiments.engine.pool import Engine, RunStats
from experiments.engine.protocol import Experiment
from experiments.engine.seeds import replication_seeds
from experiments.engine.store import RunStore, Task, data_hashes, scenario_content
from experiments.facts.catalogue import HINDCAST_SUMMARY
from experiments.facts.gravity import GravityFit, GravityGrid, fit_gravity
from experiments.facts.yardsticks import gravity_overrides, null_overrides
from model.config import Scenario
from model.extras import missing_extra
from model.world import WorldData, world_for

DB = "abc.db"
MODELS = ("posterior", "calibrated", "defaults", "null", "gravity")


class Calibrate(Experiment):
    command = "calibrate"

    loaded: LoadedCalibration
    world: WorldData

    def load(self) -> None:
        try:
            import pyabc  # noqa: F401 - only to say early that the extra is missing
        except ImportError:
            raise missing_extra("pyabc", "calibrating (ABC-SMC)", "calibrate") from None
        self.path = Path(self.args.calibration)
        self.loaded = load_calibration(self.path, self.args)
        self.cal = self.loaded.calibration
        self.defaults = self.loaded.scenario({}, "defaults", hindcast_only=False)
        self.world = world_for(self.defaults, self.loaded.base_path)

    def scope_scenario(self) -> Scenario:
        return self.defaults

    def default_name(self) -> str:
        return self.cal.name

    def inputs(self) -> dict[str, Any]:
        return {
            "calibration": self.cal.model_dump(mode="json"),
            "base": scenario_content(self.defaults),
            "base_file": self.loaded.base_path.name,
        }

    def declared_seeds(self) -> Sequence[tuple[int | None, str]]:
        return [(self.cal.seed, "calibration file"), (self.defaults.seed, "base scenario")]

    def plan(self, master_seed: int) -> list[Task]:
        self.master_seed = master_seed
        fit, pred = self.cal.replications, self.cal.predictive.replications
        seeds = replication_seeds(master_seed, fit + pred + 1)
        self.fit_seeds, self.predictive_seeds, self.abc_seed = seeds[:fit], seeds[fit:-1], seeds[-1]
        return []  # the fit is adaptive: execute() runs it

    def execute(self, engine: Engine, store: RunStore, tasks: list[Task]) -> list[Task]:
        cal = self.cal
        evaluator = Evaluator(
            lambda values, name: self.loaded.scenario(values, name),
            cal.fit,
            self._seeds_for,
            self.world,
            engine,
            store,
            progress=engine.options.progress,
        )
        priors = cal.parameters
        settings = AbcSettings(
            keys=tuple(priors),
            ranges=tuple(p.range for p in priors.values()),
            weights={f: self.loaded.weight(f) for f in cal.fit},
            population=cal.abc.population,
            generations=cal.abc.generations,
            max_simulations=cal.abc.max_simulations,
            min_epsilon=cal.abc.min_epsilon,
            epsilon_quantile=cal.abc.epsilon_quantile,
            seed=self.abc_seed,
            batch=4 * max(1, engine.options.workers),
            adaptive_population=None
            if cal.abc.adaptive_population is None
            else (
                cal.abc.adaptive_population.target_cv,
                cal.abc.adaptive_population.min_size,
                cal.abc.adaptive_population.max_size,
            ),
            adaptive_distance=cal.abc.distance == "adaptive",
        )
        self.settings = settings
        self.generations: list[Generation] = run_abc(settings, evaluator, store.root / DB)
        self.evaluations = evaluator.evaluations
        self.gravity: GravityFit
        self.gravity, _grid_tasks, grid_stats = fit_gravity(self._gravity_grid(), engine, store)
        self.predictions = self._predictive_plan()
        pred_tasks = self.predictions.tasks
        stats = engine.run(pred_tasks, store)
        every = [*grid_stats, stats]
        self.run_stats.append(
            RunStats(
                evaluator.runs_executed + sum(x.executed for x in every),
                evaluator.runs_reused + sum(x.reused for x in every),
                stats.failed,
            )
        )
        return pred_tasks

    def _seeds_for(self, tag: str) -> list[int]:
        """The run seeds of the parameter set with this digest: its own (fresh) or the fit's common ones."""
        if self.cal.seeds == "common":
            return list(self.fit_seeds)
        return evaluation_seeds(self.master_seed, tag, self.cal.replications)

    def _gravity_grid(self) -> GravityGrid:
        """The gravity yardstick's fit: the point estimate's push, the fitted facts and weights, the fit seeds."""
        point = point_estimate(self.generations[-1], self.settings.keys)
        return GravityGrid(
            lambda values, name: self.loaded.scenario(values, name),
            point,
            tuple(self.fit_seeds),
            tuple(self.cal.fit),
            dict(self.settings.weights),
            self.world,
        )

    def _predictive_plan(self) -> Predictions:
        final = self.generations[-1]
        keys = self.settings.keys
        point = point_estimate(final, keys)
        draws = [
            dict(zip(keys, map(float, final.values[i]), strict=True))
            for i in systematic_indices(final.weights, self.cal.predictive.draws)
        ]
        sets: dict[str, list[dict[str, float]]] = {
            "posterior": draws,
            "calibrated": [point],
            "defaults": [{}],
            "null": [{**point, **null_overrides()}],
            "gravity": [{**point, **gravity_overrides(self.gravity.a, self.gravity.b)}],
        }
        tasks: list[Task] = []
        groups: dict[tuple[str, int], list[Task]] = {}
        for model, value_sets in sets.items():
            for k, values in enumerate(value_sets):
                scenario = self.loaded.scenario(values, f"{model}-{k:03d}")
                group = [
                    Task(
                        f"pred-{model}-{k:03d}-r{r:02d}",
                        scenario,
                        seed,
                        {"model": model, "draw": k},
                        reducer=HINDCAST_SUMMARY,
                    )
                    for r, seed in enumerate(self.predictive_seeds)
                ]
                groups[(model, k)] = group
                tasks.extend(group)
        return Predictions(point, sets, groups, tasks)

    def analyse(self, tasks: Sequence[Task], store: RunStore, folder: Path) -> dict[str, Any]:
        cal = self.cal
        final_folder = (Path(self.args.out) / (self.args.name or self.default_name())).resolve()
        write_tables(folder, final_folder, self, store)
        doc = cal.model_dump(mode="json")
        doc["firms"] = self.defaults.firms.count  # the count the runs had, also when the file left it to the base
        (folder / "calibration.resolved.yaml").write_text(
            yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), encoding="utf-8"
        )
        db = store.root / DB
        if db.is_file():
            shutil.copyfile(db, folder / DB)
        final = self.generations[-1]
        return {
            "calibration": {
                "file": str(self.path),
                "base": str(self.loaded.base_path),
                "parameters": list(cal.parameters),
                "fit": list(cal.fit),
                "held_out": list(cal.held_out),
                "firms": self.defaults.firms.count,
                "window": [self.defaults.years.start, self.defaults.years.hindcast_end],
                "replications": cal.replications,
                "seeds": cal.seeds,
                "fit_seeds": list(self.fit_seeds)
                if cal.seeds == "common"
                else "fresh: evaluation_seeds(master, tag, R)",
                "predictive_seeds": list(self.predictive_seeds),
                "abc_seed": self.abc_seed,
                "population": cal.abc.population,
                "generations": len(self.generations),
                "simulations": final.simulations,
                "evaluations_run": self.evaluations,
                "final_epsilon": final.epsilon,
                "posterior_size": final.particles,
                "effective_size": final.effective_size,
                "distinct_sets": final.distinct,
                "thin": final.effective_size < THIN_ESS,
                "thin_below": THIN_ESS,
                "adaptive_population": None
                if cal.abc.adaptive_population is None
                else cal.abc.adaptive_population.model_dump(mode="json"),
                "distance": cal.abc.distance,
                "predictive_draws": cal.predictive.draws,
                "predictive_replications": cal.predictive.replications,
                "gravity": self.gravity.manifest(),
                "budget": {
                    "max_simulations": cal.abc.max_simulations,
                    "max_generations": cal.abc.generations,
                    "min_epsilon": cal.abc.min_epsilon,
                    "runs_per_simulation": cal.replications,
                },
            },
            "master_seed": self.master_seed,
            "data_files": data_hashes(self.defaults),
        }


def point_estimate(generation: Generation, keys: Sequence[str]) -> dict[str, float]:
    """One parameter set of the final population: the particle nearest the weighted marginal medians.

    Nearest in units of each parameter's weighted posterior standard deviation (a parameter whose
    posterior has no spread counts by its absolute difference), among the particles with weight whose
    every parameter lies inside its weighted 5-95 % interval (in many dimensions the nearest particle
    overall can have one parameter far out in a tail; if no particle lies inside every interval, all
    particles with weight are candidates). So the point is a set the model was run at in the fit, not a
    patchwork of marginal medians that may sit where no particle does (issue 17). Ties go to the
    particle with the larger weight, then the earlier row.
    """
    from experiments.calibrate.abc import weighted_quantile

    values, weights = generation.values, generation.weights
    k = len(keys)
    medians = np.array([weighted_quantile(values[:, j], weights, 0.5) for j in range(k)])
    low = np.array([weighted_quantile(values[:, j], weights, 0.05) for j in range(k)])
    high = np.array([weighted_quantile(values[:, j], weights, 0.95) for j in range(k)])
    mean = weights @ values
    sd = np.sqrt(np.maximum(weights @ (values - mean) ** 2, 0.0))
    scale = np.where(sd > 0, sd, 1.0)
    far = np.sqrt((((values - medians) / scale) ** 2).sum(axis=1))
    live = weights > 0
    inside = live & ((values >= low) & (values <= high)).all(axis=1)
    if inside.any():
        live = inside
    order = np.lexsort((np.arange(len(far)), -weights, np.where(live, far, np.inf)))
    best = int(order[0])
    return {key: float(values[best, j]) for j, key in enumerate(keys)}


__all__ = ["MODELS", "Calibrate", "null_overrides", "point_estimate"]
