"""The one master-seed rule of every command.

The master seed of a command is, in this order: `--seed`; the seed its input
files declare (an experiment file's `seed`, then its base or baseline
scenario's `seed`); on `--resume`, the seed drawn for the runs being resumed
(recorded in `runs/state.json`); else one drawn from OS entropy now. Whatever
it is, it is recorded in the manifest with where it came from. Replication r
of every scenario, design point or lever subset then uses
`SeedSequence(master).spawn(R)[r]` (model.seeds.replication_seeds): common
random numbers.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from model.seeds import draw_seed, replication_seeds

DRAWN = "drawn"

__all__ = ["DRAWN", "master_seed", "replication_seeds"]


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
