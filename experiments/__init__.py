"""Running the model: replications, seeds, result folders, plots and the CLI."""
