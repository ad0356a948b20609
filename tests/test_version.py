"""version: which version a run builds, from its ref, its run number and the project, by the
same rules in CI and on a laptop. The rules in-process; the command line as a process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import version
from _project import load_project
from _wheelwright import PipelineError, read_outputs
from projects import IRIS, ROOT, write_project


def project(tmp_path: Path, declared: str = "1.2.0"):
    write_project(tmp_path, IRIS, project='name = "demo-model"\ndescription = "A demo."',
                  table=f'version = "{declared}"\ngate = {{ accuracy = 0.9 }}')
    return load_project(tmp_path)


def decide(tmp_path: Path, *, declared: str = "1.2.0", ref: str = "refs/heads/main",
           run_number: str = "7", publish: bool = False, override: str | None = None, dirty: bool = False):
    return version.decide(project(tmp_path, declared), version.Source(ref, run_number, dirty),
                          publish=publish, override=override)


def test_a_release_tag_builds_exactly_its_version(tmp_path):
    decision = decide(tmp_path, ref="refs/tags/v1.2.0", publish=True)
    assert (decision.version, decision.kind) == ("1.2.0", "release")


def test_a_release_tag_that_disagrees_with_the_project_fails_naming_both(tmp_path):
    with pytest.raises(PipelineError) as caught:
        decide(tmp_path, ref="refs/tags/v1.3.0", publish=True)
    assert "The tag v1.3.0 releases 1.3.0" in str(caught.value)
    assert "declares version 1.2.0" in str(caught.value)


def test_a_release_tag_refuses_a_different_version_input(tmp_path):
    with pytest.raises(PipelineError, match="the version input asks for 2.0.0"):
        decide(tmp_path, ref="refs/tags/v1.2.0", override="2.0.0")


def test_tags_compare_as_versions_not_strings(tmp_path):
    assert decide(tmp_path, declared="1.2.0rc1", ref="refs/tags/v1.2.0-rc.1").version == "1.2.0rc1"


def test_a_project_may_be_released_by_a_tag_named_for_it(tmp_path):
    assert decide(tmp_path, ref="refs/tags/demo-model-v1.2.0", publish=True).version == "1.2.0"
    assert decide(tmp_path, ref="refs/tags/other-model-v9.0.0", publish=True, run_number="3").version == "1.2.0.dev3"
    with pytest.raises(PipelineError, match="releases 1.3.0"):
        decide(tmp_path, ref="refs/tags/demo-model-v1.3.0", publish=True)


@pytest.mark.parametrize("tag", ["v1.2.3-foo", "v1.2.0+local", "v1.2.0.dev3", "v1.2.x", "demo-model-v1.x"])
def test_a_malformed_release_tag_fails_naming_the_form_expected(tmp_path, tag):
    with pytest.raises(PipelineError) as caught:
        decide(tmp_path, ref=f"refs/tags/{tag}", publish=True)
    assert f"The tag {tag} looks like a release tag but does not name a release version" in str(caught.value)
    assert "v1.2.3, v1.2.3rc1" in str(caught.value)


def test_an_untagged_publishing_run_gets_a_dev_version_from_the_run_number(tmp_path):
    decision = decide(tmp_path, publish=True, run_number="42")
    assert (decision.version, decision.kind) == ("1.2.0.dev42", "dev")


def test_a_declared_dev_segment_is_replaced_not_extended(tmp_path):
    assert decide(tmp_path, declared="2.0.0rc1.dev3", publish=True, run_number="9").version == "2.0.0rc1.dev9"


@pytest.mark.parametrize("ref", ["refs/heads/main", "refs/tags/nightly", "refs/pull/3/merge", ""])
def test_anything_but_a_release_tag_is_untagged(tmp_path, ref):
    assert decide(tmp_path, ref=ref, publish=True, run_number="5").version == "1.2.0.dev5"


def test_a_build_that_publishes_nothing_keeps_the_declared_version(tmp_path):
    decision = decide(tmp_path, publish=False)
    assert (decision.version, decision.kind) == ("1.2.0", "declared")


def test_the_version_input_wins_off_tags(tmp_path):
    decision = decide(tmp_path, publish=True, override="v1.5")
    assert (decision.version, decision.kind) == ("1.5", "override")


@pytest.mark.parametrize("run_number", ["", "0", "-1", "x"])
def test_a_publishing_run_needs_a_positive_run_number(tmp_path, run_number):
    with pytest.raises(PipelineError, match="not a positive integer"):
        decide(tmp_path, publish=True, run_number=run_number)


def test_a_run_number_of_one_is_the_first(tmp_path):
    assert decide(tmp_path, publish=True, run_number="1").version == "1.2.0.dev1"


def test_a_local_version_is_never_published(tmp_path):
    with pytest.raises(PipelineError, match=r"1.0\+abc is a local version"):
        decide(tmp_path, publish=True, override="1.0+abc")
    assert decide(tmp_path, publish=False, override="1.0+abc").version == "1.0+abc"


def test_an_empty_version_input_is_an_error_not_ignored(tmp_path):
    with pytest.raises(PipelineError, match="--version is empty"):
        decide(tmp_path, override="")


def test_an_uncommitted_tree_never_publishes(tmp_path):
    for ref, override in (("refs/tags/v1.2.0", None), ("refs/heads/main", "1.2.0"), ("refs/heads/main", None)):
        with pytest.raises(PipelineError, match="is not committed"):
            decide(tmp_path, ref=ref, override=override, publish=True, dirty=True)
    assert decide(tmp_path, dirty=True).version == "1.2.0"  # building it is fine


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args], cwd=cwd, check=True,
                   capture_output=True)


def init_and_commit(folder: Path) -> None:
    """Make ``folder`` a git repository with everything in it committed."""
    git(folder, "init", "-q")
    git(folder, "add", "-A")
    git(folder, "commit", "-qm", "one")


def test_a_laptop_reads_its_ref_and_state_from_git(tmp_path):
    project(tmp_path)
    assert version.local_source(tmp_path).dirty  # not in git at all
    init_and_commit(tmp_path)
    assert version.local_source(tmp_path) == version.Source("", "1", dirty=False)
    git(tmp_path, "tag", "v1.2.0")
    assert version.local_source(tmp_path) == version.Source("refs/tags/v1.2.0", "1", dirty=False)
    (tmp_path / "train.py").write_text("# edited\n")
    assert version.local_source(tmp_path).dirty


def test_the_command_line_writes_the_outputs(tmp_path):
    project(tmp_path)
    outputs = tmp_path / "outputs"
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "version.py"), "--project-dir", str(tmp_path),
         "--ref", "refs/heads/main", "--run-number", "3", "--publish"],
        capture_output=True, text=True, env={"GITHUB_OUTPUT": str(outputs), "PATH": ""},
    )
    assert result.returncode == 0, result.stderr
    assert "demo-model 1.2.0.dev3 (dev: an untagged publishing run, number 3)" in result.stdout
    text = outputs.read_text()
    assert "version<<" in text and "\n1.2.0.dev3\n" in text and "\ndev\n" in text


def test_the_command_line_takes_the_version_from_the_environment_in_ci(tmp_path):
    project(tmp_path)
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "version.py"), "--project-dir", str(tmp_path)],
        capture_output=True, text=True,
        env={"GITHUB_ACTIONS": "true", "GITHUB_REF": "refs/heads/main", "GITHUB_RUN_NUMBER": "4",
             "WHEELWRIGHT_VERSION": "1.3.0rc1", "PATH": ""},
    )
    assert result.returncode == 0, result.stderr
    assert "demo-model 1.3.0rc1 (override: the version input)" in result.stdout


def test_the_command_line_fails_with_an_annotation_on_a_mismatched_tag(tmp_path):
    project(tmp_path)
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "version.py"), "--project-dir", str(tmp_path),
         "--ref", "refs/tags/v9.0.0"],
        capture_output=True, text=True, env={"GITHUB_ACTIONS": "true", "PATH": ""},
    )
    assert result.returncode == 1
    assert "::error title=wheelwright version::The tag v9.0.0 releases 9.0.0" in result.stdout


# --- main and where the ref comes from, in-process ---------------------------------------------

@pytest.fixture
def outputs(tmp_path, monkeypatch):
    """A GITHUB_OUTPUT file, and none of Actions' variables but what a test sets."""
    for name in ("GITHUB_ACTIONS", "GITHUB_REF", "GITHUB_RUN_NUMBER", "WHEELWRIGHT_VERSION"):
        monkeypatch.delenv(name, raising=False)
    path = tmp_path / "outputs"
    path.touch()
    monkeypatch.setenv("GITHUB_OUTPUT", str(path))
    return path


def test_main_decides_prints_and_writes_every_output(tmp_path, outputs, capsys):
    project(tmp_path / "p")
    code = version.main(["--project-dir", str(tmp_path / "p"), "--ref", "refs/heads/main", "--run-number", "3",
                         "--publish"])
    assert code == 0
    assert capsys.readouterr().out == "demo-model 1.2.0.dev3 (dev: an untagged publishing run, number 3)\n"
    assert read_outputs(outputs) == {
        "version": "1.2.0.dev3", "kind": "dev", "name": "demo-model",
        "dist-artifact": "wheelwright-dist-demo-model", "holdout-artifact": "wheelwright-holdout-demo-model"}


def test_main_without_publish_keeps_the_declared_version(tmp_path, outputs, capsys):
    project(tmp_path / "p")
    assert version.main(["--project-dir", str(tmp_path / "p"), "--ref", "refs/heads/main"]) == 0
    assert capsys.readouterr().out == "demo-model 1.2.0 (declared: p/pyproject.toml)\n"


def test_main_fails_with_exit_code_1_naming_the_conflict(tmp_path, outputs, capsys):
    project(tmp_path / "p")
    assert version.main(["--project-dir", str(tmp_path / "p"), "--ref", "refs/tags/v9.0.0"]) == 1
    said = capsys.readouterr()
    assert said.out == "" and "ERROR [version] The tag v9.0.0 releases 9.0.0" in said.err
    assert outputs.read_text() == ""


def test_main_takes_the_version_input_from_the_environment(tmp_path, outputs, monkeypatch, capsys):
    project(tmp_path / "p")
    monkeypatch.setenv("WHEELWRIGHT_VERSION", "1.3.0rc1")
    assert version.main(["--project-dir", str(tmp_path / "p"), "--ref", "refs/heads/main"]) == 0
    assert "demo-model 1.3.0rc1 (override: the version input)" in capsys.readouterr().out
    monkeypatch.setenv("WHEELWRIGHT_VERSION", "")  # empty: the rules decide
    assert version.main(["--project-dir", str(tmp_path / "p"), "--ref", "refs/heads/main"]) == 0
    assert "demo-model 1.2.0 (declared" in capsys.readouterr().out


def test_in_actions_the_ref_and_run_number_come_from_the_environment(tmp_path, monkeypatch):
    args = version.argparse.Namespace(ref=None, run_number=None)
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_REF", "refs/tags/v1.2.0")
    monkeypatch.setenv("GITHUB_RUN_NUMBER", "12")
    assert version.source_of(args, tmp_path, "demo-model") == version.Source("refs/tags/v1.2.0", "12", dirty=False)
    given = version.argparse.Namespace(ref="refs/heads/x", run_number="4")
    assert version.source_of(given, tmp_path, "demo-model") == version.Source("refs/heads/x", "4", dirty=False)
    monkeypatch.delenv("GITHUB_REF")
    monkeypatch.delenv("GITHUB_RUN_NUMBER")
    assert version.source_of(args, tmp_path, "demo-model") == version.Source("", "", dirty=False)


def test_a_ref_given_off_actions_is_trusted_as_committed(tmp_path, monkeypatch):
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    monkeypatch.setenv("GITHUB_REF", "refs/tags/v9.9.9")  # not read off Actions
    given = version.argparse.Namespace(ref="refs/heads/x", run_number=None)
    assert version.source_of(given, tmp_path, "demo-model") == version.Source("refs/heads/x", "", dirty=False)


def test_off_actions_the_laptops_checkout_decides_and_a_run_number_may_be_given(tmp_path, monkeypatch):
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    project(tmp_path)
    init_and_commit(tmp_path)
    git(tmp_path, "tag", "demo-model-v1.2.0")
    git(tmp_path, "tag", "v0.9")
    git(tmp_path, "tag", "nightly")
    args = version.argparse.Namespace(ref=None, run_number=None)
    # Of the release tags, the last in order; the run number is the count of commits.
    assert version.source_of(args, tmp_path, "demo-model") == version.Source("refs/tags/v0.9", "1", dirty=False)
    args = version.argparse.Namespace(ref=None, run_number="77")
    assert version.source_of(args, tmp_path, "Demo-Model") == version.Source("refs/tags/v0.9", "77", dirty=False)


# --- The release Python ------------------------------------------------------------------------

def python_project(tmp_path: Path, python: str):
    write_project(tmp_path, IRIS, project='name = "demo-model"\ndescription = "A demo."',
                  table=f'version = "1.2.0"\ngate = {{ accuracy = 0.9 }}\npython = "{python}"')
    return load_project(tmp_path)


def test_only_the_release_python_publishes(tmp_path):
    declared = python_project(tmp_path, "3.13")
    tag = version.Source("refs/tags/v1.2.0", "7", dirty=False)
    assert version.decide(declared, tag, publish=True, override=None, python="3.13").version == "1.2.0"
    with pytest.raises(PipelineError) as raised:
        version.decide(declared, tag, publish=True, override=None, python="3.12")
    assert "demo-model is released from Python 3.13 (python in [tool.wheelwright]), and this run is on " \
           "Python 3.12" in str(raised.value)
    assert "make pipeline PYTHON=python3.13" in raised.value.hint
    # Without publishing, another Python builds (and verifies) the same version.
    assert version.decide(declared, tag, publish=False, override=None, python="3.12").version == "1.2.0"
    # Untagged publishing runs, and a project that declares no release Python, alike.
    branch = version.Source("refs/heads/main", "7", dirty=False)
    with pytest.raises(PipelineError):
        version.decide(declared, branch, publish=True, override=None, python="3.11")
    anyone = project(tmp_path / "any")
    assert version.decide(anyone, branch, publish=True, override=None, python="3.11").version == "1.2.0.dev7"


@pytest.mark.parametrize("value", ['"3.10"', '"3.14"', "3.13", '"python3.13"'])
def test_a_release_python_wheelwright_does_not_support_is_refused(tmp_path, value):
    write_project(tmp_path, IRIS, table=f'version = "1.0"\ngate = {{ accuracy = 0.9 }}\npython = {value}')
    with pytest.raises(PipelineError) as raised:
        load_project(tmp_path)
    assert "is not a Python version wheelwright supports" in str(raised.value)
    assert "'3.11', '3.12', '3.13'" in raised.value.hint


def test_the_command_line_refuses_publishing_from_another_python(tmp_path):
    python_project(tmp_path, "3.12" if version.RUNNING_PYTHON != "3.12" else "3.13")
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "version.py"), "--project-dir", str(tmp_path), "--publish",
         "--ref", "refs/tags/v1.2.0"],
        capture_output=True, text=True, env={k: v for k, v in os.environ.items() if k != "GITHUB_OUTPUT"})
    assert result.returncode == 1
    assert f"and this run is on Python {version.RUNNING_PYTHON}" in result.stderr


# --- Each refusal and each decision, whole ---------------------------------------------------

def refusal(tmp_path: Path, **kwargs) -> tuple[str, str]:
    with pytest.raises(PipelineError) as caught:
        decide(tmp_path, **kwargs)
    return caught.value.message, caught.value.hint


def test_each_refusal_says_what_conflicts_and_how_to_resolve_it(tmp_path):
    root = tmp_path.resolve()
    assert refusal(tmp_path, publish=True, dirty=True) == (
        f"{root} is not committed: a published version must be rebuildable from a commit, and this tree has "
        "changes no commit holds (or is not in a git repository).",
        "Commit them, or run without publishing (make pipeline without NEXUS_URL publishes to the embedded "
        "registry).")
    assert refusal(tmp_path, ref="refs/tags/v1.3.0") == (
        f"The tag v1.3.0 releases 1.3.0, but {root.name}/pyproject.toml declares version 1.2.0 in "
        "[tool.wheelwright].",
        'Set version = "1.3.0" there and tag that commit, or delete the tag and tag v1.2.0 instead.')
    assert refusal(tmp_path, ref="refs/tags/v1.2.0", override="2.0") == (
        "The tag v1.2.0 releases 1.2.0, but the version input asks for 2.0.",
        "Leave the version input empty on tag runs: the tag decides.")
    assert refusal(tmp_path, publish=True, run_number="0") == (
        "The run number '0' is not a positive integer.",
        "Pass the workflow's run number (GITHUB_RUN_NUMBER) with --run-number.")
    assert refusal(tmp_path, publish=True, override="1.0+abc") == (
        "1.0+abc is a local version (the part after '+'): it is never published, because pip would pick it "
        "for ==1.0.",
        "Publish a public version: drop the '+...' part, or use a .devN or rcN one.")
    assert refusal(tmp_path, ref="refs/tags/v1.2.x") == (
        "The tag v1.2.x looks like a release tag but does not name a release version.",
        "Release tags are v (or <project name>-v) then a PEP 440 version without a local or .dev part: "
        "v1.2.3, v1.2.3rc1, churn-model-v1.2.3. Delete the tag and push a well-formed one.")


def test_another_python_is_told_which_one_publishes_and_how_to_run_it(tmp_path):
    declared = python_project(tmp_path, "3.13")
    with pytest.raises(PipelineError) as caught:
        version.decide(declared, version.Source("refs/tags/v1.2.0", "7", dirty=False), publish=True,
                       override=None, python="3.12")
    assert (caught.value.message, caught.value.hint) == (
        "demo-model is released from Python 3.13 (python in [tool.wheelwright]), and this run is on Python 3.12: "
        "the model records the Python that trained it, so a wheel built here would be another build of the same "
        "version.",
        "Publish from a run on Python 3.13 (the workflow's python-version input, or make pipeline "
        "PYTHON=python3.13); on 3.12, run without publishing: it still builds and verifies.")


def test_each_decision_says_which_rule_made_it(tmp_path):
    name = tmp_path.resolve().name
    assert decide(tmp_path, ref="refs/tags/v1.2.0", publish=True, override="v1.2.0") == version.Decision(
        "1.2.0", "release", "release tag v1.2.0")
    assert decide(tmp_path, ref="refs/tags/demo-model-v1.2.0") == version.Decision(
        "1.2.0", "release", "release tag demo-model-v1.2.0")
    assert decide(tmp_path, override="1.3") == version.Decision("1.3", "override", "the version input")
    assert decide(tmp_path, publish=True, run_number="42") == version.Decision(
        "1.2.0.dev42", "dev", "an untagged publishing run, number 42")
    assert decide(tmp_path, run_number="") == version.Decision("1.2.0", "declared", f"{name}/pyproject.toml")


@pytest.mark.parametrize("ref, name, expected", [
    ("refs/tags/v1.2.0", "", "1.2.0"), ("refs/tags/v1.2.0", "demo-model", "1.2.0"),
    ("refs/tags/v01.02", "", "1.2"), ("refs/tags/v1.2.0-rc.1", "", "1.2.0rc1"), ("refs/tags/v2!1.0", "", "2!1.0"),
    ("refs/tags/demo-model-v1.2.0", "demo-model", "1.2.0"), ("refs/tags/Demo-Model-v1.2.0", "demo-model", "1.2.0"),
    ("refs/tags/demo-model-v1.2.0", "", None), ("refs/tags/demo-model-v1.2.0", "other", None),
    ("refs/tags/demo-model-1.2.0", "demo-model", None), ("refs/tags/demo-model-vx", "demo-model", None),
    ("refs/tags/nightly", "", None), ("refs/tags/version-2", "", None), ("refs/tags/v", "", None),
    ("refs/heads/v1.2.0", "", None), ("tags/v1.2.0", "", None), ("v1.2.0", "", None), ("", "", None),
])
def test_a_release_tag_is_v_or_the_projects_name_then_v_then_a_version(ref, name, expected):
    assert version.release_tag(ref, name) == expected


@pytest.mark.parametrize("ref", ["refs/tags/v1.2.0+local", "refs/tags/v1.2.0.dev3", "refs/tags/demo-model-v1.x",
                                 "refs/tags/v1.2.3-foo"])
def test_a_tag_that_looks_like_a_release_but_is_not_one_is_refused(ref):
    with pytest.raises(PipelineError, match="looks like a release tag but does not name a release version"):
        version.release_tag(ref, "demo-model")


@pytest.mark.parametrize("declared, expected", [
    ("1.2.0", "1.2.0"), ("1.2.0.dev3", "1.2.0"), ("1.2.0rc1.dev3", "1.2.0rc1"), ("1.2.0dev3", "1.2.0"),
    ("1.2.0.post1.dev2", "1.2.0.post1"), ("1.02", "1.2"),
])
def test_without_dev_removes_only_the_dev_segment(declared, expected):
    assert version.without_dev(declared) == expected


@pytest.mark.parametrize("value", ["1.2.0", "1.2.0rc1", "1.2.0.dev3", "1.2.0.post1"])
def test_a_public_version_may_be_published(value):
    version.refuse_local(value)


def test_a_laptop_counts_untracked_files_in_the_project_and_nothing_outside_it(tmp_path):
    project(tmp_path / "demo")
    (tmp_path / "README.md").write_text("the repository\n")
    init_and_commit(tmp_path)
    git(tmp_path, "commit", "-qm", "two", "--allow-empty")
    assert version.local_source(tmp_path / "demo", "demo-model") == version.Source("", "2", dirty=False)
    (tmp_path / "README.md").write_text("edited outside the project\n")
    (tmp_path / "notes.txt").write_text("untracked, outside\n")
    assert version.local_source(tmp_path / "demo", "demo-model").dirty is False
    (tmp_path / "demo" / "notes.txt").write_text("untracked, inside\n")
    assert version.local_source(tmp_path / "demo", "demo-model").dirty is True
    (tmp_path / "demo" / "notes.txt").unlink()
    for tag in ("nightly", "demo-model-v1.2.0", "other-v3.0", "v1.0", "v1.1"):
        git(tmp_path, "tag", tag)
    assert version.local_source(tmp_path / "demo", "demo-model") == version.Source("refs/tags/v1.1", "2", dirty=False)
    assert version.local_source(tmp_path / "demo", "zzz") == version.Source("refs/tags/v1.1", "2", dirty=False)
    git(tmp_path, "tag", "-d", "v1.0")
    git(tmp_path, "tag", "-d", "v1.1")
    assert version.local_source(tmp_path / "demo", "Demo-Model") == version.Source(
        "refs/tags/demo-model-v1.2.0", "2", dirty=False)
    assert version.local_source(tmp_path / "demo", "other") == version.Source("refs/tags/other-v3.0", "2",
                                                                               dirty=False)
    assert version.local_source(tmp_path / "demo", "") == version.Source("", "2", dirty=False)


def test_main_documents_each_option_and_its_default(monkeypatch, capsys):
    monkeypatch.setenv("COLUMNS", "200")
    with pytest.raises(SystemExit) as exited:
        version.main(["--help"])
    assert exited.value.code == 0
    assert capsys.readouterr().out == (
        "usage: version.py [-h] [--project-dir PROJECT_DIR] [--ref REF] [--run-number RUN_NUMBER] [--publish] "
        "[--version VERSION]\n\n"
        "version: decide the version a run builds, by the same rules in CI and on a laptop.\n\n"
        "options:\n"
        "  -h, --help            show this help message and exit\n"
        "  --project-dir PROJECT_DIR\n"
        "                        the model project (default: .)\n"
        "  --ref REF             the git ref, e.g. refs/tags/v1.2.0 (default: $GITHUB_REF, else the laptop's checkout)\n"
        "  --run-number RUN_NUMBER\n"
        "                        the workflow's run number, for .devN (default: $GITHUB_RUN_NUMBER)\n"
        "  --publish             this run publishes to a shared repository\n"
        "  --version VERSION     an explicit version (default: $WHEELWRIGHT_VERSION; unset or empty: the rules)\n")


def test_main_reads_the_project_in_the_current_folder_by_default(tmp_path, outputs, monkeypatch, capsys):
    project(tmp_path / "p")
    monkeypatch.chdir(tmp_path / "p")
    assert version.main(["--ref", "refs/heads/main", "--run-number", "5", "--publish"]) == 0
    assert capsys.readouterr().out == "demo-model 1.2.0.dev5 (dev: an untagged publishing run, number 5)\n"


def test_outside_git_or_before_the_first_commit_nothing_is_committed(tmp_path):
    project(tmp_path)
    assert version.local_source(tmp_path, "demo-model") == version.Source("", "", dirty=True)
    git(tmp_path, "init", "-q")
    assert version.local_source(tmp_path, "demo-model") == version.Source("", "", dirty=True)


def test_an_untracked_file_counts_even_when_git_is_told_to_hide_them(tmp_path):
    project(tmp_path)
    init_and_commit(tmp_path)
    git(tmp_path, "config", "status.showUntrackedFiles", "no")
    (tmp_path / "notes.txt").write_text("untracked\n")
    assert version.local_source(tmp_path, "demo-model").dirty is True


def test_off_actions_a_tag_named_for_the_project_is_its_release(tmp_path, monkeypatch):
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    project(tmp_path)
    init_and_commit(tmp_path)
    git(tmp_path, "tag", "demo-model-v1.2.0")
    args = version.argparse.Namespace(ref=None, run_number=None)
    assert version.source_of(args, tmp_path, "demo-model") == version.Source(
        "refs/tags/demo-model-v1.2.0", "1", dirty=False)


def test_main_off_actions_reads_the_projects_checkout_wherever_it_is_run(tmp_path, outputs, monkeypatch, capsys):
    root = tmp_path / "repo"
    project(root)
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "one")
    git(root, "tag", "demo-model-v1.2.0")
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")  # not a git checkout
    assert version.main(["--project-dir", str(root), "--publish"]) == 0
    assert capsys.readouterr().out == "demo-model 1.2.0 (release: release tag demo-model-v1.2.0)\n"
