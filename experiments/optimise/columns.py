"""The file names of an `optimise` folder and the metrics every table reports, shared by its writer and reader."""

FRONTIER_FILE = "frontier.csv"
FRONTIER_WORLDS_FILE = "frontier_worlds.csv"
EVALUATIONS_FILE = "evaluations.csv"
CONVERGENCE_FILE = "convergence.csv"
WORLDS_FILE = "worlds.csv"
PACKAGES_DIR = "packages"
SEARCH_FILE = "search.json"
PROBLEM_FILE = "problem.resolved.yaml"
NORTH, OUTSIDE, COST = "to_north_jobs", "to_outside_jobs", "fiscal_cost_yuan"
ALWAYS = (NORTH, OUTSIDE, COST)  # reported for every package, whatever the objectives
