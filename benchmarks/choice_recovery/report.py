"""What the recovery check writes: a Markdown page the validation report quotes, and the same figures as JSON.

Neither holds a date or a time, and floats are rounded (the optimiser's last
digits are not the result): the same seed and versions give the same bytes.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from benchmarks.choice_recovery.data import LAMBDA_PREFIX, Situations
from benchmarks.choice_recovery.estimate import LAMBDA_BOUNDS, Recovery

# The negative control's likelihood-ratio p must fall below this for the check to count as able to fail.
REJECT_P = 1e-3


def _f(value: float, digits: int = 4) -> str:
    return f"{value:.{digits}f}"


def table(r: Recovery) -> list[str]:
    """The Markdown table of true values and estimates, and the likelihood-ratio line."""
    lines = ["| parameter | true | estimate | SE | z = (est − true) / SE |", "|---|---:|---:|---:|---:|"]
    lines += [f"| {x.name} | {_f(x.true)} | {_f(x.estimate)} | {_f(x.se)} | {_f(x.z, 2)} |" for x in r.rows]
    lines += [
        "",
        f"Likelihood-ratio test of the true values: LL(estimate) = {_f(r.loglike_hat, 2)}, "
        f"LL(true) = {_f(r.loglike_true, 2)}, LR = 2 (LL(estimate) − LL(true)) = {_f(r.lr, 2)} "
        f"~ χ²({r.df}), p = {r.p_value:.3g}. Largest |z| = {_f(r.max_abs_z, 2)}.",
    ]
    return lines


def control_line(negative: Recovery) -> str:
    """The negative control in one paragraph: the λs it estimated and whether the test rejected the truth."""
    lambdas = ", ".join(
        f"{x.name} {_f(x.estimate, 3)} (SE {_f(x.se, 3)})" for x in negative.rows if x.name.startswith(LAMBDA_PREFIX)
    )
    verdict = (
        "the check rejects values that did not generate the choices."
        if negative.p_value < REJECT_P
        else f"the check does NOT reject them (p ≥ {REJECT_P:g}): it has no power at this size."
    )
    return (
        "Negative control: the same cases with destinations drawn at every λ = 1 (a conditional logit), "
        f"estimated the same way, give {lambdas}; the likelihood-ratio test of the true values gives "
        f"LR = {_f(negative.lr, 1)} ~ χ²({negative.df}), p = {negative.p_value:.3g}, largest |z| = "
        f"{_f(negative.max_abs_z, 1)}: {verdict}"
    )


def markdown(s: Situations, r: Recovery, negative: Recovery | None, command: str, versions: dict[str, str]) -> str:
    """The Markdown page (docs/validation/choice_recovery.md)."""
    fixed = "; ".join(f"{name} = {value:g} ({why})" for name, value, why in r.fixed) or "none"
    kinds = ", ".join(f"{k} ({s.kinds.count(k)})" for k in dict.fromkeys(s.kinds))
    lines = [
        "# Choice recovery: the nested logit re-estimated with larch",
        "",
        "Written by `python -m benchmarks.choice_recovery` (DESIGN §7, issue 17 item 7); do not edit by hand.",
        "",
        f"Command: `{command}`",
        "",
        "Versions: " + ", ".join(f"{k} {v}" for k, v in versions.items()) + ".",
        "",
        f"{r.choices:,} choices in {r.cases:,} cases (a case is a group of firms — origin, current place, "
        f"industry — in one year, {s.first_year}–{s.last_year}), drawn in proportion to the model's expected "
        f"movers; {len(s.kinds)} destinations in {len(set(s.kinds))} nests: {kinds}; the current place excluded. "
        "The term values are the model's own (model.rows.YearRows): Σ β·x differs from the model's utilities "
        f"by at most {s.max_utility_gap:.1e}. Destinations drawn from model.nested.nested_logit at the true "
        "values; estimated with larch's nested logit from β = 0, λ = 1 (SLSQP, then Newton steps; standard "
        f"errors from the Hessian; λ free on {LAMBDA_BOUNDS[0]:g}–{LAMBDA_BOUNDS[1]:g}, wider than the model's "
        "λ ≤ 1, so that no bound binds).",
        "",
        f"Not estimated: {fixed}.",
        "",
        *table(r),
        "",
        f"larch's log-likelihood at the true values is {_f(r.loglike_true, 6)}; the model's own nested logit "
        f"(model.nested) gives {_f(r.loglike_model, 6)} for the same choices: "
        f"{'the same' if r.same_loglike else 'NOT the same'} probabilities from two implementations. The "
        f"optimiser {'converged' if r.converged else 'did NOT converge'}; the largest |∂LL/∂θ| at the estimate "
        f"is {r.max_gradient:.1e}.",
    ]
    if r.notes:
        lines += ["", "larch warned: " + "; ".join(r.notes) + "."]
    if negative is not None:
        lines += ["", control_line(negative)]
    return "\n".join([*lines, ""])


def _summary(r: Recovery) -> dict[str, Any]:
    return {
        "choices": r.choices,
        "cases": r.cases,
        "parameters": [{**asdict(x), "z": x.z} for x in r.rows],
        "fixed": [{"name": n, "value": v, "why": w} for n, v, w in r.fixed],
        "loglike_true": r.loglike_true,
        "loglike_model_at_true": r.loglike_model,
        "loglike_estimate": r.loglike_hat,
        "lr": r.lr,
        "df": r.df,
        "p_value": r.p_value,
        "max_abs_z": r.max_abs_z,
        "converged": r.converged,
        "max_gradient": r.max_gradient,
        "notes": list(r.notes),
    }


def as_json(s: Situations, r: Recovery, negative: Recovery | None, command: str, versions: dict[str, str]) -> str:
    """The same figures as JSON (docs/validation/choice_recovery.json)."""
    doc = {
        "command": command,
        "versions": versions,
        "years": [s.first_year, s.last_year],
        "max_utility_gap": s.max_utility_gap,
        **_summary(r),
        "negative_control": None if negative is None else {"generated_with": "every λ = 1", **_summary(negative)},
    }
    return json.dumps(_rounded(doc), indent=1, ensure_ascii=False) + "\n"


def _rounded(value: Any) -> Any:
    """Floats to 6 significant digits."""
    if isinstance(value, float):
        return float(f"{value:.6g}")
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_rounded(v) for v in value]
    return value
