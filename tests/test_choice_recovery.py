"""The choice rule checked by an independent estimator (DESIGN §7, issue 17 item 7; benchmarks/choice_recovery).

The data side runs everywhere: the recorded situations are the model's own
(recording changes nothing in the run; Σ β·x is the model's utility), the
draws are seeded and follow the model's probabilities, and the term that no
chooser can tell apart (guidance, zero without its lever) is named as not
identified. The estimator side needs larch (`pip install -e ".[estimate]"`)
and is skipped without it: a small version of the check (3,000 choices, four
coefficients and the three λs estimated) must recover the true values (every
|z| < 4, likelihood-ratio p > 0.001), and choices drawn with every λ = 1 must
make the same test reject the true values (p < 1e-6), so that it can fail.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from benchmarks.choice_recovery.data import (
    LAMBDA_PREFIX,
    RecordingModel,
    Situations,
    draw_choices,
    null_nests,
    probabilities,
    situations,
    truth_of,
    unidentified_terms,
)
from model import RelocationModel
from model.config import Scenario
from model.extras import missing_text
from tests.helpers import shipped

CHOICES = 3_000
SEED = 11
FREE = (
    "agglomeration",
    "ties",
    "distance",
    "subsidy",
    *(LAMBDA_PREFIX + k for k in ("north_park", "jiangsu_city", "outside_city")),
)


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    return shipped("baseline", {"firms.count": 5_000})


def _situations(sc: Scenario, seed: int = SEED) -> tuple[Situations, np.random.Generator]:
    model_seed, draw_seed = np.random.SeedSequence(seed).spawn(2)
    rng = np.random.default_rng(draw_seed)
    return situations(sc, model_seed, CHOICES, rng), rng


@pytest.fixture(scope="module")
def drawn(scenario: Scenario) -> tuple[Situations, np.random.Generator]:
    return _situations(scenario)


def test_recording_changes_nothing_in_the_run(scenario: Scenario) -> None:
    seed = np.random.SeedSequence(5)
    quota = [200] * (scenario.years.end - scenario.years.start + 1)
    recorded = RecordingModel(scenario, seed, quota, np.random.default_rng(1)).run()
    plain = RelocationModel(scenario, seed).run()
    assert recorded.metrics == plain.metrics
    assert recorded.hindcast == plain.hindcast


def test_the_situations_are_the_models_choice_rows(drawn: tuple[Situations, np.random.Generator]) -> None:
    s, _ = drawn
    assert s.max_utility_gap <= 1e-9  # Σ β·x of the recorded terms against the model's own utilities
    assert int(s.choosers.sum()) == CHOICES
    assert (s.first_year, s.last_year) == (2019, 2035)
    assert len(s.kinds) == s.x.shape[1] == s.available.shape[1]
    # The current place is the only excluded destination, and only a firm that already moved sits at one.
    assert np.all((~s.available).sum(axis=1) <= 1)
    assert (~s.available).any(), "some situations are of firms that moved before (their place excluded)"


def test_guidance_is_named_not_identified_and_every_other_term_varies(
    drawn: tuple[Situations, np.random.Generator],
) -> None:
    s, _ = drawn
    assert unidentified_terms(s) == ["guidance"]
    flat = replace(s, x=np.zeros_like(s.x))
    assert unidentified_terms(flat) == list(s.terms)


def test_the_same_seed_draws_the_same_situations_and_choices(scenario: Scenario) -> None:
    (a, rng_a), (b, rng_b) = _situations(scenario, 3), _situations(scenario, 3)
    assert np.array_equal(a.x, b.x) and np.array_equal(a.choosers, b.choosers)
    truth = truth_of(scenario)
    assert np.array_equal(draw_choices(a, truth, rng_a), draw_choices(b, truth, rng_b))


def test_the_draws_follow_the_models_nest_shares(
    scenario: Scenario, drawn: tuple[Situations, np.random.Generator]
) -> None:
    s, _ = drawn
    truth = truth_of(scenario)
    counts = draw_choices(s, truth, np.random.default_rng(2))
    expected = s.choosers[:, None] * probabilities(s, truth)
    for kind in dict.fromkeys(s.kinds):
        columns = np.array(s.kinds) == kind
        share = expected[:, columns].sum(axis=1) / s.choosers  # each case's P(nest)
        mean = float(expected[:, columns].sum())
        sd = float(np.sqrt(np.sum(s.choosers * share * (1 - share))))
        assert abs(counts[:, columns].sum() - mean) < 4 * sd, kind


@pytest.fixture(scope="module")
def larch_installed() -> None:
    pytest.importorskip("larch", reason=missing_text("larch", "the estimator side"))


@pytest.mark.usefixtures("larch_installed")
def test_larch_recovers_the_true_coefficients_and_lambdas(
    scenario: Scenario, drawn: tuple[Situations, np.random.Generator]
) -> None:
    from benchmarks.choice_recovery.estimate import estimate

    s, _ = drawn
    truth = truth_of(scenario)
    r = estimate(s, draw_choices(s, truth, np.random.default_rng(SEED)), truth, FREE)
    assert [row.name for row in r.rows] == list(FREE)
    assert r.converged and r.max_gradient < 1e-3
    assert r.same_loglike, (r.loglike_true, r.loglike_model)  # larch's nested logit is the model's
    assert r.max_abs_z < 4, [(row.name, row.estimate, row.se) for row in r.rows]
    assert r.p_value > 1e-3, r.lr
    assert not r.notes, r.notes


@pytest.mark.usefixtures("larch_installed")
def test_choices_drawn_with_other_lambdas_are_detected(
    scenario: Scenario, drawn: tuple[Situations, np.random.Generator]
) -> None:
    from benchmarks.choice_recovery.estimate import estimate

    s, _ = drawn
    truth = truth_of(scenario)
    r = estimate(s, draw_choices(s, null_nests(truth), np.random.default_rng(SEED)), truth, FREE)
    assert r.converged
    assert r.p_value < 1e-6, r.lr
