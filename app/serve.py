"""`python run.py app`: serve the browser app with solara's server, offline, on 127.0.0.1 by default.

Solara is an optional extra (`pip install -e ".[app]"`); the command says so
in one line when it is missing. The server runs in production mode, with
solara's version check and usage telemetry switched off and no asset fetched
from a CDN: the page is served entirely from the installed packages.
"""

from __future__ import annotations

import importlib.util
import os
import signal
import socket
import subprocess
import sys

from model.errors import InputError

APP_MODULE = "app.page"
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
    for module in ("solara", "mesa.visualization"):
        if importlib.util.find_spec(module.split(".")[0]) is None:
            raise InputError(
                "command line", "app", f"{module} is not installed", 'pip install -e ".[app]" (the app extra)'
            )


def check_listen(host: str, port: int) -> None:
    """Bad input, exit 2, if the server could not listen there (an unknown address, a port in use)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        family, kind, proto, _name, address = infos[0]
        with socket.socket(family, kind, proto) as probe:
            probe.bind(address)
    except OSError as exc:
        raise InputError(
            "command line",
            "app --host/--port",
            f"cannot listen on {host}:{port} ({exc.strerror or exc})",
            "an address of this machine (default 127.0.0.1) and a free port",
        ) from None


def serve(host: str, port: int) -> int:
    """Run the app's server in the foreground until it is stopped (Ctrl-C); 0, or 1 if the server failed."""
    check_installed()
    check_listen(host, port)
    env = {**os.environ, **OFFLINE_ENV}
    print(f"relocsim app: http://{host}:{port}/ (Ctrl-C stops it)", flush=True)
    try:
        code = subprocess.run(solara_command(host, port), env=env, check=False).returncode
    except KeyboardInterrupt:
        return 0
    if code not in (0, -signal.SIGINT, -signal.SIGTERM):
        print(f"relocsim: app: the server stopped with status {code} (its message is above)", file=sys.stderr)
        return 1
    return 0
