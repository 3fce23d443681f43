"""Process-tree sampling for the benchmarks: CPU and memory of a command and its workers, read from /proc."""

from __future__ import annotations

import json
import os
import re
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
POLL_SECONDS = 0.1  # timing: CPU accounting only, kept light
MEMORY_POLL_SECONDS = 0.02
RUN_FILE = re.compile(r"^[A-Za-z0-9_-]+-r\d{4,}(?:\.error)?\.json$")  # runs/<task id>.json
CLK_TCK = os.sysconf("SC_CLK_TCK")


def package(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "not installed"


def load_note() -> str:
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return f"load average {load}"


def cpu_busy_seconds() -> float:
    """CPU seconds used on the whole machine so far, all cores (steal counts as used: not ours to have)."""
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(x) for x in fields[:8])
    return (user + nice + system + irq + softirq + steal) / CLK_TCK


def wait_idle(limit_s: float, window_s: float = 2.0, max_cores: float = 0.1) -> float:
    """Wait until other processes use at most `max_cores` over a `window_s` window (or `limit_s` passed).

    Returns the cores in use over the last window: on a shared machine a pair of
    timings is comparable only if the machine was quiet when it started.
    """
    deadline = time.monotonic() + limit_s
    while True:
        before = cpu_busy_seconds()
        time.sleep(window_s)
        cores = (cpu_busy_seconds() - before) / window_s
        if cores <= max_cores or time.monotonic() >= deadline:
            return cores


def proc_stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, CPU seconds used) of a live process, or None."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    rest = text[text.rfind(")") + 2 :].split()
    return int(rest[1]), (int(rest[11]) + int(rest[12])) / CLK_TCK


def proc_memory_mib(pid: int) -> tuple[float, float, float] | None:
    """(VmRSS, VmHWM, Pss) of a live process in MiB, or None.

    RSS counts pages shared with the fork server and the other workers in every
    process; PSS splits each shared page between its sharers, so PSS adds up.
    """
    values = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(("VmRSS:", "VmHWM:")):
                key, amount = line.split(":", 1)
                values[key] = int(amount.split()[0]) / 1024
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                values["Pss"] = int(line.split()[1]) / 1024
    except OSError:
        return None
    if len(values) < 3:
        return None  # a zombie has no memory lines
    return values["VmRSS"], values["VmHWM"], values["Pss"]


def descendants(root: int) -> dict[int, int]:
    """root and every live process below it, with its depth (root 0), from the parent pids in /proc."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            info = proc_stat(int(entry.name))
            if info is not None:
                children.setdefault(info[0], []).append(int(entry.name))
    out, todo = {}, [(root, 0)]
    while todo:
        pid, depth = todo.pop()
        out[pid] = depth
        todo.extend((child, depth + 1) for child in children.get(pid, ()))
    return out


@dataclass
class TreeSample:
    """One look at the process tree of a command."""

    seconds: float  # since the command started
    runs_done: int
    rss_mib: dict[int, float]
    pss_mib: dict[int, float]
    depth: dict[int, int]  # 0 the command, 1 its fork server and resource tracker, 2 the workers (forked by the server)

    def rss_at(self, depth: int) -> list[float]:
        return [v for k, v in sorted(self.rss_mib.items()) if self.depth.get(k) == depth]


@dataclass
class Watch:
    """What was seen of a command's process tree while it ran."""

    root: int = 0  # the command's own pid
    cpu_seconds: dict[int, float] = field(default_factory=dict)  # last seen per pid
    hwm_mib: dict[int, float] = field(default_factory=dict)  # largest VmHWM seen per pid
    depth: dict[int, int] = field(default_factory=dict)  # per pid, as in TreeSample
    samples: list[TreeSample] = field(default_factory=list)

    @property
    def tree_cpu(self) -> float:
        return sum(self.cpu_seconds.values())


def count_runs(runs_dir: Path) -> int:
    try:
        return sum(1 for e in os.scandir(runs_dir) if RUN_FILE.match(e.name))
    except OSError:
        return 0


@dataclass
class Timed:
    """One command: wall seconds, when its runs finished, what each run took, the load around it."""

    wall: float
    first_run: float  # seconds from launch to the first finished run file
    first_run_seconds: float  # that run's own wall time
    last_run: float
    run_seconds: list[float]  # each run's own wall time, from its record
    tree_cpu: float  # CPU seconds of the command's processes (sampled)
    busy: float  # CPU seconds used on the whole machine meanwhile, less this benchmark's own
    watch: Watch

    @property
    def other_cores(self) -> float:
        """Cores used on average by other processes meanwhile."""
        return max(0.0, (self.busy - self.tree_cpu) / self.wall)

    @property
    def ready(self) -> float:
        """Launch to the start of the first run that finished: interpreter, imports, planning, worker start-up."""
        return self.first_run - self.first_run_seconds

    @property
    def runs_phase(self) -> float:
        """From the start of the first run to the end of the last."""
        return self.last_run - self.ready

    @property
    def tail(self) -> float:
        """After the last run: tables, pool shut-down, interpreter exit."""
        return self.wall - self.last_run

    @property
    def median_run(self) -> float:
        return statistics.median(self.run_seconds)


def command_text(args: Sequence[str]) -> str:
    return "python " + shlex.join(args)


def run_command(args: Sequence[str], runs_dir: Path, memory: bool = False, cwd: Path = ROOT) -> Timed:
    """Start `python ARGS` in the repository root (or `cwd`), poll its process tree until it exits, time it."""
    watch = Watch()
    busy0, self0 = cpu_busy_seconds(), time.process_time()
    start_wall = time.time()  # run files' mtimes are wall-clock
    start = time.perf_counter()
    with tempfile.TemporaryFile() as log:  # not a pipe: nobody reads it while the command runs
        proc = subprocess.Popen([sys.executable, *args], cwd=cwd, stdout=log, stderr=subprocess.STDOUT)
        watch.root = proc.pid
        while proc.poll() is None:
            _look(watch, proc.pid, runs_dir, start, memory)
            time.sleep(MEMORY_POLL_SECONDS if memory else POLL_SECONDS)
        wall = time.perf_counter() - start
        busy = cpu_busy_seconds() - busy0 - (time.process_time() - self0)
        if proc.returncode != 0:
            log.seek(0)
            print(f"FAILED (exit {proc.returncode}): {command_text(args)}", file=sys.stderr)
            print(log.read().decode(errors="replace")[-3000:], file=sys.stderr)
            raise SystemExit(1)
    paths = [Path(e.path) for e in os.scandir(runs_dir) if RUN_FILE.match(e.name)]
    files = sorted((p.stat().st_mtime, p) for p in paths)  # in the order they finished
    run_seconds = [float(json.loads(p.read_text(encoding="utf-8"))["wall_seconds"]) for _, p in files]
    first, last = files[0][0] - start_wall, files[-1][0] - start_wall
    return Timed(wall, first, run_seconds[0], last, run_seconds, watch.tree_cpu, busy, watch)


def _look(watch: Watch, root: int, runs_dir: Path, start: float, memory: bool) -> None:
    """One sample of the command's process tree: CPU per process; with memory, RSS, PSS and finished runs."""
    pids = descendants(root)
    watch.depth.update(pids)
    for pid in pids:
        info = proc_stat(pid)
        if info is not None:
            watch.cpu_seconds[pid] = info[1]
    if not memory:
        return
    rss, pss = {}, {}
    for pid in pids:
        mem = proc_memory_mib(pid)
        if mem is not None:
            rss[pid], pss[pid] = mem[0], mem[2]
            watch.hwm_mib[pid] = max(watch.hwm_mib.get(pid, 0.0), mem[1])
    watch.samples.append(TreeSample(time.perf_counter() - start, count_runs(runs_dir), rss, pss, pids))
