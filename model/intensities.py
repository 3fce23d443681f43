"""The ranges of the assumed industry intensities, and the intensity columns a scenario's setting gives.

industries.csv holds one (assumed) value per industry of each intensity; the
ranges file (model/data/industry_intensity_ranges.csv, one row per industry
and intensity: `industry, intensity, low, high, source`) says how far each
could plausibly lie from it. `world.intensities` (model.config.Intensities)
takes each column at its point, a range end or a seeded draw within the
range, so that a verdict that rests on the table can be rerun on other
plausible tables. This module reads and checks the ranges and computes the
columns; `model.world.world_for` puts them into the world a run uses.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from model.config import INTENSITY_NAMES, Intensities
from model.csvfile import number, read_rows
from model.errors import InputError, short
from model.files import DATA_FILE

RANGE_COLUMNS = ("industry", "intensity", "low", "high", "source")
UNIT_INTERVAL = (0.0, 1.0)  # the intensities' own bounds (model.world.INDUSTRY_NUMBERS)
MAX_ROWS = 100 * len(INTENSITY_NAMES)  # one per intensity of at most 100 industries (model.world.MAX_INDUSTRIES)


def column_of(name: str) -> str:
    """The industries.csv column of an intensity name: skill -> skill_intensity."""
    return f"{name}_intensity"


@dataclass(frozen=True)
class Ranges:
    """low[name][k] ≤ point ≤ high[name][k] for each intensity name and industry k (industries.csv order)."""

    low: Mapping[str, np.ndarray]
    high: Mapping[str, np.ndarray]


def read_ranges(path: Path, industry_ids: tuple[str, ...], points: Mapping[str, np.ndarray]) -> Ranges:
    """The ranges file, checked against the industries and their point values (`points`: column -> (K,)).

    One row per industry of industries.csv and intensity of INTENSITY_NAMES,
    no other row; 0 ≤ low ≤ point ≤ high ≤ 1; a non-empty source. Every
    problem is an InputError naming the file, the row and column, the value
    and what is allowed.
    """
    rows = read_rows(path, RANGE_COLUMNS, DATA_FILE, max_rows=MAX_ROWS, why=": one per industry and intensity")
    k_of = {k: i for i, k in enumerate(industry_ids)}
    low = {n: np.full(len(industry_ids), np.nan) for n in INTENSITY_NAMES}
    high = {n: np.full(len(industry_ids), np.nan) for n in INTENSITY_NAMES}
    for i, row in enumerate(rows):
        line = i + 2
        industry, name = row["industry"].strip(), row["intensity"].strip()
        if industry not in k_of:
            problem = f"{short(industry)} is not an industry id of industries.csv"
            raise InputError(path, f"row {line}, column industry", problem, ", ".join(industry_ids))
        if name not in low:
            problem = f"{short(name)} is not an intensity"
            raise InputError(path, f"row {line}, column intensity", problem, ", ".join(INTENSITY_NAMES))
        k = k_of[industry]
        if not np.isnan(low[name][k]):
            problem = f"a second row for ({industry}, {name})"
            raise InputError(path, f"row {line}", problem, "one row per industry and intensity")
        lo = number(path, line, "low", row["low"], UNIT_INTERVAL)
        hi = number(path, line, "high", row["high"], UNIT_INTERVAL)
        point = float(points[column_of(name)][k])
        if lo > point:
            problem = f"{short(lo)} is above the point value {point:g} of industries.csv"
            raise InputError(path, f"row {line}, column low", problem, f"0 to {point:g}")
        if hi < point:
            problem = f"{short(hi)} is below the point value {point:g} of industries.csv"
            raise InputError(path, f"row {line}, column high", problem, f"{point:g} to 1")
        if not row["source"].strip():
            raise InputError(path, f"row {line}, column source", "empty", "the range's source or reason")
        low[name][k], high[name][k] = lo, hi
    for name in INTENSITY_NAMES:
        missing = [industry_ids[k] for k in np.flatnonzero(np.isnan(low[name]))]
        if missing:
            problem = f"no row for intensity {name} of {', '.join(missing)}"
            raise InputError(path, "rows", problem, "one row per industry of industries.csv and intensity")
    return Ranges(low, high)


def drawn_columns(setting: Intensities, points: Mapping[str, np.ndarray], ranges: Ranges) -> dict[str, np.ndarray]:
    """The intensity columns the setting gives (read-only arrays), for every name not at its point.

    A column at its point is not in the result: the world keeps the table's own array.
    """
    out: dict[str, np.ndarray] = {}
    for i, (name, how) in enumerate(setting.settings().items()):
        lo, hi = ranges.low[name], ranges.high[name]
        if how == "point":
            continue
        if how == "low":
            values = lo.copy()
        elif how == "high":
            values = hi.copy()
        else:
            u = np.random.default_rng([setting.seed, i]).random(len(lo))
            values = lo + u * (hi - lo)
        values.flags.writeable = False
        out[column_of(name)] = values
    return out
