"""Experiment designs: files with a base scenario and dotted-key factors (experiments, calibrations), design
points, command-line overrides."""
