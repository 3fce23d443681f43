"""The shipped data files: complete, sourced, and derived as model/data/README.md says."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from model.world import DATA_DIR
from tools.audit_bases import AUDIT_CITIES

ARTICLE_PARKS = {
    "suzhou_suqian": "suzhou",
    "wuxi_xuzhou": "wuxi",
    "nanjing_huaian": "nanjing",
    "changzhou_yancheng": "changzhou",
    "zhenjiang_lianyungang": "zhenjiang",
    "changshu_sihong": "changshu",
    "wujiang_siyang": "wujiang",
    "jiangyin_suining": "jiangyin",
    "yixing_peixian": "yixing",
}
ARTICLE_OUTSIDE = set(AUDIT_CITIES)  # the article's ten outside destinations (audit and checks only)


def rows(name: str) -> list[dict[str, str]]:
    with (DATA_DIR / name).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_places_cover_the_article() -> None:
    places = {r["id"]: r for r in rows("places.csv")}
    assert {p for p, r in places.items() if r["kind"] == "origin"} == set(ARTICLE_PARKS.values())
    assert {p: r["partner"] for p, r in places.items() if r["kind"] == "north_park"} == ARTICLE_PARKS
    # the article's ten cities are in the OPEN candidate set because its rule admits them (test_candidate_set.py)
    assert {p for p, r in places.items() if r["kind"] == "outside_city"} > ARTICLE_OUTSIDE
    for park in ARTICLE_PARKS:
        assert places[park]["focus_industries"], park


def test_industries_cover_the_article() -> None:
    industries = rows("industries.csv")
    assert len(industries) >= 10
    assert sum(float(r["share_of_firms"]) for r in industries) == pytest.approx(1.0)


@pytest.mark.parametrize(
    "name", ["places.csv", "industries.csv", "ties.csv", "industry_base.csv", "industry_intensity_ranges.csv"]
)
def test_every_row_names_its_source(name: str) -> None:
    for r in rows(name):
        assert r["source"].strip(), r
        text = r["source"].lower()
        assert any(word in text for word in ("domain.md", "article", "assumption", "calibrated")), r
        if name not in ("industries.csv", "industry_intensity_ranges.csv"):
            assert "top-5" not in text and "named in seed article" not in text, r  # no row because the article lists it


def test_wage_index_is_derived_from_minimum_wage_and_gdp_per_capita() -> None:
    """model/data/README.md: wage_index = minwage/2280 × (GDP per head / Suzhou's)^0.3."""
    places = rows("places.csv")
    suzhou = next(r for r in places if r["id"] == "suzhou")
    ref = float(suzhou["gdp2022_trn_cny"]) / float(suzhou["pop2022_m"])
    for r in places:
        gdppc = float(r["gdp2022_trn_cny"]) / float(r["pop2022_m"])
        expected = float(r["minwage_cny_month"]) / 2280 * (gdppc / ref) ** 0.3
        assert float(r["wage_index"]) == pytest.approx(expected, abs=6e-4), r["id"]
        tier = {"high": 1.0, "mid": 0.6, "low": 0.3}[r["land_price_tier"]]
        assert float(r["land_price_index"]) == tier, r["id"]


def test_data_readme_documents_every_column() -> None:
    readme = (DATA_DIR / "README.md").read_text(encoding="utf-8")
    files = ("places.csv", "industries.csv", "ties.csv", "industry_base.csv", "distances.csv")
    for name in (*files, "industry_intensity_ranges.csv"):
        with Path(DATA_DIR / name).open(encoding="utf-8") as fh:
            header = fh.readline().strip().split(",")
        for column in header:
            assert f"`{column}`" in readme, f"{name}: {column}"
