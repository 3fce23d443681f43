"""Places, industries, ties and distances: the world a run starts from.

Data files are read once (cached by path), checked row by row, and turned into
arrays indexed by place and industry. Nothing here changes during a run; the
year-by-year state lives in `model.state.WorldState`.
"""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from model.config import Intensities, Scenario
from model.csvfile import number, read_rows
from model.errors import InputError, short
from model.files import DATA_FILE, check_input_file
from model.intensities import drawn_columns, read_ranges
from model.schema import IdsOf, id_fields

DATA_DIR = Path(__file__).parent / "data"
EARTH_RADIUS_KM = 6371.0
KINDS = ("origin", "north_park", "jiangsu_city", "outside_city")
DESTINATION_KINDS = KINDS[1:]

PLACE_NUMBERS = {
    # column: (minimum, maximum)
    "lat": (-90.0, 90.0),
    "lon": (-180.0, 180.0),
    "wage_index": (1e-3, 100.0),
    "land_price_index": (1e-3, 100.0),
    "power_price_index": (1e-3, 100.0),
    "infrastructure": (0.0, 1.0),
    "environment": (0.0, 1.0),
    "talent_pool_k": (0.0, 1e6),
    "capacity_jobs": (1.0, 1e9),
    "gdp2022_trn_cny": (0.0, 1e3),
}
PLACE_TEXT = ("id", "name", "name_zh", "kind", "province", "prefecture", "partner", "focus_industries")
INDUSTRY_NUMBERS = {
    "labour_intensity": (0.0, 1.0),
    "land_intensity": (0.0, 1.0),
    "energy_intensity": (0.0, 1.0),
    "skill_intensity": (0.0, 1.0),
    "supply_chain_intensity": (0.0, 1.0),
    "move_cost_yuan_per_job": (0.0, 1e8),
    "mean_jobs_per_firm": (1.0, 1e6),
    "share_of_firms": (0.0, 1.0),
}


@dataclass(frozen=True, eq=False)
class WorldData:
    """Static tables as arrays; index p for places, k for industries."""

    place_ids: tuple[str, ...]
    kinds: np.ndarray  # (P,) str
    lat: np.ndarray
    lon: np.ndarray
    partner: np.ndarray  # (P,) int, index of partner origin or -1
    focus: np.ndarray  # (P, K) bool
    place_num: dict[str, np.ndarray]  # PLACE_NUMBERS columns, (P,)
    place_rows: tuple[dict[str, str], ...]  # the rows as read, for places.csv
    place_columns: tuple[str, ...]
    industry_ids: tuple[str, ...]
    industry_num: dict[str, np.ndarray]  # INDUSTRY_NUMBERS columns, (K,)
    ties: np.ndarray  # (P, P) strength origin -> destination
    base_jobs: np.ndarray  # (P, K) jobs already there, not simulated firms
    distance_km: np.ndarray  # (P, P)

    @property
    def n_places(self) -> int:
        return len(self.place_ids)

    @property
    def n_industries(self) -> int:
        return len(self.industry_ids)

    def place_index(self, place_id: str) -> int:
        return self.place_ids.index(place_id)

    def of_kind(self, kind: str) -> np.ndarray:
        return np.flatnonzero(self.kinds == kind)


def haversine_km(lat1: np.ndarray, lon1: np.ndarray, lat2: np.ndarray, lon2: np.ndarray) -> np.ndarray:
    """Great-circle distance on a sphere of radius 6371 km (DESIGN §1)."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dphi = p2 - p1
    dlmb = np.radians(lon2) - np.radians(lon1)
    a = np.sin(dphi / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


# Size limits of a world, because memory grows with places² × industries: the
# model keeps arrays of (places, places, industries) floats: guidance and aid
# pulls, and two flow tables for EVERY simulated year (model.YearRecord). At
# the cell limit one array is 9.6 MB, a 13-year run holds ~250 MB of them and a
# 200-year run ~3.8 GB; a 3,000-place file (0.9 GB per array) ran out of memory.
# The shipped world has 28 places × 12 industries = 9,408 cells.
MAX_PLACES = 500
MAX_INDUSTRIES = 100
MAX_PLACE_INDUSTRY_PLACE = 1_200_000  # e.g. 316 places × 12 industries, or 500 places × 4 industries
MAX_PAIR_ROWS = MAX_PLACES**2  # ties, distances: at most one row per (origin, destination)
_WHY_CUBE = "; the model keeps places × places × industries arrays, two per simulated year"


def _data_rows(path: Path, required: tuple[str, ...], max_rows: int, why: str = "") -> list[dict[str, str]]:
    """A data file's rows: a regular UTF-8 .csv of at most 5 MB and max_rows rows (model.csvfile rules)."""
    return read_rows(path, required, DATA_FILE, max_rows=max_rows, why=why)


HAND = "hand"  # industry_base's `seeded` value of a row set by hand rather than by the data's rule


@functools.lru_cache(maxsize=16)
def load_world(
    places: Path, industries: Path, ties: Path, industry_base: Path, distances: Path, drop_hand: bool = False
) -> WorldData:
    """Read and check the five data files; cached because replications share them.

    `drop_hand`: leave out industry_base's rows whose optional `seeded` column is "hand" (`world.hand_seeded_rows`).
    """
    ind_rows = _data_rows(industries, ("id", *INDUSTRY_NUMBERS, "source"), MAX_INDUSTRIES, _WHY_CUBE)
    industry_ids = _unique_ids(industries, ind_rows)
    if not industry_ids:
        raise InputError(industries, "rows", "no industries", "at least one row")
    industry_num = {
        col: np.array([number(industries, i + 2, col, r[col], b) for i, r in enumerate(ind_rows)])
        for col, b in INDUSTRY_NUMBERS.items()
    }
    if industry_num["share_of_firms"].sum() <= 0:
        raise InputError(industries, "column share_of_firms", "shares sum to 0", "a positive sum")
    k_of = {k: i for i, k in enumerate(industry_ids)}

    pl_rows = _data_rows(places, (*PLACE_TEXT, *PLACE_NUMBERS, "source"), MAX_PLACES, _WHY_CUBE)
    cells = len(pl_rows) ** 2 * len(ind_rows)
    if cells > MAX_PLACE_INDUSTRY_PLACE:
        raise InputError(
            places,
            "rows",
            f"{len(pl_rows)} places × {len(ind_rows)} industries make arrays of {cells:,} cells",
            f"places² × industries at most {MAX_PLACE_INDUSTRY_PLACE:,}{_WHY_CUBE}",
        )
    place_ids = _unique_ids(places, pl_rows)
    p_of = {p: i for i, p in enumerate(place_ids)}
    kinds = np.array([r["kind"] for r in pl_rows], dtype=object)
    for i, r in enumerate(pl_rows):
        if r["kind"] not in KINDS:
            raise InputError(places, f"row {i + 2}, column kind", f"{short(r['kind'])} is not a kind", ", ".join(KINDS))
    if not np.any(kinds == "origin"):
        raise InputError(places, "column kind", "no place of kind 'origin'", "at least one origin row")
    place_num = {
        col: np.array([number(places, i + 2, col, r[col], b) for i, r in enumerate(pl_rows)])
        for col, b in PLACE_NUMBERS.items()
    }
    partner = np.full(len(place_ids), -1)
    focus = np.zeros((len(place_ids), len(industry_ids)), dtype=bool)
    for i, r in enumerate(pl_rows):
        if r["partner"]:
            j = p_of.get(r["partner"])
            if j is None or kinds[j] != "origin":
                raise InputError(
                    places,
                    f"row {i + 2}, column partner",
                    f"{short(r['partner'])} is not an origin id",
                    "an id of a row of kind origin, or empty",
                )
            partner[i] = j
        for ind in filter(None, (s.strip() for s in r["focus_industries"].split(";"))):
            if ind not in k_of:
                raise InputError(
                    places,
                    f"row {i + 2}, column focus_industries",
                    f"{short(ind)} is not an industry id",
                    ", ".join(industry_ids),
                )
            focus[i, k_of[ind]] = True

    tie = np.zeros((len(place_ids), len(place_ids)))
    for i, r in enumerate(_data_rows(ties, ("origin", "destination", "strength", "source"), MAX_PAIR_ROWS)):
        a, b = _pair(ties, i + 2, r, p_of)
        tie[a, b] = number(ties, i + 2, "strength", r["strength"], (-100.0, 100.0))

    base = np.zeros((len(place_ids), len(industry_ids)))
    base_rows = _data_rows(industry_base, ("place", "industry", "jobs", "source"), MAX_PLACES * MAX_INDUSTRIES)
    for i, r in enumerate(base_rows):
        if drop_hand and (r.get("seeded") or "").strip() == HAND:
            continue
        if r["place"] not in p_of:
            raise InputError(
                industry_base,
                f"row {i + 2}, column place",
                f"{short(r['place'])} is not a place id",
                "ids from places.csv",
            )
        if r["industry"] not in k_of:
            raise InputError(
                industry_base,
                f"row {i + 2}, column industry",
                f"{short(r['industry'])} is not an industry id",
                ", ".join(industry_ids),
            )
        base[p_of[r["place"]], k_of[r["industry"]]] = number(industry_base, i + 2, "jobs", r["jobs"], (0.0, 1e9))

    lat, lon = place_num["lat"], place_num["lon"]
    dist = haversine_km(lat[:, None], lon[:, None], lat[None, :], lon[None, :])
    for i, r in enumerate(_data_rows(distances, ("origin", "destination", "km", "source"), MAX_PAIR_ROWS)):
        a, b = _pair(distances, i + 2, r, p_of)
        dist[a, b] = dist[b, a] = number(distances, i + 2, "km", r["km"], (0.001, 1e5))
    for arr in (lat, lon, partner, focus, tie, base, dist, kinds):
        arr.flags.writeable = False

    return WorldData(
        place_ids=place_ids,
        kinds=kinds,
        lat=lat,
        lon=lon,
        partner=partner,
        focus=focus,
        place_num=place_num,
        place_rows=tuple(pl_rows),
        place_columns=tuple(pl_rows[0].keys()) if pl_rows else (),
        industry_ids=industry_ids,
        industry_num=industry_num,
        ties=tie,
        base_jobs=base,
        distance_km=dist,
    )


def _unique_ids(path: Path, rows: list[dict[str, str]]) -> tuple[str, ...]:
    ids: list[str] = []
    for i, r in enumerate(rows):
        pid = r["id"].strip()
        if not pid or pid in ids:
            raise InputError(
                path, f"row {i + 2}, column id", f"{short(pid)} is empty or repeated", "a unique non-empty id"
            )
        ids.append(pid)
    return tuple(ids)


def _pair(path: Path, row_no: int, row: dict[str, str], p_of: dict[str, int]) -> tuple[int, int]:
    for col in ("origin", "destination"):
        if row[col] not in p_of:
            raise InputError(
                path, f"row {row_no}, column {col}", f"{short(row[col])} is not a place id", "ids from places.csv"
            )
    return p_of[row["origin"]], p_of[row["destination"]]


WORLD_FILES = ("places", "industries", "ties", "industry_base", "distances")  # what load_world reads
RANGES_FILE = "industry_intensity_ranges"  # read when world.intensities asks for a range end or a draw


def data_path(scenario: Scenario, name: str) -> Path:
    """A data file of the scenario (`world.data.<name>`), else the shipped model/data/<name>.csv."""
    return Path(getattr(scenario.world.data, name) or DATA_DIR / f"{name}.csv").resolve()


def world_paths(scenario: Scenario) -> tuple[Path, Path, Path, Path, Path]:
    """The five files of `load_world`: the scenario's own where named, else the shipped ones."""
    return tuple(data_path(scenario, name) for name in WORLD_FILES)  # type: ignore[return-value]


def data_paths(scenario: Scenario) -> tuple[Path, ...]:
    """Every data file a scenario's runs read: the five world files, and the intensity ranges when it uses them."""
    ranges = () if scenario.world.intensities.shipped else (data_path(scenario, RANGES_FILE),)
    return (*world_paths(scenario), *ranges)


@functools.lru_cache(maxsize=16)
def with_intensities(world: WorldData, ranges: Path, setting: Intensities) -> WorldData:
    """The world with the intensity columns `setting` gives (model.intensities); cached, so replications share it."""
    columns = drawn_columns(setting, world.industry_num, read_ranges(ranges, world.industry_ids, world.industry_num))
    return dataclasses.replace(world, industry_num={**world.industry_num, **columns})


def hand_seeded_rows(scenario: Scenario) -> int:
    """How many rows of the scenario's industry_base file are marked seeded=hand (`world.hand_seeded_rows`)."""
    path = data_path(scenario, "industry_base")
    rows = _data_rows(path, ("place", "industry", "jobs", "source"), MAX_PLACES * MAX_INDUSTRIES)
    return sum((r.get("seeded") or "").strip() == HAND for r in rows)


def world_for(scenario: Scenario, scenario_file: str | Path | None = None) -> WorldData:
    """Load the scenario's world, with its intensity setting, and check every id the scenario names against it.

    With every intensity at its point (the default) this is the loaded world
    itself, so such a run is the run without `world.intensities`, bit for bit.
    """
    paths = data_paths(scenario)
    for name, path in zip((*WORLD_FILES, RANGES_FILE), paths, strict=False):
        check_input_file(path, DATA_FILE, named_in=scenario_file, key=f"world.data.{name}")
    world = load_world(*world_paths(scenario), drop_hand=scenario.world.hand_seeded_rows == "drop")
    setting = scenario.world.intensities
    if not setting.shipped:
        world = with_intensities(world, data_path(scenario, RANGES_FILE), setting)
    check_references(scenario, world, scenario_file)
    return world


def check_references(scenario: Scenario, world: WorldData, file: str | Path | None) -> None:
    """Check what a scenario names against the world and its own years, before anything runs.

    - every destination kind is a kind a firm can move to, and every firm has a place to move to;
    - every lever's window lies within `years`;
    - every id a lever lists exists and is of a kind its field allows. The
      fields are found by their `IdsOf` marker (`model.schema`), whatever they
      are called, in every configured lever, so a new lever is checked too.
    """
    for kind in scenario.world.destination_kinds:
        if kind not in KINDS or kind == "origin":
            raise InputError(
                file,
                "world.destination_kinds",
                f"{short(kind)} is not a destination kind",
                ", ".join(DESTINATION_KINDS),
            )
    _check_reachable(scenario, world, file)
    years = scenario.years
    for key, lever in scenario.policies:
        if lever is None:
            continue
        for name in ("start_year", "end_year"):
            year = getattr(lever, name)
            if year is not None and not years.start <= year <= years.end:
                raise InputError(
                    file,
                    f"policies.{key}.{name}",
                    f"{year} is outside the scenario's years",
                    f"years.start to years.end: {years.start} to {years.end}, or null",
                )
        for path, marker, values in id_fields(lever, f"policies.{key}"):
            for i, value in enumerate(values):
                _check_id(world, file, f"{path}[{i}]", marker, value)


def _check_reachable(scenario: Scenario, world: WorldData, file: str | Path | None) -> None:
    """Every firm at an origin has somewhere to go: at least one place of the destination kinds (a firm that has
    moved to the only one stays there: the model handles an empty choice set as staying)."""
    kinds = scenario.world.destination_kinds
    reachable = [p for p, k in zip(world.place_ids, world.kinds, strict=True) if k in kinds]
    if not reachable:
        problem = f"{short(list(kinds))} leave {len(reachable)} destination(s) in the places table"
        if not kinds:
            problem = "no destination kind: no firm could move anywhere"
        raise InputError(
            file,
            "world.destination_kinds",
            problem,
            f"kinds among {', '.join(DESTINATION_KINDS)} with at least one place in the places table",
        )


def _check_id(world: WorldData, file: str | Path | None, key: str, marker: IdsOf, value: str) -> None:
    """One id against the table and kinds its field's marker allows."""
    if marker.table == "industries":
        if value not in world.industry_ids:
            what = "a place id" if value in world.place_ids else "not an industry id"
            problem = f"{short(value)} is {what}; this field takes {marker.describe()}"
            raise InputError(file, key, problem, ", ".join(sorted(world.industry_ids)))
        return
    allowed = sorted(p for p, k in zip(world.place_ids, world.kinds, strict=True) if marker.allows_kind(k))
    if value in allowed:
        return
    if value in world.place_ids:
        kind = world.kinds[world.place_index(value)]
        problem = f"{short(value)} is a place of kind {kind}; this field takes {marker.describe()}"
    else:
        problem = f"{short(value)} is not a place id; this field takes {marker.describe()}"
    raise InputError(file, key, problem, ", ".join(allowed) or f"none: the places file has no {marker.describe()}")
