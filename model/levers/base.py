"""What every lever shares: its metadata, its config, resolved targets, and the yearly hook.

A lever is one module: a pydantic config class (a `Timed` subclass built from
`model.schema`) and a `Lever` subclass that names it in `config_class` and
carries the metadata below. `model.levers.registry` lists the classes; the
`policies:` schema is built from that list.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, Literal

import numpy as np

from model.schema import Timed, marker_of
from model.state import Offer

if TYPE_CHECKING:
    from model.config import Scenario
    from model.state import WorldState
    from model.world import WorldData

ActsOn = Literal["push", "pull"]
PUSH: ActsOn = "push"
PULL: ActsOn = "pull"
METADATA = ("key", "label", "acts_on", "summary", "config_class")


class Lever:
    """A policy lever. Subclasses set the class metadata and implement `apply`.

    Class metadata:
        key: the YAML key under `policies:`.
        label: a human name ("Talent attraction").
        acts_on: where the lever acts in the firm's decision (DESIGN §3): "push"
            = on staying, the move decision of firms at the southern origins;
            "pull" = on the utility of named destinations.
        summary: one line on what it does.
        config_class: its pydantic config (a `Timed` subclass).
        yearly_cap (optional): the config field (yuan per year) that caps what
            the lever spends in an active year — fixed spending and per-job
            payments alike —, declared by a lever that spends nothing in a year
            it is not active. The bounds of a spending metric read it
            (experiments.analysis.bounds): over a window, at most this × the
            lever's active years there. None: no cap is known (only ≥ 0).

    `apply` is called every year after the state is reset to base(t); it adds
    the lever's effect and returns the fixed spending of the year in yuan.
    Per-job payments are registered as `Offer`s (see `offer`) and paid at settlement.
    """

    key: ClassVar[str]
    label: ClassVar[str]
    acts_on: ClassVar[frozenset[ActsOn]]
    summary: ClassVar[str]
    config_class: ClassVar[type[Timed]]
    yearly_cap: ClassVar[str | None] = None

    def __init__(self, config: Timed, data: WorldData, scenario: Scenario) -> None:
        self.config = config
        self.data = data
        self.scenario = scenario

    def apply(self, state: WorldState, year: int) -> float:
        raise NotImplementedError

    def place_targets(self, name: str) -> np.ndarray:
        """Indices of the places a target field names, or of its default set when it is None.

        The default set is read from the field's `IdsOf` marker (every place
        of its default kinds), so the rule and the validation share one truth.
        """
        ids = getattr(self.config, name)
        if ids is not None:
            return np.array([self.data.place_index(p) for p in ids], dtype=int)
        marker = marker_of(type(self.config), name)
        if marker is None or marker.table != "places":
            raise TypeError(f"{type(self.config).__name__}.{name} is not a place-id field")
        if marker.default is None:
            return np.arange(self.data.n_places)
        return np.flatnonzero(np.isin(self.data.kinds, sorted(marker.default)))

    def industry_targets(self, name: str) -> np.ndarray:
        """Indices of the industries a target field names; None = every industry."""
        ids = getattr(self.config, name)
        if ids is None:
            return np.arange(self.data.n_industries)
        return np.array([self.data.industry_ids.index(k) for k in ids], dtype=int)

    def offer(self, yuan_per_job: np.ndarray, budget_yuan: float, worker_retention: float = 0.0) -> Offer:
        """A per-job offer of this lever: it enters the utility of the destinations it pays for."""
        return Offer(self.key, yuan_per_job, budget_yuan, worker_retention)


def check_lever_class(cls: type[Lever]) -> None:
    """Refuse a lever class whose metadata is missing or malformed (a programming error)."""
    missing = [name for name in METADATA if not hasattr(cls, name)]
    if missing:
        raise TypeError(f"lever {cls.__name__} lacks {', '.join(missing)}")
    if not cls.acts_on or not cls.acts_on <= {PUSH, PULL}:
        raise TypeError(f"lever {cls.__name__}: acts_on must be a non-empty subset of {{'push', 'pull'}}")
    if not (isinstance(cls.config_class, type) and issubclass(cls.config_class, Timed)):
        raise TypeError(f"lever {cls.__name__}: config_class must be a model.schema.Timed subclass")
    if cls.yearly_cap is not None and cls.yearly_cap not in cls.config_class.model_fields:
        raise TypeError(f"lever {cls.__name__}: yearly_cap {cls.yearly_cap!r} is not a field of its config")
    if not cls.key.isidentifier():
        raise TypeError(f"lever {cls.__name__}: key {cls.key!r} must be a valid YAML key and identifier")


def saturating(stock: float | np.ndarray, saturation: float) -> float | np.ndarray:
    """Diminishing returns: share of the maximum gain reached by a stock."""
    return 1.0 - np.exp(-np.asarray(stock) / saturation)
