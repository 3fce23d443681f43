"""Experiment files: a base scenario, factors by dotted key path, a design, outcomes.

An experiment YAML (documented key by key in `experiments/reference.yaml`) is
read with the same safe loader as scenarios, validated into a frozen
`Experiment`, and turned into design points (one value per factor) and then
into `Task`s: point p, replication r, with replication r's seed the same at
every point (common random numbers), so that differences between points come
from the factors, not from noise.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import Field, ValidationError, ValidationInfo, field_validator, model_validator

from experiments.engine import Task
from experiments.runner import replication_seeds
from model.config import MAX_REPLICATIONS, Frozen, Name, Scenario
from model.errors import InputError, short
from model.metrics import SUMMARY_METRICS
from model.scenario import load_raw, read_yaml, set_path, to_input_error, validate_mapping
from model.seeds import draw_seed

MAX_POINTS = 100_000
Value = float | int | bool | str


class Factor(Frozen):
    """One factor: explicit `values`, or a `range` [low, high] (grid: `levels` evenly spaced)."""

    values: tuple[Value, ...] | None = None
    range: tuple[float, float] | None = None
    levels: Annotated[int, Field(ge=2, le=1000)] | None = None
    integer: bool = False

    @model_validator(mode="after")
    def _one_kind(self) -> Factor:
        if (self.values is None) == (self.range is None):
            raise ValueError("give either values or range")
        if self.values is not None and len(self.values) == 0:
            raise ValueError("values must not be empty")
        if self.range is not None and not self.range[0] < self.range[1]:
            raise ValueError(f"range must be [low, high] with low < high, got {list(self.range)}")
        return self


class Design(Frozen):
    method: Literal["grid", "lhs", "morris", "sobol"] = "grid"
    samples: Annotated[int, Field(ge=1, le=MAX_POINTS)] = 10
    levels: Annotated[int, Field(ge=2, le=100)] = 4
    seed: Annotated[int, Field(ge=0, lt=2**63)] | None = None


class Experiment(Frozen):
    name: Name
    description: str = ""
    base: str
    seed: Annotated[int, Field(ge=0, lt=2**63)] | None = None
    replications: Annotated[int, Field(ge=1, le=MAX_REPLICATIONS)] = 1
    firms: Annotated[int, Field(ge=1, le=2_000_000)] | None = None
    design: Design = Design()
    factors: dict[str, Factor]
    outcomes: tuple[str, ...] = ("north_share_jobs", "relocated_jobs", "fiscal_cost_yuan")

    @field_validator("factors")
    @classmethod
    def _factors(cls, factors: dict[str, Factor], info: ValidationInfo) -> dict[str, Factor]:
        if not factors:
            raise ValueError("at least one factor is needed")
        design = info.data.get("design")
        if design is not None and design.method != "grid":
            open_ended = [k for k, f in factors.items() if f.range is None]
            if open_ended:
                raise ValueError(f"method {design.method} needs a range for every factor, not values: {open_ended}")
        return factors

    @field_validator("outcomes")
    @classmethod
    def _outcomes(cls, outcomes: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [o for o in outcomes if o not in SUMMARY_METRICS]
        if unknown:
            raise ValueError(f"unknown outcome(s) {unknown}; allowed: {', '.join(SUMMARY_METRICS)}")
        return outcomes


class LoadedExperiment:
    """An experiment with its file, its base scenario mapping and its design points."""

    def __init__(self, experiment: Experiment, path: Path, base_raw: dict[str, Any]) -> None:
        self.experiment = experiment
        self.path = path
        self.base_raw = base_raw

    @property
    def factor_names(self) -> list[str]:
        return list(self.experiment.factors)

    def master_seed(self, state: dict[str, Any] | None = None) -> tuple[int, str]:
        """(seed, where it came from): the experiment's, else the base scenario's, else the one
        recorded in a resumed run store's state, else one drawn now (callers record it)."""
        if self.experiment.seed is not None:
            return self.experiment.seed, "experiment"
        if self.base_raw.get("seed") is not None:
            return int(self.base_raw["seed"]), "base scenario"
        if state is not None and isinstance(state.get("master_seed"), int):
            return int(state["master_seed"]), "drawn"
        return draw_seed(), "drawn"

    def scenario_at(self, point: dict[str, Value], name: str | None = None) -> Scenario:
        """The base scenario with the point's factor values set (validated)."""
        data = json.loads(json.dumps(self.base_raw))
        data["name"] = name or self.experiment.name
        if self.experiment.firms is not None:
            set_path(data, "firms.count", self.experiment.firms)
        for key, value in point.items():
            set_path(data, key, value)
        return validate_mapping(data, self.path)

    def tasks(self, points: list[dict[str, Value]], master_seed: int) -> list[Task]:
        """Point p × replication r, seed of replication r shared by all points."""
        seeds = replication_seeds(master_seed, self.experiment.replications)
        tasks = []
        for p, point in enumerate(points):
            scenario = self.scenario_at(point)
            for r, seed in enumerate(seeds):
                labels = {"point": p, "replication": r, **point}
                tasks.append(Task(f"p{p:05d}-r{r:04d}", scenario, seed, labels))
        return tasks


def load_experiment(path: str | Path) -> LoadedExperiment:
    """Read and validate an experiment file, its base scenario and every factor path."""
    path = Path(path)
    raw = read_yaml(path)
    try:
        experiment = Experiment.model_validate_json(json.dumps(raw, default=str), strict=True)
    except ValidationError as exc:
        raise to_input_error(exc, path, Experiment) from None
    base_path = (path.resolve().parent / experiment.base).resolve()
    if not base_path.is_file():
        raise InputError(path, "base", f"{experiment.base!r} not found", "a scenario file, relative to this file")
    base_raw = load_raw(base_path)
    loaded = LoadedExperiment(experiment, path, base_raw)
    for key, factor in experiment.factors.items():
        samples = factor.values if factor.values is not None else factor.range
        for value in samples or ():
            try:
                loaded.scenario_at({key: _cast(factor, value)})
            except InputError as exc:
                raise InputError(
                    path, f"factors.{key}", f"{short(value)} does not make a valid scenario: {exc.problem}", exc.allowed
                ) from None
    return loaded


def _cast(factor: Factor, value: Value) -> Value:
    if factor.integer and isinstance(value, float):
        return round(value)
    return value


def grid_points(experiment: Experiment) -> list[dict[str, Value]]:
    """Every combination of the factors' values (ranges give `levels` evenly spaced values, default 5)."""
    axes = []
    for factor in experiment.factors.values():
        if factor.values is not None:
            axes.append([_cast(factor, v) for v in factor.values])
        else:
            assert factor.range is not None
            lo, hi = factor.range
            axes.append([_cast(factor, float(v)) for v in np.linspace(lo, hi, factor.levels or 5)])
    names = list(experiment.factors)
    points = [dict(zip(names, combo, strict=True)) for combo in itertools.product(*axes)]
    _check_size(len(points))
    return points


def lhs_points(experiment: Experiment, seed: int) -> list[dict[str, Value]]:
    """Latin hypercube: `samples` points, each factor's range cut into that many strata, one point per stratum."""
    n = experiment.design.samples
    _check_size(n)
    rng = np.random.default_rng(seed)
    columns = {}
    for name, factor in experiment.factors.items():
        assert factor.range is not None
        lo, hi = factor.range
        strata = (rng.permutation(n) + rng.random(n)) / n
        columns[name] = [_cast(factor, float(lo + (hi - lo) * u)) for u in strata]
    return [{name: columns[name][i] for name in columns} for i in range(n)]


def _check_size(n: int) -> None:
    if n > MAX_POINTS:
        raise InputError(None, "design", f"{n} design points", f"at most {MAX_POINTS}")


def design_seed(loaded: LoadedExperiment, master_seed: int) -> int:
    """The sampling seed: design.seed if given, else derived from the master seed."""
    seed = loaded.experiment.design.seed
    return seed if seed is not None else int(np.random.SeedSequence([master_seed, 1]).generate_state(1, np.uint64)[0])
