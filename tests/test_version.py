"""version: which version a run builds, from its ref, its run number and the project."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import version
from _wheelwright import PipelineError, load_project

ROOT = Path(__file__).resolve().parent.parent


def project(tmp_path: Path, declared: str = "1.2.0"):
    (tmp_path / "pyproject.toml").write_text(f"""\
[project]
name = "demo-model"

[tool.wheelwright]
package = "demo_model"
version = "{declared}"
train = "train.py"
model = "src/demo_model/model.joblib"
manifest = "src/demo_model/manifest.json"
holdout = "artifacts/holdout.csv"
min-score = 0.9
""")
    return load_project(tmp_path)


def decide(tmp_path: Path, *, declared: str = "1.2.0", ref: str = "refs/heads/main",
           run_number: str = "7", publish: bool = False, override: str | None = None):
    return version.decide(project(tmp_path, declared), ref=ref, run_number=run_number,
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


def test_a_publishing_run_needs_a_run_number(tmp_path):
    with pytest.raises(PipelineError, match="not a positive integer"):
        decide(tmp_path, publish=True, run_number="")


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


def test_the_command_line_fails_with_an_annotation_on_a_mismatched_tag(tmp_path):
    project(tmp_path)
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "version.py"), "--project-dir", str(tmp_path),
         "--ref", "refs/tags/v9.0.0"],
        capture_output=True, text=True, env={"GITHUB_ACTIONS": "true", "PATH": ""},
    )
    assert result.returncode == 1
    assert "::error title=wheelwright version::The tag v9.0.0 releases 9.0.0" in result.stdout
