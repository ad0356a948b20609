"""The GitHub Actions front door: the four actions, the reusable workflow built from them,
the consumer fixture, CI and release.

Static checks first (linters, pins, the same inputs everywhere, who holds a credential,
what a step may contain), then real runs with act, offline, in host mode, with the
GitHub-hosted actions played by the test doubles in tests/actions/ (see its README),
wheelwright's own actions fetched "the way GitHub fetches actions" by act's
--local-repository, and pypiserver on loopback playing Nexus. Like nektos/act's own
tests, each run is a scenario with the outcome it must have; the consumer fixture's
workflow also asserts on its outputs in its own last job and exits 1 when they are wrong.

act runs every job on this one machine, where GitHub gives each job a fresh virtual
machine: what these runs show about isolation is what crosses from job to job through
GitHub's own channels (GITHUB_ENV, GITHUB_PATH, outputs, artifacts), not a VM boundary.
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
import release
from _wheelwright import SUPPORTED_PYTHONS
from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parent.parent

BIN = Path(sys.executable).parent
WORKFLOWS = ROOT / ".github" / "workflows"
WORKFLOW = WORKFLOWS / "model-pipeline.yml"
ACTIONS = {path.parent.name: path for path in sorted((ROOT / "actions").glob("*/action.yml"))}
CONSUMER = ROOT / "tests" / "consumer"
CONSUMER_WORKFLOW = CONSUMER / ".github" / "workflows" / "models.yml"
PACKAGES = ROOT / "tests" / "packages"
LINTED = [*ACTIONS.values(), *sorted(WORKFLOWS.glob("*.yml")), CONSUMER_WORKFLOW]
INPUTS = ("project-dir", "python-version", "publish", "repository-url", "index-url", "version",
          "environment", "runs-on", "verify-pythons", "train-timeout-minutes", "sdist")
OUTPUTS = ("version", "wheel", "sha256", "published", "metrics", "dist-artifact", "pythons")
#: The reusable workflow's jobs, by the names act prints.
JOBS = ("Decide the version", "Check the repository answers", "Train, test and build", "Publish",
        "Verify the published wheel")
CREDENTIALS = ("NEXUS_USERNAME", "NEXUS_PASSWORD")


def load(path: Path) -> dict:
    return YAML(typ="safe").load(path.read_text(encoding="utf-8"))


def steps_using(job: dict, action: str) -> list[dict]:
    return [step for step in job.get("steps", []) if f"/actions/{action}@" in step.get("uses", "")]


# --- Static checks ------------------------------------------------------------------------

@pytest.mark.parametrize("persona", ["regular", "pedantic"])
def test_zizmor_reports_nothing(persona):
    # The whole tree: the actions, the workflows and the test doubles. zizmor looks for
    # workflows in .github/workflows/ at the root only, so the consumer's is named.
    result = subprocess.run([str(BIN / "zizmor"), "--offline", "--persona", persona, ".",
                             str(CONSUMER_WORKFLOW.relative_to(ROOT))],
                            capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No findings to report" in result.stdout + result.stderr


def test_actionlint_reports_nothing():
    # ci.yml runs the actions with `uses: ./actions/...`, so actionlint checks their inputs too.
    workflows = [p for p in LINTED if p.name != "action.yml"]
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
                continue  # this repository itself: see test_release.py for the workflow's references
            found.append(target)
            assert re.fullmatch(r"actions/[a-z-]+@[0-9a-f]{40}", target), f"{path}: {target}"
            assert re.match(r"\s*# v\d+\.\d+\.\d+\s*$", rest), f"{path}: {target} lacks a # vX.Y.Z comment"
    # One commit per action across all files, so an upgrade cannot be half done.
    by_name: dict[str, set[str]] = {}
    for target in found:
        name, sha = target.split("@")
        by_name.setdefault(name, set()).add(sha)
    assert {name: len(shas) for name, shas in by_name.items()} == {
        "actions/checkout": 1, "actions/setup-python": 1,
        "actions/upload-artifact": 1, "actions/download-artifact": 1}


def test_inputs_have_the_same_names_and_defaults_on_both_triggers_and_the_actions():
    workflow = load(WORKFLOW)["on"]
    call, dispatch = workflow["workflow_call"]["inputs"], workflow["workflow_dispatch"]["inputs"]
    assert list(call) == list(dispatch) == list(INPUTS)
    for name in INPUTS:
        assert str(call[name]["default"]).lower() == str(dispatch[name]["default"]).lower(), name
        assert call[name]["type"] == dispatch[name]["type"], name
    for action, path in ACTIONS.items():
        for name, spec in load(path)["inputs"].items():
            if name in call:
                assert str(spec["default"]).lower() == str(call[name]["default"]).lower(), f"{action}: {name}"
    assert call["python-version"]["default"] == SUPPORTED_PYTHONS[-1]
    assert call["verify-pythons"]["default"] == ", ".join(SUPPORTED_PYTHONS)
    assert call["runs-on"]["default"] == "ubuntu-latest"
    assert call["publish"]["default"] is False and call["sdist"]["default"] is False
    assert set(workflow["workflow_call"]["secrets"]) == {"NEXUS_URL", *CREDENTIALS}
    assert list(workflow["workflow_call"]["outputs"]) == list(OUTPUTS)


def test_the_workflow_hands_each_input_to_the_action_input_of_the_same_name():
    jobs = load(WORKFLOW)["jobs"]
    inputs = set(load(WORKFLOW)["on"]["workflow_call"]["inputs"])
    # The exception: build builds, and publish publishes, the version the version job
    # decided (preflight publishes nothing, and is given none).
    decided = {("build", "version"), ("publish", "version")}
    for job_id, job in jobs.items():
        for step in job["steps"]:
            action = re.search(r"/actions/([a-z]+)@", step.get("uses", ""))
            if not action:
                continue
            declared = load(ACTIONS[action[1]])["inputs"]
            given = step.get("with", {})
            assert set(given) <= set(declared), f"{job_id}: {set(given) - set(declared)}"
            for name in set(declared) & inputs:
                expected = f"${{{{ inputs.{name} }}}}"
                if (action[1], name) in decided:
                    expected = None if job_id == "preflight" else "${{ needs.version.outputs.version }}"
                if name == "repository-url":
                    expected = "${{ inputs.repository-url || secrets.NEXUS_URL }}"
                assert given.get(name) == expected, f"{job_id} passes {name} as {given.get(name)!r}"


def test_verify_sets_up_exactly_the_supported_pythons():
    steps = load(ACTIONS["verify"])["runs"]["steps"]
    versions = [step["with"]["python-version"] for step in steps if "verify-pythons" in step.get("if", "")]
    assert versions == list(SUPPORTED_PYTHONS)
    # ... and the Python that runs verify itself last, so that `python` is that one.
    setups = [step for step in steps if "setup-python" in step.get("uses", "")]
    assert setups[-1]["with"]["python-version"] == "${{ inputs.python-version }}"


def test_credentials_reach_only_the_preflight_and_publish_jobs():
    workflow = load(WORKFLOW)
    jobs = workflow["jobs"]
    assert workflow["permissions"] == {}
    for name in ("version", "build", "verify"):
        found = re.findall(r"secrets\.\w+", json.dumps(jobs[name]))
        # verify needs the repository's address to install from, and nothing else.
        assert found == (["secrets.NEXUS_URL"] if name == "verify" else []), name
    for name in ("preflight", "publish"):
        job = jobs[name]
        text = json.dumps(job)
        assert [step["uses"].split("@")[0] for step in job["steps"]] == ["acme/wheelwright/actions/publish"], name
        assert "needs.build" not in text, f"{name} must take nothing from the job that ran the model's code"
        assert job["permissions"] == {} and job["environment"] == "${{ inputs.environment }}", name
        assert job["runs-on"] == "ubuntu-latest", f"{name}: a fresh hosted runner, never the build's"
    for name, job in jobs.items():
        assert job["permissions"] in ({}, {"contents": "read"}), name
    # No action that runs the model's code can even be handed a credential.
    for name in ("version", "build", "verify"):
        action = load(ACTIONS[name])
        assert not [i for i in action["inputs"] if "nexus" in i or "password" in i], name
        assert "NEXUS_" not in json.dumps(action["runs"]), name


def test_only_the_jobs_that_run_the_models_code_keep_a_pip_cache():
    for name, path in ACTIONS.items():
        cached = [step for step in load(path)["runs"]["steps"]
                  if "setup-python" in step.get("uses", "") and step["with"].get("cache")]
        assert bool(cached) == (name in ("build", "verify")), name


def test_publish_takes_the_name_and_version_from_the_version_job():
    publish = steps_using(load(WORKFLOW)["jobs"]["publish"], "publish")[0]["with"]
    for name in ("name", "version", "dist-artifact"):
        assert publish[name] == f"${{{{ needs.version.outputs.{name} }}}}"


def test_a_build_never_cancels_a_publishing_run():
    concurrency = load(WORKFLOW)["concurrency"]
    # Publishing and building runs are in different groups; only building ones cancel.
    assert "inputs.publish && 'publish' || 'build'" in concurrency["group"]
    assert concurrency["cancel-in-progress"] == "${{ !inputs.publish }}"


def test_a_step_is_a_name_its_env_and_one_script_call():
    for action, path in ACTIONS.items():
        for step in load(path)["runs"]["steps"]:
            assert step.get("name"), f"{action}: a step without a name"
            if "run" not in step:
                continue
            assert "${{" not in step["run"], f"{action}: {step['name']}: an expression inside run:"
            assert all(k.startswith("WHEELWRIGHT_") or k in CREDENTIALS for k in step.get("env", {})), step["name"]
            lines = [line for line in step["run"].splitlines() if line.strip()]
            assert len(lines) == 1, f"{action}: {step['name']} is more than one call"


def test_the_workflow_gets_wheelwrights_code_as_actions_never_by_checkout():
    workflow = load(WORKFLOW)
    for job_id, job in workflow["jobs"].items():
        for step in job["steps"]:
            if "actions/checkout" in step.get("uses", ""):
                assert "repository" not in step.get("with", {}), f"{job_id} checks out another repository"
            assert "run" not in step, f"{job_id}: the workflow's steps are actions; bodies live in actions/"
    text = WORKFLOW.read_text(encoding="utf-8")
    assert not re.search(r"^\s*(-\s+)?uses:\s*\./", text, re.M), "`uses: ./` is the caller's checkout"
    assert "WHEELWRIGHT_REF" not in text and "job.workflow_" not in text


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
def act(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> act_module.Act:
    # release.py commits and tags in the snapshots with git's own identity: give it one.
    for key in ("GIT_AUTHOR", "GIT_COMMITTER"):
        monkeypatch.setenv(f"{key}_NAME", "act")
        monkeypatch.setenv(f"{key}_EMAIL", "act@localhost")
    (tmp_path / "gitconfig").write_text("[commit]\n\tgpgsign = false\n[tag]\n\tgpgsign = false\n")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(tmp_path / "gitconfig"))
    return act_module.Act(tmp_path / "act")


def wheelwright(act: act_module.Act) -> tuple[Path, str]:
    """A snapshot of this work tree as the repository acme/wheelwright, and its commit."""
    repo = act.repository(act_module.WHEELWRIGHT, ROOT)
    return repo, act_module.commit_all(repo, "wheelwright snapshot")


def run_in(act: act_module.Act, repo: Path, args: list[str], *, secrets: dict[str, str] = {},
           variables: dict[str, str] = {}, event: dict | None = None) -> Outcome:
    """act in ``repo``, a wheelwright snapshot, its actions served from the snapshot itself."""
    if event is not None:
        path = act.home / "event.json"
        path.write_text(json.dumps(event))
        args = [*args, "--eventpath", str(path)]
    done = act.run(args, workdir=repo, secrets=secrets, variables=variables,
                   local_repositories=act_module.snapshot_actions(repo))
    return Outcome(done.returncode, done.output)


def dispatch(act: act_module.Act, repo: Path, *, inputs: dict[str, str], secrets: dict[str, str] = {},
             ref: str | None = None) -> Outcome:
    args = ["workflow_dispatch", "-W", ".github/workflows/model-pipeline.yml"]
    for key, value in inputs.items():
        args += ["--input", f"{key}={value}"]
    event = {"inputs": inputs, **({"ref": ref} if ref else {})}
    return run_in(act, repo, args, secrets=secrets, event=event)


def stored(registry) -> list[str]:
    return sorted(p.name for p in registry.packages.rglob("*") if p.is_file())


def nexus(registry, credentials) -> dict[str, str]:
    username, password = credentials
    return {"NEXUS_URL": registry.upload_url, "NEXUS_USERNAME": username, "NEXUS_PASSWORD": password}


@pytest.mark.slow
def test_a_consumer_publishes_through_the_workflow_and_the_actions_of_the_release_it_names(
        act, registry, credentials):
    # wheelwright is private: the consumer's own token cannot read it (the checkout double
    # refuses it), so the run gets wheelwright's code only as GitHub fetches actions.
    repo, _ = wheelwright(act)
    released = release.cut("1.0.0", repo)
    code = release.references(release.git("show", f"v1.0.0:{release.WORKFLOW}", cwd=repo))[0].ref
    # main moves on after the release with code that must not run: callers asked for v1.
    (repo / "scripts" / "train.py").write_text('raise SystemExit("wheelwright after v1 ran, not v1")\n')
    act_module.commit_all(repo, "after v1")
    consumer = act.repository("acme/models", CONSUMER)
    act_module.copy_tree(ROOT / "model", consumer / "models" / "tumor-classifier")
    act_module.copy_tree(PACKAGES / "regressor", consumer / "models" / "diabetes-progression")
    # Decoys where the classic mistake (`uses: ./`, scripts from the caller's checkout) would look.
    (consumer / "scripts").mkdir()
    (consumer / "scripts" / "train.py").write_text('raise SystemExit("the caller\'s scripts ran")\n')
    act_module.commit_all(consumer, "models")
    username, password = credentials
    done = act.run(["push"], workdir=consumer,
                   secrets={"NEXUS_USERNAME": username, "NEXUS_PASSWORD": password},
                   variables={"NEXUS_URL": registry.upload_url},
                   doubles={"CHECKOUT_DOUBLE_DENY": act_module.WHEELWRIGHT},
                   local_repositories={"acme/wheelwright@v1": act.worktree(act_module.WHEELWRIGHT, "v1"),
                                       f"acme/wheelwright@{code}": act.worktree(act_module.WHEELWRIGHT, code)})
    run = Outcome(done.returncode, done.output)
    assert released == ("v1.0.0", "v1")
    assert run.returncode == 0, run.tail()
    assert run.result("Check both ways built and published") == "succeeded", run.tail()
    checked = "\n".join(run.lines("Check both ways built and published"))
    assert "ok: published (workflow) = true" in checked and "ok: published (actions) = true" in checked
    assert re.search(r"ok: verified on \(workflow\): 3\.11\.\d+ 3\.12\.\d+ 3\.13\.\d+", checked)
    assert stored(registry) == ["diabetes_progression-0.3.0.dev1-py3-none-any.whl",
                                "tumor_classifier-1.2.0.dev1-py3-none-any.whl"]
    assert "ran, not v1" not in run.log and "the caller's scripts ran" not in run.log
    assert "checkout double: acme/wheelwright" not in run.log


@pytest.mark.slow
def test_model_code_that_hunts_for_the_credentials_finds_none_and_its_extra_wheel_is_refused(
        act, registry, credentials):
    repo, _ = wheelwright(act)
    act_module.copy_tree(PACKAGES / "thief", repo / "thief")
    act_module.commit_all(repo, "a model whose code hunts for credentials")
    run = dispatch(act, repo, inputs={"project-dir": "thief", "publish": "true"}, secrets=nexus(registry, credentials))
    build, publish = "Train, test and build", "Publish"
    assert run.returncode != 0
    # Training planted code for later steps through GITHUB_ENV and GITHUB_PATH; it ran
    # there, in its own job, and slipped a second wheel into the artifact.
    build_log = "\n".join(run.lines(build))
    assert "THIEF-PLANT planted through GITHUB_ENV, GITHUB_PATH" in build_log
    assert "THIEF-PLANT fake python ran in job build" in build_log
    assert "THIEF-PLANT BASH_ENV ran in job build" in build_log
    assert "THIEF-PLANT slipped thief_model-0.1.0.dev1-py2.py3-none-any.whl into the artifact" in build_log
    assert run.result(build) == "succeeded"
    # Everything it planted looked, in its environment and every /proc/<pid>/environ it
    # could read, and never found this run's credentials.
    hunts = [line for line in run.log.splitlines() if "THIEF-LOOT in " in line]
    assert {re.search(r"THIEF-LOOT in (.+?) \(", line)[1] for line in hunts} >= {
        "training", "a planted sitecustomize"}
    for secret in credentials:
        assert hashlib.sha256(secret.encode()).hexdigest()[:16] not in run.log
    # None of its plants reached the jobs that hold the credentials.
    for job in ("Check the repository answers", publish):
        assert run.lines(job) and not [line for line in run.lines(job) if "THIEF-" in line], job
    assert run.result("Check the repository answers") == "succeeded"
    # Publish looked at the artifact, refused the whole of it, and uploaded nothing.
    assert run.result(publish) == "failed"
    refused = "\n".join(run.lines(publish))
    assert "thief_model-0.1.0.dev1-py2.py3-none-any.whl (one of 2 wheels of thief-model 0.1.0.dev1" in refused
    assert "Nothing was uploaded" in refused
    assert run.result("Verify the published wheel") == "not run"
    assert stored(registry) == []


@pytest.mark.slow
def test_a_release_tag_publishes_exactly_that_version_and_wheelwrights_own_tags_release_nothing(
        act, registry, credentials):
    repo, _ = wheelwright(act)
    username, password = credentials
    secrets = {"NEXUS_USERNAME": username, "NEXUS_PASSWORD": password}
    variables = {"NEXUS_URL": registry.upload_url}
    run = run_in(act, repo, ["push", "-W", ".github/workflows/release.yml"], secrets=secrets,
                 variables=variables, event={"ref": "refs/tags/tumor-classifier-v1.2.0"})
    assert run.returncode == 0, run.tail()
    assert {job: run.result(job) for job in JOBS} == dict.fromkeys(JOBS, "succeeded"), run.tail()
    decided = run.outputs("Decide the version")
    assert decided["version"] == "1.2.0" and decided["kind"] == "release"
    built = run.outputs("Train, test and build")
    assert built["wheel"] == "tumor_classifier-1.2.0-py3-none-any.whl"
    assert json.loads(built["metrics"])["roc_auc"] >= 0.98
    assert run.outputs("Publish")["published"] == "true"
    assert stored(registry) == ["tumor_classifier-1.2.0-py3-none-any.whl"]
    # The wheel in the repository is the one built, and verify installed and scored it.
    stored_wheel = next(registry.packages.rglob("*.whl"))
    assert hashlib.sha256(stored_wheel.read_bytes()).hexdigest() == built["sha256"]
    assert re.search(r"predicts the 143 hold-out rows on Python 3\.11\.\d+, 3\.12\.\d+, 3\.13\.\d+ at", run.log)
    assert not run.ran("Check the release's references", "Check the release's references")
    # wheelwright's own release tag: its references are checked, and no model is released.
    release.cut("1.0.0", repo)
    tagged = run_in(act, repo, ["push", "-W", ".github/workflows/release.yml"], secrets=secrets,
                    variables=variables, event={"ref": "refs/tags/v1.0.0"})
    assert tagged.returncode == 0, tagged.tail()
    assert tagged.result("Check the release's references") == "succeeded", tagged.tail()
    assert "differs from it in the workflow file only" in tagged.log
    assert tagged.result("Decide the version") == "not run"
    assert stored(registry) == ["tumor_classifier-1.2.0-py3-none-any.whl"]


@pytest.mark.slow
def test_a_model_under_the_quality_gate_fails_the_build_job_and_nothing_is_published(
        act, registry, credentials, tmp_path):
    repo, _ = wheelwright(act)
    act_module.copy_tree(PACKAGES / "weak-model", repo / "weak-model")
    act_module.commit_all(repo, "add a weak model")
    run = dispatch(act, repo, inputs={"project-dir": "weak-model", "publish": "true"},
                   secrets=nexus(registry, credentials))
    assert run.returncode != 0
    assert run.result("Check the repository answers") == "succeeded"
    assert run.result("Train, test and build") == "failed"
    assert "Quality gate: on 143 hold-out rows, roc_auc 0.5000 is below the minimum 0.9000" in run.log
    assert not run.ran("Train, test and build", "Build the wheel")
    assert run.result("Publish") == "not run" and run.result("Verify the published wheel") == "not run"
    assert stored(registry) == []


@pytest.mark.slow
def test_publishing_without_credentials_fails_before_training(act, registry):
    repo, _ = wheelwright(act)
    run = dispatch(act, repo, inputs={"project-dir": "model", "publish": "true"},
                   secrets={"NEXUS_URL": registry.upload_url})
    assert run.returncode != 0
    assert run.result("Check the repository answers") == "failed"
    assert "NEXUS_USERNAME" in "\n".join(run.lines("Check the repository answers"))
    assert run.result("Train, test and build") == "not run"
    assert stored(registry) == []


@pytest.mark.slow
def test_a_stale_project_lock_fails_before_training(act):
    repo, _ = wheelwright(act)
    project = repo / "locked-model"
    act_module.copy_tree(ROOT / "model", project)
    # The project's own lock: pins cut from the pipeline's lock, so nothing new is installed.
    (project / "requirements.in").write_text("scikit-learn\njoblib\nrich-click\n")
    (project / "requirements.txt").write_text(lock_subset(("scikit-learn", "joblib")))
    act_module.commit_all(repo, "a model with a stale lock")
    run = dispatch(act, repo, inputs={"project-dir": "locked-model"})
    assert run.returncode != 0
    assert run.result("Train, test and build") == "failed"
    assert "requirements.in names rich-click, which requirements.txt does not pin" in run.log
    assert not run.ran("Train, test and build", "Train the model")


@pytest.mark.slow
def test_a_release_tag_the_project_disagrees_with_or_a_malformed_one_fails_before_training(act, registry, credentials):
    repo, _ = wheelwright(act)
    username, password = credentials
    run = run_in(act, repo, ["push", "-W", ".github/workflows/release.yml"],
                 secrets={"NEXUS_USERNAME": username, "NEXUS_PASSWORD": password},
                 variables={"NEXUS_URL": registry.upload_url},
                 event={"ref": "refs/tags/tumor-classifier-v9.9.9"})
    assert run.returncode != 0
    assert run.result("Decide the version") == "failed"
    assert "The tag tumor-classifier-v9.9.9 releases 9.9.9, but model/pyproject.toml declares version 1.2.0" in run.log
    assert run.result("Train, test and build") == "not run"
    # A tag that starts like a release but names none fails the same way, naming the form.
    malformed = run_in(act, repo, ["push", "-W", ".github/workflows/release.yml"],
                       secrets={"NEXUS_USERNAME": username, "NEXUS_PASSWORD": password},
                       variables={"NEXUS_URL": registry.upload_url},
                       event={"ref": "refs/tags/tumor-classifier-v1.2.0-final"})
    assert malformed.returncode != 0
    assert malformed.result("Decide the version") == "failed"
    assert "looks like a release tag but does not name a release version" in malformed.log
    assert "churn-model-v1.2.3" in malformed.log  # the hint's examples of the form expected
    assert malformed.result("Train, test and build") == "not run"
    assert stored(registry) == []


def lock_subset(names: tuple[str, ...]) -> str:
    """The blocks of this repository's lock that pin ``names``, as a lock of their own."""
    blocks = re.split(r"\n(?=[A-Za-z0-9])", (ROOT / "requirements.txt").read_text(encoding="utf-8"))
    wanted = [b for b in blocks if re.match(rf"({'|'.join(map(re.escape, names))})==", b)]
    assert len(wanted) == len(names)
    return "".join(re.sub(r"    # via.*", "    # via -r requirements.in", b, flags=re.S).rstrip() + "\n"
                   for b in wanted)


@pytest.mark.slow
def test_ci_runs_this_commits_actions_on_the_example_model_without_publishing(act):
    repo, _ = wheelwright(act)
    run = run_in(act, repo, ["push", "-W", ".github/workflows/ci.yml", "-j", "actions"])
    assert run.returncode == 0, run.tail()
    job = "Pipeline (this commit's actions)"
    assert run.result(job) == "succeeded"
    lines = "\n".join(run.lines(job))
    assert "⭐ Run Main Build the wheel" in lines and "⚙  ::set-output:: version=1.2.0" in lines
    assert "Publish" not in lines
    uploaded = sorted(p.name for p in (act.artifacts / "1" / "wheelwright-dist-tumor-classifier").iterdir())
    assert uploaded == ["tumor_classifier-1.2.0-py3-none-any.whl"]
