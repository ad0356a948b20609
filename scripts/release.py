"""release: cut a release of wheelwright itself, or check one.

    python scripts/release.py cut 1.3.0 [--repository acme/wheelwright]
    python scripts/release.py check [v1.3.0]

The reusable workflow runs wheelwright's own actions the way GitHub fetches actions, so
it names them: ``uses: acme/wheelwright/actions/build@<commit> # v1.3.0``. Those
references are what makes a caller's ``@v1`` run one release's code throughout, so they
name a commit (immutable), never a tag, and that commit must hold the release's actions
and scripts. A commit cannot name itself, so a release is two commits:

1. the commit to release, ``C`` (the current ``HEAD``, clean);
2. a commit on top of it that changes only the workflow, pointing every reference at
   ``C``. It gets the exact tag ``vX.Y.Z`` and the moving major tag ``vX`` that callers
   pin; both are annotated.

``cut`` makes the second commit and the two tags locally, checks them, and prints the
push commands (nothing is pushed). ``check`` proves a ref is such a release: every
reference names one repository and one commit, an ancestor of the ref, from which the
ref differs only in the workflow file, and which holds each action used; the comment
names the tag. ``.github/workflows/release.yml`` runs it on every ``vX.Y.Z`` tag.
``pin COMMIT`` only rewrites the references (what ``cut`` does first), for a repository
that was never released. The example model's releases are tagged ``tumor-classifier-vX.Y.Z``
and have nothing to do with these.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from _wheelwright import PipelineError, fail, notice

STAGE = "release"
ROOT = Path(__file__).resolve().parent.parent
#: The reusable workflow, relative to the repository's root: the one file that names
#: wheelwright's own actions.
WORKFLOW = ".github/workflows/model-pipeline.yml"
#: ``uses: <owner>/<repo>/actions/<name>@<ref> # <label>``
OWN_USES = re.compile(
    r"^(?P<head>[ \t]*(?:-[ \t]+)?uses:[ \t]*)(?P<slug>[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+)"
    r"/actions/(?P<action>[A-Za-z0-9_-]+)@(?P<ref>[^\s#]+)(?P<comment>[ \t]*#[^\n]*)?$",
    re.M,
)
RELEASE = re.compile(r"^(?P<major>\d+)\.\d+\.\d+$")
COMMIT = re.compile(r"^[0-9a-f]{40}$")


@dataclass(frozen=True)
class Reference:
    slug: str
    action: str
    ref: str
    label: str


def references(text: str) -> list[Reference]:
    """Every ``uses:`` of one of wheelwright's own actions in ``text``."""
    return [Reference(m["slug"], m["action"], m["ref"], (m["comment"] or "").strip().lstrip("#").strip())
            for m in OWN_USES.finditer(text)]


def pin(text: str, commit: str, label: str, slug: str | None = None) -> str:
    """``text`` with every reference to wheelwright's actions at ``commit``, commented ``label``."""
    if not COMMIT.match(commit):
        raise PipelineError(f"{commit!r} is not a full commit SHA (40 hex digits).")
    if not references(text):
        raise PipelineError(f"{WORKFLOW} names none of wheelwright's actions (uses: OWNER/REPO/actions/NAME@REF).")

    def one(match: re.Match[str]) -> str:
        return f"{match['head']}{slug or match['slug']}/actions/{match['action']}@{commit} # {label}"

    return OWN_USES.sub(one, text)


# --- git -----------------------------------------------------------------------------------

def git(*args: str, cwd: Path, check: bool = True) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True)
    if check and done.returncode != 0:
        raise PipelineError(f"git {' '.join(args)} failed: {done.stderr.strip() or done.stdout.strip()}")
    return done.stdout.strip() if done.returncode == 0 else ""


def exists(ref: str, cwd: Path) -> bool:
    return subprocess.run(["git", "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], cwd=cwd,
                          capture_output=True).returncode == 0


# --- check -----------------------------------------------------------------------------------

def problems(ref: str, cwd: Path) -> list[str]:
    """What keeps ``ref`` from being a release as ``cut`` makes them (empty: none)."""
    if not exists(ref, cwd):
        return [f"{ref} is not a commit of this repository."]
    text = git("show", f"{ref}:{WORKFLOW}", cwd=cwd, check=False)
    found = references(text)
    if not found:
        return [f"{WORKFLOW} at {ref} names none of wheelwright's actions."]
    issues = []
    slugs, commits = {r.slug for r in found}, {r.ref for r in found}
    if len(slugs) > 1:
        issues.append(f"The references name several repositories: {', '.join(sorted(slugs))}.")
    if len(commits) > 1:
        issues.append(f"The references name several refs: {', '.join(sorted(commits))}: one release runs one commit.")
    commit = sorted(commits)[0]
    if not COMMIT.match(commit):
        issues.append(f"The references name {commit!r}, not a commit: a tag or branch can move under callers.")
        return issues
    tag = ref.removeprefix("refs/tags/")
    if re.fullmatch(r"v\d+\.\d+\.\d+", tag):
        wrong = sorted({r.label for r in found if r.label != tag})
        if wrong:
            issues.append(f"The references are commented {', '.join(repr(w) for w in wrong)}, not {tag!r}.")
    if not exists(commit, cwd):
        issues.append(f"The references name {commit}, which this repository does not have "
                      "(fetch the full history: actions/checkout with fetch-depth: 0).")
        return issues
    ancestor = subprocess.run(["git", "merge-base", "--is-ancestor", commit, ref], cwd=cwd, capture_output=True)
    if ancestor.returncode != 0:
        issues.append(f"{commit} is not an ancestor of {ref}.")
    changed = [name for name in git("diff", "--name-only", commit, ref, cwd=cwd).splitlines() if name != WORKFLOW]
    if changed:
        issues.append(f"{ref} differs from {commit[:12]}, whose actions the workflow runs, in "
                      f"{', '.join(changed[:8])}{' ...' if len(changed) > 8 else ''}: callers would run other "
                      "code than the release holds. Cut the release again from the commit to release.")
    for action in sorted({r.action for r in found}):
        if subprocess.run(["git", "cat-file", "-e", f"{commit}:actions/{action}/action.yml"], cwd=cwd,
                          capture_output=True).returncode != 0:
            issues.append(f"{commit[:12]} has no actions/{action}/action.yml.")
    for path in git("ls-tree", "-r", "--name-only", ref, "--", "actions", cwd=cwd).splitlines():
        if path.endswith("action.yml") and references(git("show", f"{ref}:{path}", cwd=cwd)):
            issues.append(f"{path} uses one of wheelwright's own actions: only the workflow may, "
                          "or a release would need a third commit.")
    return issues


def check(ref: str, cwd: Path) -> None:
    issues = problems(ref, cwd)
    if issues:
        raise PipelineError(f"{ref} is not a release as release.py cuts them: " + " ".join(issues),
                            "See 'Cutting a release' in docs/actions.md.")
    found = references(git("show", f"{ref}:{WORKFLOW}", cwd=cwd))
    notice(f"{ref}: the workflow runs {found[0].slug}'s actions at {found[0].ref}, "
           "which differs from it in the workflow file only.")


# --- cut -------------------------------------------------------------------------------------

def cut(version: str, cwd: Path, repository: str | None = None) -> tuple[str, str]:
    """Make the release commit and its two tags; return (exact tag, major tag)."""
    release = RELEASE.match(version.removeprefix("v"))
    if not release:
        raise PipelineError(f"{version!r} is not a release version X.Y.Z.",
                            "wheelwright's own releases are X.Y.Z; callers pin the major tag vX.")
    version = version.removeprefix("v")
    tag, major = f"v{version}", f"v{release['major']}"
    if repository is not None and not re.fullmatch(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+", repository):
        raise PipelineError(f"--repository {repository!r} is not OWNER/NAME.")
    if exists(f"refs/tags/{tag}", cwd):
        raise PipelineError(f"The tag {tag} exists already: a release is never cut twice.",
                            "Release the next version.")
    if git("status", "--porcelain", "--untracked-files=no", cwd=cwd):
        raise PipelineError("The work tree has uncommitted changes: a release is a commit.",
                            "Commit or remove them first.")
    commit = git("rev-parse", "HEAD", cwd=cwd)
    path = cwd / WORKFLOW
    path.write_text(pin(path.read_text(encoding="utf-8"), commit, tag, repository), encoding="utf-8")
    git("add", WORKFLOW, cwd=cwd)
    git("commit", "--quiet", "-m", f"Release {tag}: the reusable workflow runs the actions of {commit[:12]}",
        "-m", f"The commit before this one is the release's code; this one only points the "
              f"workflow's references at it ({WORKFLOW}).", cwd=cwd)
    git("tag", "--annotate", tag, "-m", f"wheelwright {version}", cwd=cwd)
    git("tag", "--annotate", "--force", major, "-m", f"wheelwright {version} (moving major tag)", cwd=cwd)
    check(tag, cwd)
    return tag, major


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="release.py", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    cutting = sub.add_parser("cut", help="make the release commit and the tags vX.Y.Z and vX (pushes nothing)")
    cutting.add_argument("version", help="X.Y.Z")
    cutting.add_argument("--repository", help="OWNER/NAME the workflow names its actions by "
                                              "(default: as the workflow says now)")
    checking = sub.add_parser("check", help="prove a ref is a release as cut makes them")
    checking.add_argument("ref", nargs="?", default="HEAD", help="a tag or commit (default: HEAD)")
    pinning = sub.add_parser("pin", help="only point the workflow's references at COMMIT")
    pinning.add_argument("commit", help="a full commit SHA holding the actions")
    pinning.add_argument("--label", default="unreleased", help="the comment after each reference")
    pinning.add_argument("--repository", help="OWNER/NAME (default: as the workflow says now)")
    for each in (cutting, checking, pinning):
        each.add_argument("--repo-dir", type=Path, default=ROOT, help="the wheelwright checkout (default: this one)")
    args = parser.parse_args(argv)
    try:
        if args.command == "cut":
            tag, major = cut(args.version, args.repo_dir, args.repository)
            notice(f"Cut {tag} and moved {major}. Push them, and the release commit with them:\n"
                   f"  git push origin HEAD {tag}\n  git push --force origin {major}")
        elif args.command == "check":
            check(args.ref, args.repo_dir)
        else:
            path = args.repo_dir / WORKFLOW
            path.write_text(pin(path.read_text(encoding="utf-8"), args.commit, args.label, args.repository),
                            encoding="utf-8")
            notice(f"{WORKFLOW} now runs the actions of {args.commit}.")
    except PipelineError as error:
        return fail(STAGE, error)
    return 0


if __name__ == "__main__":
    sys.exit(main())
