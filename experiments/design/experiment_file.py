"""Experiment files: a base scenario, factors by dotted key path, a design, outcomes.

An experiment YAML (documented key by key in `experiments/reference.yaml`) is
read with the same safe loader as scenarios and validated into a frozen
`ExperimentFile` before anything is built: every factor value must make a
valid scenario, and the number of design points is computed, never built, so
an oversized grid is refused at once. `--replications`, `--seed` and
`--firms` on the command line override the file's values. Design points are
turned into tasks by the commands (sweep, sensitivity): point p, replication
r, with replication r's seed the same at every point (common random numbers).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import Field, ValidationInfo, field_validator, model_validator

from experiments.design.base import BaseFile, LoadedFile, key_info, read_base_file
from model.config import Frozen, Scenario
from model.errors import InputError, short
from model.keys import KeyInfo
from model.outcomes import HORIZON
from model.world import WorldData, check_references, world_for

MAX_POINTS = 100_000
MAX_CHECKED_POINTS = 2_000  # a grid up to this size has every point checked when read (0.2 ms each: 0.5 s)
Value = float | int | bool | str
Method = Literal["grid", "lhs", "morris", "sobol"]


class Factor(Frozen):
    """One factor: explicit `values`, or a `range` [low, high] (grid: `levels` evenly spaced)."""

    values: tuple[Value, ...] | None = None
    range: tuple[float, float] | None = None
    levels: Annotated[int, Field(ge=2, le=1000)] | None = None
    integer: bool = False
    label: Annotated[str, Field(max_length=100)] | None = None
    unit: Annotated[str, Field(max_length=40)] | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> Factor:
        if (self.values is None) == (self.range is None):
            raise ValueError("give either values or range")
        if self.values is not None and len(self.values) == 0:
            raise ValueError("values must not be empty")
        if self.range is not None and not self.range[0] < self.range[1]:
            raise ValueError(f"range must be [low, high] with low < high, got {list(self.range)}")
        return self

    def axis(self) -> list[Value]:
        """The grid values of this factor."""
        if self.values is not None:
            return [cast(self, v) for v in self.values]
        assert self.range is not None
        lo, hi = self.range
        return [cast(self, float(v)) for v in np.linspace(lo, hi, self.levels or 5)]

    def grid_size(self) -> int:
        return len(self.values) if self.values is not None else (self.levels or 5)


class Design(Frozen):
    method: Method = "grid"
    samples: Annotated[int, Field(ge=1, le=MAX_POINTS)] = 10
    levels: Annotated[int, Field(ge=2, le=100)] = 4
    seed: Annotated[int, Field(ge=0, lt=2**63)] | None = None


class ExperimentFile(BaseFile):
    """An experiment file (experiments/reference.yaml): the shared keys, then the design, factors and outcomes."""

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
        unknown = [o for o in outcomes if o not in HORIZON]
        if unknown or not outcomes or len(set(outcomes)) != len(outcomes):
            raise ValueError(f"outcomes must be distinct names among {', '.join(HORIZON)} (got {list(outcomes)})")
        return outcomes


def latin_hypercube(factors: Mapping[str, Factor], n: int, seed: int) -> list[dict[str, Value]]:
    """n points, each factor's range cut into n strata with one point in each (factors in order, one generator)."""
    rng = np.random.default_rng(seed)
    columns = {}
    for name, factor in factors.items():
        assert factor.range is not None
        lo, hi = factor.range
        strata = (rng.permutation(n) + rng.random(n)) / n
        columns[name] = [cast(factor, float(lo + (hi - lo) * u)) for u in strata]
    return [{name: columns[name][i] for name in columns} for i in range(n)]


def cast(factor: Factor, value: Value) -> Value:
    if factor.integer and isinstance(value, float):
        return round(value)
    return value


class LoadedExperiment(LoadedFile[ExperimentFile]):
    """An experiment file with its command-line overrides, its base scenario mapping and its factors."""

    @property
    def experiment(self) -> ExperimentFile:
        return self.spec

    @property
    def factor_names(self) -> list[str]:
        return list(self.experiment.factors)

    def factor_info(self, key: str) -> KeyInfo:
        """The factor's label and unit: the file's, else the schema's, else from the key path."""
        factor = self.experiment.factors[key]
        return key_info(key, factor.label, factor.unit)

    def scenario_at(self, point: dict[str, Value], name: str | None = None) -> Scenario:
        """The base scenario with the point's factor values set (validated)."""
        return self.variant(point, name or self.experiment.name)

    def base_scenario(self) -> Scenario:
        return self.scenario_at({}, name=f"{self.experiment.name}-base")

    def n_points(self) -> int:
        """Design points, computed without building them."""
        exp = self.experiment
        k, n = len(exp.factors), exp.design.samples
        method = exp.design.method
        if method == "grid":
            return math.prod(f.grid_size() for f in exp.factors.values())
        if method == "morris":
            return n * (k + 1)
        if method == "sobol":
            return n * (k + 2)
        return n

    def size_text(self) -> str:
        exp = self.experiment
        points = self.n_points()
        return f"{exp.design.method}, {points:,} points × {exp.replications} replication(s)"

    def grid_points(self) -> list[dict[str, Value]]:
        import itertools

        names = self.factor_names
        axes = [self.experiment.factors[n].axis() for n in names]
        return [dict(zip(names, combo, strict=True)) for combo in itertools.product(*axes)]

    def lhs_points(self, seed: int) -> list[dict[str, Value]]:
        """Latin hypercube: `samples` points, each range cut into that many strata, one point per stratum."""
        return latin_hypercube(self.experiment.factors, self.experiment.design.samples, seed)

    def design_seed(self, master_seed: int) -> int:
        """The sampling seed: design.seed if given, else derived from the master seed."""
        seed = self.experiment.design.seed
        if seed is not None:
            return seed
        return int(np.random.SeedSequence([master_seed, 1]).generate_state(1, np.uint64)[0])


def load_experiment(path: str | Path, args: Any = None) -> LoadedExperiment:
    """Read and validate an experiment file, its base scenario, every factor value and the design's size."""
    path = Path(path)
    experiment, base_path, base_raw = read_base_file(path, args, ExperimentFile)
    loaded = LoadedExperiment(experiment, path, base_path, base_raw)
    points = loaded.n_points()
    if points > MAX_POINTS:
        raise InputError(path, "design", f"{points:,} design points", f"at most {MAX_POINTS:,}")
    world = world_for(loaded.base_scenario(), base_path)
    grid = experiment.design.method == "grid"
    for key, factor in experiment.factors.items():
        for value in factor.axis() if grid else factor.range or ():  # a sampled range: its two ends
            _check_point(loaded, world, {key: cast(factor, value)}, f"factors.{key}")
    if grid and len(experiment.factors) > 1 and points <= MAX_CHECKED_POINTS:
        for i, point in enumerate(loaded.grid_points()):  # factors that are fine alone may clash together
            _check_point(loaded, world, point, f"design point {i + 1} of {points}")
    return loaded


def _check_point(loaded: LoadedExperiment, world: WorldData, point: dict[str, Value], where: str) -> None:
    """A design point's scenario is one `validate` accepts: schema, ids, lever windows within the years."""
    try:
        scenario = loaded.scenario_at(point)
        if any(k.startswith("world.data") for k in point):  # another data file: another world
            world_for(scenario, loaded.path)
        else:
            check_references(scenario, world, loaded.path)
    except InputError as exc:
        values = ", ".join(f"{k}={short(v)}" for k, v in point.items())
        raise InputError(
            loaded.path, where, f"{values} does not make a valid scenario: {exc.key}: {exc.problem}", exc.allowed
        ) from None
