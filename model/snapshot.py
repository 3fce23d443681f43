"""A RelocationModel stored after a year, and resumed under another scenario with the same prefix.

What is stored: the whole model object as pickle bytes (protocol 5), every
attribute whatever it is called — the firm arrays, jobs, groups, the year's
rows, the records, the DataCollector's rows, Mesa's own state (steps, time,
the event list) and both random generators with their bit generator state —
except four objects a resume rebuilds from the new scenario, which are
written as references only:

- `config` (the scenario) and `data` (the world tables, shared by reference:
  the prefix key holds their fingerprint),
- `state` (the world state, `model.state.WorldState`) and `levers` (the
  list and each lever): rebuilt by `model.prefix.replay` through the cut
  year, as a run of the new scenario from the start has them.

A new attribute someone adds to the model is stored with the rest without any
change here. Anything else that refers to the scenario's parts is stored as a
copy of the snapshot's own (equal to the new scenario's: the prefix key says
so), and the records of the prefix years get the new scenario's levers in
`fiscal_by_lever` (each 0 in those years, as `replay` checked).

Resuming is only correct for a scenario whose prefix key at the cut year is
the snapshot's: `experiments.engine.warm` checks that before it resumes.
"""

from __future__ import annotations

import io
import pickle
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from model.prefix import Replay

if TYPE_CHECKING:
    from model.config import Scenario
    from model.model import RelocationModel
    from model.world import WorldData

PROTOCOL = 5


@dataclass(frozen=True)
class Snapshot:
    """A model after year `cut`: its pickle bytes, less the objects a resume rebuilds."""

    cut: int
    blob: bytes

    @property
    def nbytes(self) -> int:
        return len(self.blob)


class _Pickler(pickle.Pickler):
    def __init__(self, file: io.BytesIO, model: RelocationModel) -> None:
        super().__init__(file, protocol=PROTOCOL)
        refs: dict[int, Any] = {id(model.data): "data", id(model.config): "config", id(model.state): "state"}
        refs[id(model.levers)] = "levers"
        refs.update({id(lever): ("lever", lever.key) for lever in model.levers})
        self._refs = refs

    def persistent_id(self, obj: Any) -> Any:
        return self._refs.get(id(obj))


class _Unpickler(pickle.Unpickler):
    def __init__(self, file: io.BytesIO, refs: dict[str, Any]) -> None:
        super().__init__(file)
        self._refs = refs

    def persistent_load(self, pid: Any) -> Any:
        if isinstance(pid, str) and pid in self._refs:
            return self._refs[pid]
        # A lever referred to from outside the model's list of levers: which new lever stands for it is unknown.
        raise pickle.UnpicklingError(f"a snapshot refers to {pid!r}, which a resume does not rebuild")


def take(model: RelocationModel) -> Snapshot:
    """The model as it is now (call between years, never inside `step`)."""
    buffer = io.BytesIO()
    _Pickler(buffer, model).dump(model)
    return Snapshot(model.year, buffer.getvalue())


def resume(snapshot: Snapshot, scenario: Scenario, data: WorldData, rebuilt: Replay) -> RelocationModel:
    """A new model: the snapshot's, with `scenario`, `data` and the levers and state `rebuilt` through its year.

    The caller vouches that `scenario` has the snapshot's prefix key at
    `snapshot.cut` and that `rebuilt` is `model.prefix.replay(scenario, data, snapshot.cut)`.
    """
    if rebuilt.cut != snapshot.cut:
        raise ValueError(f"levers rebuilt through {rebuilt.cut}, the snapshot is of {snapshot.cut}")
    refs = {"data": data, "config": scenario, "state": rebuilt.state, "levers": rebuilt.levers}
    model: RelocationModel = _Unpickler(io.BytesIO(snapshot.blob), refs).load()
    for record, spend in zip(model.records, rebuilt.spends, strict=True):
        record.fiscal_by_lever = {lever.key: spend[lever.key] for lever in rebuilt.levers}
    model.__dict__.pop("_reported_cache", None)  # the DataCollector's per-record cache is rebuilt on the next row
    return model
