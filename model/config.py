"""Typed, frozen scenario schema.

A scenario is parsed once, validated here before anything is built, and then
passed around as immutable objects. The `policies:` section is built from the
lever registry (`model.levers.registry`): each lever module owns its config
class, so this file lists no lever. Every default names its source in
`scenarios/reference.yaml` and `docs/model.md`; the short reason is repeated in
the field description so that `--help`-style tooling can show it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal

from pydantic import Field, ValidationInfo, create_model, field_validator

from model.levers.registry import LEVERS, registry_of
from model.limits import MAX_FIRMS, MAX_REPLICATIONS, MAX_YEARS, NAME_PATTERN
from model.schema import Coef, Fraction, Frozen, Growth, Name, Timed, Year, Yuan

if TYPE_CHECKING:
    from model.levers.base import Lever

__all__ = [
    "INTENSITY_NAMES",
    "LEVER_KEYS",
    "MAX_FIRMS",
    "MAX_REPLICATIONS",
    "MAX_YEARS",
    "NAME_PATTERN",
    "Behaviour",
    "Choice",
    "Coef",
    "Congestion",
    "CostGrowth",
    "DataFiles",
    "Entry",
    "Firms",
    "Fraction",
    "Frozen",
    "Growth",
    "Intensities",
    "IntensitySetting",
    "KindName",
    "Name",
    "Nests",
    "Outside",
    "OutsideRise",
    "Policies",
    "PoliciesBase",
    "Push",
    "Scenario",
    "Settlement",
    "Timed",
    "World",
    "Year",
    "Years",
    "Yuan",
    "policies_model",
    "scenario_model",
]


class Years(Frozen):
    """The simulated years, and the two windows results are reported over.

    `hindcast_end`: the hindcast window is `start`..`hindcast_end` (the years
    the article's facts describe, 2019–2022 in the shipped baseline); None = no
    hindcast. `report_start`: summary metrics are over `report_start`..`end`
    (2024–2035 in the baseline, after policies start); None = every year.
    """

    start: Year = 2019
    end: Year = 2035
    hindcast_end: Year | None = None
    report_start: Year | None = None

    @field_validator("end")
    @classmethod
    def _ordered(cls, end: int, info: ValidationInfo) -> int:
        start = info.data.get("start")
        if start is not None and end < start:
            raise ValueError(f"must be ≥ years.start ({start})")
        if start is not None and end - start + 1 > MAX_YEARS:
            raise ValueError(f"at most {MAX_YEARS} years may be simulated (years.start is {start})")
        return end

    @field_validator("hindcast_end", "report_start")
    @classmethod
    def _within(cls, year: int | None, info: ValidationInfo) -> int | None:
        start, end = info.data.get("start"), info.data.get("end")
        if year is not None and start is not None and end is not None and not start <= year <= end:
            raise ValueError(f"must lie within years.start..years.end ({start}..{end}), or be null")
        hindcast_end = info.data.get("hindcast_end")
        if info.field_name == "report_start" and year is not None and hindcast_end is not None and year <= hindcast_end:
            raise ValueError(f"must come after years.hindcast_end ({hindcast_end})")
        return year

    @property
    def report(self) -> tuple[int, int]:
        """First and last year of the report window."""
        return (self.report_start if self.report_start is not None else self.start, self.end)

    @property
    def hindcast(self) -> tuple[int, int] | None:
        """First and last year of the hindcast window, if there is one."""
        return None if self.hindcast_end is None else (self.start, self.hindcast_end)


class Entry(Frozen):
    """Firm births in the origins: each year after the first, `rate_per_year` × `firms.count` new firms.

    The count does not depend on policy, so a firm's draws are the same in
    every scenario (common random numbers). Default: births roughly replace
    the firms that close or move out of the south each year in the baseline,
    so the southern population stays roughly stationary (assumption; see
    docs/model.md for the measured balance).
    """

    rate_per_year: Annotated[float, Field(ge=0, le=0.5)] = 0.04
    relative_size: Annotated[float, Field(gt=0, le=10)] = 0.5


class Firms(Frozen):
    count: Annotated[int, Field(ge=1, le=MAX_FIRMS)] = 30_000
    represented: Annotated[float, Field(gt=0, le=1e9)] = 30_000
    age_mean_years: Annotated[float, Field(gt=0, le=200)] = 12.0
    size_sigma: Annotated[float, Field(ge=0, le=3)] = 1.0
    productivity_sigma: Annotated[float, Field(ge=0, le=3)] = 0.3
    entry: Entry = Entry()


class CostGrowth(Frozen):
    wage_per_year: Growth = 0.0
    land_per_year: Growth = 0.0
    power_per_year: Growth = 0.0


class OutsideRise(Frozen):
    """Other provinces raise their incentive from a year on (a world setting, not a Jiangsu lever)."""

    start_year: Year
    yuan_per_job: Yuan = 50_000.0
    growth_per_year: Growth = 0.0


class Outside(Frozen):
    """Other provinces' competition: not a Jiangsu lever."""

    subsidy_yuan_per_job: Yuan = 20_000.0
    subsidy_growth_per_year: Growth = 0.0
    rise: OutsideRise | None = None
    wage_per_year: Growth = 0.05
    land_per_year: Growth = 0.02
    power_per_year: Growth = 0.0


class Congestion(Frozen):
    wage_elasticity: Annotated[float, Field(ge=0, le=10)] = 0.5
    land_elasticity: Annotated[float, Field(ge=0, le=10)] = 1.0


class Settlement(Frozen):
    closure_rate_per_year: Annotated[float, Field(ge=0, le=0.9)] = 0.02
    closure_productivity: Annotated[float, Field(ge=0, le=20)] = 2.0
    supply_chain_penalty: Annotated[float, Field(ge=0, le=5)] = 0.4
    cluster_threshold_jobs: Annotated[float, Field(gt=0, le=1e8)] = 20_000.0
    talent_effect: Annotated[float, Field(ge=0, le=5)] = 0.1
    skill_loss: Annotated[float, Field(ge=0, le=5)] = 0.1
    move_cost_burden: Annotated[float, Field(ge=0, le=5)] = 0.2
    recovery_per_year: Fraction = 0.2


class DataFiles(Frozen):
    """Data files; relative paths are resolved against the scenario file."""

    places: str | None = None
    industries: str | None = None
    ties: str | None = None
    industry_base: str | None = None
    distances: str | None = None
    industry_intensity_ranges: str | None = None  # read only when `world.intensities` asks for a range end or a draw


IntensitySetting = Literal["point", "low", "high", "draw"]


class Intensities(Frozen):
    """Which value of each industry intensity the model uses (model/data/README.md, "Intensity ranges").

    Each intensity column of industries.csv (`<name>_intensity`) is taken, for
    every industry alike, at its `point` (the value in industries.csv), at the
    `low` or `high` end of its range in the ranges file, or `draw`n uniformly
    within the range: industry k's value is low_k + u_k (high_k − low_k), u from
    numpy's default generator seeded with [seed, i] (i the column's place in
    `INTENSITY_NAMES`), so a column's draw depends on `seed` alone, never on the
    other columns' settings or on the run's seed: every scenario and replication
    with the same setting sees the same table (common random numbers). All
    `point` (the default) is the shipped table, and the run is the one without
    this section, bit for bit.
    """

    labour: IntensitySetting = "point"
    land: IntensitySetting = "point"
    energy: IntensitySetting = "point"
    skill: IntensitySetting = "point"
    supply_chain: IntensitySetting = "point"
    seed: Annotated[int, Field(ge=0, lt=2**63)] = 0

    def settings(self) -> dict[str, IntensitySetting]:
        """Intensity name -> its setting, in `INTENSITY_NAMES` order."""
        return {name: getattr(self, name) for name in INTENSITY_NAMES}

    @property
    def shipped(self) -> bool:
        """Every intensity at its point value: the ranges file is not read."""
        return all(v == "point" for v in self.settings().values())


INTENSITY_NAMES: tuple[str, ...] = tuple(n for n in Intensities.model_fields if n != "seed")


class World(Frozen):
    data: DataFiles = DataFiles()
    # keep = every row of industry_base; drop = without the rows whose `seeded` column says "hand" (the rows set by
    # hand, not by the data's rule: model/data/README.md), so a result can be shown with and without them
    hand_seeded_rows: Literal["keep", "drop"] = "keep"
    destination_kinds: tuple[str, ...] = ("north_park", "jiangsu_city", "outside_city")
    south: CostGrowth = CostGrowth(wage_per_year=0.06, land_per_year=0.04)
    north: CostGrowth = CostGrowth(wage_per_year=0.05, land_per_year=0.02)
    outside: Outside = Outside()
    congestion: Congestion = Congestion()
    settlement: Settlement = Settlement()
    intensities: Intensities = Intensities()


class Push(Frozen):
    """Coefficients of the yearly move hazard η = intercept + Σ push.k z_k + inclusive_value · (IV − IV_ref)."""

    intercept: Coef = -4.3
    cost_pressure: Coef = 2.0
    size: Coef = -0.2
    age: Coef = -0.3
    agglomeration: Coef = -0.1
    guidance: Coef = 1.0
    inclusive_value: Annotated[float, Field(ge=0, le=1)] = 0.5


class Choice(Frozen):
    """Conditional-logit coefficients, V_ij = Σ choice.k x_ijk."""

    wage: Coef = -1.0
    land: Coef = -0.8
    energy: Coef = -3.0
    infrastructure: Coef = 1.5
    environment: Coef = 1.5
    talent: Coef = 1.0
    agglomeration: Coef = 0.25
    focus: Coef = 0.5
    pairing: Coef = 0.8
    ties: Coef = 1.0
    distance: Coef = -0.6
    subsidy: Coef = 0.4
    guidance: Coef = 0.5
    supply_chain: Coef = -1.0
    # ln(GDP of the destination): 0 in the model; the gravity yardstick's mass term (experiments.facts.yardsticks)
    log_gdp: Coef = 0.0


# λ below 0.01 sends V/λ past what a float's exp and sum keep apart (at |coefficients| up to 1000): the choice is a
# maximum then anyway, so the schema stops there rather than return NaN probabilities.
LAMBDA_MIN = 0.01
Lambda = Annotated[float, Field(ge=LAMBDA_MIN, le=1)]


class Nests(Frozen):
    """Dissimilarity parameters λ of the nests, one nest per destination kind (DESIGN §2).

    0.01 ≤ λ ≤ 1; λ = 1 for every nest gives the conditional logit over all
    destinations; a smaller λ means the places of a nest are closer
    substitutes (a park added in Suqian takes most of its share from the
    other parks, not from the other nests).
    """

    north_park: Lambda = 0.5
    jiangsu_city: Lambda = 0.7
    outside_city: Lambda = 0.8


class Behaviour(Frozen):
    push: Push = Push()
    choice: Choice = Choice()
    nests: Nests = Nests()
    batches_per_year: Annotated[int, Field(ge=1, le=1000)] = 10


class PoliciesBase(Frozen):
    """Base of the `policies:` schema; `lever_classes` are the levers it was built from."""

    lever_classes: ClassVar[tuple[type[Lever], ...]] = ()


def policies_model(levers: Sequence[type[Lever]]) -> type[PoliciesBase]:
    """The `policies:` schema of a list of levers: one optional section per lever, in order.

    Each field is `<lever's config class> | None = None` (a lever is off unless
    its section is present); the resulting class remembers the lever classes so
    that `model.levers.build_levers` runs exactly the levers it validated.
    """
    registry = registry_of(levers)
    fields: dict[str, Any] = {key: (cls.config_class | None, None) for key, cls in registry.items()}
    model = create_model(
        "Policies",
        __base__=PoliciesBase,
        __module__=__name__,
        __doc__="The policy levers; a lever is off unless its section is present.",
        **fields,
    )
    model.lever_classes = tuple(registry.values())
    return model


Policies = policies_model(LEVERS)


class Scenario(Frozen):
    name: Name
    description: str = ""
    extends: str | None = None
    seed: Annotated[int, Field(ge=0, lt=2**63)] | None = None
    replications: Annotated[int, Field(ge=1, le=MAX_REPLICATIONS)] = 5
    years: Years = Years()
    firms: Firms = Firms()
    world: World = World()
    behaviour: Behaviour = Behaviour()
    policies: Policies = Policies()  # type: ignore[valid-type]


def scenario_model(levers: Sequence[type[Lever]]) -> type[Scenario]:
    """A Scenario class whose `policies:` are the given levers instead of the shipped registry.

    For a lever that is not (yet) in `model.levers.registry`: a test or a
    plug-in validates and runs scenarios with it without changing any global
    state (`simulate` and `build_levers` follow the scenario's own schema).
    """
    policies = policies_model(levers)
    return create_model("Scenario", __base__=Scenario, __module__=__name__, policies=(policies, policies()))


LEVER_KEYS: tuple[str, ...] = tuple(Policies.model_fields)


def levers_of(scenario: Scenario) -> list[str]:
    """The levers a scenario switches on (its sections under `policies:`), in the registry's order."""
    return [k for k in LEVER_KEYS if getattr(scenario.policies, k) is not None]


KindName = Literal["origin", "north_park", "jiangsu_city", "outside_city"]
