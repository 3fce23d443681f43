"""How many runs go to a pool worker in one submission.

Sending a task to a worker and its record back costs about a millisecond of
pickling and wake-ups in the command and in the worker, whatever the run. A
run of a few thousand firms over a few years takes little more, so one
submission per run would leave the cores waiting on dispatch. A batch holds
several runs, sized from the runs' own times as they come back:

- the first submissions hold one run each, so every worker starts at once and
  the first times are measured;
- then a batch holds as many runs as fit in `BATCH_SECONDS` of the mean run
  time so far (at least one, at most `MAX_BATCH`);
- and never more than a share of what is left (`remaining / (workers * TAIL_SHARE)`),
  so batches shrink towards the end and the workers finish together.

A batch is only how runs travel: the worker returns one record per run (a
failed run is a record with its error, and its siblings are kept), and each
record is stored on its own as the batch comes back. Batching changes no
number: which worker runs which task, and with which others, does not enter
a run's result. A short batch also keeps what it bounds short: a progress bar
moves at least every `BATCH_SECONDS`, and a worker that dies (out of memory,
killed) loses at most the batches in flight, which `--resume` runs again.
"""

from __future__ import annotations

BATCH_SECONDS = 0.25  # the time a batch aims at: far above the dispatch cost, short for the tail and a stop
MAX_BATCH = 64
TAIL_SHARE = 2  # batches in flight per worker at the end: the last ones stay small enough to balance


class BatchSizer:
    """The size of the next batch, from the run times seen so far; `fixed` sets every batch's size instead."""

    def __init__(self, workers: int, fixed: int | None = None) -> None:
        if fixed is not None and fixed < 1:
            raise ValueError("a batch holds at least one run")
        self.workers = max(1, workers)
        self.fixed = fixed
        self._seconds = 0.0
        self._runs = 0

    def observe(self, seconds: float) -> None:
        """One run came back, having taken `seconds` in its worker."""
        self._seconds += max(0.0, seconds)
        self._runs += 1

    def size(self, remaining: int) -> int:
        """How many of the `remaining` runs the next batch takes (at least one while any remain)."""
        if remaining <= 0:
            return 0
        if self.fixed is not None:
            return min(self.fixed, remaining)
        if self._runs == 0:
            return 1
        mean = self._seconds / self._runs
        fit = MAX_BATCH if mean <= 0 else int(BATCH_SECONDS / mean)
        tail = remaining // (self.workers * TAIL_SHARE)
        return max(1, min(fit, tail, MAX_BATCH, remaining))
