"""What the local pool and a Dask cluster share: the one fault type, and how many runs wait per worker."""

from __future__ import annotations

IN_FLIGHT_PER_WORKER = 2  # submissions (batches) waiting per worker: a bounded queue, flat memory for any task count


class Fault(Exception):  # noqa: N818 - a fault, reported as such
    """A fault of the machine or of the runs (exit 1, one line): unreachable scheduler, failed runs."""
