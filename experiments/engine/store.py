"""Tasks and the run store: what one model run is, and how a finished run is kept.

A `Task` is one model run: a scenario, a seed, labels for the tables (the
replication, the scenario's name, a design point's factor values, …),
whether its flows are kept and, when the command wants a run reduced in its
worker, the `Reducer` to apply (named by the command, so the engine imports
no command's code). Its `key` is a hash of everything the run's numbers
depend on (the scenario without its name, the data files' bytes, the seed,
what is kept), so a stored run is reused by `--resume`, or by a later round
of the same command, only if it would come out the same.

The `RunStore` is the folder `runs/` of a result folder: one JSON file per
finished run, each written atomically, and `state.json` saying which command
and which inputs the runs were made for. Runs are read back in task order, one
at a time, so tables are byte-identical whatever the engine or the worker
count and memory stays flat however many runs there are.

What storing costs and what a crash can lose. The command stores each record
as it comes back from a worker (a batch's records one by one,
experiments.engine.batching): serialised once (about 0.3 ms for a full run's
27 kB of JSON) and written to a new hidden sibling renamed onto its name
(0.1-0.3 ms), with no fsync: with the unpickling, about 0.7 ms of the
command's CPU per run, spent while the workers compute the next runs. That is
under 1 % of a 20,000-firm run and a few % of the smallest (10 ms: 200 firms,
3 years), so the records stay one file per run (what `--resume` of any older
folder reads) rather than lines appended to a shared journal. A stop of the
command (Ctrl-C, SIGTERM, kill -9, a worker that dies) loses only the runs not
yet stored, those in flight in the workers: a stored file is whole, since it
appears by a rename. A crash of the machine (power, kernel) can also lose the
files of the last seconds that the system had not yet written to disk, or
leave one empty; an empty or damaged file is not a run (`RunRecord.from_json`
refuses it), so `--resume` does those runs again and never reads a wrong one.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from model.config import Scenario
from model.outcomes import HORIZON
from model.world import data_paths

RUNS_DIR = "runs"
STATE_FILE = "state.json"


def digest(payload: Any) -> str:
    """A stable hash of JSON-able content (sorted keys)."""
    text = json.dumps(payload, sort_keys=True, default=str, allow_nan=True)
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


@functools.lru_cache(maxsize=256)
def _file_hash(path: Path, size: int, mtime_ns: int) -> str:
    return "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()


def file_hash(path: Path) -> str:
    """sha256 of a file's bytes (cached while the file is unchanged); "missing" for a file that is not there."""
    try:
        st = path.stat()
        return _file_hash(path, st.st_size, st.st_mtime_ns)
    except OSError:
        return "missing"


def data_hashes(scenario: Scenario) -> dict[str, str]:
    """The data files a scenario reads, with the hash of each."""
    return {str(p): file_hash(p) for p in data_paths(scenario)}


def scenario_content(scenario: Scenario) -> dict[str, Any]:
    """What a scenario's runs depend on: everything but its name, text, seed and replication count."""
    core = scenario.model_dump(mode="json", exclude={"name", "description", "extends", "seed", "replications"})
    return {"scenario": core, "data": sorted(data_hashes(scenario).values())}


@dataclass(frozen=True)
class Reducer:
    """A per-run reduction a command supplies: the worker keeps its result (`RunRecord.summary`), not the yearly rows.

    `target` names a module-level function, "module:function", called with the
    run's `model.metrics.Results` and its scenario and returning a flat
    `{name: number}`; the worker imports it by name, so a task stays small and
    picklable and the engine depends on no command. `version` is what the run's
    key records of the reduction (under "summary"): bump it when what the
    function computes changes, so stored reductions are redone, and give a new
    reducer a version no other reducer uses (the hindcast summary's is 1, the
    number its runs were always stored under, so older folders still resume).
    """

    target: str
    version: int


@dataclass(frozen=True)
class Task:
    """One model run; `labels` go into the tables, `flows` keeps the origin-destination flows."""

    task_id: str
    scenario: Scenario
    seed: int
    labels: dict[str, Any] = field(default_factory=dict)
    flows: bool = False
    reducer: Reducer | None = None  # the worker reduces the run to a summary (and keeps no timeseries or mobility)
    # (cut year, prefix key) states this run may resume from or store for another run of its command: planned by
    # experiments.engine.sharing, used by experiments.engine.warm; not part of `key` (the numbers do not depend on it).
    warm: tuple[tuple[int, str], ...] = ()

    @functools.cached_property
    def key(self) -> str:
        what: dict[str, Any] = {"run": scenario_content(self.scenario), "seed": self.seed, "flows": self.flows}
        if self.reducer is not None:
            what["summary"] = self.reducer.version
        return digest(what)


@dataclass
class RunRecord:
    """What is kept of one run: horizon metrics, yearly rows and, when asked, flows."""

    task_id: str
    key: str
    seed: int
    labels: dict[str, Any]
    metrics: dict[str, float] | None = None
    timeseries: list[dict[str, float]] | None = None
    flows: list[list[Any]] | None = None
    hindcast: dict[str, float] | None = None  # the metrics over the hindcast window, if the scenario has one
    stocks: list[list[Any]] | None = None  # with flows: year, place, industry, firms, jobs at the start of each year
    mobility: list[list[Any]] | None = None  # year, size band, age band, firms, movers
    summary: dict[str, float] | None = None  # with Task.reducer: what it returned (e.g. `group|statistic|item`)
    error: str | None = None
    wall_seconds: float = 0.0
    # Years of the run not simulated: it resumed from a stored state (experiments.engine.warm); like wall_seconds,
    # it depends on which worker ran it, so no table reads it.
    warm_years: int = 0

    @property
    def ok(self) -> bool:
        return self.error is None and self.metrics is not None

    def to_json(self) -> str:
        return json.dumps(self.__dict__, sort_keys=True, allow_nan=True)

    @classmethod
    def from_json(cls, text: str) -> RunRecord:
        """The record a worker wrote; ValueError for anything else (a damaged or foreign file is not a run)."""
        fields = json.loads(text)
        if not isinstance(fields, dict):
            raise ValueError("not a run record")
        known = {k: v for k, v in fields.items() if k in cls.__dataclass_fields__}
        record = cls(**known)
        problem = record.shape_problem()
        if problem:
            raise ValueError(problem)
        return record

    def shape_problem(self) -> str | None:
        """What makes this not a record a worker could have written (None if nothing): the analyses read it."""
        if not (isinstance(self.task_id, str) and isinstance(self.key, str) and isinstance(self.labels, dict)):
            return "task_id, key or labels of the wrong type"
        if not _is_int(self.seed) or not _is_number(self.wall_seconds) or not _is_int(self.warm_years):
            return "seed, wall_seconds or warm_years of the wrong type"
        if self.error is not None:
            return None if isinstance(self.error, str) else "error of the wrong type"
        if not _numbers(self.metrics) or any(name not in self.metrics for name in HORIZON):
            return "metrics missing or incomplete"
        for name in ("hindcast", "summary"):
            value = getattr(self, name)
            if value is not None and not _numbers(value):
                return f"{name} of the wrong type"
        if self.timeseries is not None and not (self.timeseries and all(_numbers(row) for row in self.timeseries)):
            return "timeseries empty or of the wrong type"
        for name in ("flows", "stocks", "mobility"):
            rows = getattr(self, name)
            if rows is not None and not (isinstance(rows, list) and all(isinstance(r, list) for r in rows)):
                return f"{name} of the wrong type"
        return None

    def holds(self, task: Task) -> bool:
        """A successful run of exactly this task with every part the task asked for."""
        if not (self.ok and self.key == task.key):
            return False
        if task.reducer is not None:
            return self.summary is not None
        return self.timeseries is not None and (not task.flows or (self.flows is not None and self.stocks is not None))


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _numbers(mapping: Any) -> bool:
    """A mapping of names to numbers (NaN included: an undefined metric is written as NaN)."""
    return isinstance(mapping, dict) and all(isinstance(k, str) and _is_number(v) for k, v in mapping.items())


def read_mapping(path: Path) -> dict[str, Any] | None:
    """A JSON file holding a mapping, or None when it is missing, unreadable or anything else (a state, a manifest)."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return doc if isinstance(doc, dict) else None


def write_text_atomic(path: Path, text: str) -> None:
    """Write a whole file or nothing: a hidden sibling renamed onto the path."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)


class RunStore:
    """`runs/`: one file per finished run, and the state they were made for."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path(self, task_id: str, error: bool = False) -> Path:
        return self.root / (f"{task_id}.error.json" if error else f"{task_id}.json")

    def read(self, task_id: str) -> RunRecord | None:
        """The finished run or its error record, or None if it has not run (or its file is unreadable)."""
        for error in (False, True):
            try:
                return RunRecord.from_json(self.path(task_id, error).read_text(encoding="utf-8"))
            except FileNotFoundError:
                continue
            except (OSError, ValueError, TypeError):
                return None  # a damaged file: the run is done again
        return None

    def finished(self, task: Task) -> bool:
        """A successful run of exactly this task (same key, every part it asked for) is stored."""
        rec = self.read(task.task_id)
        return rec is not None and rec.holds(task)

    def write(self, record: RunRecord) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        write_text_atomic(self.path(record.task_id, error=not record.ok), record.to_json())
        if record.ok:
            self.path(record.task_id, error=True).unlink(missing_ok=True)

    def forget(self, task_id: str) -> None:
        for error in (False, True):
            self.path(task_id, error).unlink(missing_ok=True)

    def clear(self) -> None:
        """No runs: a fresh (not resumed) command starts from nothing."""
        if self.root.is_dir():
            for path in self.root.iterdir():
                if path.is_file():
                    path.unlink()

    def read_state(self) -> dict[str, Any] | None:
        return read_mapping(self.root / STATE_FILE)

    def write_state(self, state: dict[str, Any]) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        write_text_atomic(self.root / STATE_FILE, json.dumps(state, indent=2, sort_keys=True) + "\n")

    def records(self, tasks: Sequence[Task]) -> Iterator[tuple[Task, RunRecord]]:
        """(task, record) in task order; a task without a usable record raises (callers check first)."""
        for task in tasks:
            rec = self.read(task.task_id)
            if rec is None or rec.key != task.key or (rec.ok and not rec.holds(task)):  # an error record is usable
                raise RuntimeError(f"run {task.task_id} has no usable record in {self.root}")
            yield task, rec

    def failures(self, tasks: Sequence[Task]) -> list[RunRecord]:
        """Error records of these tasks, in task order."""
        out = []
        for task in tasks:
            rec = self.read(task.task_id)
            if rec is not None and not rec.ok and rec.key == task.key:
                out.append(rec)
        return out
