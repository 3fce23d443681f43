"""The local pool's helper processes, started as early as a command knows that it needs them.

A pool worker is forked by multiprocessing's fork server, which imports the
model (and with it Mesa, about 0.75 s) once, before its first fork. Started
when the engine opens, it would begin only after the command line has
imported the pipeline (about 0.2 s); `for_command` starts it as soon as the
arguments are parsed, from a module that imports nothing heavy, so that the
fork server's import overlaps all that the command does before its first run.
Starting it twice starts it once (`forkserver.ensure_running`).
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import threading

PRELOAD = ["experiments.engine.worker"]  # what every worker needs, imported once in the fork server
TRACKER_QUIET = "ignore::UserWarning:multiprocessing.resource_tracker"
# The pool's workers are the parallelism: each keeps to one BLAS/OpenMP thread. Two workers with a
# BLAS pool each on a 2-core machine made a 30,000-element dot product cost milliseconds (threads
# waiting for cores) where it costs 30 µs. A value the user set is kept.
ONE_THREAD = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def one_blas_thread() -> list[str]:
    """Set each of ONE_THREAD that is not set to 1 (numpy's BLAS reads it when numpy is first imported).

    Returns the names set. The command line calls it before anything imports numpy, so that the
    command's own process keeps to one thread too (the model does not use the BLAS; pyabc's small
    matrices gain nothing from threads that wait for the workers' cores).
    """
    added = [name for name in ONE_THREAD if name not in os.environ]
    os.environ.update(dict.fromkeys(added, "1"))
    return added


def start_helpers() -> None:
    """Start multiprocessing's fork server and resource tracker now, with SIGINT ignored, which they keep.

    A terminal's Ctrl-C goes to the whole process group: a fork server still
    importing the model printed a 10-40 line KeyboardInterrupt traceback. A
    signal ignored at exec stays ignored in the child (Python installs its
    Ctrl-C handler only where SIGINT is not ignored), and so in the workers
    it forks; they end with the command instead (experiments.engine.worker).
    The resource tracker (started with our -W options) warns of "leaked
    semaphores" when it outlives a killed command; it cleans them, so that
    warning is silenced. Main thread only (signal handlers are set there).
    """
    if TRACKER_QUIET not in sys.warnoptions:
        sys.warnoptions.append(TRACKER_QUIET)
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(PRELOAD)
    if threading.current_thread() is not threading.main_thread():
        return
    from multiprocessing import forkserver

    # Blocked as well as ignored: on Linux a blocked signal is never discarded as ignored, so a Ctrl-C that
    # comes while the helpers start stays pending and reaches the command once its handler is back (ignored
    # alone, it was lost and the command ran on to the end). The helpers inherit the ignored disposition.
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    added = one_blas_thread()  # the fork server (and so every worker) starts with them
    try:
        forkserver.ensure_running()  # starts the resource tracker first
    finally:
        for name in added:
            del os.environ[name]
        signal.signal(signal.SIGINT, previous)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


def for_command(workers: int, engine: str) -> None:
    """Start the fork server now if the command will run a local pool (more than one local worker)."""
    if engine == "local" and workers > 1:
        start_helpers()
