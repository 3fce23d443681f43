"""The derivation's report (printed by `python -m tools.derive_places`).

This and tools/audit_bases.py are the only parts of tools/ that know the
article's ten destination cities: they CHECK the candidate set after it is built
(are they admitted, how far above the threshold, do ties and bases favour them)
and never feed back into it.
"""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

from tools import candidates as c
from tools.audit_bases import AUDIT_CITIES as ARTICLE_CITIES
from tools.audit_bases import enrichment
from tools.links import (
    CANDIDATE_KINDS,
    GROUPS_FILE,
    SEEDED_HAND,
    SEEDED_RULE,
    hand_seeded_rows,
    province_mix,
    seeded_counts,
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
    s = article_share(tie_rows, "destination", places)
    print(
        f"ties.csv: {len(tie_rows)} rows; {s['rows_candidates']} at candidates, {s['rows_article']} of them at article "
        f"cities ({s['row_share']:.1%} of rows; article cities are {s['candidate_share']:.1%} of the "
        f"{s['candidates']} candidates); candidate cities with rows: {s['cities_with_rows_article']} article, "
        f"{s['cities_with_rows_other']} other"
    )
    bases_report(places, base_rows)


def national_check() -> list[tuple[str, float, float]]:
    """(group, the provinces' revenue added up, the national figure), CNY trn: how well the A rough tables agree."""
    mix = province_mix()
    out = []
    for g, r in ((r["group"], r) for r in c.read_table(GROUPS_FILE)):
        summed = sum(float(p["manuf_revenue_bn_cny"]) * float(p[g]) / 100 for p in mix.values()) / 1000
        out.append((g, summed, float(r["revenue_trn_cny"])))
    return out


def bases_report(places: list[dict[str, Any]], base_rows: list[dict[str, Any]]) -> None:
    """Counts of industry_base.csv by rule and by hand, the tables' national check, and the audit."""
    counts = seeded_counts(base_rows)
    cand = [p for p in places if p["kind"] in CANDIDATE_KINDS]
    rule_jobs = sorted(r["jobs"] for r in base_rows if r["seeded"] == SEEDED_RULE)
    hand = hand_seeded_rows(base_rows)
    print(
        f"industry_base.csv: {len(base_rows)} rows: {counts[SEEDED_RULE]} by rule ({len(cand)} candidates x "
        f"{counts[SEEDED_RULE] // max(1, len(cand))} industries), {counts[SEEDED_HAND]} seeded by hand (the co-built "
        f"parks' rows of tools/data/park_bases.csv, {sum(r['jobs'] for r in hand):,} jobs)"
    )
    print(
        f"  rule rows' jobs: smallest {rule_jobs[0]:,}, median {rule_jobs[len(rule_jobs) // 2]:,}, largest "
        f"{rule_jobs[-1]:,}; all candidates {sum(rule_jobs) / 1e6:.1f} million jobs"
    )
    checks = ", ".join(f"{g} {got:.1f}/{want:.1f}" for g, got, want in national_check())
    print(f"  provinces' manufacturing revenue by group added up / national figure (CNY trn, both A rough): {checks}")
    mix = province_mix()
    cities: dict[str, float] = {}
    for r in c.cities():
        cities[r["province"]] = cities.get(r["province"], 0.0) + float(r["gdp2022_bn_cny"])
    low = sorted(
        (cities.get(p, 0.0) / float(m["gdp2022_bn_cny"]), p) for p, m in mix.items() if p in cities and p != "Tibet"
    )
    print(
        "  prefecture-level units' GDP added up / provincial GDP (the rest is county-level units outside prefectures): "
        + ", ".join(f"{p} {x:.2f}" for x, p in low[:4])
        + f" ... {low[-1][1]} {low[-1][0]:.2f}"
    )
    audit = enrichment(base_rows, places)
    overall = audit[-1]
    by_industry = sorted(audit[:-1], key=lambda e: e.ratio)
    print(
        f"  audit (tools/audit_bases.py): the article's cities hold {overall.jobs_share:.1%} of the candidates' base "
        f"jobs against {overall.manufacturing_share:.1%} of their manufacturing (enrichment {overall.ratio:.2f}); by "
        "industry from "
        + ", ".join(f"{e.industry} {e.ratio:.2f}" for e in by_industry[:2])
        + " to "
        + ", ".join(f"{e.industry} {e.ratio:.2f}" for e in by_industry[-2:])
    )
