"""The estimator side of the recovery check: the model's choices re-estimated with larch's nested logit.

larch (https://larch.driftless.xyz, the optional extra `estimate`) is imported
only here and only when an estimate is asked for; without it,
`MissingEstimatorError` says how to install it.
"""

from __future__ import annotations

import contextlib
import io
import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from benchmarks.choice_recovery.data import LAMBDA_PREFIX, Situations, Truth, model_loglike, unidentified_terms
from model.extras import missing_text

# The estimator's bounds. λ ≤ 1 is the model's consistency condition, not the estimator's: a bound at 1 would
# make z and LR non-standard for an estimate near it, so larch may go beyond it here.
LAMBDA_BOUNDS = (0.01, 2.0)
COEFFICIENT_BOUNDS = (-50.0, 50.0)


class MissingEstimatorError(RuntimeError):
    """larch is not installed (the optional extra `estimate`)."""


@dataclass(frozen=True)
class Row:
    """One estimated parameter beside its true value."""

    name: str
    true: float
    estimate: float
    se: float

    @property
    def z(self) -> float:
        return (self.estimate - self.true) / self.se if self.se > 0 else math.nan


@dataclass(frozen=True)
class Recovery:
    """What the estimator recovered from one set of simulated choices."""

    rows: tuple[Row, ...]  # the estimated parameters, in the model's order (terms, then λs)
    fixed: tuple[tuple[str, float, str], ...]  # (name, value, why) of the parameters not estimated
    choices: int
    cases: int
    loglike_true: float  # larch's LL at the true values
    loglike_model: float  # the model's own nested logit's LL at the true values (model.nested)
    loglike_hat: float
    converged: bool
    max_gradient: float  # |∂LL/∂θ| at the estimate, largest over the estimated parameters
    notes: tuple[str, ...] = ()  # warnings larch gave (for example a nearly singular Hessian), bounds reached

    @property
    def lr(self) -> float:
        """The likelihood-ratio statistic of the true values, 2 (LL_hat − LL_true)."""
        return 2.0 * (self.loglike_hat - self.loglike_true)

    @property
    def df(self) -> int:
        return len(self.rows)

    @property
    def p_value(self) -> float:
        """P(χ²(df) ≥ LR): small when the true values did not generate the choices."""
        from scipy.stats import chi2  # scipy comes with larch

        return float(chi2.sf(max(self.lr, 0.0), self.df))

    @property
    def same_loglike(self) -> bool:
        """larch's log-likelihood at the truth equals the model's own, to rounding."""
        return abs(self.loglike_true - self.loglike_model) <= 1e-9 * abs(self.loglike_model)

    @property
    def max_abs_z(self) -> float:
        return max(abs(r.z) for r in self.rows)


def larch_module() -> Any:
    """larch, imported quietly (it prints a notice about JAX on stdout), or MissingEstimatorError."""
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            import larch
    except ImportError as exc:
        raise MissingEstimatorError(
            missing_text("larch", "the re-estimation", "best in a venv of its own, see pyproject.toml")
        ) from exc
    return larch


def larch_model(s: Situations, counts: np.ndarray, terms: Sequence[str]) -> Any:
    """The nested logit as larch sees it: idca data, one variable per term, one nest per destination kind."""
    import xarray as xr  # comes with larch

    lx = larch_module()
    dims = ("case", "alt")
    data: dict[str, Any] = {name: (dims, np.where(s.available, s.x[:, :, s.terms.index(name)], 0.0)) for name in terms}
    data["_avail"] = (dims, s.available.astype(np.int8))
    data["_chosen"] = (dims, counts.astype(np.float64))
    alts = np.arange(1, len(s.kinds) + 1)
    ds = xr.Dataset(data, coords={"case": np.arange(len(counts)), "alt": alts})
    m = lx.Model(lx.Dataset.construct(ds, caseid="case", alts="alt"), title="relocsim choice recovery")
    m.utility_ca = sum((lx.P(name) * lx.X(name) for name in terms[1:]), lx.P(terms[0]) * lx.X(terms[0]))
    m.availability_ca_var = "_avail"
    m.choice_ca_var = "_chosen"
    kinds = np.asarray(s.kinds)
    for kind in dict.fromkeys(s.kinds):
        m.graph.new_node(parameter=LAMBDA_PREFIX + kind, children=list(alts[kinds == kind]), name=kind)
    return m


def estimate(s: Situations, counts: np.ndarray, truth: Truth, free: Sequence[str] | None = None) -> Recovery:
    """Estimate the parameters `free` (default: every identified one) from the choice counts; the rest at truth.

    The optimiser (larch's SLSQP) starts from the null model, β = 0 and λ = 1,
    not from the truth, and Newton steps on larch's own derivatives finish it
    (`_polish`); standard errors are from the Hessian of the log-likelihood at
    the estimate (larch's `calculate_parameter_covariance`).
    """
    dropped = unidentified_terms(s)
    terms = [t for t in s.terms if t not in dropped]
    m = larch_model(s, counts, terms)
    names = [str(n) for n in m.pnames]
    free = [n for n in names if free is None or n in free]
    for name in names:
        low, high = LAMBDA_BOUNDS if name.startswith(LAMBDA_PREFIX) else COEFFICIENT_BOUNDS
        m.set_value(name, minimum=low, maximum=high)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        loglike_true = float(m.loglike({name: truth[name] for name in names}))
        for name in names:
            if name in free:
                m.set_value(name, value=1.0 if name.startswith(LAMBDA_PREFIX) else 0.0)
            else:
                m.lock_value(name, truth[name])
        result = m.maximize_loglike(method="slsqp", quiet=True, options={"ftol": 1e-13, "maxiter": 1000})
        index = np.array([names.index(n) for n in free])
        gradient = _polish(m, index)
        se, _, _ = m.calculate_parameter_covariance()
    value = dict(zip(names, np.asarray(m.pvals, dtype=float), strict=True))
    se_of = dict(zip(names, np.asarray(se, dtype=float), strict=True))
    order = [*terms, *(LAMBDA_PREFIX + kind for kind in dict.fromkeys(s.kinds))]  # the model's order
    fixed = [(t, truth[t], "not identified: equal at every available destination of every case") for t in dropped]
    fixed += [(n, truth[n], "held at its true value") for n in order if n not in free]
    low, high = np.asarray(m.pminimum, dtype=float), np.asarray(m.pmaximum, dtype=float)
    notes = {f"{w.category.__name__}: {str(w.message).splitlines()[0]}" for w in caught}
    notes |= {f"{n} is at a bound of the estimator" for n in free if _at_bound(m, names.index(n), low, high)}
    return Recovery(
        rows=tuple(Row(n, truth[n], value[n], se_of[n]) for n in order if n in free),
        fixed=tuple(fixed),
        choices=int(counts.sum()),
        cases=len(counts),
        loglike_true=loglike_true,
        loglike_model=model_loglike(s, counts, truth),
        loglike_hat=float(m.loglike()),
        converged=bool(result.get("success", False)),
        max_gradient=float(np.max(np.abs(gradient))),
        notes=tuple(sorted(notes)),
    )


def _at_bound(m: Any, i: int, low: np.ndarray, high: np.ndarray) -> bool:
    value = float(np.asarray(m.pvals, dtype=float)[i])
    return bool(min(value - low[i], high[i] - value) < 1e-6)


def _polish(m: Any, free: np.ndarray, steps: int = 4, tolerance: float = 1e-6) -> np.ndarray:
    """Newton steps on the free parameters (larch's gradient and Hessian) until |∂LL/∂θ| < tolerance.

    SLSQP stops on the change of the log-likelihood per choice, which leaves a
    gradient of order 0.1 on a log-likelihood of thousands: harmless for the
    likelihood ratio, but a converged estimate should show a zero gradient.
    A step is halved until it does not lower the log-likelihood. Returns the
    final gradient of the free parameters.
    """
    low, high = np.asarray(m.pminimum, dtype=float), np.asarray(m.pmaximum, dtype=float)
    for _ in range(steps):
        x = np.asarray(m.pvals, dtype=float).copy()
        gradient = np.asarray(m.d_loglike(x), dtype=float)[free]
        if np.max(np.abs(gradient)) < tolerance:
            return gradient
        hessian = np.asarray(m.d2_loglike(x), dtype=float)[np.ix_(free, free)]
        step = np.linalg.solve(-hessian, gradient)
        before = float(m.loglike(x))
        for _ in range(20):
            trial = x.copy()
            trial[free] = np.clip(x[free] + step, low[free], high[free])
            if float(m.loglike(trial)) >= before:
                break
            step = step / 2
        else:
            m.pvals = x
            break
        m.pvals = trial
    return np.asarray(m.d_loglike(), dtype=float)[free]
