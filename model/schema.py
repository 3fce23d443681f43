"""Schema building blocks shared by `model.config` and the lever modules.

A lever module defines its own config class from these pieces, so it must be
importable without `model.config` (which builds `Policies` from the lever
registry): this module imports nothing from the model.

Two kinds of metadata ride on the fields, for tools that show inputs without a
second list of names (the app, reports, `model.keys`):

- `quantity(default, unit=..., label=...)`: a field's unit and short label in
  `json_schema_extra`; bounds stay on the annotated type (`Yuan`, `Fraction`).
- `IdsOf(...)` in the `Annotated` metadata of a list of ids: which table the
  ids name and, for places, which kinds are allowed. `model.world.check_references`
  reads the marker from every field of every lever, whatever the field is
  called, and levers resolve `None` (the default set) from the same marker.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from model.limits import NAME_PATTERN

Name = Annotated[str, Field(pattern=NAME_PATTERN)]
Yuan = Annotated[float, Field(ge=0, le=1e14)]
Fraction = Annotated[float, Field(ge=0, le=1)]
Year = Annotated[int, Field(ge=1900, le=2300)]
Coef = Annotated[float, Field(ge=-1000, le=1000)]
Growth = Annotated[float, Field(ge=-0.5, le=1.0)]


class Frozen(BaseModel):
    """Base: immutable, unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


def quantity(default: Any, *, unit: str, label: str, description: str = "") -> Any:
    """A field default with its unit and short label, for apps and reports.

    Typed `Any` like `pydantic.Field`, so that `x: Yuan = quantity(0.0, ...)` type-checks.
    """
    return Field(default, description=description or label, json_schema_extra={"unit": unit, "label": label})


def unit_of(model: type[BaseModel], name: str) -> str | None:
    """The unit a field declares through `quantity`, or None."""
    extra = model.model_fields[name].json_schema_extra
    return str(extra["unit"]) if isinstance(extra, dict) and "unit" in extra else None


def label_of(model: type[BaseModel], name: str) -> str | None:
    """The short label a field declares through `quantity` or `ids`, or None."""
    extra = model.model_fields[name].json_schema_extra
    return str(extra["label"]) if isinstance(extra, dict) and "label" in extra else None


# --- typed targets ---------------------------------------------------------------

Table = Literal["places", "industries"]


@dataclass(frozen=True)
class IdsOf:
    """Marker: the field lists ids of `table`; for places, only of these `kinds`.

    `kinds` None allows a place of any kind. `default_kinds` is the set a lever
    takes when the field is None ("every place of these kinds"); it defaults to
    `kinds`, and is separate so that a target type can be widened (say to
    `jiangsu_city`) without changing what a scenario that names no targets means.
    """

    table: Table
    kinds: frozenset[str] | None = None
    default_kinds: frozenset[str] | None = None

    @property
    def default(self) -> frozenset[str] | None:
        """Place kinds of the default set (None: every place, or every industry)."""
        return self.default_kinds if self.default_kinds is not None else self.kinds

    def allows_kind(self, kind: str) -> bool:
        return self.kinds is None or kind in self.kinds

    def describe(self) -> str:
        """What the field may hold, for error messages: 'north_park ids'."""
        if self.table == "industries":
            return "industry ids"
        if self.kinds is None:
            return "place ids"
        return " or ".join(sorted(self.kinds)) + " ids"


def _places(*kinds: str) -> IdsOf:
    return IdsOf("places", frozenset(kinds))


NORTH_PARKS = _places("north_park")
ORIGINS = _places("origin")
ANY_PLACE = IdsOf("places")
INDUSTRIES = IdsOf("industries")

# None = the lever's default set (every place of the allowed kinds, every industry).
ParkIds = Annotated[tuple[str, ...] | None, NORTH_PARKS]
OriginIds = Annotated[tuple[str, ...] | None, ORIGINS]
PlaceIds = Annotated[tuple[str, ...] | None, ANY_PLACE]
IndustryIds = Annotated[tuple[str, ...] | None, INDUSTRIES]
# An explicit list of industries (empty by default: none), not "all when omitted".
IndustryList = Annotated[tuple[str, ...], INDUSTRIES]


def ids(default: Any, *, label: str, description: str = "") -> Any:
    """A target field's default with its label (ids carry no unit)."""
    return Field(default, description=description or label, json_schema_extra={"label": label})


def marker_of(model: type[BaseModel], name: str) -> IdsOf | None:
    """The `IdsOf` marker of a field, or None if the field lists no ids."""
    return next((m for m in model.model_fields[name].metadata if isinstance(m, IdsOf)), None)


def id_fields(config: BaseModel, prefix: str) -> Iterator[tuple[str, IdsOf, tuple[str, ...]]]:
    """(key path, marker, ids) for every id-list field of a config, nested models included."""
    cls = type(config)
    for name in cls.model_fields:
        value = getattr(config, name)
        marker = marker_of(cls, name)
        if marker is not None and value is not None:
            yield f"{prefix}.{name}", marker, tuple(value)
        elif isinstance(value, BaseModel):
            yield from id_fields(value, f"{prefix}.{name}")


# --- lever windows -----------------------------------------------------------------


class Timed(Frozen):
    """A lever's active window; None means the scenario's first or last year.

    The window must lie within `years`; that is checked against the scenario
    (`model.world.check_references`), since a lever does not know the years.
    """

    start_year: Year | None = quantity(None, unit="year", label="First active year")
    end_year: Year | None = quantity(None, unit="year", label="Last active year")

    @field_validator("end_year")
    @classmethod
    def _window(cls, end: int | None, info: ValidationInfo) -> int | None:
        start = info.data.get("start_year")
        if start is not None and end is not None and end < start:
            raise ValueError(f"must be ≥ start_year ({start})")
        return end

    def active(self, year: int) -> bool:
        return (self.start_year is None or year >= self.start_year) and (self.end_year is None or year <= self.end_year)
