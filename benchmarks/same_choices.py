"""Do two versions of the model make the same choices? For a speed change that alters sums' rounding.

    PYTHONPATH=OLD_CHECKOUT python benchmarks/same_choices.py --out old.pkl
    python benchmarks/same_choices.py --out new.pkl --compare old.pkl

Runs the shipped baseline, article_package and talent scenarios at 5,000 and
30,000 firms on seeds 0-2 with whatever `model` is first on the path, and keeps
each run's timeseries, flows, stocks and mobility. `--compare` prints, per run,
the timeseries fields that differ and whether every flow, stock and mobility
row is identical; exit 1 if any choice differs. A change that only reorders
sums (model.rows, model.nested) should leave every choice as it was, with only
`mean_move_probability` (a mean of the push probabilities) moving in its last
digits, below the 10 significant digits the tables print.
"""

from __future__ import annotations

import argparse
import pickle
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CASES = [
    (name, firms, seed)
    for name in ("baseline", "article_package", "talent")
    for firms in (5000, 30000)
    for seed in range(3)
]
ROUNDING_ONLY = {"mean_move_probability"}


def runs() -> dict[tuple[str, int, int], Any]:
    from model.model import simulate
    from model.scenario import load_scenario
    from model.world import world_for

    out = {}
    for name, firms, seed in CASES:
        sc = load_scenario(ROOT / "scenarios" / f"{name}.yaml", {"firms.count": firms})
        r = simulate(sc, seed, world_for(sc))
        out[(name, firms, seed)] = (r.timeseries, r.flows, r.stocks, r.mobility)
    return out


def compare(old: dict, new: dict) -> int:
    same = 0
    for key in old:
        a, b = old[key], new[key]
        fields = sorted({k for ra, rb in zip(a[0], b[0], strict=True) for k in ra if ra[k] != rb[k]})
        choices = a[1] == b[1] and a[2] == b[2] and a[3] == b[3] and set(fields) <= ROUNDING_ONLY
        same += choices
        print(
            f"{key}: {'same choices' if choices else 'CHOICES DIFFER'}; timeseries fields differing: {fields or 'none'}"
        )
    print(f"{same} of {len(old)} runs: every choice, count and flow identical")
    return 0 if same == len(old) else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--compare", type=Path)
    args = parser.parse_args()
    new = runs()
    args.out.write_bytes(pickle.dumps(new))
    if args.compare is None:
        return 0
    return compare(pickle.loads(args.compare.read_bytes()), new)


if __name__ == "__main__":
    sys.exit(main())
