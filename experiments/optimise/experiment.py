"""`optimise PROBLEM.yaml` (also `optimize`): the least-cost robust lever packages (DESIGN §9).

The search (experiments.optimise.search: pymoo's NSGA-II, re-evaluation of
the front) asks for blocks of evidence; each block is one `Engine.run` of the
one experiment engine (workers, Dask, `--resume`, progress, warm starts): in
every world w, the base and every package asked for on the block's seeds
`block_seeds[w][r]` (common random numbers across packages and the base; the
worlds fixed for the whole search). The final front is confirmed on fresh
seeds and certified (experiments.optimise.certify); the tables are written by
experiments.optimise.tables.

Seeds. The master seed gives the worlds' Latin hypercube (`worlds.seed`
overrides it), block b's seeds (`SeedSequence([master, 2, b])` → one seed per
world and replication, experiments.engine.seeds.draw_seeds), the bootstrap's
seed, and pymoo runs from each of `search.seeds`. Same master seed and
problem ⇒ the same packages, runs and tables, with 1 worker or N.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from experiments.engine.naming import derived_name
from experiments.engine.pool import Engine
from experiments.engine.protocol import Experiment
from experiments.engine.seeds import draw_seeds
from experiments.engine.store import Reducer, RunStore, Task, scenario_content
from experiments.optimise.certify import Verdict, certify
from experiments.optimise.problem import load_problem
from experiments.optimise.search import Package, Scoring, Search, nondominated
from model.config import Scenario
from model.extras import missing_extra
from model.metrics import Results
from model.outcomes import HORIZON

CONFIRM_BLOCK = 1000  # the confirmation's block: seeds no search block uses


def horizon_only(results: Results, scenario: Scenario) -> dict[str, float]:
    """The reduction `optimise` asks its workers for: nothing beyond the horizon metrics (no yearly rows kept)."""
    return {}


HORIZON_ONLY = Reducer(f"{__name__}:{horizon_only.__name__}", 2)


def seed_int(*entropy: int) -> int:
    return int(np.random.SeedSequence(list(entropy)).generate_state(1, np.uint64)[0])


class Optimise(Experiment):
    command = "optimise"

    def load(self) -> None:
        try:
            import pymoo  # noqa: F401
        except ImportError:
            raise missing_extra("pymoo", "the lever search (NSGA-II)", "optimise") from None
        self.loaded = load_problem(self.args.problem, self.args)
        p = self.loaded.problem
        self.scoring = Scoring(HORIZON, self.loaded.objectives(), self.loaded.constraints(), p.robustness.robustness())

    def default_name(self) -> str:
        return derived_name("optimise", [self.loaded.problem.name], self.args)

    def inputs(self) -> dict[str, Any]:
        p = self.loaded.problem
        out = {
            "problem": p.model_dump(mode="json", exclude={"description"}),
            "base": scenario_content(self.loaded.base_scenario({}, f"{p.name}-base")),
        }
        if self.loaded.ensemble is not None:
            out["posterior"] = self.loaded.ensemble.inputs()
        return out

    def declared_seeds(self) -> Sequence[tuple[int | None, str]]:
        seed = self.loaded.base_raw.get("seed")
        return [(self.loaded.problem.seed, "problem file"), (seed if isinstance(seed, int) else None, "base scenario")]

    def plan(self, master_seed: int) -> list[Task]:
        self.master = master_seed
        self.worlds = self.loaded.worlds(self.loaded.world_seed(master_seed))
        self.base_levels: dict[int, np.ndarray] = {}
        self.tasks: list[Task] = []
        return []  # the runs are asked for block by block, as the search goes (execute)

    # --- blocks of runs ---------------------------------------------------------

    def block_seeds(self, block: int) -> list[list[int]]:
        p = self.loaded.problem
        reps = p.confirm.replications if block == CONFIRM_BLOCK else p.replications
        return draw_seeds(seed_int(self.master, 2, block), len(self.worlds), reps)

    def _world_scenario(self, package: Package | None, w: int, name: str) -> Scenario:
        draw, values = self.worlds[w]
        if package is None:
            sc = self.loaded.base_scenario(values, name)
        else:
            sc = self.loaded.package_scenario(package, values, name)
        return self.loaded.in_world(sc, draw)

    def _block_tasks(self, packages: list[tuple[str, Package]], block: int) -> list[Task]:
        name = self.loaded.problem.name
        seeds = self.block_seeds(block)
        units: list[tuple[str, Package | None]] = [] if block in self.base_levels else [("base", None)]
        units += packages
        tasks = []
        for w in range(len(self.worlds)):
            for key, package in units:
                scenario = self._world_scenario(package, w, f"{name}-{key}")
                for r, seed in enumerate(seeds[w]):
                    labels = {"package": key, "block": block, "world": w, "replication": r}
                    tid = f"b{block:04d}-w{w:03d}-{key}-r{r:03d}"
                    tasks.append(Task(tid, scenario, seed, labels, reducer=HORIZON_ONLY))
        return tasks

    def _levels(self, store: RunStore, tasks: list[Task], block: int) -> dict[str, np.ndarray]:
        reps = len(self.block_seeds(block)[0])
        out: dict[str, np.ndarray] = {}
        for task, rec in store.records(tasks):
            key = task.labels["package"]
            if key not in out:
                out[key] = np.full((len(self.worlds), reps, len(HORIZON)), math.nan)
            metrics = rec.metrics or {}
            out[key][task.labels["world"], task.labels["replication"]] = [
                float(metrics.get(m, math.nan)) for m in HORIZON
            ]
        return out

    def evaluate(self, packages: list[tuple[str, Package]], block: int) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """Run the packages (and the base, once per block) on block `block`; their paired changes and levels."""
        tasks = self._block_tasks(packages, block)
        self.run_stats.append(self.engine.run(tasks, self.store))
        self.tasks.extend(tasks)
        levels = self._levels(self.store, tasks, block)
        if "base" in levels:
            self.base_levels[block] = levels.pop("base")
        base = self.base_levels[block]
        return {k: (levels[k] - base, levels[k]) for k, _ in packages}

    # --- the search ---------------------------------------------------------------

    def execute(self, engine: Engine, store: RunStore, tasks: list[Task]) -> list[Task]:
        self.engine, self.store = engine, store
        p = self.loaded.problem
        self.search = Search(
            self.loaded.decisions(),
            self.scoring,
            self.evaluate,
            p.search.population,
            p.search.generations,
            p.search.reevaluate,
        )
        for seed in p.search.seeds:
            self.search.run(seed)
        self.front = select(self.search, p.confirm.max_packages)
        self.confirmed = self.evaluate([(k, self.search.packages[k]) for k in self.front], CONFIRM_BLOCK)
        self.verdicts: list[Verdict] = certify(self.front, self.confirmed, self.scoring, seed_int(self.master, 3))
        return self.tasks

    def analyse(self, tasks: Sequence[Task], store: RunStore, folder: Path) -> dict[str, Any]:
        from experiments.optimise.tables import write_tables

        return write_tables(self, folder)


def select(search: Search, cap: int) -> list[str]:
    """What the confirmation re-runs: the search's front and the next non-dominated layer, at most `cap` packages.

    The next layer is there so that a package that lost its place on the front to a lucky one is run again
    beside it: on fresh seeds it can then beat the lucky one beyond noise (experiments.optimise.certify).
    The front comes first; a layer longer than the room left is thinned evenly along the first objective.
    """
    keys = list(search.order)
    f, g = search.scores(keys)
    chosen: list[str] = []
    left = list(range(len(keys)))
    for _ in range(2):
        if not left or len(chosen) >= cap:
            break
        layer = [left[i] for i in nondominated(f[left], g[left])]
        left = [i for i in left if i not in layer]
        room = cap - len(chosen)
        if len(layer) > room:
            layer = sorted(layer, key=lambda i: (f[i, 0], i))
            layer = [layer[j] for j in np.unique(np.round(np.linspace(0, len(layer) - 1, room)).astype(int))]
        chosen += sorted(layer)
    return [keys[i] for i in chosen]
