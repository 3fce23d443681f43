"""Problem files of `optimise` (DESIGN §9; every key in experiments/optimise.reference.yaml).

A problem names the status quo (`base`), what the search may set
(`decisions`, typed by the lever schema: a range, a set of values, or a whole
lever switched off or on), what it wants (`objectives`: catalogue metrics,
each with the direction the catalogue says is better), what it must respect
(`constraints` on a level or a paired change), the fixed worlds a package must
be robust to (posterior draws of a calibration and deep-uncertainty settings
sampled by Latin hypercube), the robustness statistic, the search's budget
and the confirmation's replications. Everything is checked when read, before
anything runs: each decision's ends, each world's settings and every draw
make valid scenarios.
"""

from __future__ import annotations

import copy
import math
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import Field, model_validator

from experiments.analysis.ensemble import Ensemble
from experiments.analysis.posterior import load_posterior
from experiments.design.base import BaseFile, LoadedFile, read_base_file
from experiments.design.experiment_file import Factor, latin_hypercube
from experiments.optimise.outcomes import Robustness
from experiments.optimise.search import Constraint, Decision, Objective, Package
from model.config import LEVER_KEYS, Frozen, Scenario
from model.errors import InputError, short
from model.outcomes import HORIZON, metric
from model.scenario import variant
from model.world import world_for

Value = float | int | bool | str
MAX_WORLDS = 400
MAX_EVALUATIONS = 100_000


class DecisionSpec(Frozen):
    """`{range: [low, high]}` (optionally `integer: true`), `{values: [...]}` or `{switch: [off, on]}`."""

    range: tuple[float, float] | None = None
    values: tuple[Value, ...] | None = None
    # [off, on]; YAML reads unquoted off/on as false/true, so those are the same
    switch: tuple[Literal["off", False], Literal["on", True]] | None = None
    integer: bool = False

    @model_validator(mode="after")
    def _one(self) -> DecisionSpec:
        given = [k for k in ("range", "values", "switch") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(f"give exactly one of range, values, switch (got {given or 'none'})")
        if self.range is not None and not self.range[0] < self.range[1]:
            raise ValueError(f"range must be [low, high] with low < high, got {list(self.range)}")
        if self.values is not None and len(self.values) < 2:
            raise ValueError("values must list at least 2 choices")
        return self


class ConstraintSpec(Frozen):
    metric: str
    max: float | None = None
    min: float | None = None
    change_max: float | None = None
    change_min: float | None = None

    @model_validator(mode="after")
    def _one(self) -> ConstraintSpec:
        if self.metric not in HORIZON:
            raise ValueError(f"metric {self.metric!r} is not one of {', '.join(HORIZON)}")
        given = [k for k in ("max", "min", "change_max", "change_min") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(f"give exactly one of max, min, change_max, change_min (got {given or 'none'})")
        return self

    def constraint(self) -> Constraint:
        kind = next(k for k in ("max", "min", "change_max", "change_min") if getattr(self, k) is not None)
        return Constraint(self.metric, kind, float(getattr(self, kind)))


class Target(Frozen):
    metric: str
    change_min: float | None = None
    change_max: float | None = None

    @model_validator(mode="after")
    def _one(self) -> Target:
        if self.metric not in HORIZON:
            raise ValueError(f"metric {self.metric!r} is not one of {', '.join(HORIZON)}")
        if (self.change_min is None) == (self.change_max is None):
            raise ValueError("give exactly one of change_min, change_max")
        return self


class RobustnessSpec(Frozen):
    statistic: Literal["mean", "p10", "p90"] | None = None
    probability: Target | None = None

    @model_validator(mode="after")
    def _one(self) -> RobustnessSpec:
        if (self.statistic is None) == (self.probability is None):
            raise ValueError("give either statistic (mean, p10, p90) or probability: {metric, change_min|change_max}")
        return self

    def robustness(self) -> Robustness:
        if self.probability is not None:
            p = self.probability
            return Robustness("probability", p.metric, p.change_min, p.change_max)
        return Robustness(self.statistic or "mean")


class PosteriorSpec(Frozen):
    dir: Annotated[str, Field(min_length=1, max_length=4096)]
    draws: Annotated[int, Field(ge=1, le=MAX_WORLDS)] = 10


class Uncertainty(Frozen):
    range: tuple[float, float]

    @model_validator(mode="after")
    def _order(self) -> Uncertainty:
        if not self.range[0] < self.range[1]:
            raise ValueError(f"range must be [low, high] with low < high, got {list(self.range)}")
        return self


class Worlds(Frozen):
    posterior: PosteriorSpec | None = None
    uncertainties: dict[str, Uncertainty] = Field(default_factory=dict)
    samples: Annotated[int, Field(ge=1, le=MAX_WORLDS)] = 1
    pairing: Literal["paired", "crossed"] = "paired"
    seed: Annotated[int, Field(ge=0, lt=2**63)] | None = None


class SearchSpec(Frozen):
    algorithm: Literal["nsga2"] = "nsga2"
    evaluations: Annotated[int, Field(ge=4, le=MAX_EVALUATIONS)] = 400
    population: Annotated[int, Field(ge=4, le=1000)] = 20
    seeds: tuple[Annotated[int, Field(ge=0, lt=2**32)], ...] = (1,)
    reevaluate: Annotated[int, Field(ge=1, le=10)] = 2

    @model_validator(mode="after")
    def _budget(self) -> SearchSpec:
        if self.evaluations < self.population:
            raise ValueError(f"evaluations ({self.evaluations}) must be at least the population ({self.population})")
        if not self.seeds or len(set(self.seeds)) != len(self.seeds):
            raise ValueError(f"seeds must be distinct and at least one (got {list(self.seeds)})")
        return self

    @property
    def generations(self) -> int:
        return math.ceil(self.evaluations / self.population)


class ConfirmSpec(Frozen):
    replications: Annotated[int, Field(ge=2, le=1000)] = 10
    max_packages: Annotated[int, Field(ge=1, le=100)] = 12


class ProblemFile(BaseFile):
    """An `optimise` problem (experiments/optimise.reference.yaml)."""

    replications: Annotated[int, Field(ge=1, le=1000)] = 2
    levers: dict[str, dict[str, Any]] = Field(default_factory=dict)
    decisions: dict[str, DecisionSpec]
    objectives: tuple[str, ...]
    constraints: tuple[ConstraintSpec, ...] = ()
    worlds: Worlds = Worlds()
    robustness: RobustnessSpec = RobustnessSpec(statistic="mean")
    search: SearchSpec = SearchSpec()
    confirm: ConfirmSpec = ConfirmSpec()
    targets: tuple[float, ...] = ()

    @model_validator(mode="after")
    def _check(self) -> ProblemFile:
        if not self.decisions:
            raise ValueError("decisions: at least one is needed")
        if not 1 <= len(self.objectives) <= 4 or len(set(self.objectives)) != len(self.objectives):
            raise ValueError(f"objectives: 1 to 4 distinct metrics (got {list(self.objectives)})")
        for o in self.objectives:
            if o not in HORIZON or metric(o).better is None:
                ranked = [m for m in HORIZON if metric(m).better is not None]
                raise ValueError(f"objective {o!r} is not a metric with a better direction: one of {', '.join(ranked)}")
        return self


def _lever_of(key: str) -> str | None:
    parts = key.split(".")
    return parts[1] if len(parts) >= 2 and parts[0] == "policies" and parts[1] in LEVER_KEYS else None


class LoadedProblem(LoadedFile[ProblemFile]):
    """A problem file with its base mapping, decisions, scoring pieces and worlds."""

    ensemble: Ensemble | None = None

    @property
    def problem(self) -> ProblemFile:
        return self.spec

    def decisions(self) -> tuple[Decision, ...]:
        out = []
        for key, d in self.problem.decisions.items():
            if d.range is not None:
                out.append(Decision(key, "range", d.range[0], d.range[1], integer=d.integer))
            elif d.values is not None:
                out.append(Decision(key, "values", values=tuple(d.values)))
            else:
                out.append(Decision(key, "switch"))
        return tuple(out)

    def objectives(self) -> tuple[Objective, ...]:
        return tuple(Objective(o, str(metric(o).better)) for o in self.problem.objectives)

    def constraints(self) -> tuple[Constraint, ...]:
        return tuple(c.constraint() for c in self.problem.constraints)

    # --- scenarios ------------------------------------------------------------

    def _template(self) -> dict[str, Any]:
        """The base mapping with every decided lever's section present (the base's, else the file's `levers:`)."""
        data = copy.deepcopy(self.base_raw)
        policies = data.setdefault("policies", {}) or {}
        data["policies"] = policies
        for lever in sorted({_lever_of(k) for k in self.problem.decisions} - {None}):
            assert lever is not None
            if policies.get(lever) is None:
                policies[lever] = copy.deepcopy(self.problem.levers.get(lever))
        return data

    def package_scenario(self, package: Package, world: dict[str, float], name: str) -> Scenario:
        """The base with the package's decisions and the world's settings (validated)."""
        template = self._template()
        switches = {k for k, d in self.problem.decisions.items() if d.switch is not None}
        off = {k for k in switches if package.get(k) == "off"}
        # A switch is no setting of its own; the settings of a lever switched off are left out with it.
        values = {k: v for k, v in package.items() if k not in switches and not any(k.startswith(o + ".") for o in off)}
        firms = {} if self.problem.firms is None else {"firms.count": self.problem.firms}
        return variant(template, {**firms, **values, **world}, self.path, name=name, drop=sorted(off))

    def base_scenario(self, world: dict[str, float], name: str) -> Scenario:
        firms = {} if self.problem.firms is None else {"firms.count": self.problem.firms}
        return variant(self.base_raw, {**firms, **world}, self.path, name=name)

    # --- worlds ---------------------------------------------------------------

    def worlds(self, seed: int) -> list[tuple[int | None, dict[str, float]]]:
        """(posterior draw or None, deep-uncertainty settings) of every world, in order."""
        w = self.problem.worlds
        samples = self.lhs(seed) if w.uncertainties else [{}]
        draws: list[int | None] = list(range(self.ensemble.k)) if self.ensemble is not None else [None]
        if w.pairing == "crossed" or len(draws) == 1 or len(samples) == 1:
            return [(k, s) for k in draws for s in samples]
        return list(zip(draws, samples, strict=True))

    def lhs(self, seed: int) -> list[dict[str, float]]:
        """The deep-uncertainty samples: a Latin hypercube over the ranges (as sweep's, one generator)."""
        w = self.problem.worlds
        factors = {key: Factor(range=u.range) for key, u in w.uncertainties.items()}
        return [{k: float(v) for k, v in point.items()} for point in latin_hypercube(factors, w.samples, seed)]

    def world_seed(self, master: int) -> int:
        w = self.problem.worlds
        if w.seed is not None:
            return w.seed
        return int(np.random.SeedSequence([master, 1]).generate_state(1, np.uint64)[0])

    def in_world(self, scenario: Scenario, draw: int | None) -> Scenario:
        return scenario if draw is None or self.ensemble is None else self.ensemble.apply(scenario, draw)


def load_problem(path: str | Path, args: Any = None) -> LoadedProblem:
    """Read and check a problem file and everything it names (InputError, exit 2, on the first problem)."""
    path = Path(path)
    spec, base_path, base_raw = read_base_file(path, args, ProblemFile)
    loaded = LoadedProblem(spec, path, base_path, base_raw)
    _check_decisions(loaded)
    w = spec.worlds
    if w.posterior is not None:
        folder = Path(w.posterior.dir)
        folder = folder if folder.is_absolute() else path.parent / folder
        posterior = load_posterior(folder)
        loaded.ensemble = Ensemble(
            posterior, tuple(posterior.draw_indices(w.posterior.draws)), tuple(posterior.draws(w.posterior.draws))
        )
        both = sorted(set(w.uncertainties) & set(posterior.keys))
        if both:
            raise InputError(
                path,
                f"worlds.uncertainties.{both[0]}",
                "also a parameter of the posterior (each draw sets it)",
                "a key the posterior does not set, or no posterior",
            )
        if w.pairing == "paired" and w.uncertainties and w.samples != w.posterior.draws:
            raise InputError(
                path,
                "worlds.samples",
                f"{w.samples} samples beside {w.posterior.draws} posterior draws",
                "as many samples as draws when pairing is paired, or pairing: crossed",
            )
    n_worlds = (w.posterior.draws if w.posterior else 1) * (w.samples if w.uncertainties else 1)
    if w.pairing == "paired" and w.posterior and w.uncertainties:
        n_worlds = w.samples
    if n_worlds > MAX_WORLDS:
        raise InputError(path, "worlds", f"{n_worlds} worlds", f"at most {MAX_WORLDS}")
    world = world_for(loaded.base_scenario({}, f"{spec.name}-base"), base_path)
    del world
    for key, u in w.uncertainties.items():
        for end in u.range:
            try:
                sc = loaded.base_scenario({key: end}, f"{spec.name}-check")
            except InputError as exc:
                raise InputError(path, f"worlds.uncertainties.{key}", short(end), exc.allowed or exc.problem) from None
            if loaded.ensemble is not None:
                loaded.ensemble.apply(sc, 0)
    if loaded.ensemble is not None:
        loaded.ensemble.check([loaded.base_scenario({}, f"{spec.name}-base")])
    return loaded


def _check_decisions(loaded: LoadedProblem) -> None:
    """Each decision names a lever key, and each of its ends makes a valid package with the others' first values."""
    spec, path = loaded.problem, loaded.path
    for key, d in spec.decisions.items():
        lever = _lever_of(key)
        if lever is None:
            raise InputError(
                path,
                f"decisions.{key}",
                "not a lever setting",
                f"policies.<lever>[.<key>], lever one of {', '.join(LEVER_KEYS)}",
            )
        if d.switch is not None and key != f"policies.{lever}":
            raise InputError(
                path, f"decisions.{key}", "a switch on a lever's key", f"a switch on a whole lever: policies.{lever}"
            )
        if d.switch is None and key == f"policies.{lever}":
            raise InputError(path, f"decisions.{key}", "a range or values on a whole lever", "switch: [off, on]")
        section = (loaded.base_raw.get("policies") or {}).get(lever) or spec.levers.get(lever)
        if section is None:
            raise InputError(
                path,
                f"decisions.{key}",
                f"lever {lever} is in neither the base scenario nor levers:",
                f"its settings under levers.{lever} (start_year, end_year, budgets...) for the keys not decided",
            )
    for lever in spec.levers:
        if lever not in LEVER_KEYS:
            raise InputError(path, f"levers.{lever}", "not a lever", ", ".join(LEVER_KEYS))
    decisions = loaded.decisions()
    first = {d.key: d.decode(d.bounds[0]) for d in decisions}
    for d in decisions:
        ends = [d.low, d.high] if d.kind == "range" else list(range(len(d.choices)))
        for x in ends:
            package = {**first, d.key: d.decode(float(x))}
            try:
                loaded.package_scenario(package, {}, f"{spec.name}-check")
            except InputError as exc:
                raise InputError(
                    path, f"decisions.{d.key}", short(package[d.key]), exc.allowed or exc.problem
                ) from None
