"""How much the talent verdict depends on the assumed industry-intensity table.

    python -m tools.intensity_sensitivity                          # 10,000 firms, 6 replications
    python -m tools.intensity_sensitivity --firms 30000 --replications 20
    python -m tools.intensity_sensitivity --talent-coefficient 1.0 # at the hand-set talent coefficient

The talent lever (scenarios/talent.yaml: CNY 2 bn a year for the nine parks,
2024-2035) acts through skill_k × ln(1 + talent pool): its effect rests on
industries.csv's skill intensities, and the calibrated talent coefficient it
is multiplied by rests on the industry-mix fact, measured against the same
table's labour and land intensities, which in the shipped table nearly mirror
skill (Spearman ρ = −0.89). This script reruns the talent scenario against the
baseline on paired seeds (replication r of both on the same seed, as
`compare` does) on other plausible tables (`world.intensities`, ranges in
model/data/industry_intensity_ranges.csv):

- the shipped table;
- skill at the low and at the high end of every industry's range;
- labour, land and skill at the combination of points and ends with the
  weakest mirror (the largest ρ of the 27);
- `--draws` tables drawn within the ranges (labour, land and skill; seeds
  0, 1, ...), as they come;
- the drawn table with the weakest mirror (smallest |ρ|) and the one with the
  most positive ρ among seeds 0 to `--search` − 1.

Per table it prints ρ(labour + land, skill), the industry-mix fact the
calibration fits (Spearman ρ between an industry's mean labour and land
intensity and its jobs' move rate over the hindcast 2019-2022, pooled over
the baseline's replications; met at ρ ≥ 0.5), the talent lever's change in
jobs moved to north parks over 2024-2035 with its paired 95% t interval, and
the replications. The behaviour coefficients stay the calibrated baseline's:
a table under which the baseline misses the industry-mix fact is one the
calibration would have answered with other coefficients (not rerun here).
Runs are serial (the machine's cores may be busy); a 10,000-firm run takes
about half a second.
"""

from __future__ import annotations

import argparse
import itertools
import math
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from experiments.analysis.stats import mean_ci95
from experiments.facts.catalogue import FACTS, summarise
from experiments.facts.measures import spearman
from model.config import Intensities, Scenario
from model.errors import InputError
from model.intensities import drawn_columns, read_ranges
from model.model import simulate
from model.scenario import load_scenario
from model.scenario import variant as scenario_variant
from model.seeds import replication_seeds
from model.world import RANGES_FILE, WorldData, data_path, load_world, world_for, world_paths

ROOT = Path(__file__).resolve().parent.parent
BASE = ROOT / "scenarios" / "baseline.yaml"
LEVER = ROOT / "scenarios" / "talent.yaml"
MIRROR = ("labour", "land", "skill")  # the columns whose pattern the verdict rests on
OUTCOME = "to_north_jobs"


@dataclass(frozen=True)
class Variant:
    name: str
    setting: Mapping[str, Any]  # world.intensities


@dataclass(frozen=True)
class Row:
    variant: Variant
    rho: float  # ρ(labour + land, skill) of the table
    fact_rho: float  # the industry-mix fact's ρ in the baseline's hindcast
    fact_met: bool | None
    effect: tuple[float, float | None, float | None]  # Δ north-park jobs: mean, 95% interval
    cost_yuan: float  # mean change in fiscal cost
    replications: int


def mirror_rho(num: Mapping[str, np.ndarray]) -> float:
    """Spearman ρ between labour + land intensity and skill intensity over the industries."""
    return spearman(list(num["labour_intensity"] + num["land_intensity"]), list(num["skill_intensity"]))


def variants(world: WorldData, ranges_path: Path, draws: int, search: int) -> list[Variant]:
    """The tables compared (module docstring), each a `world.intensities` setting."""
    ranges = read_ranges(ranges_path, world.industry_ids, world.industry_num)

    def rho_of(setting: Mapping[str, Any]) -> float:
        return mirror_rho({**world.industry_num, **drawn_columns(Intensities(**setting), world.industry_num, ranges)})

    ends = [dict(zip(MIRROR, c, strict=True)) for c in itertools.product(("point", "low", "high"), repeat=3)]
    weakest_end = max(ends, key=rho_of)
    drawn = [{**dict.fromkeys(MIRROR, "draw"), "seed": s} for s in range(search)]
    rhos = [rho_of(d) for d in drawn]
    weakest = drawn[int(np.argmin(np.abs(rhos)))]
    reversed_ = drawn[int(np.argmax(rhos))]
    ends_label = ", ".join(f"{k} {v}" for k, v in weakest_end.items())
    found = [
        Variant("shipped table", {}),
        Variant("skill low", {"skill": "low"}),
        Variant("skill high", {"skill": "high"}),
        Variant(f"ends, weakest mirror ({ends_label})", weakest_end),
        *(Variant(f"draw, seed {d['seed']}", d) for d in drawn[:draws]),
        Variant(f"draw, weakest mirror (seed {weakest['seed']})", weakest),
        Variant(f"draw, most positive ρ (seed {reversed_['seed']})", reversed_),
    ]
    unique: dict[str, Variant] = {}
    for v in found:  # a table found twice (the weakest draw is the most positive) is run once
        unique.setdefault(repr(sorted(v.setting.items())), v)
    return list(unique.values())


def measure(table: Variant, base: Scenario, lever: Scenario, seeds: Sequence[int], overrides: dict[str, Any]) -> Row:
    """The talent lever against the baseline on paired seeds, on the variant's table."""
    values = {**overrides, "world.intensities": dict(table.setting)}
    b, t = (scenario_variant(s, values, "intensity_sensitivity") for s in (base, lever))
    world = world_for(b)
    north, cost, summaries = [], [], []
    for seed in seeds:
        rb, rt = simulate(b, seed), simulate(t, seed)
        north.append(rt.metrics[OUTCOME] - rb.metrics[OUTCOME])
        cost.append(rt.metrics["fiscal_cost_yuan"] - rb.metrics["fiscal_cost_yuan"])
        summaries.append(summarise(rb, b))
    fact = FACTS["industry_mix"].of(summaries, world)
    return Row(
        table, mirror_rho(world.industry_num), fact.value, fact.met, mean_ci95(north), float(np.mean(cost)), len(seeds)
    )


def _jobs(x: float | None) -> str:
    return "–" if x is None or not math.isfinite(x) else f"{x:+,.0f}"


def markdown(rows: Sequence[Row]) -> str:
    """The rows as a Markdown table."""
    lines = [
        "| table | ρ(labour + land, skill) | industry-mix fact ρ (met ≥ 0.5) | talent: Δ north-park jobs (95% CI) "
        "| replications |",
        "|---|---:|---:|---:|---:|",
    ]
    for r in rows:
        mean, lo, hi = r.effect
        fact = f"{r.fact_rho:+.2f} ({'met' if r.fact_met else 'not met'})"
        lines.append(
            f"| {r.variant.name} | {r.rho:+.2f} | {fact} | {_jobs(mean)} ({_jobs(lo)} to {_jobs(hi)}) "
            f"| {r.replications} |"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.intensity_sensitivity", description=__doc__.split("\n")[0])
    parser.add_argument("--firms", type=int, default=10_000, help="firms per run (default 10000)")
    parser.add_argument("--replications", type=int, default=6, help="paired replications per table (default 6)")
    parser.add_argument("--seed", type=int, default=20230101, help="master seed (default the baseline's)")
    parser.add_argument("--draws", type=int, default=3, help="drawn tables taken as they come (default 3)")
    parser.add_argument("--search", type=int, default=2000, help="seeds searched for the extreme draws (default 2000)")
    parser.add_argument("--talent-coefficient", type=float, default=None, help="behaviour.choice.talent in both runs")
    parser.add_argument("--base", type=Path, default=BASE, help="the baseline scenario")
    parser.add_argument("--lever", type=Path, default=LEVER, help="the scenario with the talent lever")
    args = parser.parse_args(argv)
    if args.replications < 2 or args.firms < 1 or args.draws < 0 or args.search < 1:
        parser.error("--replications at least 2, --firms at least 1, --draws at least 0, --search at least 1")
    overrides: dict[str, Any] = {"firms.count": args.firms}
    if args.talent_coefficient is not None:
        overrides["behaviour.choice.talent"] = args.talent_coefficient
    try:
        base, lever = load_scenario(args.base, overrides), load_scenario(args.lever, overrides)
        world = load_world(*world_paths(base))
        chosen = variants(world, data_path(base, RANGES_FILE), args.draws, args.search)
        seeds = replication_seeds(args.seed, args.replications)
        start = time.perf_counter()
        rows = []
        for v in chosen:
            rows.append(measure(v, base, lever, seeds, overrides))
            print(f"  {v.name}: done ({time.perf_counter() - start:.0f} s)", file=sys.stderr)
    except InputError as exc:
        print(f"intensity_sensitivity: {exc.message}", file=sys.stderr)
        return 2
    beta = base.behaviour.choice.talent
    cost = np.mean([r.cost_yuan for r in rows]) / 1e9
    print(
        f"Talent lever ({args.lever.name}) vs baseline ({args.base.name}), paired seeds (master {args.seed}), "
        f"{args.firms:,} firms, talent coefficient {beta:g}; extra fiscal cost CNY {cost:.1f} bn, 2024-2035\n"
    )
    print(markdown(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
