"""The columns of a calibration result folder's tables (written by experiments.calibrate.tables,
read by experiments.analysis.posterior and experiments.calibrate.read): one definition for writer and readers."""

from __future__ import annotations

POSTERIOR_FIXED = ("draw", "weight", "distance")  # then one column per dotted key
PARAMETER_COLUMNS = (
    "key",
    "label",
    "unit",
    "prior_low",
    "prior_high",
    "default",
    "reason",
    "posterior_mean",
    "posterior_sd",
    "q05",
    "q50",
    "q95",
    "calibrated",
)
TRACE_COLUMNS = ("generation", "epsilon", "particles", "simulations", "acceptance_rate", "effective_size")
FIT_COLUMNS = (
    "fact",
    "label",
    "role",
    "unit",
    "observed",
    "rule",
    "source",
    "window",
    "model",
    "value",
    "ci_low",
    "ci_high",
    "met",
    "met_share",
    "detail",
)
PREDICTIVE_COLUMNS = ("model", "draw", "fact", "value", "met")
