"""Shared analysis.

bounded intervals and paired differences, posterior ensembles and their effects, Shapley values. No command,
no report.
"""
