"""Progress on long steps: a bar in a terminal, a plain line now and then in a log.

    from _progress import Progress, ProgressReader

    with Progress(f"uploading {path.name}", total=size) as progress:
        for chunk in chunks:
            send(chunk)
            progress.advance(len(chunk))          # or progress.update(bytes_done)

    with open(path, "rb") as raw, Progress(f"hashing {path.name}", total=size) as progress:
        digest = hashlib.file_digest(ProgressReader(raw, progress), "sha256")

How it shows is decided once, when the step starts:

- stderr is a terminal and this is not GitHub Actions: a ``rich`` progress bar (rich
  comes with twine) with bytes done, rate and time left, drawn from the step's third
  second on;
- anywhere else (Actions, where ``GITHUB_ACTIONS=true``; a pipe; a file): plain lines on
  stderr, the first once the step has run 2 s, then one every 10 s or each time another
  10 % is done (at most one a second), and a last line with the total and the mean rate
  (and how long the step went on after its last byte, e.g. waiting for a server's answer).
- A step that ends within 2 s shows nothing at all, in either form.

Progress moves only when the step reports bytes: a stalled transfer prints nothing new
(its own timeout reports it). Labels are a few lowercase words saying what happens to
what ("downloading the stored x.whl"); amounts are bytes. Nothing here raises on a
closed or odd stream: progress is never worth failing a step for.
"""

from __future__ import annotations

import io
import math
import os
import sys
import time
from typing import Callable, TextIO

#: A step shorter than this shows nothing.
QUIET_FOR = 2.0
#: In plain-line form: a line at least this often while bytes move...
EVERY = 10.0
#: ... and one each time this fraction more is done...
STEP = 0.10
#: ... but never two within this many seconds.
MIN_GAP = 1.0


def human_bytes(amount: float) -> str:
    """``950 B``, ``12.3 MB``, ``1.0 GB``: decimal units, as disks and networks count."""
    if amount < 1000:
        return f"{amount:.0f} B"
    for unit in ("kB", "MB", "GB", "TB"):
        amount /= 1000
        if amount < 1000 or unit == "TB":
            break
    return f"{amount:.1f} {unit}"


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError, OSError):
        return False


class Progress:
    """One step's progress. Use it as a context manager; feed it with :meth:`advance` or
    :meth:`update`. ``total`` (bytes) may be None when unknown: lines then show bytes and
    rate only. ``form`` forces ``"bar"`` or ``"lines"``; ``clock`` and ``stream`` are for
    tests."""

    def __init__(self, label: str, total: int | None = None, *, stream: TextIO | None = None,
                 clock: Callable[[], float] = time.monotonic, form: str | None = None,
                 quiet_for: float = QUIET_FOR, every: float = EVERY, step: float = STEP) -> None:
        self.label = label
        self.total = total if total and total > 0 else None
        self.stream = stream if stream is not None else sys.stderr
        self.clock = clock
        in_actions = os.environ.get("GITHUB_ACTIONS") == "true"
        self.form = form or ("bar" if _is_terminal(self.stream) and not in_actions else "lines")
        self.quiet_for, self.every, self.step = quiet_for, every, step
        self.done = 0
        self.started = clock()
        self.shown = False
        self._last_line = -math.inf
        self._next_mark = step
        self._bar: object | None = None
        self._task: object | None = None
        self._all_done_at: float | None = None  # the step may go on after its last byte

    # -- feeding it --

    def advance(self, amount: int) -> None:
        self.update(self.done + amount)

    def update(self, done: int) -> None:
        self.done = done
        now = self.clock()
        if self.total and done >= self.total and self._all_done_at is None:
            self._all_done_at = now
        if now - self.started < self.quiet_for:
            return
        if self.form == "bar":
            self._draw_bar()
        elif self._line_due(now):
            self._line(now)

    # -- the two forms --

    def _line_due(self, now: float) -> bool:
        if not self.shown or now - self._last_line >= self.every:
            return True
        fraction = self.done / self.total if self.total else 0.0
        return fraction + 1e-9 >= self._next_mark and now - self._last_line >= MIN_GAP

    def _line(self, now: float) -> None:
        elapsed = max(now - self.started, 1e-9)
        rate = f"{human_bytes(self.done / elapsed)}/s"
        if self.total:
            fraction = min(self.done / self.total, 1.0)
            text = (f"{self.label}: {human_bytes(self.done)} of {human_bytes(self.total)} "
                    f"({fraction:.0%}), {rate}")
            self._next_mark = (math.floor(fraction / self.step + 1e-9) + 1) * self.step
        else:
            text = f"{self.label}: {human_bytes(self.done)}, {rate}"
        self._write(text)
        self._last_line = now
        self.shown = True

    def _draw_bar(self) -> None:
        try:
            if self._bar is None:
                from rich.console import Console
                from rich.progress import (
                    BarColumn, DownloadColumn, Progress as RichProgress, TextColumn,
                    TimeRemainingColumn, TransferSpeedColumn,
                )
                self._bar = RichProgress(
                    TextColumn("{task.description}"), BarColumn(), DownloadColumn(),
                    TransferSpeedColumn(), TimeRemainingColumn(),
                    console=Console(file=self.stream), transient=False, get_time=self.clock)
                self._bar.start()  # type: ignore[attr-defined]
                self._task = self._bar.add_task(self.label, total=self.total)  # type: ignore[attr-defined]
                self.shown = True
            self._bar.update(self._task, completed=self.done)  # type: ignore[attr-defined]
        except Exception:  # noqa: BLE001 - a bar that cannot draw falls back to lines
            self.form = "lines"
            self._bar = None

    def _write(self, text: str) -> None:
        try:
            self.stream.write(text + "\n")
            self.stream.flush()
        except (OSError, ValueError):
            pass

    # -- the end --

    def close(self, failed: bool = False) -> None:
        if self._bar is not None:
            try:
                self._bar.update(self._task, completed=self.done)  # type: ignore[attr-defined]
                self._bar.stop()  # type: ignore[attr-defined]
            except Exception:  # noqa: BLE001
                pass
            self._bar = None
            return
        if not self.shown:
            return
        now = self.clock()
        elapsed = max(now - self.started, 1e-9)
        if failed:
            of = f" of {human_bytes(self.total)}" if self.total else ""
            self._write(f"{self.label}: stopped after {human_bytes(self.done)}{of}, {elapsed:.1f} s")
            return
        moving = max((self._all_done_at or now) - self.started, 1e-9)
        waited = now - self._all_done_at if self._all_done_at is not None else 0.0
        self._write(f"{self.label}: {human_bytes(self.done)} in {moving:.1f} s "
                    f"({human_bytes(self.done / moving)}/s)"
                    + (f", then {waited:.1f} s waiting" if waited >= 1.0 else ""))

    def __enter__(self) -> "Progress":
        return self

    def __exit__(self, exc_type: object, *_: object) -> None:
        self.close(failed=exc_type is not None)


class ProgressReader(io.RawIOBase):
    """A binary file read through ``progress``: every byte read advances it. Works with
    ``hashlib.file_digest`` (which calls ``readinto``) and with plain ``read``."""

    def __init__(self, raw: io.BufferedIOBase | io.RawIOBase, progress: Progress) -> None:
        super().__init__()
        self.raw = raw
        self.progress = progress

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        count = self.raw.readinto(buffer) or 0
        self.progress.advance(count)
        return count
