"""Run a command and measure it: wall time, and peak memory of its whole process tree.

Both peaks are sampled from ``/proc`` every few milliseconds, over the command and all
its descendants:

- ``tree_rss``: the largest sum of the resident set sizes of the processes alive at the
  same moment (a spike shorter than the interval can be missed);
- ``proc_rss``: the largest peak resident set (``VmHWM``, kept by the kernel) of any one
  process of the tree: a process's own peak is never missed, unless it lives less
  than the interval.

Not ``ru_maxrss`` (``wait4``, ``RUSAGE_CHILDREN``): a child created by fork, vfork or
posix_spawn starts with its parent's resident set counted in its own peak, so the
benchmark's own memory (hundreds of MB once it made a large model) would show up as
the stage's.
"""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Sequence

PAGE = os.sysconf("SC_PAGE_SIZE")
POLL_SECONDS = 0.01
MB = 1024 * 1024


@dataclass(frozen=True)
class Sample:
    """One measured run of a command."""

    seconds: float
    tree_rss: int  # bytes
    proc_rss: int  # bytes
    returncode: int
    output: str


class CommandFailed(RuntimeError):
    pass


def _children() -> dict[int, list[int]]:
    """Every process's children, from ``/proc/*/stat`` (one pass)."""
    tree: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as handle:
                stat = handle.read()
        except OSError:
            continue
        # The command name may hold spaces and parentheses: fields start after the last ')'.
        fields = stat[stat.rindex(b")") + 2:].split()
        tree.setdefault(int(fields[1]), []).append(int(entry.name))
    return tree


def _memory(pid: int) -> tuple[int, int]:
    """A process's resident set now and its peak resident set so far, in bytes."""
    rss = hwm = 0
    try:
        with open(f"/proc/{pid}/status", "rb") as handle:
            for line in handle:
                if line.startswith(b"VmRSS:"):
                    rss = int(line.split()[1]) * 1024
                elif line.startswith(b"VmHWM:"):
                    hwm = int(line.split()[1]) * 1024
    except (OSError, IndexError, ValueError):
        pass
    return rss, hwm


def tree_memory(root: int) -> tuple[int, int]:
    """The summed resident set of ``root`` and its descendants, and their largest peak."""
    tree = _children()
    total = peak = 0
    stack = [root]
    while stack:
        pid = stack.pop()
        rss, hwm = _memory(pid)
        total += rss
        peak = max(peak, hwm)
        stack.extend(tree.get(pid, ()))
    return total, peak


def measure(
    argv: Sequence[str | os.PathLike[str]],
    *,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    check: bool = True,
) -> Sample:
    """Run ``argv`` to completion; raise :class:`CommandFailed` when it fails and ``check``."""
    start = time.perf_counter()
    process = subprocess.Popen(
        [str(a) for a in argv], cwd=cwd, env=None if env is None else dict(env),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    tree_peak = proc_peak = 0
    done = threading.Event()

    def poll() -> None:
        nonlocal tree_peak, proc_peak
        while not done.is_set():
            total, peak = tree_memory(process.pid)
            tree_peak, proc_peak = max(tree_peak, total), max(proc_peak, peak)
            done.wait(POLL_SECONDS)

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    assert process.stdout is not None
    output = process.stdout.read()  # until the command (and anything holding its stdout) ends
    process.wait()
    seconds = time.perf_counter() - start
    done.set()
    poller.join()
    sample = Sample(seconds, tree_peak, proc_peak, process.returncode, output)
    if check and sample.returncode != 0:
        command = " ".join(str(a) for a in argv)
        raise CommandFailed(f"{command} failed with exit code {sample.returncode}:\n{output[-3000:]}")
    return sample


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values))


def machine() -> dict[str, str]:
    """What the results depend on, for the table's header."""
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.0f} GiB"
    except OSError:
        pass
    return {
        "cores": str(os.cpu_count()),
        "cpu": model or platform.processor() or "unknown",
        "memory": memory or "unknown",
        "python": platform.python_version(),
        "system": f"{platform.system()} {platform.release()}",
    }
