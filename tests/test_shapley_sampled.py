"""Sampled Shapley values (attribute --permutations): exact where they must be, within their stated error elsewhere.

On hand-made games: an additive game gives every order the same marginal
effects, so the sample equals the exact value with zero error; a game with
interactions gives an estimate within a few of its stated standard errors of
the exact value; efficiency holds for any set of orders. On the model: the
3-lever package of tests/test_attribution.py with --permutations, its
sampling.csv, its seeded orders in the manifest and its exact dummy; and the
8-lever article package plans far fewer than 256 subsets per replication.
"""

from __future__ import annotations

import argparse
import itertools
import math
from pathlib import Path

import pytest

from cli import main
from experiments.analysis.shapley import shapley_values
from experiments.analysis.shapley_sampled import (
    coalitions,
    marginal_effects,
    order_se,
    sample_orders,
    sampled_shapley,
)
from experiments.analysis.stats import t975
from experiments.attribute.columns import SAMPLING_COLUMNS
from experiments.attribute.experiment import Attribute
from experiments.attribute.read import read_attribution
from experiments.attribute.report import markdown
from tests.conftest import ROOT, read_csv, read_json
from tests.test_attribution import LEVERS, PACKAGE_YAML


def _game(k: int, value) -> dict[int, float]:  # type: ignore[no-untyped-def]
    return {mask: float(value({i for i in range(k) if mask >> i & 1})) for mask in range(1 << k)}


def test_an_additive_game_is_recovered_exactly_with_zero_order_error() -> None:
    k, effects = 6, [3.0, -1.25, 0.5, 7.0, 0.0, 2.5]
    v = _game(k, lambda s: 10.0 + sum(effects[i] for i in s))
    orders = sample_orders(k, 5, seed=1)
    assert sampled_shapley(v, orders, k) == pytest.approx(effects, abs=1e-12)
    assert order_se(marginal_effects(v, orders, k)) == pytest.approx([0.0] * k, abs=1e-12)


def _interaction(s: set[int]) -> float:
    """Lever effects with a strong pair (0, 1), a triple (2, 3, 4) and a lever that only helps alone (5)."""
    v = 2.0 * len(s) + (9.0 if {0, 1} <= s else 0.0) + (6.0 if {2, 3, 4} <= s else 0.0)
    return v + (4.0 if s == {5} else 0.0) + 0.5 * len(s) ** 2


@pytest.mark.parametrize("seed", [3, 11, 2024])
def test_an_interaction_game_is_within_its_stated_error_of_the_exact_values(seed: int) -> None:
    k = 6
    v = _game(k, _interaction)
    exact = shapley_values([v[m] for m in range(1 << k)])
    orders = sample_orders(k, 60, seed)
    estimate = sampled_shapley(v, orders, k)
    se = order_se(marginal_effects(v, orders, k))
    assert any(x > 0 for x in se), "an interaction game must give the orders an error"
    for i in range(k):
        assert abs(estimate[i] - exact[i]) <= 4 * se[i] + 1e-12, (i, estimate[i], exact[i], se[i])


@pytest.mark.parametrize("n", [1, 2, 7])
def test_efficiency_holds_exactly_for_any_orders(n: int) -> None:
    k = 6
    v = _game(k, _interaction)
    phi = sampled_shapley(v, sample_orders(k, n, seed=5), k)
    assert abs(math.fsum(phi) - (v[(1 << k) - 1] - v[0])) <= 1e-12 * max(map(abs, v.values()))


def test_all_orders_give_the_exact_values() -> None:
    k = 4
    v = _game(k, _interaction)
    every = list(itertools.permutations(range(k)))
    assert sampled_shapley(v, every, k) == pytest.approx(shapley_values([v[m] for m in range(1 << k)]), abs=1e-12)


def test_orders_are_seeded_and_the_coalitions_are_what_they_need() -> None:
    assert sample_orders(8, 4, 7) == sample_orders(8, 4, 7) != sample_orders(8, 4, 8)
    orders = sample_orders(8, 4, 7)
    masks = coalitions(orders, 8)
    assert masks[0] == 0 and masks[-1] == 255 and len(masks) <= 4 * 7 + 2 + 2 * 8 < 256
    for order in orders:  # every prefix of every order
        mask = 0
        for i in order:
            mask |= 1 << i
            assert mask in masks
    assert all(1 << i in masks and 255 & ~(1 << i) in masks for i in range(8))  # alone and last stay exact


# --------------------------------------------------------------------------- on the model


def test_the_article_package_plans_far_fewer_subsets(tmp_path: Path) -> None:
    args = argparse.Namespace(
        package=ROOT / "scenarios" / "article_package.yaml",
        metric=None,
        replications=2,
        seed=None,
        firms=300,
        permutations=4,
    )
    exp = Attribute(args)
    tasks = exp.plan(20230101)
    assert len(exp.package.levers) == 8
    assert exp.package.subsets == len(coalitions(sample_orders(8, 4, 20230101), 8)) < 256
    assert len(tasks) == 2 * exp.package.subsets
    assert exp.default_name().endswith("-p4")


def test_permutations_on_the_model_write_their_errors_and_orders(tmp_path: Path) -> None:
    package = tmp_path / "att_pkg.yaml"
    package.write_text(PACKAGE_YAML, encoding="utf-8")
    out = tmp_path / "out"
    args = ["attribute", str(package), "--replications", "2", "--permutations", "3", "-q", "--no-plots"]
    assert main([*args, "--out", str(out)]) == 0
    folder = out / "attribute-att_pkg-r2-p3"
    manifest = read_json(folder / "manifest.json")
    orders = manifest["permutations"]["orders"]
    assert orders == [list(o) for o in sample_orders(3, 3, manifest["permutations"]["order_seed"])]
    columns, rows = read_csv(folder / "sampling.csv")
    assert tuple(columns) == SAMPLING_COLUMNS
    by = {(r["metric"], r["lever"]): r for r in rows}
    dummy = by["to_north_jobs", "infrastructure"]  # changes nothing in any order: exactly 0, no error
    assert float(dummy["shapley"]) == 0.0 and float(dummy["se"]) == 0.0
    attribution = {(r["metric"], r["lever"]): r for r in read_csv(folder / "attribution.csv")[1]}
    totals = {r["metric"]: r for r in read_csv(folder / "totals.csv")[1]}
    for m in ("to_north_jobs", "fiscal_cost_yuan"):
        total = math.fsum(float(attribution[m, lever]["shapley"]) for lever in LEVERS)
        assert total == pytest.approx(float(totals[m]["change"]), rel=1e-9, abs=1e-6)  # efficiency
        for lever in LEVERS:
            row, err = attribution[m, lever], by[m, lever]
            a, b, se = (float(err[c]) for c in ("order_se", "replication_se", "se"))
            assert se == pytest.approx(math.hypot(a, b))
            if (
                se > 0
            ):  # the interval is the stated error's: ± t·se, Welch-Satterthwaite's df from 3 orders, 2 replications
                df = se**4 / (a**4 / 2 + b**4 / 1)
                assert float(err["df"]) == pytest.approx(df) and 1 <= df <= 3
                half = (float(row["ci_high"]) - float(row["ci_low"])) / 2
                assert half == pytest.approx(t975(df) * se, rel=0.05)
    text = markdown(read_attribution(folder))
    assert "`--permutations 3`" in text and "Monte-Carlo error" in text
    again = tmp_path / "again"  # the same seed, the same orders and bytes, with another worker count
    assert main([*args, "--out", str(again), "--workers", "2"]) == 0
    for name in ("sampling.csv", "attribution.csv", "totals.csv", "decision.csv"):
        assert (again / folder.name / name).read_bytes() == (folder / name).read_bytes(), name


def test_permutations_and_posterior_are_refused_together(tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    package = tmp_path / "pkg.yaml"
    package.write_text(PACKAGE_YAML, encoding="utf-8")
    posterior = ROOT / "docs" / "calibration" / "article_suzhou_levers"
    res = cli("attribute", package, "--permutations", "3", "--posterior", posterior, "--out", tmp_path / "out")
    assert res.code == 2 and len(res.err_lines) == 1 and "--permutations" in res.err
    assert not (tmp_path / "out").exists()
    res = cli("attribute", package, "--permutations", "1", "--out", tmp_path / "out")
    assert res.code == 2 and "--permutations" in res.err
