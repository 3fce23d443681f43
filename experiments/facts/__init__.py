"""The article's stylized facts: what each measures in a run, the hindcast patterns, the null-model yardstick,
and the hindcast's tables and figures."""
