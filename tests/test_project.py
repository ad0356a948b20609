"""The project's configuration: every mistake is caught before training, naming the fix.

In-process: load_project and check_gate are pure functions of pyproject.toml.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from _project import best_possible, load_project
from _wheelwright import PipelineError
from projects import IRIS, write_project


def project(tmp_path: Path, table: str, project: str = 'name = "tiny-model"\ndescription = "A test model."'):
    return load_project(write_project(tmp_path, IRIS, table=table, project=project))


def refused(tmp_path: Path, table: str, **kwargs: str) -> str:
    with pytest.raises(PipelineError) as caught:
        project(tmp_path, table, **kwargs)
    return str(caught.value)


def test_a_small_table_is_all_a_project_needs(tmp_path):
    loaded = project(tmp_path, 'version = "1.10"\ngate = { accuracy = 0.9 }')
    assert (loaded.name, loaded.package, loaded.version) == ("tiny-model", "tiny_model", "1.10")
    assert loaded.gate == {"accuracy": 0.9}
    assert loaded.train == tmp_path / "train.py"
    assert loaded.work == tmp_path / ".wheelwright"
    assert loaded.package_dir == tmp_path / ".wheelwright" / "package" / "tiny_model"
    assert loaded.train_timeout == 3600.0 and loaded.card is None and loaded.sources is None


def test_every_key_of_a_full_table_reaches_the_project(tmp_path):
    # Each value is asserted, so that a key read but dropped on the way is a failure.
    tmp_path.mkdir(exist_ok=True)
    (tmp_path / "CARD.md").write_text("# {name}\n")
    loaded = project(
        tmp_path,
        'version = "2.0.0"\ngate = { roc_auc = 0.8 }\npackage = "tiny"\ncard = "CARD.md"\n'
        'positive-class = "yes"\npython = "3.12"\ntrain-timeout-minutes = 2',
        project='name = "tiny-model"\ndescription = "  A test model.  "\ndependencies = ["pandas>=2"]\n'
                'license = "MIT"\nkeywords = ["churn"]')
    assert (loaded.package, loaded.version, loaded.gate) == ("tiny", "2.0.0", {"roc_auc": 0.8})
    assert loaded.description == "A test model." and loaded.dependencies == ("pandas>=2",)
    assert loaded.metadata == {"license": "MIT", "keywords": ["churn"]}
    assert loaded.card == tmp_path / "CARD.md"
    assert (loaded.positive_class, loaded.python, loaded.train_timeout) == ("yes", "3.12", 120.0)


def test_a_typo_in_a_key_names_the_closest_one(tmp_path):
    message = refused(tmp_path, 'version = "1.0"\ngate = { accuracy = 0.9 }\npositive-clas = "a"')
    assert "unknown key 'positive-clas'; did you mean 'positive-class'?" in message


def test_the_old_metric_and_min_score_keys_point_at_gate(tmp_path):
    message = refused(tmp_path, 'version = "1.0"\ngate = { accuracy = 0.9 }\nmetrc = "recall"')
    assert "unknown key 'metrc'" in message
    message = refused(tmp_path, 'version = "1.0"\ngate = { accuracy = 0.9 }\nmin-score = 0.9')
    assert "gate = { <metric> = <minimum> } replaces metric and min-score" in message


@pytest.mark.parametrize("key", ["version", "gate"])
def test_a_missing_required_key_is_named(tmp_path, key):
    table = {"version": 'gate = { accuracy = 0.9 }', "gate": 'version = "1.0"'}[key]
    assert f"lacks '{key}'" in refused(tmp_path, table)


def test_an_unquoted_version_is_refused_because_toml_reads_1_10_as_1_1(tmp_path):
    message = refused(tmp_path, 'version = 1.10\ngate = { accuracy = 0.9 }')
    assert "version = 1.1 is a number, not a string" in message and 'Quote it' in message


@pytest.mark.parametrize("raw", ["", "1.2-beta+oops+", "latest"])
def test_an_invalid_version_is_refused(tmp_path, raw):
    assert "version" in refused(tmp_path, f'version = "{raw}"\ngate = {{ accuracy = 0.9 }}')


@pytest.mark.parametrize("gate, expected", [
    ("{ accuracy = nan }", "is not a finite number"),
    ("{ accuracy = 1.5 }", "can never be reached: accuracy is at most 1"),
    ("{ r2 = 1.01 }", "can never be reached: r2 is at most 1"),
    ("{ neg_mean_absolute_error = 40.0 }", "neg_mean_absolute_error is at most 0"),
    ('{ accuracy = "0.9" }', "is not a number"),
    ("{ accuracy = true }", "is not a number"),
    ("{}", "gate must be a table of metric names to minimum scores"),
    ('"accuracy"', "gate must be a table"),
])
def test_an_impossible_or_malformed_gate_is_refused(tmp_path, gate, expected):
    assert expected in refused(tmp_path, f'version = "1.0"\ngate = {gate}')


def test_a_threshold_exactly_at_the_best_score_is_allowed(tmp_path):
    assert project(tmp_path, 'version = "1.0"\ngate = { accuracy = 1.0, neg_log_loss = 0 }').gate == {
        "accuracy": 1.0, "neg_log_loss": 0.0}


def test_best_possible_scores():
    assert best_possible("roc_auc_ovr") == best_possible("f1_macro") == best_possible("r2") == 1.0
    assert best_possible("neg_root_mean_squared_error") == 0.0
    assert best_possible("mutual_info_score") is None


def test_the_project_table_may_not_hold_what_the_pipeline_owns(tmp_path):
    message = refused(tmp_path, 'version = "1.0"\ngate = { accuracy = 0.9 }',
                      project='name = "tiny-model"\ndescription = "x"\nversion = "1.0"')
    assert "sets 'version'" in message and "[tool.wheelwright] version" in message


@pytest.mark.parametrize("project_table, expected", [
    ('description = "x"', "not a valid distribution name"),
    ('name = "tiny model"\ndescription = "x"', "not a valid distribution name"),
    ('name = "tiny-model"', "description"),
    ('name = "tiny-model"\ndescription = "x"\ndependencies = "scikit-learn"', "not a list of strings"),
])
def test_the_project_table_is_checked(tmp_path, project_table, expected):
    assert expected in refused(tmp_path, 'version = "1.0"\ngate = { accuracy = 0.9 }', project=project_table)


def test_a_training_file_that_does_not_exist_is_named(tmp_path):
    message = refused(tmp_path, 'version = "1.0"\ngate = { accuracy = 0.9 }\ntrain = "fit.py"')
    assert "the train file 'fit.py' does not exist" in message


def test_non_utf8_bytes_are_located_not_a_traceback(tmp_path):
    write_project(tmp_path, IRIS)
    path = tmp_path / "pyproject.toml"
    path.write_bytes(path.read_bytes().replace(b"A model", b"A mod\xe8le"))
    with pytest.raises(PipelineError) as caught:
        load_project(tmp_path)
    assert "is not UTF-8: byte 0xe8 on line 3" in str(caught.value)


def test_invalid_toml_and_a_missing_file_are_reported(tmp_path):
    with pytest.raises(PipelineError, match="is not a model project"):
        load_project(tmp_path)
    (tmp_path / "pyproject.toml").write_text("[project\n")
    with pytest.raises(PipelineError, match="is not valid TOML"):
        load_project(tmp_path)


@pytest.mark.parametrize("value", ["0", "-1", "nan", '"ten"'])
def test_the_training_timeout_is_a_positive_number_of_minutes(tmp_path, value):
    assert "train-timeout-minutes" in refused(
        tmp_path, f'version = "1.0"\ngate = {{ accuracy = 0.9 }}\ntrain-timeout-minutes = {value}')

