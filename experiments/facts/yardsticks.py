"""The yardsticks a fitted model is measured against: the null model and the gravity model (DESIGN §7).

- The null model: every choice coefficient 0 and every nest λ 1, so a mover
  picks any allowed destination with equal probability.
- The gravity yardstick: every choice coefficient 0 but two, every nest λ 1,
  so that P(j) ∝ GDP_j^a · km_ij^b — a destination's weight is its 2022 GDP
  (places.csv `gdp2022_trn_cny`, the `log_gdp` term, coefficient a) times its
  distance from the firm's place (the `distance` term, ln km, coefficient b).
  a and b are fitted to the same facts as the model (experiments.facts.gravity).

Both keep the model's push (its coefficients, and the inclusive value's
centring on the yardstick's own IV_ref): only the choice of destination
differs. A fact counts as evidence only where the model meets it and
neither yardstick does; `calibrate` and `report` run both.
"""

from __future__ import annotations

from model.config import Choice, Nests

GDP_KEY = "behaviour.choice.log_gdp"
DISTANCE_KEY = "behaviour.choice.distance"


def null_overrides() -> dict[str, float]:
    """Every choice coefficient 0 and every nest λ 1, from the schema (not a list kept here)."""
    out = {f"behaviour.choice.{k}": 0.0 for k in Choice.model_fields}
    out.update({f"behaviour.nests.{k}": 1.0 for k in Nests.model_fields})
    return out


def gravity_overrides(a: float, b: float) -> dict[str, float]:
    """The null model with the GDP term at `a` and the ln-distance term at `b`: P(j) ∝ GDP_j^a · km_ij^b."""
    return {**null_overrides(), GDP_KEY: float(a), DISTANCE_KEY: float(b)}
