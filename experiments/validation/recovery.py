"""The validation report's quote of the choice-recovery check (DESIGN §7: an independent estimator).

`python -m benchmarks.choice_recovery` simulates choices at the baseline's
coefficients with the model's own nested logit, re-estimates them with larch
and writes docs/validation/choice_recovery.json (same seed, same bytes). The
check is of the choice rule, not of a run: the report quotes the shipped file
as it is, with the command that made it, and says so when it is missing.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from report.markdown import table

RESULT = Path(__file__).resolve().parents[2] / "docs" / "validation" / "choice_recovery.json"
COMMAND = "python -m benchmarks.choice_recovery"


def recovery_section(path: Path = RESULT) -> list[str]:
    """Markdown lines: each coefficient's estimate beside its true value, the likelihood-ratio test, the control."""
    lines = ["## The choice rule re-estimated by an independent estimator", ""]
    try:
        result: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return [*lines, f"No recovery result at `{path.name}`: run `{COMMAND}` (needs the `estimate` extra).", ""]
    control = result.get("negative_control") or {}
    lines += [
        f"Choices simulated with the model's nested logit at known coefficients ({result['choices']:,} choices in "
        f"{result['cases']:,} cases, {result['years'][0]}–{result['years'][1]}), re-estimated with larch "
        f"{result['versions'].get('larch', '?')} (`{result['command']}`; not rerun by this report):",
        "",
        f"- every estimate within {result['max_abs_z']:.2f} standard errors of its true value;",
        f"- likelihood-ratio test of the true values: LR = {result['lr']:.1f} ~ χ²({result['df']}), "
        f"p = {result['p_value']:.2f} (the true values are not rejected);",
    ]
    if control:
        lines.append(
            f"- negative control, the same situations with choices drawn at {control['generated_with']}: "
            f"LR = {control['lr']:.0f}, p = {control['p_value']:.1e} (the check can fail, and does here)."
        )
    for fixed in result.get("fixed", []):
        lines.append(f"- `{fixed['name']}` held at {fixed['value']}: {fixed['why']}.")
    rows = [
        [p["name"], f"{p['true']:.4g}", f"{p['estimate']:.4g}", f"{p['se']:.3g}", f"{p['z']:+.2f}"]
        for p in result["parameters"]
    ]
    return [*lines, "", *table(["parameter", "true", "estimate", "SE", "z"], rows), ""]
