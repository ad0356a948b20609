"""Run a command and measure it: wall time, and peak memory of its whole process tree.

Two peaks, because neither alone tells the whole story:

- ``tree_rss``: the largest sum of the resident set sizes of the command and all its
  descendants alive at the same moment, sampled from ``/proc`` every few milliseconds
  (a spike shorter than the interval can be missed);
- ``proc_rss``: the largest resident set of any single process of the tree, as the
  kernel counts it (``ru_maxrss`` from ``wait4``: exact, never missed, but it does not
  add up processes that run at the same time).
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


def _rss(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm", "rb") as handle:
            return int(handle.read().split()[1]) * PAGE
    except (OSError, IndexError, ValueError):
        return 0


def tree_rss(root: int) -> int:
    """The summed resident set of ``root`` and its descendants, now."""
    tree = _children()
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        total += _rss(pid)
        stack.extend(tree.get(pid, ()))
    return total


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
    peak = 0
    done = threading.Event()

    def poll() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, tree_rss(process.pid))
            done.wait(POLL_SECONDS)

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    assert process.stdout is not None
    output = process.stdout.read()  # until the command (and anything holding its stdout) ends
    # wait4, not wait: its rusage is the finished child's, with its own reaped children.
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    done.set()
    poller.join()
    process.returncode = os.waitstatus_to_exitcode(status)
    sample = Sample(seconds, peak, usage.ru_maxrss * 1024, process.returncode, output)
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
