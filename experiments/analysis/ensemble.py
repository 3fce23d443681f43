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

An ensemble whose effective size (Σw)²/Σw² is below THIN_ESS (200, DESIGN
§7) is thin: `PosteriorDraws` (experiments.engine.capabilities.posterior)
refuses it unless `--allow-thin`, and every table and figure of the result is
marked with `Ensemble.mark` ("thin ensemble (ESS 6.7 of 300)"). The K draws
are resampled by weight, so they weigh equally (`draw_weights`); draws of the
same parameter set share a label, so that an effect can say how many distinct
parameter sets stand behind it and how many effective draws they are worth.

Tables written here: `draws.csv` (draw k from 0, the particle it took —
its row of posterior.csv from 0, the `draw` column there —, the particle's
weight and distance and the parameter values; the seeds are in the manifest) and
`posterior.json` (which calibration folder, its fingerprint, the parameters'
names, labels and units, K, R, the interval method, the robustness share and
the effective draws a ranking needs, the ensemble's effective size, distinct
sets, particles, whether it is thin and its mark, and the distinct and
effective draws of the K), which the reports read.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from experiments.analysis.posterior import POSTERIOR_FILE, Posterior, load_posterior
from experiments.analysis.posterior_tables import DRAWS_FILE, DRAWS_FIXED, POSTERIOR_JSON
from experiments.analysis.quantiles import DrawWeights
from experiments.analysis.rankings import MIN_RANKING_DRAWS, ROBUST_SHARE
from experiments.analysis.uncertainty import INTERVAL_METHOD
from experiments.engine.capabilities import DEFAULT_DRAWS, THIN_ESS
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
            if getattr(args, "allow_thin", False):
                raise InputError("command line", "--allow-thin", "given without --posterior", "--posterior DIR")
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

    @property
    def effective_size(self) -> float:
        """The posterior's effective size (Σw)²/Σw² over its particles."""
        return self.posterior.effective_size()

    @property
    def thin(self) -> bool:
        return is_thin(self.effective_size)

    @property
    def mark(self) -> str:
        """What every table and figure of a result says of the ensemble: "thin ensemble (ESS 6.7 of 300)"."""
        return ensemble_mark(self.effective_size, self.posterior.size)

    def draw_weights(self) -> DrawWeights:
        """The K draws' weights (equal: they are resampled by particle weight) and their parameter sets."""
        labels = self.posterior.set_labels()
        return DrawWeights.of(np.full(self.k, 1.0 / self.k), labels[list(self.particles)])

    def refuse_thin(self) -> None:
        """InputError (exit 2, one line) for a thin ensemble: the folder, its effective size and distinct sets."""
        p = self.posterior
        raise InputError(
            p.folder,
            "--posterior",
            f"a thin ensemble: effective size {size_text(self.effective_size)} of {p.size} particles, "
            f"{p.distinct_sets()} distinct parameter sets (below {THIN_ESS} effective draws is thin, DESIGN §7)",
            f"an ensemble of effective size ≥ {THIN_ESS}, or --allow-thin to use it anyway (its tables and figures "
            "are then marked thin)",
        )

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
            "distinct_sets": p.distinct_sets(),
            "thin": self.thin,
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
        dw = self.draw_weights()
        doc = {
            "calibration": str(p.folder),
            "fingerprint": p.fingerprint,
            "draws": self.k,
            "replications": replications,
            "robust_share": ROBUST_SHARE,
            "min_ranking_draws": MIN_RANKING_DRAWS,
            "interval": INTERVAL_METHOD,
            "particles": p.size,
            "effective_size": self.effective_size,
            "distinct_sets": p.distinct_sets(),
            "thin_below": THIN_ESS,
            "thin": self.thin,
            "mark": self.mark,
            "distinct_draws": dw.distinct(),
            "effective_draws": dw.effective(),
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


def size_text(ess: float) -> str:
    """An effective size as the marks and messages print it: 6.7, 45, 1,234."""
    return f"{ess:.1f}" if ess < 10 else f"{ess:,.0f}"


def is_thin(ess: float) -> bool:
    """Below THIN_ESS effective draws, up to rounding (200 equal weights give 1/Σw² = 199.99999999999997)."""
    return ess < THIN_ESS * (1 - 1e-9)


def ensemble_mark(ess: float, particles: int) -> str:
    """The mark of an ensemble: `thin ensemble (ESS 6.7 of 300)` below THIN_ESS, else `ensemble (ESS 250 of 300)`."""
    thin = "thin ensemble" if is_thin(ess) else "ensemble"
    return f"{thin} (ESS {size_text(ess)} of {particles:,})"
