"""What a discovery run keeps: its horizon metrics only (the worker drops the yearly rows and mobility).

A discovery runs every package and the base in 1,000 or more worlds; each
run's stored record then holds the metrics over the report window
(`RunRecord.metrics`, which every run has) and nothing else, a few hundred
bytes instead of tens of kB.
"""

from __future__ import annotations

from experiments.engine.store import Reducer
from model.config import Scenario
from model.metrics import Results


def horizon_only(results: Results, scenario: Scenario) -> dict[str, float]:
    """Nothing beyond the horizon metrics the record always has: the reduction is the dropping."""
    return {}


# A version no other reducer uses (the hindcast summary's is 1): a run's key records it, so no stored run of
# another reduction is ever taken for one of these.
HORIZON_ONLY = Reducer(f"{__name__}:{horizon_only.__name__}", 1001)
