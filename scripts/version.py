"""version: decide the version a run builds, from the git ref, the run number and the project.

    python scripts/version.py --project-dir model --ref "$GITHUB_REF" \\
        --run-number "$GITHUB_RUN_NUMBER" --publish

The rules, in order:

1. A release tag ``vX.Y.Z`` (any PEP 440 version after the ``v``) builds exactly
   ``X.Y.Z``. The project's declared version, and ``--version`` when given, must say
   the same: a tag never silently publishes something else.
2. ``--version`` given: that version, normalised.
3. Publishing from anything but a release tag (a branch, a manual run): the declared
   version with ``.devN`` appended, N the run number, so two runs never publish the same
   version with different content. A declared ``.devM`` is replaced, not extended.
4. Otherwise (a build that publishes nothing): the declared version.

Outputs ``version`` and ``kind`` (``release``, ``override``, ``dev`` or ``declared``).
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass

from _wheelwright import PipelineError, Project, fail, load_project, notice, resolve_version, set_output

STAGE = "version"
TAG_PREFIX = "refs/tags/"
#: A release tag: ``v`` then something that may be a version (checked with PEP 440 later).
RELEASE_TAG = re.compile(r"^v(\d.*)$")


@dataclass(frozen=True)
class Decision:
    version: str
    kind: str
    reason: str


def release_tag(ref: str) -> str | None:
    """The version a ``refs/tags/vX.Y.Z`` ref names, or None when the ref is no release tag."""
    if not ref.startswith(TAG_PREFIX):
        return None
    match = RELEASE_TAG.match(ref[len(TAG_PREFIX):])
    if not match:
        return None
    from packaging.version import InvalidVersion, Version

    try:
        return str(Version(match[1]))
    except InvalidVersion:
        return None


def without_dev(version: str) -> str:
    """``version`` with any ``.devN`` segment removed (it is always the last one)."""
    from packaging.version import Version

    parsed = Version(version)
    if parsed.dev is None:
        return str(parsed)
    return re.sub(r"\.?dev\d+$", "", str(parsed))


def decide(project: Project, *, ref: str, run_number: str, publish: bool,
           override: str | None) -> Decision:
    """Apply the rules of this module's docstring; raise :class:`PipelineError` on a conflict."""
    declared = resolve_version(project, None)
    wanted = resolve_version(project, override) if override else None
    tagged = release_tag(ref)
    if tagged is not None:
        tag = ref[len(TAG_PREFIX):]
        if declared != tagged:
            raise PipelineError(
                f"The tag {tag} releases {tagged}, but {project.root.name}/pyproject.toml "
                f"declares version {declared} in [tool.wheelwright].",
                f"Set version = \"{tagged}\" there and tag that commit, or delete the tag "
                f"and tag v{declared} instead.",
            )
        if wanted is not None and wanted != tagged:
            raise PipelineError(
                f"The tag {tag} releases {tagged}, but the version input asks for {wanted}.",
                "Leave the version input empty on tag runs: the tag decides.",
            )
        return Decision(tagged, "release", f"release tag {tag}")
    if wanted is not None:
        return Decision(wanted, "override", "the version input")
    if publish:
        if not run_number.isdigit() or int(run_number) < 1:
            raise PipelineError(
                f"The run number {run_number!r} is not a positive integer.",
                "Pass the workflow's run number (GITHUB_RUN_NUMBER) with --run-number.",
            )
        version = f"{without_dev(declared)}.dev{int(run_number)}"
        return Decision(version, "dev", f"an untagged publishing run, number {int(run_number)}")
    return Decision(declared, "declared", f"{project.root.name}/pyproject.toml")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="version.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--project-dir", default=".", help="the model project (default: .)")
    parser.add_argument("--ref", default="", help="the git ref that triggered the run, e.g. refs/tags/v1.2.0")
    parser.add_argument("--run-number", default="", help="the workflow's run number (for .devN)")
    parser.add_argument("--publish", action="store_true", help="this run publishes what it builds")
    parser.add_argument("--version", default="", help="an explicit version (empty: decide by the rules)")
    args = parser.parse_args(argv)
    try:
        project = load_project(args.project_dir)
        decision = decide(project, ref=args.ref, run_number=args.run_number,
                          publish=args.publish, override=args.version or None)
    except PipelineError as error:
        return fail(STAGE, error)
    notice(f"{project.name} {decision.version} ({decision.kind}: {decision.reason})")
    set_output("version", decision.version)
    set_output("kind", decision.kind)
    return 0


if __name__ == "__main__":
    sys.exit(main())
