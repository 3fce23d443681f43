"""`compare BASELINE.yaml OTHER.yaml...`: policy packages against a baseline, on common random numbers.

Replication r of every scenario uses the same seed (spawned from one master
seed), and the model lays out each firm's draws so that they do not depend on
policy: the difference between two scenarios in replication r comes from
policy, not noise (experiments.compare.paired: paired intervals, with Welch's
unpaired interval beside them so the gain shows).

Compare opts into both capabilities (experiments.engine.capabilities):
`--ci-width W` adds replications in rounds until the 95% interval half-width
of both job shares, of every scenario's mean and of every paired difference
against the baseline, is at most W (or `--max-replications`), reusing the
runs of earlier rounds; `--posterior DIR` runs every scenario in each of K
posterior draws and the tables describe the effects over the posterior, with
the parameter and Monte-Carlo parts apart (experiments.compare.posterior).

Tables: `comparison.csv` (scenario × metric: mean and interval, paired
difference and interval, the unpaired interval), `decision.csv` (per scenario:
the changes in north-park, outside-province and all relocated jobs and in
fiscal cost, and the yuan per additional north job, each with its interval),
`timeseries.csv`, `scenarios/<name>.resolved.yaml`; `stopping.csv` with
--ci-width; the posterior's own tables with --posterior.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from experiments.compare.paired import analyse_paired, collect, share_samples
from experiments.compare.posterior import analyse_posterior
from experiments.design.base import overrides_from
from experiments.engine.capabilities import ADAPTIVE_REPLICATIONS, POSTERIOR, Capability
from experiments.engine.capabilities.adaptive import AdaptiveRounds, Sample
from experiments.engine.capabilities.posterior import PosteriorDraws
from experiments.engine.naming import derived_name
from experiments.engine.plans import Unit, crossed
from experiments.engine.pool import Engine
from experiments.engine.protocol import Experiment
from experiments.engine.seeds import replication_seeds
from experiments.engine.store import RunStore, Task, data_hashes, digest, scenario_content
from model.config import Scenario, levers_of
from model.errors import InputError
from model.scenario import dump_resolved, load_scenario
from model.world import world_for


@dataclass(frozen=True)
class Entry:
    path: Path
    scenario: Scenario

    @property
    def name(self) -> str:
        return self.scenario.name


def load_entries(paths: Sequence[Path], args: Any) -> list[Entry]:
    """Every file validated before anything runs: distinct names, the baseline's years and firm count."""
    overrides = {k: v for k, v in overrides_from(args).items() if k == "firms.count"}
    entries: list[Entry] = []
    seen: dict[str, Path] = {}
    for path in paths:
        scenario = load_scenario(path, overrides)
        world_for(scenario, path)
        if scenario.name in seen:
            raise InputError(
                path, "name", f"{scenario.name!r} is also the name of {seen[scenario.name]}", "distinct names"
            )
        seen[scenario.name] = path
        entries.append(Entry(Path(path), scenario))
    base = entries[0].scenario
    for e in entries[1:]:
        sc = e.scenario
        if (sc.years.start, sc.years.end) != (base.years.start, base.years.end):
            raise InputError(
                e.path,
                "years",
                f"{sc.years.start}-{sc.years.end} differs from the baseline's",
                f"the baseline's years {base.years.start}-{base.years.end}, so that runs pair year by year",
            )
        if sc.firms.count != base.firms.count:
            raise InputError(
                e.path,
                "firms.count",
                f"{sc.firms.count} differs from the baseline's",
                f"{base.firms.count} (the same firms draw the same numbers), or --firms N for all",
            )
    return entries


class Compare(Experiment):
    command = "compare"
    capabilities: ClassVar[tuple[Capability, ...]] = (ADAPTIVE_REPLICATIONS, POSTERIOR)

    def load(self) -> None:
        self.entries = load_entries([self.args.baseline, *self.args.others], self.args)
        declared = self.entries[0].scenario.replications
        r = self.args.replications
        scenarios = [e.scenario for e in self.entries]
        self.draws = PosteriorDraws.from_args(self.args, r if r is not None else declared, scenarios)
        self.rounds = AdaptiveRounds.from_args(self.args, declared)

    @property
    def baseline(self) -> Entry:
        return self.entries[0]

    @property
    def names(self) -> list[str]:
        return [e.name for e in self.entries]

    def default_name(self) -> str:
        names = [self.baseline.name, "vs", *(e.name for e in self.entries[1:])]
        extra = self.rounds.name_tags() + (self.draws.name_tags() if self.draws is not None else [])
        return derived_name("compare", names, self.args, extra)

    def inputs(self) -> dict[str, Any]:
        inputs = {
            "scenarios": [[e.name, scenario_content(e.scenario)] for e in self.entries],
            "replications": self.rounds.first,
            **self.rounds.inputs(),
            "seed": self.args.seed if self.args.seed is not None else self.baseline.scenario.seed,
        }
        if self.draws is not None:
            inputs["posterior"] = self.draws.inputs()
        return inputs

    def declared_seeds(self) -> Sequence[tuple[int | None, str]]:
        return [(self.baseline.scenario.seed, "baseline scenario file")]

    def plan(self, master_seed: int) -> list[Task]:
        self.master_seed = master_seed
        if self.draws is not None:
            ensemble = self.draws.ensemble
            return self.draws.tasks(
                master_seed, lambda k: [self.unit(ensemble.apply(e.scenario, k), e) for e in self.entries]
            )
        return self.tasks_for(self.rounds.first)

    @staticmethod
    def unit(scenario: Scenario, entry: Entry) -> Unit:
        return Unit(entry.name, {"scenario": entry.name}, scenario)

    def tasks_for(self, replications: int) -> list[Task]:
        """Scenario-major; replication r of every scenario gets the same seed."""
        seeds = replication_seeds(self.master_seed, replications)
        return crossed([self.unit(e.scenario, e) for e in self.entries], seeds)

    def execute(self, engine: Engine, store: RunStore, tasks: list[Task]) -> list[Task]:
        """One round, or rounds until --ci-width is met (experiments.engine.capabilities.adaptive)."""
        return self.rounds.execute(engine, store, tasks, self.tasks_for, self.share_samples, self.run_stats)

    def share_samples(self, store: RunStore, tasks: Sequence[Task]) -> list[Sample]:
        """What --ci-width bounds after a round (experiments.compare.paired.share_samples)."""
        return share_samples(collect(store, tasks, self.names), self.baseline.name)

    def scenario_docs(self) -> list[dict[str, Any]]:
        """What the manifest says of each scenario: its file, description, levers and the hashes of its inputs."""
        return [
            {
                "name": e.name,
                "file": str(e.path),
                "description": " ".join(e.scenario.description.split()),
                "levers": levers_of(e.scenario),
                "config_hash": digest(scenario_content(e.scenario)),
                "data_files": data_hashes(e.scenario),
            }
            for e in self.entries
        ]

    def write_resolved(self, folder: Path, replications: int) -> None:
        """scenarios/<name>.resolved.yaml: each scenario as given, with the master seed and the replications."""
        (folder / "scenarios").mkdir()
        for e in self.entries:
            resolved = e.scenario.model_copy(update={"seed": self.master_seed, "replications": replications})
            (folder / "scenarios" / f"{e.name}.resolved.yaml").write_text(dump_resolved(resolved), encoding="utf-8")

    def analyse(self, tasks: Sequence[Task], store: RunStore, folder: Path) -> dict[str, Any]:
        if self.draws is not None:
            scenarios = [e.scenario for e in self.entries]
            sampling = analyse_posterior(self.draws, store, tasks, scenarios, folder, self.master_seed)
            n = self.draws.replications
        else:
            n = analyse_paired(store, tasks, self.names, folder)
            sampling = {
                "replication_seeds": replication_seeds(self.master_seed, n),
                "common_random_numbers": "replication r of every scenario uses replication_seeds[r]",
            }
        self.write_resolved(folder, n)
        return self.manifest(folder, n, sampling)

    def manifest(self, folder: Path, replications: int, sampling: dict[str, Any]) -> dict[str, Any]:
        """What the manifest adds, with or without --posterior (`sampling`: the seeds and how they pair runs)."""
        sc = self.baseline.scenario
        return {
            "baseline": self.baseline.name,
            "scenarios": self.scenario_docs(),
            "replications": replications,
            **sampling,
            "years": [sc.years.start, sc.years.end],
            "firms": sc.firms.count,
            "represented_firms": sc.firms.represented,
            "ci_width": self.rounds.write(folder),
        }
