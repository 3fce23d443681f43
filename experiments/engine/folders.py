"""Result folders: checked before anything runs, owned by one command and one set of inputs, published whole.

`DIR/<name>/` holds one command's results: `manifest.json` (written last)
records the command and a fingerprint of its inputs, `runs/state.json` the
same while runs are still being made. A folder that holds another command's
results, or results of other inputs, is never replaced silently: the command
exits 2 naming the folder and what to do (`--name`, `--overwrite`, or
`--resume` for the same inputs). While a command works on a folder it holds a
lock on it, so it can clear what a killed command left behind (hidden
`.publish-*` folders, `.*.tmp` files) without disturbing a live one.

Final files are written into a hidden folder inside the result folder and
renamed into place, the old manifest removed first and the new one renamed in
last: a folder with a manifest always holds one complete, consistent set.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import shutil
import stat
import tempfile
import time
from collections.abc import Callable, Collection, Iterator
from pathlib import Path
from typing import Any

from experiments.engine.pool import Fault
from experiments.engine.store import RUNS_DIR, RunStore
from model.errors import InputError

MANIFEST = "manifest.json"
LOCK = ".lock"
HIDDEN_WORK = (".publish-", ".old-")
MACHINE_FAULTS = frozenset({errno.EROFS, errno.ENOSPC, errno.EDQUOT, errno.EIO})
WHAT_TO_DO = "--name NAME for another folder, or --overwrite to replace it"


def os_problem(path: Path, exc: OSError, what: str = "cannot write") -> Exception:
    """An OSError on an output path as one line: a machine fault (exit 1) or a bad --out (exit 2)."""
    reason = exc.strerror or str(exc)
    if exc.errno in MACHINE_FAULTS:
        return Fault(f"{what} {path}: {reason}")
    return InputError("command line", "--out", f"{what} {path}: {reason}", "a folder you can write to")


class ResultFolder:
    """`DIR/<name>/` of one command."""

    def __init__(self, out: Path, name: str) -> None:
        self.out = Path(out)
        self.name = name
        self.path = self.out / name
        self.store = RunStore(self.path / RUNS_DIR)
        self.created = False
        self._lock_fd: int | None = None

    # --- before anything runs ----------------------------------------------

    def check(self) -> None:
        """Refuse an output place that cannot hold a result folder, before any simulation."""
        for path in (self.out, self.path):
            try:
                st = path.stat()
            except FileNotFoundError:
                continue
            except OSError as exc:
                raise os_problem(path, exc, "cannot use") from None
            if not stat.S_ISDIR(st.st_mode):
                raise InputError("command line", "--out", f"{path} exists and is not a folder", "a folder path")
        existing = next((p for p in (self.path, *self.path.parents) if p.exists()), Path())
        if not existing.is_dir():
            raise InputError("command line", "--out", f"{existing} is not a folder", "a folder path")
        try:
            probe = tempfile.mkdtemp(prefix=".probe-", dir=existing)
            Path(probe).rmdir()
        except OSError as exc:
            raise os_problem(existing, exc) from None

    # --- owning the folder ---------------------------------------------------

    @contextlib.contextmanager
    def locked(self) -> Iterator[ResultFolder]:
        """Create the folder if need be and hold its lock; a folder created here and left empty is removed."""
        try:
            self.created = not self.path.exists()
            self.path.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise os_problem(self.path, exc) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise InputError(
                "command line", "--out", f"another relocsim command is writing to {self.path}", "wait for it to end"
            ) from None
        self._lock_fd = fd
        try:
            self.clean_leftovers()
            yield self
        finally:
            self._release()

    def _release(self) -> None:
        fd, self._lock_fd = self._lock_fd, None
        with contextlib.suppress(OSError):
            (self.path / LOCK).unlink()
        if fd is not None:
            os.close(fd)
        if self.created and self.path.is_dir() and not any(self.path.iterdir()):
            with contextlib.suppress(OSError):
                self.path.rmdir()

    def clean_leftovers(self) -> None:
        """Hidden work files of an earlier command that was killed (safe: we hold the lock)."""
        for folder in (self.path, self.store.root):
            if not folder.is_dir():
                continue
            for entry in folder.iterdir():
                if entry.name.startswith(HIDDEN_WORK) and entry.is_dir():
                    shutil.rmtree(entry, ignore_errors=True)
                elif entry.name.startswith(".") and entry.name.endswith(".tmp"):
                    entry.unlink(missing_ok=True)
        for sibling in self.out.glob(f".{self.name}.*"):  # folders beside it, from versions before this one
            if ".tmp-" in sibling.name or ".old-" in sibling.name:
                shutil.rmtree(sibling, ignore_errors=True)

    def owner(self) -> dict[str, Any] | None:
        """Whose folder it is: the state of its runs (the last command that worked on it), else its manifest."""
        state = self.store.read_state()
        if state is not None:
            return state
        try:
            doc = json.loads((self.path / MANIFEST).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return doc if isinstance(doc, dict) else None

    def claim(self, command: str, fingerprint: str, *, overwrite: bool, resume: bool) -> dict[str, Any] | None:
        """Make the folder this command's, or refuse; return the recorded run state when resuming.

        With `overwrite` a relocsim folder of another command or other inputs is
        taken over: its old runs are dropped, but its result files stay until the
        new ones are published over them, so a command that fails leaves the
        earlier results in place. A folder relocsim did not write (no manifest,
        no run state) that holds anything is never taken, not even then.
        """
        owner = self.owner()
        if owner is None:
            visible = [p.name for p in self.path.iterdir() if not p.name.startswith(".")]
            if visible:  # never replaced, not even with --overwrite: it is not ours
                raise InputError(
                    "command line",
                    "--out",
                    f"{self.path} is not a relocsim result folder (it holds {', '.join(sorted(visible)[:3])})",
                    "--name NAME or another --out for a folder of its own",
                )
        elif overwrite:
            self.store.clear()
            return None
        elif owner.get("command") != command:
            raise InputError(
                "command line",
                "--out",
                f"{self.path} holds the results of `{owner.get('command', '?')}`, not `{command}`",
                WHAT_TO_DO,
            )
        elif owner.get("fingerprint") != fingerprint:
            raise InputError(
                "command line",
                "--out",
                f"{self.path} holds `{command}` results of other inputs (changed files, options or seed)",
                WHAT_TO_DO + "; --resume continues only the same inputs",
            )
        state = self.store.read_state() if resume else None
        if not resume:
            self.store.clear()
        return state

    # --- publishing ----------------------------------------------------------

    def publish(self, build: Callable[[Path], object], *, only: Collection[str] | None = None) -> list[str]:
        """Build the final files into a hidden folder, then rename each into place (manifest last).

        Without `only`, earlier result files this build did not write are removed
        (they would mislead) and `runs/` is kept; with `only`, just the entries
        named there are replaced (redrawing figures). Returns the names written.
        """
        tmp = self.path / f".publish-{os.getpid()}-{time.monotonic_ns()}"
        try:
            tmp.mkdir()
            build(tmp)
            written = sorted(p.name for p in tmp.iterdir())
            if only is None:
                (self.path / MANIFEST).unlink(missing_ok=True)
            for name in written:
                if name != MANIFEST and (only is None or name in only):
                    _swap_in(tmp / name, self.path / name)
            if only is None:
                keep = {*written, RUNS_DIR}
                for stale in self.path.iterdir():
                    if stale.name not in keep and not stale.name.startswith("."):
                        shutil.rmtree(stale) if stale.is_dir() else stale.unlink()
            if MANIFEST in written and only is None:
                (tmp / MANIFEST).replace(self.path / MANIFEST)
        except OSError as exc:
            raise os_problem(self.path, exc) from None
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return [n for n in written if only is None or n in only]


def _swap_in(entry: Path, target: Path) -> None:
    """Rename a finished file or folder onto its target; a folder is swapped whole."""
    if entry.is_dir() and target.exists():
        old = target.parent / f".old-{target.name}-{os.getpid()}-{time.monotonic_ns()}"
        target.rename(old)
        entry.rename(target)
        shutil.rmtree(old, ignore_errors=True)
    else:
        entry.replace(target)
