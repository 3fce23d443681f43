"""The article's stylized facts: what each measures in a run, the hindcast patterns, and their tables and figures."""
