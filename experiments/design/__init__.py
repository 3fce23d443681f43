"""Experiment designs: files with a base scenario and dotted-key factors, design points, scenario variants."""
