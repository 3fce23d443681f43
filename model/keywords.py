"""Building a RelocationModel from keyword parameters, and its DataCollector reporters.

Tools that construct Mesa models from keyword parameters (`mesa.batch_run`)
pass scenario overrides as keywords, dotted key paths spelled with `__`
(`firms__count=2000`), and a seed in any of Mesa's forms. The reporters are
named module-level functions so that a model pickles.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from model.config import Scenario
from model.errors import InputError, short
from model.metrics import YearRecord, horizon_metrics
from model.scenario import load_scenario, set_path, validate_mapping
from model.seeds import draw_seed, seed_of

if TYPE_CHECKING:
    from model.model import RelocationModel

DEFAULT_NAME = "defaults"  # name of the scenario built from the defaults when none is given
PARAMS_SOURCE = "RelocationModel keyword arguments"  # names them in error messages

SeedLike = int | np.integer | Sequence[int] | np.random.SeedSequence


def scenario_with(scenario: Scenario | None, scenario_file: str | Path | None, params: dict[str, Any]) -> Scenario:
    """The scenario a model is built from: given, read from a file, or the defaults,
    with `__`-spelled dotted overrides applied and validated before anything is built."""
    overrides = {key.replace("__", "."): _plain(value) for key, value in params.items()}
    if scenario is not None and scenario_file is not None:
        raise InputError(PARAMS_SOURCE, "scenario_file", "given together with a scenario", "one of the two")
    if scenario_file is not None:
        return load_scenario(scenario_file, overrides)
    if scenario is None:
        data: dict[str, Any] = {"name": DEFAULT_NAME}
    elif overrides:
        data = scenario.model_dump(mode="json")
    else:
        return scenario
    for dotted, value in overrides.items():
        set_path(data, dotted, value)
    return validate_mapping(data, PARAMS_SOURCE)


def _plain(value: Any) -> Any:
    """numpy scalars (from np.arange or linspace value lists) as the Python values the schema expects."""
    return value.item() if isinstance(value, np.generic) else value


def resolve_seed(seed: SeedLike | None, rng: SeedLike | None = None) -> int:
    """The integer seed of a run: given, derived from a SeedSequence, or drawn from
    OS entropy when none is given (it is kept in `model.seed`, so it can be recorded)."""
    if seed is not None and rng is not None:
        raise InputError(PARAMS_SOURCE, "rng", "given together with seed", "one of seed and rng")
    value = seed if seed is not None else rng
    if value is None:
        return draw_seed()
    allowed = "an integer ≥ 0, a numpy SeedSequence, a sequence of integers ≥ 0, or None"
    if isinstance(value, int | np.integer) and not isinstance(value, bool):
        if value < 0:
            raise InputError(PARAMS_SOURCE, "seed", f"{short(value)} is out of range", allowed)
        return int(value)
    if isinstance(value, np.random.SeedSequence):
        sequence = value
    elif isinstance(value, Sequence) and value and all(isinstance(v, int | np.integer) and v >= 0 for v in value):
        sequence = np.random.SeedSequence([int(v) for v in value])
    else:
        raise InputError(PARAMS_SOURCE, "seed", f"{short(value)} is not a seed", allowed)
    return seed_of(sequence)


# --- DataCollector reporters: named functions so that a model pickles ------------


def _last(model: RelocationModel) -> YearRecord:
    return model.records[-1]


def report_year(model: RelocationModel) -> int:
    """The simulated year of the row."""
    return model.year


def report_seed(model: RelocationModel) -> int:
    """The seed actually used (drawn when none was given), so a row can be rerun."""
    return model.seed


def report_firms_active(model: RelocationModel) -> float:
    return float(_last(model).firms_active)


def report_relocated_jobs(model: RelocationModel) -> float:
    return float(_last(model).relocated_jobs)


def report_to_north_jobs(model: RelocationModel) -> float:
    return float(_last(model).to_north_jobs)


def report_to_outside_jobs(model: RelocationModel) -> float:
    return float(_last(model).to_outside_jobs)


def report_north_share_jobs(model: RelocationModel) -> float:
    return float(_last(model).row()["north_share_jobs"])


def report_fiscal_cost_yuan(model: RelocationModel) -> float:
    return float(_last(model).fiscal_cost_yuan)


def report_relocated_jobs_to_date(model: RelocationModel) -> float:
    """Whole horizon so far: at the last year, the run's summary.json value."""
    return float(horizon_metrics(model.records)["relocated_jobs"])


def report_north_share_jobs_to_date(model: RelocationModel) -> float:
    return float(horizon_metrics(model.records)["north_share_jobs"])


def report_fiscal_cost_yuan_to_date(model: RelocationModel) -> float:
    return float(horizon_metrics(model.records)["fiscal_cost_yuan"])


def report_cost_per_north_job_yuan_to_date(model: RelocationModel) -> float:
    return float(horizon_metrics(model.records)["cost_per_north_job_yuan"])


# Yearly values (the year's timeseries row) and horizon-so-far values ("_to_date").
REPORTERS: dict[str, Callable[[RelocationModel], float]] = {
    "year": report_year,
    "seed": report_seed,
    "firms_active": report_firms_active,
    "relocated_jobs": report_relocated_jobs,
    "to_north_jobs": report_to_north_jobs,
    "to_outside_jobs": report_to_outside_jobs,
    "north_share_jobs": report_north_share_jobs,
    "fiscal_cost_yuan": report_fiscal_cost_yuan,
    "relocated_jobs_to_date": report_relocated_jobs_to_date,
    "north_share_jobs_to_date": report_north_share_jobs_to_date,
    "fiscal_cost_yuan_to_date": report_fiscal_cost_yuan_to_date,
    "cost_per_north_job_yuan_to_date": report_cost_per_north_job_yuan_to_date,
}
