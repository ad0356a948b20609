"""Scoring a model package where it is installed, and judging the scores.

The test stage scores the package the train stage assembled, the build stage the wheel
installed alone in a fresh environment, verify the wheel installed from the repository:
each with ``_evaluate.py`` run by that environment's Python. Every score must equal the
one training recorded, and the gate's must reach their minimums.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from pathlib import Path

from _wheelwright import PipelineError, run

#: Scores recomputed from the same bytes on the same hold-out must match the manifest.
TOLERANCE = 1e-9
EVALUATE = Path(__file__).resolve().with_name("_evaluate.py")
#: Scoring the hold-out set takes seconds; a model that takes this long is stuck.
TIMEOUT = 15 * 60.0


def evaluate(python: str | Path, package: str, holdout: Path, *, cwd: Path,
             env: Mapping[str, str]) -> dict:
    """Score ``package``, as ``python`` imports it, on the hold-out set."""
    if not holdout.is_file():
        raise PipelineError(f"The hold-out set {holdout} does not exist.",
                            "Training writes it: run the train stage first.")
    result = run([python, EVALUATE, package, holdout], cwd=cwd, env=env, capture=True,
                 what=f"Scoring {package} on the hold-out set", timeout=TIMEOUT,
                 timeout_hint="Predicting the hold-out set should take seconds: does the model's "
                              "predict hang, or wait for something?")
    return json.loads(result.stdout)


def mismatches(measured: Mapping[str, float], recorded: Mapping[str, float]) -> list[str]:
    """The metrics whose measured value differs from the recorded one."""
    return [
        f"{name} {measured[name]:.6f} != recorded {value:.6f}"
        for name, value in sorted(recorded.items())
        if name in measured and not abs(float(measured[name]) - float(value)) <= TOLERANCE
    ]


def gate_failures(measured: Mapping[str, float], gate: Mapping[str, float]) -> list[str]:
    """Each gate metric that misses its minimum (a score equal to it passes; NaN fails)."""
    failures = []
    for name, minimum in sorted(gate.items()):
        score = measured.get(name, math.nan)
        if math.isnan(score):
            failures.append(f"{name} is NaN (undefined on this hold-out set)")
        elif not score >= minimum:
            failures.append(f"{name} {score:.4f} is below the minimum {minimum:.4f}")
    return failures
