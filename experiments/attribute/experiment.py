"""`attribute PACKAGE.yaml`: which lever of a package did it (exact Shapley values), and at what cost.

All 2^k subsets of the package's k levers (k ≤ MAX_LEVERS,
experiments.attribute.package) run on common random numbers (replication r
has the same seed in every subset); per replication the game v(S) of each
metric is split into exact Shapley values, which add up to the package's
total change (experiments.attribute.shapley_tables).

Tables: `attribution.csv` (metric × lever: Shapley value and interval, share
of the total, alone and last effects), `totals.csv` (metric: without the
levers, with all of them, the change), `decision.csv` (per lever: Δ north-park,
Δ outside-province and Δ all relocated jobs, Δ fiscal cost, yuan per
additional north job, own spending), `levers.csv`, `scenario.resolved.yaml`.

`--permutations N` samples the Shapley values instead (experiments.analysis.shapley_sampled):
N orders of the levers drawn from a generator seeded with the master seed (seed and orders in the
manifest), only the subsets they pass through run (plus each lever alone and each left out), and
sampling.csv states each value's error from the orders and from the replications. Without it the
values are exact over all 2^k subsets (k ≤ MAX_LEVERS = 8: at most 256 runs per replication).

`--levers a,b,c` attributes only those levers (2^3 subsets); the package's
other levers stay on in every subset and are listed in `held.csv`
(experiments.attribute.package says why on, not off).

Attribute opts into the POSTERIOR capability (experiments.engine.capabilities):
with `--posterior DIR` all subsets run in each of K posterior draws and the
tables describe each lever's Shapley values over the posterior, with the
parameter and Monte-Carlo parts apart (experiments.attribute.posterior).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, ClassVar

from experiments.analysis.shapley_sampled import Order, coalitions, sample_orders
from experiments.attribute.columns import HELD_FILE, LEVER_COLUMNS, LEVERS_FILE
from experiments.attribute.package import draw_package, load_package
from experiments.attribute.posterior import analyse_posterior
from experiments.attribute.shapley_tables import analyse_replications
from experiments.engine.capabilities import POSTERIOR, Capability
from experiments.engine.capabilities.posterior import PosteriorDraws
from experiments.engine.naming import derived_name
from experiments.engine.plans import Unit, crossed
from experiments.engine.protocol import Experiment
from experiments.engine.seeds import replication_seeds
from experiments.engine.store import RunStore, Task, scenario_content
from experiments.engine.tables import write_csv
from model.errors import InputError
from model.levers import REGISTRY
from model.outcomes import DECISION, HORIZON
from model.scenario import dump_resolved

DEFAULT_METRICS = ("north_share_jobs", "outside_share_jobs", "to_north_jobs", "to_outside_jobs", "relocated_jobs")


def _lever_row(key: str) -> list[str]:
    """A lever's row of levers.csv or held.csv: key, label, what it acts on."""
    lever = REGISTRY[key]
    return [key, getattr(lever, "label", key), " ".join(sorted(getattr(lever, "acts_on", ())))]


class Attribute(Experiment):
    command = "attribute"
    capabilities: ClassVar[tuple[Capability, ...]] = (POSTERIOR,)

    def load(self) -> None:
        self.package = load_package(self.args.package, self.args)
        extra = list(self.args.metric or [])
        for m in extra:
            if m not in HORIZON:
                raise InputError("command line", "--metric", f"{m!r} is not a metric", ", ".join(HORIZON))
        self.metrics = list(dict.fromkeys([*DEFAULT_METRICS, *DECISION, *extra]))
        sc = self.package.scenario
        self.draws = PosteriorDraws.from_args(self.args, sc.replications, [sc])
        self.permutations: int | None = getattr(self.args, "permutations", None)
        if self.permutations is not None and self.draws is not None:
            raise InputError(
                "command line",
                "--permutations",
                str(self.permutations),
                "exact values (no --permutations) with --posterior",
            )
        self.orders: list[Order] | None = None

    def default_name(self) -> str:
        extra = [f"m{m}" for m in dict.fromkeys(self.args.metric or []) if m not in DEFAULT_METRICS + DECISION]
        if self.package.held:
            extra.append("l" + "_".join(self.package.levers))
        if self.permutations is not None:
            extra.append(f"p{self.permutations}")
        if self.draws is not None:
            extra += self.draws.name_tags()
        return derived_name("attribute", [self.package.scenario.name], self.args, extra)

    def inputs(self) -> dict[str, Any]:
        sc = self.package.scenario
        inputs = {
            "package": scenario_content(sc),
            "replications": sc.replications,
            "seed": sc.seed,
            "metrics": self.metrics,
        }
        if self.package.held:
            inputs["levers"] = list(self.package.levers)
        if self.permutations is not None:
            inputs["permutations"] = self.permutations
        if self.draws is not None:
            inputs["posterior"] = self.draws.inputs()
        return inputs

    def declared_seeds(self) -> Sequence[tuple[int | None, str]]:
        return [(self.package.scenario.seed, "package scenario file")]

    def plan(self, master_seed: int) -> list[Task]:
        """Replication-major: every subset of replication r, then r + 1 (a stop leaves whole replications)."""
        self.master_seed = master_seed
        self.seeds = replication_seeds(master_seed, self.package.scenario.replications)
        if self.permutations is not None:  # the orders from the master seed: the same seed, the same subsets
            k = len(self.package.levers)
            self.orders = sample_orders(k, self.permutations, master_seed)
            self.package = replace(self.package, sampled=tuple(coalitions(self.orders, k)))
        if self.draws is not None:
            ensemble = self.draws.ensemble

            def units(k: int) -> list[Unit]:
                return draw_package(self.package, ensemble, k).units()

            return self.draws.tasks(master_seed, units, replication_major=True)
        return crossed(self.package.units(), self.seeds, replication_major=True)

    def write_levers_and_scenario(self, folder: Path) -> None:
        """levers.csv (key, label, what it acts on) and scenario.resolved.yaml (the package as run, master seed in)."""
        pkg = self.package
        write_csv(folder / LEVERS_FILE, LEVER_COLUMNS, (_lever_row(k) for k in pkg.levers))
        if pkg.held:
            write_csv(folder / HELD_FILE, LEVER_COLUMNS, (_lever_row(k) for k in pkg.held))
        full = pkg.scenario.model_copy(update={"seed": self.master_seed, "replications": len(self.seeds)})
        (folder / "scenario.resolved.yaml").write_text(dump_resolved(full), encoding="utf-8")

    def analyse(self, tasks: Sequence[Task], store: RunStore, folder: Path) -> dict[str, Any]:
        pkg = self.package
        sampling: dict[str, Any]
        if self.draws is not None:
            sampling = analyse_posterior(self.draws, pkg, self.metrics, store, tasks, folder, self.master_seed)
        else:
            analyse_replications(pkg, self.metrics, store, tasks, folder, self.orders)
            sampling = {"replication_seeds": self.seeds}
            if self.orders is not None:
                sampling["permutations"] = {
                    "orders": [list(o) for o in self.orders],
                    "order_seed": self.master_seed,
                    "generator": "numpy.random.default_rng(order_seed).permutation(k), once per order",
                }
        self.write_levers_and_scenario(folder)
        return self.manifest(sampling)

    def manifest(self, sampling: dict[str, Any]) -> dict[str, Any]:
        """What the manifest adds, with or without --posterior (`sampling`: the seeds and how they pair runs)."""
        pkg, sc = self.package, self.package.scenario
        return {
            "package": str(pkg.path),
            "scenario": sc.name,
            "levers": list(pkg.levers),
            "held_on": list(pkg.held),
            "subsets": pkg.subsets,
            "metrics": self.metrics,
            "replications": len(self.seeds),
            **sampling,
            "years": [sc.years.start, sc.years.end],
            "firms": sc.firms.count,
        }
