"""The levers, in the order the model applies them every year.

Adding a lever: write one module in `model/levers/` (its config class and its
`Lever` subclass with `key`, `label`, `acts_on`, `summary`, `config_class`),
add the class to `LEVERS` below, document its keys in
`scenarios/reference.yaml` and ship a scenario file that uses it. The
`policies:` schema (`model.config.Policies`), the id checks, the fiscal
columns, the tests and the benchmarks all follow from this list.
"""

from __future__ import annotations

from collections.abc import Iterable

from model.levers.aid import LabourResettlement, RelocationAid
from model.levers.base import Lever, check_lever_class
from model.levers.business_environment import BusinessEnvironment
from model.levers.cluster_parks import ClusterParks
from model.levers.guidance import IndustryGuidance
from model.levers.infrastructure import Infrastructure
from model.levers.pairing import Pairing
from model.levers.talent import Talent

LEVERS: tuple[type[Lever], ...] = (
    Infrastructure,
    BusinessEnvironment,
    RelocationAid,
    LabourResettlement,
    IndustryGuidance,
    Talent,
    Pairing,
    ClusterParks,
)


def registry_of(levers: Iterable[type[Lever]]) -> dict[str, type[Lever]]:
    """key -> lever class, in the given order, after checking each class's metadata."""
    out: dict[str, type[Lever]] = {}
    for cls in levers:
        check_lever_class(cls)
        if cls.key in out:
            raise TypeError(f"lever key {cls.key!r} is used by {out[cls.key].__name__} and {cls.__name__}")
        out[cls.key] = cls
    return out


REGISTRY: dict[str, type[Lever]] = registry_of(LEVERS)
