"""Policy levers: one module each (config class + rule), listed in `model.levers.registry`.

`REGISTRY` maps the YAML key under `policies:` to the lever class, in the order
the model applies the levers every year. `build_levers` instantiates the
configured ones for a run.

This package imports neither `model.config` nor `model.world` at run time:
`model.config` builds the `policies:` schema from the registry.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from model.levers.base import Lever
from model.levers.registry import LEVERS, REGISTRY, registry_of

if TYPE_CHECKING:
    from model.config import Scenario
    from model.world import WorldData


def build_levers(scenario: Scenario, data: WorldData) -> list[Lever]:
    """One lever object per configured policy, in registry order.

    The lever classes are those the scenario's `policies` schema was built
    from (`model.config.policies_model`): the shipped registry, or an extended
    one for a scenario class made by `model.config.scenario_model`.
    """
    classes = getattr(type(scenario.policies), "lever_classes", LEVERS)
    levers = []
    for cls in classes:
        config = getattr(scenario.policies, cls.key)
        if config is not None:
            levers.append(cls(config, data, scenario))
    return levers


__all__ = ["LEVERS", "REGISTRY", "Lever", "build_levers", "registry_of"]
