"""Agreement in distribution of the per-agent twin and the vectorised model, over seeds.

`python -m benchmarks.agreement [--scenario PATH] [--firms N] [--seeds S]`
runs both versions with the same seeds (so the same firms are drawn; each
version then makes its own draws) and prints, per metric of the report window,
both means ± standard errors, their difference and the paired z statistic.
|z| below ~2 is agreement.
"""

from __future__ import annotations

import argparse
import math
import statistics
import time
from collections.abc import Sequence
from pathlib import Path

from benchmarks.per_agent import simulate_per_agent
from model import simulate
from model.config import Scenario
from model.scenario import load_scenario
from model.seeds import replication_seeds
from model.world import world_for

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "scenarios" / "baseline.yaml"

AGREEMENT_METRICS: tuple[str, ...] = (
    "relocated_firms",
    "relocated_jobs",
    "north_share_jobs",
    "jiangsu_share_jobs",
    "outside_share_jobs",
    "closed_jobs",
)


def mean_se(values: Sequence[float]) -> tuple[float, float]:
    """Mean and its standard error."""
    mean = statistics.fmean(values)
    se = statistics.stdev(values) / math.sqrt(len(values)) if len(values) > 1 else math.nan
    return mean, se


def paired_z(vec: Sequence[float], per: Sequence[float]) -> float:
    """Mean of the per-seed differences (per-agent − vectorised) over its standard error."""
    mean, se = mean_se([b - a for a, b in zip(vec, per, strict=True)])
    return mean / se if se > 0 else math.nan


def agreement(scenario: Scenario, seeds: Sequence[int]) -> dict[str, tuple[list[float], list[float]]]:
    """Per metric: (vectorised values, per-agent values), one per seed, same seeds for both."""
    data = world_for(scenario)
    out: dict[str, tuple[list[float], list[float]]] = {name: ([], []) for name in AGREEMENT_METRICS}
    for seed in seeds:
        vec = simulate(scenario, seed, data).metrics
        per = simulate_per_agent(scenario, seed, data).metrics
        for name in AGREEMENT_METRICS:
            out[name][0].append(float(vec[name]))
            out[name][1].append(float(per[name]))
    return out


def main(argv: Sequence[str] | None = None) -> int:
    """Print the agreement of both versions on a scenario over several seeds."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", type=Path, default=BASELINE)
    parser.add_argument("--firms", type=int, default=10_000)
    parser.add_argument("--seeds", type=int, default=8, help="replications (seeds) per version")
    args = parser.parse_args(argv)
    scenario = load_scenario(args.scenario, {"firms.count": args.firms})
    seeds = replication_seeds(scenario.seed if scenario.seed is not None else 0, args.seeds)
    started = time.perf_counter()
    result = agreement(scenario, seeds)
    print(
        f"scenario {scenario.name} ({args.scenario}), {args.firms} firms, years {scenario.years.start}-"
        f"{scenario.years.end}, {len(seeds)} seeds spawned from {scenario.seed} ({time.perf_counter() - started:.1f} s)"
    )
    print("metrics over the report window (summary.json); paired z: same seed, same firms drawn, own draws")
    print(f"{'metric':<20}{'vectorised mean ± se':>26}{'per-agent mean ± se':>26}{'per - vec':>14}{'paired z':>10}")
    for name, (vec, per) in result.items():
        (mv, sv), (mp, sp) = mean_se(vec), mean_se(per)
        print(f"{name:<20}{mv:>16.4g} ± {sv:<7.3g}{mp:>16.4g} ± {sp:<7.3g}{mp - mv:>14.4g}{paired_z(vec, per):>10.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
