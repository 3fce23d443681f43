"""The app opens only the scenario folders it was started with, warns beyond loopback, and leaves nothing behind.

A page user can type any path into "Own file…": the page must say nothing of a
path outside the allowed folders (not its content, not whether it exists).
The server is a child of `python run.py app`; it must end with the command,
also after `kill -9`, and the port must be usable again at once.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from app.serve import check_folders, is_loopback
from app.session import FOLDERS_ENV, SCENARIOS, load
from model.errors import InputError
from tests.conftest import HANG_GUARD_S, ROOT

MARKER = "PLANTEDMARKER"


def test_a_path_outside_the_allowed_folders_gets_one_message_whether_or_not_it_exists(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(FOLDERS_ENV, raising=False)
    (tmp_path / "secret.yaml").write_text(f"name: {MARKER}\nseed: {MARKER}\n", encoding="utf-8")
    here, missing = load(tmp_path / "secret.yaml"), load(tmp_path / "absent.yaml")
    assert here.error is not None and missing.error is not None
    assert MARKER not in here.error
    assert here.error.replace("secret", "X") == missing.error.replace("absent", "X")
    assert load(SCENARIOS / ".." / "model" / "data" / "places.csv").error is not None  # out of scenarios/ by '..'


def test_a_folder_named_on_the_command_line_is_opened(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    own = tmp_path / "own.yaml"
    own.write_text(f"name: own\nextends: {SCENARIOS / 'baseline.yaml'}\n", encoding="utf-8")
    monkeypatch.delenv(FOLDERS_ENV, raising=False)
    assert load(own).error is not None
    monkeypatch.setenv(FOLDERS_ENV, str(tmp_path))
    loaded = load(own)
    assert loaded.error is None and loaded.scenario is not None and loaded.scenario.name == "own"
    assert load(SCENARIOS / "baseline.yaml").error is None  # the shipped folder is always allowed


def test_a_link_inside_an_allowed_folder_is_judged_by_its_target(tmp_path: Path, monkeypatch) -> None:
    allowed, other = tmp_path / "allowed", tmp_path / "other"
    allowed.mkdir()
    other.mkdir()
    (other / "s.yaml").write_text("name: s\n", encoding="utf-8")
    (allowed / "s.yaml").symlink_to(other / "s.yaml")
    monkeypatch.setenv(FOLDERS_ENV, str(allowed))
    assert load(allowed / "s.yaml").error is not None


def test_folders_and_hosts_on_the_command_line() -> None:
    with pytest.raises(InputError):
        check_folders([ROOT / "no_such_folder"])
    assert check_folders([ROOT / "experiments"])[0] == SCENARIOS
    assert is_loopback("127.0.0.1") and is_loopback("localhost") and is_loopback("::1")
    assert not is_loopback("0.0.0.0")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serving(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return r.status == 200
    except OSError:
        return False


def _start(port: int) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [sys.executable, "run.py", "app", "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # so that the test can kill -9 the command alone, as a user's kill would
    )
    deadline = time.monotonic() + HANG_GUARD_S
    while not _serving(f"http://127.0.0.1:{port}/"):
        assert proc.poll() is None and time.monotonic() < deadline, "the app did not start"
        time.sleep(0.5)
    return proc


def test_kill_9_of_the_command_ends_its_server_and_the_port_serves_again_at_once() -> None:
    pytest.importorskip("solara")
    port = _free_port()
    url = f"http://127.0.0.1:{port}/"
    proc = _start(port)
    try:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=HANG_GUARD_S)
        deadline = time.monotonic() + HANG_GUARD_S  # a hang guard: the server goes within about a second
        while _serving(url):
            assert time.monotonic() < deadline, "the server outlived kill -9 of its command"
            time.sleep(0.2)
        again = _start(port)  # refused as "address already in use" before SO_REUSEADDR
        os.kill(again.pid, signal.SIGTERM)
        assert again.wait(timeout=HANG_GUARD_S) == 0
    finally:
        if _group_alive(proc.pid):  # whatever the test left: the command's process group
            os.killpg(proc.pid, signal.SIGKILL)


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True
