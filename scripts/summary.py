"""summary: write a job's summary: each stage's duration and outcome, and the model's metrics.

    echo "$(date +%s.%N) train" >> "$CLOCK"      # each stage step clocks in first
    python scripts/summary.py --clock "$CLOCK" --status "$JOB_STATUS" --metrics "$METRICS_JSON"

The clock file holds one line per stage, ``<unix time> <stage>``, in the order the stages
started; a stage lasts until the next one starts, the last until now. When the job did
not succeed, the last stage that started is the one that failed. The Markdown goes to the
job summary and, so the log shows it too, to standard output. The wheel (name, size,
sha256) and the publish results are written by the build and publish stages themselves.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from _wheelwright import summary

STAGE = "summary"


@dataclass(frozen=True)
class Lap:
    stage: str
    seconds: float
    outcome: str


def laps(clock: str, *, now: float, status: str) -> list[Lap]:
    """The stages in ``clock``, timed; the last one failed unless ``status`` is success."""
    starts: list[tuple[float, str]] = []
    for line in clock.splitlines():
        stamp, _, stage = line.strip().partition(" ")
        if stage:
            starts.append((float(stamp), stage.strip()))
    result = []
    for i, (start, stage) in enumerate(starts):
        end = starts[i + 1][0] if i + 1 < len(starts) else now
        last = i + 1 == len(starts)
        outcome = "ok" if not last or status == "success" else ("cancelled" if status == "cancelled" else "failed")
        result.append(Lap(stage, max(end - start, 0.0), outcome))
    return result


def one_line(text: str) -> str:
    """``text`` with every character that is not printable shown as its escape. The title
    and the metric names come from the project (its folder, its version, its tests), and
    the summary is printed to the log too: a newline there would start a line the runner
    reads as a workflow command."""
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)


def markdown(title: str, timed: list[Lap], metrics: dict[str, float]) -> str:
    icons = {"ok": ":white_check_mark:", "failed": ":x:", "cancelled": ":no_entry_sign:"}
    parts = [f"### {one_line(title)}\n"]
    if timed:
        rows = "".join(f"| {one_line(lap.stage)} | {icons[lap.outcome]} {lap.outcome} | {lap.seconds:.1f} |\n"
                       for lap in timed)
        total = sum(lap.seconds for lap in timed)
        parts.append(f"| stage | outcome | seconds |\n|---|---|---:|\n{rows}| **total** | | **{total:.1f}** |\n")
    if metrics:
        rows = "".join(f"| {one_line(name)} | {value:.4f} |\n" for name, value in sorted(metrics.items()))
        parts.append(f"<details open><summary>Metrics on the hold-out set</summary>\n\n"
                     f"| metric | value |\n|---|---:|\n{rows}\n</details>\n")
    return "\n".join(parts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="summary.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--clock", type=Path, required=True, help="the stages' start times")
    parser.add_argument("--status", default="success", help="the job's status (job.status)")
    parser.add_argument("--metrics", default="", help="the test stage's metrics output (JSON)")
    parser.add_argument("--title", default="wheelwright", help="the summary's heading")
    args = parser.parse_args(argv)
    clock = args.clock.read_text(encoding="utf-8") if args.clock.is_file() else ""
    try:
        metrics = json.loads(args.metrics) if args.metrics else {}
    except json.JSONDecodeError:
        metrics = {}
    text = markdown(args.title, laps(clock, now=time.time(), status=args.status), metrics)
    print(text, flush=True)
    summary(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
