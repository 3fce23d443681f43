"""Writing result tables: CSV with exact, stable numbers, and JSON.

A number is written as the shortest text that reads back to nearly the same
value (10 significant digits; integers as integers; `nan` for undefined), so
the same value always gives the same bytes: tables are byte-identical whatever
the engine or the worker count.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np


def fmt(value: Any) -> str:
    """A cell: numbers short and exact enough, booleans as true/false, None as empty."""
    if value is None:
        return ""
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int | np.integer):
        return str(int(value))
    v = float(value)
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    if v == int(v) and abs(v) < 1e15:
        return str(int(v))
    return format(v, ".10g")


def write_csv(path: Path, columns: Iterable[str], rows: Iterable[Iterable[Any]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(list(columns))
        for row in rows:
            w.writerow([fmt(v) for v in row])


def json_number(value: float | None) -> float | None:
    """JSON has no NaN: an undefined number is null."""
    return None if value is None or not math.isfinite(value) else float(value)


def write_json(path: Path, doc: Any) -> None:
    path.write_text(json.dumps(doc, indent=2, ensure_ascii=False, allow_nan=False) + "\n", encoding="utf-8")
