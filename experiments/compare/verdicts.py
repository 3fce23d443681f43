"""Each compared scenario's verdict: as expected, contrary or inconclusive, from the levers it adds.

A scenario that adds levers to the baseline's (and removes none) leads one to
expect what those levers' declared `acts_on` promise together
(experiments.analysis.verdicts.lever_checks: a pull part raises north-park
jobs, pull only does not raise outside-province jobs, a push part raises
relocated jobs), and its paired changes (decision.csv) are judged against
that: as expected, contrary, or inconclusive at this many replications. A
scenario that removes a lever, or only changes the settings of the
baseline's levers, has no expected sign, and gets no verdict.
"""

from __future__ import annotations

from experiments.analysis.verdicts import (
    Verdict,
    count_text,
    expectation_words,
    lever_verdict,
    replications_words,
)
from experiments.compare.read import Comparison


def acts_on(c: Comparison, scenario: str) -> tuple[str, ...] | None:
    """What the levers the scenario adds act on, or None when no direction is expected (module docstring)."""
    from model.levers import REGISTRY

    base, other = set(c.resolved[c.baseline].levers), set(c.resolved[scenario].levers)
    added = other - base
    if base - other or not added or any(key not in REGISTRY for key in added):
        return None
    return tuple(sorted({part for key in added for part in REGISTRY[key].acts_on}))


def verdict(c: Comparison, scenario: str) -> Verdict | None:
    parts = acts_on(c, scenario)
    if parts is None:
        return None
    names = ("to_north_jobs", "to_outside_jobs", "relocated_jobs")
    return lever_verdict(parts, {q: (c.change(scenario, q).low, c.change(scenario, q).high) for q in names})


def _at(c: Comparison) -> str:
    """The replications the intervals are over (and the draws, over a posterior)."""
    return replications_words(c.replications, c.posterior.draws if c.posterior is not None else None)


def verdict_text(c: Comparison, scenario: str) -> str:
    """`inconclusive at 3 replications (expected from its levers: north-park jobs rise, …)`, or why none."""
    v = verdict(c, scenario)
    if v is None:
        return "no verdict (it removes a lever or only changes the baseline's settings: no expected sign)"
    parts = acts_on(c, scenario) or ()
    state = f"inconclusive at {_at(c)}" if v == Verdict.INCONCLUSIVE else str(v)
    return f"{state} (expected from the levers it adds: {expectation_words(parts)})"


def counts_text(c: Comparison) -> str:
    """`0 of 2 scenarios as expected, 0 contrary, 2 inconclusive at 2 replications` (those with a verdict)."""
    states = [v for s in c.others if (v := verdict(c, s)) is not None]
    text = count_text(states, "scenarios", c.replications, _at(c))
    none = len(c.others) - len(states)
    return text + (f"; {none} with no expected sign" if none else "")
