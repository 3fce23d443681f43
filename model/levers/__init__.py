"""The lever registry: YAML key under `policies:` → lever class.

Adding a lever: a config class in `model.config.Policies` and a module here
with a `Lever` subclass, listed in `REGISTRY`. The model applies the levers in
this order every year.
"""

from __future__ import annotations

from model.config import Scenario
from model.levers.aid import LabourResettlement, RelocationAid
from model.levers.base import Lever
from model.levers.business_environment import BusinessEnvironment
from model.levers.cluster_parks import ClusterParks
from model.levers.guidance import IndustryGuidance
from model.levers.infrastructure import Infrastructure
from model.levers.pairing import Pairing
from model.levers.talent import Talent
from model.world import WorldData

REGISTRY: dict[str, type[Lever]] = {
    cls.key: cls
    for cls in (
        Infrastructure,
        BusinessEnvironment,
        RelocationAid,
        LabourResettlement,
        IndustryGuidance,
        Talent,
        Pairing,
        ClusterParks,
    )
}


def build_levers(scenario: Scenario, data: WorldData) -> list[Lever]:
    """One lever object per configured policy, in registry order."""
    levers = []
    for key, cls in REGISTRY.items():
        config = getattr(scenario.policies, key)
        if config is not None:
            levers.append(cls(config, data, scenario))
    return levers


__all__ = ["REGISTRY", "Lever", "build_levers"]
