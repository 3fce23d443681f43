"""The calibrated point is one particle of the final population, not a patchwork of marginal medians."""

from __future__ import annotations

import numpy as np

from experiments.calibrate.abc import Generation
from experiments.calibrate.experiment import point_estimate


def _generation(values: np.ndarray, weights: np.ndarray) -> Generation:
    w = weights / weights.sum()
    return Generation(
        t=0,
        epsilon=1.0,
        particles=len(w),
        simulations=len(w),
        acceptance_rate=1.0,
        effective_size=float(1 / (w**2).sum()),
        distinct=len(w),
        values=values,
        weights=w,
        distances=np.zeros(len(w)),
    )


def test_the_point_is_a_particle_even_where_the_marginal_medians_are_not() -> None:
    """Two clusters on opposite corners: the marginal medians (0.1, 0.1) sit where no particle is; the
    point is the particle nearest them in posterior-sd units (here both parameters spread alike)."""
    values = np.array([[0.0, 1.0], [0.1, 1.0], [0.05, 0.9], [1.0, 0.0], [0.9, 0.0], [1.0, 0.1]])
    weights = np.ones(6)
    gen = _generation(values, weights)
    point = point_estimate(gen, ["a", "b"])
    assert (point["a"], point["b"]) == (0.05, 0.9)
    assert not any(np.allclose(row, [0.1, 0.1]) for row in values)


def test_distance_is_in_posterior_sd_units_and_a_particle_without_weight_is_never_chosen() -> None:
    """Parameter b spreads 100x wider than a: a difference of 0.5 in b matters less than 0.05 in a."""
    values = np.array([[0.0, 0.0], [1.0, 100.0], [0.5, 50.5], [0.55, 50.0], [0.5, 50.0]])
    weights = np.array([1.0, 1.0, 1.0, 1.0, 0.0])
    point = point_estimate(_generation(values, weights), ["a", "b"])
    # the weighted medians are (0.5, 50.5): (0.5, 50.5) itself is a particle with weight
    assert point == {"a": 0.5, "b": 50.5}
    values[2] = [0.6, 50.5]  # now the medians are (0.55, 50.0): the particle (0.55, 50.0)
    point = point_estimate(_generation(values, weights), ["a", "b"])
    assert point == {"a": 0.55, "b": 50.0}


def test_the_point_keeps_every_parameter_inside_its_90_percent_interval_when_a_particle_does() -> None:
    """Many dimensions: the particle nearest the medians overall has one parameter in a far tail; the point is
    the nearest particle whose every parameter lies inside its weighted 5-95 % interval."""
    rng = np.random.default_rng(7)
    values = rng.uniform(0.0, 1.0, size=(400, 12))
    values[0] = 0.5  # at the medians in 11 parameters ...
    values[0, 3] = 0.999  # ... and far out in one
    gen = _generation(values, np.ones(len(values)))
    point = np.array(list(point_estimate(gen, [f"p{j}" for j in range(12)]).values()))
    low, high = np.quantile(values, 0.05, axis=0), np.quantile(values, 0.95, axis=0)
    assert not np.array_equal(point, values[0])
    assert ((point >= low - 0.01) & (point <= high + 0.01)).all()
    assert any(np.array_equal(point, row) for row in values)
