"""`sweep`: factors over a grid or a Latin hypercube; plan, analysis, report, figures."""
