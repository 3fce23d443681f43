"""The tables of a `sensitivity` folder, read and checked: indices.csv, notes.csv, points.csv, factors.csv.

`read_sensitivity(folder)` gives the `Sensitivity` that the report's Markdown
(experiments.sensitivity.report) and its bar charts
(experiments.sensitivity.figures) are drawn from. Every cell the report shows
is checked here, so a damaged table is one InputError naming the file before
anything is written.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from experiments.design.columns import FACTOR_COLUMNS, FACTORS_FILE
from experiments.sensitivity.columns import INDEX_COLUMNS, INDICES_FILE, NOTE_COLUMNS, NOTES_FILE, POINT, POINTS_FILE
from model.csvfile import pick
from model.errors import InputError, short
from model.outcomes import metric
from report.read import Factor, header, read_factors, read_table

METHODS = {"morris": ("mu_star", "mu", "sigma"), "sobol": ("S1", "ST")}
RANKED_BY = {"morris": "mu_star", "sobol": "ST"}


@dataclass(frozen=True)
class Index:
    value: float
    conf: float  # half-width of the 95% bootstrap interval; NaN where SALib gives none


@dataclass(frozen=True)
class Sensitivity:
    folder: Path
    method: str | None  # None when no outcome could be analysed
    factors: list[Factor]
    outcomes: list[str]
    indices: dict[tuple[str, str, str], Index]
    notes: dict[str, str]
    n_points: int

    def index(self, outcome: str, factor: str, name: str) -> Index:
        found = self.indices.get((outcome, factor, name))
        if found is None:
            raise InputError(
                self.folder / "indices.csv", "", f"no row for {outcome} × {factor} × {name}", "every index"
            )
        return found

    def analysed(self) -> list[str]:
        return [o for o in self.outcomes if o not in self.notes]

    def ranked(self, outcome: str) -> list[Factor]:
        """Factors by μ* (Morris) or ST (Sobol'), largest first; ties keep the experiment's order.

        By the raw estimate: an unresolved ST above 1 (report.markdown.sobol_text) ranks first, shown as unresolved.
        """
        key = RANKED_BY[self.method or "morris"]
        return sorted(self.factors, key=lambda f: -_finite(self.index(outcome, f.key, key).value))

    def inert(self, outcome: str) -> list[Factor]:
        """Factors with no effect at any sampled point (the index is exactly 0 on common random numbers)."""
        key = RANKED_BY[self.method or "morris"]
        return [f for f in self.factors if self.index(outcome, f.key, key).value == 0.0]


def _finite(value: float) -> float:
    return value if math.isfinite(value) else -math.inf


def read_sensitivity(folder: Path) -> Sensitivity:
    """indices.csv, notes.csv, points.csv and factors.csv, checked against each other."""
    factor_rows = read_table(folder, FACTORS_FILE, pick(FACTOR_COLUMNS, "key"))
    keys = [row.name("key") for row in factor_rows]
    factors = read_factors(folder, keys)
    columns = header(folder, "points.csv")
    if columns[: 1 + len(keys)] != ["point", *keys]:
        raise InputError(folder / "points.csv", "header", "not point and the factors", "point, " + ", ".join(keys))
    outcomes = columns[1 + len(keys) :]
    for name in outcomes:
        try:
            metric(name)
        except KeyError:
            raise InputError(folder / "points.csv", "header", f"{short(name)} is not a metric", "outcomes") from None
    n_points = len(read_table(folder, POINTS_FILE, (POINT,), allow_empty=True))
    notes = {}
    for row in read_table(folder, NOTES_FILE, NOTE_COLUMNS, allow_empty=True):
        notes[row.metric("outcome").name] = row.text("note")
    indices: dict[tuple[str, str, str], Index] = {}
    seen: set[str] = set()
    for row in read_table(folder, INDICES_FILE, INDEX_COLUMNS, allow_empty=True):
        outcome, factor, name = row.metric("outcome").name, row.name("factor"), row.name("index")
        if factor not in keys:
            raise InputError(row.path, f"row {row.line}, column factor", short(factor), "a factor of factors.csv")
        if outcome not in outcomes:
            raise InputError(row.path, f"row {row.line}, column outcome", short(outcome), ", ".join(outcomes))
        if not any(name in names for names in METHODS.values()):
            raise InputError(row.path, f"row {row.line}, column index", short(name), "mu_star, mu, sigma, S1, ST")
        indices[(outcome, factor, name)] = Index(row.number("value"), row.number("conf"))
        seen.add(name)
    method = next((m for m, names in METHODS.items() if seen and seen <= set(names)), None)
    if seen and method is None:
        raise InputError(folder / "indices.csv", "index", "Morris and Sobol' indices mixed", "one method's indices")
    s = Sensitivity(folder, method, factors, outcomes, indices, notes, n_points)
    for outcome in s.analysed() if method else ():  # every cell the report shows must exist
        for f in factors:
            for name in METHODS[method]:
                s.index(outcome, f.key, name)
    if method is None and len(notes) < len(outcomes):
        raise InputError(folder / "indices.csv", "", "no indices", "indices for every outcome not in notes.csv")
    return s
