"""The run-time package as users import it: a cheap import, the API, the same predictions
as the bare estimator, and no pandas needed for an array model.

The packages are built by test_runtime_packages.py, once per session; each holds a copy of
scripts/_runtime and a generated-style __init__.py, as a model wheel does.
"""

from __future__ import annotations

import json
import pickle
import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from test_runtime_packages import HEAVY, NO_PANDAS, SCENARIOS, Built, packages, python  # noqa: F401

Packages = Callable[[str], Built]


@pytest.mark.parametrize("package", ["rt_binary", "rt_categorical", "rt_regressor"])
def test_import_and_metadata_load_no_heavy_module(packages: Packages, package: str) -> None:
    built = packages(package)
    code = f"""
import json, sys
import {package} as pkg
model = pkg.Model()
facts = [pkg.metadata()["version"], model.feature_names, repr(model), pkg.__version__]
print(json.dumps([sorted({{m.split(".")[0] for m in sys.modules}} & set({HEAVY!r})), facts]))
"""
    loaded, facts = json.loads(python(code, built.site).stdout)
    assert loaded == []  # not even after reading the metadata
    assert facts[0] == facts[3] == "1.2.0"
    assert facts[1] == built.names


def test_the_generated_init_exports_the_api(packages: Packages) -> None:
    binary, regressor = packages("rt_binary").module(), packages("rt_regressor").module()
    assert binary.Classifier is binary.Model
    assert regressor.Regressor is regressor.Model
    for module in (binary, regressor):
        for name in ("Model", "ModelError", "ModelIntegrityError", "ModelVersionError", "metadata", "predict"):
            assert callable(getattr(module, name)), name
        assert issubclass(module.ModelIntegrityError, module.ModelError)
        assert issubclass(module.ModelVersionError, module.ModelError)
    assert callable(binary.predict_proba)
    assert not hasattr(regressor, "predict_proba")


@pytest.mark.parametrize("package", list(SCENARIOS))
def test_predictions_are_the_bare_estimators(packages: Packages, package: str) -> None:
    built = packages(package)
    module = built.module()
    model = module.Model()
    for method in built.manifest["methods"]:
        expected = getattr(built.estimator, method)(built.X)
        assert np.array_equal(getattr(model, method)(built.X), expected), method
        assert np.array_equal(getattr(module._runtime, method)(built.X), expected), method


def test_the_module_functions_use_one_shared_model(packages: Packages) -> None:
    module = packages("rt_binary").module()
    assert module._runtime.default_model() is module._runtime.default_model()
    assert module.metadata() == module.Model().metadata


def test_default_model_is_made_once_across_threads(packages: Packages, monkeypatch: pytest.MonkeyPatch) -> None:
    runtime = packages("rt_regressor").module()._runtime
    made = []

    class SlowModel(runtime.Model):
        def __init__(self) -> None:
            made.append(threading.get_ident())
            time.sleep(0.05)  # widen the window in which a second thread could make another
            super().__init__()

    monkeypatch.setattr(runtime, "Model", SlowModel)
    monkeypatch.setattr(runtime, "_default", None)
    found = []
    threads = [threading.Thread(target=lambda: found.append(runtime.default_model())) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(made) == 1
    assert len(found) == 8 and all(model is found[0] for model in found)


def test_a_regressor_has_neither_classes_nor_probabilities(packages: Packages) -> None:
    built = packages("rt_regressor")
    module = built.module()
    model = module.Model()
    assert not hasattr(model, "predict_proba")
    assert not hasattr(model, "decision_function")
    assert not hasattr(model, "classes")
    with pytest.raises(AttributeError, match=r"rt-regressor 1.2.0 has no predict_proba: .*Ridge, a regressor"):
        model.predict_proba(built.X)
    with pytest.raises(AttributeError, match="is a regressor, which has no classes"):
        model.classes  # noqa: B018
    with pytest.raises(AttributeError, match="has no predict_proba"):
        module._runtime.predict_proba(built.X)
    assert model.predict(built.X).dtype == np.float64


def test_a_classifier_has_only_the_methods_its_estimator_has(packages: Packages) -> None:
    forest = packages("rt_multiclass").module().Model()
    assert hasattr(forest, "predict_proba") and not hasattr(forest, "decision_function")
    with pytest.raises(AttributeError, match=r"has no decision_function: .*RandomForestClassifier, a classifier"):
        forest.decision_function([[0.0] * 13])
    assert forest.classes == [0, 1, 2]
    linear = packages("rt_binary").module().Model()
    assert linear.classes == ["benign", "malignant"]
    assert linear.decision_function(packages("rt_binary").X).shape == (40,)


def test_probabilities_follow_the_classes(packages: Packages) -> None:
    built = packages("rt_multiclass")
    model = built.module().Model()
    proba = model.predict_proba(built.X)
    assert proba.shape == (len(built.X), 3)
    assert np.allclose(proba.sum(axis=1), 1.0)
    assert [model.classes[i] for i in proba.argmax(axis=1)] == model.predict(built.X).tolist()


def test_metadata_is_the_manifest_and_a_copy(packages: Packages) -> None:
    built = packages("rt_binary")
    model = built.module().Model()
    assert model.metadata == built.manifest
    model.metadata["classes"].reverse()
    model.feature_names.reverse()
    model.classes.reverse()
    assert model.metadata["classes"] == model.classes == ["benign", "malignant"]
    assert model.feature_names == built.names


def test_scikit_learn_checks_finiteness_again_after_a_prediction(packages: Packages) -> None:
    import sklearn

    built = packages("rt_binary")
    built.module().Model().predict(built.X[:1])
    assert sklearn.get_config()["assume_finite"] is False


def test_a_model_pickles_as_its_folder(packages: Packages) -> None:
    built = packages("rt_categorical")
    model = built.module().Model(built.package_dir)
    copy = pickle.loads(pickle.dumps(model))
    assert copy.model_dir == model.model_dir
    assert np.array_equal(copy.predict_proba(built.X), model.predict_proba(built.X))


@pytest.mark.parametrize("package", ["rt_binary", "rt_regressor", "rt_imputed"])
def test_an_array_model_predicts_without_pandas(packages: Packages, package: str) -> None:
    # pandas is optional: block it (scikit-learn imports it when it can), then predict.
    built = packages(package)
    code = NO_PANDAS + f"""
import json, sys
import {package} as pkg
rows = {json.dumps(built.X[:3].tolist())}
print(json.dumps([pkg.predict(rows).tolist(), "pandas" in sys.modules]))
"""
    predicted, imported = json.loads(python(code.replace("NaN", "float('nan')"), built.site).stdout)
    assert predicted == built.estimator.predict(built.X[:3]).tolist()
    assert imported is False


def test_the_blocker_does_block_pandas(packages: Packages) -> None:
    # The control for the test above: a DataFrame model cannot predict without pandas.
    built = packages("rt_multiclass")
    code = NO_PANDAS + f"import rt_multiclass; rt_multiclass.predict([[1.0] * {len(built.names)}])"
    result = python(code, built.site, check=False)
    assert result.returncode == 1 and "pandas is not installed here" in result.stderr


def test_docstring_examples_run(packages: Packages) -> None:
    built = packages("rt_binary")
    code = """
import doctest, importlib
attempted = failed = 0
for name in ("rt_binary._runtime._inputs", "rt_binary._runtime._model", "rt_binary._runtime._api"):
    result = doctest.testmod(importlib.import_module(name))
    attempted += result.attempted
    failed += result.failed
print(attempted, failed)
"""
    attempted, failed = python(code, built.site).stdout.split()
    assert int(attempted) >= 8 and failed == "0"


def test_the_runtime_imports_only_the_standard_library_at_import_time() -> None:
    # Every module-level import of scripts/_runtime is from the standard library or the
    # package itself (the heavy ones are imported inside functions), but _inputs, which
    # is imported only by the first prediction.
    import ast
    import sys

    runtime = Path(__file__).resolve().parent.parent / "scripts" / "_runtime"
    for path in runtime.glob("*.py"):
        if path.name == "_inputs.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            else:
                continue
            for name in names:
                assert name.split(".")[0] in sys.stdlib_module_names | {"__future__"}, (path.name, name)
