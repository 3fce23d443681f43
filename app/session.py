"""What the app simulates: the current settings and their baseline, stepped together on common random numbers.

`AppModel` is the Mesa model the page builds (in a worker thread), steps and resets.
It runs two `RelocationModel`s year by year: the scenario with the levers as
set on the page, and the same scenario with every lever off (the baseline),
both with the same seed, firms and world tables, so that the difference
between them is the levers' effect and not a different draw of the dice.

The two runs are computed ahead of what is shown: `advance` simulates the
next year without showing it (the page runs every year ahead in a worker
thread, a second or so on an idle machine), and `step` shows the next year,
simulating it first only if it has not been run ahead, so that a click takes
effect at once and the report window's totals to its last year are known
at any step once the run ahead is done (`totals(..., ahead=True)`).
Computed years never differ from stepped ones: the same runs, only seen earlier.

A scenario that does not validate does not raise: the model keeps the
one-line message in `error` (and the `InputError` in `problem`, which the page
reports against the box the value came from) and does nothing.
"""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import mesa
import numpy as np

from app.levers import LeverInput, apply_inputs, lever_inputs, scenario_files, shipped_values
from model.config import Scenario
from model.errors import InputError
from model.metrics import YearRecord
from model.model import RelocationModel
from model.scenario import load_raw, validate_mapping, variant
from model.world import WorldData, check_references, world_for
from report.tables import Place

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
FOLDERS_ENV = "RELOCSIM_APP_FOLDERS"  # set by app.serve for the server process
RESULTS_ENV = "RELOCSIM_APP_RESULTS"  # the folders `app --results` named, for the server process
OUTPUTS = ROOT / "outputs"  # where the commands write by default (--out)
FRONTIER, PACKAGES = "frontier.csv", "packages"  # what makes a folder an `optimise` result folder
DEFAULT_SCENARIO = SCENARIOS / "baseline.yaml"
DEFAULT_SEED = 1
SERIES = ("to_north_jobs", "to_jiangsu_jobs", "to_outside_jobs", "relocated_jobs")


@dataclass(frozen=True)
class Loaded:
    """A scenario file as the page needs it: its mapping after `extends`, its inputs, or why it is broken."""

    path: Path
    raw: dict[str, Any]
    scenario: Scenario | None
    inputs: tuple[LeverInput, ...]
    world: WorldData | None = None
    error: str | None = None


@functools.cache
def shipped_maxima() -> dict[tuple[str, str], float]:
    """The largest value of each lever key over the shipped scenarios (the money entry unit's rule), read once."""
    raws = []
    for path in scenario_files(SCENARIOS):
        try:
            raws.append(load_raw(path))
        except InputError:
            continue
    return shipped_values(raws)


def allowed_folders() -> list[Path]:
    """Where the page may open scenario files: the shipped scenarios/ and the folders `app --scenarios` named."""
    named = [Path(p) for p in os.environ.get(FOLDERS_ENV, "").split(os.pathsep) if p]
    return list(dict.fromkeys([SCENARIOS, *named]))


def results_roots() -> list[Path]:
    """Where the page looks for `optimise` folders: outputs/, the --results folders and the --scenarios ones."""
    named = [Path(p) for p in os.environ.get(RESULTS_ENV, "").split(os.pathsep) if p]
    return list(dict.fromkeys([OUTPUTS, *named, *allowed_folders()[1:]]))


def _inside(target: Path, folders: Sequence[Path]) -> bool:
    return any(target.is_relative_to(folder.resolve()) for folder in folders)


def is_optimise_folder(folder: Path) -> bool:
    return (folder / FRONTIER).is_file() and (folder / PACKAGES).is_dir()


def in_results(path: Path) -> bool:
    """Whether the path, after every link, lies in one of the results roots."""
    try:
        return _inside(path.resolve(), results_roots())
    except (OSError, RuntimeError, ValueError):
        return False


def opens(path: Path) -> bool:
    """Whether the path, after every link, lies in one of the allowed folders or is a package of an optimise folder.

    A package is `<folder>/packages/<id>.yaml` of a folder under a results root
    that holds a frontier.csv: the page opens those and nothing else there.
    """
    try:
        target = path.resolve()
    except (OSError, RuntimeError, ValueError):
        return False
    if _inside(target, allowed_folders()):
        return True
    folder = target.parent.parent
    return (
        target.suffix == ".yaml"
        and target.parent.name == PACKAGES
        and _inside(target, results_roots())
        and is_optimise_folder(folder)
    )


def load(path: str | Path) -> Loaded:
    """Read and validate a scenario file; a bad one comes back with its one-line message.

    Only files inside the allowed folders are opened; of any other path the
    page learns nothing, not even whether it exists (the same message for all).
    """
    path = Path(path)
    if not opens(path):
        folders = ", ".join(str(f) for f in allowed_folders())
        message = f"{str(path)[:200]!r}: only scenario files in {folders} can be opened here (start the app with "
        message += "--scenarios DIR to add a folder)"
        return Loaded(path, {}, None, (), None, message)
    try:
        raw = load_raw(path)
        scenario = validate_mapping(raw, path)
        world = world_for(scenario, path)
    except InputError as exc:
        return Loaded(path, {}, None, (), None, exc.message)
    years = (scenario.years.start, scenario.years.report[0], scenario.years.end)
    return Loaded(path, raw, scenario, tuple(lever_inputs(raw, years, shipped_maxima())), world)


def settings_of(loaded: Loaded, entered: Mapping[str, Any]) -> tuple[Scenario, Scenario]:
    """The scenario as entered and its baseline (every lever off); InputError names the key of a bad value.

    `entered` holds the lever inputs by name and `firms` (None: the scenario's) and `seed`. Cheap (no
    model is built), so the page checks every change at once.
    """
    assert loaded.world is not None
    values = dict(entered)
    firms, seed = values.pop("firms", None), values.pop("seed", DEFAULT_SEED)
    raw = apply_inputs(loaded.raw, loaded.inputs, values)
    run = {"seed": seed} if firms is None else {"seed": seed, "firms.count": firms}
    scenario = variant(raw, run, loaded.path)
    base = variant(raw, {**run, "policies": {}}, loaded.path)  # every lever off: the page's baseline
    check_references(scenario, loaded.world, loaded.path)  # e.g. a lever year outside the scenario's
    return scenario, base


def window_sum(records: Sequence[YearRecord], field: str, window: tuple[int, int]) -> float:
    return float(sum(getattr(r, field) for r in records if window[0] <= r.year <= window[1]))


class AppModel(mesa.Model):
    """The page's model: current settings and baseline, one year per step.

    Args:
        scenario_file: the scenario YAML the page picked.
        loaded: that file as `load` read it (the page passes it, so a reset
            reads and checks nothing twice); read here if not given.
        entered: what the page's inputs hold, read once here: lever inputs by
            name (`relocation_aid__yuan_per_job`, in the units the page shows,
            see `app.levers`), `firms` (simulated firms; the scenario's if
            absent) and `seed` (shared by both runs: common random numbers).
    """

    def __init__(
        self,
        scenario_file: str = str(DEFAULT_SCENARIO),
        entered: Mapping[str, Any] | None = None,
        loaded: Loaded | None = None,
    ) -> None:
        entered = dict(entered or {})
        firms, seed = entered.pop("firms", None), entered.pop("seed", DEFAULT_SEED)
        try:
            seed = int(seed)
        except (TypeError, ValueError):
            seed = -1
        super().__init__(rng=max(seed, 0))
        self.scenario_file, self.seed = str(scenario_file), seed
        self.error: str | None = None
        self.problem: InputError | None = None
        self.current: RelocationModel | None = None
        self.baseline: RelocationModel | None = None
        self.running = False
        self.shown = 0  # the number of computed years shown (the page's "current year")
        self._compute = threading.Lock()  # one thread at a time advances the two runs
        if loaded is None or loaded.path != Path(scenario_file):
            loaded = load(scenario_file)
        if loaded.error is not None or loaded.world is None:
            self.error = loaded.error
            return
        try:
            scenario, base = settings_of(loaded, {**entered, "firms": firms, "seed": seed})
        except InputError as exc:
            self.error, self.problem = exc.message, exc
            return
        self.settings = scenario
        self.current = RelocationModel(scenario, self.seed, loaded.world)
        self.baseline = RelocationModel(base, self.seed, loaded.world)
        self.running = True

    @property
    def year(self) -> int | None:
        """The last year shown (None before the first step)."""
        return None if self.current is None or self.shown == 0 else self.current.records[self.shown - 1].year

    @property
    def computed(self) -> int:
        """How many years both runs have simulated (at least `shown`)."""
        return 0 if self.current is None or self.baseline is None else len(self.baseline.records)

    @property
    def total_years(self) -> int:
        return 0 if self.current is None else self.settings.years.end - self.settings.years.start + 1

    def advance(self) -> bool:
        """Simulate the next year of both runs, if there is one; whether there was."""
        with self._compute:
            if self.current is None or self.baseline is None or self.computed >= self.total_years:
                return False
            self.current.step()
            self.baseline.step()
            return True

    def run_ahead(self) -> None:
        """Simulate every remaining year without showing it (the page calls this in a worker thread)."""
        while self.advance():
            pass

    def step(self) -> None:
        """Show the next year (simulating it first if it has not been run ahead)."""
        if self.current is None or not self.running:
            self.running = False
            return
        if self.shown >= self.computed:
            self.advance()
        self.shown = min(self.shown + 1, self.computed)
        self.running = self.shown < self.total_years

    def run_to_end(self) -> None:
        while self.running:
            self.step()

    def records(self, which: str) -> list[YearRecord]:
        """The years shown of one run ("current" or "baseline")."""
        model = self.current if which == "current" else self.baseline
        return [] if model is None else model.records[: self.shown]

    def ahead(self) -> bool:
        """Whether every year has been simulated (so the window's totals to its end are known)."""
        return self.current is not None and self.computed >= self.total_years

    # --- what the page shows -------------------------------------------------

    def years(self) -> np.ndarray:
        return np.array([r.year for r in self.records("current")], dtype=int)

    def series(self, which: str, field: str) -> np.ndarray:
        return np.array([getattr(r, field) for r in self.records(which)], dtype=float)

    def north_share(self, which: str) -> np.ndarray:
        """The north-park share of the jobs moved in each year so far (NaN in a year without moves)."""
        north, moved = self.series(which, "to_north_jobs"), self.series(which, "relocated_jobs")
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(moved > 0, north / np.where(moved > 0, moved, 1), np.nan)

    @functools.cached_property
    def places(self) -> dict[str, Place]:
        """The world's places as the report figures read them (id → Place), in the table's order."""
        rows = self.current.data.place_rows if self.current else ()
        return {r["id"]: Place.of_row(r, float(r["lat"]), float(r["lon"])) for r in rows}

    def fiscal_by_lever(self) -> dict[str, np.ndarray]:
        if self.current is None:
            return {}
        keys = [lever.key for lever in self.current.levers]
        return {k: np.array([r.fiscal_by_lever.get(k, 0.0) for r in self.records("current")]) for k in keys}

    def window(self) -> tuple[int, int]:
        return self.settings.years.report if self.current else (0, 0)

    def totals(self, which: str, *, ahead: bool = False) -> dict[str, float]:
        """Decision quantities over the report window: as far as shown, or (`ahead`) over every year computed."""
        model = self.current if which == "current" else self.baseline
        if model is None:
            return {}
        records = model.records[: self.computed] if ahead else self.records(which)
        w = self.window()
        out = {field: window_sum(records, field, w) for field in SERIES}
        out["fiscal_cost_yuan"] = float(sum(sum(r.fiscal_by_lever.values()) for r in records if w[0] <= r.year <= w[1]))
        moved = out["relocated_jobs"]
        out["north_share_jobs"] = out["to_north_jobs"] / moved if moved > 0 else float("nan")
        return out

    def pair_jobs(self, window: tuple[int, int] | None = None) -> dict[tuple[int, int], float]:
        """(origin, destination) index → jobs moved by the current settings (all years so far, or `window`)."""
        out: dict[tuple[int, int], float] = {}
        for r in self.records("current"):
            if window is not None and not window[0] <= r.year <= window[1]:
                continue
            for o, d, jobs in zip(r.flows[0], r.flows[1], r.flows[4], strict=True):
                key = (int(o), int(d))
                out[key] = out.get(key, 0.0) + float(jobs)
        return out

    def top_destinations(self, n: int = 5) -> dict[int, list[tuple[int, float]]]:
        """Origin index → its top `n` destinations by jobs received so far (ties by place order)."""
        by_origin: dict[int, list[tuple[int, float]]] = {}
        for (o, d), jobs in self.pair_jobs().items():
            by_origin.setdefault(o, []).append((d, jobs))
        return {o: sorted(v, key=lambda t: (-t[1], t[0]))[:n] for o, v in sorted(by_origin.items())}
