"""Verdicts with three states and the one-line warning about too few replications.

A verdict is as expected only when every interval it is judged by lies on the
expected side of 0, contrary when one lies on the other side, inconclusive
when one includes 0, whatever the means' signs; the warning appears where the
t factor of the intervals is far from the normal one and says how many
replications would do.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from experiments.analysis import replications
from experiments.analysis.verdicts import (
    NOT_RISE,
    RISE,
    Verdict,
    check_verdict,
    count_text,
    difference_text,
    lever_verdict,
    signs_agree,
)
from experiments.engine.report import Report, _warned

PULL = ("pull",)


def _changes(north: tuple[float, float], outside: tuple[float, float] = (-1.0, 1.0)) -> dict[str, tuple[float, float]]:
    return {"to_north_jobs": north, "to_outside_jobs": outside, "relocated_jobs": (-1.0, 1.0)}


def test_an_interval_that_includes_0_with_the_expected_sign_is_inconclusive() -> None:
    changes = _changes(north=(-200.0, 5000.0), outside=(-3000.0, 100.0))
    assert signs_agree(PULL, {"to_north_jobs": 2400.0, "to_outside_jobs": -1450.0, "relocated_jobs": 0.0})
    assert lever_verdict(PULL, changes) == Verdict.INCONCLUSIVE
    assert check_verdict(RISE, -200.0, 5000.0) == Verdict.INCONCLUSIVE


def test_an_interval_that_excludes_0_on_the_wrong_side_is_contrary() -> None:
    assert check_verdict(RISE, -900.0, -10.0) == Verdict.CONTRARY
    assert lever_verdict(PULL, _changes(north=(-900.0, -10.0))) == Verdict.CONTRARY
    # a pull-only lever that raises outside-province jobs beyond noise breaks the inclusive-value contract
    assert lever_verdict(PULL, _changes(north=(100.0, 900.0), outside=(5.0, 60.0))) == Verdict.CONTRARY
    # contrary on one check outweighs an inconclusive other
    assert lever_verdict(("pull", "push"), {**_changes(north=(-5.0, 5.0)), "relocated_jobs": (-9.0, -1.0)}) == (
        Verdict.CONTRARY
    )


def test_as_expected_only_when_every_check_is() -> None:
    assert lever_verdict(PULL, _changes(north=(100.0, 900.0), outside=(-50.0, 20.0))) == Verdict.AS_EXPECTED
    assert check_verdict(NOT_RISE, -50.0, 20.0) == Verdict.AS_EXPECTED
    assert lever_verdict(PULL, _changes(north=(math.nan, math.nan))) == Verdict.UNDEFINED


def test_counts_name_every_state_and_the_replications() -> None:
    states = [Verdict.AS_EXPECTED] * 2 + [Verdict.INCONCLUSIVE] * 6
    assert count_text(states, "levers", 3) == "2 of 8 levers as expected, 0 contrary, 6 inconclusive at 3 replications"
    assert count_text([Verdict.UNDEFINED], "levers", 1).endswith("at 1 replication, 1 undefined (no interval)")


def test_differences_without_an_expected_sign_are_above_below_or_inconclusive() -> None:
    text = difference_text([(1.0, 2.0), (-3.0, -1.0), (-1.0, 1.0), (-1.0, 4.0)], "points", 2, "the base")
    want = "2 of 4 points differ from the base beyond noise (1 above, 1 below), 2 inconclusive at 2 replications"
    assert text == want


def test_two_replications_are_warned_of_and_twenty_are_not() -> None:
    two = replications.warning(2)
    assert two.startswith("replications: 2 — 95% intervals are very wide (t = 12.7")
    assert f"use ≥ {replications.usable()} " in two and "\n" not in two
    assert replications.warning(20) == "" and replications.warning(None) == ""
    assert "no 95% interval exists" in replications.warning(1)
    assert "wide (t = 2.78" in replications.warning(5)  # usable, not yet good


def test_the_counts_follow_from_the_stated_t_rule() -> None:
    from experiments.analysis.stats import NORMAL_975, t_quantile_975

    use, ok = replications.usable(), replications.good()
    assert t_quantile_975(use - 1) <= replications.USABLE_T_FACTOR * NORMAL_975 < t_quantile_975(use - 2)
    assert t_quantile_975(ok - 1) <= replications.GOOD_T_FACTOR * NORMAL_975 < t_quantile_975(ok - 2)
    assert (use, ok) == (5, 9)


class _Fake(Report[None]):
    document = "fake.md"

    def __init__(self, n: int | None) -> None:
        self.n = n

    def read(self, folder: Path) -> None:
        return None

    def markdown(self, data: None, figures: object) -> str:
        return "# Title\n\nBody.\n"

    def summary(self, folder: Path) -> list[str]:
        return ["fake -> folder", "  a line"]

    def replications(self, folder: Path) -> int | None:
        return self.n


@pytest.mark.parametrize(("n", "warned"), [(2, True), (20, False), (None, False)])
def test_every_command_summary_and_report_carry_the_warning_line(n: int | None, warned: bool, tmp_path: Path) -> None:
    lines = _Fake(n).with_warning(tmp_path)
    assert len(lines) == 3 if warned else lines == ["fake -> folder", "  a line"]
    if warned:
        assert lines[1].startswith("  warning — replications: 2")
    text = _warned("# Title\n\nBody.\n", n)
    assert text.splitlines()[0] == "# Title" and text.endswith("Body.\n")
    assert ("**Warning — replications: 2" in text) == warned


def test_a_sobol_share_of_1_3_prints_unresolved_with_its_raw_value_in_the_report() -> None:
    from types import SimpleNamespace

    from experiments.sensitivity.read import Index
    from experiments.sensitivity.report import index_text
    from experiments.validation.sections import _index_text
    from model.outcomes import metric
    from report.markdown import sobol_text
    from report.read import Estimate

    sobol = SimpleNamespace(method="sobol")
    m = metric("to_north_jobs")
    assert index_text(sobol, m, Index(1.3, 0.4), "ST", raw=False) == "unresolved"  # type: ignore[arg-type]
    assert index_text(sobol, m, Index(1.3, 0.4), "ST").startswith("unresolved (raw: 130")  # type: ignore[arg-type]
    assert index_text(sobol, m, Index(-0.2, 0.1), "S1", raw=False) == "unresolved"  # type: ignore[arg-type]
    assert "unresolved" not in index_text(sobol, m, Index(0.45, 0.1), "ST")  # type: ignore[arg-type]
    assert _index_text(Estimate(1.3, 0.2, 2.4)) == "unresolved (raw: 1.30 (0.20 to 2.40))"
    assert _index_text(Estimate(0.5, 0.2, 0.8)) == "0.50 (0.20 to 0.80)"
    assert sobol_text(1.0, "100%") == "100%" and sobol_text(0.0, "0%") == "0%"


def _comparison(levers: dict[str, tuple[str, ...]], north: tuple[float, float], n: int = 3) -> object:
    """A stand-in for experiments.compare.read.Comparison: what the verdicts read of it."""
    from types import SimpleNamespace

    from report.read import Estimate, Resolved

    changes = {"to_north_jobs": north, "to_outside_jobs": (-10.0, 5.0), "relocated_jobs": (-10.0, 5.0)}
    names = list(levers)
    return SimpleNamespace(
        baseline=names[0],
        others=names[1:],
        replications=n,
        posterior=None,
        resolved={k: Resolved(levers=v) for k, v in levers.items()},
        change=lambda s, q: Estimate(sum(changes[q]) / 2, *changes[q]),
    )


def test_a_compared_scenario_is_judged_by_the_levers_it_adds() -> None:
    from experiments.compare.verdicts import counts_text, verdict, verdict_text

    inconclusive = _comparison({"base": (), "aid": ("relocation_aid",)}, north=(-50.0, 900.0))
    assert verdict(inconclusive, "aid") == Verdict.INCONCLUSIVE  # type: ignore[arg-type]
    assert verdict_text(inconclusive, "aid").startswith("inconclusive at 3 replications (expected")  # type: ignore[arg-type]
    contrary = _comparison({"base": (), "aid": ("relocation_aid",)}, north=(-900.0, -50.0))
    assert verdict(contrary, "aid") == Verdict.CONTRARY  # type: ignore[arg-type]
    removed = _comparison({"base": ("talent",), "none": ()}, north=(50.0, 900.0))
    assert verdict(removed, "none") is None  # type: ignore[arg-type]
    text = counts_text(removed)  # type: ignore[arg-type]
    assert text == "0 of 0 scenarios as expected, 0 contrary, 0 inconclusive at 3 replications; 1 with no expected sign"


def test_sweep_points_are_above_below_or_inconclusive() -> None:
    from types import SimpleNamespace

    from experiments.sweep.report import noise_text
    from report.read import Estimate

    def point(low: float, high: float, judged: bool = True) -> object:
        return SimpleNamespace(
            diff=Estimate((low + high) / 2, low, high), within_noise=(low <= 0 <= high) if judged else None
        )

    assert noise_text(point(1.0, 3.0)) == "above the base"  # type: ignore[arg-type]
    assert noise_text(point(-3.0, -1.0)) == "below the base"  # type: ignore[arg-type]
    assert noise_text(point(-1.0, 3.0)).startswith("inconclusive")  # type: ignore[arg-type]
    assert noise_text(point(math.nan, math.nan, judged=False)) == "–"  # type: ignore[arg-type]


def test_an_interval_held_inside_its_bounds_by_two_replications_is_marked() -> None:
    from experiments.run.report import _cell

    share = (0.0, 1.0)
    assert replications.clipped([0.02, 0.09], share)  # plain t: 0.055 ± 0.44, below 0
    assert not replications.clipped([0.50 + 0.001 * k for k in range(20)], share)
    assert not replications.clipped([0.3], share)
    doc = {"metrics": {"north_share_jobs": {"mean": 0.055, "ci95": [0.0006, 0.87], "values": [0.02, 0.09]}}}
    assert _cell(doc, "north_share_jobs").endswith("— held inside its bounds: too few replications")


def test_diminishing_returns_are_judged_on_the_first_and_last_steps_intervals() -> None:
    from experiments.validation.sections import returns_state
    from report.read import Estimate

    first = Estimate(26.0, 20.0, 32.0)
    assert returns_state(first, Estimate(4.0, 2.0, 6.0), 10).startswith("as expected")
    assert returns_state(first, Estimate(40.0, 35.0, 45.0), 10).startswith("contrary")
    assert returns_state(first, Estimate(4.0, -30.0, 40.0), 2).startswith("inconclusive at 2 replications")
    assert returns_state(first, Estimate(4.0, math.nan, math.nan), 2).startswith("inconclusive")


def test_a_fact_is_inconclusive_where_its_interval_crosses_the_edge_of_its_rules_band() -> None:
    from types import SimpleNamespace

    from experiments.validation.report import inconclusive
    from report.read import Estimate

    def fact(low: float, high: float, band: tuple[float, float]) -> object:
        return SimpleNamespace(model=Estimate((low + high) / 2, low, high), band=band)

    assert inconclusive(fact(0.05, 0.99, (0.5, 1.0)))  # type: ignore[arg-type]  # met on the mean, not on the low end
    assert not inconclusive(fact(0.6, 0.9, (0.5, 1.0)))  # type: ignore[arg-type]
    assert not inconclusive(fact(0.1, 0.4, (0.5, 1.0)))  # type: ignore[arg-type]  # firmly not met
    assert inconclusive(fact(0.9, 1.2, (1.0, math.nan)))  # type: ignore[arg-type]  # a one-sided rule
    assert not inconclusive(fact(0.1, 0.9, (math.nan, math.nan)))  # type: ignore[arg-type]  # no fixed band
