"""Calibration files: a base scenario, the parameters to fit with their priors, the facts to fit and hold out.

A calibration YAML (documented key by key in `experiments/calibration.reference.yaml`)
is read with the same safe loader as scenarios and validated into a frozen
`CalibrationFile` before anything runs: every parameter must be a numeric key
of the scenario whose prior range makes valid scenarios at both ends, every
fact must be one of `experiments.facts.catalogue.FACTS` (a fact is fitted or held out,
never both), and the base scenario needs a hindcast window, the years the
facts are about. `seeds: fresh` (the default) runs every evaluated parameter
set on its own seeds, `common` all on the same ones (the shipped files, so
their results reproduce); `abc.adaptive_population` and `abc.distance:
adaptive` switch on pyabc's adaptive population size and distance.
`--replications`, `--seed` and `--firms` on the command line override the
file's values.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from experiments.design.base import BaseFile, LoadedFile, key_info, read_base_file
from experiments.facts.catalogue import FACTS, FIT_DEFAULT, HELD_OUT_DEFAULT
from model.config import Frozen, Scenario
from model.errors import InputError, short
from model.keys import KeyInfo
from model.world import world_for

MAX_PARAMETERS = 30
MAX_SIMULATIONS = 1_000_000


class Prior(Frozen):
    """A uniform prior on [low, high] and why that range."""

    range: tuple[float, float]
    reason: Annotated[str, Field(min_length=1, max_length=400)]
    label: Annotated[str, Field(max_length=100)] | None = None
    unit: Annotated[str, Field(max_length=40)] | None = None

    @field_validator("range")
    @classmethod
    def _range(cls, value: tuple[float, float]) -> tuple[float, float]:
        lo, hi = value
        if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
            raise ValueError(f"range must be [low, high] with finite low < high, got {list(value)}")
        return value


class AdaptivePopulation(Frozen):
    """pyabc's AdaptivePopulationSize: each generation as many particles as keep the posterior's CV near target_cv."""

    target_cv: Annotated[float, Field(gt=0.0, lt=1.0)] = 0.05
    min_size: Annotated[int, Field(ge=5, le=100_000)] = 100
    max_size: Annotated[int, Field(ge=5, le=100_000)] = 5000

    @model_validator(mode="after")
    def _bounds(self) -> AdaptivePopulation:
        if self.min_size > self.max_size:
            raise ValueError(f"min_size ({self.min_size}) must not exceed max_size ({self.max_size})")
        return self


class Abc(Frozen):
    """ABC-SMC settings (pyabc)."""

    population: Annotated[int, Field(ge=5, le=100_000)] = 200  # the first generation's size when adaptive
    adaptive_population: AdaptivePopulation | None = None  # None = every generation has `population` particles
    distance: Literal["fixed", "adaptive"] = "fixed"  # fixed fact weights, or pyabc.AdaptivePNormDistance
    generations: Annotated[int, Field(ge=1, le=100)] = 6
    max_simulations: Annotated[int, Field(ge=10, le=MAX_SIMULATIONS)] = 5000
    min_epsilon: Annotated[float, Field(ge=0.0, le=100.0)] = 0.0
    epsilon_quantile: Annotated[float, Field(gt=0.0, lt=1.0)] = 0.5


class Predictive(Frozen):
    """The posterior predictive check of fit.csv: draws re-run on fresh seeds."""

    draws: Annotated[int, Field(ge=2, le=10_000)] = 40
    replications: Annotated[int, Field(ge=1, le=1000)] = 3


class CalibrationFile(BaseFile):
    """A calibration file (experiments/calibration.reference.yaml): the shared keys, priors, facts, ABC settings."""

    replications: Annotated[int, Field(ge=1, le=100)] = 2  # per parameter set: fewer than experiments allow
    seeds: Literal["fresh", "common"] = "fresh"  # each parameter set on its own seeds, or all on the same ones
    parameters: dict[str, Prior]
    fit: tuple[str, ...] = FIT_DEFAULT
    held_out: tuple[str, ...] = HELD_OUT_DEFAULT
    weights: dict[str, Annotated[float, Field(gt=0.0, le=1000.0)]] = Field(default_factory=dict)
    abc: Abc = Abc()
    predictive: Predictive = Predictive()

    @field_validator("parameters")
    @classmethod
    def _parameters(cls, value: dict[str, Prior]) -> dict[str, Prior]:
        if not value:
            raise ValueError("at least one parameter is needed")
        if len(value) > MAX_PARAMETERS:
            raise ValueError(f"{len(value)} parameters: at most {MAX_PARAMETERS}")
        return value

    @field_validator("fit", "held_out")
    @classmethod
    def _facts(cls, names: tuple[str, ...], info: ValidationInfo) -> tuple[str, ...]:
        unknown = [n for n in names if n not in FACTS]
        if unknown or len(set(names)) != len(names):
            raise ValueError(f"distinct names among {', '.join(FACTS)} (got {short(list(names))})")
        if info.field_name == "fit" and not names:
            raise ValueError("name at least one fact to fit")
        both = sorted(set(names) & set(info.data.get("fit", ())))
        if info.field_name == "held_out" and both:
            raise ValueError(f"a fact is fitted or held out, not both: {both}")
        return names

    @field_validator("weights")
    @classmethod
    def _weights(cls, value: dict[str, float], info: ValidationInfo) -> dict[str, float]:
        stray = sorted(set(value) - set(info.data.get("fit", ())))
        if stray:
            raise ValueError(f"weights are for fitted facts only, not {short(stray)}")
        return value


class LoadedCalibration(LoadedFile[CalibrationFile]):
    """A calibration file with its command-line overrides and its base scenario."""

    @property
    def calibration(self) -> CalibrationFile:
        return self.spec

    @property
    def keys(self) -> list[str]:
        return list(self.calibration.parameters)

    def info(self, key: str) -> KeyInfo:
        prior = self.calibration.parameters[key]
        return key_info(key, prior.label, prior.unit)

    def weight(self, fact: str) -> float:
        return float(self.calibration.weights.get(fact, 1.0))

    def scenario(self, values: dict[str, float], name: str, hindcast_only: bool = True) -> Scenario:
        """The base scenario with these values; `hindcast_only` ends it with the hindcast window (faster)."""
        if hindcast_only:
            years = self.base_raw.get("years")
            hindcast = values.get("years.hindcast_end", years.get("hindcast_end") if isinstance(years, dict) else None)
            values = {**values, "years.end": hindcast, "years.report_start": None}
        return self.variant(values, name)

    def default(self, key: str) -> float:
        """The base scenario's value of a parameter (before calibration)."""
        node: Any = self.scenario({}, "defaults").model_dump(mode="json")
        for part in key.split("."):
            node = node[part]
        return float(node)


def load_calibration(path: str | Path, args: Any = None) -> LoadedCalibration:
    """Read and validate a calibration file and its base scenario; check every prior's ends make valid scenarios."""
    path = Path(path)
    calibration, base_path, base_raw = read_base_file(path, args, CalibrationFile)
    loaded = LoadedCalibration(calibration, path, base_path, base_raw)
    full = loaded.scenario({}, "defaults", hindcast_only=False)
    if full.years.hindcast_end is None:
        raise InputError(
            path, "base", "the base scenario has no hindcast window", "a scenario with years.hindcast_end (2022)"
        )
    world_for(full, base_path)
    for key, prior in calibration.parameters.items():
        try:
            loaded.default(key)
        except (KeyError, TypeError, ValueError):
            raise InputError(
                path, f"parameters.{key}", "not a numeric scenario key", "e.g. behaviour.push.intercept"
            ) from None
        for value in prior.range:
            try:
                loaded.scenario({key: value}, "check")
            except InputError as exc:
                raise InputError(
                    path,
                    f"parameters.{key}.range",
                    f"{short(value)} does not make a valid scenario: {exc.problem}",
                    exc.allowed,
                ) from None
    return loaded
