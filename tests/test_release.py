"""scripts/release.py: cutting a release of wheelwright, and checking one, in real git repositories."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

import release
from projects import ROOT

GIT = ("git", "-c", "user.name=test", "-c", "user.email=test@localhost", "-c", "init.defaultBranch=main",
       "-c", "commit.gpgsign=false", "-c", "tag.gpgsign=false")
WORKFLOW = ROOT / release.WORKFLOW


def git(repo: Path, *args: str) -> str:
    return subprocess.run([*GIT, *args], cwd=repo, check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A repository shaped like wheelwright: its actions, scripts, and the reusable workflow."""
    root = tmp_path / "wheelwright"
    shutil.copytree(ROOT / "actions", root / "actions")
    (root / "scripts").mkdir()
    (root / "scripts" / "train.py").write_text("print('train')\n")
    (root / WORKFLOW.relative_to(ROOT)).parent.mkdir(parents=True)
    shutil.copy(WORKFLOW, root / release.WORKFLOW)
    git(root, "init", "--quiet")
    git(root, "add", "--all")
    git(root, "commit", "--quiet", "-m", "wheelwright")
    # release.py commits and tags with git's own identity: give it one.
    for key, value in (("GIT_AUTHOR_NAME", "test"), ("GIT_AUTHOR_EMAIL", "test@localhost"),
                       ("GIT_COMMITTER_NAME", "test"), ("GIT_COMMITTER_EMAIL", "test@localhost")):
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(tmp_path / "gitconfig"))
    (tmp_path / "gitconfig").write_text("[commit]\n\tgpgsign = false\n[tag]\n\tgpgsign = false\n")
    return root


def workflow_at(repo: Path, ref: str) -> str:
    return git(repo, "show", f"{ref}:{release.WORKFLOW}")


def test_the_reusable_workflow_names_every_action_at_one_commit():
    found = release.references(WORKFLOW.read_text(encoding="utf-8"))
    assert {r.action for r in found} == {"version", "build", "publish", "verify"}
    assert len({(r.slug, r.ref, r.label) for r in found}) == 1
    assert re.fullmatch(r"[0-9a-f]{40}", found[0].ref)
    assert found[0].label == "unreleased" or re.fullmatch(r"v\d+\.\d+\.\d+", found[0].label)


def test_pin_rewrites_only_the_references_and_keeps_everything_else(repo):
    text = (repo / release.WORKFLOW).read_text(encoding="utf-8")
    pinned = release.pin(text, "a" * 40, "v2.0.0", "bigcorp/wheelwright")
    assert {(r.slug, r.ref, r.label) for r in release.references(pinned)} == {
        ("bigcorp/wheelwright", "a" * 40, "v2.0.0")}
    assert len(pinned.splitlines()) == len(text.splitlines())
    changed = [(a, b) for a, b in zip(text.splitlines(), pinned.splitlines()) if a != b]
    assert len(changed) == len(release.references(text))
    with pytest.raises(release.PipelineError, match="not a full commit SHA"):
        release.pin(text, "v2.0.0", "v2.0.0")


def test_cut_makes_a_commit_that_points_at_its_parent_and_tags_it(repo, capsys):
    code = git(repo, "rev-parse", "HEAD")
    assert release.main(["cut", "1.4.0", "--repo-dir", str(repo)]) == 0
    assert git(repo, "rev-parse", "HEAD^") == code
    assert git(repo, "diff", "--name-only", "HEAD^", "HEAD") == release.WORKFLOW
    assert {(r.ref, r.label) for r in release.references(workflow_at(repo, "v1.4.0"))} == {(code, "v1.4.0")}
    # The exact tag and the major tag callers pin, both annotated, on the release commit.
    head = git(repo, "rev-parse", "HEAD")
    assert git(repo, "rev-parse", "v1.4.0^{commit}") == git(repo, "rev-parse", "v1^{commit}") == head
    assert git(repo, "cat-file", "-t", "v1.4.0") == git(repo, "cat-file", "-t", "v1") == "tag"
    out = capsys.readouterr().out
    assert "git push origin HEAD v1.4.0" in out and "git push --force origin v1" in out


def test_the_major_tag_moves_with_each_release(repo):
    assert release.main(["cut", "1.4.0", "--repo-dir", str(repo)]) == 0
    (repo / "scripts" / "train.py").write_text("print('train, better')\n")
    git(repo, "commit", "--quiet", "-am", "better training")
    assert release.main(["cut", "1.5.0", "--repo-dir", str(repo)]) == 0
    assert git(repo, "rev-parse", "v1^{commit}") == git(repo, "rev-parse", "v1.5.0^{commit}")
    assert git(repo, "rev-parse", "v1.4.0^{commit}") != git(repo, "rev-parse", "v1.5.0^{commit}")
    assert release.main(["check", "v1.4.0", "--repo-dir", str(repo)]) == 0


def test_cut_refuses_a_dirty_tree_an_existing_tag_and_a_malformed_version(repo, capsys):
    (repo / "scripts" / "train.py").write_text("print('uncommitted')\n")
    assert release.main(["cut", "1.0.0", "--repo-dir", str(repo)]) == 1
    assert "uncommitted changes" in capsys.readouterr().err
    git(repo, "checkout", "--quiet", "--", ".")
    assert release.main(["cut", "1.0", "--repo-dir", str(repo)]) == 1
    assert "is not a release version X.Y.Z" in capsys.readouterr().err
    assert release.main(["cut", "1.0.0", "--repo-dir", str(repo)]) == 0
    head = git(repo, "rev-parse", "HEAD")
    assert release.main(["cut", "1.0.0", "--repo-dir", str(repo)]) == 1
    assert "exists already" in capsys.readouterr().err
    assert git(repo, "rev-parse", "HEAD") == head


def test_check_fails_when_the_tag_holds_other_code_than_the_workflow_runs(repo, capsys):
    assert release.main(["cut", "1.0.0", "--repo-dir", str(repo)]) == 0
    # Someone edits an action after the references were written, and moves the tag there.
    (repo / "actions" / "build" / "action.yml").write_text("name: changed\nruns: {using: composite, steps: []}\n")
    git(repo, "commit", "--quiet", "-am", "a late change")
    git(repo, "tag", "--force", "--annotate", "v1.0.0", "-m", "moved")
    assert release.main(["check", "v1.0.0", "--repo-dir", str(repo)]) == 1
    err = capsys.readouterr().err
    assert "differs from" in err and "actions/build/action.yml" in err


def test_check_fails_on_a_tag_or_branch_where_a_commit_belongs(repo, capsys):
    path = repo / release.WORKFLOW
    path.write_text(re.sub(r"@[0-9a-f]{40} # \S+", "@v1 # v1.0.0", path.read_text(encoding="utf-8")))
    git(repo, "commit", "--quiet", "-am", "tag references")
    git(repo, "tag", "--annotate", "v1.0.0", "-m", "by hand")
    assert release.main(["check", "v1.0.0", "--repo-dir", str(repo)]) == 1
    assert "not a commit: a tag or branch can move" in capsys.readouterr().err


def test_check_fails_when_the_comment_names_another_release(repo, capsys):
    assert release.main(["cut", "1.0.0", "--repo-dir", str(repo)]) == 0
    git(repo, "tag", "--annotate", "v1.0.1", "-m", "the same commit, another name")
    assert release.main(["check", "v1.0.1", "--repo-dir", str(repo)]) == 1
    assert "not 'v1.0.1'" in capsys.readouterr().err


def test_no_action_uses_another_of_wheelwrights_actions():
    # Only the workflow may: a release would otherwise need a commit naming its own parent's parent.
    for path in sorted((ROOT / "actions").glob("*/action.yml")):
        assert release.references(path.read_text(encoding="utf-8")) == [], path
