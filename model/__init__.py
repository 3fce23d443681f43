"""relocsim's model: firms in southern Jiangsu choosing where to relocate.

The one entry point is `simulate(scenario, seed) -> Results`; `load_scenario`
reads and validates a YAML file into a frozen `Scenario`.
"""

from model.config import Scenario
from model.errors import InputError
from model.metrics import Results
from model.model import RelocationModel, simulate
from model.scenario import load_scenario

__all__ = ["InputError", "RelocationModel", "Results", "Scenario", "load_scenario", "simulate"]
