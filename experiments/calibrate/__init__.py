"""`calibrate`: behaviour parameters fitted to the facts by ABC-SMC; plan, sampler, tables, report, figures."""
