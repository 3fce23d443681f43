"""An Evaluator whose facts are measured against given targets, not against the article (the recovery check).

`calibrate` fits to the article: `Evaluator.distances` gives each fitted
fact's rule distance (experiments.facts.measures). The recovery check (DESIGN
§7; benchmarks/calibration_recovery) calibrates to facts a known parameter set
produced; `TargetEvaluator` is the same Evaluator — the same runs, seeds,
store, cache and pyabc machinery (`run_abc`) — with one change: each fact's
distance is to its synthetic target (experiments.facts.synthetic.distance_to).
Nothing `calibrate` computes goes through it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from experiments.calibrate.abc import Evaluator, Values
from experiments.engine.pool import Engine
from experiments.engine.store import RunStore
from experiments.facts.synthetic import Target, distance_to
from model.config import Scenario
from model.world import WorldData


class TargetEvaluator(Evaluator):
    """Parameter sets → each fact's distance to its target (one per fact of `facts`)."""

    def __init__(
        self,
        targets: Mapping[str, Target],
        scenario_for: Callable[[Values, str], Scenario],
        facts: Sequence[str],
        seeds_for: Callable[[str], Sequence[int]],
        world: WorldData,
        engine: Engine,
        store: RunStore,
        progress: bool = True,
    ) -> None:
        missing = [f for f in facts if f not in targets]
        if missing:
            raise ValueError(f"no target for the fact(s) {missing}")
        super().__init__(scenario_for, facts, seeds_for, world, engine, store, progress)
        self.targets = dict(targets)

    def distances(self, summaries: Sequence[dict[str, float]]) -> dict[str, float]:
        return {name: distance_to(self.targets[name], summaries, self.world) for name in self.facts}
