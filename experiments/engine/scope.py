"""scope.json of a result folder: the windows, the firms simulated and what they stand for (report/scope.py).

Written by the pipeline for every command, from the scenario the command
names (Experiment.scope_scenario: the validation report's and calibrate's
target, whose fact runs stop after the hindcast) or else its first run's
(every run of such a command simulates the same firms over the same years), so
that a report drawn later (`plot DIR`) needs no model to say it.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from experiments.engine.tables import write_json
from model.config import Scenario
from model.world import WorldData, world_for
from report.scope import SCOPE_FILE

if TYPE_CHECKING:  # `validate` uses scope_doc without the engine's store
    from experiments.engine.store import Task


def scope_doc(scenario: Scenario, data: WorldData | None = None) -> dict[str, Any]:
    """Windows, simulated and represented firms, and the represented population's expected jobs at the start.

    The jobs are `firms.represented` × the firms' expected size, Σ share_of_firms × mean_jobs_per_firm of the
    industry table (model.firms.draw_firms draws each firm's jobs around its industry's mean with a lognormal of
    mean 1), so they are the same for every seed.
    """
    data = data if data is not None else world_for(scenario)
    share = data.industry_num["share_of_firms"]
    jobs_per_firm = float((share * data.industry_num["mean_jobs_per_firm"]).sum() / share.sum())
    years = scenario.years
    return {
        "report": list(years.report),
        "hindcast": list(years.hindcast) if years.hindcast else None,
        "firms": scenario.firms.count,
        "represented_firms": scenario.firms.represented,
        "represented_jobs": round(scenario.firms.represented * jobs_per_firm),
        "origins": len(data.of_kind("origin")),
    }


def write_scope(folder: Path, scenario: Scenario | None, tasks: Sequence[Task]) -> None:
    """scope.json of `scenario`, else of the command's first run's; none for a command without runs."""
    scenario = scenario or (tasks[0].scenario if tasks else None)
    if scenario is not None:
        write_json(folder / SCOPE_FILE, scope_doc(scenario))
