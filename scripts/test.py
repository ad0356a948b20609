"""test: run the model project's pytest suite and hold the model to its quality gate.

The gate scores the freshly trained model, through the package's own ``Classifier``, on
the hold-out set training wrote, and fails when the configured metric is below
``min-score``. It also fails when the scores differ from those the manifest records: the
model file is then not the one that was evaluated at training.
"""

from __future__ import annotations

import argparse
import json
import sys

from _wheelwright import (
    METRICS, PipelineError, Project, clean_env, evaluate, fail, group, import_root,
    load_project, metric_mismatches, notice, run, set_output,
)

STAGE = "test"
DEFAULT_MARKERS = "not slow"


def quality_gate(project: Project, metric: str, min_score: float) -> dict[str, float]:
    """Score the trained model on the hold-out set; raise when it is too weak."""
    if metric not in METRICS:
        raise PipelineError(f"Unknown gate metric '{metric}'.", f"Use one of {', '.join(METRICS)}.")
    env = clean_env(PYTHONPATH=str(import_root(project)))
    result = evaluate(sys.executable, project, cwd=project.root, env=env)
    measured = result["metrics"]
    if measured[metric] < min_score:
        raise PipelineError(
            f"Quality gate: {metric} {measured[metric]:.4f} on {result['rows']} hold-out rows "
            f"is below the minimum {min_score:.4f}; nothing will be built or published.",
            "Improve the model, or lower 'min-score' in [tool.wheelwright] if the bar is wrong.",
        )
    mismatches = metric_mismatches(measured, result["recorded"])
    if mismatches:
        raise PipelineError(
            "The model scores differently from what its manifest records: " + "; ".join(mismatches) + ".",
            "The model file changed after training: train again.",
        )
    return measured


def run_pytest(project: Project, markers: str) -> None:
    tests = project.root / "tests"
    if not tests.is_dir():
        raise PipelineError(f"{project.root} has no tests/ folder.",
                            "A model project ships its own tests; see the README.")
    argv = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", str(tests)]
    if markers:
        argv += ["-m", markers]
    env = clean_env(PYTHONPATH=str(import_root(project)))
    run(argv, cwd=project.root, env=env, what="The model project's tests",
        hint="pytest's report is above.")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="test.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--project-dir", default=".", help="the model project (default: .)")
    parser.add_argument("--min-score", type=float,
                        help="gate threshold (default: the project's 'min-score')")
    parser.add_argument("--metric", help="gate metric (default: the project's 'metric')")
    parser.add_argument("--markers", default=DEFAULT_MARKERS,
                        help=f"pytest -m expression (default: '{DEFAULT_MARKERS}'; '' runs all)")
    args = parser.parse_args(argv)
    try:
        project = load_project(args.project_dir)
        metric = args.metric or project.metric
        min_score = project.min_score if args.min_score is None else args.min_score
        with group(f"Quality gate: {metric} >= {min_score}"):
            measured = quality_gate(project, metric, min_score)
            notice(f"{metric} {measured[metric]:.4f} >= {min_score:.4f}: passed")
        with group(f"Test {project.name}"):
            run_pytest(project, args.markers)
    except PipelineError as error:
        set_output("gate", "failed")
        return fail(STAGE, error)
    set_output("gate", "passed")
    set_output("metrics", json.dumps(measured, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
