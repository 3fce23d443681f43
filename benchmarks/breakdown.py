"""Where a run's time goes: seconds per section, by wrapping the model's functions while benchmarking.

`breakdown(factory, scenario, seed)` replaces, for the duration of one run, the
functions listed in `SECTIONS` by timed wrappers (`time.perf_counter`
accumulators), runs the model, and puts the originals back. Each wrapper
charges its own time less that of the wrapped functions it calls (exclusive
time), so the sections add up to the run; whatever the model does outside
them (the year's random draws, the batch order, masks) is "step (draws, order)".
Everything a section calls inside the constructor counts as construction.

Nothing is timed when this module is not used: the model carries no timing code.
The wrappers cost about a microsecond per call, a few milliseconds per run.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import mesa

import model.groups
import model.metrics
import model.model
import model.rows
import model.state
from model.config import Scenario

# (section, owner, attribute): the functions charged to each section.
SECTIONS: tuple[tuple[str, Any, str], ...] = (
    ("construction", model.model.RelocationModel, "__init__"),
    ("world and levers", model.state.WorldState, "begin_year"),
    ("world and levers", model.model.RelocationModel, "_context"),
    ("utilities", model.rows.YearRows, "__init__"),
    ("utilities", model.rows.YearRows, "within"),
    ("utilities", model.rows.YearRows, "utilities"),
    ("push", model.model.RelocationModel, "_push"),
    ("push", model.groups.FirmGroups, "group"),
    ("nested logit", model.rows, "nested_logit"),
    ("nested logit", model.rows, "factored_nest_values"),
    ("nested logit", model.rows, "inclusive_value"),
    ("nested logit", model.model, "sample_choice"),
    ("settlement", model.model, "pay_offers"),
    ("settlement", model.model, "move_shock"),
    ("settlement", model.model.RelocationModel, "_move_batch"),
    ("settlement", model.model.RelocationModel, "_add_jobs"),
    ("settlement", model.model.RelocationModel, "_close"),
    ("settlement", model.groups.FirmGroups, "moved"),
    ("records", model.model.RelocationModel, "_record"),
    ("records", model.model.RelocationModel, "_stocks"),
    ("records", model.model.RelocationModel, "_mobility"),
    ("records", mesa.DataCollector, "collect"),
    ("records", model.metrics.Results, "from_records"),
)
STEP = "step (draws, order)"
ORDER = ("construction", "world and levers", "utilities", "push", "nested logit", "settlement", "records", STEP)


class _Clock:
    """Exclusive seconds per section: a stack of (section, start, children's seconds)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = dict.fromkeys(ORDER, 0.0)
        self.stack: list[list[Any]] = []

    def wrap(self, section: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def timed(*args: Any, **kwargs: Any) -> Any:
            inside_construction = any(frame[0] == "construction" for frame in self.stack)
            frame = [section, time.perf_counter(), 0.0]
            self.stack.append(frame)
            try:
                return fn(*args, **kwargs)
            finally:
                self.stack.pop()
                spent = time.perf_counter() - frame[1]
                if self.stack:
                    self.stack[-1][2] += spent
                if not inside_construction:
                    self.seconds[section] += spent - frame[2]

        return timed


@contextmanager
def _wrapped(clock: _Clock) -> Iterator[None]:
    saved = []
    for section, owner, name in SECTIONS:
        original = owner.__dict__[name] if isinstance(owner, type) else getattr(owner, name)
        if isinstance(original, classmethod):
            wrapped: Any = classmethod(clock.wrap(section, original.__func__))
        else:
            wrapped = clock.wrap(section, original)
        saved.append((owner, name, original))
        setattr(owner, name, wrapped)
    try:
        yield
    finally:
        for owner, name, original in reversed(saved):
            setattr(owner, name, original)


@contextmanager
def _cadence(counts: dict[str, float]) -> Iterator[None]:
    """Count the batches and years of a run and the inclusive seconds spent in batches (`counts`)."""
    owner = model.model.RelocationModel
    batch, step = owner.__dict__["_move_batch"], owner.__dict__["step"]

    def timed_batch(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return batch(*args, **kwargs)
        finally:
            counts["batch seconds"] += time.perf_counter() - started
            counts["batches"] += 1

    def counted_step(*args: Any, **kwargs: Any) -> Any:
        counts["years"] += 1
        return step(*args, **kwargs)

    owner._move_batch, owner.step = timed_batch, counted_step  # type: ignore[method-assign]
    try:
        yield
    finally:
        owner._move_batch, owner.step = batch, step  # type: ignore[method-assign]


CADENCE = ("batches", "years", "batch seconds")


def breakdown(factory: Callable[[Scenario, int], Any], scenario: Scenario, seed: int) -> dict[str, float]:
    """Seconds per section (`ORDER`) of one construction and run, "total" (the run timed as a whole), and
    its cadence (`CADENCE`): how many batches and years, and the seconds spent inside batches."""
    clock = _Clock()
    counts = dict.fromkeys(CADENCE, 0.0)
    with _wrapped(clock), _cadence(counts):
        started = time.perf_counter()
        factory(scenario, seed).run()
        total = time.perf_counter() - started
    clock.seconds[STEP] = total - sum(clock.seconds.values())
    clock.seconds["total"] = total
    return clock.seconds | counts
