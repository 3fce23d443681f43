"""Limits on what a scenario and the command line may ask for, in one place (no heavy imports)."""

MAX_FIRMS = 2_000_000
MAX_REPLICATIONS = 10_000
MAX_YEARS = 200
NAME_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"  # scenario, experiment and output-folder names
