"""EMA Workbench adapter: relocsim as a black box of uncertainties, levers and outcomes.

EMA Workbench (exploratory modelling and analysis) samples uncertainties and
levers, runs a model function once per experiment and collects scalar
outcomes, then offers scenario discovery (PRIM, CART) and many-objective
search. This module declares relocsim in EMA's terms:

- uncertainties: scenario settings Jiangsu does not control (other provinces'
  subsidies, southern wage growth) and behavioural coefficients we are unsure of;
- levers: number settings of the registered policy levers (model.levers.REGISTRY),
  `policies.<lever>.<field>`; by default a few budgets and per-job payments
  (LEVERS), any other lever setting on request;
- outcomes: the horizon metrics of `summary.json` from the metric catalogue
  (model.outcomes), maximised or minimised as the metric's `better` says
  (north share up, fiscal cost down), the others kept as information.

Every parameter is a dotted scenario key path spelled with `__` for `.`
(`world__outside__subsidy_yuan_per_job`), because EMA names must be Python
identifiers; `run_relocsim` turns them back into scenario overrides, validated
like a scenario file.

Seeds: EMA passes no seed. The model is an EMA `ReplicatorModel` whose
replication r gets the seed `replication_seeds(master, R)[r]`, the seed
replication r of `python run.py run` gets with that master seed; every
experiment uses the same R seeds (common random numbers), so outcomes differ
between experiments because their inputs differ, not their noise, and
rerunning an experiment gives the same outcomes. Each outcome is the mean over
the R replications. The master seed is the scenario file's `seed` unless given
(or drawn from OS entropy if the file has none); it is stored on the model as
`model.master_seed` and in `model.replications`.

ema_workbench is an optional extra (`pip install -e ".[ema]"`); it is imported
only when a model is built.
"""

from __future__ import annotations

import logging
import math
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from model.errors import InputError, short
from model.extras import missing_text
from model.levers import REGISTRY
from model.outcomes import HORIZON, Better, metric
from model.scenario import load_raw, variant
from model.seeds import draw_seed, replication_seeds

if TYPE_CHECKING:
    from ema_workbench import ReplicatorModel

logger = logging.getLogger(__name__)

BASELINE = Path(__file__).resolve().parents[2] / "scenarios" / "baseline.yaml"

Bounds = tuple[float, float]
Kind = Literal["maximize", "minimize", "info"]

# Default ranges: shipped values in the middle, or 0 to about twice the shipped
# lever magnitudes (scenarios/*.yaml); see the README's EMA section.
UNCERTAINTIES: dict[str, Bounds] = {
    "world.outside.subsidy_yuan_per_job": (0.0, 60_000.0),  # default 20,000; outside_competition.yaml: 50,000
    "world.south.wage_per_year": (0.03, 0.09),  # default 0.06
    "behaviour.push.intercept": (-4.8, -3.8),  # default -4.3 (calibrated)
    "behaviour.choice.talent": (0.5, 1.5),  # default 1.0 (assumption)
}
POLICIES = "policies"
# Default lever ranges: 0 to about twice the shipped magnitudes (scenarios/*.yaml);
# each must be a number setting of a registered lever (checked at import).
LEVERS: dict[str, Bounds] = {
    "policies.relocation_aid.yuan_per_job": (0.0, 60_000.0),  # relocation_aid.yaml: 30,000
    "policies.relocation_aid.annual_budget_yuan": (0.0, 3e9),  # relocation_aid.yaml: 1.5e9
    "policies.talent.annual_budget_yuan": (0.0, 4e9),  # talent.yaml: 2e9
    "policies.infrastructure.annual_budget_yuan": (0.0, 6e9),  # infrastructure.yaml: 3e9
}
DIRECTION: dict[Better, Kind] = {"higher": "maximize", "lower": "minimize", None: "info"}


def outcome_kinds() -> dict[str, Kind]:
    """Every horizon metric of the catalogue, with the direction its `better` gives."""
    return {name: DIRECTION[metric(name).better] for name in HORIZON}


OUTCOMES: dict[str, Kind] = outcome_kinds()


def lever_setting(key: str) -> bool:
    """Whether a key path is a number setting of a registered lever: `policies.<lever>.<field>`."""
    parts = key.split(".")
    if len(parts) != 3 or parts[0] != POLICIES or parts[1] not in REGISTRY:
        return False
    field = REGISTRY[parts[1]].config_class.model_fields.get(parts[2])
    return field is not None and _numeric(field.annotation)


def _numeric(annotation: Any) -> bool:
    """An int or float field (also optional, or Annotated); not bool, not ids."""
    if annotation in (int, float):
        return True
    if typing.get_origin(annotation) is typing.Annotated:
        return _numeric(typing.get_args(annotation)[0])
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        return any(_numeric(arg) for arg in typing.get_args(annotation))
    return False


def check_levers(keys: list[str]) -> None:
    """Refuse a lever that is not a number setting of a registered lever (InputError naming it)."""
    for key in keys:
        if not lever_setting(key):
            raise InputError(
                None,
                key,
                "is not a lever setting",
                f"{POLICIES}.<lever>.<number field>, <lever> one of {', '.join(REGISTRY)}",
            )


def _check_default_levers() -> None:
    bad = [key for key in LEVERS if not lever_setting(key)]
    if bad:
        raise TypeError(f"experiments.adapters.ema.LEVERS names settings no registered lever has: {bad}")


_check_default_levers()


def param_name(dotted: str) -> str:
    """EMA name of a scenario key path: `policies.talent.x` -> `policies__talent__x`."""
    return dotted.replace(".", "__")


def run_relocsim(scenario_path: str, seed: int, **params: Any) -> dict[str, float]:
    """One model run for EMA: the scenario with `__`-spelled overrides, at one seed.

    Module-level so that it pickles for EMA's MultiprocessingEvaluator.
    Returns the horizon metrics named in OUTCOMES (NaN where undefined, e.g. the
    cost per north job when no job moved north).
    """
    from model.model import scenario_with, simulate  # Mesa: imported when a run happens
    from model.world import world_for

    scenario = scenario_with(None, scenario_path, params)
    results = simulate(scenario, seed, world_for(scenario, scenario_path))
    return {name: float(results.metrics[name]) for name in OUTCOMES}


def relocsim_model(
    name: str = "relocsim",
    scenario_path: str | Path = BASELINE,
    firms: int | None = None,
    seed: int | None = None,
    replications: int = 1,
    uncertainties: Mapping[str, Bounds] | None = None,
    levers: Mapping[str, Bounds] | None = None,
    fixed: Mapping[str, Any] | None = None,
) -> ReplicatorModel:
    """relocsim as an EMA Workbench model, checked before any experiment runs.

    Args:
        name: the EMA model name (a Python identifier).
        scenario_path: the scenario every experiment starts from.
        firms: simulated firm count (`firms.count`); None keeps the scenario's.
        seed: master seed of the replication seeds; None = the scenario's `seed`
            (drawn from OS entropy if it has none).
        replications: runs per experiment; outcomes are their means.
        uncertainties: {dotted key path: (low, high)}; None = UNCERTAINTIES.
            Integer bounds make an IntegerParameter, others a RealParameter.
        levers: {dotted key path: (low, high)}, each a number setting of a
            registered lever (`policies.<lever>.<field>`); None = LEVERS.
        fixed: other overrides held constant, {dotted key path: value}, e.g.
            {"years.end": 2030}; they become EMA Constants.
    """
    ema = _import_ema()
    path = Path(scenario_path)
    uncertainties = dict(UNCERTAINTIES if uncertainties is None else uncertainties)
    levers = dict(LEVERS if levers is None else levers)
    constants = dict(fixed or {})
    if firms is not None:
        constants["firms.count"] = firms
    if not isinstance(replications, int) or isinstance(replications, bool) or replications < 1:
        raise InputError(None, "replications", f"{short(replications)} is out of range", "an integer ≥ 1")
    check_levers(list(levers))
    base = check_parameters(path, uncertainties, levers, constants)
    master = base.get("seed") if seed is None else seed
    if master is None:
        master = draw_seed()
        logger.info("%s has no seed: drew master seed %d", path, master)
    if not isinstance(master, int) or isinstance(master, bool) or master < 0:
        raise InputError(None, "seed", f"{short(master)} is not a seed", "an integer ≥ 0")

    model = ema.ReplicatorModel(name, function=run_relocsim)
    model.uncertainties = [_parameter(ema, key, bounds) for key, bounds in uncertainties.items()]
    model.levers = [_parameter(ema, key, bounds) for key, bounds in levers.items()]
    model.constants = [
        ema.Constant("scenario_path", str(path)),
        *(ema.Constant(param_name(key), value) for key, value in constants.items()),
    ]
    kinds = {
        "maximize": ema.ScalarOutcome.MAXIMIZE,
        "minimize": ema.ScalarOutcome.MINIMIZE,
        "info": ema.ScalarOutcome.INFO,
    }
    # np.mean turns the list of replication values into the experiment's value (and pickles).
    model.outcomes = [ema.ScalarOutcome(key, kind=kinds[kind], function=np.mean) for key, kind in OUTCOMES.items()]
    model.replications = [{"seed": s} for s in replication_seeds(master, replications)]
    model.master_seed = master
    return model


def check_parameters(
    path: Path, uncertainties: Mapping[str, Bounds], levers: Mapping[str, Bounds], constants: Mapping[str, Any]
) -> dict[str, Any]:
    """Validate every range against the schema at its low and its high end, so that a
    bad key or bound is one InputError now, not a failure in experiment 347.
    Returns the scenario mapping (after `extends`)."""
    raw = load_raw(path)
    variant(raw, {}, path)  # the file's own mistakes are reported against the file
    ranges = {**uncertainties, **levers}
    for key in [*ranges, *constants]:
        if not all(part.isidentifier() and "__" not in part for part in key.split(".")):
            raise InputError(None, key, "is not a dotted key path", "scenario keys joined by '.', e.g. firms.count")
    overlap = set(uncertainties) & set(levers) | set(ranges) & set(constants)
    if overlap:
        raise InputError(None, sorted(overlap)[0], "is given twice", "each key once: uncertainty, lever or fixed")
    for key, bounds in ranges.items():
        if not _is_range(bounds):
            raise InputError(None, key, f"{short(bounds)} is not a range", "(low, high) numbers with low < high")
    for end in (0, 1):
        values = {**constants, **{key: bounds[end] for key, bounds in ranges.items()}}
        variant(raw, values, f"{path} with the EMA {'low' if end == 0 else 'high'} ends and fixed values")
    return raw


def _is_range(bounds: Any) -> bool:
    if not isinstance(bounds, tuple | list) or len(bounds) != 2:
        return False
    low, high = bounds
    numbers = all(isinstance(b, int | float) and not isinstance(b, bool) and math.isfinite(b) for b in bounds)
    return numbers and low < high


def _parameter(ema: Any, key: str, bounds: Bounds) -> Any:
    """IntegerParameter for integer bounds (years, counts), RealParameter otherwise."""
    low, high = bounds
    if isinstance(low, int) and isinstance(high, int):
        return ema.IntegerParameter(param_name(key), low, high)
    return ema.RealParameter(param_name(key), float(low), float(high))


def _import_ema() -> Any:
    try:
        import ema_workbench  # optional extra, heavy: imported only when a model is built
    except ImportError as exc:
        raise ImportError(missing_text("ema_workbench", "experiments.adapters.ema")) from exc
    return ema_workbench
