"""Typed, frozen scenario schema.

A scenario is parsed once, validated here before anything is built, and then
passed around as immutable objects. Every default names its source in
`scenarios/reference.yaml` and `docs/model.md`; the short reason is repeated in
the field description so that `--help`-style tooling can show it.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

MAX_FIRMS = 2_000_000
MAX_REPLICATIONS = 10_000
MAX_YEARS = 200

NAME_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"  # scenario, experiment and output-folder names
Name = Annotated[str, Field(pattern=NAME_PATTERN)]
Yuan = Annotated[float, Field(ge=0, le=1e14)]
Fraction = Annotated[float, Field(ge=0, le=1)]
Year = Annotated[int, Field(ge=1900, le=2300)]
Coef = Annotated[float, Field(ge=-1000, le=1000)]
Growth = Annotated[float, Field(ge=-0.5, le=1.0)]


class Frozen(BaseModel):
    """Base: immutable, unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class Years(Frozen):
    start: Year = 2023
    end: Year = 2035

    @field_validator("end")
    @classmethod
    def _ordered(cls, end: int, info: ValidationInfo) -> int:
        start = info.data.get("start")
        if start is not None and end < start:
            raise ValueError(f"must be ≥ years.start ({start})")
        if start is not None and end - start + 1 > MAX_YEARS:
            raise ValueError(f"at most {MAX_YEARS} years may be simulated (years.start is {start})")
        return end


class Firms(Frozen):
    count: Annotated[int, Field(ge=1, le=MAX_FIRMS)] = 30_000
    represented: Annotated[float, Field(gt=0, le=1e9)] = 30_000
    age_mean_years: Annotated[float, Field(gt=0, le=200)] = 12.0
    size_sigma: Annotated[float, Field(ge=0, le=3)] = 1.0
    productivity_sigma: Annotated[float, Field(ge=0, le=3)] = 0.3


class CostGrowth(Frozen):
    wage_per_year: Growth = 0.0
    land_per_year: Growth = 0.0
    power_per_year: Growth = 0.0


class Outside(Frozen):
    """Other provinces' competition: not a Jiangsu lever."""

    subsidy_yuan_per_job: Yuan = 20_000.0
    subsidy_growth_per_year: Growth = 0.0
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


class World(Frozen):
    data: DataFiles = DataFiles()
    destination_kinds: tuple[str, ...] = ("north_park", "outside_city")
    south: CostGrowth = CostGrowth(wage_per_year=0.06, land_per_year=0.04)
    north: CostGrowth = CostGrowth(wage_per_year=0.05, land_per_year=0.02)
    outside: Outside = Outside()
    congestion: Congestion = Congestion()
    settlement: Settlement = Settlement()


class Push(Frozen):
    """Coefficients of the yearly move hazard η = intercept + Σ push.k z_k."""

    intercept: Coef = -4.3
    cost_pressure: Coef = 2.0
    size: Coef = -0.2
    age: Coef = -0.3
    agglomeration: Coef = -0.1
    guidance: Coef = 1.0
    relocation_aid: Coef = 0.3


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


class Behaviour(Frozen):
    push: Push = Push()
    choice: Choice = Choice()
    batches_per_year: Annotated[int, Field(ge=1, le=1000)] = 10


class Timed(Frozen):
    """A lever's active window; None means the scenario's first or last year."""

    start_year: Year | None = None
    end_year: Year | None = None

    @field_validator("end_year")
    @classmethod
    def _window(cls, end: int | None, info: ValidationInfo) -> int | None:
        start = info.data.get("start_year")
        if start is not None and end is not None and end < start:
            raise ValueError(f"must be ≥ start_year ({start})")
        return end

    def active(self, year: int) -> bool:
        return (self.start_year is None or year >= self.start_year) and (self.end_year is None or year <= self.end_year)


Targets = tuple[str, ...] | None  # place or industry ids; None = the lever's default set


class InfrastructureLever(Timed):
    places: Targets = None
    annual_budget_yuan: Yuan = 0.0
    max_gain: Annotated[float, Field(ge=0, le=1)] = 0.2
    saturation_yuan: Annotated[float, Field(gt=0, le=1e14)] = 2e9
    lag_years: Annotated[int, Field(ge=0, le=20)] = 2


class BusinessEnvironmentLever(Timed):
    places: Targets = None
    annual_budget_yuan: Yuan = 0.0
    gain_per_year: Annotated[float, Field(ge=0, le=1)] = 0.02
    max_gain: Annotated[float, Field(ge=0, le=1)] = 0.2


class PerJobAid(Timed):
    origins: Targets = None
    destinations: Targets = None
    industries: Targets = None
    yuan_per_job: Yuan = 0.0
    annual_budget_yuan: Yuan = 0.0


class RelocationAidLever(PerJobAid):
    pass


class LabourResettlementLever(PerJobAid):
    worker_retention: Fraction = 0.5


class IndustryGuidanceLever(Timed):
    encouraged: tuple[str, ...] = ()
    restricted: tuple[str, ...] = ()
    origins: Targets = None
    annual_cost_yuan: Yuan = 0.0


class TalentLever(Timed):
    places: Targets = None
    annual_budget_yuan: Yuan = 0.0
    yuan_per_talent: Annotated[float, Field(gt=0, le=1e9)] = 150_000.0
    retention_per_year: Fraction = 0.85


class PairingLever(Timed):
    parks: Targets = None
    annual_budget_yuan: Yuan = 0.0
    strength_gain: Annotated[float, Field(ge=0, le=10)] = 0.5
    environment_gain: Annotated[float, Field(ge=0, le=1)] = 0.05


class ClusterParksLever(Timed):
    parks: Targets = None
    industries: tuple[str, ...] = ()
    supplier_support: Fraction = 0.5
    annual_budget_yuan: Yuan = 0.0


class Policies(Frozen):
    infrastructure: InfrastructureLever | None = None
    business_environment: BusinessEnvironmentLever | None = None
    relocation_aid: RelocationAidLever | None = None
    labour_resettlement: LabourResettlementLever | None = None
    industry_guidance: IndustryGuidanceLever | None = None
    talent: TalentLever | None = None
    pairing: PairingLever | None = None
    cluster_parks: ClusterParksLever | None = None


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
    policies: Policies = Policies()


LEVER_KEYS: tuple[str, ...] = tuple(Policies.model_fields)
KindName = Literal["origin", "north_park", "outside_city"]
