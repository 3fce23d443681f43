"""The experiment commands: name -> the class that plans and analyses it.

Registering a new experiment type is one line here. Classes are named by
module path and imported only when the command line is built or the command
runs; each module imports nothing heavy at import time (no Mesa, no
matplotlib), so `--help` stays quick.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from experiments.protocol import Experiment

EXPERIMENTS: dict[str, str] = {
    "run": "experiments.run:Run",
    "compare": "experiments.compare:Compare",
    "sweep": "experiments.sweep:Sweep",
    "sensitivity": "experiments.sensitivity:Sensitivity",
    "attribute": "experiments.attribution:Attribute",
}


HELP: dict[str, str] = {
    "run": "run a scenario and write its result folder",
    "compare": "compare scenarios with a baseline on common random numbers (paired 95% intervals)",
    "sweep": "sweep factors over a grid or a Latin hypercube",
    "sensitivity": "Morris screening or Sobol' indices of factors (SALib)",
    "attribute": "split a package's effect among its levers (exact Shapley values)",
}


def experiment_class(command: str) -> type[Experiment]:
    module, _, name = EXPERIMENTS[command].partition(":")
    cls = getattr(importlib.import_module(module), name)
    from experiments.protocol import Experiment

    if not (isinstance(cls, type) and issubclass(cls, Experiment)) or cls.command != command:
        raise TypeError(f"{EXPERIMENTS[command]} is not the Experiment of {command!r}")
    return cls
