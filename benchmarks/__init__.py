"""Speed benchmarks: scripts that print figures (see README.md)."""
