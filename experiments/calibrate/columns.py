"""The columns of a calibration result folder's tables (written by experiments.calibrate.tables, read by
experiments.calibrate.read): one definition for writer and readers. posterior.csv's and parameters.csv's are
the posterior's (experiments.analysis.posterior, which every --posterior command reads) and come from there."""

from __future__ import annotations

from experiments.analysis.posterior import PARAMETER_COLUMNS as PARAMETER_COLUMNS
from experiments.analysis.posterior import PARAMETERS_FILE as PARAMETERS_FILE
from experiments.analysis.posterior import POSTERIOR_FILE as POSTERIOR_FILE
from experiments.analysis.posterior import POSTERIOR_FIXED as POSTERIOR_FIXED

POPULATIONS_FILE = "populations.csv"
POPULATION_FIXED = ("generation", "particle", "weight", "distance")  # then one column per dotted key
TRACE_FILE = "trace.csv"
FIT_FILE = "fit.csv"
PREDICTIVE_FILE = "predictive.csv"
EVIDENCE_MODELS = ("posterior", "null", "gravity")  # the evidence rule reads these rows' `met`
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
    # added with the gravity yardstick; older folders lack them
    "p_value",  # list facts: the chance that random picks score at least the row's value
    "evidence",  # the fact's (the same on each of its rows): experiments.facts.yardsticks.evidence
)
PREDICTIVE_COLUMNS = ("model", "draw", "fact", "value", "met")
