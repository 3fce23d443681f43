"""Reading an experiment's tables back from its result folder, with one-line errors.

The reports and figures of `compare`, `sweep`, `sensitivity` and `attribute`
are drawn from the CSV tables on disk, which a user may have edited by hand
before `python run.py plot DIR`. Every problem is an InputError naming the
file, the row and the column (never a traceback); a cell is read as text, a
number (`nan` allowed where a value can be undefined), an integer, a flag or
a metric of the catalogue. `factors.csv` gives each sweep or sensitivity
factor its label and unit; a resolved scenario (`scenarios/<name>.resolved.yaml`)
how a scenario was run.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from experiments.design.columns import FACTOR_COLUMNS, FACTORS_FILE
from model.csvfile import FIRST_DATA_LINE, number, pick, read_rows
from model.errors import InputError, short
from model.keys import describe
from model.outcomes import CATALOGUE, Kind, Metric, metric
from model.yamlfile import read_yaml

FLAGS = {"true": True, "false": False, "": None}


@dataclass(frozen=True)
class Estimate:
    """A mean and its 95% interval as a table stores them (NaN where undefined)."""

    mean: float
    low: float = math.nan
    high: float = math.nan

    @property
    def defined(self) -> bool:
        return math.isfinite(self.low) and math.isfinite(self.high)

    def excludes_zero(self) -> bool:
        return self.defined and (self.low > 0 or self.high < 0)

    def within_noise(self) -> bool:
        """The interval includes 0 (a change that cannot be told from none); False when there is no interval."""
        return self.defined and not self.excludes_zero()


@dataclass(frozen=True)
class Row:
    """One data row of a table, read cell by cell with errors that name the row and the column."""

    path: Path
    line: int
    cells: Mapping[str, str]

    def _where(self, column: str) -> str:
        return f"row {self.line}, column {column}"

    def text(self, column: str) -> str:
        return self.cells[column].strip()

    def name(self, column: str) -> str:
        """A non-empty identifier (a scenario, lever or factor)."""
        value = self.text(column)
        if not value:
            raise InputError(self.path, self._where(column), "empty", "a name")
        return value

    def number(self, column: str, *, allow_nan: bool = True) -> float:
        return number(self.path, self.line, column, self.cells[column], allow_nan=allow_nan)

    def integer(self, column: str) -> int:
        value = self.number(column, allow_nan=False)
        if value != int(value) or value < 0:
            raise InputError(self.path, self._where(column), f"{short(self.cells[column])}", "a whole number ≥ 0")
        return int(value)

    def flag(self, column: str) -> bool | None:
        """true, false, or empty (not judged)."""
        value = self.text(column).lower()
        if value not in FLAGS:
            raise InputError(self.path, self._where(column), f"{short(self.cells[column])}", "true, false or empty")
        return FLAGS[value]

    def estimate(self, mean: str, low: str, high: str) -> Estimate:
        return Estimate(self.number(mean), self.number(low), self.number(high))

    def metric(self, column: str) -> Metric:
        """A metric of the catalogue (model.outcomes), by its name."""
        value = self.text(column)
        try:
            return metric(value)
        except KeyError:
            raise InputError(
                self.path, self._where(column), f"{short(value)} is not a metric", ", ".join(CATALOGUE)
            ) from None


def read_table(folder: Path, name: str, needed: Sequence[str], *, allow_empty: bool = False) -> list[Row]:
    """The rows of `folder/name`, after checking the file exists and its header has the needed columns."""
    path = folder / name
    if not path.is_file():
        raise InputError(path, "", "file not found", f"the {name} the command writes into its result folder")
    rows = [Row(path, i + FIRST_DATA_LINE, cells) for i, cells in enumerate(read_rows(path, needed))]
    if not rows and not allow_empty:
        raise InputError(path, "", "no rows", f"the {name} the command writes")
    return rows


def header(folder: Path, name: str) -> list[str]:
    """The column names of a table, in order (sweep and sensitivity tables have one column per factor)."""
    path = folder / name
    try:
        with path.open(encoding="utf-8", newline="") as fh:
            return next(csv.reader(fh), [])
    except OSError as exc:
        raise InputError(path, "", f"cannot read file: {exc.strerror}") from None
    except (UnicodeDecodeError, csv.Error) as exc:
        raise InputError(path, "", f"not a readable CSV file ({exc})", "UTF-8 CSV with a header row") from None


def in_order(names: Iterable[str]) -> list[str]:
    """Distinct names in order of first appearance."""
    return list(dict.fromkeys(names))


# --------------------------------------------------------------------------- factors

MONEY = "yuan"  # a factor whose unit starts with this is money: shown in CNY m or bn


@dataclass(frozen=True)
class Factor:
    """A sweep or sensitivity factor as people read it: label and unit from factors.csv."""

    key: str
    label: str
    unit: str
    span: tuple[float | str, ...] = ()  # factors.csv `values`: the range [low, high] or the listed values

    @property
    def money(self) -> Metric | None:
        """A catalogue metric for a money factor (`yuan`, `yuan per year`, `yuan per job`), so it reads as CNY."""
        if not self.unit.startswith(MONEY):
            return None
        kind: Kind = "yuan_per_job" if self._per == " per job" else "yuan"
        return Metric(self.key, self.label, kind, self.label, (-math.inf, math.inf))

    @property
    def _per(self) -> str:
        """What follows `yuan` in the unit: ` per year`, ` per job` or nothing."""
        return self.unit.removeprefix(MONEY)

    def scale(self, values: Iterable[float]) -> tuple[float, str]:
        m = self.money
        return m.scale(values) if m is not None else (1.0, "")

    def heading(self, values: Iterable[float] = (), *, axis: bool = True) -> str:
        """An axis title `Talent: annual budget (CNY bn per year)`; as a table header (`axis=False`) money
        cells carry their own unit and the header names only what follows it (`per year`)."""
        m = self.money
        if m is None:
            return f"{self.label} ({self.unit})" if self.unit else self.label
        if not axis:
            per = self._per.strip()
            return f"{self.label} ({per})" if per and per != "per job" else self.label
        _divisor, suffix = m.scale(values)
        per = "" if m.kind == "yuan_per_job" else self._per
        return f"{self.label} ({m.shown_unit.replace('CNY', 'CNY' + suffix)}{per})"

    def text(self, value: float | str, scale: tuple[float, str] | None = None) -> str:
        """One factor value: money in CNY (catalogue format), other numbers with 4 significant digits."""
        if isinstance(value, str):
            return value
        m = self.money
        if m is not None:
            return m.text(value, scale=scale)
        if not math.isfinite(value):
            return "–"
        return f"{value:.4g}" if abs(value) < 1000 else f"{value:,.0f}"


def factor_value(text: str) -> float | str:
    """A factor cell: a number when it reads as one, else the text (a categorical value)."""
    try:
        value = float(text)
    except ValueError:
        return text.strip()
    return value if math.isfinite(value) else text.strip()


def read_factors(folder: Path, keys: Sequence[str]) -> list[Factor]:
    """The factors named by a table's columns, in that order, with their labels and units from factors.csv."""
    rows = read_table(folder, FACTORS_FILE, pick(FACTOR_COLUMNS, "key", "label", "unit"))
    known: dict[str, Factor] = {}
    for row in rows:
        key = row.name("key")
        span = tuple(factor_value(v) for v in row.cells.get("values", "").split())
        known[key] = Factor(key, row.text("label") or describe(key).label, row.text("unit"), span)
    missing = [k for k in keys if k not in known]
    if missing:
        raise InputError(
            folder / FACTORS_FILE, "key", f"no row for factor {short(missing[0])}", "one row per factor column"
        )
    return [known[k] for k in keys]


# --------------------------------------------------------------------------- resolved scenarios


@dataclass(frozen=True)
class Resolved:
    """What a resolved scenario file says about how it was run (every field optional)."""

    description: str = ""
    levers: tuple[str, ...] = ()
    seed: int | None = None
    years: tuple[int, int] | None = None
    firms: int | None = None
    represented: float | None = None


def read_resolved(path: Path) -> Resolved:
    """The run settings of one scenario; a missing file gives nothing, a broken one a one-line error."""
    if not path.is_file():
        return Resolved()
    doc: Any = read_yaml(path)  # the project's safe loader: depth, size and tags are checked
    years, firms = doc.get("years") or {}, doc.get("firms") or {}
    policies = doc.get("policies") or {}

    def whole(value: Any) -> int | None:
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    start, end = (whole(years.get(k)) if isinstance(years, dict) else None for k in ("start", "end"))
    represented = firms.get("represented") if isinstance(firms, dict) else None
    return Resolved(
        description=" ".join(str(doc.get("description") or "").split()),
        levers=tuple(k for k, v in policies.items() if v is not None) if isinstance(policies, dict) else (),
        seed=whole(doc.get("seed")),
        years=(start, end) if start is not None and end is not None else None,
        firms=whole(firms.get("count")) if isinstance(firms, dict) else None,
        represented=float(represented) if isinstance(represented, int | float) else None,
    )
