"""When are the replications too few for the 95 % intervals a command reports, and how many would do.

The intervals across replications are Student-t intervals with n − 1 degrees
of freedom (experiments.analysis.stats): their half-width is t(n − 1) · SD / √n.
With many replications t is the normal 1.96; with few it is larger, so the
interval is wider than the model's noise alone makes it:

- n = 2: t(1) = 12.7, a half-width of 9.0 SDs of one replication;
- usable: t(n − 1) at most `USABLE_T_FACTOR` × 1.96 (n ≥ 5, t(4) = 2.78);
- good: t(n − 1) at most `GOOD_T_FACTOR` × 1.96 (n ≥ 9, t(8) = 2.31).

The two factors are this project's rule (assumption: a t factor half again
the normal one still tells large effects from 0; within 20 % of it the width
is mostly the model's own spread), and the replication counts follow from
them. A command warns in one line (`warning`) when n is below the good count;
bounded metrics' intervals stay inside their bounds (logit or log scale), so
with very few replications they stretch towards the bounds instead of past
them, and the line says so.
"""

from __future__ import annotations

from collections.abc import Sequence

from experiments.analysis.stats import NORMAL_975, mean_ci95, t_quantile_975

CLIPPED = "held inside its bounds: too few replications"

USABLE_T_FACTOR = 1.5
GOOD_T_FACTOR = 1.2
MAX_SEARCH = 1000


def needed(t_factor: float) -> int:
    """The fewest replications n whose t(n − 1) is at most t_factor × 1.96."""
    n = 2
    while n < MAX_SEARCH and t_quantile_975(n - 1) > t_factor * NORMAL_975:
        n += 1
    return n


def usable() -> int:
    return needed(USABLE_T_FACTOR)


def good() -> int:
    return needed(GOOD_T_FACTOR)


def warning(replications: int | None) -> str:
    """One line when `replications` are too few for usable 95% intervals, else ''. None: nothing reported."""
    if replications is None:
        return ""
    n, use, ok = replications, usable(), good()
    if n >= ok:
        return ""
    share = round(100 * (GOOD_T_FACTOR - 1))
    advice = f"use ≥ {use} for usable intervals (t ≤ {USABLE_T_FACTOR * NORMAL_975:.2f}), ≥ {ok} for intervals "
    advice += f"within {share}% of their many-replication width"
    if n < 2:
        return f"replications: {n} — no 95% interval exists, so no change can be told from noise: {advice}"
    t = t_quantile_975(n - 1)
    wider = t / NORMAL_975
    if n < use:
        return (
            f"replications: {n} — 95% intervals are very wide (t = {t:.3g}, {wider:.2g}× the normal 1.96; bounded "
            f"ones stretch towards their bounds): {advice}"
        )
    return (
        f"replications: {n} — 95% intervals are wide (t = {t:.3g}, {round(100 * (wider - 1))}% wider than with "
        f"many replications): use ≥ {ok} for intervals within {share}% of that width"
    )


def markdown_warning(replications: int | None) -> list[str]:
    """The same line as a report paragraph (bold), or nothing."""
    text = warning(replications)
    return [f"**Warning — {text}.**", ""] if text else []


def clipped(values: Sequence[float], bounds: tuple[float, float]) -> bool:
    """Whether the plain t interval m ± t(n − 1)·SD/√n of these values would leave the metric's bounds.

    The reported interval (stats.Interval.of) then stays inside them only because it is computed on the logit
    or log scale, pressed against the bound: it says more about the few replications than about the model, and
    is marked (`CLIPPED`).
    """
    _m, low, high = mean_ci95([float(v) for v in values])
    if low is None or high is None:
        return False
    return low < bounds[0] or high > bounds[1]
