"""factors.csv, the table of a designed experiment's factors: written by experiments.design.points, read back by
report.read (labels and units of the figures' axes) and the sensitivity report (which factors, in which order).

The names live in this module of constants alone so that the shared report kit
can import them without importing the design's experiment machinery.
"""

from __future__ import annotations

FACTORS_FILE = "factors.csv"
FACTOR_COLUMNS = ("key", "label", "unit", "values", "integer")
