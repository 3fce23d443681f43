"""Reading a `calibrate` result folder back from its tables, checked, with one-line errors.

The folder format is experiments.calibrate.tables's: parameters.csv
(priors and the posterior summary) and posterior.csv (the final population),
read by experiments.analysis.posterior.load_posterior as every --posterior
command reads them (one `Parameter`, one effective size),
populations.csv (every generation), trace.csv (epsilon, acceptance, ESS per
generation), fit.csv (every fact × model), gravity.csv (the gravity
yardstick's fit, experiments.facts.gravity), calibrated.yaml and
calibration.resolved.yaml (the settings the fit ran with). `read_calibration`
reads them all; the report (experiments.calibrate.report) and its figures
(experiments.calibrate.figures) use only what it returns. manifest.json is not
read here: the pipeline draws the report before it writes the manifest, and a
report must be the same whether drawn then or by `plot DIR`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from experiments.analysis.posterior import Parameter, effective_size, load_posterior
from experiments.calibrate.columns import (
    FIT_COLUMNS,
    FIT_FILE,
    POPULATION_FIXED,
    POPULATIONS_FILE,
    TRACE_COLUMNS,
    TRACE_FILE,
)
from experiments.facts.gravity import FittedGravity, read_gravity
from model.csvfile import without
from model.errors import InputError, short
from model.outcomes import Metric
from model.yamlfile import read_yaml
from report.read import Row, header, in_order, read_table

ROLES = ("fit", "held_out", "other")
MODELS = ("posterior", "calibrated", "defaults", "null", "gravity", "random")
# every fact has these; random only the list facts; gravity every fact of a folder written since it existed
NEEDED_MODELS = ("posterior", "calibrated", "defaults", "null")
FIT_NEEDED = without(FIT_COLUMNS, "p_value", "evidence")  # the two columns older folders lack
UNITS = ("share", "correlation", "ratio", "overlap", "count")
RESOLVED = "calibration.resolved.yaml"
CALIBRATED = "calibrated.yaml"
COMMAND = re.compile(r"`(python run\.py calibrate [^`]+)`")
FACT_SHARE = Metric("fact_share", "share", "share", "a fact's share", (0.0, 1.0))


def fact_text(unit: str, value: float) -> str:
    """A fact's value: shares in % (two decimals below 10%, where the move-rate band lives), else 3 digits."""
    if not math.isfinite(value):
        return "–"
    if unit == "share":
        return f"{value * 100:.2f}%" if abs(value) < 0.1 else FACT_SHARE.text(value)
    if unit == "count":  # cities in common, or a mean of such counts
        return f"{value:.2f}".rstrip("0").rstrip(".")
    if value == 0:
        return "0"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.3g}" if abs(value) >= 0.001 else f"{value:.3f}"


@dataclass(frozen=True)
class Population:
    """One generation's particles: values (n, k) in the order of the parameters, weights summing to 1."""

    generation: int
    values: np.ndarray
    weights: np.ndarray
    distances: np.ndarray

    def mean_sd(self) -> tuple[np.ndarray, np.ndarray]:
        mean = self.weights @ self.values
        var = self.weights @ (self.values - mean) ** 2
        return mean, np.sqrt(np.maximum(var, 0.0))

    @property
    def effective_size(self) -> float:
        return effective_size(self.weights)

    @property
    def distinct_sets(self) -> int:
        """How many distinct parameter sets carry positive weight."""
        return len({tuple(row) for row in self.values[self.weights > 0].tolist()})


@dataclass(frozen=True)
class Step:
    """One row of trace.csv."""

    generation: int
    epsilon: float
    particles: int
    simulations: int
    acceptance_rate: float
    effective_size: float


@dataclass(frozen=True)
class Result:
    """One fact × model of fit.csv."""

    value: float
    low: float
    high: float
    met: bool | None
    met_share: float
    detail: str
    p: float = math.nan  # list facts: the chance that random picks score at least `value`


@dataclass(frozen=True)
class FactFit:
    name: str
    label: str
    role: str
    unit: str
    observed: str
    rule: str
    source: str
    window: str
    results: Mapping[str, Result]  # model -> result

    def __getitem__(self, model: str) -> Result:
        return self.results[model]

    def get(self, model: str) -> Result | None:
        return self.results.get(model)

    def text(self, value: float) -> str:
        return fact_text(self.unit, value)


@dataclass(frozen=True)
class Settings:
    """What calibration.resolved.yaml says about the fit (after command-line overrides)."""

    name: str
    base: str
    seed: int | None
    replications: int
    firms: int | None
    population: int
    max_generations: int
    max_simulations: int
    min_epsilon: float
    epsilon_quantile: float
    predictive_draws: int
    predictive_replications: int
    weights: Mapping[str, float]
    seeds: str = "common"  # folders written before the `seeds` key were all on common seeds
    distance: str = "fixed"
    adaptive_population: bool = False


@dataclass(frozen=True)
class Calibration:
    folder: Path
    settings: Settings
    parameters: tuple[Parameter, ...]
    posterior: Population
    populations: tuple[Population, ...]
    trace: tuple[Step, ...]
    facts: tuple[FactFit, ...]
    command: str  # how it was run, from calibrated.yaml
    gravity: FittedGravity | None = None  # gravity.csv; None in a folder written before the yardstick existed

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(p.key for p in self.parameters)

    def role(self, role: str) -> list[FactFit]:
        return [f for f in self.facts if f.role == role]

    @property
    def final(self) -> Step:
        return self.trace[-1]

    @property
    def max_distance(self) -> float:
        """The largest distance a particle can have: Σ of the fitted facts' weights (each distance ≤ 1)."""
        return math.fsum(self.settings.weights.get(f.name, 1.0) for f in self.role("fit"))


def _population(rows: list[Row], keys: tuple[str, ...], generation: int) -> Population:
    values = np.array([[r.number(k, allow_nan=False) for k in keys] for r in rows], dtype=float).reshape(-1, len(keys))
    weights = np.array([r.number("weight", allow_nan=False) for r in rows], dtype=float)
    distances = np.array([r.number("distance") for r in rows], dtype=float)
    if np.any(weights < 0) or not weights.sum() > 0:
        raise InputError(rows[0].path, "column weight", "negative weights or all zero", "weights ≥ 0, sum > 0")
    return Population(generation, values, weights / weights.sum(), distances)


def _check_columns(folder: Path, name: str, keys: tuple[str, ...]) -> None:
    missing = [k for k in keys if k not in header(folder, name)]
    if missing:
        raise InputError(folder / name, "header", f"no column for parameter {short(missing[0])}", "parameters.csv")


def _populations(folder: Path, keys: tuple[str, ...]) -> tuple[Population, ...]:
    _check_columns(folder, POPULATIONS_FILE, keys)
    rows = read_table(folder, POPULATIONS_FILE, (*POPULATION_FIXED, *keys))
    by_gen: dict[int, list[Row]] = {}
    for row in rows:
        by_gen.setdefault(row.integer("generation"), []).append(row)
    return tuple(_population(by_gen[g], keys, g) for g in sorted(by_gen))


def _trace(folder: Path) -> tuple[Step, ...]:
    steps = []
    for row in read_table(folder, TRACE_FILE, TRACE_COLUMNS):
        steps.append(
            Step(
                row.integer("generation"),
                row.number("epsilon"),
                row.integer("particles"),
                row.integer("simulations"),
                row.number("acceptance_rate"),
                row.number("effective_size"),
            )
        )
    gens = [s.generation for s in steps]
    if gens != sorted(set(gens)):
        raise InputError(folder / TRACE_FILE, "column generation", "not increasing", "one row per generation")
    return tuple(steps)


def _choice(row: Row, column: str, allowed: tuple[str, ...]) -> str:
    value = row.text(column)
    if value not in allowed:
        raise InputError(row.path, f"row {row.line}, column {column}", short(value), ", ".join(allowed))
    return value


def _facts(folder: Path) -> tuple[FactFit, ...]:
    rows = read_table(folder, FIT_FILE, FIT_NEEDED)
    heads: dict[str, Row] = {}
    results: dict[str, dict[str, Result]] = {}
    for row in rows:
        name, model = row.name("fact"), _choice(row, "model", MODELS)
        _choice(row, "role", ROLES)
        _choice(row, "unit", UNITS)
        heads.setdefault(name, row)
        if model in results.setdefault(name, {}):
            raise InputError(row.path, f"row {row.line}", f"{name} × {model} repeated", "one row per fact and model")
        value, low, high = (row.number(c) for c in ("value", "ci_low", "ci_high"))
        share = row.number("met_share") if row.text("met_share") else math.nan
        p = row.number("p_value") if "p_value" in row.cells and row.text("p_value") else math.nan
        results[name][model] = Result(value, low, high, row.flag("met"), share, row.text("detail"), p)
    facts = []
    for name in in_order(r.name("fact") for r in rows):
        h = heads[name]
        missing = [m for m in NEEDED_MODELS if m not in results[name]]
        if missing:
            raise InputError(h.path, "model", f"no {missing[0]} row for fact {short(name)}", ", ".join(NEEDED_MODELS))
        cells = [h.text(c) for c in ("label", "role", "unit", "observed", "rule", "source", "window")]
        facts.append(FactFit(name, *cells, results=results[name]))
    if not any(f.role == "fit" for f in facts):
        raise InputError(folder / FIT_FILE, "role", "no fitted fact", "at least one row with role fit")
    return tuple(facts)


def _whole(doc: Mapping[str, Any], key: str, path: Path, *, optional: bool = False) -> Any:
    value = doc.get(key)
    if value is None and optional:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise InputError(path, key, f"{short(value)}", "a whole number ≥ 0")
    return value


def _real(doc: Mapping[str, Any], key: str, path: Path, default: float) -> float:
    value = doc.get(key, default)
    if not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(value):
        raise InputError(path, key, f"{short(value)}", "a number")
    return float(value)


def read_settings(folder: Path) -> Settings:
    path = folder / RESOLVED
    if not path.is_file():
        raise InputError(path, "", "file not found", "the calibration.resolved.yaml calibrate writes")
    doc: Any = read_yaml(path)
    abc, pred = doc.get("abc"), doc.get("predictive")
    if not isinstance(abc, dict) or not isinstance(pred, dict):
        raise InputError(path, "abc" if not isinstance(abc, dict) else "predictive", "missing", "a mapping")
    weights = doc.get("weights") or {}
    if not isinstance(weights, dict) or not all(isinstance(v, int | float) for v in weights.values()):
        raise InputError(path, "weights", "not a mapping of fact to number", "fact: weight")
    return Settings(
        name=str(doc.get("name") or folder.name),
        base=str(doc.get("base") or "?"),
        seed=_whole(doc, "seed", path, optional=True),
        replications=_whole(doc, "replications", path),
        firms=_whole(doc, "firms", path, optional=True),
        population=_whole(abc, "population", path),
        max_generations=_whole(abc, "generations", path),
        max_simulations=_whole(abc, "max_simulations", path),
        min_epsilon=_real(abc, "min_epsilon", path, 0.0),
        epsilon_quantile=_real(abc, "epsilon_quantile", path, 0.5),
        predictive_draws=_whole(pred, "draws", path),
        predictive_replications=_whole(pred, "replications", path),
        weights={str(k): float(v) for k, v in weights.items()},
        seeds=str(doc.get("seeds") or "common"),
        distance=str(abc.get("distance") or "fixed"),
        adaptive_population=bool(abc.get("adaptive_population")),
    )


def _command(folder: Path) -> str:
    path = folder / CALIBRATED
    if not path.is_file():
        raise InputError(path, "", "file not found", "the calibrated.yaml calibrate writes")
    found = COMMAND.search(path.read_text(encoding="utf-8"))
    return found.group(1) if found else "python run.py calibrate CALIBRATION.yaml"


def read_calibration(folder: Path) -> Calibration:
    """Every table of a calibration folder, checked; InputError (one line) on a missing or malformed file."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(folder, "", "not a folder", "a result folder written by `python run.py calibrate`")
    settings = read_settings(folder)
    final = load_posterior(folder)  # parameters.csv and posterior.csv, as every --posterior command reads them
    keys = final.keys
    populations = _populations(folder, keys)
    trace = _trace(folder)
    gens = [p.generation for p in populations]
    if gens != [s.generation for s in trace]:
        raise InputError(folder / POPULATIONS_FILE, "generation", f"{gens} differ from trace.csv", "the same")
    posterior = Population(gens[-1], final.values, final.weights, final.distances)
    facts = _facts(folder)
    command = _command(folder)
    return Calibration(
        folder, settings, final.parameters, posterior, populations, trace, facts, command, read_gravity(folder)
    )
