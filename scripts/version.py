"""version: decide the version a run builds, by the same rules in CI and on a laptop.

    python scripts/version.py --project-dir model [--publish] [--version 1.3.0rc1]

``--publish`` means this run publishes to a shared repository (Nexus); the embedded
registry of ``make pipeline`` is not one. The git ref and the run number come from
GitHub Actions (``GITHUB_REF``, ``GITHUB_RUN_NUMBER``); on a laptop from git itself: a
clean work tree whose commit carries the tag ``vX.Y.Z`` is that release. The rules, in
order:

1. A release tag ``vX.Y.Z`` (any PEP 440 version after the ``v``), or
   ``<project name>-vX.Y.Z`` in a repository of several models, builds exactly ``X.Y.Z``, and the project's declared version, and ``--version`` when given, must say
   the same: a tag never silently publishes something else. A tag that starts like one
   (``v1.2.3-foo``) but is not a version fails, naming the form expected.
2. Publishing from an uncommitted tree (or from outside git) fails: a published version
   must be rebuildable from a commit. (CI's checkouts are always clean.) So does
   publishing from another Python than the project's release Python (``python`` in
   ``[tool.wheelwright]``, when set): the model's pickle and manifest record the Python
   that trained it, so each Python builds different bytes, and the release is the one
   built on the declared Python. Other Pythons build and verify without publishing.
3. ``--version`` given: that version, normalised.
4. Publishing from anything but a release tag: the declared version with ``.devN``
   appended, N the workflow's run number (on a laptop: the number of commits), so two
   runs never publish one version with different content. A declared ``.devM`` is
   replaced, not extended.
5. Otherwise (a build that publishes nothing, or only to the embedded registry): the
   declared version.

A local version (``1.2.0+abc``) is never published: ``pip install ==1.2.0`` would pick it.
Outputs ``version``, ``kind`` (``release``, ``override``, ``dev`` or ``declared``), the
project's ``name``, and the names of the workflow artifacts that carry its wheel and
hold-out set between jobs (``dist-artifact``, ``holdout-artifact``).
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from _project import Project, load_project, parse_version
from _wheelwright import RUNNING_PYTHON, PipelineError, fail, notice, set_output

STAGE = "version"
TAG_PREFIX = "refs/tags/"
#: A tag that looks like a release: ``v`` then a digit.
RELEASE_LIKE = re.compile(r"^v\d")


@dataclass(frozen=True)
class Decision:
    version: str
    kind: str
    reason: str


@dataclass(frozen=True)
class Source:
    """Where the code comes from: the git ref, the run number, and whether it is committed."""

    ref: str
    run_number: str
    dirty: bool


def release_tag(ref: str, name: str = "") -> str | None:
    """The version a release tag names: ``refs/tags/vX.Y.Z``, or ``refs/tags/<name>-vX.Y.Z``
    for the project called ``name`` (a repository of several models tags each its own way).
    None for any other ref.

    Raises :class:`PipelineError` for a tag that starts like a release but is no version.
    """
    if not ref.startswith(TAG_PREFIX):
        return None
    tag = ref[len(TAG_PREFIX):]
    own = f"{name}-"
    if name and tag.lower().startswith(own.lower()) and RELEASE_LIKE.match(tag[len(own):]):
        number = tag[len(own) + 1:]
    elif RELEASE_LIKE.match(tag):
        number = tag[1:]
    else:
        return None
    from packaging.version import InvalidVersion, Version

    try:
        version = Version(number)
    except InvalidVersion:
        version = None
    if version is None or version.local is not None or version.dev is not None:
        raise PipelineError(
            f"The tag {tag} looks like a release tag but does not name a release version.",
            "Release tags are v (or <project name>-v) then a PEP 440 version without a local or "
            ".dev part: v1.2.3, v1.2.3rc1, churn-model-v1.2.3. Delete the tag and push a well-formed one.",
        )
    return str(version)


def without_dev(version: str) -> str:
    """``version`` with any ``.devN`` segment removed (it is always the last one)."""
    from packaging.version import Version

    parsed = Version(version)
    if parsed.dev is None:
        return str(parsed)
    return re.sub(r"\.?dev\d+$", "", str(parsed))


def decide(project: Project, source: Source, *, publish: bool, override: str | None,
           python: str = RUNNING_PYTHON) -> Decision:
    """Apply the rules of this module's docstring; raise :class:`PipelineError` on a conflict.

    ``python`` is the X.Y of the Python the run trains and builds with (this one).
    """
    declared = project.version
    wanted = parse_version(override, "--version") if override is not None else None
    tagged = release_tag(source.ref, project.name)
    if publish and source.dirty:
        raise PipelineError(
            f"{project.root} is not committed: a published version must be rebuildable from a "
            "commit, and this tree has changes no commit holds (or is not in a git repository).",
            "Commit them, or run without publishing (make pipeline without NEXUS_URL publishes "
            "to the embedded registry).",
        )
    if publish and project.python is not None and python != project.python:
        raise PipelineError(
            f"{project.name} is released from Python {project.python} (python in [tool.wheelwright]), "
            f"and this run is on Python {python}: the model records the Python that trained it, "
            "so a wheel built here would be another build of the same version.",
            f"Publish from a run on Python {project.python} (the workflow's python-version input, "
            f"or make pipeline PYTHON=python{project.python}); on {python}, run without "
            "publishing: it still builds and verifies.",
        )
    if tagged is not None:
        tag = source.ref[len(TAG_PREFIX):]
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
        decision = Decision(tagged, "release", f"release tag {tag}")
    elif wanted is not None:
        decision = Decision(wanted, "override", "the version input")
    elif publish:
        if not source.run_number.isdigit() or int(source.run_number) < 1:
            raise PipelineError(
                f"The run number {source.run_number!r} is not a positive integer.",
                "Pass the workflow's run number (GITHUB_RUN_NUMBER) with --run-number.",
            )
        number = int(source.run_number)
        decision = Decision(f"{without_dev(declared)}.dev{number}", "dev",
                            f"an untagged publishing run, number {number}")
    else:
        decision = Decision(declared, "declared", f"{project.root.name}/pyproject.toml")
    if publish:
        refuse_local(decision.version)
    return decision


def refuse_local(version: str) -> None:
    """Raise for a local version (``+...``): never published."""
    from packaging.version import Version

    if Version(version).local is not None:
        raise PipelineError(
            f"{version} is a local version (the part after '+'): it is never published, "
            f"because pip would pick it for =={version.split('+')[0]}.",
            "Publish a public version: drop the '+...' part, or use a .devN or rcN one.",
        )


def local_source(root: Path, name: str = "") -> Source:
    """The ref, run number and state of a laptop's git checkout (empty outside git)."""
    def git(*args: str) -> str | None:
        done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True)
        return done.stdout.strip() if done.returncode == 0 else None

    if git("rev-parse", "--is-inside-work-tree") != "true":
        return Source("", "", dirty=True)  # no commit holds it
    tags = sorted(t for t in (git("tag", "--points-at", "HEAD") or "").split()
                  if RELEASE_LIKE.match(t) or t.lower().startswith(f"{name.lower()}-v"))
    dirty = bool(git("status", "--porcelain", "--untracked-files=normal", "--", "."))
    return Source(f"{TAG_PREFIX}{tags[-1]}" if tags else "", git("rev-list", "--count", "HEAD") or "",
                  dirty=dirty)


def source_of(args: argparse.Namespace, root: Path, name: str) -> Source:
    """CI's ref and run number when running there, else the laptop's git checkout."""
    if os.environ.get("GITHUB_ACTIONS") == "true" or args.ref is not None:
        return Source(args.ref if args.ref is not None else os.environ.get("GITHUB_REF", ""),
                      args.run_number if args.run_number is not None else os.environ.get("GITHUB_RUN_NUMBER", ""),
                      dirty=False)
    local = local_source(root, name)
    return Source(local.ref, args.run_number or local.run_number, local.dirty)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="version.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--project-dir", default=".", help="the model project (default: .)")
    parser.add_argument("--ref", help="the git ref, e.g. refs/tags/v1.2.0 (default: $GITHUB_REF, "
                                      "else the laptop's checkout)")
    parser.add_argument("--run-number", help="the workflow's run number, for .devN (default: $GITHUB_RUN_NUMBER)")
    parser.add_argument("--publish", action="store_true", help="this run publishes to a shared repository")
    parser.add_argument("--version", default=os.environ.get("WHEELWRIGHT_VERSION") or None,
                        help="an explicit version (default: $WHEELWRIGHT_VERSION; unset or empty: the rules)")
    args = parser.parse_args(argv)
    try:
        project = load_project(args.project_dir)
        decision = decide(project, source_of(args, project.root, project.name), publish=args.publish, override=args.version)
    except PipelineError as error:
        return fail(STAGE, error)
    notice(f"{project.name} {decision.version} ({decision.kind}: {decision.reason})")
    set_output("version", decision.version)
    set_output("kind", decision.kind)
    set_output("name", project.name)
    # The workflow artifacts that carry this project's wheel and hold-out set between jobs.
    set_output("dist-artifact", f"wheelwright-dist-{project.name}")
    set_output("holdout-artifact", f"wheelwright-holdout-{project.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
