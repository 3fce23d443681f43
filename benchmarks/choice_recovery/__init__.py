"""Choice recovery: the model's nested logit re-estimated by an independent estimator (larch).

`python -m benchmarks.choice_recovery [--scenario PATH] [--choices N] [--firms N] [--seed S] [--out FILE.md]`
(needs `pip install -e ".[estimate]"`, best in a venv of its own: see the extra in pyproject.toml).

DESIGN §7: choices the model simulates at known coefficients are re-estimated
with a well-kept discrete-choice library, which must recover every coefficient
and every λ within their standard errors (issue 17 item 7). The check

1. runs the scenario once and, at each year's push, takes the year's groups of
   firms (origin, current place, industry) with the model's own term tables for
   them (`model.rows.YearRows`, one term at a time) and the model's exclusion of
   the current place; Σ β·x must give the model's utilities of those groups
   (to 1e-9, else it stops) (`data`);
2. draws `choices` choice situations, as many in each year, among the year's
   groups in proportion to the model's expected movers (the sum of their firms'
   push probabilities) (`data`);
3. draws each situation's destination from the model's nested logit
   (`model.nested.nested_logit`, `model.choice.sample_choice`) at the
   scenario's coefficients and λs, with a generator seeded by `seed` (`data`);
4. estimates the coefficients and the λs with larch from the null model
   (β = 0, λ = 1) and sets each estimate beside its true value with
   z = (estimate − true) / SE, and the likelihood-ratio test of the true values,
   LR = 2 (LL_hat − LL_true) ~ χ²(k) for the k estimated parameters (`estimate`);
5. does it again on destinations drawn with every λ = 1 (a negative control:
   the test of the scenario's values must then reject), and writes the
   Markdown and JSON the validation report quotes (`report`, `__main__`).

The situations of one group in one year share every term value: they are one
larch case whose choice variable counts the choosers of each destination, so
the log-likelihood Σ n_ij ln P_ij, and its Hessian, are those of one case per
chooser. A term whose values are equal at every available destination of every
case enters no choice probability and is not identified: it is left out of the
estimation (at its true value) and named (`data.unidentified_terms`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from benchmarks.choice_recovery.data import Situations, draw_choices, null_nests, situations, truth_of
from benchmarks.choice_recovery.estimate import Recovery, estimate
from model.scenario import load_scenario


def recover(
    scenario_path: Path,
    choices: int,
    seed: int,
    firms: int | None = None,
    free: Sequence[str] | None = None,
    control: bool = True,
) -> tuple[Situations, Recovery, Recovery | None]:
    """The whole check: the model's situations, choices drawn at the truth, the estimate; and the control.

    One seed makes everything: `SeedSequence(seed)` spawns the model run's seed
    and the generator of the draws (situations, then destinations, then the
    control's destinations). The negative control draws new destinations for
    the same situations with every λ = 1 and estimates again.
    """
    overrides = {} if firms is None else {"firms.count": firms}
    scenario = load_scenario(scenario_path, overrides)
    model_seed, draw_seed = np.random.SeedSequence(seed).spawn(2)
    rng = np.random.default_rng(draw_seed)
    s = situations(scenario, model_seed, choices, rng)
    truth = truth_of(scenario)
    r = estimate(s, draw_choices(s, truth, rng), truth, free)
    negative = estimate(s, draw_choices(s, null_nests(truth), rng), truth, free) if control else None
    return s, r, negative
