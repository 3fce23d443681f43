"""Verdicts with three states: as expected, contrary, or inconclusive at this many replications.

A verdict compares a paired change's 95 % interval with what a lever leads one
to expect. One check is a direction for one change:

- `RISE`: as expected when the interval lies above 0, contrary when it lies
  below 0, inconclusive when it includes 0 (whatever the mean's sign: the
  replications cannot tell the change from none);
- `NOT_RISE`: as expected when the interval does not lie above 0 (a change
  that is 0 or negative, or cannot be told from 0), contrary when it lies
  above 0.

A verdict over several checks is contrary when any check is, inconclusive
when none is contrary but some is inconclusive, and as expected only when
every check is; it is undefined when some interval is (fewer than 2 finite
replications). Counts are always reported per state
(`2 of 8 levers as expected, 0 contrary, 6 inconclusive at 3 replications`),
so that an inconclusive lever is never read as one that failed.

What a lever's declared `acts_on` (model.levers) leads one to expect
(DESIGN §3): a lever with a pull part raises north-park jobs; a pull-only
lever does not raise outside-province jobs (money or amenities offered at
some destinations draw movers from staying and from the other nests: the
inclusive-value contract); a lever with a push part raises relocated jobs.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum


class Verdict(StrEnum):
    """The state of one verdict; its value is the word written in tables and summaries."""

    AS_EXPECTED = "as expected"
    CONTRARY = "contrary"
    INCONCLUSIVE = "inconclusive"
    UNDEFINED = "undefined"


RISE = "rise"
NOT_RISE = "not rise"
ORDER = (Verdict.AS_EXPECTED, Verdict.CONTRARY, Verdict.INCONCLUSIVE, Verdict.UNDEFINED)


@dataclass(frozen=True)
class Check:
    """One expected direction of one change (a catalogue metric id) and how it reads in words."""

    name: str
    direction: str  # RISE or NOT_RISE
    words: str


def check_verdict(direction: str, low: float, high: float) -> Verdict:
    """The state of one check on a change's 95 % interval [low, high] (module docstring)."""
    if not (math.isfinite(low) and math.isfinite(high)):
        return Verdict.UNDEFINED
    if direction == RISE:
        if low > 0:
            return Verdict.AS_EXPECTED
        return Verdict.CONTRARY if high < 0 else Verdict.INCONCLUSIVE
    if direction == NOT_RISE:
        return Verdict.CONTRARY if low > 0 else Verdict.AS_EXPECTED
    raise ValueError(f"unknown direction {direction!r}: {RISE!r} or {NOT_RISE!r}")


def combine(states: Iterable[Verdict]) -> Verdict:
    """One verdict from its checks': contrary beats undefined beats inconclusive beats as expected."""
    seen = set(states)
    for state in (Verdict.CONTRARY, Verdict.UNDEFINED, Verdict.INCONCLUSIVE):
        if state in seen:
            return state
    return Verdict.AS_EXPECTED


def lever_checks(acts_on: Sequence[str]) -> list[Check]:
    """What a lever's `acts_on` leads one to expect, as checks (module docstring)."""
    checks = []
    if "pull" in acts_on:
        checks.append(Check("to_north_jobs", RISE, "north-park jobs rise"))
    if set(acts_on) == {"pull"}:
        checks.append(Check("to_outside_jobs", NOT_RISE, "outside-province jobs do not"))
    if "push" in acts_on:
        checks.append(Check("relocated_jobs", RISE, "relocated jobs rise"))
    return checks


def expectation_words(acts_on: Sequence[str]) -> str:
    """`north-park jobs rise, outside-province jobs do not`: the checks of lever_checks in words."""
    return ", ".join(c.words for c in lever_checks(acts_on))


def lever_verdict(acts_on: Sequence[str], intervals: dict[str, tuple[float, float]]) -> Verdict:
    """The verdict on a lever's changes, `intervals`: metric id -> (low, high) of its paired change."""
    checks = lever_checks(acts_on)
    if not checks:
        return Verdict.UNDEFINED
    return combine(check_verdict(c.direction, *intervals[c.name]) for c in checks)


def signs_agree(acts_on: Sequence[str], means: dict[str, float]) -> bool:
    """Whether every mean change points the way the lever's checks expect (a NOT_RISE check: mean ≤ 0)."""
    checks = lever_checks(acts_on)
    return bool(checks) and all((means[c.name] > 0) == (c.direction == RISE) for c in checks)


WORDS = ", ".join(v.value for v in ORDER)


def parse_verdict(text: str) -> Verdict | None:
    """A verdict read back from a table (None when the text is none of WORDS)."""
    try:
        return Verdict(text.strip().lower())
    except ValueError:
        return None


def replications_words(replications: int, draws: int | None = None) -> str:
    """`3 replications`, or over a posterior `10 posterior draws × 3 replications`."""
    text = f"{replications} replication" + ("" if replications == 1 else "s")
    return text if draws is None else f"{draws} posterior draws × {text}"


def count_text(states: Sequence[Verdict], noun: str, replications: int, at: str = "") -> str:
    """`2 of 8 levers as expected, 0 contrary, 6 inconclusive at 3 replications` (undefined only when some are).

    `at` replaces the replications' words where the intervals are over something else (`10 posterior draws × 3
    replications`)."""
    counts = {s: sum(1 for x in states if x == s) for s in ORDER}
    text = (
        f"{counts[Verdict.AS_EXPECTED]} of {len(states)} {noun} as expected, {counts[Verdict.CONTRARY]} contrary, "
        f"{counts[Verdict.INCONCLUSIVE]} inconclusive at {at or replications_words(replications)}"
    )
    if counts[Verdict.UNDEFINED]:
        text += f", {counts[Verdict.UNDEFINED]} undefined (no interval)"
    return text


ABOVE = "above"
BELOW = "below"


def direction(low: float, high: float) -> str:
    """A change against a reference with no expected sign: above, below, inconclusive (includes 0) or undefined."""
    if not (math.isfinite(low) and math.isfinite(high)):
        return Verdict.UNDEFINED
    if low > 0:
        return ABOVE
    return BELOW if high < 0 else Verdict.INCONCLUSIVE


def difference_text(intervals: Sequence[tuple[float, float]], noun: str, replications: int, against: str) -> str:
    """`3 of 12 points differ from the base beyond noise (2 above, 1 below), 9 inconclusive at 2 replications`."""
    states = [direction(lo, hi) for lo, hi in intervals]
    above, below = states.count(ABOVE), states.count(BELOW)
    text = (
        f"{above + below} of {len(states)} {noun} differ from {against} beyond noise ({above} above, {below} below), "
        f"{states.count(Verdict.INCONCLUSIVE)} inconclusive at {replications_words(replications)}"
    )
    undefined = states.count(Verdict.UNDEFINED)
    return text + (f", {undefined} undefined (no interval)" if undefined else "")
