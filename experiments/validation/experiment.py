"""`report [SCENARIO.yaml | CALIBRATION_DIR]`: the validation report of DESIGN §7.

Parts (each its own module, tables written into the result folder):

1. Facts (experiments.validation.facts → facts.csv, coverage.csv): every fact
   of experiments.facts.catalogue over the hindcast window (runs ending at
   `years.hindcast_end`, reduced in their workers by HINDCAST_SUMMARY), the
   model beside the two yardsticks of experiments.facts.yardsticks: the null
   model (the same scenario with every choice coefficient 0 and every nest λ 1)
   and the gravity yardstick (P(j) ∝ GDP^a · km^b with the same push), whose a
   and b are first fitted on a grid to the fitted facts (a calibration
   folder's, else domain.md's default; experiments.facts.gravity →
   gravity.csv); with a calibration folder also K posterior draws and the
   defaults before calibration, and each fact's role (fitted, held out).
2. Closed-form checks (experiments.validation.closed_form → closed_form.csv).
3. Comparative statics and the returns to a subsidy (experiments.validation.statics →
   statics.csv, returns.csv), over the report window.
4. Sobol' indices (experiments.validation.global_sensitivity → sobol.csv,
   sobol_points.csv, sobol_ranges.csv, sobol_notes.csv); `--sobol-samples 0`
   skips them.

Seeds: replication r of the model, the null model, the defaults, the base and
every lever scenario and sweep level uses `replication_seeds(master, R)[r]`
(common random numbers), the gravity yardstick's facts too; its fit uses
`replication_seeds(sub_seed(master, GRAVITY_TAG), GRAVITY_REPLICATIONS)`
(fresh seeds, as a calibration fits on seeds it does not check on);
posterior draw k replication r uses `draw_seeds(master, K, R)[k][r]`; the Sobol' runs all use one seed, the design
and the simulated closed-form year theirs, each spawned from the master seed
with its own tag (`sub_seed`). `validation.json` records what the report
module needs (mode, windows, budget, seeds); no wall times.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from experiments.engine.naming import derived_name
from experiments.engine.pool import Engine
from experiments.engine.protocol import Experiment
from experiments.engine.seeds import draw_seeds, replication_seeds
from experiments.engine.store import RunStore, Task, data_hashes, scenario_content
from experiments.engine.tables import write_csv, write_json
from experiments.engine.task_pool import TaskPool, record
from experiments.facts import destinations
from experiments.facts.catalogue import HINDCAST_SUMMARY
from experiments.facts.destinations import destination_rows
from experiments.facts.gravity import GRAVITY_COLUMNS, GRAVITY_FILE, GravityFit, GravityGrid, fit_gravity
from experiments.facts.patterns import read_targets
from experiments.facts.yardsticks import null_overrides
from experiments.registry import DEFAULT_DRAWS, DEFAULT_SOBOL_SAMPLES
from experiments.validation.closed_form import closed_form_rows
from experiments.validation.columns import (
    CLOSED_FORM_COLUMNS,
    CLOSED_FORM_FILE,
    COVERAGE_COLUMNS,
    COVERAGE_FILE,
    FACT_COLUMNS,
    FACTS_FILE,
    NOTE_COLUMNS,
    RANGE_COLUMNS,
    RETURNS_COLUMNS,
    RETURNS_FILE,
    SOBOL_COLUMNS,
    SOBOL_FILE,
    SOBOL_NOTES_FILE,
    SOBOL_RANGES_FILE,
    STATICS_COLUMNS,
    STATICS_FILE,
)
from experiments.validation.facts import WITHOUT_HAND, coverage_rows, fact_rows
from experiments.validation.global_sensitivity import GlobalSensitivity
from experiments.validation.inputs import load_target, parameter_ranges, single_lever_scenarios
from experiments.validation.statics import Statics
from model.config import Scenario
from model.errors import InputError
from model.scenario import dump_resolved
from model.seeds import seed_of
from model.world import hand_seeded_rows, world_for

DEFAULT_REPLICATIONS = 10  # assumption: t intervals over 10 replications are a few per cent of the mean
SOBOL_RUN_TAG, SOBOL_DESIGN_TAG, CLOSED_FORM_TAG, GRAVITY_TAG = 1, 2, 3, 4
GRAVITY_REPLICATIONS = 2  # runs per grid point of the gravity fit: as the shipped calibration's (assumption: cheap)
META = "validation.json"


def sub_seed(master: int, tag: int) -> int:
    """A seed of its own for one part of the report, from the master seed (SeedSequence([master, tag]))."""
    return seed_of(np.random.SeedSequence([master, tag]))


class Report(Experiment):
    command = "report"

    def load(self) -> None:
        args = self.args
        self.target = load_target(Path(args.target), args.firms)
        calibration = self.target.posterior is not None
        if args.draws is not None and not calibration:
            raise InputError("command line", "--draws", "given with a scenario", "a CALIBRATION_DIR, or no --draws")
        self.draws = (args.draws or DEFAULT_DRAWS) if calibration else 0
        self.replications = args.replications or DEFAULT_REPLICATIONS
        self.samples = DEFAULT_SOBOL_SAMPLES if args.sobol_samples is None else args.sobol_samples
        self.levers = single_lever_scenarios()
        self.ranges, self.range_source = parameter_ranges(self.target) if self.samples else ([], "")
        if self.samples:
            from experiments.analysis.salib import require_salib

            require_salib("report", "the report's Sobol' indices", "or skip them with --sobol-samples 0")
        self.world = world_for(self.target.scenario, self.target.path)
        # The facts again without the data's rows set by hand (DESIGN §7), if the scenario keeps any.
        scenario = self.target.scenario
        self.hand_rows = hand_seeded_rows(scenario) if scenario.world.hand_seeded_rows == "keep" else 0

    def scope_scenario(self) -> Scenario:
        return self.target.scenario

    def default_name(self) -> str:
        extra = []
        if self.samples != DEFAULT_SOBOL_SAMPLES:
            extra.append(f"n{self.samples}")
        if self.args.draws is not None:
            extra.append(f"k{self.draws}")
        return derived_name("report", [self.target.name], self.args, extra)

    def inputs(self) -> dict[str, Any]:
        t = self.target
        return {
            "mode": t.mode,
            "scenario": scenario_content(t.scenario),
            "posterior": t.posterior.fingerprint if t.posterior else None,
            "roles": t.roles,
            "levers": [[lv.name, lv.policies] for lv in self.levers],
            "ranges": [[r.key, r.low, r.high] for r in self.ranges],
            "replications": self.replications,
            "draws": self.draws,
            "sobol_samples": self.samples,
            "seed": self.args.seed if self.args.seed is not None else t.scenario.seed,
        }

    def declared_seeds(self) -> Sequence[tuple[int | None, str]]:
        return [(self.target.scenario.seed, "scenario file")]

    def plan(self, master_seed: int) -> list[Task]:
        self.master_seed = master_seed
        t, pool, reps = self.target, TaskPool(), self.replications
        self.seeds = replication_seeds(master_seed, reps)
        models: dict[str, dict[str, Any]] = {"model": {}, "null": null_overrides()}
        if t.posterior is not None:
            models["defaults"] = {p.key: p.default for p in t.posterior.parameters}
        if self.hand_rows:
            models[WITHOUT_HAND] = {"world.hand_seeded_rows": "drop"}
        self.fact_tasks = {
            model: [
                pool.add(
                    f"facts-{model}-r{r:04d}",
                    t.variant(f"facts-{model}", values, hindcast_only=True),
                    s,
                    {"part": "facts", "model": model, "replication": r},
                    reducer=HINDCAST_SUMMARY,
                )
                for r, s in enumerate(self.seeds)
            ]
            for model, values in models.items()
        }
        self.gravity_grid = GravityGrid(
            lambda values, name: t.variant(name, values, hindcast_only=True),
            {},
            tuple(replication_seeds(sub_seed(master_seed, GRAVITY_TAG), GRAVITY_REPLICATIONS)),
            t.fitted,
            {f: t.weight(f) for f in t.fitted},
            self.world,
        )
        self.posterior_tasks: list[list[Task]] = []
        if t.posterior is not None:
            seeds = draw_seeds(master_seed, self.draws, reps)
            for k, values in enumerate(t.posterior.draws(self.draws)):
                sc = t.variant(f"draw-{k}", values, hindcast_only=True)
                self.posterior_tasks.append(
                    [
                        pool.add(
                            f"facts-draw{k:03d}-r{r:04d}",
                            sc,
                            s,
                            {"part": "posterior", "draw": k},
                            reducer=HINDCAST_SUMMARY,
                        )
                        for r, s in enumerate(seeds[k])
                    ]
                )
        self.statics = Statics(t, self.levers, self.seeds, pool)
        self.sobol = None
        if self.samples:
            self.sobol = GlobalSensitivity(
                t,
                self.levers,
                self.ranges,
                self.samples,
                sub_seed(master_seed, SOBOL_DESIGN_TAG),
                sub_seed(master_seed, SOBOL_RUN_TAG),
                pool,
            )
        self.tasks = pool.tasks
        return pool.tasks

    def execute(self, engine: Engine, store: RunStore, tasks: list[Task]) -> list[Task]:
        """The planned runs, then the gravity yardstick: its fit on a grid, then its facts at the best point."""
        done = super().execute(engine, store, tasks)
        self.gravity: GravityFit
        self.gravity, grid_tasks, stats = fit_gravity(self.gravity_grid, engine, store)
        self.run_stats.extend(stats)
        facts = self.gravity_grid.tasks(self.gravity.best.point, "facts-gravity", self.seeds)
        self.fact_tasks["gravity"] = facts
        self.run_stats.append(engine.run(facts, store))
        return [*done, *grid_tasks, *facts]

    def analyse(self, tasks: Sequence[Task], store: RunStore, folder: Path) -> dict[str, Any]:
        t = self.target

        def summaries(group: Sequence[Task]) -> list[dict[str, float]]:
            return [record(store, task).summary or {} for task in group]

        runs = {model: summaries(group) for model, group in self.fact_tasks.items()}
        posterior = [summaries(group) for group in self.posterior_tasks] or None
        write_csv(folder / FACTS_FILE, FACT_COLUMNS, fact_rows(self.world, runs, posterior, t.roles))
        write_csv(folder / GRAVITY_FILE, GRAVITY_COLUMNS, self.gravity.rows())
        groups = read_targets().top_destinations
        write_csv(folder / destinations.FILE, destinations.COLUMNS, destination_rows(runs["model"], groups))
        write_csv(folder / COVERAGE_FILE, COVERAGE_COLUMNS, coverage_rows())
        closed_seed = sub_seed(self.master_seed, CLOSED_FORM_TAG)
        checks = closed_form_rows(t.scenario, closed_seed, self.world, self.gravity.best.point)
        write_csv(folder / CLOSED_FORM_FILE, CLOSED_FORM_COLUMNS, checks)
        write_csv(folder / STATICS_FILE, STATICS_COLUMNS, self.statics.statics_rows(store))
        write_csv(folder / RETURNS_FILE, RETURNS_COLUMNS, self.statics.returns_rows(store))
        sobol: dict[str, Any] | None = None
        if self.sobol is not None:
            rows, points, notes = self.sobol.rows(store)
            write_csv(folder / SOBOL_FILE, SOBOL_COLUMNS, rows)
            write_csv(folder / "sobol_points.csv", self.sobol.point_columns(), points)
            write_csv(folder / SOBOL_RANGES_FILE, RANGE_COLUMNS, self.sobol.range_rows())
            write_csv(folder / SOBOL_NOTES_FILE, NOTE_COLUMNS, notes)
            sobol = {
                "samples": self.samples,
                "parameters": len(self.ranges),
                "parameter_sets": len(self.sobol.x),
                "runs": self.sobol.runs,
                "ranges": self.range_source,
                "design_seed": self.sobol.sample_seed,
                "run_seed": self.sobol.run_seed,
            }
        resolved = t.scenario.model_copy(update={"seed": self.master_seed, "replications": self.replications})
        (folder / "scenario.resolved.yaml").write_text(dump_resolved(resolved), encoding="utf-8")
        sc = t.scenario
        meta = {
            "mode": t.mode,
            "target": str(self.args.target),
            "scenario": sc.name,
            "calibration": t.posterior.folder.name if t.posterior else None,
            "hindcast": [sc.years.start, sc.years.hindcast_end],
            "report_window": list(sc.years.report),
            "firms": sc.firms.count,
            "replications": self.replications,
            "draws": self.draws,
            "levers": [lv.name for lv in self.levers],
            "returns_lever": self.statics.aid.name if self.statics.aid else None,
            "sobol": sobol,
            "runs": len(tasks),
            "closed_form_seed": closed_seed,
            "hand_seeded_rows": self.hand_rows,
            "gravity": {**self.gravity.manifest(), "seeds": list(self.gravity_grid.seeds)},
        }
        write_json(folder / META, meta)
        return {
            "validation": meta,
            "replication_seeds": self.seeds,
            "scenario_file": str(t.path),
            "data_files": data_hashes(sc),
        }
