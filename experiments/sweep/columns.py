"""The columns of sweep's tables, for its experiment (the writer) and its reader (read.py).

points.csv has the point, one column per factor (named by the experiment
file), then POINT_TAIL; base.csv one row per outcome at the base scenario.
"""

from __future__ import annotations

POINTS_FILE = "points.csv"
POINT = "point"  # the first column of points.csv, before the factors
POINT_TAIL = (
    "outcome",
    "unit",
    "runs",
    "failed",
    "mean",
    "ci_low",
    "ci_high",
    "diff",
    "diff_ci_low",
    "diff_ci_high",
    "within_noise",
)
BASE_FILE = "base.csv"
BASE_COLUMNS = ("outcome", "unit", "runs", "mean", "ci_low", "ci_high")
