"""Reading CSV tables (data files and result tables) with one-line errors."""

from __future__ import annotations

import csv
import math
from collections.abc import Sequence
from pathlib import Path

from model.errors import InputError, short

FIRST_DATA_LINE = 2  # line 1 is the header


def read_rows(path: Path, required: Sequence[str]) -> list[dict[str, str]]:
    """All rows of a UTF-8 CSV file whose header has the required columns.

    Row i of the list is line i + FIRST_DATA_LINE of the file.
    """
    try:
        with path.open(encoding="utf-8", newline="") as fh:
            reader = csv.DictReader(fh)
            columns = reader.fieldnames or []
            missing = [c for c in required if c not in columns]
            if missing:
                raise InputError(path, "header", f"missing column(s) {', '.join(missing)}", ", ".join(required))
            rows = list(reader)
    except OSError as exc:
        raise InputError(path, "", f"cannot read file: {exc.strerror}") from None
    except (UnicodeDecodeError, csv.Error) as exc:
        raise InputError(path, "", f"not a readable CSV file ({exc})", "UTF-8 CSV with a header row") from None
    for i, row in enumerate(rows):
        if None in row or any(v is None for v in row.values()):
            raise InputError(
                path, f"row {i + FIRST_DATA_LINE}", "wrong number of fields", f"{len(columns)} fields as in the header"
            )
    return rows


def number(
    path: Path,
    line: int,
    column: str,
    text: str,
    bounds: tuple[float, float] = (-math.inf, math.inf),
    *,
    allow_nan: bool = False,
) -> float:
    """A cell as a finite number within bounds (or NaN where allowed)."""
    where = f"row {line}, column {column}"
    try:
        value = float(text.strip())
    except ValueError:
        allowed = "a number or nan" if allow_nan else "a number"
        raise InputError(path, where, f"{short(text)} is not a number", allowed) from None
    if math.isnan(value) and allow_nan:
        return value
    lo, hi = bounds
    if not math.isfinite(value):
        raise InputError(path, where, f"{short(text)} is not a finite number", "a finite number")
    if not lo <= value <= hi:
        raise InputError(path, where, f"{short(value)} is out of range", f"{lo} to {hi}")
    return value
