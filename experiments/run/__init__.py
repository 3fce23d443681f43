"""`run`: one scenario, R replications; its plan and analysis, report and figures."""
