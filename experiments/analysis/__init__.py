"""Shared analysis: bounded intervals and paired differences, posterior ensembles and their effects, Shapley
values, SALib. It imports no command and no report."""
