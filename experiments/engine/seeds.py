"""The one master-seed rule of every command.

The master seed of a command is, in this order: `--seed`; the seed its input
files declare (an experiment file's `seed`, then its base or baseline
scenario's `seed`); on `--resume`, the seed drawn for the runs being resumed
(recorded in `runs/state.json`); else one drawn from OS entropy now. Whatever
it is, it is recorded in the manifest with where it came from. Replication r
of every scenario, design point or lever subset then uses
`SeedSequence(master).spawn(R)[r]` (model.seeds.replication_seeds): common
random numbers. Over a posterior ensemble (`compare`/`attribute --posterior`)
replication r of draw k uses `SeedSequence(master).spawn(K)[k].spawn(R)[r]`
(`draw_seeds`): the same seeds for every scenario or lever subset of a draw,
independent seeds from one draw to the next.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from model.seeds import draw_seed, replication_seeds, seed_of

DRAWN = "drawn"

__all__ = ["DRAWN", "draw_seeds", "master_seed", "replication_seeds"]


def draw_seeds(master: int, draws: int, replications: int) -> list[list[int]]:
    """seeds[k][r] for replication r of posterior draw k; the first k draws and r replications do not depend on K, R."""
    return [[seed_of(c) for c in d.spawn(replications)] for d in np.random.SeedSequence(master).spawn(draws)]


def master_seed(
    cli_seed: int | None, declared: Sequence[tuple[int | None, str]], state: dict[str, Any] | None = None
) -> tuple[int, str]:
    """(seed, where it came from) by the rule above."""
    if cli_seed is not None:
        return cli_seed, "--seed"
    for seed, where in declared:
        if seed is not None:
            return int(seed), where
    if state is not None and state.get("seed_source") == DRAWN and isinstance(state.get("master_seed"), int):
        return int(state["master_seed"]), DRAWN
    return draw_seed(), DRAWN
