"""The hindcast of a run: what the model says about the years the article describes (2019–2022).

From each replication's flows, stocks and mobility over the hindcast window,
per origin group (the prefecture of the southern origins: Suzhou with
Changshu and Wujiang, Wuxi with Jiangyin and Yixing, …, and all origins):

- `move_rate`: relocations out of the group's origins ÷ firms there, per year;
- `share`: jobs moved to each destination kind ÷ all jobs moved from the group;
- `outside_destination`: each outside city's share of the group's outside-bound jobs;
- `distance_band`: share of moved jobs by great-circle distance band;
- `industry_move_rate`: jobs of an industry moved ÷ its jobs at the origins, per year;
- `north_jiangsu_share`: jobs moved to northern Jiangsu (north of 33°N: the parks and the
  northern prefectures) ÷ all jobs moved;
- `outside_distance_band`: share of the group's outside-bound jobs by the article's cluster
  bands (< 400 km near, 400-1,000 km between, > 1,000 km far);
- for the whole south, the move rate by size band and by age band; `park_share` (each north
  park's share of all moved jobs); `park_focus_ratio` (how sector-specific the parks' arrivals
  are, 1 = not at all) and `base_ratio` (moves to places where the industry already has a base,
  relative to chance: agglomeration lock-in).

Each is a mean over replications with its 95% interval (bounded metrics stay
in bounds). `patterns_rows` compares the groups' top outside destinations
with the article's lists (experiments.facts.patterns): the cities in common
with the hypergeometric chance of random picks reaching as many, and for a
list the source gives ranked also the rank-biased overlap.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from experiments.analysis.stats import Interval
from experiments.facts.patterns import Targets, overlap, random_picks, rbo, set_chance
from model.world import WorldData

ALL = "all origins"
SHARE = (0.0, 1.0)
RATIOS = ("park_focus_ratio", "base_ratio")  # observed ÷ expected, >= 0; every other statistic is a share
NORTH_OF_LAT = 33.0  # northern Jiangsu: Huai'an, Yancheng, Suqian, Xuzhou, Lianyungang and their parks
DISTANCE_BANDS_KM = (0.0, 300.0, 600.0, 1000.0)
# The article's two clusters (domain.md fact 7): near (Ningbo, Wuhu 183-184 km, Anqing 330 km) and
# far (1,100-1,500 km), nothing between: outside-bound jobs by these bands.
CLUSTER_BANDS_KM = (0.0, 400.0, 1000.0)
FLAT_TOP = 20  # outside destinations per group kept in a run summary (the lists compared have 5)
# A run folder's hindcast tables, read back by experiments.facts.hindcast_report
HINDCAST_FILE = "hindcast.csv"
PATTERNS_FILE = "patterns.csv"
HINDCAST_COLUMNS = ("group", "statistic", "item", "unit", "mean", "ci_low", "ci_high", "replications")
PATTERN_COLUMNS = ("group", "measure", "value", "ci_low", "ci_high", "chance_mean", "chance_q95", "detail", "p_value")


def band_of(km: float, bands: tuple[float, ...] = DISTANCE_BANDS_KM) -> str:
    i = int(np.searchsorted(bands, km, side="right")) - 1
    lo = bands[i]
    return f"{lo:g}+ km" if i == len(bands) - 1 else f"{lo:g}-{bands[i + 1]:g} km"


class Hindcast:
    """Accumulates the replications' records; `rows()` gives hindcast.csv, `patterns()` patterns.csv."""

    def __init__(self, data: WorldData, window: tuple[int, int]) -> None:
        self.data = data
        self.window = window
        kinds = dict(zip(data.place_ids, data.kinds, strict=True))
        self.kind = kinds
        self.group_of = {
            p: row["prefecture"] or p
            for p, row in zip(data.place_ids, data.place_rows, strict=True)
            if kinds[p] == "origin"
        }
        self.groups = sorted(set(self.group_of.values()))
        index = {p: i for i, p in enumerate(data.place_ids)}
        self.index = index
        self.industry_index = {k: i for i, k in enumerate(data.industry_ids)}
        self.north_jiangsu = {
            p
            for p in data.place_ids
            if kinds[p] in ("north_park", "jiangsu_city") and data.lat[index[p]] >= NORTH_OF_LAT
        }
        # Per place: its origin group's position (-1: not an origin) and kind; per (from, to): distance bands.
        self._group_at = np.full(data.n_places, -1, dtype=np.int64)
        for p, g in self.group_of.items():
            self._group_at[index[p]] = self.groups.index(g)
        self._kind_names = sorted(set(kinds.values()))
        self._kind_code = np.array([self._kind_names.index(k) for k in data.kinds], dtype=np.int64)
        self._north = np.array([p in self.north_jiangsu for p in data.place_ids])
        km = np.asarray(data.distance_km, dtype=float)
        self._band = np.searchsorted(DISTANCE_BANDS_KM, km, side="right") - 1
        self._band_names = [band_of(lo) for lo in DISTANCE_BANDS_KM]
        self._cluster = np.searchsorted(CLUSTER_BANDS_KM, km, side="right") - 1
        self._cluster_names = [band_of(lo, CLUSTER_BANDS_KM) for lo in CLUSTER_BANDS_KM]
        self.stats: dict[tuple[str, str, str], list[float]] = defaultdict(list)
        self.outside_jobs: dict[str, list[dict[str, float]]] = defaultdict(list)
        self.replications = 0

    def add(
        self, flows: Iterable[Sequence[Any]], stocks: Iterable[Sequence[Any]], mobility: Iterable[Sequence[Any]]
    ) -> None:
        """One replication's flows (year, origin, dest, industry, firms, jobs), stocks and mobility rows.

        Each sum is a `np.bincount` over the rows in their order, which adds the weights one by one
        from 0.0 as a loop over the rows would: the same numbers bit for bit, without a Python step
        per row (a calibration summarises every run, and the loop cost as much as the run).
        """
        acc: dict[tuple[str, str, str], float] = defaultdict(float)
        outside: dict[str, dict[str, float]] = {g: {} for g in [*self.groups, ALL]}
        self._add_flows(acc, outside, list(flows))
        self._add_stocks(acc, list(stocks))
        first, last = self.window
        for year, size, age, firms, movers in mobility:
            if first <= int(year) <= last:
                acc[(ALL, "size_firms", str(size))] += float(firms)
                acc[(ALL, "size_movers", str(size))] += float(movers)
                acc[(ALL, "age_firms", str(age))] += float(firms)
                acc[(ALL, "age_movers", str(age))] += float(movers)
        self._derive(acc)
        for g, cities in outside.items():
            self.outside_jobs[g].append(cities)
        self.replications += 1

    def _in_window(self, years: Sequence[Any]) -> np.ndarray:
        first, last = self.window
        year = np.asarray(years).astype(np.int64)
        return (year >= first) & (year <= last)

    def _add_flows(
        self, acc: dict[tuple[str, str, str], float], outside: dict[str, dict[str, float]], flows: list[Sequence[Any]]
    ) -> None:
        if not flows:
            return
        years, origins, dests, industries, firms_c, jobs_c = zip(*flows, strict=True)
        o = np.array([self.index[p] for p in origins], dtype=np.int64)
        keep = self._in_window(years) & (self._group_at[o] >= 0)
        if not keep.any():
            return
        rows = np.flatnonzero(keep)
        o = o[rows]
        d = np.array([self.index[dests[i]] for i in rows], dtype=np.int64)
        k = np.array([self.industry_index[str(industries[i])] for i in rows], dtype=np.int64)
        firms = np.asarray(firms_c, dtype=float)[rows]
        jobs = np.asarray(jobs_c, dtype=float)[rows]
        n_groups = len(self.groups) + 1
        kind = self._kind_code[d]
        band = self._band[o, d]
        cluster = self._cluster[o, d]
        is_outside = kind == self._kind_names.index("outside_city")
        north = self._north[d]
        labels = [*self.groups, ALL]
        for g_of in (self._group_at[o], np.full(len(o), n_groups - 1)):

            def per(code: np.ndarray, width: int, w: np.ndarray, g: np.ndarray = g_of) -> np.ndarray:
                return np.bincount(g * width + code, weights=w, minlength=n_groups * width).reshape(n_groups, width)

            zero = np.zeros(len(o), dtype=np.int64)
            sums = {
                "moved_firms": per(zero, 1, firms),
                "moved_jobs": per(zero, 1, jobs),
                "north_jiangsu_jobs": per(zero, 1, np.where(north, jobs, 0.0)),
            }
            seen = np.bincount(g_of, minlength=n_groups) > 0
            for gi in np.flatnonzero(seen):
                for stat, table in sums.items():
                    acc[(labels[gi], stat, "")] += float(table[gi, 0])
            for stat, code, names, w, mask in (
                ("kind_jobs", kind, self._kind_names, jobs, None),
                ("band_jobs", band, self._band_names, jobs, None),
                ("industry_jobs", k, self.data.industry_ids, jobs, None),
                ("cluster_jobs", cluster, self._cluster_names, jobs, is_outside),
            ):
                sel = slice(None) if mask is None else mask
                width = len(names)
                table = per(code[sel], width, w[sel], g_of[sel])
                hit = np.bincount(g_of[sel] * width + code[sel], minlength=n_groups * width).reshape(n_groups, width)
                for gi, ci in zip(*np.nonzero(hit), strict=True):
                    acc[(labels[gi], stat, str(names[ci]))] += float(table[gi, ci])
            self._outside_cities(outside, labels, g_of[is_outside], d[is_outside], jobs[is_outside])
        parks = kind == self._kind_names.index("north_park")
        if parks.any():
            park_jobs = np.bincount(d[parks], weights=jobs[parks], minlength=self.data.n_places)
            for p in np.unique(d[parks]):
                acc[(ALL, "park_jobs", self.data.place_ids[p])] += float(park_jobs[p])
            focus = np.where(self.data.focus[d[parks], k[parks]], jobs[parks], 0.0)
            acc[(ALL, "park_focus_jobs", "")] += float(np.bincount(np.zeros(len(focus), np.int64), focus)[0])
        base = np.where(self.data.base_jobs[d, k] > 0, jobs, 0.0)
        acc[(ALL, "base_jobs", "")] += float(np.bincount(np.zeros(len(base), np.int64), base)[0])

    def _outside_cities(
        self,
        outside: dict[str, dict[str, float]],
        labels: list[str],
        groups: np.ndarray,
        dests: np.ndarray,
        jobs: np.ndarray,
    ) -> None:
        """Each group's jobs per outside city, the cities in the order they first appear (as a loop adds them)."""
        for gi in np.unique(groups):
            mine = groups == gi
            cities, first, inverse = np.unique(dests[mine], return_index=True, return_inverse=True)
            sums = np.bincount(inverse, weights=jobs[mine], minlength=len(cities))
            into = outside[labels[gi]]
            for j in np.argsort(first, kind="stable"):
                city = self.data.place_ids[cities[j]]
                into[city] = into.get(city, 0.0) + float(sums[j])

    def _add_stocks(self, acc: dict[tuple[str, str, str], float], stocks: list[Sequence[Any]]) -> None:
        if not stocks:
            return
        years, places, industries, firms_c, jobs_c = zip(*stocks, strict=True)
        p = np.array([self.index[x] for x in places], dtype=np.int64)
        keep = self._in_window(years) & (self._group_at[p] >= 0)
        rows = np.flatnonzero(keep)
        if not len(rows):
            return
        p = p[rows]
        k = np.array([self.industry_index[str(industries[i])] for i in rows], dtype=np.int64)
        firms = np.asarray(firms_c, dtype=float)[rows]
        jobs = np.asarray(jobs_c, dtype=float)[rows]
        n_groups = len(self.groups) + 1
        labels = [*self.groups, ALL]
        n_k = len(self.data.industry_ids)
        for g in (self._group_at[p], np.full(len(p), n_groups - 1)):
            f = np.bincount(g, weights=firms, minlength=n_groups)
            ind = np.bincount(g * n_k + k, weights=jobs, minlength=n_groups * n_k).reshape(n_groups, n_k)
            hit = np.bincount(g * n_k + k, minlength=n_groups * n_k).reshape(n_groups, n_k)
            for gi in np.unique(g):
                acc[(labels[gi], "firms", "")] += float(f[gi])
            for gi, ki in zip(*np.nonzero(hit), strict=True):
                acc[(labels[gi], "industry_stock", str(self.data.industry_ids[ki]))] += float(ind[gi, ki])

    def _derive(self, acc: dict[tuple[str, str, str], float]) -> None:
        def ratio(num: float, den: float) -> float:
            return num / den if den > 0 else float("nan")

        for g in [*self.groups, ALL]:
            moved = acc[(g, "moved_jobs", "")]
            self.stats[(g, "move_rate", "")].append(ratio(acc[(g, "moved_firms", "")], acc[(g, "firms", "")]))
            self.stats[(g, "north_jiangsu_share", "")].append(ratio(acc[(g, "north_jiangsu_jobs", "")], moved))
            for kind in ("north_park", "jiangsu_city", "outside_city"):
                self.stats[(g, "share", kind)].append(ratio(acc[(g, "kind_jobs", kind)], moved))
            for lo in DISTANCE_BANDS_KM:
                band = band_of(lo)
                self.stats[(g, "distance_band", band)].append(ratio(acc[(g, "band_jobs", band)], moved))
            for k in self.data.industry_ids:
                rate = ratio(acc[(g, "industry_jobs", k)], acc[(g, "industry_stock", k)])
                self.stats[(g, "industry_move_rate", k)].append(rate)
            outside = acc[(g, "kind_jobs", "outside_city")]
            for lo in CLUSTER_BANDS_KM:
                band = band_of(lo, CLUSTER_BANDS_KM)
                self.stats[(g, "outside_distance_band", band)].append(ratio(acc[(g, "cluster_jobs", band)], outside))
        self._derive_parks(acc)
        for what in ("size", "age"):
            bands = sorted({key[2] for key in acc if key[1] == f"{what}_firms"}, key=_band_order)
            for band in bands:
                rate = ratio(acc[(ALL, f"{what}_movers", band)], acc[(ALL, f"{what}_firms", band)])
                self.stats[(ALL, f"move_rate_by_{what}", band)].append(rate)

    def _derive_parks(self, acc: dict[tuple[str, str, str], float]) -> None:
        """Each park's share of all moved jobs; how sector-specific the parks' arrivals are; lock-in.

        `park_focus_ratio`: jobs arriving at the parks in their focus industries ÷ what they would be
        if each park drew the industries in the proportions of all moved jobs (1 = not sector-specific).
        `base_ratio`: share of moved jobs going where their industry already has a base (industry_base)
        ÷ the share of destinations with such a base, weighted by the movers' industries (1 = chance).
        """
        moved = acc[(ALL, "moved_jobs", "")]
        mix = np.array([acc[(ALL, "industry_jobs", k)] for k in self.data.industry_ids]) / moved if moved else None
        parks = [p for p, k in self.kind.items() if k == "north_park"]
        expected = 0.0
        for p in parks:
            jobs = acc[(ALL, "park_jobs", p)]
            self.stats[(ALL, "park_share", p)].append(jobs / moved if moved else float("nan"))
            if mix is not None:
                expected += jobs * float(mix @ self.data.focus[self.index[p]])
        focus = acc[(ALL, "park_focus_jobs", "")]
        self.stats[(ALL, "park_focus_ratio", "")].append(focus / expected if expected > 0 else float("nan"))
        dests = [self.index[p] for p, k in self.kind.items() if k != "origin"]
        has_base = (self.data.base_jobs[dests] > 0).mean(axis=0)
        chance = float(mix @ has_base) if mix is not None else float("nan")
        base = acc[(ALL, "base_jobs", "")] / moved if moved else float("nan")
        self.stats[(ALL, "base_ratio", "")].append(base / chance if chance > 0 else float("nan"))

    def rows(self) -> list[list[Any]]:
        out = []
        for (g, stat, item), values in self.stats.items():
            ratio = stat in RATIOS
            iv = Interval.of(values, (0.0, math.inf) if ratio else SHARE)
            out.append([g, stat, item, "ratio" if ratio else "share of 1", iv.mean, iv.low, iv.high, iv.n])
        for g, reps in self.outside_jobs.items():
            for city, _mean in self.outside_ranking(g):
                iv = Interval.of([_share(r, city) for r in reps], SHARE)
                out.append([g, "outside_destination", city, "share of 1", iv.mean, iv.low, iv.high, iv.n])
        return out

    def flat(self, replication: int = 0, top: int = FLAT_TOP) -> dict[str, float]:
        """One replication's statistics as `group|statistic|item` -> value (the compact run summary).

        Values are rounded to 7 decimals (shares: far below any sampling error) and only each
        group's `top` outside destinations by jobs are kept, so a stored summary stays ~10 kB.
        """
        out = {f"{g}|{stat}|{item}": round(float(v[replication]), 7) for (g, stat, item), v in self.stats.items()}
        for g, reps in self.outside_jobs.items():
            jobs = reps[replication]
            for city in sorted(jobs, key=lambda c: (-jobs[c], c))[:top]:
                out[f"{g}|outside_destination|{city}"] = round(_share(jobs, city), 7)
        return out

    def outside_ranking(self, group: str) -> list[tuple[str, float]]:
        """Outside cities by their mean share of the group's outside-bound jobs, largest first (ties by id)."""
        reps = self.outside_jobs.get(group, [])
        cities = sorted({c for r in reps for c in r})
        means = {c: float(np.mean([_share(r, c) for r in reps])) for c in cities}
        return sorted(means.items(), key=lambda kv: (-kv[1], kv[0]))

    def patterns(self, targets: Targets) -> list[list[Any]]:
        """The groups' top outside destinations against the article's, beside what random picks score.

        Every list: the cities in common, with the exact chance that as many random picks share at least
        as many (`p_value`); a ranked list also its rank-biased overlap, with the Monte-Carlo chance.
        """
        candidates = [p for p, k in self.kind.items() if k == "outside_city"]
        out: list[list[Any]] = []
        for group, target in targets.top_destinations.items():
            ranking = [c for c, _ in self.outside_ranking(group)][: len(target)]
            ranked = targets.is_ranked(group)
            per_rep = []
            for reps in self.outside_jobs.get(group, []):
                top = sorted(reps, key=lambda c, r=reps: (-r[c], c))[: len(target)]
                per_rep.append((overlap(top, target), rbo(top, target)))
            detail = " ".join(ranking)
            hits = overlap(ranking, target)
            exact = set_chance(target, candidates, len(ranking) or len(target))
            over = Interval.of([a for a, _ in per_rep], (0.0, float(len(target))))
            row = [group, "overlap_at_5", hits, over.low, over.high, exact.mean, exact.q95, detail, exact.p(hits)]
            out.append(row)
            if ranked:
                chance = random_picks(target, candidates)
                value = rbo(ranking, target)
                rb = Interval.of([b for _, b in per_rep], SHARE)
                row = [group, "rank_biased_overlap", value, rb.low, rb.high, chance.rbo_mean, chance.rbo_q95]
                out.append([*row, detail, chance.rbo_p(value)])
        return out


def _share(rep: dict[str, float], city: str) -> float:
    total = sum(rep.values())
    return rep.get(city, 0.0) / total if total > 0 else 0.0


def _band_order(label: str) -> float:
    try:
        return float(label.split("-")[0].split("+")[0])
    except ValueError:
        return float("inf")
