"""_package: what the wheel declares and the TOML it is built from, in-process.

What the wheel holds, built and installed, is tested by test_stages.py; these are the pure
functions that decide its dependencies and write its pyproject.toml's values.
"""

from __future__ import annotations

import random
import tomllib
import zlib

import numpy as np
import pytest

from _package import deflated_fraction, pin, pyproject, requirements, stored_members, toml_value
from _wheelwright import PipelineError

TRAINED = {"versions": {"python": "3.11.7", "scikit-learn": "1.9.1", "numpy": "2.4.6", "joblib": "1.5.2"}}


# --- pin: how far a library trained with may move ---------------------------------------------

@pytest.mark.parametrize("name, version, expected", [
    ("scikit-learn", "1.9.1", "scikit-learn==1.9.*"),     # pickles hold within a release series only
    ("scikit-learn", "1.10.0rc1", "scikit-learn==1.10.*"),
    ("Scikit-Learn", "1.9.1", "Scikit-Learn==1.9.*"),
    ("scikit-learn", "2", "scikit-learn==2.0.*"),
    ("scikit-learn", "1.dev3", "scikit-learn==1.0.*"),
    ("numpy", "2.4.6", "numpy>=2,<3"),                   # the others: their major release
    ("pandas", "3.0.0", "pandas>=3,<4"),
    ("joblib", "1", "joblib>=1,<2"),
    ("tinylib", "0.7.3", "tinylib>=0.7,<0.8"),           # before 1.0, a minor release may break
    ("tinylib", "0.12", "tinylib>=0.12,<0.13"),
    ("tinylib", "0", "tinylib>=0.0,<0.1"),
])
def test_a_library_is_pinned_as_far_as_its_pickles_load(name, version, expected):
    assert pin(name, version) == expected


# --- requirements: the wheel's dependencies ------------------------------------------------------

def test_every_library_the_model_was_trained_with_is_pinned_and_python_is_not():
    assert requirements(TRAINED, ()) == ["joblib>=1,<2", "numpy>=2,<3", "scikit-learn==1.9.*"]


def test_the_projects_own_dependencies_are_added_sorted_without_case():
    assert requirements(TRAINED, ("Unidecode>=1.3", "attrs")) == [
        "attrs", "joblib>=1,<2", "numpy>=2,<3", "scikit-learn==1.9.*", "Unidecode>=1.3"]


def test_a_declared_library_the_model_was_trained_with_keeps_the_trained_pin():
    # A requirement that admits the trained version adds nothing: the pin is stricter.
    assert requirements(TRAINED, ("numpy>=1.20", "Scikit_Learn", "joblib<=1.5.2")) == [
        "joblib>=1,<2", "numpy>=2,<3", "scikit-learn==1.9.*"]


def test_a_declared_prerelease_of_the_trained_version_is_admitted():
    trained = {"versions": {"scikit-learn": "1.9.0rc1"}}
    assert requirements(trained, ("scikit-learn>=1.9.0rc1",)) == ["scikit-learn==1.9.*"]


def test_a_declared_requirement_that_excludes_the_trained_version_is_refused_naming_both():
    with pytest.raises(PipelineError) as caught:
        requirements(TRAINED, ("attrs", "numpy<2"))
    assert caught.value.message == ("[project] dependencies asks for numpy<2, but the model was trained with "
                                    "numpy 2.4.6.")
    assert caught.value.hint == "Widen the requirement to admit 2.4.6, or train with a version it admits."


def test_a_declared_line_that_is_no_requirement_is_named():
    with pytest.raises(PipelineError) as caught:
        requirements(TRAINED, ("attrs", "not a requirement!"))
    assert caught.value.message.startswith(
        "[project] dependencies holds 'not a requirement!', not a requirement: ")
    assert caught.value.message.endswith(".")


def test_a_declared_requirement_keeps_its_markers_and_extras():
    assert requirements({"versions": {}}, ('tomli>=2; python_version < "3.11"', "requests[socks]>=2")) == [
        "requests[socks]>=2", 'tomli>=2; python_version < "3.11"']


# --- toml_value: the generated pyproject.toml ----------------------------------------------------

@pytest.mark.parametrize("value, text", [
    (True, "true"),
    (False, "false"),
    (0, "0"),
    (3, "3"),
    (0.25, "0.25"),
    ("churn-model", '"churn-model"'),
    ('say "hi"\\\n\tnow', '"say \\"hi\\"\\\\\\n\\tnow"'),
    ("Ünïcode", '"Ünïcode"'),
    ([], "[]"),
    (["a", 1, False], '["a", 1, false]'),
    ({}, "{}"),
    ({"file": "README.md", "content-type": "text/markdown"},
     '{"file" = "README.md", "content-type" = "text/markdown"}'),
    ([{"name": "A. Person", "email": "a@example.com"}], '[{"name" = "A. Person", "email" = "a@example.com"}]'),
])
def test_values_are_written_as_toml(value, text):
    assert toml_value(value) == text
    assert tomllib.loads(f"v = {text}")["v"] == value


@pytest.mark.parametrize("value", [None, (1, 2), {1, 2}, b"bytes"])
def test_a_value_toml_cannot_hold_is_refused(value):
    with pytest.raises(PipelineError) as caught:
        toml_value(value)
    assert caught.value.message == f"Cannot write {value!r} into the generated pyproject.toml."


def test_a_nested_value_toml_cannot_hold_is_refused():
    with pytest.raises(PipelineError, match="Cannot write None"):
        toml_value({"authors": [{"name": None}]})


# --- Which members are stored: the rule, on files of known content -----------------------------

class FakeProject:
    def __init__(self, root):
        self.build_root = root
        self.package_dir = root / "pkg"
        self.package_dir.mkdir(parents=True)


def test_random_bytes_are_stored_and_what_shrinks_is_deflated(tmp_path):
    project = FakeProject(tmp_path)
    noise = random.Random(0).randbytes(2 << 20)
    (project.package_dir / "model.joblib").write_bytes(noise)
    (project.package_dir / "text.bin").write_bytes(b"weights " * (300 << 10))
    # Bytes drawn from 192 values: deflate keeps about 95% (dense float weights keep 93-94%).
    rng = np.random.default_rng(2)
    (project.package_dir / "floats.bin").write_bytes(rng.integers(0, 192, 2 << 20, dtype=np.uint8).tobytes())
    # From 128 values: about 88%, just under the rule's 90%: deflated.
    (project.package_dir / "seven-bits.bin").write_bytes(rng.integers(0, 128, 2 << 20, dtype=np.uint8).tobytes())
    (project.package_dir / "small.bin").write_bytes(noise[: (1 << 20) - 1])  # under 1 MiB: never sampled
    assert deflated_fraction(project.package_dir / "model.joblib") > 0.99
    assert 0.90 < deflated_fraction(project.package_dir / "floats.bin") < 0.97
    assert 0.85 < deflated_fraction(project.package_dir / "seven-bits.bin") < 0.90
    assert deflated_fraction(project.package_dir / "text.bin") < 0.01
    assert stored_members(project) == ["pkg/floats.bin", "pkg/model.joblib"]


def test_the_sample_is_spread_over_the_whole_file(tmp_path):
    path = tmp_path / "half"
    noise = random.Random(1).randbytes(4 << 20)
    path.write_bytes(bytes(4 << 20) + noise)  # zeros, then noise: half the samples fall in each
    assert 0.4 < deflated_fraction(path) < 0.6
    assert len(zlib.compress(noise, 6)) > len(noise)  # the noise itself does not shrink


class Named:
    name, package, description, dependencies, metadata = "m", "m", "d", [], {}


def test_the_generated_pyproject_names_the_backend_and_the_stored_members():
    text = pyproject(Named(), {"version": "1.0", "versions": {}}, ["m/model.joblib"])
    config = tomllib.loads(text)
    assert config["build-system"]["build-backend"] == "_backend"
    assert config["build-system"]["backend-path"] == ["."]
    assert config["tool"]["wheelwright"]["build"]["stored"] == ["m/model.joblib"]


# --- Build's progress: the archive growing in the backend's TMPDIR -----------------------------

def test_the_bytes_of_a_growing_archive_are_reported_and_never_go_back(tmp_path):
    import time

    from build import watching

    class Seen:
        def __init__(self):
            self.updates = []

        def update(self, done):
            self.updates.append(done)

    seen = Seen()
    archive = tmp_path / "tmpabc.whl"
    with watching(tmp_path, seen):
        for _ in range(3):
            with archive.open("ab") as handle:
                handle.write(bytes(1000))
            (tmp_path / "ignored.txt").write_bytes(bytes(5000))  # not an archive
            time.sleep(0.6)
        archive.unlink()  # moved out when finished: the count stays
        time.sleep(0.6)
    assert seen.updates == sorted(set(seen.updates)) and seen.updates[-1] == 3000


def test_a_trained_prerelease_is_admitted_by_a_range_that_does_not_name_prereleases():
    trained = {"versions": {"scikit-learn": "1.9.0rc1"}}
    assert requirements(trained, ("scikit-learn>=1.8",)) == ["scikit-learn==1.9.*"]


def test_a_declared_library_the_model_was_trained_with_does_not_end_the_list():
    assert requirements(TRAINED, ("numpy>=1.20", "attrs", "Scikit_Learn", "unidecode")) == [
        "attrs", "joblib>=1,<2", "numpy>=2,<3", "scikit-learn==1.9.*", "unidecode"]
