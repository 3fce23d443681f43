"""`report` (the validation report).

the facts beside the null model, closed forms, statics, returns, Sobol'; plan, analysis, report, figures.
"""
