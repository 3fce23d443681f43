"""Numbers for people: one rounding rule, three significant digits, for shares, jobs and money alike."""

from __future__ import annotations

import math

import pytest

from model.outcomes import DASH, Metric, metric, number_text, percent_text

SHARE, JOBS, COST, PER_JOB = (
    metric(n) for n in ("north_share_jobs", "relocated_jobs", "fiscal_cost_yuan", "cost_per_north_job_yuan")
)


@pytest.mark.parametrize(
    ("share", "text"),
    [(0.025, "2.50%"), (0.122, "12.2%"), (0.853, "85.3%"), (0.00094, "0.0940%"), (0.004, "0.400%"), (1.0, "100%")],
)
def test_shares_have_three_significant_digits_whatever_their_size(share: float, text: str) -> None:
    assert SHARE.text(share) == text == percent_text(share)


@pytest.mark.parametrize(
    ("m", "value", "text"),
    [
        (JOBS, 427_000, "427,000"),
        (JOBS, 1_234_567, "1,230,000"),
        (JOBS, 9.996, "10.0"),  # rounding up adds no digit
        (COST, 8.28e10, "CNY 82.8 bn"),
        (COST, 4.5e8, "CNY 450 m"),
        (PER_JOB, 12_970, "CNY 13,000"),
    ],
)
def test_jobs_and_money_round_the_same_way(m: Metric, value: float, text: str) -> None:
    assert m.text(value) == text


def test_a_change_of_a_share_is_in_points_and_undefined_is_a_dash() -> None:
    assert SHARE.text(0.032, change=True) == "+3.20 pp"
    assert SHARE.text(math.nan) == DASH and percent_text(math.nan) == DASH
    assert number_text(5_985_000) == "5,980,000" and number_text(3000) == "3,000"
