"""`python run.py app`: serve the browser app with solara's server, offline, on 127.0.0.1 by default.

Solara is an optional extra (`pip install -e ".[app]"`); the command says so
in one line when it is missing. The server runs in production mode, with
solara's version check and usage telemetry switched off and no asset fetched
from a CDN: the page is served entirely from the installed packages.
"""

from __future__ import annotations

import contextlib
import ctypes
import ipaddress
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from model.errors import InputError
from model.extras import require

APP_MODULE = "app.page"
FOLDERS_ENV = "RELOCSIM_APP_FOLDERS"  # the folders the page may open, for the server's process (app.session)
RESULTS_ENV = "RELOCSIM_APP_RESULTS"  # the folders whose optimise folders the page may open (app.session)
SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
PR_SET_PDEATHSIG = 1  # linux/prctl.h
OFFLINE_ENV = {
    "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False",  # solara would report usage to mixpanel.com
    # The page's JavaScript, CSS and fonts come from the solara-assets package through solara's
    # asset proxy; a file it lacks would be fetched from this address, which refuses at once,
    # so nothing is ever downloaded (the browser test fails on the error instead).
    "SOLARA_ASSETS_PROXY": "True",
    "SOLARA_ASSETS_CDN": "http://127.0.0.1:9/",
    "SOLARA_THEME_VARIANT_USER_SELECTABLE": "False",
    "MPLBACKEND": "Agg",
    # On plain http solara warns at every connection that it falls back to samesite=lax cookies.
    "PYTHONWARNINGS": "ignore:Cookies with samesite=none require https",
}


def solara_command(host: str, port: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "solara",
        "run",
        f"{APP_MODULE}:Page",
        "--host",
        host,
        "--port",
        str(port),
        "--production",
        "--no-open",
        "--no-check-version",
        "--log-level-uvicorn",
        "warning",
    ]


def check_installed() -> None:
    require("solara", "the browser app", "app")


def check_listen(host: str, port: int) -> None:
    """Bad input, exit 2, if the server could not listen there (an unknown address, a port in use).

    The probe binds as the server does (SO_REUSEADDR), so a port that an app
    stopped a moment ago left in TIME_WAIT is free to use again at once.
    """
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        family, kind, proto, _name, address = infos[0]
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind(address)
    except OSError as exc:
        raise InputError(
            "command line",
            "app --host/--port",
            f"cannot listen on {host}:{port} ({exc.strerror or exc})",
            "an address of this machine (default 127.0.0.1) and a free port",
        ) from None


def is_loopback(host: str) -> bool:
    """Whether every address the name stands for is this machine's loopback (127.0.0.0/8, ::1)."""
    try:
        infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except OSError:
        return False
    return all(ipaddress.ip_address(info[4][0].split("%")[0]).is_loopback for info in infos)


def check_folders(folders: Sequence[Path], option: str = "--scenarios") -> list[Path]:
    """The folders the page may open scenario files from: the shipped scenarios/, then each one named."""
    return [SCENARIOS, *named_folders(folders, option)]


def named_folders(folders: Sequence[Path], option: str) -> list[Path]:
    """The folders given to an option, resolved; bad input if one is not a folder."""
    out = []
    for folder in folders:
        if not Path(folder).is_dir():
            raise InputError("command line", f"app {option}", f"{str(folder)[:200]!r} is not a folder", "folders")
        out.append(Path(folder).resolve())
    return out


def _die_with_parent() -> None:  # pragma: no cover - runs in the server's process before solara starts
    """The server ends when the command does, even after a `kill -9` of `python run.py app`."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def serve(host: str, port: int, folders: Sequence[Path] = (), results: Sequence[Path] = ()) -> int:
    """Run the app's server in the foreground until it is stopped (Ctrl-C); 0, or 1 if the server failed.

    `folders`: more scenario folders (--scenarios); `results`: more folders whose optimise result folders the
    page lists and opens (--results; always: the repository's outputs/ and the scenario folders).
    """
    check_installed()
    check_listen(host, port)
    allowed = check_folders(folders)
    result_roots = named_folders(results, "--results")
    if not is_loopback(host):
        print(
            f"relocsim: app: warning: --host {host} serves the app beyond this machine; anyone who reaches it can "
            "run the model and open the scenario and result folders it was started with",
            file=sys.stderr,
            flush=True,
        )
    env = {
        **os.environ,
        **OFFLINE_ENV,
        FOLDERS_ENV: os.pathsep.join(str(f) for f in allowed),
        RESULTS_ENV: os.pathsep.join(str(f) for f in result_roots),
    }
    print(f"relocsim app: http://{host}:{port}/ (Ctrl-C stops it)", flush=True)
    proc = subprocess.Popen(solara_command(host, port), env=env, preexec_fn=_die_with_parent)
    try:
        code = proc.wait()
    except KeyboardInterrupt:  # Ctrl-C reaches the server too (one process group); SIGTERM only us: pass it on
        with contextlib.suppress(ProcessLookupError):
            proc.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=5)
        return 0
    if code not in (0, -signal.SIGINT, -signal.SIGTERM):
        print(f"relocsim: app: the server stopped with status {code} (its message is above)", file=sys.stderr)
        return 1
    return 0
