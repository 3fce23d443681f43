"""Audit of the industry bases at the article's destination cities: are they enriched there?

    python -m tools.audit_bases                       # the shipped model/data/industry_base.csv
    python -m tools.audit_bases --bases OLD.csv       # any other industry_base.csv (e.g. an earlier version)

For each industry it prints the share of the industry's base jobs (over the
candidate places, kinds jiangsu_city and outside_city) that the article's ten
destination cities hold, beside their share of the candidates' manufacturing
(revenue by the rule's first factor, tools/links.py: manufacturing_revenue_bn)
and of the candidates' GDP; the ratio of the first to the second is the
enrichment (1 = in proportion to their manufacturing). The rule makes every
industry's jobs at a city its province's mix times the city's manufacturing, so
the enrichment of an industry can differ from 1 only through the provinces'
mixes, never through a list.

The city list below is typed here and used ONLY for this audit (and the same
check in tools/derive_report.py); the model and the derivation never read it.
"""

from __future__ import annotations

import argparse
import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tools.links import CANDIDATE_KINDS, manufacturing_revenue_bn, province_mix

DATA = Path(__file__).resolve().parent.parent / "model" / "data"

# The article's 2019-2022 destination cities as domain.md names them (Suzhou's and Wuxi's top-5 lists): used only
# for this audit, never by the model or by the rules that build its data.
AUDIT_CITIES = (
    "guiyang",
    "luzhou",
    "maoming",
    "ningbo",
    "xianyang",
    "yinchuan",
    "baotou",
    "chongqing",
    "wuhu",
    "anqing",
)


@dataclass(frozen=True)
class Enrichment:
    """The audit cities' share of one industry's base jobs against their share of manufacturing and of GDP."""

    industry: str
    jobs_share: float
    manufacturing_share: float
    gdp_share: float

    @property
    def ratio(self) -> float:
        """jobs share / manufacturing share (1 = in proportion to the cities' manufacturing)."""
        return self.jobs_share / self.manufacturing_share


def _read(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def enrichment(
    base_rows: list[dict[str, Any]], places: list[dict[str, Any]], cities: tuple[str, ...] = AUDIT_CITIES
) -> list[Enrichment]:
    """One Enrichment per industry with base rows at candidates, then one for all industries together (`all`)."""
    cand = {p["id"]: p for p in places if p["kind"] in CANDIDATE_KINDS}
    mix = province_mix()
    manuf = {i: manufacturing_revenue_bn(float(p["gdp2022_trn_cny"]), mix[p["province"]]) for i, p in cand.items()}
    gdp = {i: float(p["gdp2022_trn_cny"]) for i, p in cand.items()}
    m_share = sum(manuf[c] for c in cities) / sum(manuf.values())
    g_share = sum(gdp[c] for c in cities) / sum(gdp.values())
    jobs: dict[str, dict[str, float]] = {}
    for r in base_rows:
        if r["place"] in cand:
            at = jobs.setdefault(r["industry"], {})
            at[r["place"]] = at.get(r["place"], 0.0) + float(r["jobs"])
    out = []
    for industry, at in jobs.items():
        total = sum(at.values())
        out.append(Enrichment(industry, sum(at.get(c, 0.0) for c in cities) / total, m_share, g_share))
    every = [float(r["jobs"]) for r in base_rows if r["place"] in cand]
    at_cities = sum(float(r["jobs"]) for r in base_rows if r["place"] in cities)
    out.append(Enrichment("all", at_cities / sum(every), m_share, g_share))
    return out


def city_totals(base_rows: list[dict[str, Any]], cities: tuple[str, ...] = AUDIT_CITIES) -> dict[str, float]:
    """Base jobs of all industries at each audit city."""
    return {c: sum(float(r["jobs"]) for r in base_rows if r["place"] == c) for c in cities}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--bases", type=Path, default=DATA / "industry_base.csv", help="an industry_base.csv")
    parser.add_argument("--places", type=Path, default=DATA / "places.csv", help="a places.csv")
    args = parser.parse_args(argv)
    base_rows, places = _read(args.bases), _read(args.places)
    rows = enrichment(base_rows, places)
    print(f"{args.bases}: the article's {len(AUDIT_CITIES)} destination cities (audit only)")
    first = rows[0]
    m, g = first.manufacturing_share, first.gdp_share
    print(f"  their share of the candidates' manufacturing {m:.1%}, of GDP {g:.1%}")
    print(f"  {'industry':24} {'share of base jobs':>18} {'enrichment':>11}")
    for e in rows:
        print(f"  {e.industry:24} {e.jobs_share:18.1%} {e.ratio:11.2f}")
    totals = city_totals(base_rows)
    print("  base jobs per city: " + ", ".join(f"{c} {v:,.0f}" for c, v in totals.items()))


if __name__ == "__main__":
    main()
