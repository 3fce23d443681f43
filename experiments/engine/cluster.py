"""Runs on a Dask cluster: the scheduler's address checked first, every failure of the cluster one Fault.

Dask itself stalls and then raises a traceback on a malformed address, waits
forever on a service that is not Dask, raises a comm error when the scheduler
goes, and waits forever when every worker has gone. Here each of these is a
`Fault` (exit 1, one line) within a stated time, and the runs finished before
it are in the run store for `--resume`: an unreachable or silent address
within the connect timeout + CONNECT_MARGIN_S, a lost scheduler at once, a
cluster without workers after WORKERLESS_S.
"""

from __future__ import annotations

import contextlib
import logging
import re
import threading
import time
from collections.abc import Iterator, Sequence
from typing import Any

from experiments.engine.faults import IN_FLIGHT_PER_WORKER, Fault
from experiments.engine.store import RunRecord, Task
from model.errors import InputError
from model.extras import missing_extra

MAX_PORT = 65535
CONNECT_MARGIN_S = 5.0  # beyond Dask's own connect timeout, for the handshake
CLOSE_TIMEOUT_S = 5.0
POLL_S = 2.0  # how often a waiting command looks at the cluster
WORKERLESS_S = 30.0  # a cluster with no worker this long is lost (a restarted worker is back within seconds)


SCHEDULER_FORMS = "tcp://HOST:PORT or tls://HOST:PORT (an IPv6 host in brackets, a port 1 to 65535)"
_ADDRESS = re.compile(r"(tcp|tls)://(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):([0-9]{1,5})", re.ASCII)


def scheduler_address(text: str) -> str:
    """The scheduler's address, checked before anything starts (Dask itself stalls, then raises, on a bad one)."""
    match = _ADDRESS.fullmatch(text)
    if match is None or not 1 <= int(match.group(3)) <= MAX_PORT:
        raise InputError("command line", "--scheduler", f"{text[:80]!r} is not a scheduler address", SCHEDULER_FORMS)
    return text


def dask_records(address: str, timeout_s: float, todo: Sequence[Task]) -> Iterator[RunRecord]:
    """The records of `todo` run on the cluster at `address`, as they complete."""
    try:
        from distributed import Client, wait
    except ImportError:
        raise missing_extra("distributed", "--engine dask", "--engine", "or run with --engine local") from None
    # Dask logs its own account of a lost scheduler (e.g. "Failed to reconnect"); the Fault below is the one line.
    logging.getLogger("distributed").setLevel(logging.CRITICAL)
    client = connect(Client, address, timeout_s)
    try:
        yield from _records(client, wait, todo)
    finally:
        with contextlib.suppress(Exception):  # a lost scheduler cannot be closed politely
            client.close(timeout=CLOSE_TIMEOUT_S)


def connect(client_class: Any, address: str, timeout_s: float) -> Any:
    """A Dask client, or a Fault within `timeout_s` (+ a margin) whatever answers at the address.

    Dask's own timeout covers the connection, not a service that accepts it
    and never speaks Dask's protocol (an HTTP server hangs it forever), so the
    handshake runs in a thread that is given up on after the deadline.
    """
    box: dict[str, Any] = {}

    def attempt() -> None:
        try:
            box["client"] = client_class(address, timeout=f"{timeout_s}s", set_as_default=False)
        except Exception as exc:  # noqa: BLE001 - any failure to connect is the same fault for the user
            box["error"] = exc

    thread = threading.Thread(target=attempt, name="relocsim-dask-connect", daemon=True)
    thread.start()
    thread.join(timeout_s + CONNECT_MARGIN_S)
    if "client" in box:
        return box["client"]
    why = f"{type(box['error']).__name__}: {box['error']}" if "error" in box else f"no answer in {timeout_s:g} s"
    raise Fault(f"cannot reach a Dask scheduler at {address!r} ({' '.join(why.split())[:200]})")


def _records(client: Any, wait: Any, todo: Sequence[Task]) -> Iterator[RunRecord]:
    """The runs' records as they complete; a Fault (exit 1, finished runs kept) if the cluster is lost."""
    from experiments.engine import worker_entry

    pending = iter(todo)
    try:
        workers = max(1, len(client.scheduler_info().get("workers", {})))
        limit = max(2, workers * IN_FLIGHT_PER_WORKER)
        running = {
            client.submit(worker_entry.execute, t, pure=False) for _, t in zip(range(limit), pending, strict=False)
        }
    except Exception as exc:  # noqa: BLE001
        raise _lost(exc) from None
    idle_since: float | None = None
    while running:
        try:
            with client.as_current():  # distributed.wait finds its client here (ours is not the default)
                done, running = wait(running, timeout=POLL_S, return_when="FIRST_COMPLETED")
        except TimeoutError:
            idle_since = _check_workers(client, idle_since)
            continue
        except Exception as exc:  # noqa: BLE001
            raise _lost(exc) from None
        idle_since = None
        for fut in done:
            try:
                record: RunRecord = fut.result()
            except Exception as exc:  # noqa: BLE001 - a run's own error comes back as a record, not raised
                raise _lost(exc) from None
            fut.release()
            yield record
            nxt = next(pending, None)
            if nxt is not None:
                running.add(client.submit(worker_entry.execute, nxt, pure=False))


def _check_workers(client: Any, idle_since: float | None) -> float | None:
    """While runs wait: a Fault once the cluster has had no worker for WORKERLESS_S (else Dask waits forever)."""
    try:
        count = len(client.scheduler_info().get("workers", {}))
    except Exception as exc:  # noqa: BLE001
        raise _lost(exc) from None
    if count:
        return None
    now = time.monotonic()
    if idle_since is not None and now - idle_since > WORKERLESS_S:
        raise Fault(
            f"the Dask cluster has had no worker for {WORKERLESS_S:g} s; the finished runs are kept: start workers "
            "and rerun with --resume"
        )
    return idle_since if idle_since is not None else now


def _lost(exc: BaseException) -> Fault:
    what = " ".join(f"{type(exc).__name__}: {exc}".split())[:160]
    return Fault(f"lost the Dask cluster ({what}); the finished runs are kept: rerun with --resume")
