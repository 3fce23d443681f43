"""Reading a result folder's tables (DESIGN §5) back into arrays, with one-line errors.

Used by the figures of a run (`experiments.run.figures`); every problem is an InputError that
names the file, the row and the column.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from model.csvfile import FIRST_DATA_LINE, number, pick, read_rows
from model.errors import InputError, short
from model.metrics import FLOW_COLUMNS, TIMESERIES_COLUMNS
from model.world import PLACE_NUMBERS, PLACE_TEXT

ALLOWED_FOLDER = "a result folder written by `python run.py SCENARIO.yaml --out DIR`"
# What the figures use of the tables a run writes with the columns of model.metrics and the world's places
TIMESERIES_NEEDED = pick(
    TIMESERIES_COLUMNS, "replication", "year", "to_north_jobs", "to_outside_jobs", "north_share_jobs"
)
TIMESERIES_OPTIONAL = pick(TIMESERIES_COLUMNS, "to_jiangsu_jobs")  # folders written before the jiangsu_city kind
FLOWS_NEEDED = pick(FLOW_COLUMNS, "replication", "year", "origin", "destination", "jobs")
PLACES_NEEDED = pick((*PLACE_TEXT, *PLACE_NUMBERS), "id", "name", "kind", "lat", "lon")


# --------------------------------------------------------------------------- reading


@dataclass(frozen=True)
class Place:
    """One row of places.csv, as far as the figures need it."""

    id: str
    name: str
    kind: str
    lat: float
    lon: float
    name_zh: str = ""  # Chinese name; "" in folders written before places.csv had the column

    @classmethod
    def of_row(cls, row: Mapping[str, str], lat: float, lon: float) -> Place:
        """A row of places.csv (or of the world's place table) with its checked coordinates."""
        pid = row["id"].strip()
        return cls(pid, row["name"].strip() or pid, row["kind"].strip(), lat, lon, (row.get("name_zh") or "").strip())


@dataclass(frozen=True)
class Results:
    """The tables of one result folder, reduced to what the figures show.

    Arrays indexed [replication, year] hold NaN where a replication has no row
    for a year, so statistics skip it instead of counting it as zero.
    """

    scenario: str
    replications: int
    years: np.ndarray  # (Y,) int
    to_north_jobs: np.ndarray  # (R, Y)
    to_outside_jobs: np.ndarray  # (R, Y)
    to_jiangsu_jobs: np.ndarray  # (R, Y), zeros in folders written before the kind existed
    north_share_jobs: np.ndarray  # (R, Y), NaN in years without moves
    horizon_north_share: float | None  # summary.json, jobs-weighted over the horizon
    places: dict[str, Place]
    jobs_by_destination: dict[str, np.ndarray]  # destination id -> (R,) jobs over `window`
    jobs_by_pair: dict[tuple[str, str], float]  # (origin, destination) -> total jobs over `window`, all replications
    window: tuple[int, int] | None = None  # the report window the totals are over (None: every simulated year)

    @property
    def totals_window(self) -> tuple[int, int]:
        """The first and last year the destination totals and flows are summed over."""
        return self.window if self.window is not None else (int(self.years[0]), int(self.years[-1]))


def _require(folder: Path, name: str) -> Path:
    path = folder / name
    if not path.is_file():
        raise InputError(path, "", "file not found", ALLOWED_FOLDER)
    return path


def _read_csv(path: Path, needed: Sequence[str]) -> Iterable[tuple[int, dict[str, str]]]:
    """(line number, row) pairs, after checking the header has the columns the figures use."""
    return enumerate(read_rows(path, needed), start=FIRST_DATA_LINE)


def _number(path: Path, line: int, row: dict[str, str], column: str, *, allow_nan: bool = False) -> float:
    return number(path, line, column, row[column], allow_nan=allow_nan)


def _integer(path: Path, line: int, row: dict[str, str], column: str) -> int:
    value = _number(path, line, row, column)
    if value != int(value):
        raise InputError(path, f"row {line}, column {column}", f"{short(row[column])} is not an integer", "an integer")
    return int(value)


def read_places(path: Path) -> dict[str, Place]:
    """places.csv: where each place is and what kind it is."""
    places: dict[str, Place] = {}
    for line, row in _read_csv(path, PLACES_NEEDED):
        pid = row["id"].strip()
        if not pid or pid in places:
            raise InputError(path, f"row {line}, column id", f"{short(pid)} is empty or repeated", "a unique id")
        lat = _number(path, line, row, "lat")
        lon = _number(path, line, row, "lon")
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise InputError(
                path,
                f"row {line}, columns lat/lon",
                f"{lat}, {lon} is off the globe",
                "lat in [-90, 90], lon in [-180, 180]",
            )
        places[pid] = Place.of_row(row, lat, lon)
    if not places:
        raise InputError(path, "", "no rows", "one row per place")
    return places


def _read_summary(path: Path) -> tuple[str, float | None, tuple[int, int] | None]:
    """summary.json: the scenario name, the jobs-weighted north share over the report window, and that window."""
    try:
        data: Any = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(path, "", f"not valid JSON ({exc})", "the summary.json a run writes") from exc
    if not isinstance(data, dict) or not isinstance(data.get("scenario"), str):
        raise InputError(path, "scenario", "missing or not a string", "the summary.json a run writes")
    metric = (data.get("metrics") or {}).get("north_share_jobs") if isinstance(data.get("metrics"), dict) else None
    mean = metric.get("mean") if isinstance(metric, dict) else None
    share = float(mean) if isinstance(mean, (int, float)) and math.isfinite(mean) else None
    windows = data.get("windows")
    report = windows.get("report") if isinstance(windows, dict) else None
    window = None
    if isinstance(report, list) and len(report) == 2 and all(isinstance(y, int) for y in report):
        window = (int(report[0]), int(report[1]))
    return data["scenario"], share, window


def read_results(folder: Path) -> Results:
    """Read and check every table the figures use; bad input raises InputError naming the file."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(folder, "", "not a folder", ALLOWED_FOLDER)
    ts_path = _require(folder, "timeseries.csv")
    flows_path = _require(folder, "flows.csv")
    places_path = _require(folder, "places.csv")
    summary_path = _require(folder, "summary.json")

    scenario, horizon_share, window = _read_summary(summary_path)
    places = read_places(places_path)

    cells: dict[tuple[int, int], tuple[float, float, float, float]] = {}
    for line, row in _read_csv(ts_path, TIMESERIES_NEEDED):
        key = (_integer(ts_path, line, row, "replication"), _integer(ts_path, line, row, "year"))
        if key in cells:
            raise InputError(
                ts_path,
                f"row {line}",
                f"replication {key[0]}, year {key[1]} repeated",
                "one row per (replication, year)",
            )
        jiangsu = _number(ts_path, line, row, "to_jiangsu_jobs") if row.get("to_jiangsu_jobs") is not None else 0.0
        cells[key] = (
            _number(ts_path, line, row, "to_north_jobs"),
            _number(ts_path, line, row, "to_outside_jobs"),
            _number(ts_path, line, row, "north_share_jobs", allow_nan=True),
            jiangsu,
        )
    if not cells:
        raise InputError(ts_path, "", "no rows", "one row per (replication, year)")
    reps = sorted({r for r, _ in cells})
    years = sorted({y for _, y in cells})
    r_index = {r: i for i, r in enumerate(reps)}
    y_index = {y: j for j, y in enumerate(years)}
    grid = np.full((4, len(reps), len(years)), np.nan)
    for (r, y), values in cells.items():
        grid[:, r_index[r], y_index[y]] = values

    by_dest: dict[str, np.ndarray] = defaultdict(lambda: np.zeros(len(reps)))
    by_pair: dict[tuple[str, str], float] = defaultdict(float)
    for line, row in _read_csv(flows_path, FLOWS_NEEDED):
        rep = _integer(flows_path, line, row, "replication")
        if rep not in r_index:
            raise InputError(
                flows_path,
                f"row {line}, column replication",
                f"{rep} has no rows in timeseries.csv",
                ", ".join(map(str, reps)),
            )
        origin, dest = row["origin"].strip(), row["destination"].strip()
        for column, pid in (("origin", origin), ("destination", dest)):
            if pid not in places:
                raise InputError(
                    flows_path,
                    f"row {line}, column {column}",
                    f"{short(pid)} is not in places.csv",
                    "an id from places.csv",
                )
        jobs = _number(flows_path, line, row, "jobs")
        if window is not None and not window[0] <= _integer(flows_path, line, row, "year") <= window[1]:
            continue  # totals are over the report window, as the headline's
        by_dest[dest][r_index[rep]] += jobs
        by_pair[(origin, dest)] += jobs

    return Results(
        scenario=scenario,
        replications=len(reps),
        years=np.array(years, dtype=int),
        to_north_jobs=grid[0],
        to_outside_jobs=grid[1],
        north_share_jobs=grid[2],
        to_jiangsu_jobs=grid[3],
        horizon_north_share=horizon_share,
        places=places,
        jobs_by_destination=dict(by_dest),
        jobs_by_pair=dict(by_pair),
        window=window,
    )
