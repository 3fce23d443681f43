"""The tables a command run with `--posterior DIR` adds to its folder, for their writers and their readers.

experiments.analysis.ensemble writes draws.csv and posterior.json and
experiments.analysis.uncertainty the effects and rankings; the shared report kit
(report.posterior, report.figures.uncertainty) reads them back. The names live
in this module of constants alone so that the kit imports no statistics to read
a table. The effects tables start with the command's group column (scenario or
lever), then these columns; draws.csv ends with one column per dotted key.
`robust` in ranking.csv and ranking_orders.csv is empty (not tested) below
experiments.analysis.rankings.MIN_RANKING_DRAWS effective draws.
"""

from __future__ import annotations

DRAWS_FILE = "draws.csv"
DRAWS_FIXED = ("draw", "particle", "weight", "distance")  # then one column per dotted key
POSTERIOR_JSON = "posterior.json"
EFFECTS_FILE = "posterior_effects.csv"
DRAWS_EFFECTS_FILE = "posterior_draws.csv"
RANKING_FILE = "ranking.csv"
ORDERS_FILE = "ranking_orders.csv"
EFFECT_FIELDS = (
    "metric",
    "unit",
    "mean",
    "ci_low",
    "ci_high",
    "sd_parameter",
    "sd_monte_carlo",
    "se_monte_carlo",
    "se_mean",
    "share_above_zero",
    "draws",
    "distinct_draws",
    "effective_draws",
    "replications",
    "ensemble",
)
DRAW_FIELDS = ("metric", "draw", "particle", "mean", "sd_monte_carlo", "replications")
RANKING_COLUMNS = (
    "quantity",
    "better",
    "a",
    "b",
    "a_beats_b",
    "b_beats_a",
    "ties",
    "robust",
    "draws",
    "effective_draws",
)
ORDER_COLUMNS = ("quantity", "better", "order", "draws_with_order", "share", "mean_order", "robust", "effective_draws")
# The last column of every table with an interval that a command run with --posterior writes: the ensemble's mark,
# "thin ensemble (ESS 6.7 of 300)" below THIN_ESS effective draws (DESIGN §7), else "ensemble (ESS 250 of 300)".
ENSEMBLE_COLUMN = "ensemble"
# What a decision table over a posterior adds to its plain columns, in order (compare's and attribute's).
POSTERIOR_DECISION_EXTRA = (
    "sd_parameter",
    "sd_monte_carlo",
    "draws",
    "distinct_draws",
    "effective_draws",
    ENSEMBLE_COLUMN,
)
