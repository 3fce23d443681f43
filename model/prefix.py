"""Which runs share their first years: the rule that lets a run start from another run's stored state.

Two runs are identical up to the end of year Y (their *prefix*) when they draw
the same firms and the same random numbers and nothing that differs between
them acts before Y + 1. What may differ is only what a scenario *gates by a
year*:

- every lever under `policies:` (it acts from its `start_year`; no
  `start_year` means from the first year), and
- `world.outside.rise` (other provinces' rise, from its `start_year`).

Everything else a run depends on is kept whole in the prefix key: the world
data (a fingerprint of the loaded tables), the run's seed, the cut year Y and
the scenario without its name, description, `extends`, seed and replication
count (the fields the model never reads, as in the engine's task key), with
every gated part removed. A scenario whose gated parts all start after Y has
the same key as the scenario without them (the *stripped* scenario), so a
baseline and any package whose levers start in 2024 share the key of 2023.

Being declared to start later is not trusted on its own: a lever's `apply`
runs every year and could change the world before its window opens (a clip,
a stock, a budget). `replay` rebuilds the scenario's world state and levers
for the years through Y and requires, year by year, that the state after
every lever's `apply` is bit for bit the stripped scenario's state, that no
lever offers a payment and that every lever spends 0. A scenario that fails
the check shares nothing (the rule is conservative: when unsure, no sharing).
Behaviour coefficients, firm counts, years, seeds and world data are never
stripped, so runs that differ in any of them never share (calibration and
sensitivity over behaviour parameters get no warm starts, by design).
"""

from __future__ import annotations

import hashlib
import json
import pickle
import weakref
from dataclasses import dataclass
from typing import Any

import numpy as np

from model.config import Scenario
from model.levers import Lever, build_levers
from model.state import WorldState
from model.world import WorldData

KEY_VERSION = 1  # bump when what a prefix key covers changes
IGNORED = frozenset({"name", "description", "extends", "seed", "replications"})  # never read by the model
MAX_VERDICTS = 4096  # `dormant`'s verdicts kept per process (then forgotten at once: they are cheap to redo)
_fingerprints: weakref.WeakKeyDictionary[WorldData, str] = weakref.WeakKeyDictionary()
_verdicts: dict[str, bool | None] = {}  # None: the check read more than NARROW, see the whole scenario's verdict
NARROW = ("years", "world", "policies")  # what WorldState and the shipped levers read of a scenario


def data_fingerprint(data: WorldData) -> str:
    """sha256 of the loaded world tables (computed once per loaded object)."""
    found = _fingerprints.get(data)
    if found is None:
        found = hashlib.sha256(pickle.dumps(data.__dict__, protocol=5)).hexdigest()
        _fingerprints[data] = found
    return found


def first_gated_year(scenario: Scenario) -> int | None:
    """The first year any gated part (a lever, the outside rise) may act; None when the scenario has none."""
    first: list[int] = []
    for _key, config in scenario.policies:
        if config is not None:
            start = getattr(config, "start_year", None)
            first.append(start if isinstance(start, int) else scenario.years.start)
    rise = scenario.world.outside.rise
    if rise is not None:
        first.append(rise.start_year)
    return min(first) if first else None


def shared_through(scenario: Scenario) -> int:
    """The last year through which a run is its stripped scenario's run (years.end when nothing is gated).

    Below `years.start` (a lever acts in the first year) the run shares nothing.
    """
    first = first_gated_year(scenario)
    end = scenario.years.end
    return end if first is None else min(first - 1, end)


def stripped(scenario: Scenario) -> Scenario:
    """The scenario without its gated parts: no levers, no outside rise (what a prefix is a run of)."""
    world = scenario.world
    if world.outside.rise is not None:
        world = world.model_copy(update={"outside": world.outside.model_copy(update={"rise": None})})
    return scenario.model_copy(update={"policies": type(scenario.policies)(), "world": world})


def prefix_key(scenario: Scenario, seed: int, data: WorldData, cut: int) -> str | None:
    """The key of the run's state after year `cut`, or None when nothing gated may be stripped through it.

    Equal keys mean equal states, provided `replay` accepts both scenarios through `cut`.
    """
    if not scenario.years.start <= cut <= shared_through(scenario):
        return None
    what = {
        "version": KEY_VERSION,
        "data": data_fingerprint(data),
        "seed": int(seed),
        "cut": cut,
        "scenario": stripped(scenario).model_dump(mode="json", exclude=set(IGNORED)),
    }
    return hashlib.sha256(json.dumps(what, sort_keys=True, allow_nan=True).encode()).hexdigest()


@dataclass
class Replay:
    """A scenario's levers and world state rebuilt through year `cut`, as a run from the start has them.

    `spends[i]` is what each lever returned in year start + i (every value 0:
    a prefix spends nothing), keyed like a YearRecord's `fiscal_by_lever`.
    """

    cut: int
    levers: list[Lever]
    state: WorldState
    spends: list[dict[str, float]]


def replay(scenario: Scenario, data: WorldData, cut: int, *, check: bool = True) -> Replay | None:
    """The levers and state of a run of `scenario` after year `cut`; None if a gated part acts by then.

    With `check`, every year's state after the levers is compared bit for bit
    with the stripped scenario's (see the module docstring); without it the
    levers are only brought to year `cut` (for a scenario `dormant` accepted).
    """
    return _replay(scenario, data, cut, check, scenario)


def _replay(scenario: Scenario, data: WorldData, cut: int, check: bool, seen: Any) -> Replay | None:
    """`replay`, the world state and the levers given `seen` (the scenario, or a `_Watched` one) as theirs."""
    state = WorldState(data, seen)
    levers = build_levers(seen, data)
    reference = WorldState(data, stripped(scenario)) if check else None
    spends: list[dict[str, float]] = []
    for year in range(scenario.years.start, cut + 1):
        state.begin_year(year)
        spend = {lever.key: lever.apply(state, year) for lever in levers}
        if reference is not None:
            reference.begin_year(year)
            if state.offers or any(v != 0 for v in spend.values()) or not same_state(state, reference):
                return None
        spends.append(spend)
    return Replay(cut, levers, state, spends)


class _Watched:
    """A scenario as the check's world state and levers see it: the names of the fields they read are kept."""

    def __init__(self, scenario: Scenario) -> None:
        self._scenario = scenario
        self.read: set[str] = set()

    def __getattr__(self, name: str) -> Any:
        self.read.add(name)
        return getattr(self._scenario, name)


def dormant(scenario: Scenario, data: WorldData, cut: int) -> bool:
    """Whether `replay` accepts the scenario through `cut`; each verdict is kept for what the check read.

    The check runs the world state and the levers on the scenario and notes
    which of its fields they read. When that is only `NARROW` (the shipped
    levers and `WorldState` read no more), the verdict is kept for the data,
    the cut and those fields, so scenarios that differ only in behaviour
    coefficients or firms (a sensitivity design) are checked once; a lever
    that reads more has its verdicts kept per whole scenario content.
    """
    if first_gated_year(scenario) is None:
        return True  # nothing gated: the scenario is its own stripped scenario
    classes = [f"{c.__module__}.{c.__qualname__}" for c in getattr(type(scenario.policies), "lever_classes", ())]
    head = {"data": data_fingerprint(data), "cut": cut, "levers": classes}
    narrow = json.dumps({**head, **{name: _dump(getattr(scenario, name)) for name in NARROW}}, sort_keys=True)
    verdict = _verdicts.get(narrow)
    if verdict is not None:
        return verdict
    whole = json.dumps({**head, "scenario": scenario.model_dump(mode="json", exclude=set(IGNORED))}, sort_keys=True)
    if narrow in _verdicts:  # a lever read more than NARROW: verdicts per whole scenario
        found = _verdicts.get(whole)
        if found is not None:
            return found
    watched = _Watched(scenario)
    verdict = _replay(scenario, data, cut, True, watched) is not None
    if len(_verdicts) >= MAX_VERDICTS:
        _verdicts.clear()
    if watched.read <= set(NARROW):
        _verdicts[narrow] = verdict
    else:
        _verdicts[narrow] = None
        _verdicts[whole] = verdict
    return verdict


def _dump(value: Any) -> Any:
    return value.model_dump(mode="json") if hasattr(value, "model_dump") else value


def same_state(a: WorldState, b: WorldState) -> bool:
    """Every attribute of two world states equal bit for bit (the data and scenario objects aside)."""
    va, vb = vars(a), vars(b)
    if va.keys() != vb.keys():
        return False
    return all(_same(va[k], vb[k]) for k in va if k not in ("data", "scenario"))


def _same(x: Any, y: Any) -> bool:
    if isinstance(x, np.ndarray) or isinstance(y, np.ndarray):
        if not (isinstance(x, np.ndarray) and isinstance(y, np.ndarray)):
            return False
        if x.dtype != y.dtype or x.shape != y.shape:
            return False
        bx, by = _bits(x), _bits(y)
        return bool(np.array_equal(bx, by))
    if isinstance(x, list | tuple) and isinstance(y, list | tuple):
        return type(x) is type(y) and len(x) == len(y) and all(_same(p, q) for p, q in zip(x, y, strict=True))
    return type(x) is type(y) and bool(x == y)


def _bits(a: np.ndarray) -> np.ndarray:
    """The array's bytes as unsigned integers (so -0.0 and 0.0, or two NaNs, are told apart exactly)."""
    flat = np.ascontiguousarray(a).reshape(-1).view(np.uint8)
    return flat.view(np.uint64) if flat.size % 8 == 0 else flat
