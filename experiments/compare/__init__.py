"""`compare`: scenarios against a baseline on common random numbers; plan, analysis, report, figures."""
