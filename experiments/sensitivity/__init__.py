"""`sensitivity`: Morris screening or Sobol' indices (SALib); plan, analysis, report, figures."""
