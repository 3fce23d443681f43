"""Opening input files safely: regular files of a sane size, read as UTF-8 text.

Every scenario, experiment and data file is checked here before a byte of it is
read (DESIGN §5): a directory, FIFO, device or socket is refused from `stat`
alone, so a FIFO is never opened (opening one blocks until a writer appears)
and `/dev/zero` is never read (it never ends). The suffix rule (.yaml/.yml for
scenarios and experiments, .csv for data) keeps a mistyped path such as
`extends: /etc/shadow` from being read at all, so no message can echo it.
Every failure is one `InputError` line naming the file, or the file and key
that named it.
"""

from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from model.errors import InputError

MAX_PATH_CHARS = 4096  # PATH_MAX on Linux; a longer text is not a path


@dataclass(frozen=True)
class FileKind:
    """What a file must be: its suffixes, its largest size and a word for messages."""

    label: str
    suffixes: tuple[str, ...]
    max_bytes: int

    @property
    def allowed(self) -> str:
        return f"a regular {' or '.join(self.suffixes)} file of at most {self.max_bytes:,} bytes"


# A shipped scenario is ~2 KB and scenarios/reference.yaml 15 KB. PyYAML's
# pure-Python parser reads about 250 KB a second, so 256 KB bounds a refusal
# to about a second; the old 1 MB limit let a file take 14 s to be refused.
YAML_FILE = FileKind("YAML", (".yaml", ".yml"), 256_000)
# The shipped data are 15 KB in all; 5 MB holds a 500-place world's full
# origin-destination tables (250,000 rows) and stays quick to parse.
DATA_FILE = FileKind("data", (".csv",), 5_000_000)
# Result tables a run wrote (read back by `plot`/`report`): large, but still bounded.
TABLE_FILE = FileKind("table", (".csv",), 1_000_000_000)

_FILE_TYPES = (
    (stat.S_ISDIR, "is a directory"),
    (stat.S_ISFIFO, "is a FIFO (named pipe)"),
    (stat.S_ISCHR, "is a character device"),
    (stat.S_ISBLK, "is a block device"),
    (stat.S_ISSOCK, "is a socket"),
)
_ERRNO_WORDS = {
    errno.ENOENT: "not found",
    errno.ENOTDIR: "not found (a part of the path is not a folder)",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.ENAMETOOLONG: "path too long (a part of it is over 255 characters, or all of it over 4096)",
    errno.ELOOP: "symbolic link loop",
}


def _describe(path: str | Path, limit: int = 200) -> str:
    """A path as it may appear inside a message about another file: quoted, bounded."""
    text = repr(str(path))
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _fail(path: str | Path, problem: str, allowed: str, named_in: str | Path | None, key: str) -> InputError:
    """The error against the file itself, or against the file and key that named it."""
    if named_in is None:
        return InputError(path, "", problem, allowed)
    return InputError(named_in, key, f"{_describe(path)} {problem}", allowed)


def _check_text(path: str | Path, kind: FileKind, named_in: str | Path | None, key: str) -> None:
    text = str(path)
    if not text:
        raise _fail(path, "is an empty path", kind.allowed, named_in, key)
    if "\x00" in text:
        raise _fail(path, "contains a NUL character", "a path without NUL characters", named_in, key)
    if len(text) > MAX_PATH_CHARS:
        raise _fail(
            text[:60] + "...",
            f"path of {len(text)} characters",
            f"at most {MAX_PATH_CHARS}",
            named_in,
            key,
        )


def check_input_file(
    path: str | Path, kind: FileKind = YAML_FILE, *, named_in: str | Path | None = None, key: str = ""
) -> os.stat_result:
    """Refuse anything but a regular file of `kind` (suffix, size), without opening it.

    Call this on every path a user gives (command line, `extends`, `base`,
    `world.data.*`) before reading it; `named_in`/`key` make the message point
    at the file and key that named the path instead of the path itself.
    """
    _check_text(path, kind, named_in, key)
    try:
        info = Path(path).stat()  # follows symlinks: the target is what gets read
    except OSError as exc:
        problem = _ERRNO_WORDS.get(exc.errno or 0, f"cannot be read ({exc.strerror or type(exc).__name__})")
        raise _fail(path, problem, kind.allowed, named_in, key) from None
    for test, problem in _FILE_TYPES:
        if test(info.st_mode):
            raise _fail(path, problem, kind.allowed, named_in, key)
    if not stat.S_ISREG(info.st_mode):
        raise _fail(path, "is not a regular file", kind.allowed, named_in, key)
    if not str(path).lower().endswith(kind.suffixes):
        raise _fail(path, f"is not a {' or '.join(kind.suffixes)} file", kind.allowed, named_in, key)
    target = _target(path, kind, named_in, key)
    if not str(target).lower().endswith(kind.suffixes):  # a link named x.yaml to /etc/shadow: never opened
        problem = f"is a symbolic link to a file that is not a {' or '.join(kind.suffixes)} file"
        raise _fail(path, problem, kind.allowed, named_in, key)
    if info.st_size > kind.max_bytes:
        raise _fail(path, f"file is {info.st_size:,} bytes", f"at most {kind.max_bytes:,} bytes", named_in, key)
    return info


def _target(path: str | Path, kind: FileKind, named_in: str | Path | None, key: str) -> Path:
    """Where the path leads after every symbolic link: the file that would be read."""
    try:
        return Path(path).resolve(strict=True)
    except (OSError, RuntimeError, ValueError):  # RuntimeError: symlink loop (Python 3.12)
        raise _fail(path, "cannot be resolved (symbolic link loop?)", kind.allowed, named_in, key) from None


def resolve_path(
    path: str | Path, kind: FileKind = YAML_FILE, *, named_in: str | Path | None = None, key: str = ""
) -> Path:
    """`Path.resolve()` with its failures (symlink loops, NUL, long names) as one-line errors."""
    _check_text(path, kind, named_in, key)
    try:
        return Path(path).resolve()
    except (OSError, RuntimeError, ValueError):  # RuntimeError: symlink loop (Python 3.12)
        raise _fail(path, "cannot be resolved (symbolic link loop?)", kind.allowed, named_in, key) from None


def read_text(path: str | Path, kind: FileKind = YAML_FILE) -> str:
    """The file as text after `check_input_file`; UTF-8 (a leading BOM is dropped), no NUL.

    What is opened is the link's checked target, without following a link
    again (O_NOFOLLOW), so a link swapped in after the check is refused.

    The file is opened non-blocking and checked again with fstat, so a path
    swapped for a FIFO between the check and the open still cannot hang us;
    at most max_bytes + 1 bytes are read, whatever the file claims its size is.
    """
    check_input_file(path, kind)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(_target(path, kind, None, ""), flags)  # the checked target; a link swapped in since fails
    except OSError as exc:
        problem = _ERRNO_WORDS.get(exc.errno or 0, f"cannot be read ({exc.strerror or type(exc).__name__})")
        raise InputError(path, "", problem, kind.allowed) from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise InputError(path, "", "is not a regular file", kind.allowed)
        chunks, size = [], 0
        while size <= kind.max_bytes:
            chunk = os.read(fd, min(1 << 20, kind.max_bytes + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as exc:
        raise InputError(path, "", f"cannot be read ({exc.strerror or type(exc).__name__})", kind.allowed) from None
    finally:
        os.close(fd)
    if size > kind.max_bytes:
        raise InputError(path, "", f"file is over {kind.max_bytes:,} bytes", f"at most {kind.max_bytes:,} bytes")
    return decode(path, b"".join(chunks))


def decode(path: str | Path, data: bytes) -> str:
    """UTF-8 text (BOM accepted) without NUL characters; errors give the line, never the content."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise InputError(path, f"line {line}", f"byte {exc.start + 1} is not UTF-8 text", "UTF-8 text") from None
    nul = text.find("\x00")
    if nul >= 0:
        raise InputError(path, f"line {text.count(chr(10), 0, nul) + 1}", "contains a NUL character", "text")
    return text
