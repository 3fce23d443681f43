"""The derivation's report (printed by `python -m tools.derive_places`).

This is the only part of tools/ that knows the article's ten destination cities:
it CHECKS the candidate set after it is built (are they admitted, how far above
the threshold, do ties and bases favour them) and never feeds back into it.
"""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

from tools import candidates as c

ARTICLE_CITIES = (
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


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle km, R = 6371 (as model.world)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(a))


def article_share(rows: list[dict[str, Any]], key: str, places: list[dict[str, Any]]) -> dict[str, float]:
    """Rows touching article cities vs the article cities' share of candidate places."""
    cand = [p["id"] for p in places if p["kind"] in ("jiangsu_city", "outside_city")]
    touching = sum(r[key] in ARTICLE_CITIES for r in rows if r[key] in cand)
    total = sum(r[key] in cand for r in rows)
    return {
        "rows_article": touching,
        "rows_candidates": total,
        "row_share": touching / total if total else 0.0,
        "candidate_share": len(ARTICLE_CITIES) / len(cand),
        "cities_with_rows_article": len({r[key] for r in rows if r[key] in ARTICLE_CITIES}),
        "cities_with_rows_other": len({r[key] for r in rows if r[key] in cand and r[key] not in ARTICLE_CITIES}),
        "candidates": len(cand),
    }


def coordinate_check(places: list[dict[str, Any]]) -> list[tuple[str, float, float]]:
    """(id, largest |d lat| or |d lon| in degrees, km) against the domain.md data sheet, largest first."""
    by_adcode = {p["adcode"]: p for p in places if p["kind"] != "north_park"}
    out = []
    for r in c.domain_sheet():
        p = by_adcode.get(r["adcode"])
        if p is None:  # a county host of a park: compare the park
            p = next(q for q in places if q["adcode"] == r["adcode"])
        lat, lon = float(r["lat"]), float(r["lon"])
        deg = max(abs(p["lat"] - lat), abs(p["lon"] - lon))
        out.append((p["id"], deg, haversine_km(lat, lon, p["lat"], p["lon"])))
    return sorted(out, key=lambda t: -t[1])


def report(
    places: list[dict[str, Any]],
    tie_rows: list[dict[str, Any]],
    base_rows: list[dict[str, Any]],
    skipped: list[dict[str, str]],
) -> None:
    kinds = Counter(p["kind"] for p in places)
    print(f"places.csv: {len(places)} rows: {dict(kinds)}")
    raw = {r["id"]: r for r in c.cities()}
    provs = c.provinces()
    ids = {p["id"] for p in places}
    missing = [a for a in ARTICLE_CITIES if a not in ids]
    print(
        f"article cities admitted by the rule: {10 - len(missing)} of 10"
        + (f"; NOT admitted: {missing}" if missing else "")
    )
    margins = sorted((c.margin_over_threshold(float(raw[a]["gdp2022_bn_cny"])), a) for a in ARTICLE_CITIES)
    print("  margin over CNY 200 bn, smallest first: " + ", ".join(f"{a} {m:+.0%}" for m, a in margins))
    for t in (150.0, 250.0, 300.0):
        n = len(c.admitted(c.cities(), provs, t))
        print(f"  (for information: a threshold of CNY {t:.0f} bn would admit {n} outside cities)")
    near = [
        r
        for r in c.cities()
        if r["level"] in c.LEVELS and abs(c.margin_over_threshold(float(r["gdp2022_bn_cny"]))) <= 0.10
    ]
    inside = sorted(r["id"] for r in near if r["id"] in ids)
    outside = sorted(r["id"] for r in near if r["id"] not in ids)
    print(f"  within 10% of the threshold: {len(near)} cities; admitted {inside}; not admitted {outside}")
    noncity = [
        f"{r['id']} {r['gdp2022_bn_cny']}"
        for r in c.cities()
        if r["level"] not in c.LEVELS and float(r["gdp2022_bn_cny"]) >= c.THRESHOLD_BN
    ]
    print(f"  prefecture-level units above the threshold that are not cities (left out by the rule): {noncity}")
    sheet_gdp = {r["id"]: float(r["gdp2022_trn_cny"]) for r in c.domain_sheet() if r["province"] != "Jiangsu"}
    diffs = [f"{k} {float(raw[k]['gdp2022_bn_cny']) / 1000 - v:+.3f}" for k, v in sheet_gdp.items()]
    print("  raw-table GDP minus domain.md's (CNY trn): " + ", ".join(diffs))
    checks = coordinate_check(places)
    worst = checks[0]
    print(
        f"coordinates vs domain.md data sheet ({len(checks)} places): largest difference {worst[1]:.2f} deg "
        f"({worst[2]:.0f} km, {worst[0]}); median {sorted(t[2] for t in checks)[len(checks) // 2]:.0f} km"
    )
    print("  " + ", ".join(f"{i} {d:.2f} deg/{km:.0f} km" for i, d, km in checks[:8]))
    for name, rows, key in (("ties.csv", tie_rows, "destination"), ("industry_base.csv", base_rows, "place")):
        s = article_share(rows, key, places)
        print(
            f"{name}: {len(rows)} rows; {s['rows_candidates']} at candidates, {s['rows_article']} of them at article "
            f"cities ({s['row_share']:.1%} of rows; article cities are {s['candidate_share']:.1%} of the "
            f"{s['candidates']} candidates); candidate cities with rows: {s['cities_with_rows_article']} article, "
            f"{s['cities_with_rows_other']} other"
        )
    extended = [r for r in base_rows if "domain.md, A" not in r["source"]]
    s = article_share(extended, "place", places)
    print(
        f"  without the rows seeded by domain.md's list (written to explain the article's far cluster): "
        f"{s['rows_article']} of {s['rows_candidates']} rows at article cities ({s['row_share']:.1%})"
    )
    per_city = Counter(r["place"] for r in base_rows)
    print("  base rows per article city: " + ", ".join(f"{a} {per_city[a]}" for a in ARTICLE_CITIES))
    gdp = {p["id"]: p["gdp2022_trn_cny"] for p in places if p["kind"] in ("jiangsu_city", "outside_city")}
    expected = sum(math.sqrt(gdp[a]) for a in ARTICLE_CITIES) / sum(math.sqrt(v) for v in gdp.values())
    print(f"  article cities' share of sqrt(GDP) over the candidates (a size-fair share): {expected:.1%}")
    print(f"  listed bases skipped (city not a candidate): {[f'{b["place"]}/{b["industry"]}' for b in skipped]}")
