"""Data files the figures read: boundaries.json, the simplified outlines of the flow map (see README.md here)."""
