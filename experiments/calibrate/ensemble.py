"""The calibration's ensemble in words: its size, effective size, distinct sets, 'thin', and how it was sampled.

Kish's effective size (Σw)²/Σw² and the number of distinct parameter sets of
the final population are what say whether the posterior is usable; below
THIN_ESS (200) effective draws it is called thin here, in the manifest, and
`compare --posterior` refuses it unless --allow-thin (DESIGN §7).
"""

from __future__ import annotations

from experiments.calibrate.read import Calibration
from experiments.engine.capabilities import THIN_ESS

__all__ = ["THIN_ESS", "ensemble_words", "seeds_words"]


def ensemble_words(c: Calibration) -> str:
    """'N particles, effective size E, D distinct parameter sets' and, below THIN_ESS effective draws, 'thin'."""
    post = c.posterior
    text = (
        f"{len(post.weights)} particles, effective size {post.effective_size:.1f} ((Σw)²/Σw²), "
        f"{post.distinct_sets} distinct parameter sets"
    )
    if post.effective_size < THIN_ESS:
        text += f"; thin (below {THIN_ESS} effective draws)"
    return text


def seeds_words(c: Calibration) -> str:
    """How the evaluations were seeded, and which pyabc adaptations were on."""
    s = c.settings
    seeds = "each parameter set on its own seeds" if s.seeds == "fresh" else "on common random numbers"
    extras = [
        w
        for w, on in (("adaptive population", s.adaptive_population), ("adaptive distance", s.distance == "adaptive"))
        if on
    ]
    return seeds + (f", {' and '.join(extras)}" if extras else "")
