"""The columns of compare's tables, shared by its paired analysis and its posterior analysis.

Both write the same comparison.csv and decision.csv (the posterior's
decision.csv adds its uncertainty parts), so the report reads either the same
way; the columns live here so that neither analysis imports the other, nor the
experiment that calls them, and the readers (read.py, figures.py) check the
names the writers use.
"""

from __future__ import annotations

from experiments.analysis.posterior_tables import POSTERIOR_DECISION_EXTRA
from model.metrics import TIMESERIES_COLUMNS

SHARES = ("north_share_jobs", "outside_share_jobs")  # what --ci-width bounds
TIMESERIES_FILE = "timeseries.csv"
SCENARIO_TIMESERIES_COLUMNS = ("scenario", *TIMESERIES_COLUMNS)  # the posterior's adds "draw"
COMPARISON_FILE = "comparison.csv"
DECISION_FILE = "decision.csv"
COMPARISON_COLUMNS = (
    "scenario",
    "metric",
    "unit",
    "mean",
    "ci_low",
    "ci_high",
    "diff",
    "diff_ci_low",
    "diff_ci_high",
    "unpaired_diff_ci_low",
    "unpaired_diff_ci_high",
    "paired_to_unpaired_width",
    "replications",
)
DECISION_COLUMNS = ("scenario", "quantity", "unit", "value", "ci_low", "ci_high", "replications")
POSTERIOR_DECISION_COLUMNS = (*DECISION_COLUMNS, *POSTERIOR_DECISION_EXTRA)
POSTERIOR_COMPARISON_COLUMNS = (*COMPARISON_COLUMNS, "ensemble")
