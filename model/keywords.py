"""Building a RelocationModel from keyword parameters, and its DataCollector reporters.

Tools that construct Mesa models from keyword parameters (`mesa.batch_run`)
pass scenario overrides as keywords, dotted key paths spelled with `__`
(`firms__count=2000`), and a seed in any of Mesa's forms. The DataCollector's
reporters are built from the metric catalogue (model.outcomes): one per yearly
metric of the timeseries and one per horizon metric so far (`<name>_to_date`),
each a partial of a module-level function, so that a model pickles.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from model.config import Scenario
from model.errors import InputError, short
from model.metrics import TIMESERIES_COLUMNS, horizon_metrics, in_window
from model.outcomes import HORIZON, metric
from model.scenario import load_scenario, variant
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
    if scenario is not None and not overrides:
        return scenario
    return variant(scenario if scenario is not None else {"name": DEFAULT_NAME}, overrides, PARAMS_SOURCE)


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


# --- DataCollector reporters: built from the metric catalogue, picklable -------


def report_year(model: RelocationModel) -> int:
    """The simulated year of the row."""
    return model.year


def report_seed(model: RelocationModel) -> int:
    """The seed actually used (drawn when none was given), so a row can be rerun."""
    return model.seed


def _reported(model: RelocationModel) -> tuple[dict[str, float], dict[str, float]]:
    """The last record's row and the report window's metrics so far, computed once per record.

    Every reporter of a DataCollector row reads one of these two dicts; building
    them once for the row, not once per reporter, keeps `collect` from
    recomputing the horizon over every record for each of its columns.
    """
    first, _last = model.config.years.report
    if not model.records:  # nothing recorded yet: no row to read, an empty horizon
        return {}, horizon_metrics([])
    record = model.records[-1]
    cached = model.__dict__.get("_reported_cache")
    if cached is None or cached[0] is not record or cached[1] != model.year:
        cached = (record, model.year, record.row(), horizon_metrics(in_window(model.records, (first, model.year))))
        model.__dict__["_reported_cache"] = cached
    return cached[2], cached[3]


def yearly_value(name: str, model: RelocationModel) -> float:
    """The year's value of a timeseries metric (the model's last YearRecord)."""
    return float(_reported(model)[0][name])


def to_date_value(name: str, model: RelocationModel) -> float:
    """The metric over the report window so far (years.report_start up to this year): at the
    last year, the run's summary.json value; NaN-or-0 figures before the window opens."""
    return float(_reported(model)[1][name])


class MetricReporter(partial):  # type: ignore[type-arg]
    """A reporter of one catalogue metric: `yearly_value` or `to_date_value` bound to the metric's name.

    A `functools.partial` of a module-level function, because Mesa's
    DataCollector calls a partial (or a function) with the model, and a partial
    of a module-level function pickles (a lambda would not).
    """

    @property
    def metric(self) -> str:
        name: str = self.args[0]
        return name


TO_DATE = "_to_date"


def _known(name: str) -> bool:
    try:
        metric(name)
    except KeyError:
        return False
    return True


def build_reporters() -> dict[str, Callable[[RelocationModel], float]]:
    """`year`, `seed`, every yearly metric of the timeseries the catalogue knows, and every horizon
    metric so far (`<name>_to_date`)."""
    reporters: dict[str, Callable[[RelocationModel], float]] = {"year": report_year, "seed": report_seed}
    for name in TIMESERIES_COLUMNS:
        if name not in reporters and _known(name):
            reporters[name] = MetricReporter(yearly_value, name)
    for name in HORIZON:
        reporters[name + TO_DATE] = MetricReporter(to_date_value, name)
    return reporters


REPORTERS: dict[str, Callable[[RelocationModel], float]] = build_reporters()
