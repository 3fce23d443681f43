"""`attribute`: a package's effect split among its levers (Shapley values); plan, analysis, report, figures."""
