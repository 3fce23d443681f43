"""`report` (the validation report): the facts beside the null model, closed forms, comparative statics,
returns to subsidies, Sobol' indices; plan, analysis, report, figures."""
