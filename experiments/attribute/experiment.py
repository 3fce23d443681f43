"""`attribute PACKAGE.yaml`: which lever of a package did it (exact Shapley values), and at what cost.

All 2^k subsets of the package's k levers (k ≤ MAX_LEVERS) run on common
random numbers (replication r has the same seed in every subset); per
replication the game v(S) of each metric is split into exact Shapley values
(experiments.analysis.shapley), which add up to the package's total change; means and
95% intervals are taken across replications. Each lever's cost-effectiveness
is its Shapley share of the fiscal cost over its Shapley share of the jobs
moved north (Fieller's interval for the ratio).

Tables: `attribution.csv` (metric × lever: Shapley value and interval, share
of the total, alone and last effects), `totals.csv` (metric: without the
levers, with all of them, the change), `decision.csv` (per lever: Δ north-park,
Δ outside-province and Δ all relocated jobs, Δ fiscal cost, yuan per
additional north job, own spending), `levers.csv`.

With `--posterior DIR` all subsets run in each of K posterior draws
(experiments.analysis.ensemble) and the tables describe each lever's Shapley values
over the posterior, with the parameter and Monte-Carlo parts apart
(experiments.attribute.posterior).
"""

from __future__ import annotations

import copy
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from experiments.analysis.ensemble import MIN_REPLICATIONS, Ensemble
from experiments.analysis.shapley import shapley_values
from experiments.analysis.stats import Interval, ratio_interval
from experiments.engine.naming import derived_name
from experiments.engine.protocol import Experiment
from experiments.engine.seeds import replication_seeds
from experiments.engine.store import RunStore, Task, scenario_content
from experiments.engine.tables import write_csv
from experiments.run.experiment import overrides_from
from model.config import LEVER_KEYS, Scenario
from model.errors import InputError
from model.levers import REGISTRY
from model.outcomes import COST_EFFECTIVENESS, DECISION, HORIZON, metric
from model.scenario import dump_resolved, load_raw, validate_mapping
from model.world import world_for

MAX_LEVERS = 8  # 2^8 = 256 model runs per replication
DEFAULT_METRICS = ("north_share_jobs", "outside_share_jobs", "to_north_jobs", "to_outside_jobs", "relocated_jobs")
OWN_SPEND = "own_spend_yuan"


@dataclass(frozen=True)
class Package:
    """A scenario read as a package: its merged mapping, its levers (registry order), the full scenario."""

    path: Path
    raw: dict[str, Any]
    levers: tuple[str, ...]
    scenario: Scenario

    @property
    def subsets(self) -> int:
        return 1 << len(self.levers)

    def lever_names(self, mask: int) -> list[str]:
        return [lever for i, lever in enumerate(self.levers) if mask >> i & 1]

    def subset_scenario(self, mask: int) -> Scenario:
        """The package with only the levers in `mask`; everything else kept."""
        data = copy.deepcopy(self.raw)
        policies = data.setdefault("policies", {})
        for i, lever in enumerate(self.levers):
            if not mask >> i & 1:
                del policies[lever]
        suffix = f"__s{mask}"
        data["name"] = self.scenario.name[: 64 - len(suffix)] + suffix
        return validate_mapping(data, self.path)


def load_package(path: Path, args: Any) -> Package:
    """Read a scenario file as a package of 1..MAX_LEVERS levers (the sections present under `policies`)."""
    raw = load_raw(Path(path))
    policies = raw.get("policies")
    present = [k for k, v in policies.items() if v is not None] if isinstance(policies, dict) else []
    if len(present) > MAX_LEVERS:
        raise InputError(
            path,
            "policies",
            f"{len(present)} levers would need 2^{len(present)} runs per replication",
            f"1 to {MAX_LEVERS}",
        )
    for key, value in overrides_from(args).items():
        node = raw
        *head, last = key.split(".")
        for part in head:
            node = node.setdefault(part, {}) if isinstance(node.get(part, {}), dict) else {}
        node[last] = value
    scenario = validate_mapping(raw, path)
    world_for(scenario, path)
    levers = tuple(k for k in LEVER_KEYS if getattr(scenario.policies, k) is not None)
    if not levers:
        raise InputError(path, "policies", "the package has no levers", f"1 to {MAX_LEVERS} lever sections")
    return Package(Path(path), raw, levers, scenario)


class Attribute(Experiment):
    command = "attribute"

    def load(self) -> None:
        self.package = load_package(self.args.package, self.args)
        extra = list(self.args.metric or [])
        for m in extra:
            if m not in HORIZON:
                raise InputError("command line", "--metric", f"{m!r} is not a metric", ", ".join(HORIZON))
        self.metrics = list(dict.fromkeys([*DEFAULT_METRICS, *DECISION, *extra]))
        self.ensemble = Ensemble.from_args(self.args)
        if self.ensemble is not None:
            reps = self.package.scenario.replications
            if reps < MIN_REPLICATIONS:
                raise InputError(
                    "command line",
                    "--posterior",
                    f"given with {reps} replication(s) per draw",
                    f"--replications ≥ {MIN_REPLICATIONS}",
                )
            self.ensemble.check([self.package.scenario])

    def default_name(self) -> str:
        extra = [f"m{m}" for m in dict.fromkeys(self.args.metric or []) if m not in DEFAULT_METRICS + DECISION]
        if self.ensemble is not None:
            extra += self.ensemble.name_tags()
        return derived_name("attribute", [self.package.scenario.name], self.args, extra)

    def inputs(self) -> dict[str, Any]:
        sc = self.package.scenario
        inputs = {
            "package": scenario_content(sc),
            "replications": sc.replications,
            "seed": sc.seed,
            "metrics": self.metrics,
        }
        if self.ensemble is not None:
            inputs["posterior"] = self.ensemble.inputs()
        return inputs

    def declared_seeds(self) -> Sequence[tuple[int | None, str]]:
        return [(self.package.scenario.seed, "package scenario file")]

    def plan(self, master_seed: int) -> list[Task]:
        """Replication-major: every subset of replication r, then r + 1 (a stop leaves whole replications)."""
        self.master_seed = master_seed
        self.seeds = replication_seeds(master_seed, self.package.scenario.replications)
        if self.ensemble is not None:
            from experiments.attribute.posterior import posterior_tasks

            return posterior_tasks(self.package, self.ensemble, master_seed)
        scenarios = [self.package.subset_scenario(mask) for mask in range(self.package.subsets)]
        return [
            Task(f"s{mask:03d}-r{r:04d}", sc, seed, {"subset": mask, "replication": r})
            for r, seed in enumerate(self.seeds)
            for mask, sc in enumerate(scenarios)
        ]

    def write_levers_and_scenario(self, folder: Path) -> None:
        """levers.csv (key, label, what it acts on) and scenario.resolved.yaml (the package as run, master seed in)."""
        pkg = self.package
        write_csv(
            folder / "levers.csv",
            ("lever", "label", "acts_on"),
            (
                [k, getattr(REGISTRY[k], "label", k), " ".join(sorted(getattr(REGISTRY[k], "acts_on", ())))]
                for k in pkg.levers
            ),
        )
        full = pkg.scenario.model_copy(update={"seed": self.master_seed, "replications": len(self.seeds)})
        (folder / "scenario.resolved.yaml").write_text(dump_resolved(full), encoding="utf-8")

    def analyse(self, tasks: Sequence[Task], store: RunStore, folder: Path) -> dict[str, Any]:
        if self.ensemble is not None:
            from experiments.attribute.posterior import analyse_posterior

            return analyse_posterior(self, self.ensemble, tasks, store, folder)
        pkg = self.package
        n = pkg.subsets
        games: dict[str, list[list[float]]] = {m: [] for m in self.metrics}
        spend: dict[str, list[float]] = {lever: [] for lever in pkg.levers}
        records = [rec for _task, rec in store.records(tasks)]
        for r in range(len(records) // n):
            block = records[r * n : (r + 1) * n]
            for m in self.metrics:
                games[m].append([float((rec.metrics or {})[m]) for rec in block])
            full = block[-1].timeseries or []
            for lever in pkg.levers:
                spend[lever].append(math.fsum(row.get(f"fiscal_{lever}_yuan", 0.0) for row in full))
        phis = {m: [shapley_values(g) for g in games[m]] for m in self.metrics}
        write_csv(folder / "attribution.csv", ATTRIBUTION_COLUMNS, attribution_rows(pkg.levers, games, phis))
        write_csv(folder / "totals.csv", TOTALS_COLUMNS, [*totals_rows(games), package_ratio_row(games)])
        write_csv(folder / "decision.csv", DECISION_COLUMNS, decision_rows(pkg.levers, phis, spend))
        self.write_levers_and_scenario(folder)
        sc = pkg.scenario
        return {
            "package": str(pkg.path),
            "scenario": sc.name,
            "levers": list(pkg.levers),
            "subsets": n,
            "metrics": self.metrics,
            "replications": len(self.seeds),
            "replication_seeds": self.seeds,
            "years": [sc.years.start, sc.years.end],
            "firms": sc.firms.count,
        }


ATTRIBUTION_COLUMNS = (
    "metric",
    "unit",
    "lever",
    "shapley",
    "ci_low",
    "ci_high",
    "share_of_total",
    "alone",
    "last",
    "replications",
)
TOTALS_COLUMNS = (
    "metric",
    "unit",
    "without_levers",
    "without_ci_low",
    "without_ci_high",
    "with_package",
    "with_ci_low",
    "with_ci_high",
    "change",
    "change_ci_low",
    "change_ci_high",
    "replications",
)
DECISION_COLUMNS = ("lever", "quantity", "unit", "value", "ci_low", "ci_high", "replications")


def _finite(games: list[list[float]]) -> list[int]:
    return [r for r, g in enumerate(games) if all(math.isfinite(x) for x in g)]


def attribution_rows(
    levers: Sequence[str], games: dict[str, list[list[float]]], phis: dict[str, list[list[float]]]
) -> list[list[Any]]:
    rows: list[list[Any]] = []
    for m, gs in games.items():
        ok = _finite(gs)
        full = len(gs[0]) - 1 if gs else 0
        total = Interval.of([gs[r][full] - gs[r][0] for r in ok]).mean
        bounds = metric(m).change_bounds()
        for i, lever in enumerate(levers):
            bit = 1 << i
            phi = Interval.of([phis[m][r][i] for r in ok], bounds)
            alone = Interval.of([gs[r][bit] - gs[r][0] for r in ok]).mean
            last = Interval.of([gs[r][full] - gs[r][full & ~bit] for r in ok]).mean
            share = phi.mean / total if total and math.isfinite(total) else math.nan
            rows.append([m, metric(m).unit, lever, phi.mean, phi.low, phi.high, share, alone, last, len(ok)])
    return rows


def totals_rows(games: dict[str, list[list[float]]]) -> list[list[Any]]:
    rows = []
    for m, gs in games.items():
        ok = _finite(gs)
        if not gs:
            continue
        full = len(gs[0]) - 1
        mm = metric(m)
        start = Interval.of([gs[r][0] for r in ok], mm.bounds)
        end = Interval.of([gs[r][full] for r in ok], mm.bounds)
        change = Interval.of([gs[r][full] - gs[r][0] for r in ok], mm.change_bounds())
        rows.append([m, mm.unit, *_triple(start), *_triple(end), *_triple(change), len(ok)])
    return rows


def package_ratio_row(games: dict[str, list[list[float]]]) -> list[Any]:
    """The whole package's yuan per additional north job: change in cost over change in north jobs (Fieller)."""
    cost, north = games["fiscal_cost_yuan"], games["to_north_jobs"]
    full = len(cost[0]) - 1 if cost else 0
    ratio = ratio_interval([g[full] - g[0] for g in cost], [g[full] - g[0] for g in north])
    nan = math.nan
    return [COST_EFFECTIVENESS, metric(COST_EFFECTIVENESS).unit, nan, nan, nan, nan, nan, nan, *_triple(ratio), ratio.n]


def _triple(iv: Interval) -> tuple[float, float, float]:
    return iv.mean, iv.low, iv.high


def decision_rows(
    levers: Sequence[str], phis: dict[str, list[list[float]]], spend: dict[str, list[float]]
) -> list[list[Any]]:
    """Per lever: its Shapley share of each DECISION change, yuan per additional north job, its own spending."""
    rows: list[list[Any]] = []
    for i, lever in enumerate(levers):
        for q in DECISION:
            iv = Interval.of([p[i] for p in phis[q]], metric(q).change_bounds())
            rows.append([lever, q, metric(q).unit, *_triple(iv), iv.n])
        ratio = ratio_interval([p[i] for p in phis["fiscal_cost_yuan"]], [p[i] for p in phis["to_north_jobs"]])
        rows.append([lever, COST_EFFECTIVENESS, metric(COST_EFFECTIVENESS).unit, *_triple(ratio), ratio.n])
        own = Interval.of(spend[lever], (0.0, math.inf))
        rows.append([lever, OWN_SPEND, "yuan", *_triple(own), own.n])
    return rows
