"""The columns of sensitivity's tables, for its experiment (the writer) and its reader (read.py).

points.csv has the point, one column per factor, then one per outcome (the
mean over replications at that design point); the factors are in factors.csv
(experiments.design.columns).
"""

from __future__ import annotations

INDICES_FILE = "indices.csv"
INDEX_COLUMNS = ("outcome", "factor", "index", "value", "conf")
NOTES_FILE = "notes.csv"
NOTE_COLUMNS = ("outcome", "note")
POINTS_FILE = "points.csv"
POINT = "point"  # the first column of points.csv, before the factors and outcomes
