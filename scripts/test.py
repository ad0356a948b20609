"""test: hold the trained model to its quality gate, then run the project's own tests.

The gate scores the package the train stage assembled, through its own ``predict``, on
the hold-out set, with scikit-learn's scorers: every metric must equal the one training
recorded (the package predicts what the bare model did), and each of the gate's must
reach its minimum. Then the project's pytest suite runs, importing that same package.
Both run in the model's environment, without any credential.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from _evaluation import evaluate, gate_failures, mismatches
from _project import Project, load_project
from _venv import model_python
from _wheelwright import (
    PipelineError, exclusive, fail, group, model_code_env, notice, on_signals, run, set_output,
    source_date_epoch,
)

STAGE = "test"
DEFAULT_MARKERS = "not slow"
#: pytest's exit code when it collected no test.
NO_TESTS = 5
#: The project's own tests: they are fast ones (-m "not slow"); an hour means a hang.
TESTS_TIMEOUT = 60 * 60.0


def model_env(project: Project) -> dict[str, str]:
    """The environment the project's code runs in: the assembled package importable, no secret."""
    return model_code_env(project.pycache, PYTHONPATH=str(project.build_root),
                     WHEELWRIGHT_HOLDOUT=str(project.holdout))


def quality_gate(project: Project) -> dict:
    """Score the assembled package on the hold-out set; raise when it is too weak or differs."""
    if not project.manifest.is_file():
        raise PipelineError(f"{project.manifest} does not exist: the model has not been trained.",
                            "Run the train stage first (python scripts/train.py).")
    manifest = json.loads(project.manifest.read_text(encoding="utf-8"))
    if manifest.get("gate") != project.gate:
        raise PipelineError(
            f"The model was trained under the gate {manifest.get('gate')}, but pyproject.toml now "
            f"says {project.gate}.", "Train again, so the manifest records this gate's metrics.")
    result = evaluate(model_python(project), project.package, project.holdout, cwd=project.root,
                      env=model_env(project))
    if not Path(result["package_file"]).is_relative_to(project.build_root):
        raise PipelineError(f"The gate imported {result['package_file']}, not the package in "
                            f"{project.build_root}.",
                            f"Uninstall the other {project.package} from this environment.")
    failures = gate_failures(result["metrics"], project.gate)
    if failures:
        raise PipelineError(
            f"Quality gate: on {result['rows']} hold-out rows, " + "; ".join(failures) +
            "; nothing will be built or published.",
            "Improve the model, or change the gate in [tool.wheelwright] if the bar is wrong.",
        )
    different = mismatches(result["metrics"], result["recorded"])
    if different:
        raise PipelineError(
            "The package scores differently from the model training scored: " + "; ".join(different) + ".",
            "Train again; if it persists, the package's input conversion changes what the model "
            "sees: report it to wheelwright with the manifest.",
        )
    return result


def run_pytest(project: Project, markers: str) -> bool:
    """Run the project's own tests; False when it has none."""
    if not project.tests.is_dir():
        return False
    argv = [model_python(project), "-m", "pytest", "-p", "no:cacheprovider", "-q", project.tests]
    if markers:
        argv += ["-m", markers]
    try:
        run(argv, cwd=project.root, env=model_env(project), what="The model project's tests",
            hint="pytest's report is above.", timeout=TESTS_TIMEOUT,
            timeout_hint="A test hangs, or the suite is slow: mark slow tests @pytest.mark.slow "
                         "(the stage runs -m 'not slow').")
    except PipelineError as error:
        if f"(exit code {NO_TESTS})" in error.message:
            return False
        raise
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="test.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--project-dir", default=".", help="the model project (default: .)")
    parser.add_argument("--markers", default=DEFAULT_MARKERS,
                        help=f"pytest -m expression (default: '{DEFAULT_MARKERS}'; '' runs all)")
    args = parser.parse_args(argv)
    on_signals()
    try:
        project = load_project(args.project_dir)
        source_date_epoch(project.root)  # checked here: numpy fails on a bad one when imported
        gate = ", ".join(f"{name} >= {minimum:g}" for name, minimum in project.gate.items())
        with exclusive(project.work / "lock", project.name):
            with group(f"Quality gate: {gate}"):
                result = quality_gate(project)
                notice("passed: " + ", ".join(f"{name} {result['metrics'][name]:.4f} >= {minimum:g}"
                                              for name, minimum in project.gate.items()))
            with group(f"Test {project.name}"):
                if not run_pytest(project, args.markers):
                    notice(f"{project.name} has no tests of its own: the quality gate alone tested it.")
    except PipelineError as error:
        set_output("gate", "failed")
        return fail(STAGE, error)
    set_output("gate", "passed")
    set_output("metrics", json.dumps(result["metrics"], sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
