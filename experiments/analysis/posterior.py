"""A calibration's posterior ensemble, read back from its result folder.

`calibrate` writes `posterior.csv` (one row per particle of the final ABC-SMC
population: `draw, weight, distance, <dotted key>...`) and `parameters.csv`
(one row per fitted parameter, with the point estimate in `calibrated`).
`load_posterior(folder)` reads both and checks them, so that `compare
--posterior`, `attribute --posterior`, `report` and the calibration's own
report (experiments.calibrate.read) see one validated object.

`Posterior.draws(n)` picks n parameter sets by systematic resampling on the
weights with a fixed offset (no random generator: the same folder always
gives the same draws, in the order of `posterior.csv`). A parameter set is
applied to a scenario as dotted-key overrides.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from model.csvfile import read_rows
from model.errors import InputError, short

# The columns of the two files, for `calibrate` (their writer) and every reader.
POSTERIOR_FIXED = ("draw", "weight", "distance")  # then one column per dotted key
PARAMETER_COLUMNS = (
    "key",
    "label",
    "unit",
    "prior_low",
    "prior_high",
    "default",
    "reason",
    "posterior_mean",
    "posterior_sd",
    "q05",
    "q50",
    "q95",
    "calibrated",
)
# The numbers of parameters.csv in Parameter's order (default apart: it may be empty)
NUMBERS = ("prior_low", "prior_high", "posterior_mean", "posterior_sd", "q05", "q50", "q95", "calibrated")
POSTERIOR_FILE = "posterior.csv"
PARAMETERS_FILE = "parameters.csv"
MAX_PARTICLES = 100_000
WHAT = "a result folder written by `relocsim calibrate` (posterior.csv and parameters.csv)"


@dataclass(frozen=True)
class Parameter:
    """One row of parameters.csv: the uniform prior, the default, the posterior's summary and the point estimate."""

    key: str
    label: str
    unit: str
    prior_low: float
    prior_high: float
    default: float  # NaN when the table leaves it empty
    reason: str
    posterior_mean: float
    posterior_sd: float
    q05: float
    q50: float
    q95: float
    calibrated: float

    @property
    def title(self) -> str:
        """What a table or a figure calls the parameter: its label, or its key where the label is empty."""
        return self.label or self.key

    @property
    def shrinkage(self) -> float:
        """1 − posterior sd ÷ prior sd (uniform prior): 0 = the data taught nothing, 1 = pinned down."""
        prior_sd = (self.prior_high - self.prior_low) / math.sqrt(12.0)
        return 1.0 - self.posterior_sd / prior_sd


@dataclass(frozen=True)
class Posterior:
    folder: Path
    parameters: tuple[Parameter, ...]
    values: np.ndarray  # (n, k), columns in the order of `keys`
    weights: np.ndarray  # (n,), sum 1
    distances: np.ndarray  # (n,)
    fingerprint: str

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(p.key for p in self.parameters)

    @property
    def point(self) -> dict[str, float]:
        return {p.key: p.calibrated for p in self.parameters}

    @property
    def size(self) -> int:
        return int(self.values.shape[0])

    def effective_size(self) -> float:
        """Kish's effective sample size of the weights (`effective_size`)."""
        return effective_size(self.weights)

    def distinct_sets(self) -> int:
        """How many distinct parameter sets carry positive weight."""
        return len({tuple(row) for row in self.values[self.weights > 0].tolist()})

    def set_labels(self) -> np.ndarray:
        """Per particle, a label shared by the particles with the same parameter values (first occurrence's row)."""
        first: dict[tuple[float, ...], int] = {}
        return np.array([first.setdefault(tuple(row), i) for i, row in enumerate(self.values.tolist())], dtype=int)

    def draw_indices(self, n: int) -> list[int]:
        """n particle indices by systematic resampling (offset 1/2): deterministic, proportional to weight."""
        return systematic_indices(self.weights, n)

    def draws(self, n: int) -> list[dict[str, float]]:
        """n parameter sets (dotted key -> value), each particle as often as its weight says."""
        return [self.parameter_set(i) for i in self.draw_indices(n)]

    def parameter_set(self, index: int) -> dict[str, float]:
        return {k: float(v) for k, v in zip(self.keys, self.values[index], strict=True)}


def effective_size(weights: np.ndarray) -> float:
    """Kish's effective sample size (Σw)²/Σw² of weights normalised to sum 1, where it is 1/Σw².

    Every holder of particle weights here (the posterior, each ABC-SMC
    generation) keeps them normalised; computing (Σw)² of such weights would
    move the last digits of the published value (Σw is 1 only up to rounding).
    """
    return float(1.0 / np.sum(np.asarray(weights, dtype=float) ** 2))


def systematic_indices(weights: np.ndarray, n: int) -> list[int]:
    """n indices by systematic resampling with offset 1/2 (no random generator), each as often as its weight says."""
    if n < 1:
        raise ValueError("n must be at least 1")
    cum = np.cumsum(np.asarray(weights, dtype=float))
    cum = cum / cum[-1]
    cum[-1] = 1.0
    points = (np.arange(n) + 0.5) / n
    return [int(i) for i in np.searchsorted(cum, points, side="right")]


def load_posterior(folder: str | Path) -> Posterior:
    """Read and check a calibration folder's posterior; InputError (exit 2, one line) on any problem."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(folder, "", "not a folder", WHAT)
    post_path, par_path = folder / POSTERIOR_FILE, folder / PARAMETERS_FILE
    for path in (post_path, par_path):
        if not path.is_file():
            raise InputError(folder, "", f"no {path.name}: not a calibration result folder", WHAT)
    par_rows = read_rows(par_path, PARAMETER_COLUMNS, max_rows=1000, why=" parameters")
    if not par_rows:
        raise InputError(par_path, "rows", "no parameters", "one row per fitted parameter")
    params = []
    for line, row in enumerate(par_rows, start=2):
        num = {c: _number(par_path, f"row {line}.{c}", row[c]) for c in NUMBERS}
        default = _number(par_path, f"row {line}.default", row["default"]) if row["default"] else math.nan
        if not num["prior_low"] < num["prior_high"]:
            raise InputError(par_path, f"row {line}.prior_high", "not above prior_low", "prior_low < prior_high")
        if num["posterior_sd"] < 0:
            raise InputError(par_path, f"row {line}.posterior_sd", "negative", "a number ≥ 0")
        text = {c: row[c].strip() for c in ("label", "unit", "reason")}
        params.append(
            Parameter(
                row["key"],
                text["label"],
                text["unit"],
                num["prior_low"],
                num["prior_high"],
                default,
                text["reason"],
                *(num[c] for c in NUMBERS[2:]),
            )
        )
    keys = [p.key for p in params]
    if len(set(keys)) != len(keys):
        raise InputError(par_path, "key", "a parameter listed twice", "each key once")
    rows = read_rows(post_path, (*POSTERIOR_FIXED, *keys), max_rows=MAX_PARTICLES, why=" particles")
    if not rows:
        raise InputError(post_path, "rows", "no particles", "one row per particle of the posterior")
    values = np.empty((len(rows), len(keys)))
    weights = np.empty(len(rows))
    distances = np.empty(len(rows))
    for i, row in enumerate(rows):
        line = i + 2
        weights[i] = _number(post_path, f"row {line}.weight", row["weight"])
        distances[i] = _number(post_path, f"row {line}.distance", row["distance"])
        for j, key in enumerate(keys):
            values[i, j] = _number(post_path, f"row {line}.{key}", row[key])
    if np.any(weights < 0) or not weights.max() > 0:
        raise InputError(post_path, "weight", "negative weights or all zero", "weights >= 0 with a positive sum")
    with np.errstate(over="ignore"):
        overflows = not np.isfinite(weights.sum())
    if overflows:  # finite weights whose sum overflows: scaled first (only they change)
        weights = weights / weights.max()
    weights = weights / weights.sum()
    digest = hashlib.sha256(post_path.read_bytes() + b"\0" + par_path.read_bytes()).hexdigest()
    return Posterior(folder, tuple(params), values, weights, distances, "sha256:" + digest)


def _number(path: Path, key: str, text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise InputError(path, key, f"{short(text)} is not a number", "a finite number") from None
    if not math.isfinite(value):
        raise InputError(path, key, f"{short(text)} is not finite", "a finite number")
    return value
