"""Result folders: checked before anything runs, owned by one command and one set of inputs, published whole.

`DIR/<name>/` holds one command's results: `manifest.json` (written last)
records the command and a fingerprint of its inputs, `runs/state.json` the
same while runs are still being made. A folder that holds another command's
results, or results of other inputs, is never replaced silently: the command
exits 2 naming the folder and what to do (`--name`, `--overwrite`, or
`--resume` for the same inputs). While a command works on a folder it holds a
lock on it (`DIR/.<name>.lock`, beside it), so it can clear what a killed
command left behind (hidden `.<name>.publish-*` folders, `.*.tmp` files)
without disturbing a live one.

Publishing is atomic for a reader: the complete new folder is built beside the
old one (`DIR/.<name>.publish-*`, `runs/` and, when only figures are redrawn,
the unchanged entries hard-linked in) and exchanged with it in one step (Linux
renameat2 RENAME_EXCHANGE), then the old set is removed. A kill
at any moment leaves `DIR/<name>` holding either the old complete results or
the new ones. Where the file system cannot exchange, the old folder is renamed
aside first and put back by the next command if the kill fell in between.

A rerun never deletes a file relocsim did not write: an entry the manifest does
not list, or a link, in the folder refuses the command (exit 2) naming it.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import glob
import os
import shutil
import stat
import tempfile
import time
from collections.abc import Callable, Collection, Iterator
from pathlib import Path
from typing import Any

from experiments.engine.pool import Fault
from experiments.engine.store import RUNS_DIR, RunStore, read_mapping
from model.errors import InputError

MANIFEST = "manifest.json"
HIDDEN_WORK = (".publish-", ".old-")  # inside a folder, from versions before this one
AT_FDCWD, RENAME_EXCHANGE = -100, 2  # linux/fcntl.h, linux/fs.h
NO_EXCHANGE = frozenset({errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP})
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

    @property
    def lock_path(self) -> Path:
        return self.out / f".{self.name}.lock"

    @contextlib.contextmanager
    def locked(self) -> Iterator[ResultFolder]:
        """Hold the folder's lock, put back results a killed publish left aside, and create the folder if need be;
        a folder created here and left empty is removed."""
        try:
            self.out.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o644)
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
            self.recover()
            self.created = not self.path.exists()
            try:
                self.path.mkdir(exist_ok=True)
            except OSError as exc:
                raise os_problem(self.path, exc) from None
            self.clean_leftovers()
            yield self
        finally:
            self._release()

    def _release(self) -> None:
        fd, self._lock_fd = self._lock_fd, None
        if self.created and self.path.is_dir() and not any(self.path.iterdir()):
            with contextlib.suppress(OSError):
                self.path.rmdir()
        with contextlib.suppress(OSError):
            self.lock_path.unlink()
        if fd is not None:
            os.close(fd)

    def _aside(self, kind: str) -> list[Path]:
        return sorted(self.out.glob(f".{glob.escape(self.name)}.{kind}-*"))

    def recover(self) -> None:
        """A publish killed between its two renames (no exchange) left the old results aside: put them back."""
        if not self.path.exists():
            for old in self._aside("old")[-1:]:
                old.rename(self.path)

    def clean_leftovers(self) -> None:
        """Hidden work files of an earlier command that was killed (safe: we hold the lock)."""
        for folder in (self.path, self.store.root):
            if not folder.is_dir():
                continue
            for entry in folder.iterdir():
                if entry.name.startswith(HIDDEN_WORK) and entry.is_dir():
                    shutil.rmtree(entry, ignore_errors=True)
                elif (entry.name.startswith(".") and entry.name.endswith(".tmp")) or (
                    entry.name == ".lock" and entry.is_file()
                ):
                    entry.unlink(missing_ok=True)
        for kind in ("publish", "old", "tmp"):  # tmp: beside it, from versions before this one
            for sibling in self._aside(kind):
                shutil.rmtree(sibling, ignore_errors=True)

    def manifest(self) -> dict[str, Any] | None:
        return read_mapping(self.path / MANIFEST)

    def refuse_foreign(self, within: Collection[str] | None = None) -> None:
        """Exit 2 naming a file relocsim did not write that a publish would remove (only under `within`, if given)."""
        strays = self.foreign()
        if within is not None:  # the entries `within` are named by the report itself: only what is inside them counts
            strays = [f for f in strays if f.split("/")[0] in within and ("/" in f or (self.path / f).is_symlink())]
        if strays:  # ours, but with files in it that are not: a rerun would delete them
            raise InputError(
                "command line",
                "--out",
                f"{self.path / strays[0]} was not written by relocsim (a rerun would delete it)"
                + (f", nor {len(strays) - 1} more" if len(strays) > 1 else ""),
                "move it out of the folder, or --name NAME for another folder",
            )

    def foreign(self) -> list[str]:
        """Entries relocsim did not write: not in the manifest's `files` (or, with no manifest, not `runs/`), links,
        and anything but regular files inside its subfolders. A rerun would delete them."""
        manifest = self.manifest()
        files = manifest.get("files") if manifest is not None else []
        listed = {str(f).rstrip("/") for f in files} if isinstance(files, list) else None  # None: an old manifest
        out = []
        for entry in sorted(self.path.iterdir()):
            if entry.name.startswith("."):
                continue
            if entry.is_symlink() or (listed is not None and entry.name not in {*listed, RUNS_DIR, MANIFEST}):
                out.append(entry.name)
            elif entry.is_dir():
                out += [
                    str(sub.relative_to(self.path))
                    for sub in sorted(entry.rglob("*"))
                    if sub.is_symlink() or not (sub.is_file() or sub.is_dir())
                ]
        return out

    def owner(self) -> dict[str, Any] | None:
        """Whose folder it is: the state of its runs (the last command that worked on it), else its manifest."""
        state = self.store.read_state()
        return state if state is not None else self.manifest()

    def claim(self, command: str, fingerprint: str, *, overwrite: bool, resume: bool) -> dict[str, Any] | None:
        """Make the folder this command's, or refuse; return the recorded run state when resuming.

        With `overwrite` a relocsim folder of another command or other inputs is
        taken over: its old runs are dropped, but its result files stay until the
        new ones are published over them, so a command that fails leaves the
        earlier results in place. A folder relocsim did not write (no manifest,
        no run state) that holds anything is never taken, not even then.
        """
        owner = self.owner()
        if owner is not None:
            self.refuse_foreign()
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
        """Build the complete new folder beside the old one and exchange the two (module docstring).

        Without `only`, the build is the whole result set (earlier result files
        it did not write are gone with the old folder); with `only`, just the
        entries named there are replaced (redrawing figures) and every other
        entry is carried over. `runs/` is carried over by hard links before the
        exchange, so no moment of it loses a run. Returns the names written.
        """
        new = self.out / f".{self.name}.publish-{os.getpid()}-{time.monotonic_ns()}"
        try:
            new.mkdir()
            build(new)
            written = sorted(p.name for p in new.iterdir())
            if only is not None:
                for name in written:
                    if name not in only:
                        _remove(new / name)
                for entry in self.path.iterdir():
                    if entry.name not in only and entry.name != RUNS_DIR and not entry.name.startswith("."):
                        _link_copy(entry, new / entry.name)
            if (self.path / RUNS_DIR).is_dir():  # the runs are finished files: linked in, so no kill can lose them
                _link_copy(self.path / RUNS_DIR, new / RUNS_DIR)
            _phase("built")
            _exchange(new, self.path)  # from here `new` names the old folder
            _phase("exchanged")
        except OSError as exc:
            raise os_problem(self.path, exc) from None
        finally:
            shutil.rmtree(new, ignore_errors=True)
        return [n for n in written if only is None or n in only]


def _phase(name: str) -> None:
    """A named moment of publishing (built, aside, exchanged), where tests/test_publish.py kills the command."""


def _remove(path: Path) -> None:
    shutil.rmtree(path) if path.is_dir() and not path.is_symlink() else path.unlink()


def _link_copy(source: Path, target: Path) -> None:
    """An entry carried over into the new folder: hard links (no bytes copied), a copy across file systems.

    A link is carried over as a link, never followed: a user's link to a large
    folder inside a result folder must not be copied into it.
    """
    if source.is_symlink():
        target.symlink_to(source.readlink())
    elif source.is_dir():
        shutil.copytree(source, target, symlinks=True, copy_function=_link_or_copy)
    else:
        _link_or_copy(source, target)


def _link_or_copy(source: str | Path, target: str | Path) -> None:
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def _exchange(new: Path, current: Path) -> None:
    """Make `new` the folder at `current` in one step; afterwards `new` names the old folder (or nothing).

    renameat2(RENAME_EXCHANGE) swaps the two at once. Without it (another
    system, or a file system that cannot), the current folder is renamed aside
    to `.<name>.old-*` and the new one into place: a kill between the two leaves
    the old results aside, which the next command puts back (ResultFolder.recover).
    """
    if not current.exists():
        new.rename(current)
        return
    rename2 = getattr(ctypes.CDLL(None, use_errno=True), "renameat2", None)
    if rename2 is not None:
        if rename2(AT_FDCWD, os.fsencode(new), AT_FDCWD, os.fsencode(current), RENAME_EXCHANGE) == 0:
            return
        err = ctypes.get_errno()
        if err not in NO_EXCHANGE:
            raise OSError(err, os.strerror(err), str(current))
    aside = current.parent / f".{current.name}.old-{os.getpid()}-{time.monotonic_ns()}"
    current.rename(aside)
    _phase("aside")
    new.rename(current)
    aside.rename(new)
