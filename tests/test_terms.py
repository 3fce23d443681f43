"""The choice rule's terms declare what they read; the within-year terms follow from that.

`model.choice.TERMS` is the one definition of the utility terms (the per-agent
benchmark evaluates the same ones); `model.push.PUSH_TERMS` the push's z terms.
Each choice term declares the Context fields it reads, and the terms
recomputed between the batches of a year are those that read a field in
`WITHIN_YEAR_FIELDS`; of those, the terms reading only `offered`
(`OFFER_TERMS`) are kept until an open offer runs out. These tests check the
declarations are complete (a term runs on a Context holding only what it
declares), that the derivation gives the set the model has always used, that
the derivation, not a list, decides what is recomputed, and that keeping the
offer terms changes no result. The push reads no choice term and no offer:
destinations reach it only through the inclusive value.
"""

from __future__ import annotations

import dataclasses
import typing
from collections import Counter
from collections.abc import Callable

import numpy as np
import pytest

import model.model as model_module
from model import RelocationModel, simulate
from model.choice import (
    CONTEXT_FIELDS,
    OFFER_TERMS,
    PUSH_TERMS,
    TERMS,
    WITHIN_YEAR_FIELDS,
    WITHIN_YEAR_TERMS,
    Context,
    Term,
)
from model.config import Choice, KindName, Nests, Push, World
from tests.helpers import hand_set, scenario, shipped


def test_every_coefficient_has_exactly_one_term() -> None:
    assert set(TERMS) == set(Choice.model_fields)
    # η = intercept + Σ push.k z_k + inclusive_value · (IV − IV_ref): every other push key is a z term
    assert set(PUSH_TERMS) | {"intercept", "inclusive_value"} == set(Push.model_fields)
    assert not set(PUSH_TERMS) & {"subsidy", "relocation_aid", "inclusive_value"}


def test_there_is_one_nest_per_destination_kind() -> None:
    kinds = set(typing.get_args(KindName)) - {"origin"}
    assert set(Nests.model_fields) == kinds == set(World().destination_kinds)
    for name in Nests.model_fields:
        assert 0 < getattr(Nests(), name) <= 1


def test_the_within_year_terms_are_derived_and_are_the_ones_the_model_always_used() -> None:
    assert WITHIN_YEAR_FIELDS <= CONTEXT_FIELDS
    assert frozenset(name for name, term in TERMS.items() if term.reads & WITHIN_YEAR_FIELDS) == WITHIN_YEAR_TERMS
    assert {"wage", "land", "agglomeration", "supply_chain", "subsidy"} == WITHIN_YEAR_TERMS
    assert frozenset(n for n in WITHIN_YEAR_TERMS if TERMS[n].reads & WITHIN_YEAR_FIELDS == {"offered"}) == OFFER_TERMS
    assert {"subsidy"} == OFFER_TERMS


def test_a_term_cannot_declare_a_field_the_context_lacks() -> None:
    with pytest.raises(ValueError, match="Context does not have"):
        Term("destination", frozenset({"moon_phase"}), lambda ctx: ctx.destinations)


def _context_after_levers() -> Context:
    """A Context of the article package's third year (every lever on, per-job offers open, firms moved)."""
    model = RelocationModel(shipped("article_package", {"firms.count": 1_000}), seed=4)
    for _ in range(3):
        model.step()
    model.state.begin_year(model.year + 1)
    for lever in model.levers:
        lever.apply(model.state, model.year + 1)
    return model._context()


@pytest.mark.parametrize("name", list(TERMS))
def test_each_term_reads_only_the_fields_it_declares(name: str) -> None:
    """Undeclared fields are None: a term that touched one would fail here."""
    ctx = _context_after_levers()
    term = TERMS[name]
    bare = Context(**{f: (getattr(ctx, f) if f in term.reads else None) for f in CONTEXT_FIELDS})
    np.testing.assert_array_equal(term.fn(bare), term.fn(ctx))


def _counting(counts: Counter[str], name: str, fn: Callable[[Context], np.ndarray]) -> Callable:
    def wrapped(ctx: Context) -> np.ndarray:
        counts[name] += 1
        return fn(ctx)

    return wrapped


def _calls_in_one_year(
    monkeypatch: pytest.MonkeyPatch, terms: dict[str, Term], batches: int, overrides: dict | None = None
) -> Counter[str]:
    """How often each term is evaluated in one year in which every firm moves, in `batches` batches.

    The model is built first: IV_ref (every term once, at construction) is not counted.
    """
    sc = scenario(
        {
            "years": {"start": 2024, "end": 2024},
            "firms.count": 500,
            "behaviour.push.intercept": 50.0,
            "behaviour.batches_per_year": batches,
            **(overrides or {}),
        }
    )
    model = RelocationModel(sc, seed=1)
    counts: Counter[str] = Counter()
    for name, term in terms.items():
        monkeypatch.setitem(TERMS, name, dataclasses.replace(term, fn=_counting(counts, name, term.fn)))
    model.step()
    return counts


def test_within_year_terms_are_recomputed_for_the_push_and_every_batch_and_the_others_once(monkeypatch) -> None:
    """Fixed terms once a year; the offer terms once while no offer runs out; the others for the push's IV
    and for each batch. Every coefficient is non-zero (`log_gdp` is 0 by default: a zero term is skipped)."""
    counts = _calls_in_one_year(monkeypatch, dict(TERMS), batches=4, overrides={"behaviour.choice.log_gdp": 0.5})
    for name in TERMS:
        expected = 4 + 1 if name in WITHIN_YEAR_TERMS - OFFER_TERMS else 1
        assert counts[name] == expected, name


def test_an_offer_term_is_recomputed_when_an_offer_runs_out(monkeypatch) -> None:
    """Relocation aid whose budget the first batch spends: `subsidy` is computed again after that batch."""
    aid = {
        "policies.relocation_aid": {
            "start_year": 2024,
            "end_year": 2024,
            "yuan_per_job": 3e4,
            "annual_budget_yuan": 1.0,
        }
    }
    counts = _calls_in_one_year(monkeypatch, dict(TERMS), batches=4, overrides=aid)
    assert counts["subsidy"] == 2
    assert counts["infrastructure"] == 1


def test_keeping_the_offer_terms_changes_no_result(monkeypatch) -> None:
    """The same run with no term kept between batches (OFFER_TERMS empty) gives the same flows and rows."""
    sc = shipped(
        "relocation_aid",
        {
            **hand_set(),  # enough movers at 3,000 firms for the budget to bind every year
            "firms.count": 3_000,
            "years.end": 2027,
            "policies.relocation_aid.end_year": 2027,
            "policies.relocation_aid.annual_budget_yuan": 5e6,  # binds every year (8.4 m asked in 2024)
        },
    )
    kept = simulate(sc, 3)
    monkeypatch.setattr(model_module, "OFFER_TERMS", frozenset())
    fresh = simulate(sc, 3)
    # the budget binds every policy year: the offer runs out within the year, so the kept tables are refreshed
    assert all(r["fiscal_relocation_aid_yuan"] == pytest.approx(5e6) for r in kept.timeseries if r["year"] >= 2024)
    assert kept.timeseries == fresh.timeseries and kept.flows == fresh.flows


def test_declaring_a_within_year_field_is_what_makes_a_term_recomputed(monkeypatch) -> None:
    """The same function, declared as reading jobs, is recomputed between batches: no list decides it."""
    infra = TERMS["infrastructure"]
    reading_jobs = dataclasses.replace(infra, reads=infra.reads | {"jobs_by_place_industry"})
    assert not infra.within_year and reading_jobs.within_year
    counts = _calls_in_one_year(monkeypatch, {"infrastructure": reading_jobs}, batches=5)
    assert counts["infrastructure"] == 5 + 1
