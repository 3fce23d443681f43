"""`discover EXPERIMENT.yaml`: scenario discovery, in which worlds does a policy package fail?

The uncertainties' ranges are sampled by a Latin hypercube (`worlds` points,
experiments.design.experiment_file.latin_hypercube); in world w the base and
every package are run `replications` times, replication r of world w on the
seed `SeedSequence(master).spawn(W)[w].spawn(R)[r]` (experiments.engine.seeds.
draw_seeds) for the base and every package alike: common random numbers, so a
package's paired change in world w is due to its levers, not to the dice.
A package fails in world w when the mean over the replications of its paired
change of the rule's metric crosses the rule's bound. PRIM finds the boxes of
the uncertainty space where it fails, and CART cross-checks them
(experiments.discover.boxes). A run that fails stops the command (the runs
are kept for --resume): a world without its runs cannot be judged.

Tables (experiments.discover.columns): `worlds.csv`, `outcomes.csv`,
`packages.csv`, `boxes.csv`, `trajectory.csv`, `factors.csv` (each
uncertainty's label and unit) and `experiment.resolved.yaml` (the file as run,
with its seeds).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from experiments.design.columns import FACTOR_COLUMNS, FACTORS_FILE
from experiments.design.experiment_file import Value
from experiments.discover.boxes import Discovery, Settings, discover, require_ema
from experiments.discover.columns import (
    ALWAYS,
    BOX_COLUMNS,
    BOXES,
    BOXES_FILE,
    NEVER,
    NO_BOX,
    OUTCOME_HEAD,
    OUTCOME_METRICS,
    OUTCOME_TAIL,
    OUTCOMES_FILE,
    PACKAGE_COLUMNS,
    PACKAGES_FILE,
    TRAJECTORY_COLUMNS,
    TRAJECTORY_FILE,
    WORLD,
    WORLDS_FILE,
    outcome_columns,
)
from experiments.discover.reduce import HORIZON_ONLY
from experiments.discover.spec import DiscoverFile, LoadedDiscover, load_discover
from experiments.engine.naming import derived_name
from experiments.engine.protocol import Experiment
from experiments.engine.seeds import draw_seeds
from experiments.engine.store import RunStore, Task, digest, scenario_content
from experiments.engine.tables import write_csv

BASE = "(base)"  # the base's label in the tasks: no scenario can be named so (letters, digits, _ and -)


class Discover(Experiment):
    command = "discover"

    loaded: LoadedDiscover

    def load(self) -> None:
        self.loaded = load_discover(self.args.experiment, self.args)
        require_ema()  # before any run: the analysis needs it

    @property
    def spec(self) -> DiscoverFile:
        return self.loaded.spec

    @property
    def metrics(self) -> tuple[str, ...]:
        """The rule's metric first, then the others outcomes.csv always has."""
        rule = self.spec.failure.metric
        return (rule, *(m for m in OUTCOME_METRICS if m != rule))

    def default_name(self) -> str:
        worlds = getattr(self.args, "worlds", None)
        return derived_name(self.command, [self.spec.name], self.args, [f"w{worlds}"] if worlds is not None else [])

    def inputs(self) -> dict[str, Any]:
        """The file's values (not its text), the base's and every package's content, the base's seed."""
        seed = self.loaded.base_raw.get("seed")
        return {
            "experiment": self.spec.model_dump(mode="json", exclude={"description"}),
            "base": scenario_content(self.loaded.base_in({})),
            "packages": [[p.name, scenario_content(p.scenario)] for p in self.loaded.packages],
            "base_seed": seed if isinstance(seed, int) else None,
        }

    def declared_seeds(self) -> Sequence[tuple[int | None, str]]:
        seed = self.loaded.base_raw.get("seed")
        base_seed = int(seed) if isinstance(seed, int) else None
        return [(self.spec.seed, "experiment file"), (base_seed, "base scenario file")]

    def plan(self, master_seed: int) -> list[Task]:
        """World-major: in world w, the base then each package, each on world w's replication seeds."""
        self.master_seed = master_seed
        self.sample_seed = self.loaded.sample_seed(master_seed)
        self.worlds: list[dict[str, Value]] = self.loaded.worlds(self.sample_seed)
        self.seeds = draw_seeds(master_seed, len(self.worlds), self.spec.replications)
        tasks = []
        for w, values in enumerate(self.worlds):
            units = [("base", BASE, self.loaded.base_in(values))]
            units += [
                (f"p{k:02d}", p.name, self.loaded.package_in(k, values)) for k, p in enumerate(self.loaded.packages)
            ]
            for tag, label, scenario in units:
                for r, seed in enumerate(self.seeds[w]):
                    labels = {WORLD: w, "package": label, "replication": r}
                    tasks.append(Task(f"w{w:05d}-{tag}-r{r:04d}", scenario, seed, labels, reducer=HORIZON_ONLY))
        return tasks

    def values(self, tasks: Sequence[Task], store: RunStore) -> tuple[np.ndarray, np.ndarray]:
        """(worlds, replications, metrics) of the base and (packages, worlds, replications, metrics), NaN if absent."""
        shape = (len(self.worlds), self.spec.replications, len(self.metrics))
        base = np.full(shape, math.nan)
        at = np.full((len(self.loaded.packages), *shape), math.nan)
        index = {name: k for k, name in enumerate(self.loaded.names)}
        for task, rec in store.records(tasks):
            row = [float((rec.metrics or {}).get(m, math.nan)) if rec.ok else math.nan for m in self.metrics]
            w, r, label = int(task.labels[WORLD]), int(task.labels["replication"]), task.labels["package"]
            if label == BASE:
                base[w, r] = row
            else:
                at[index[label], w, r] = row
        return base, at

    def analyse(self, tasks: Sequence[Task], store: RunStore, folder: Path) -> dict[str, Any]:
        base, at = self.values(tasks, store)
        change = at - base[None]
        world_change = change[..., 0].mean(axis=2)  # (packages, worlds): the rule's metric over the replications
        rule = self.spec.failure
        failed = rule.fails(world_change) & np.isfinite(world_change)
        keys = self.loaded.keys
        write_csv(folder / WORLDS_FILE, [WORLD, *keys], [[w, *(v[k] for k in keys)] for w, v in enumerate(self.worlds)])
        self.write_factors(folder)
        self.write_outcomes(folder, base, at, change, world_change, failed)
        verdicts, found = self.find_boxes(world_change, failed)
        write_csv(folder / PACKAGES_FILE, PACKAGE_COLUMNS, self.package_rows(world_change, failed, verdicts))
        write_boxes(folder, self.loaded.names, found)
        self.write_resolved(folder)
        return {
            "experiment": self.spec.model_dump(mode="json"),
            "experiment_file": str(self.loaded.path),
            "base_file": str(self.loaded.base_path),
            "package_files": [str(p.path) for p in self.loaded.packages],
            "base_config_hash": digest(scenario_content(self.loaded.base_in({}))),
            "worlds": len(self.worlds),
            "replications": self.spec.replications,
            "sample_seed": self.sample_seed,
            "common_random_numbers": "replication r of world w uses world_seeds[w][r] for the base and every package",
            "world_seeds": self.seeds if len(self.worlds) <= 2000 else "SeedSequence(seed).spawn(W)[w].spawn(R)[r]",
            "verdicts": dict(zip(self.loaded.names, verdicts, strict=True)),
        }

    def find_boxes(self, world_change: np.ndarray, failed: np.ndarray) -> tuple[list[str], list[Discovery | None]]:
        """Per package: its verdict and, when some worlds fail and others do not, its boxes."""
        p = self.spec.prim
        settings = Settings(p.density_min, p.mass_min, p.peel_alpha, p.paste_alpha, p.max_boxes, p.resamples)
        verdicts: list[str] = []
        found: list[Discovery | None] = []
        for k in range(len(self.loaded.packages)):
            defined = np.isfinite(world_change[k])
            y = failed[k][defined]
            if not y.any() or y.all():
                verdicts.append(NEVER if not y.any() else ALWAYS)
                found.append(None)
                continue
            x = {key: np.array([float(v[key]) for v in self.worlds])[defined] for key in self.loaded.keys}
            seed = int(np.random.SeedSequence([self.master_seed, 2, k]).generate_state(1, np.uint32)[0])
            d = discover(x, y, settings, seed)
            verdicts.append(BOXES if d.prim else NO_BOX)
            found.append(d)
        return verdicts, found

    def package_rows(self, world_change: np.ndarray, failed: np.ndarray, verdicts: list[str]) -> list[list[Any]]:
        rule = self.spec.failure
        rows = []
        for k, p in enumerate(self.loaded.packages):
            undefined = int((~np.isfinite(world_change[k])).sum())
            rows.append(
                [p.name, str(p.path), len(self.worlds), self.spec.replications, int(failed[k].sum()), undefined,
                 rule.metric, rule.side, rule.bound, verdicts[k], self.spec.prim.density_min]
            )  # fmt: skip
        return rows

    def write_outcomes(
        self,
        folder: Path,
        base: np.ndarray,
        at: np.ndarray,
        change: np.ndarray,
        world_change: np.ndarray,
        failed: np.ndarray,
    ) -> None:
        """outcomes.csv, package-major, then world, then replication."""
        columns = [*OUTCOME_HEAD, *outcome_columns(self.metrics), *OUTCOME_TAIL]
        rows = []
        for k, name in enumerate(self.loaded.names):
            for w in range(len(self.worlds)):
                for r, seed in enumerate(self.seeds[w]):
                    cells: list[Any] = [name, w, r, seed]
                    for j in range(len(self.metrics)):
                        cells += [base[w, r, j], at[k, w, r, j], change[k, w, r, j]]
                    rows.append([*cells, world_change[k, w], bool(failed[k, w])])
        write_csv(folder / OUTCOMES_FILE, columns, rows)

    def write_factors(self, folder: Path) -> None:
        """factors.csv: each uncertainty's key, label, unit and range (the report's words and axes)."""
        rows = []
        for key, f in self.spec.uncertainties.items():
            info = self.loaded.info(key)
            rows.append([key, info.label, info.unit, " ".join(str(v) for v in f.range or ()), f.integer])
        write_csv(folder / FACTORS_FILE, FACTOR_COLUMNS, rows)

    def write_resolved(self, folder: Path) -> None:
        """experiment.resolved.yaml: the file as run (command-line overrides in), its seeds and the files it read."""
        doc = self.spec.model_dump(mode="json")
        doc.update(
            seed=self.master_seed,
            sample_seed=self.sample_seed,
            base_file=str(self.loaded.base_path),
            package_files=[str(p.path) for p in self.loaded.packages],
        )
        text = yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)
        (folder / "experiment.resolved.yaml").write_text(text, encoding="utf-8")


def write_boxes(folder: Path, names: Sequence[str], found: Sequence[Discovery | None]) -> None:
    """boxes.csv (a row per restricted dimension of each box) and trajectory.csv (each PRIM box's steps)."""
    rows: list[list[Any]] = []
    steps: list[list[Any]] = []
    for name, d in zip(names, found, strict=True):
        if d is None:
            continue
        for box in [*d.prim, *d.cart]:
            head = [name, box.method, box.index, box.coverage, box.density, box.mass, box.worlds, box.failures]
            head += [box.meets_density, len(box.restrictions)]
            if not box.restrictions:
                rows.append([*head, *([None] * 9)])
            for r in box.restrictions:
                rows.append(
                    [*head, r.dimension, r.low, r.high, r.low_restricted, r.high_restricted, r.qp_low, r.qp_high,
                     r.reproduce_coverage_pct, r.reproduce_density_pct]
                )  # fmt: skip
        steps += [[name, s.box, s.step, s.coverage, s.density, s.mass, s.restricted, s.chosen] for s in d.trajectory]
    write_csv(folder / BOXES_FILE, BOX_COLUMNS, rows)
    write_csv(folder / TRAJECTORY_FILE, TRAJECTORY_COLUMNS, steps)
