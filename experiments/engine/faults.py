"""What the local pool and a Dask cluster share: the one fault type, and how many runs wait per worker."""

from __future__ import annotations

IN_FLIGHT_PER_WORKER = 2  # a bounded queue: memory stays flat however many tasks there are


class Fault(Exception):  # noqa: N818 - a fault, reported as such
    """A fault of the machine or of the runs (exit 1, one line): unreachable scheduler, failed runs."""
