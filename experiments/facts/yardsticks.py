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


# The evidence rule (DESIGN §7): a fact counts as evidence only where the model meets it and neither yardstick does.
EVIDENCE = "yes"
MET_BY_NULL = "no: met by null"
MET_BY_GRAVITY = "no: met by gravity"
MET_BY_BOTH = "no: met by null and gravity"
NOT_MET = "not met"
UNDEFINED = "undefined"
EVIDENCE_VALUES = (EVIDENCE, MET_BY_NULL, MET_BY_GRAVITY, MET_BY_BOTH, NOT_MET, UNDEFINED)


def evidence(model: bool | None, null: bool | None, gravity: bool | None) -> str:
    """Whether a fact counts as evidence for the model: its rule met by the model and by neither yardstick.

    `None` is a measure that is undefined (nobody moved): the model's makes the fact undefined, a
    yardstick's counts as not meeting it.
    """
    if model is None:
        return UNDEFINED
    if not model:
        return NOT_MET
    if null and gravity:
        return MET_BY_BOTH
    if null:
        return MET_BY_NULL
    return MET_BY_GRAVITY if gravity else EVIDENCE
