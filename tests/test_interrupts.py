"""Ctrl-C, SIGTERM and kill -9 at any moment of a 2-worker command: one line, nothing left running.

A terminal's Ctrl-C reaches the whole process group (the command, the fork
server, the resource tracker and the workers), so the signal is sent to the
group here. The time it takes for everything to go is measured by
`python -m benchmarks.bench_interrupts`; this test checks only that it goes
(within a hang guard) and what the user sees.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import HANG_GUARD_S, ROOT

ARGS = ["compare", "scenarios/baseline.yaml", "scenarios/talent.yaml", "--firms", "20000", "--replications", "6"]


def _group_running(pgid: int) -> bool:
    states = subprocess.run(["ps", "-o", "stat=", "-g", str(pgid)], capture_output=True, text=True).stdout.split()
    return any(not s.startswith("Z") for s in states)


@pytest.mark.parametrize(("how", "delay_s"), [("group-int", 0.2), ("group-int", 0.6), ("term", 0.6), ("kill", 0.6)])
def test_an_interrupt_at_start_up_is_one_line_and_leaves_nothing_running(
    tmp_path: Path, how: str, delay_s: float
) -> None:
    argv = [sys.executable, "run.py", *ARGS, "--workers", "2", "--out", str(tmp_path / "out"), "--quiet"]
    proc = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    time.sleep(delay_s)  # start-up: the fork server is importing the model, workers are being forked
    if how == "group-int":
        os.killpg(proc.pid, signal.SIGINT)
    else:
        os.kill(proc.pid, signal.SIGTERM if how == "term" else signal.SIGKILL)
    try:
        _out, err = proc.communicate(timeout=HANG_GUARD_S)
        deadline = time.monotonic() + HANG_GUARD_S
        while _group_running(proc.pid):
            assert time.monotonic() < deadline, "a process of the command outlived it"
            time.sleep(0.05)
    finally:
        if _group_running(proc.pid):
            os.killpg(proc.pid, signal.SIGKILL)
    text = err.decode()
    if how == "kill":
        assert proc.returncode == -signal.SIGKILL and text == "", text  # no resource-tracker warning either
    else:
        assert proc.returncode == 1, text
        assert len(text.splitlines()) == 1 and text.startswith("relocsim: interrupted"), text
        assert "Traceback" not in text


def test_a_ctrl_c_while_the_pool_helpers_start_is_not_lost() -> None:
    """The fork server starts with SIGINT ignored (so it inherits that): a Ctrl-C in that window must still
    reach the command afterwards, or the command runs on to the end (seen in CI: exit 0 after a Ctrl-C)."""
    code = (
        "import os, signal\n"
        "from multiprocessing import forkserver\n"
        "import experiments.engine.prestart as prestart\n"
        "forkserver.ensure_running = lambda: os.kill(os.getpid(), signal.SIGINT)\n"
        "try:\n"
        "    prestart.start_helpers()\n"
        "    print('lost')\n"
        "except KeyboardInterrupt:\n"
        "    print('delivered')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=HANG_GUARD_S)
    assert out.stdout.strip() == "delivered", out.stdout + out.stderr
