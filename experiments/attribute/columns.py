"""The columns of attribute's tables, shared by its analysis over replications and its analysis over a posterior.

Both write the same attribution.csv, totals.csv and decision.csv (the
posterior's decision.csv adds its uncertainty parts), so the report reads
either the same way; the columns live here so that neither analysis imports
the other, nor the experiment that calls them, and the reader (read.py)
checks the names the writers use.
"""

from __future__ import annotations

from experiments.analysis.posterior_tables import POSTERIOR_DECISION_EXTRA

OWN_SPEND = "own_spend_yuan"
LEVERS_FILE = "levers.csv"
LEVER_COLUMNS = ("lever", "label", "acts_on")  # written by the experiment before either analysis
HELD_FILE = "held.csv"  # with --levers: the package's other levers, on in every subset (LEVER_COLUMNS)
ATTRIBUTION_FILE = "attribution.csv"
TOTALS_FILE = "totals.csv"
DECISION_FILE = "decision.csv"
ATTRIBUTION_COLUMNS = (
    "metric",
    "unit",
    "lever",
    "shapley",
    "ci_low",
    "ci_high",
    "share_of_total",
    "alone",
    "last",
    "replications",
)
TOTALS_COLUMNS = (
    "metric",
    "unit",
    "without_levers",
    "without_ci_low",
    "without_ci_high",
    "with_package",
    "with_ci_low",
    "with_ci_high",
    "change",
    "change_ci_low",
    "change_ci_high",
    "replications",
)
SAMPLING_FILE = "sampling.csv"  # with --permutations: each sampled Shapley value's errors
SAMPLING_COLUMNS = (
    "metric",
    "unit",
    "lever",
    "shapley",
    "order_se",  # standard error from sampling the orders
    "replication_se",  # standard error across replications
    "se",  # the two combined: sqrt(order_se^2 + replication_se^2)
    "df",  # its Welch-Satterthwaite degrees of freedom: the interval is shapley ± t975(df)·se
    "orders",
    "subsets_run",
)
DECISION_COLUMNS = ("lever", "quantity", "unit", "value", "ci_low", "ci_high", "replications")
POSTERIOR_DECISION_COLUMNS = (*DECISION_COLUMNS, *POSTERIOR_DECISION_EXTRA)
POSTERIOR_ATTRIBUTION_COLUMNS = (*ATTRIBUTION_COLUMNS, "ensemble")
POSTERIOR_TOTALS_COLUMNS = (*TOTALS_COLUMNS, "ensemble")
