"""SALib, the optional extra behind Morris and Sobol' indices (`sensitivity` and the validation report).

Imported only when a command needs it, so that a missing extra is one line
(exit 2) naming what to install, and seeded so the same seed gives the same
bytes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from model.extras import missing_extra

NUM_RESAMPLES = 1000  # bootstrap resamples: cheap next to the model runs, steadier than SALib's 100
CONF_LEVEL = 0.95


@dataclass(frozen=True)
class SALib:
    """The SALib functions used, imported only when the command runs (SALib is an optional extra)."""

    morris_sample: Callable[..., np.ndarray]
    morris_analyze: Callable[..., Any]
    sobol_sample: Callable[..., np.ndarray]
    sobol_analyze: Callable[..., Any]


def require_salib(command: str = "sensitivity", needs: str = "Morris and Sobol' analysis", instead: str = "") -> SALib:
    """SALib's functions, or exit 2 naming the command, what needs SALib and what to do instead."""
    try:
        from SALib.analyze import morris as morris_analyze
        from SALib.analyze import sobol as sobol_analyze
        from SALib.sample import morris as morris_sample
        from SALib.sample import sobol as sobol_sample
    except ImportError:
        raise missing_extra("SALib", needs, command, instead) from None
    return SALib(morris_sample.sample, morris_analyze.analyze, sobol_sample.sample, sobol_analyze.analyze)


def analysis_seed(sample_seed: int) -> int:
    """The bootstrap seed, derived from the design seed; never 0 (SALib's Sobol' treats 0 as unseeded)."""
    return int(np.random.SeedSequence([sample_seed, 2]).generate_state(1, np.uint32)[0]) or 1
