"""Discovery files: packages against a base, uncertainties with ranges, a number of worlds, a failure rule.

A discovery YAML (documented key by key in `experiments/discover.reference.yaml`)
shares the keys of every file with a base scenario (experiments.design.base:
name, description, base, seed, replications, firms) and adds `packages`
(scenario files, each a policy package, relative to the file), `uncertainties`
(dotted `world.*` or `behaviour.*` keys, each with a `range`), `worlds` (Latin
hypercube points), `failure` (a rule on the paired change of one horizon
metric) and `prim` (how boxes are found and chosen). Everything is checked
here, before anything runs: each package loads and has the base's years and
firm count, and both ends of every range make a valid base and package.

A world's values are set as dotted overrides on the base and on every
package alike, so a package and the base differ in one world by their levers
only. Ranges only: a calibration posterior as a source of worlds is not
supported (yet); use ranges around the calibrated values.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import numpy as np
from pydantic import Field, field_validator, model_validator

from experiments.design.base import BaseFile, LoadedFile, key_info, read_base_file
from experiments.design.experiment_file import Factor, Value, latin_hypercube
from model.config import Frozen, Scenario
from model.errors import InputError, short
from model.keys import KeyInfo
from model.outcomes import HORIZON, metric
from model.scenario import load_raw, variant
from model.world import WorldData, check_references, world_for

MAX_WORLDS = 100_000
MAX_PACKAGES = 8
VARIED_SECTIONS = ("world.", "behaviour.")  # what a world may set; policies belong to the packages
FIXED_KEYS = ("world.data", "world.destination_kinds", "world.hand_seeded_rows", "world.intensities")


class Failure(Frozen):
    """The failure rule: a package fails in a world when the mean paired change of `metric` crosses the bound."""

    metric: str
    change_below: float | None = None
    change_above: float | None = None

    @field_validator("metric")
    @classmethod
    def _metric(cls, name: str) -> str:
        if name not in HORIZON:
            raise ValueError(f"{name!r} is not a horizon metric; one of {', '.join(HORIZON)}")
        return name

    @model_validator(mode="after")
    def _one_bound(self) -> Failure:
        if (self.change_below is None) == (self.change_above is None):
            raise ValueError("give exactly one of change_below and change_above")
        return self

    @property
    def bound(self) -> float:
        return self.change_below if self.change_below is not None else float(self.change_above)  # type: ignore[arg-type]

    @property
    def side(self) -> str:
        return "change_below" if self.change_below is not None else "change_above"

    def fails(self, change: np.ndarray) -> np.ndarray:
        """True where the change crosses the bound (a NaN change never fails: it is reported apart)."""
        with np.errstate(invalid="ignore"):
            return change < self.bound if self.change_below is not None else change > self.bound

    def words(self) -> str:
        """`the change in north-park jobs is below +10,000`."""
        m = metric(self.metric)
        label = m.label[:1].lower() + m.label[1:]
        side = "below" if self.change_below is not None else "above"
        return f"the change in {label} is {side} {m.text(self.bound, change=True)}"


class PrimSettings(Frozen):
    """How PRIM peels, which box of its trajectory is chosen, and how often it is resampled."""

    density_min: Annotated[float, Field(gt=0, le=1)] = 0.8
    mass_min: Annotated[float, Field(gt=0, lt=0.5)] = 0.05
    peel_alpha: Annotated[float, Field(gt=0, lt=0.5)] = 0.05
    paste_alpha: Annotated[float, Field(gt=0, lt=0.5)] = 0.05
    max_boxes: Annotated[int, Field(ge=1, le=5)] = 2
    resamples: Annotated[int, Field(ge=0, le=200)] = 10


class DiscoverFile(BaseFile):
    """A discovery file (experiments/discover.reference.yaml)."""

    packages: Annotated[tuple[Annotated[str, Field(min_length=1, max_length=4096)], ...], Field(min_length=1)]
    uncertainties: dict[str, Factor]
    worlds: Annotated[int, Field(ge=2, le=MAX_WORLDS)] = 1000
    failure: Failure
    prim: PrimSettings = PrimSettings()
    sample_seed: Annotated[int, Field(ge=0, lt=2**63)] | None = None

    @field_validator("packages")
    @classmethod
    def _packages(cls, packages: tuple[str, ...]) -> tuple[str, ...]:
        if len(packages) > MAX_PACKAGES:
            raise ValueError(f"{len(packages)} packages; at most {MAX_PACKAGES}")
        return packages

    @field_validator("uncertainties")
    @classmethod
    def _uncertainties(cls, uncertainties: dict[str, Factor]) -> dict[str, Factor]:
        if not uncertainties:
            raise ValueError("at least one uncertainty is needed")
        for key, f in uncertainties.items():
            if f.range is None or f.levels is not None:
                raise ValueError(f"{key}: give a range [low, high] (no values or levels: worlds are sampled)")
            if not key.startswith(VARIED_SECTIONS) or key.startswith(FIXED_KEYS):
                raise ValueError(
                    f"{key}: a world setting or behaviour coefficient (world.*, behaviour.*) with a number, "
                    "not a lever (packages set those) nor a data or kind setting"
                )
        return uncertainties


@dataclass(frozen=True)
class Package:
    """One package file: where it is, its merged mapping and its scenario without a world's values."""

    path: Path
    raw: dict[str, Any]
    scenario: Scenario

    @property
    def name(self) -> str:
        return self.scenario.name


class LoadedDiscover(LoadedFile[DiscoverFile]):
    """A discovery file with its command-line overrides, its base scenario and its packages."""

    packages: list[Package]

    @property
    def names(self) -> list[str]:
        return [p.name for p in self.packages]

    @property
    def keys(self) -> list[str]:
        return list(self.spec.uncertainties)

    def info(self, key: str) -> KeyInfo:
        f = self.spec.uncertainties[key]
        return key_info(key, f.label, f.unit)

    def base_in(self, values: Mapping[str, Value]) -> Scenario:
        """The base scenario (its own name) with the file's firm count and a world's values (validated)."""
        firms = {} if self.spec.firms is None else {"firms.count": self.spec.firms}
        return variant(self.base_raw, {**firms, **values}, self.path)

    def package_in(self, k: int, values: Mapping[str, Value]) -> Scenario:
        """Package k (its own name) with the file's firm count and a world's values (validated)."""
        p = self.packages[k]
        firms = {} if self.spec.firms is None else {"firms.count": self.spec.firms}
        return variant(p.raw, {**firms, **values}, p.path)

    def worlds(self, seed: int) -> list[dict[str, Value]]:
        """The Latin hypercube of `worlds` points over the uncertainties' ranges."""
        return latin_hypercube(self.spec.uncertainties, self.spec.worlds, seed)

    def sample_seed(self, master_seed: int) -> int:
        """sample_seed if given, else derived from the master seed (as a sweep's design seed is)."""
        if self.spec.sample_seed is not None:
            return self.spec.sample_seed
        return int(np.random.SeedSequence([master_seed, 1]).generate_state(1, np.uint64)[0])


def load_discover(path: str | Path, args: Any = None) -> LoadedDiscover:
    """Read and validate a discovery file, its base, its packages and both ends of every range."""
    path = Path(path)
    spec, base_path, base_raw = read_base_file(path, args, DiscoverFile)
    worlds = getattr(args, "worlds", None) if args is not None else None
    if worlds is not None:
        spec = spec.model_copy(update={"worlds": int(worlds)})
    loaded = LoadedDiscover(spec, path, base_path, base_raw)
    base = loaded.base_in({})
    worlds = [world_for(base, base_path)]
    loaded.packages = []
    for i, ref in enumerate(spec.packages):
        loaded.packages.append(_package(loaded, i, ref, base))
        worlds.append(world_for(loaded.packages[-1].scenario, loaded.packages[-1].path))
    corners = {
        "all lows": {k: f.range[0] for k, f in spec.uncertainties.items() if f.range},
        "all highs": {k: f.range[1] for k, f in spec.uncertainties.items() if f.range},
    }
    for key, f in spec.uncertainties.items():
        for end in f.range or ():
            _check_world(loaded, worlds, {key: _cast(f, end)}, f"uncertainties.{key}")
    for what, values in corners.items():
        _check_world(loaded, worlds, values, f"uncertainties ({what} together)")
    return loaded


def _cast(f: Factor, value: float) -> Value:
    return round(value) if f.integer else value


def _package(loaded: LoadedDiscover, i: int, ref: str, base: Scenario) -> Package:
    """Package i read and checked: a scenario file with the base's years and firm count and a distinct name."""
    where = f"packages[{i}]"
    pkg_path = loaded.path.resolve().parent / ref
    try:
        raw = load_raw(pkg_path)
    except InputError as exc:
        if exc.file == str(pkg_path) and not exc.key:
            raise InputError(loaded.path, where, f"{short(ref)}: {exc.problem}", "a scenario file") from None
        raise
    firms = {} if loaded.spec.firms is None else {"firms.count": loaded.spec.firms}
    scenario = variant(raw, firms, pkg_path)
    if scenario.name in loaded.names:
        raise InputError(loaded.path, where, f"{scenario.name!r} is the name of another package", "distinct names")
    if (scenario.years.start, scenario.years.end) != (base.years.start, base.years.end):
        raise InputError(
            pkg_path,
            "years",
            f"{scenario.years.start}-{scenario.years.end} differs from the base's",
            f"the base's years {base.years.start}-{base.years.end}, so that runs pair year by year",
        )
    if scenario.firms.count != base.firms.count:
        raise InputError(
            pkg_path,
            "firms.count",
            f"{scenario.firms.count} differs from the base's",
            f"{base.firms.count} (the same firms draw the same numbers), or `firms:` in the file, or --firms N",
        )
    return Package(pkg_path, raw, scenario)


def _check_world(loaded: LoadedDiscover, worlds: list[WorldData], values: dict[str, Value], where: str) -> None:
    """A world's values make a valid base and valid packages (schema, ids, lever windows within the years)."""
    for k in range(-1, len(loaded.packages)):
        try:
            scenario = loaded.base_in(values) if k < 0 else loaded.package_in(k, values)
            check_references(scenario, worlds[k + 1], loaded.path)
        except InputError as exc:
            text = ", ".join(f"{key}={short(v)}" for key, v in values.items())
            what = "the base" if k < 0 else f"package {loaded.packages[k].name}"
            raise InputError(
                loaded.path, where, f"{text} does not make {what} valid: {exc.key}: {exc.problem}", exc.allowed
            ) from None
