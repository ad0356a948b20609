"""The test, build and verify stages on real fixture projects: each passes what it must and
refuses what it must, saying why, with the exit code to match."""

from __future__ import annotations

import csv
import email.parser
import json
import math
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from projects import IRIS, copy_project, environment, stage, write_project

STAGES = ("pin", "train", "test", "build", "publish", "verify", "version", "pipeline", "registry", "new",
          "summary")


def test_every_stage_answers_help():
    for name in STAGES:
        result = stage(name, "--help")
        assert result.returncode == 0, (name, result.stderr)
        assert "usage:" in result.stdout


def test_a_folder_without_pyproject_is_not_a_model_project(tmp_path):
    for name in ("train", "test", "build"):
        result = stage(name, "--project-dir", tmp_path)
        assert result.returncode == 1
        assert "is not a model project" in result.stderr and "--project-dir" in result.stderr


def retrained(trained, name: str, dest: Path) -> Path:
    """A private copy of a session-trained fixture, free to change."""
    return Path(shutil.copytree(trained(name).root, dest, symlinks=True,
                                ignore=shutil.ignore_patterns("lock")))


# --- test: the quality gate, then the project's own tests -----------------------------------

def test_the_gate_passes_a_good_model_then_its_own_tests_run(trained):
    result = stage("test", "--project-dir", trained("multiclass").root)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "passed: roc_auc_ovr 1.0000 >= 0.95, f1_macro" in result.stdout
    assert "1 passed" in result.stdout  # tests/test_wine.py, importing the package


def test_a_weak_model_is_stopped_by_the_gate(trained):
    result = stage("test", "--project-dir", trained("weak").root)
    assert result.returncode == 1
    assert "Quality gate: on 143 hold-out rows, roc_auc 0.5000 is below the minimum 0.9000; " \
           "nothing will be built or published." in result.stderr


def set_gate(project: Path, package: str, gate: dict[str, float]) -> None:
    """Change the gate in pyproject.toml and in the trained manifest alike."""
    pyproject = project / "pyproject.toml"
    table = ", ".join(f"{name} = {value!r}" for name, value in gate.items())
    pyproject.write_text(re.sub(r"^gate = .*$", f"gate = {{ {table} }}", pyproject.read_text(), flags=re.M))
    manifest_path = project / ".wheelwright" / "package" / package / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["gate"] = gate
    manifest_path.write_text(json.dumps(manifest))


def test_a_score_exactly_at_the_minimum_passes_and_a_hair_above_fails(trained, tmp_path):
    project = retrained(trained, "regressor", tmp_path / "p")
    manifest = json.loads((project / ".wheelwright/package/diabetes_progression/manifest.json").read_text())
    r2 = manifest["metrics"]["r2"]
    set_gate(project, "diabetes_progression", {"r2": r2})
    assert stage("test", "--project-dir", project).returncode == 0
    set_gate(project, "diabetes_progression", {"r2": math.nextafter(r2, 2)})
    failed = stage("test", "--project-dir", project)
    assert failed.returncode == 1 and "r2 " in failed.stderr and "is below the minimum" in failed.stderr


def test_the_gate_uses_the_configured_metric(trained, tmp_path):
    project = retrained(trained, "regressor", tmp_path / "p")
    set_gate(project, "diabetes_progression", {"neg_mean_absolute_error": -1.0})
    result = stage("test", "--project-dir", project)
    assert result.returncode == 1
    assert "neg_mean_absolute_error -4" in result.stderr and "below the minimum -1.0000" in result.stderr


def test_scores_that_differ_from_the_recorded_ones_fail(trained, tmp_path):
    project = retrained(trained, "multiclass", tmp_path / "p")
    path = project / ".wheelwright/package/wine_classifier/manifest.json"
    manifest = json.loads(path.read_text())
    manifest["metrics"]["accuracy"] -= 0.01
    path.write_text(json.dumps(manifest))
    result = stage("test", "--project-dir", project)
    assert result.returncode == 1
    assert "The package scores differently from the model training scored: accuracy" in result.stderr


def test_a_failing_project_test_fails_the_stage(trained, tmp_path):
    project = retrained(trained, "multiclass", tmp_path / "p")
    (project / "tests" / "test_broken.py").write_text("def test_broken():\n    assert 1 == 2\n")
    result = stage("test", "--project-dir", project)
    assert result.returncode == 1
    assert "1 failed" in result.stdout and "The model project's tests failed" in result.stderr


def test_the_projects_tests_see_no_credential(trained, tmp_path):
    project = retrained(trained, "multiclass", tmp_path / "p")
    (project / "tests" / "test_env.py").write_text(
        "import os\n\ndef test_no_secret():\n"
        "    assert not [k for k in os.environ if k.startswith(('NEXUS_', 'TWINE_'))]\n")
    env = environment(NEXUS_PASSWORD="hunter2", NEXUS_USERNAME="ci", TWINE_PASSWORD="x", NEXUS_URL="https://n/")
    result = stage("test", "--project-dir", project, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 passed" in result.stdout


def test_a_project_without_tests_relies_on_the_gate(tmp_path):
    project = write_project(tmp_path / "p", IRIS)
    assert stage("train", "--project-dir", project).returncode == 0
    result = stage("test", "--project-dir", project)
    assert result.returncode == 0 and "has no tests of its own" in result.stdout


# --- build: the wheel, and the wheel installed alone ------------------------------------------

def wheel_members(wheel: Path) -> tuple[set[str], email.message.Message]:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        meta = next(n for n in names if n.endswith(".dist-info/METADATA"))
        return names, email.parser.BytesParser().parsebytes(archive.read(meta))


@pytest.mark.slow
@pytest.mark.parametrize("fixture, package, requires", [
    ("tumor", "tumor_classifier", {"scikit-learn==1.9.*", "numpy>=2,<3", "joblib>=1,<2", "pandas>=3,<4"}),
    ("regressor", "diabetes_progression", {"scikit-learn==1.9.*", "numpy>=2,<3", "joblib>=1,<2"}),
    ("own-dependency", "review_sentiment", {"unidecode>=1.3", "scikit-learn==1.9.*"}),
])
def test_the_wheel_holds_the_package_and_declares_what_the_model_needs(built, fixture, package, requires):
    wheel = built(fixture)
    names, metadata = wheel_members(wheel)
    for member in ("__init__.py", "__main__.py", "py.typed", "model.joblib", "manifest.json", "MODEL_CARD.md",
                   "_runtime/__init__.py"):
        assert f"{package}/{member}" in names
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]
    declared = {str(Requirement(r)) for r in metadata.get_all("Requires-Dist")}
    assert {str(Requirement(r)) for r in requires} <= declared, declared
    assert metadata["Description-Content-Type"] == "text/markdown"
    assert not list(wheel.parent.glob("*.tar.gz"))  # no sdist unless asked for


@pytest.mark.slow
def test_the_wheel_installed_alone_compiles_into_the_projects_bytecode_folder(built, trained):
    # The fresh environment is made at the same place every build and removed after, so
    # what its check imports (scikit-learn, pandas) is compiled once per project, not per build.
    built("tumor")
    project = trained("tumor")
    assert not (project.work / "installed").exists()
    compiled = [p for p in project.pycache.rglob("*.pyc") if "installed" in p.parts]
    assert any("sklearn" in p.parts for p in compiled), "the check's imports left no bytecode in the project's"


@pytest.mark.slow
def test_a_dependency_missing_from_the_metadata_stops_the_build(trained, tmp_path):
    project = retrained(trained, "own-dependency", tmp_path / "p")
    pyproject = project / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('dependencies = ["unidecode>=1.3"]\n', ""))
    result = stage("build", "--project-dir", project)
    assert result.returncode == 1
    assert "installed alone, cannot import 'unidecode'" in result.stderr
    assert "Add the distribution that provides 'unidecode' to [project] dependencies" in result.stderr
    assert not list((project / ".wheelwright" / "dist").glob("*.whl"))


def test_a_declared_dependency_that_excludes_the_trained_version_is_named(trained, tmp_path):
    project = retrained(trained, "regressor", tmp_path / "p")
    pyproject = project / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace(
        'description = "Predicts', 'dependencies = ["scikit-learn<1.0"]\ndescription = "Predicts'))
    result = stage("build", "--project-dir", project)
    assert result.returncode == 1
    assert "asks for scikit-learn<1.0, but the model was trained with scikit-learn 1.9" in result.stderr


@pytest.mark.slow
def test_an_sdist_is_built_only_when_asked_for(trained, tmp_path):
    project = retrained(trained, "regressor", tmp_path / "p")
    result = stage("build", "--project-dir", project, "--sdist", "--outdir", tmp_path / "dist")
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in (tmp_path / "dist").iterdir()) == [
        "diabetes_progression-0.3.0-py3-none-any.whl", "diabetes_progression-0.3.0.tar.gz"]


#: A model carrying 3 MB of random bytes: deflate cannot shrink them.
RANDOM_WEIGHTS = IRIS + '''

_train = train


def train():
    import numpy as np

    model, X_test, y_test = _train()
    model.weights_ = np.frombuffer(np.random.default_rng(0).bytes(3_000_000), dtype=np.uint8)
    return model, X_test, y_test
'''


@pytest.mark.slow
def test_a_model_deflate_cannot_shrink_is_stored_and_the_rest_deflated(built, tmp_path):
    project = write_project(tmp_path / "p", RANDOM_WEIGHTS)
    for name in ("train", "build"):
        result = stage(name, "--project-dir", project)
        assert result.returncode == 0, result.stdout + result.stderr
    with zipfile.ZipFile(next((project / ".wheelwright" / "dist").glob("*.whl"))) as archive:
        stored = [i.filename for i in archive.infolist() if i.compress_type == zipfile.ZIP_STORED]
        assert stored == ["tiny_model/model.joblib"]
        assert archive.getinfo("tiny_model/model.joblib").file_size > 3_000_000
        assert "_backend.py" not in archive.namelist()
    # A model that shrinks (the example's, and every other member) is deflated as hatchling does.
    with zipfile.ZipFile(built("tumor")) as archive:
        assert {i.compress_type for i in archive.infolist()} == {zipfile.ZIP_DEFLATED}


def package_files(package_root: Path) -> dict[str, bytes]:
    return {p.relative_to(package_root).as_posix(): p.read_bytes()
            for p in sorted(package_root.rglob("*"))
            if p.is_file() and p.name not in ("pyproject.toml", "_backend.py")}  # the build's, not train's


@pytest.mark.slow
@pytest.mark.parametrize("fixture", ["tumor", "multiclass", "regressor", "categorical", "own-dependency", "weak"])
def test_the_same_commit_trains_the_same_package_twice(trained, fixture, tmp_path):
    again = copy_project(fixture, tmp_path / fixture)
    result = stage("train", "--project-dir", again)
    assert result.returncode == 0, result.stdout + result.stderr
    first = package_files(trained(fixture).build_root)
    second = package_files(again / ".wheelwright" / "package")
    assert first.keys() == second.keys()
    assert [name for name in first if first[name] != second[name]] == []
    assert (again / ".wheelwright" / "holdout.csv").read_bytes() == trained(fixture).holdout.read_bytes()


@pytest.mark.slow
def test_the_same_package_builds_the_same_wheel_twice(built, tmp_path):
    first = built("categorical")
    again = copy_project("categorical", tmp_path / "again")
    for name in ("train", "build"):
        result = stage(name, "--project-dir", again)
        assert result.returncode == 0, result.stdout + result.stderr
    second = next((again / ".wheelwright" / "dist").glob("*.whl"))
    assert second.name == first.name and second.read_bytes() == first.read_bytes()


# --- The package, imported as its users will -------------------------------------------------

def run_python(code: str, package_root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=package_root,
                          env=environment(PYTHONPATH=str(package_root)))


@pytest.mark.parametrize("fixture, package, alias", [
    ("multiclass", "wine_classifier", "Classifier"),
    ("regressor", "diabetes_progression", "Regressor"),
])
def test_the_generated_api_is_named_for_the_task(trained, fixture, package, alias):
    code = (f"import json, sys, {package} as p\n"
            f"print(json.dumps([p.{alias} is p.Model, hasattr(p, 'predict_proba'), p.__version__, "
            f"sorted(set(sys.modules) & {{'sklearn', 'numpy', 'pandas', 'joblib'}})]))")
    done = run_python(code, trained(fixture).build_root)
    assert done.returncode == 0, done.stderr
    same, proba, version, heavy = json.loads(done.stdout)
    assert same and proba == (alias == "Classifier") and heavy == []
    assert version == json.loads(trained(fixture).manifest.read_text())["version"]


def test_the_card_is_filled_from_the_manifest(trained):
    card = (trained("categorical").package_dir / "MODEL_CARD.md").read_text()
    assert card.startswith("# churn-model 1.0.0\n")
    assert "| roc_auc | 0.80" in card and "| `contract` | string |" in card and "churn_model.predict_proba" in card


def test_a_card_template_with_an_unknown_field_is_refused(tmp_path):
    project = write_project(tmp_path / "p", IRIS)
    (project / "MODEL_CARD.md").write_text("# {name}\n\nScore: {metrics[accuracy]:.2f}, by {author}\n")
    result = stage("train", "--project-dir", project)
    assert result.returncode == 1
    assert "MODEL_CARD.md cannot be filled from the manifest: KeyError: 'author'" in result.stderr


SPY = '''
import json, os
from pathlib import Path
from sklearn.base import BaseEstimator, TransformerMixin

# Runs wherever the model is unpickled: training's scoring, the gate, the build's check.
with open(os.environ["SPY_LOG"], "a") as log:
    log.write(json.dumps(sorted(os.environ)) + "\\n")


class Same(TransformerMixin, BaseEstimator):
    def fit(self, X, y=None):
        return self

    def transform(self, X):
        return X
'''


def test_no_process_that_runs_the_models_code_sees_a_credential(tmp_path, registry):
    project = write_project(tmp_path / "p", IRIS.replace(
        "return LogisticRegression(max_iter=500).fit(X_train, y_train), X_test, y_test",
        "from sklearn.pipeline import make_pipeline\n    from tiny_model.spy import Same\n"
        "    return make_pipeline(Same(), LogisticRegression(max_iter=500)).fit(X_train, y_train), X_test, y_test"))
    (project / "src" / "tiny_model").mkdir(parents=True)
    (project / "src" / "tiny_model" / "spy.py").write_text(SPY)
    log = tmp_path / "spy.log"
    secrets = {"NEXUS_PASSWORD": "hunter2", "NEXUS_USERNAME": "ci", "NEXUS_URL": "https://n/",
               "TWINE_PASSWORD": "hunter3", "TWINE_USERNAME": "ci", "TWINE_REPOSITORY_URL": "https://n/"}
    for name in ("train", "test", "build"):
        result = stage(name, "--project-dir", project, env=environment(SPY_LOG=str(log), **secrets))
        assert result.returncode == 0, result.stdout + result.stderr
    wheel = next((project / ".wheelwright" / "dist").glob("*.whl"))
    shutil.copy(wheel, registry.packages)  # published
    result = stage("verify", "--project-dir", project, "--repository-url", registry.upload_url, "--wheel", wheel,
                   "--python", "%d.%d" % sys.version_info[:2], env=environment(SPY_LOG=str(log), **secrets))
    assert result.returncode == 0, result.stdout + result.stderr
    seen = [json.loads(line) for line in log.read_text().splitlines()]
    assert len(seen) >= 4  # training, the gate, the wheel installed alone, the wheel installed from the index
    assert not [name for names in seen for name in names if name.startswith(("NEXUS_", "TWINE_"))]


def test_the_weak_models_own_test_fails_once_the_gate_lets_it_through(trained, tmp_path):
    # The fixture's test must really fail for a constant model, or "a project test fails"
    # is never exercised on a model that deserves it.
    project = retrained(trained, "weak", tmp_path / "p")
    set_gate(project, "weak_model", {"roc_auc": 0.5})  # its score exactly: the gate passes
    result = stage("test", "--project-dir", project)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "passed: roc_auc 0.5000 >= 0.5" in result.stdout
    assert "1 failed" in result.stdout and "test_the_model_tells_tumours_apart" in result.stdout
    assert "The model project's tests failed" in result.stderr


#: A tumor_classifier that says "benign" to everything, with no confidence either way.
CONSTANT_TUMOR_CLASSIFIER = '''
import numpy as np


class Classifier:
    classes = ["benign", "malignant"]


def predict(rows):
    return np.array(["benign"] * len(rows))


def predict_proba(rows):
    return np.full((len(rows), 2), 0.5)
'''


def test_the_examples_own_quality_tests_fail_for_a_model_that_learned_nothing(tmp_path):
    # model/tests must test the package the pipeline built, not a model of their own: run
    # against a package that predicts one class, its quality tests fail. (A test that fits
    # its own estimator passes whatever the package does.)
    from sklearn.datasets import load_breast_cancer

    data = load_breast_cancer()
    holdout = tmp_path / "holdout.csv"
    with holdout.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow([*data.feature_names, "diagnosis"])
        for row, target in list(zip(data.data, data.target))[::5]:
            writer.writerow([*row, data.target_names[target]])
    (tmp_path / "package").mkdir()
    (tmp_path / "package" / "tumor_classifier.py").write_text(CONSTANT_TUMOR_CLASSIFIER)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "--tb=no", "-rf",
         Path(__file__).resolve().parent.parent / "model" / "tests"],
        cwd=tmp_path, capture_output=True, text=True,
        env=environment(PYTHONPATH=str(tmp_path / "package"), WHEELWRIGHT_HOLDOUT=str(holdout)))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "FAILED" in result.stdout and "test_it_misses_few_malignant_tumours" in result.stdout, result.stdout
    assert "test_probabilities_are_calibrated_enough_to_rank" in result.stdout, result.stdout


def test_the_models_processes_write_bytecode_to_the_work_folder_only(trained):
    project = trained("tumor")
    # Compiled once per project and kept, wherever the library lives (--no-compile installs).
    assert any(project.pycache.rglob("sklearn/**/*.pyc"))
    strays = [p for p in project.root.rglob("__pycache__") if project.work not in p.parents]
    assert strays == []  # nothing beside the project's files, nothing in the package's tree
