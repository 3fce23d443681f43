"""The tables a command run with `--posterior DIR` adds to its folder, for their writers and their readers.

experiments.analysis.ensemble writes draws.csv and posterior.json and
experiments.analysis.uncertainty the effects and rankings; the shared report kit
(report.posterior, report.figures.uncertainty) reads them back. The names live
in this module of constants alone so that the kit imports no statistics to read
a table. The effects tables start with the command's group column (scenario or
lever), then these columns; draws.csv ends with one column per dotted key.
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
    "replications",
)
DRAW_FIELDS = ("metric", "draw", "particle", "mean", "sd_monte_carlo", "replications")
RANKING_COLUMNS = ("quantity", "better", "a", "b", "a_beats_b", "b_beats_a", "ties", "robust", "draws")
ORDER_COLUMNS = ("quantity", "better", "order", "draws_with_order", "share", "mean_order", "robust")
