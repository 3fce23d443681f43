"""relocsim's model: firms in southern Jiangsu choosing where to relocate.

The one entry point is `simulate(scenario, seed) -> Results`; `load_scenario`
reads and validates a YAML file into a frozen `Scenario`.

The names are imported on first use (PEP 562), so that reading and checking a
scenario (`model.scenario`, `model.config`) never imports Mesa and its
dependencies: the command line answers `--help` and `validate` quickly.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from model.config import Scenario
    from model.errors import InputError
    from model.metrics import Results
    from model.model import RelocationModel, simulate
    from model.scenario import load_scenario

_WHERE = {
    "InputError": "model.errors",
    "RelocationModel": "model.model",
    "Results": "model.metrics",
    "Scenario": "model.config",
    "load_scenario": "model.scenario",
    "simulate": "model.model",
}

__all__ = ["InputError", "RelocationModel", "Results", "Scenario", "load_scenario", "simulate"]


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'model' has no attribute {name!r}")
