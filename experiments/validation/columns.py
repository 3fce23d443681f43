"""The columns and file names of a `report` folder's tables, for their writer and their reader.

experiments.validation.experiment writes them (with the rows its facts,
closed-form, statics and Sobol' modules compute) and experiments.validation.read
reads them back for `python run.py plot DIR`; the names live in this module of
constants so that the reader need not import the modules that compute the rows.
"""

from __future__ import annotations

from model.outcomes import DECISION

FACTS_FILE = "facts.csv"
FACT_COLUMNS = (
    "fact",
    "label",
    "role",
    "unit",
    "observed",
    "rule",
    "source",
    "window",
    "value",
    "ci_low",
    "ci_high",
    "met",
    "met_share",
    "detail",
    "null_value",
    "null_ci_low",
    "null_ci_high",
    "null_met",
    "null_met_share",
    "null_detail",
    "random_mean",
    "random_q95",
    "posterior_value",
    "posterior_ci_low",
    "posterior_ci_high",
    "posterior_met",
    "posterior_met_share",
    "defaults_value",
    "defaults_ci_low",
    "defaults_ci_high",
    "defaults_met",
    "met_low",
    "met_high",
    "verdict",
    # added with the gravity yardstick (experiments.facts.yardsticks); older folders lack them
    "gravity_value",
    "gravity_ci_low",
    "gravity_ci_high",
    "gravity_met",
    "gravity_met_share",
    "gravity_detail",
    "p_value",
    "evidence",
    # the model again without the data's rows seeded by hand (world.hand_seeded_rows: drop); empty if it has none
    "without_hand_value",
    "without_hand_ci_low",
    "without_hand_ci_high",
    "without_hand_met",
)
COVERAGE_FILE = "coverage.csv"
COVERAGE_COLUMNS = ("source", "item", "facts", "note")
CLOSED_FORM_FILE = "closed_form.csv"
CLOSED_FORM_COLUMNS = ("check", "expected", "got", "tolerance", "passed")
STATICS_FILE = "statics.csv"
STATIC_QUANTITIES = DECISION  # to_north_jobs, to_outside_jobs, relocated_jobs, fiscal_cost_yuan
STATICS_COLUMNS = (
    "scenario",
    "lever",
    "label",
    "acts_on",
    *(f"{q}{end}" for q in STATIC_QUANTITIES for end in ("", "_low", "_high")),
    "yuan_per_north_job",
    "yuan_per_north_job_low",
    "yuan_per_north_job_high",
    "replications",
    "expected",
    "verdict",  # as expected / contrary / inconclusive / undefined (experiments.analysis.verdicts)
)
RETURNS_FILE = "returns.csv"
RETURNS_COLUMNS = (
    "level",
    "yuan_per_job",
    "annual_budget_yuan",
    "north_gain",
    "north_gain_low",
    "north_gain_high",
    "extra_cost",
    "extra_cost_low",
    "extra_cost_high",
    "north_per_million",
    "marginal_per_million",
    "marginal_per_million_low",
    "marginal_per_million_high",
    "falling",
    "replications",
)
SOBOL_FILE = "sobol.csv"
SOBOL_COLUMNS = ("outcome", "effect_of", "factor", "index", "value", "ci_low", "ci_high")
SOBOL_RANGES_FILE = "sobol_ranges.csv"
RANGE_COLUMNS = ("key", "label", "unit", "low", "high", "centre", "source")
SOBOL_NOTES_FILE = "sobol_notes.csv"
NOTE_COLUMNS = ("outcome", "effect_of", "note")
