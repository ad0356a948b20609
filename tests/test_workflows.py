"""The GitHub Actions front door: the reusable workflow, the composite action, CI and release.

Static checks first (linters, pins, the same inputs everywhere, no credential near the
model's code), then real runs with act, offline, in host mode, with the GitHub-hosted
actions played by the test doubles in tests/actions/ (see its README) and pypiserver on
loopback playing Nexus. Like nektos/act's own tests, each run is a scenario with the
outcome it must have; the consumer fixture's workflow asserts on the outputs in its own
last job and exits 1 when they are wrong.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import act as act_module  # tests/actions/act.py, the launcher (on sys.path: conftest.py)
import pytest
from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parent.parent

BIN = Path(sys.executable).parent
WORKFLOW = ROOT / ".github" / "workflows" / "model-pipeline.yml"
ACTION = ROOT / "action.yml"
CONSUMER = ROOT / "tests" / "consumer"
CONSUMER_WORKFLOW = CONSUMER / ".github" / "workflows" / "models.yml"
WEAK = ROOT / "tests" / "packages" / "weak-model"
LINTED = [ACTION, *sorted((ROOT / ".github" / "workflows").glob("*.yml")), CONSUMER_WORKFLOW]
INPUTS = ("project-dir", "python-version", "publish", "repository-url", "index-url", "version")
OUTPUTS = ("version", "wheel", "sha256", "published", "metrics", "artifact")
JOBS = ("Name wheelwright's code", "Check the repository answers", "Train, test and build",
        "Publish", "Verify the published wheel")


def load(path: Path) -> dict:
    return YAML(typ="safe").load(path.read_text(encoding="utf-8"))


# --- Static checks ------------------------------------------------------------------------

def test_zizmor_reports_nothing():
    # The whole tree: the shipped workflows and action, the consumer, and the test doubles.
    result = subprocess.run([str(BIN / "zizmor"), "--offline", "."],
                            capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No findings to report" in result.stdout + result.stderr


def test_actionlint_reports_nothing():
    # ci.yml runs the action with `uses: ./`, so actionlint checks the action's inputs too.
    workflows = [p for p in LINTED if p != ACTION]
    result = subprocess.run([str(BIN / "actionlint"), "-oneline", *map(str, workflows)],
                            capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == ""


def test_every_third_party_action_is_pinned_by_commit_with_its_version():
    uses = re.compile(r"^\s*(?:-\s+)?uses:\s*(\S+)(.*)$", re.M)
    found = []
    for path in LINTED:
        for target, rest in uses.findall(path.read_text(encoding="utf-8")):
            if target.startswith("./") or target.startswith("acme/wheelwright"):
                continue  # this repository itself, at the caller's ref
            found.append(target)
            assert re.fullmatch(r"actions/[a-z-]+@[0-9a-f]{40}", target), f"{path.name}: {target}"
            assert re.match(r"\s*# v\d+\.\d+\.\d+\s*$", rest), f"{path.name}: {target} lacks a # vX.Y.Z comment"
    # One commit per action across all files, so an upgrade cannot be half done.
    by_name: dict[str, set[str]] = {}
    for target in found:
        name, sha = target.split("@")
        by_name.setdefault(name, set()).add(sha)
    assert {name: len(shas) for name, shas in by_name.items()} == {
        "actions/checkout": 1, "actions/setup-python": 1,
        "actions/upload-artifact": 1, "actions/download-artifact": 1}


def test_inputs_and_outputs_have_the_same_names_and_defaults_everywhere():
    workflow = load(WORKFLOW)["on"]
    action = load(ACTION)
    call, dispatch = workflow["workflow_call"]["inputs"], workflow["workflow_dispatch"]["inputs"]
    for name in INPUTS:
        defaults = {str(call[name]["default"]).lower(), str(dispatch[name]["default"]).lower(),
                    str(action["inputs"][name]["default"]).lower()}
        assert len(defaults) == 1, f"{name} defaults differ: {defaults}"
    assert set(call) == set(dispatch) == set(INPUTS)
    assert set(action["inputs"]) == set(INPUTS) | {"nexus-username", "nexus-password"}
    assert set(workflow["workflow_call"]["secrets"]) == {"NEXUS_URL", "NEXUS_USERNAME", "NEXUS_PASSWORD"}
    assert set(workflow["workflow_call"]["outputs"]) == set(action["outputs"]) == set(OUTPUTS)
    assert call["project-dir"]["default"] == "."
    assert call["publish"]["default"] is False and action["inputs"]["publish"]["default"] == "false"


def test_python_defaults_to_the_version_the_lock_was_made_for_and_says_why():
    for path in (WORKFLOW, ACTION):
        text = path.read_text(encoding="utf-8")
        assert 'default: "3.11"' in text
        assert "the lock was compiled and tested on 3.11" in text


def test_jobs_that_run_the_models_code_never_get_a_credential():
    jobs = load(WORKFLOW)["jobs"]
    build, verify = json.dumps(jobs["build"]), json.dumps(jobs["verify"])
    assert "secrets." not in build
    # verify needs the repository's address to derive the index, and nothing else.
    assert re.findall(r"secrets\.\w+", verify) == ["secrets.NEXUS_URL"]
    for name in ("preflight", "publish"):
        steps = json.dumps(jobs[name]["steps"])
        assert "Check out the project" not in steps, f"{name} must not check out the model's code"
    assert load(WORKFLOW)["permissions"] == {}
    for name, job in jobs.items():
        assert job["permissions"] in ({}, {"contents": "read"}), name


def test_the_reusable_workflow_runs_its_own_code_not_the_callers():
    text = WORKFLOW.read_text(encoding="utf-8")
    assert "job.workflow_repository" in text and "job.workflow_sha" in text
    assert not re.search(r"^\s*(-\s+)?uses:\s*\./", text, re.M), "`uses: ./` is the caller's checkout"
    assert "github.workspace }}/scripts" not in text and "./scripts/" not in text


def test_the_test_doubles_say_what_they_are():
    for name in act_module.DOUBLES:
        first = (ROOT / "tests" / "actions" / name / "action.yml").read_text().splitlines()[0]
        assert first.startswith(f"# TEST DOUBLE for actions/{name}"), name


def test_the_readme_shows_the_consumer_workflow_verbatim():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "```yaml\n" + CONSUMER_WORKFLOW.read_text(encoding="utf-8") + "```" in text


# --- act --------------------------------------------------------------------------------

LOG = re.compile(r"^\[(?P<where>[^\]]*)\]\s+(?P<text>.*)$")


@dataclass
class Outcome:
    """What one act run did, read from its log."""

    returncode: int
    log: str

    def lines(self, job: str) -> list[str]:
        found = []
        for line in self.log.splitlines():
            match = LOG.match(line)
            if match and match["where"].strip().endswith(job):
                found.append(match["text"])
        return found

    def result(self, job: str) -> str:
        """'succeeded', 'failed', or 'not run'."""
        for text in self.lines(job):
            if text.startswith("🏁  Job "):
                return text.split()[-1]
        return "not run"

    def outputs(self, job: str) -> dict[str, str]:
        found = {}
        for text in self.lines(job):
            if text.startswith("⚙  ::set-output:: "):
                name, _, value = text[len("⚙  ::set-output:: "):].partition("=")
                found[name] = value
        return found

    def ran(self, job: str, step: str) -> bool:
        return any(text == f"⭐ Run Main {step}" for text in self.lines(job))

    def tail(self) -> str:
        return self.log[-6000:]


@pytest.fixture
def act(tmp_path: Path) -> act_module.Act:
    return act_module.Act(tmp_path / "act")


def wheelwright(act: act_module.Act) -> tuple[Path, str]:
    """A snapshot of this work tree as the repository acme/wheelwright, and its commit."""
    repo = act.repository(act_module.WHEELWRIGHT, ROOT)
    return repo, act_module.commit_all(repo, "wheelwright snapshot")


def dispatch(act: act_module.Act, repo: Path, commit: str, *, inputs: dict[str, str],
             secrets: dict[str, str], event: dict | None = None) -> Outcome:
    args = ["workflow_dispatch", "-W", ".github/workflows/model-pipeline.yml"]
    for key, value in inputs.items():
        args += ["--input", f"{key}={value}"]
    if event is not None:
        path = act.home / "event.json"
        path.write_text(json.dumps({"inputs": inputs, **event}))
        args += ["--eventpath", str(path)]
    run = act.run(args, workdir=repo, secrets=secrets,
                  variables={"WHEELWRIGHT_REPOSITORY": act_module.WHEELWRIGHT, "WHEELWRIGHT_REF": commit})
    return Outcome(run.returncode, run.output)


def stored(registry) -> list[str]:
    return sorted(p.name for p in registry.packages.rglob("*") if p.is_file())


def nexus(registry, credentials) -> dict[str, str]:
    username, password = credentials
    return {"NEXUS_URL": registry.upload_url, "NEXUS_USERNAME": username, "NEXUS_PASSWORD": password}


@pytest.mark.slow
def test_dispatch_on_a_release_tag_publishes_exactly_that_version_and_verifies_it(act, registry, credentials):
    repo, commit = wheelwright(act)
    run = dispatch(act, repo, commit, inputs={"project-dir": "model", "publish": "true"},
                   secrets=nexus(registry, credentials), event={"ref": "refs/tags/v1.2.0"})
    assert run.returncode == 0, run.tail()
    assert {job: run.result(job) for job in JOBS} == dict.fromkeys(JOBS, "succeeded"), run.tail()
    built = run.outputs("Train, test and build")
    assert built["version"] == "1.2.0"
    assert built["wheel"] == "tumor_classifier-1.2.0-py3-none-any.whl"
    assert re.fullmatch(r"[0-9a-f]{64}", built["sha256"])
    assert built["artifact"] == "wheelwright-dist-model"
    assert json.loads(built["metrics"])["roc_auc"] >= 0.98
    assert run.outputs("Publish")["published"] == "true"
    assert stored(registry) == ["tumor_classifier-1.2.0-py3-none-any.whl", "tumor_classifier-1.2.0.tar.gz"]
    # The wheel in the repository is the one built, and verify installed and scored it.
    stored_wheel = next(registry.packages.rglob("*.whl"))
    assert hashlib.sha256(stored_wheel.read_bytes()).hexdigest() == built["sha256"]
    assert any("as recorded" in line for line in run.lines("Verify the published wheel"))
    # The job summary: stage durations, metrics, the wheel's name, size and sha256.
    # (act prints a summary's first line after the job's name, the rest bare.)
    assert "| train | :white_check_mark: ok |" in run.log and "| roc_auc |" in run.log
    assert f"| `{built['wheel']}` | " in run.log and f"| `{built['sha256']}` |" in run.log


@pytest.mark.slow
def test_a_consumer_calls_the_workflow_and_the_action_at_the_ref_it_names(act, registry, credentials):
    repo, _ = wheelwright(act)
    act_module.commit_all(repo, "wheelwright v1", tag="v1")
    # main moves on after v1 with code that must not run: callers asked for v1.
    (repo / "scripts" / "train.py").write_text('raise SystemExit("wheelwright after v1 ran, not v1")\n')
    act_module.commit_all(repo, "after v1")
    consumer = act.repository("acme/models", CONSUMER)
    act_module.copy_tree(ROOT / "model", consumer / "models" / "tumor-classifier")
    # Decoys where the classic mistake (`uses: ./`, scripts from the caller's checkout) would look.
    (consumer / "scripts").mkdir()
    (consumer / "scripts" / "train.py").write_text('raise SystemExit("the caller\'s scripts ran")\n')
    (consumer / "action.yml").write_text("name: decoy\nruns:\n  using: composite\n  steps:\n"
                                         "    - run: echo the caller\\'s action ran; exit 1\n      shell: bash\n")
    act_module.commit_all(consumer, "models")
    run = act.run(["push"], workdir=consumer, secrets=nexus(registry, credentials),
                  variables={"WHEELWRIGHT_REPOSITORY": act_module.WHEELWRIGHT, "WHEELWRIGHT_REF": "v1"},
                  local_repositories={"acme/wheelwright@v1": act.worktree(act_module.WHEELWRIGHT, "v1")})
    outcome = Outcome(run.returncode, run.output)
    assert outcome.returncode == 0, outcome.tail()
    assert outcome.result("Check both ways built and published the same wheel") == "succeeded", outcome.tail()
    checked = "\n".join(outcome.lines("Check both ways built and published the same wheel"))
    assert "ok: version = 1.2.0.dev1" in checked and "ok: published (action) = true" in checked
    assert stored(registry) == ["tumor_classifier-1.2.0.dev1-py3-none-any.whl", "tumor_classifier-1.2.0.dev1.tar.gz"]
    assert "ran, not v1" not in outcome.log and "the caller's scripts ran" not in outcome.log
    assert "checkout double: acme/wheelwright@v1" in outcome.log


@pytest.mark.slow
def test_a_model_under_the_quality_gate_fails_the_build_job_and_nothing_is_published(
        act, registry, credentials, tmp_path):
    weak = act_module.copy_tree(WEAK, tmp_path / "weak-model")
    # Let the weak model show, in the log, which variables its own code could see.
    with open(weak / "train.py", "a", encoding="utf-8") as script:
        script.write('\nprint("environment seen by the model:", json.dumps(sorted(os.environ)))\n')
    repo, _ = wheelwright(act)
    shutil.copytree(weak, repo / "weak-model")
    commit = act_module.commit_all(repo, "add a weak model")
    run = dispatch(act, repo, commit, inputs={"project-dir": "weak-model", "publish": "true"},
                   secrets=nexus(registry, credentials))
    assert run.returncode != 0
    assert run.result("Check the repository answers") == "succeeded"
    assert run.result("Train, test and build") == "failed"
    assert "Quality gate: roc_auc 0.5000 on 569 hold-out rows is below the minimum 0.9000" in run.log
    assert not run.ran("Train, test and build", "Build the wheel and the sdist")
    assert run.result("Publish") == "not run" and run.result("Verify the published wheel") == "not run"
    assert stored(registry) == []
    seen = next(line for line in run.log.splitlines() if "environment seen by the model:" in line)
    names = json.loads(seen.split("environment seen by the model:", 1)[1])
    assert names and not [name for name in names if name.startswith(("NEXUS_", "TWINE_"))]


@pytest.mark.slow
def test_publishing_without_credentials_fails_before_training(act, registry):
    repo, commit = wheelwright(act)
    run = dispatch(act, repo, commit, inputs={"project-dir": "model", "publish": "true"},
                   secrets={"NEXUS_URL": registry.upload_url})
    assert run.returncode != 0
    assert run.result("Check the repository answers") == "failed"
    assert "NEXUS_USERNAME" in "\n".join(run.lines("Check the repository answers"))
    assert run.result("Train, test and build") == "not run"
    assert stored(registry) == []


@pytest.mark.slow
def test_a_stale_project_lock_fails_before_training(act, tmp_path):
    repo, _ = wheelwright(act)
    project = repo / "locked-model"
    act_module.copy_tree(ROOT / "model", project)
    # The project's own lock: pins cut from the pipeline's lock, so nothing new is installed.
    (project / "requirements.in").write_text("scikit-learn\njoblib\nrich-click\n")
    (project / "requirements.txt").write_text(lock_subset(("scikit-learn", "joblib")))
    commit = act_module.commit_all(repo, "a model with a stale lock")
    run = dispatch(act, repo, commit, inputs={"project-dir": "locked-model"}, secrets={})
    assert run.returncode != 0
    assert run.result("Train, test and build") == "failed"
    assert "requirements.in names rich-click, which requirements.txt does not pin" in run.log
    assert not run.ran("Train, test and build", "Train the model")


@pytest.mark.slow
def test_a_release_tag_the_project_disagrees_with_fails_before_training(act, registry, credentials):
    repo, commit = wheelwright(act)
    event = act.home / "tag.json"
    event.write_text(json.dumps({"ref": "refs/tags/v9.9.9"}))
    done = act.run(["push", "-W", ".github/workflows/release.yml", "--eventpath", str(event)],
                   workdir=repo, secrets=nexus(registry, credentials),
                   variables={"WHEELWRIGHT_REPOSITORY": act_module.WHEELWRIGHT, "WHEELWRIGHT_REF": commit})
    run = Outcome(done.returncode, done.output)
    assert run.returncode != 0
    assert "The tag v9.9.9 releases 9.9.9, but model/pyproject.toml declares version 1.2.0" in run.log
    assert not run.ran("Train, test and build", "Train the model")
    assert stored(registry) == []


def lock_subset(names: tuple[str, ...]) -> str:
    """The blocks of this repository's lock that pin ``names``, as a lock of their own."""
    blocks = re.split(r"\n(?=[A-Za-z0-9])", (ROOT / "requirements.txt").read_text(encoding="utf-8"))
    wanted = [b for b in blocks if re.match(rf"({'|'.join(map(re.escape, names))})==", b)]
    assert len(wanted) == len(names)
    return "".join(re.sub(r"    # via.*", "    # via -r requirements.in", b, flags=re.S).rstrip() + "\n"
                   for b in wanted)


@pytest.mark.slow
def test_ci_runs_the_action_on_the_example_model_without_publishing(act):
    repo, commit = wheelwright(act)
    done = act.run(["push", "-W", ".github/workflows/ci.yml", "-j", "action"], workdir=repo,
                   variables={"WHEELWRIGHT_REPOSITORY": act_module.WHEELWRIGHT, "WHEELWRIGHT_REF": commit})
    run = Outcome(done.returncode, done.output)
    assert run.returncode == 0, run.tail()
    assert run.result("Pipeline (composite action)") == "succeeded"
    lines = "\n".join(run.lines("Pipeline (composite action)"))
    # The action's own outputs close its log: built, not published.
    assert "⚙  ::set-output:: version=1.2.0\n" in lines and "⚙  ::set-output:: published=false" in lines
    assert "⭐ Run Main Build the wheel and the sdist" in lines
    assert "⭐ Run Main Publish to the repository" not in lines
    assert "⭐ Run Main Check the URL, the credentials and the repository" not in lines
    uploaded = sorted(p.name for p in (act.artifacts / "1" / "wheelwright-dist-model-action").iterdir())
    assert uploaded == ["tumor_classifier-1.2.0-py3-none-any.whl", "tumor_classifier-1.2.0.tar.gz"]
