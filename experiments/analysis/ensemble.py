"""A calibration's posterior ensemble, as the POSTERIOR capability runs a command over it (`--posterior DIR`).

`Ensemble.from_args(args)` reads `--posterior DIR` with
experiments.analysis.posterior.load_posterior (a bad folder is an InputError: exit 2,
one line) and takes `--draws K` parameter sets by `Posterior.draws(K)`
(systematic resampling on the particle weights: no random generator, the same
folder always gives the same draws, each particle as often as its weight
says). Draw k's parameter set is applied as dotted-key overrides to every
scenario of the experiment (baseline and others; every lever subset), and
replication r of draw k runs on `draw_seeds(master, K, R)[k][r]`
(experiments.engine.seeds): the same seeds for every scenario of a draw (common
random numbers inside a draw), independent seeds from one draw to the next,
so that the draw means' Monte-Carlo errors are independent and the law of
total variance can take them apart from the parameter part
(experiments.analysis.uncertainty).

Tables written here: `draws.csv` (draw k from 0, the particle it took —
its row of posterior.csv from 0, the `draw` column there —, the particle's
weight and distance and the parameter values; the seeds are in the manifest) and
`posterior.json` (which calibration folder, its fingerprint, the parameters'
names, labels and units, K, R, the interval method and the robustness share),
which the reports read.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from experiments.analysis.posterior import POSTERIOR_FILE, Posterior, load_posterior
from experiments.analysis.posterior_tables import DRAWS_FILE, DRAWS_FIXED, POSTERIOR_JSON
from experiments.analysis.uncertainty import INTERVAL_METHOD, ROBUST_SHARE
from experiments.engine.capabilities import DEFAULT_DRAWS
from experiments.engine.seeds import draw_seeds
from experiments.engine.tables import write_csv, write_json
from model.config import Scenario
from model.errors import InputError
from model.scenario import set_path, validate_mapping

MIN_REPLICATIONS = 2  # a within-draw variance needs 2 replications: without it the two parts cannot be told apart
SEED_RULE = "replication r of draw k uses SeedSequence(master).spawn(draws)[k].spawn(replications)[r]"
CRN = "every scenario (or lever subset) of draw k runs on draw_seeds[k]: common random numbers inside a draw"


@dataclass(frozen=True)
class Ensemble:
    """K parameter sets of a posterior, and how they are applied and seeded."""

    posterior: Posterior
    particles: tuple[int, ...]  # each draw's particle: its row of posterior.csv, 0-based (the `draw` column there)
    sets: tuple[dict[str, float], ...]  # dotted key -> value, one per draw

    @classmethod
    def from_args(cls, args: Any) -> Ensemble | None:
        """The ensemble of `--posterior DIR --draws K`, or None without --posterior (then --draws is refused)."""
        folder, draws = getattr(args, "posterior", None), getattr(args, "draws", None)
        if folder is None:
            if draws is not None:
                raise InputError("command line", "--draws", "given without --posterior", "--posterior DIR --draws K")
            return None
        posterior = load_posterior(folder)
        k = DEFAULT_DRAWS if draws is None else int(draws)
        return cls(posterior, tuple(posterior.draw_indices(k)), tuple(posterior.draws(k)))

    @property
    def k(self) -> int:
        return len(self.sets)

    @property
    def keys(self) -> tuple[str, ...]:
        return self.posterior.keys

    def apply(self, scenario: Scenario, k: int) -> Scenario:
        """The scenario with draw k's parameter values set (validated; a key it cannot take names posterior.csv)."""
        data = scenario.model_dump(mode="json")
        for key, value in self.sets[k].items():
            set_path(data, key, value)
        try:
            return validate_mapping(data, self.posterior.folder / POSTERIOR_FILE)
        except InputError as exc:
            where = f"particle {self.particles[k]}: {exc.key}"
            raise InputError(
                exc.file, where, exc.problem, exc.allowed or "a scenario key and a value it accepts"
            ) from None

    def check(self, scenarios: Sequence[Scenario]) -> None:
        """Every draw applies to every scenario (InputError before anything runs)."""
        for k in range(self.k):
            for scenario in scenarios:
                self.apply(scenario, k)

    def seeds(self, master: int, replications: int) -> list[list[int]]:
        return draw_seeds(master, self.k, replications)

    def name_tags(self) -> list[str]:
        """Folder-name pieces: the calibration folder's name and K."""
        return [f"p{self.posterior.folder.resolve().name}", f"k{self.k}"]

    def inputs(self) -> dict[str, Any]:
        """What the results depend on: the posterior's content (fingerprint) and K."""
        return {"fingerprint": self.posterior.fingerprint, "draws": self.k}

    def manifest(self, master: int, replications: int) -> dict[str, Any]:
        p = self.posterior
        return {
            "calibration": str(p.folder),
            "fingerprint": p.fingerprint,
            "parameters": list(self.keys),
            "particles_in_posterior": p.size,
            "effective_size": p.effective_size(),
            "draws": self.k,
            "draw_particles": list(self.particles),
            "replications_per_draw": replications,
            "draw_seeds": self.seeds(master, replications),
            "seed_rule": SEED_RULE,
            "common_random_numbers": CRN,
            "interval": INTERVAL_METHOD,
        }

    def write(self, folder: Path, replications: int) -> None:
        """draws.csv and posterior.json."""
        p = self.posterior
        rows = [
            [k, i, p.weights[i], p.distances[i], *(values[key] for key in self.keys)]
            for k, (i, values) in enumerate(zip(self.particles, self.sets, strict=True))
        ]
        write_csv(folder / DRAWS_FILE, (*DRAWS_FIXED, *self.keys), rows)
        doc = {
            "calibration": str(p.folder),
            "fingerprint": p.fingerprint,
            "draws": self.k,
            "replications": replications,
            "robust_share": ROBUST_SHARE,
            "interval": INTERVAL_METHOD,
            "parameters": [
                {
                    "key": q.key,
                    "label": q.label,
                    "unit": q.unit,
                    "prior_low": q.prior_low,
                    "prior_high": q.prior_high,
                    "calibrated": q.calibrated,
                }
                for q in p.parameters
            ],
        }
        write_json(folder / POSTERIOR_JSON, json.loads(json.dumps(doc)))
