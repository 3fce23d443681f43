"""The one catalogue of metrics: name, label, kind, unit, bounds and number format.

Every output takes a metric's words and numbers from here: the terminal
summary, CSV headers, Markdown tables, figure axes, EMA outcomes and the
DataCollector reporters. Files keep values in their stored unit (a share as a
fraction of 1, money in yuan); people see shares in %, changes of shares in
percentage points, money as CNY m or bn, jobs with thousands separators, all
rounded to three significant digits (`Metric.text`, `number_text` for plain
counts): 2.50%, 12.2%, 803,000, CNY 82.8 bn.

Kinds: share (of relocated jobs, 0–1), jobs, yuan, yuan_per_job, count
(firms). `bounds` are the values a metric can take; an interval of a bounded
metric is computed so that it stays inside them (experiments.analysis.stats).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

Kind = Literal["share", "jobs", "yuan", "yuan_per_job", "count"]
Better = Literal["higher", "lower"] | None

STORED_UNIT: dict[Kind, str] = {
    "share": "share of 1",
    "jobs": "jobs",
    "yuan": "yuan",
    "yuan_per_job": "yuan per job",
    "count": "firms",
}
SHOWN_UNIT: dict[Kind, str] = {
    "share": "%",
    "jobs": "jobs",
    "yuan": "CNY",
    "yuan_per_job": "CNY per job",
    "count": "firms",
}
SIGNIFICANT = 3
DASH = "–"  # shown for an undefined value


@dataclass(frozen=True)
class Metric:
    """One measured quantity and how every output names and prints it."""

    name: str
    label: str
    kind: Kind
    description: str
    bounds: tuple[float, float] = (0.0, math.inf)
    better: Better = None

    @property
    def unit(self) -> str:
        """The unit of the value as stored in files (CSV, JSON)."""
        return STORED_UNIT[self.kind]

    @property
    def shown_unit(self) -> str:
        return SHOWN_UNIT[self.kind]

    @property
    def is_share(self) -> bool:
        return self.kind == "share"

    def heading(self, change: bool = False) -> str:
        """A table column or axis title with the unit people see."""
        unit = "pp" if change and self.is_share else self.shown_unit
        return f"{'Change in ' + _lower_first(self.label) if change else self.label} ({unit})"

    def change_bounds(self) -> tuple[float, float]:
        """The bounds of a difference of two values of this metric."""
        lo, hi = self.bounds
        return (lo - hi, hi - lo)

    # --- numbers as people read them ---------------------------------------

    def scale(self, values: Iterable[float]) -> tuple[float, str]:
        """(divisor, suffix) for money: CNY bn or m by the largest magnitude, else none."""
        if self.kind not in ("yuan", "yuan_per_job"):
            return 1.0, ""
        biggest = max((abs(v) for v in values if math.isfinite(v)), default=0.0)
        if self.kind == "yuan" and biggest >= 1e9:
            return 1e9, " bn"
        if biggest >= 1e6:
            return 1e6, " m"
        return 1.0, ""

    def text(self, value: float, *, change: bool = False, scale: tuple[float, str] | None = None) -> str:
        """One value: `23.9%`, `+3.20 pp`, `803,000`, `CNY 82.8 bn`, `+CNY 450 m`."""
        if value is None or not math.isfinite(value):
            return DASH
        divisor, suffix = scale if scale is not None else self.scale([value])
        sign = "+" if change and value > 0 else ""
        if self.is_share:
            return f"{sign}{_percent(value * 100)}{' pp' if change else '%'}"
        body = _sig(value / divisor)
        if self.kind in ("yuan", "yuan_per_job"):
            neg = body.startswith("-")
            return f"{'-' if neg else sign}CNY {body.lstrip('-')}{suffix}"
        return sign + body

    def interval_text(
        self,
        mean: float,
        low: float,
        high: float,
        *,
        change: bool = False,
        label: str = "95% CI",
        same: str = "same in every replication",
    ) -> str:
        """`23.9% (95% CI 22.1% to 25.7%)`, one scale for all three numbers.

        `label` names the interval and `same` says why it has no width (over a posterior: "95% of draws",
        "same in every draw").
        """
        scale = self.scale([mean, low, high])
        head = self.text(mean, change=change, scale=scale)
        if not (math.isfinite(low) and math.isfinite(high)):
            return head
        if low == high:
            return f"{head} ({same})"
        lo, hi = (self.text(v, change=change, scale=scale) for v in (low, high))
        return f"{head} ({label} {lo} to {hi})"

    def axis_value(self, value: float, change: bool = False) -> float:
        """A stored value in the unit of an axis (% or pp for shares)."""
        return value * 100 if self.is_share else value


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:] if text[:2] != text[:2].upper() else text


def number_text(value: float) -> str:
    """A plain count or factor as people read it: three significant digits, thousands separators (`5,990,000`)."""
    return _sig(value)


def percent_text(share: float) -> str:
    """A share of 1 in % as every output prints one (`2.50%`)."""
    return f"{_percent(share * 100)}%" if math.isfinite(share) else DASH


def _sig(value: float, digits: int = SIGNIFICANT) -> str:
    """A number rounded to `digits` significant digits, with thousands separators (9.996 -> `10.0`, not `10.00`)."""
    if value == 0 or not math.isfinite(value):
        return "0" if value == 0 else DASH
    magnitude = math.floor(math.log10(abs(value)))
    rounded = round(value, digits - 1 - magnitude)
    if rounded != 0 and math.floor(math.log10(abs(rounded))) > magnitude:  # rounding added a digit: 9.996 -> 10.0
        magnitude += 1
        rounded = round(value, digits - 1 - magnitude)
    return f"{rounded:,.{max(digits - 1 - magnitude, 0)}f}"


def _percent(value: float) -> str:
    """A share in %, to the same three significant digits as every other number (`2.50`, `12.2`, `0.0940`)."""
    return _sig(value)


SHARE = (0.0, 1.0)
UNBOUNDED = (-math.inf, math.inf)

_METRICS: tuple[Metric, ...] = (
    Metric(
        "north_share_jobs",
        "North-park share of relocated jobs",
        "share",
        "Jobs moved to north–south co-built parks ÷ all jobs moved.",
        SHARE,
        "higher",
    ),
    Metric(
        "jiangsu_share_jobs",
        "Other-Jiangsu share of relocated jobs",
        "share",
        "Jobs moved to central and northern Jiangsu places other than the co-built parks ÷ all jobs moved.",
        SHARE,
    ),
    Metric(
        "outside_share_jobs",
        "Outside-province share of relocated jobs",
        "share",
        "Jobs moved to cities outside Jiangsu ÷ all jobs moved.",
        SHARE,
        "lower",
    ),
    Metric("relocated_firms", "Relocated firms", "count", "Relocations (a firm moving twice counts twice)."),
    Metric("relocated_jobs", "Relocated jobs", "jobs", "Jobs moved, to every destination."),
    Metric("to_north_jobs", "Jobs moved to north parks", "jobs", "Jobs moved to the co-built parks.", better="higher"),
    Metric(
        "to_jiangsu_jobs",
        "Jobs moved to other Jiangsu places",
        "jobs",
        "Jobs moved to central and northern Jiangsu places other than the co-built parks.",
    ),
    Metric(
        "to_outside_jobs",
        "Jobs moved outside the province",
        "jobs",
        "Jobs moved to cities outside Jiangsu.",
        better="lower",
    ),
    Metric("fiscal_cost_yuan", "Fiscal cost", "yuan", "Jiangsu's spending on the levers.", better="lower"),
    Metric(
        "cost_per_north_job_yuan",
        "Average fiscal cost per north-park job",
        "yuan_per_job",
        "Fiscal cost ÷ jobs moved to north parks: the average over all of them (not the marginal cost).",
        better="lower",
    ),
    Metric("closed_jobs", "Jobs lost to closures", "jobs", "Jobs of firms that closed."),
    Metric(
        "jobs_in_north_parks_end",
        "Jobs in north parks at the end",
        "jobs",
        "Jobs of simulated firms located in north parks in the last year.",
    ),
    # yearly-only quantities (timeseries.csv)
    Metric("firms_active", "Active firms", "count", "Firms not closed, at the end of the year."),
    Metric("relocations", "Relocations", "count", "Firms that moved in the year."),
    Metric("start_jobs", "Jobs at the start of the year", "jobs", "Jobs of active firms before the year's births."),
    Metric("born_firms", "Firms born", "count", "Firms born in the origins in the year."),
    Metric("born_jobs", "Jobs of firms born", "jobs", "Jobs of the firms born in the year."),
    Metric("stayed_jobs", "Jobs that stayed", "jobs", "Jobs of firms that neither moved nor closed."),
    Metric("closures", "Closures", "count", "Firms that closed in the year."),
    Metric("jobs_in_north_parks", "Jobs in north parks", "jobs", "Jobs of simulated firms located in north parks."),
    Metric(
        "mean_move_probability",
        "Mean yearly move probability",
        "share",
        "The push probability averaged over active firms.",
        SHARE,
    ),
    # effects against a baseline (compare, attribute)
    Metric(
        "additional_north_jobs",
        "Additional jobs moved to north parks",
        "jobs",
        "Jobs moved north over the baseline's, replication by replication.",
        UNBOUNDED,
        "higher",
    ),
    Metric(
        "cost_per_additional_north_job_yuan",
        "Marginal fiscal cost per extra north-park job",
        "yuan_per_job",
        "Change in fiscal cost ÷ change in jobs moved to north parks against the baseline (ratio of mean changes): "
        "the cost of the extra jobs only.",
        UNBOUNDED,
        "lower",
    ),
)

CATALOGUE: dict[str, Metric] = {m.name: m for m in _METRICS}

# What a run reports over its horizon (summary.json), in this order.
HORIZON: tuple[str, ...] = (
    "north_share_jobs",
    "jiangsu_share_jobs",
    "outside_share_jobs",
    "relocated_firms",
    "relocated_jobs",
    "to_north_jobs",
    "to_jiangsu_jobs",
    "to_outside_jobs",
    "fiscal_cost_yuan",
    "cost_per_north_job_yuan",
    "closed_jobs",
    "jobs_in_north_parks_end",
)
# The terminal summary of `run`.
HEADLINE: tuple[str, ...] = (
    "north_share_jobs",
    "jiangsu_share_jobs",
    "outside_share_jobs",
    "relocated_jobs",
    "to_north_jobs",
    "to_jiangsu_jobs",
    "to_outside_jobs",
    "fiscal_cost_yuan",
    "cost_per_north_job_yuan",
)
# The decision table of compare and attribute (DESIGN §5): these changes, then the yuan per additional north job.
DECISION: tuple[str, ...] = ("to_north_jobs", "to_outside_jobs", "relocated_jobs", "fiscal_cost_yuan")
COST_EFFECTIVENESS = "cost_per_additional_north_job_yuan"


def lever_fiscal_metric(key: str, label: str) -> Metric:
    """The yearly spending of one lever (a `fiscal_<lever>_yuan` column)."""
    return Metric(f"fiscal_{key}_yuan", f"Fiscal cost: {label}", "yuan", f"Spending on the {label} lever.")


def metric(name: str) -> Metric:
    """The catalogue entry of a metric (lever spending columns included)."""
    if name in CATALOGUE:
        return CATALOGUE[name]
    if name.startswith("fiscal_") and name.endswith("_yuan"):
        key = name.removeprefix("fiscal_").removesuffix("_yuan")
        return lever_fiscal_metric(key, key.replace("_", " "))
    raise KeyError(name)
