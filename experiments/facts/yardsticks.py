"""The yardsticks a fitted model is measured against: the null model (every choice coefficient 0, every λ 1).

A fact counts as evidence only where the model meets it and the yardstick
does not (DESIGN §7); `calibrate` and `report` both run the null model.
"""

from __future__ import annotations

from model.config import Choice, Nests


def null_overrides() -> dict[str, float]:
    """Every choice coefficient 0 and every nest λ 1, from the schema (not a list kept here)."""
    out = {f"behaviour.choice.{k}": 0.0 for k in Choice.model_fields}
    out.update({f"behaviour.nests.{k}": 1.0 for k in Nests.model_fields})
    return out
