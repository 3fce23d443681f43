"""What sweep and sensitivity share: an experiment file, design points, and runs point × replication.

Replication r uses the same seed at every design point (common random
numbers), and the base scenario itself is run on the same seeds, so each
point's difference against the base is paired.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from experiments.design.columns import FACTOR_COLUMNS, FACTORS_FILE
from experiments.design.experiment_file import LoadedExperiment, Value, load_experiment
from experiments.engine.naming import derived_name
from experiments.engine.protocol import Experiment
from experiments.engine.seeds import replication_seeds
from experiments.engine.store import RunStore, Task, digest, scenario_content
from experiments.engine.tables import write_csv

BASE = "base"


class PointsExperiment(Experiment):
    """An experiment file's design points, each run `replications` times, plus the base scenario."""

    tolerates_failures = False

    loaded: LoadedExperiment

    def load(self) -> None:
        self.loaded = load_experiment(self.args.experiment, self.args)
        self.check_method()

    def check_method(self) -> None:
        """Refuse a design method this command does not run (InputError)."""

    def default_name(self) -> str:
        return derived_name(self.command, [self.loaded.experiment.name], self.args)

    def inputs(self) -> dict[str, Any]:
        """The experiment's values and the base scenario's content and seed: not the files' text, so that
        editing a description or a comment does not make the runs those of other inputs."""
        exp = self.loaded.experiment
        seed = self.loaded.base_raw.get("seed")
        return {
            "experiment": exp.model_dump(mode="json", exclude={"description"}),
            "base": scenario_content(self.loaded.base_scenario()),
            "base_seed": seed if isinstance(seed, int) else None,
        }

    def declared_seeds(self) -> Sequence[tuple[int | None, str]]:
        seed = self.loaded.base_raw.get("seed")
        return [
            (self.loaded.experiment.seed, "experiment file"),
            (int(seed) if isinstance(seed, int) else None, "base scenario file"),
        ]

    def points_tasks(self, points: list[dict[str, Value]], master_seed: int, with_base: bool = True) -> list[Task]:
        """Point p × replication r, then (with_base) the base scenario on the same seeds."""
        self.master_seed = master_seed
        self.points = points
        self.seeds = replication_seeds(master_seed, self.loaded.experiment.replications)
        tasks = []
        for p, point in enumerate(points):
            scenario = self.loaded.scenario_at(point)
            for r, seed in enumerate(self.seeds):
                tasks.append(Task(f"p{p:05d}-r{r:04d}", scenario, seed, {"point": p, "replication": r, **point}))
        if not with_base:
            return tasks
        base = self.loaded.base_scenario()
        tasks += [Task(f"base-r{r:04d}", base, s, {"point": BASE, "replication": r}) for r, s in enumerate(self.seeds)]
        return tasks

    def write_experiment(self, folder: Path, **design: Any) -> None:
        """experiment.resolved.yaml: the experiment as run (command-line overrides in), its seeds and design."""
        doc = self.loaded.experiment.model_dump(mode="json")
        doc.update(seed=self.master_seed, replication_seeds=self.seeds, base_file=str(self.loaded.base_path))
        doc["design"] = {**doc["design"], **design}
        text = yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)
        (folder / "experiment.resolved.yaml").write_text(text, encoding="utf-8")

    def write_factors(self, folder: Path) -> None:
        """factors.csv: each factor's key path, label, unit and range or values (figures label axes from it)."""
        rows = []
        for key, factor in self.loaded.experiment.factors.items():
            info = self.loaded.factor_info(key)
            grid = self.loaded.experiment.design.method == "grid"
            span = factor.axis() if grid else list(factor.range or factor.values or ())
            rows.append([key, info.label, info.unit, " ".join(str(v) for v in span), factor.integer])
        write_csv(folder / FACTORS_FILE, FACTOR_COLUMNS, rows)

    def common_manifest(self) -> dict[str, Any]:
        exp = self.loaded.experiment
        base = self.loaded.base_scenario()
        return {
            "experiment": exp.model_dump(mode="json"),
            "experiment_file": str(self.loaded.path),
            "base_file": str(self.loaded.base_path),
            "base_config_hash": digest(scenario_content(base)),
            "replications": exp.replications,
            "replication_seeds": self.seeds,
            "points": len(self.points),
            "firms": base.firms.count,
            "years": [base.years.start, base.years.end],
        }


def outcome_values(
    store: RunStore, tasks: Sequence[Task], outcomes: Sequence[str], n_points: int
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """(points, replications, outcomes) and (replications, outcomes) of the base, NaN where a run failed."""
    reps = 1 + max(int(t.labels["replication"]) for t in tasks)
    at = np.full((n_points, reps, len(outcomes)), math.nan)
    base = np.full((reps, len(outcomes)), math.nan)
    errors: list[str] = []
    for task, rec in store.records(tasks):
        row = [float((rec.metrics or {}).get(o, math.nan)) if rec.ok else math.nan for o in outcomes]
        r = int(task.labels["replication"])
        if task.labels["point"] == BASE:
            base[r] = row
        else:
            at[int(task.labels["point"]), r] = row
        if not rec.ok:
            errors.append(f"{task.task_id}: {rec.error}")
    return at, base, errors
