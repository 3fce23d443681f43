"""Seeds: one rule for turning seed sequences into run seeds, and for drawing a seed.

Replication seeds are `SeedSequence(master).spawn(n)`; the first k of them do
not depend on n, so experiments can add replications later. A seed drawn from
OS entropy (when the user gave none) is returned so that it can be recorded.
"""

from __future__ import annotations

import logging
import secrets

import numpy as np

logger = logging.getLogger(__name__)

SEED_BITS = 63


def seed_of(sequence: np.random.SeedSequence) -> int:
    """The integer run seed of a seed sequence."""
    return int(sequence.generate_state(1, np.uint64)[0])


def replication_seeds(master: int, replications: int) -> list[int]:
    """One integer seed per replication, spawned from the master seed."""
    return [seed_of(child) for child in np.random.SeedSequence(master).spawn(replications)]


def draw_seed() -> int:
    """A seed from OS entropy, for runs given none (callers record it)."""
    seed = secrets.randbits(SEED_BITS)
    logger.info("no seed given: drew %d from OS entropy", seed)
    return seed
