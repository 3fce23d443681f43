"""Reading CSV tables (data files and result tables) with one-line errors.

A table is read through `model.files.read_text` (a regular .csv file of a
bounded size, UTF-8 with or without a BOM, no NUL), then parsed strictly:
a header of distinct, non-empty column names, every row as many fields as
the header, no blank line before the last row and no line break inside a
field. The last two rules keep "row i of the list is line i + 2 of the
file", so every message can give the line a user opens in an editor.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Sequence
from pathlib import Path

from model.errors import InputError, short
from model.files import TABLE_FILE, FileKind, read_text

FIRST_DATA_LINE = 2  # line 1 is the header
HEADER_ALLOWED = "a header row of distinct column names"


def read_rows(
    path: Path,
    required: Sequence[str],
    kind: FileKind = TABLE_FILE,
    *,
    max_rows: int | None = None,
    why: str = "",
) -> list[dict[str, str]]:
    """All rows of a CSV file whose header has the required columns.

    Row i of the list is line i + FIRST_DATA_LINE of the file. `kind` bounds
    the file (data files: DATA_FILE); `max_rows` bounds the rows, and `why`
    says in the message why there is a limit.
    """
    reader = csv.reader(io.StringIO(read_text(path, kind), newline=""))
    try:
        header = next(reader, None)
        if header is None or not any(c.strip() for c in header):
            raise InputError(path, "header", "no header row (the file or its first line is empty)", ", ".join(required))
        _check_header(path, header, required)
        rows: list[dict[str, str]] = []
        blank_at = 0
        for fields in reader:
            line = FIRST_DATA_LINE + len(rows)
            if not fields:
                blank_at = blank_at or reader.line_num
                continue
            if blank_at:
                raise InputError(path, f"row {blank_at}", "blank line between rows", "blank lines only at the end")
            if reader.line_num != line:
                raise InputError(path, f"row {line}", "a line break inside a field", "one line per row")
            if len(fields) != len(header):
                raise InputError(path, f"row {line}", f"{len(fields)} fields", f"{len(header)} fields as in the header")
            if max_rows is not None and len(rows) >= max_rows:
                raise InputError(path, "rows", f"more than {max_rows:,} rows", f"at most {max_rows:,}{why}")
            rows.append(dict(zip(header, fields, strict=True)))
    except csv.Error as exc:
        raise InputError(path, f"row {reader.line_num}", f"not readable CSV ({exc})", "UTF-8 CSV") from None
    return rows


def _check_header(path: Path, header: list[str], required: Sequence[str]) -> None:
    """Column names must be non-empty and distinct, and include every required one."""
    seen: dict[str, int] = {}
    for i, name in enumerate(header, start=1):
        if not name.strip():
            raise InputError(path, f"header, column {i}", "empty column name", HEADER_ALLOWED)
        if name in seen:
            raise InputError(path, f"header, column {i}", f"{short(name)} repeats column {seen[name]}", HEADER_ALLOWED)
        seen[name] = i
    missing = [c for c in required if c not in seen]
    if missing:
        raise InputError(path, "header", f"missing column(s) {', '.join(missing)}", ", ".join(required))


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


def pick(columns: Sequence[str], *names: str) -> tuple[str, ...]:
    """`names`, each a column of `columns` (a table's column constant): the part of a table a reader checks for.

    A reader needs fewer columns than its writer writes (old folders may lack
    a newer one); taking them from the writer's constant means a column
    renamed there fails here, at import, instead of in a user's report.
    """
    unknown = [n for n in names if n not in columns]
    if unknown:
        raise ValueError(f"{', '.join(unknown)} not among the columns {', '.join(columns)}")
    return names


def without(columns: Sequence[str], *names: str) -> tuple[str, ...]:
    """The columns of `columns` but `names` (each one of them), in the table's order: see `pick`."""
    pick(columns, *names)
    return tuple(c for c in columns if c not in names)
