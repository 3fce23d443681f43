"""Regenerate model/data/places.csv from the domain.md data sheet.

Run from the repository root: `python tools/derive_places.py`. The formulas are
the ones model/data/README.md documents and tests/test_data.py checks:
wage_index = minwage / 2280 × (GDP per head / Suzhou's)^0.3; land tiers high 1.0,
mid 0.6, low 0.3; talent_pool_k = population (thousands) × tertiary share × 0.1;
capacity_jobs = population × 2% for cities, 60,000 / 30,000 for parks hosted by a
prefecture / county. Scores and power prices below are assumptions (A).
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parent.parent / "model" / "data" / "places.csv"

# domain.md data sheet (place,name_zh,level,province,region,paired_with,lat,lon,gdp,pop,minwage,land tier)

raw = """Nanjing,南京市,prefecture,Jiangsu,south,Huai'an,32.07,118.78,1.69,9.5,2280,high
Wuxi,无锡市,prefecture,Jiangsu,south,Xuzhou,31.57,120.30,1.49,7.5,2280,high
Changzhou,常州市,prefecture,Jiangsu,south,Yancheng,31.78,119.95,0.96,5.4,2280,high
Suzhou,苏州市,prefecture,Jiangsu,south,Suqian,31.30,120.58,2.40,12.9,2280,high
Zhenjiang,镇江市,prefecture,Jiangsu,south,Lianyungang,32.20,119.45,0.50,3.2,2280,mid
Changshu,常熟市,county-city(Suzhou),Jiangsu,south,Sihong,31.65,120.75,0.28,1.7,2280,high
Wujiang,吴江区,district(Suzhou),Jiangsu,south,Siyang,31.17,120.63,0.22,1.5,2280,high
Jiangyin,江阴市,county-city(Wuxi),Jiangsu,south,Suining,31.90,120.27,0.48,1.8,2280,high
Yixing,宜兴市,county-city(Wuxi),Jiangsu,south,Peixian,31.35,119.82,0.20,1.3,2280,high
Xuzhou,徐州市,prefecture,Jiangsu,north,Wuxi,34.27,117.18,0.85,9.0,2070,low
Lianyungang,连云港市,prefecture,Jiangsu,north,Zhenjiang,34.60,119.22,0.40,4.6,2070,low
Huai'an,淮安市,prefecture,Jiangsu,north,Nanjing,33.62,119.02,0.47,4.6,2070,low
Yancheng,盐城市,prefecture,Jiangsu,north,Changzhou,33.35,120.15,0.71,6.7,2070,low
Suqian,宿迁市,prefecture,Jiangsu,north,Suzhou,33.97,118.28,0.41,5.0,2070,low
Sihong,泗洪县,county(Suqian),Jiangsu,north,Changshu,33.47,118.22,0.07,0.9,1840,low
Siyang,泗阳县,county(Suqian),Jiangsu,north,Wujiang,33.72,118.68,0.07,0.8,1840,low
Suining,睢宁县,county(Xuzhou),Jiangsu,north,Jiangyin,33.90,117.95,0.07,1.0,1840,low
Peixian,沛县,county(Xuzhou),Jiangsu,north,Yixing,34.73,116.93,0.10,1.1,1840,low
Guiyang,贵阳市,prefecture,Guizhou,out,,26.65,106.63,0.49,6.2,1890,low
Luzhou,泸州市,prefecture,Sichuan,out,,28.87,105.43,0.26,4.3,1970,low
Maoming,茂名市,prefecture,Guangdong,out,,21.67,110.92,0.39,6.2,1720,low
Ningbo,宁波市,sub-provincial,Zhejiang,out,,29.88,121.55,1.57,9.6,2280,high
Xianyang,咸阳市,prefecture,Shaanxi,out,,34.33,108.70,0.28,4.2,2160,low
Yinchuan,银川市,prefecture,Ningxia,out,,38.47,106.28,0.25,2.9,1950,low
Baotou,包头市,prefecture,Inner Mongolia,out,,40.65,109.83,0.38,2.7,1980,low
Chongqing,重庆市,municipality,Chongqing,out,,29.57,106.55,2.91,32.1,2100,mid
Wuhu,芜湖市,prefecture,Anhui,out,,31.33,118.38,0.45,3.7,2060,mid
Anqing,安庆市,prefecture,Anhui,out,,30.53,117.05,0.28,4.2,1930,low"""
rows: dict[str, dict[str, Any]] = {}
for line in raw.splitlines():
    f = line.split(",")
    rows[f[0]] = dict(
        name=f[0],
        zh=f[1],
        level=f[2],
        prov=f[3],
        region=f[4],
        paired=f[5],
        lat=f[6],
        lon=f[7],
        gdp=float(f[8]),
        pop=float(f[9]),
        mw=int(f[10]),
        tier=f[11],
    )
ref_gdppc = rows["Suzhou"]["gdp"] / rows["Suzhou"]["pop"]


def ids(n: str) -> str:
    return n.lower().replace("'", "")


# power price index by province (assumption A)
power = {
    "Jiangsu": 1.0,
    "Zhejiang": 1.0,
    "Guangdong": 1.05,
    "Anhui": 0.93,
    "Chongqing": 0.88,
    "Sichuan": 0.80,
    "Guizhou": 0.82,
    "Shaanxi": 0.85,
    "Ningxia": 0.62,
    "Inner Mongolia": 0.58,
}
tertiary = {"south": 0.25, "north": 0.14, "out": 0.17}
infra = {
    "nanjing": 0.95,
    "suzhou": 0.95,
    "wuxi": 0.92,
    "changzhou": 0.9,
    "zhenjiang": 0.85,
    "changshu": 0.88,
    "wujiang": 0.88,
    "jiangyin": 0.88,
    "yixing": 0.85,
    "xuzhou": 0.7,
    "lianyungang": 0.65,
    "huaian": 0.6,
    "yancheng": 0.62,
    "suqian": 0.58,
    "sihong": 0.5,
    "siyang": 0.5,
    "suining": 0.5,
    "peixian": 0.5,
    "guiyang": 0.62,
    "luzhou": 0.55,
    "maoming": 0.55,
    "ningbo": 0.9,
    "xianyang": 0.62,
    "yinchuan": 0.55,
    "baotou": 0.55,
    "chongqing": 0.8,
    "wuhu": 0.72,
    "anqing": 0.6,
}
env = {"south": 0.85, "north": 0.6, "out": 0.6}
env_out = {"ningbo": 0.85, "chongqing": 0.72, "wuhu": 0.68, "guiyang": 0.62}
focus = {
    "suqian": "electronics;precision_machinery",
    "xuzhou": "auto_parts;precision_machinery;light_industry",
    "huaian": "intelligent_equipment;semiconductors;electronics",
    "yancheng": "precision_machinery;electronics;new_energy;new_materials",
    "lianyungang": "health_food;new_materials",
    "sihong": "intelligent_equipment;new_materials",
    "siyang": "textiles;intelligent_equipment;new_materials",
    "suining": "precision_machinery;textiles;light_industry;health_food",
    "peixian": "environmental",
}
park_name = {
    "suqian": ("suzhou_suqian", "Suzhou–Suqian Industrial Park", "苏州宿迁工业园区"),
    "xuzhou": ("wuxi_xuzhou", "Wuxi–Xuzhou Industrial Park", "无锡徐州工业园区"),
    "huaian": ("nanjing_huaian", "Nanjing–Huai'an Intelligent Manufacturing Park", "宁淮智能制造产业园"),
    "yancheng": ("changzhou_yancheng", "Changzhou–Yancheng Industrial Park", "常州盐城工业园区"),
    "lianyungang": ("zhenjiang_lianyungang", "Zhenjiang–Lianyungang Industrial Park", "镇江连云港工业园区"),
    "sihong": ("changshu_sihong", "Changshu–Sihong Industrial Park", "常熟泗洪工业园区"),
    "siyang": ("wujiang_siyang", "Wujiang–Siyang Industrial Park", "吴江泗阳工业园区"),
    "suining": ("jiangyin_suining", "Jiangyin–Suining Industrial Park", "江阴睢宁工业园区"),
    "peixian": ("yixing_peixian", "Yixing–Peixian Industrial Park", "宜兴沛县工业园区"),
}
DERIVED = "indices derived per model/data/README.md"
SRC = {
    "origin": "domain.md data sheet (lat/lon, GDP, population, minimum wage and land tier, A); "
    + DERIVED
    + "; infrastructure/environment/talent/capacity assumption",
    "north_park": "park, partner and focus industries: seed article; location and host data: "
    + "domain.md data sheet (host city or county, A); "
    + DERIVED
    + "; scores assumption",
    "outside_city": "destination named in seed article (2019-2022 top-5 lists); domain.md data sheet (A); "
    + DERIVED
    + "; scores assumption",
}
out: list[dict[str, Any]] = []


def derive(r: dict[str, Any]) -> tuple[float, float, float]:
    gdppc = r["gdp"] / r["pop"]
    wage = r["mw"] / 2280 * (gdppc / ref_gdppc) ** 0.3
    land = {"high": 1.0, "mid": 0.6, "low": 0.3}[r["tier"]]
    return round(wage, 3), land, round(gdppc / ref_gdppc, 3)


for name, r in rows.items():
    i = ids(name)
    wage, land, _ = derive(r)
    talent = round(r["pop"] * 1000 * tertiary[r["region"]] * 0.1, 1)
    if r["region"] == "south":
        kind, pid, nm, zh, partner, foc, prefecture = "origin", i, name, r["zh"], "", "", name
        environment = env["south"]
        cap = round(r["pop"] * 1e6 * 0.02)
    elif r["region"] == "north":
        kind = "north_park"
        pid, nm, zh = park_name[i]
        partner = ids(r["paired"])
        foc = focus[i]
        prefecture = name
        environment = 0.62
        cap = 60000 if r["level"] == "prefecture" else 30000
    else:
        kind, pid, nm, zh, partner, foc, prefecture = "outside_city", i, name, r["zh"], "", "", name
        environment = env_out.get(i, 0.6)
        cap = round(r["pop"] * 1e6 * 0.02)
    out.append(
        dict(
            id=pid,
            name=nm,
            name_zh=zh,
            kind=kind,
            province=r["prov"],
            prefecture=prefecture,
            lat=r["lat"],
            lon=r["lon"],
            partner=partner,
            focus_industries=foc,
            gdp2022_trn_cny=r["gdp"],
            pop2022_m=r["pop"],
            minwage_cny_month=r["mw"],
            land_price_tier=r["tier"],
            wage_index=wage,
            land_price_index=land,
            power_price_index=power[r["prov"]],
            infrastructure=infra[i],
            environment=environment,
            talent_pool_k=talent,
            capacity_jobs=cap,
            source=SRC[kind],
        )
    )
cols = list(out[0].keys())
with OUT.open("w", newline="", encoding="utf-8") as fh:
    w = csv.DictWriter(fh, cols, lineterminator="\n")
    w.writeheader()
    w.writerows(out)
