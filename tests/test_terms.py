"""The choice rule's terms declare what they read; the within-year terms follow from that.

`model.choice.TERMS` is the one definition of the utility terms (the per-agent
benchmark evaluates the same ones). Each term declares the Context fields it
reads, and the terms recomputed between the batches of a year are those that
read a field in `WITHIN_YEAR_FIELDS`. These tests check the declarations are
complete (a term runs on a Context holding only what it declares), that the
derivation gives the set the model has always used, and that the derivation,
not a list, decides what is recomputed between batches.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Callable

import numpy as np
import pytest

from model import RelocationModel
from model.choice import (
    CONTEXT_FIELDS,
    PUSH_TERMS,
    TERMS,
    WITHIN_YEAR_FIELDS,
    WITHIN_YEAR_TERMS,
    Context,
    Term,
)
from model.config import Choice, Push
from tests.helpers import scenario, shipped


def test_every_coefficient_has_exactly_one_term() -> None:
    assert set(TERMS) == set(Choice.model_fields)
    assert set(PUSH_TERMS) | {"intercept"} == set(Push.model_fields)


def test_the_within_year_terms_are_derived_and_are_the_ones_the_model_always_used() -> None:
    assert WITHIN_YEAR_FIELDS <= CONTEXT_FIELDS
    assert frozenset(name for name, term in TERMS.items() if term.reads & WITHIN_YEAR_FIELDS) == WITHIN_YEAR_TERMS
    assert {"wage", "land", "agglomeration", "supply_chain", "subsidy"} == WITHIN_YEAR_TERMS


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


def _calls_in_one_year(monkeypatch: pytest.MonkeyPatch, terms: dict[str, Term], batches: int) -> Counter[str]:
    """How often each term is evaluated in one year in which every firm moves, in `batches` batches."""
    counts: Counter[str] = Counter()
    for name, term in terms.items():
        monkeypatch.setitem(TERMS, name, dataclasses.replace(term, fn=_counting(counts, name, term.fn)))
    sc = scenario(
        {
            "years": {"start": 2023, "end": 2023},
            "firms.count": 500,
            "behaviour.push.intercept": 50.0,
            "behaviour.batches_per_year": batches,
        }
    )
    RelocationModel(sc, seed=1).step()
    return counts


def test_within_year_terms_are_recomputed_for_every_batch_and_the_others_once(monkeypatch) -> None:
    counts = _calls_in_one_year(monkeypatch, dict(TERMS), batches=4)
    for name in TERMS:
        assert counts[name] == (4 if name in WITHIN_YEAR_TERMS else 1), name


def test_declaring_a_within_year_field_is_what_makes_a_term_recomputed(monkeypatch) -> None:
    """The same function, declared as reading jobs, is recomputed between batches: no list decides it."""
    infra = TERMS["infrastructure"]
    reading_jobs = dataclasses.replace(infra, reads=infra.reads | {"jobs_by_place_industry"})
    assert not infra.within_year and reading_jobs.within_year
    counts = _calls_in_one_year(monkeypatch, {"infrastructure": reading_jobs}, batches=5)
    assert counts["infrastructure"] == 5
