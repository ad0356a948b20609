"""The project's configuration: every mistake is caught before training, naming the fix.

In-process: load_project and check_gate are pure functions of pyproject.toml.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from _project import best_possible, load_project, parse_version
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



# Every refusal, asserted whole: what failed, why, and the hint saying what to do.
# {pyproject} is the project's pyproject.toml; {where}, its [tool.wheelwright] table.
TABLE = 'version = "1.0"\ngate = { accuracy = 0.9 }'
PROJECT = 'name = "tiny-model"\ndescription = "x"'
CONTRACT = "see 'Your own model' in wheelwright's README (docs/contract.md has every key)"
KEYS = "version, gate, positive-class, package, train, card, train-timeout-minutes, python"
GATE_HINT = "gate = { <metric> = <minimum> } replaces metric and min-score."
WRITES = "The pipeline writes the model, manifest and hold-out itself now."
NAME_HINT = "Use letters, digits, '-', '_' and '.', e.g. name = \"churn-model\"."
ONE_LINE = ("[project] description in {pyproject} is missing or not one line. "
            "Say in one line what the model predicts; it is the package's summary.")
IDENTIFIER = ("{where}: package = %s is not a Python identifier. "
              "Name the import package in lower case with underscores, e.g. churn_model.")
NOT_LIST = "[project] dependencies in {pyproject} is not a list of strings."
TABLE_OF_GATES = ("{where}: gate must be a table of metric names to minimum scores. "
                  "For example: gate = { roc_auc = 0.95 } (scikit-learn's scorer names).")
NOT_FINITE = ("{where}: gate accuracy = %s is not a finite number, so no score could pass or fail it. "
              "Give the minimum score as a number, e.g. accuracy = 0.9.")
CLASS = ("{where}: positive-class = %s is neither a string nor an integer. "
         "Give one of the model's class labels, e.g. positive-class = \"churned\".")
PYTHON = ("{where}: python = %s is not a Python version wheelwright supports. "
          "Give it as a string, one of '3.11', '3.12', '3.13', e.g. python = \"3.13\".")
MINUTES = ("{where}: train-timeout-minutes = %s is not a positive number of minutes. "
           "For example: train-timeout-minutes = 120.")


@pytest.mark.parametrize("table, project_table, expected", [
    (TABLE + '\npositive-clas = "a"', PROJECT,
     "{where} has an unknown key 'positive-clas'; did you mean 'positive-class'? The keys are: %s." % KEYS),
    (TABLE + '\ntrian = "a.py"', PROJECT,
     "{where} has an unknown key 'trian'; did you mean 'train'? The keys are: %s." % KEYS),
    (TABLE + '\ncolour = "red"', PROJECT, "{where} has an unknown key 'colour'. The keys are: %s." % KEYS),
    (TABLE + '\nmetric = "a"', PROJECT, "{where} has an unknown key 'metric'. " + GATE_HINT),
    (TABLE + '\nmin-score = 1', PROJECT, "{where} has an unknown key 'min-score'. " + GATE_HINT),
    (TABLE + '\nmodel = "a"', PROJECT, "{where} has an unknown key 'model'. " + WRITES),
    (TABLE + '\nmanifest = "a"', PROJECT, "{where} has an unknown key 'manifest'. " + WRITES),
    (TABLE + '\nholdout = "a"', PROJECT, "{where} has an unknown key 'holdout'. " + WRITES),
    ('gate = { accuracy = 0.9 }', PROJECT, "{where} lacks 'version'. Add it: %s." % CONTRACT),
    ('version = "1.0"', PROJECT, "{where} lacks 'gate'. Add it: %s." % CONTRACT),
    (TABLE, PROJECT + '\nversion = "1.0"',
     "[project] in {pyproject} sets 'version': the version has one home: [tool.wheelwright] version = \"X.Y.Z\". "
     "Remove 'version' from [project]."),
    (TABLE, PROJECT + '\ndynamic = ["version"]',
     "[project] in {pyproject} sets 'dynamic': the pipeline fills in the version, dependencies and readme itself. "
     "Remove 'dynamic' from [project]."),
    (TABLE, PROJECT + '\nreadme = "README.md"',
     "[project] in {pyproject} sets 'readme': the model card is the readme: write a MODEL_CARD.md template "
     "(or none). Remove 'readme' from [project]."),
    (TABLE, 'description = "x"', "[project] name in {pyproject} is None, not a valid distribution name. " + NAME_HINT),
    (TABLE, 'name = 3\ndescription = "x"',
     "[project] name in {pyproject} is 3, not a valid distribution name. " + NAME_HINT),
    (TABLE, 'name = "tiny model"\ndescription = "x"',
     "[project] name in {pyproject} is 'tiny model', not a valid distribution name. " + NAME_HINT),
    (TABLE, 'name = "tiny-model"', ONE_LINE),
    (TABLE, 'name = "tiny-model"\ndescription = 3', ONE_LINE),
    (TABLE, 'name = "tiny-model"\ndescription = "  "', ONE_LINE),
    (TABLE, 'name = "tiny-model"\ndescription = "a\\nb"', ONE_LINE),
    (TABLE + '\npackage = "class"', PROJECT, IDENTIFIER % "'class'"),
    (TABLE + '\npackage = "1x"', PROJECT, IDENTIFIER % "'1x'"),
    (TABLE + '\npackage = 3', PROJECT, IDENTIFIER % "3"),
    (TABLE, 'name = "class"\ndescription = "x"', IDENTIFIER % "'class'"),
    (TABLE, PROJECT + '\ndependencies = "scikit-learn"', NOT_LIST),
    (TABLE, PROJECT + '\ndependencies = ["pandas", 3]', NOT_LIST),
    ('version = 1.10\ngate = { accuracy = 0.9 }', PROJECT,
     "{where}: version = 1.1 is a number, not a string: TOML reads 1.10 as the number 1.1. Quote it: version = \"1.1\"."),
    ('version = 2\ngate = { accuracy = 0.9 }', PROJECT,
     "{where}: version = 2 is a number, not a string: TOML reads 1.10 as the number 1.1. Quote it: version = \"2\"."),
    ('version = [1]\ngate = { accuracy = 0.9 }', PROJECT,
     "{where}: version = [1] is a list, not a string. Give it as a quoted string, e.g. version = \"1.2.0\"."),
    ('version = true\ngate = { accuracy = 0.9 }', PROJECT,
     "{where}: version = True is a bool, not a string. Give it as a quoted string, e.g. version = \"1.2.0\"."),
    ('version = ""\ngate = { accuracy = 0.9 }', PROJECT, "{where}: version is empty. Give a version such as 1.2.0."),
    ('version = " "\ngate = { accuracy = 0.9 }', PROJECT, "{where}: version is empty. Give a version such as 1.2.0."),
    ('version = "latest"\ngate = { accuracy = 0.9 }', PROJECT,
     "{where}: version 'latest' is not a valid version (PEP 440). Use a version such as 1.2.0, 1.2.0rc1 or 1.2.0.dev42."),
    ('version = "1.0"\ngate = {}', PROJECT, TABLE_OF_GATES),
    ('version = "1.0"\ngate = "accuracy"', PROJECT, TABLE_OF_GATES),
    ('version = "1.0"\ngate = { accuracy = "0.9" }', PROJECT,
     "{where}: gate accuracy = '0.9' is not a number. Give the minimum score, e.g. accuracy = 0.9."),
    ('version = "1.0"\ngate = { accuracy = true }', PROJECT,
     "{where}: gate accuracy = True is not a number. Give the minimum score, e.g. accuracy = 0.9."),
    ('version = "1.0"\ngate = { accuracy = nan }', PROJECT, NOT_FINITE % "nan"),
    ('version = "1.0"\ngate = { accuracy = inf }', PROJECT, NOT_FINITE % "inf"),
    ('version = "1.0"\ngate = { accuracy = 1.5 }', PROJECT,
     "{where}: gate accuracy = 1.5 can never be reached: accuracy is at most 1. Give a minimum between 0 and 1."),
    ('version = "1.0"\ngate = { neg_log_loss = 0.5 }', PROJECT,
     "{where}: gate neg_log_loss = 0.5 can never be reached: neg_log_loss is at most 0. Error metrics are negated "
     "(neg_mean_absolute_error = -40.0 means an error of at most 40)."),
    (TABLE + '\ntrain = "fit.py"', PROJECT,
     "{where}: the train file 'fit.py' does not exist. Create fit.py defining train(), or set train to the file that does."),
    (TABLE + '\ntrain = "../train.py"', PROJECT,
     "{where}: train = '../train.py' points outside the project. Keep the project's files inside its folder."),
    (TABLE + '\ntrain = ""', PROJECT, "{where}: train = '' is not a file name."),
    (TABLE + '\ntrain = 3', PROJECT, "{where}: train = 3 is not a file name."),
    (TABLE + '\ncard = "CARD.md"', PROJECT,
     "{where}: the card file 'CARD.md' does not exist. Create CARD.md holding the model card template, "
     "or set card to the file that does."),
    (TABLE + '\npositive-class = true', PROJECT, CLASS % "True"),
    (TABLE + '\npositive-class = 1.5', PROJECT, CLASS % "1.5"),
    (TABLE + '\npython = "3.9"', PROJECT, PYTHON % "'3.9'"),
    (TABLE + '\npython = 3.12', PROJECT, PYTHON % "3.12"),
    (TABLE + '\ntrain-timeout-minutes = 0', PROJECT, MINUTES % "0"),
    (TABLE + '\ntrain-timeout-minutes = -1', PROJECT, MINUTES % "-1"),
    (TABLE + '\ntrain-timeout-minutes = nan', PROJECT, MINUTES % "nan"),
    (TABLE + '\ntrain-timeout-minutes = inf', PROJECT, MINUTES % "inf"),
    (TABLE + '\ntrain-timeout-minutes = true', PROJECT, MINUTES % "True"),
    (TABLE + '\ntrain-timeout-minutes = "ten"', PROJECT, MINUTES % "'ten'"),
])
def test_each_refusal_says_what_is_wrong_and_what_to_do(tmp_path, table, project_table, expected):
    pyproject = tmp_path.resolve() / "pyproject.toml"
    where = f"[tool.wheelwright] in {pyproject}"
    assert refused(tmp_path, table, project=project_table) == expected.replace("{where}", where).replace(
        "{pyproject}", str(pyproject))


@pytest.mark.parametrize("text, expected", [
    ('[tool.wheelwright]\nversion = "1.0"\n',
     "{pyproject} has no [project] table. Add one with name, description and dependencies: %s." % CONTRACT),
    ('project = "tiny-model"\n',
     "{pyproject} has no [project] table. Add one with name, description and dependencies: %s." % CONTRACT),
    ('[project]\nname = "tiny-model"\n',
     "{pyproject} has no [tool.wheelwright] table. Add one with version and gate: %s." % CONTRACT),
    ('[project]\nname = "tiny-model"\n[tool.black]\nline-length = 99\n',
     "{pyproject} has no [tool.wheelwright] table. Add one with version and gate: %s." % CONTRACT),
    ('[project]\nname = "tiny-model"\n[tool]\nwheelwright = "1.0"\n',
     "{pyproject} has no [tool.wheelwright] table. Add one with version and gate: %s." % CONTRACT),
    ("[project\n", "{pyproject} is not valid TOML: Expected ']' at the end of a table declaration (at line 1, "
                   "column 9). Fix the line it names; https://toml.io shows the syntax."),
])
def test_a_file_without_the_tables_is_refused_naming_them(tmp_path, text, expected):
    pyproject = tmp_path.resolve() / "pyproject.toml"
    pyproject.write_text(text, encoding="utf-8")
    with pytest.raises(PipelineError) as caught:
        load_project(tmp_path)
    assert str(caught.value) == expected.replace("{pyproject}", str(pyproject))


def test_a_folder_without_pyproject_is_named_with_the_flag_to_fix_it(tmp_path):
    with pytest.raises(PipelineError) as caught:
        load_project(tmp_path)
    root = tmp_path.resolve()
    assert str(caught.value) == (
        f"{root / 'pyproject.toml'} not found: {root} is not a model project. Pass --project-dir pointing at "
        "the folder that holds the model's pyproject.toml (make new NAME=... creates one).")


def test_non_utf8_bytes_are_named_with_their_line_and_the_fix(tmp_path):
    pyproject = tmp_path.resolve() / "pyproject.toml"
    pyproject.write_bytes(b'[project]\nname = "tiny-model"\n\ndescription = "A mod\xe8le"\n')
    with pytest.raises(PipelineError) as caught:
        load_project(tmp_path)
    assert str(caught.value) == (
        f"{pyproject} is not UTF-8: byte 0xe8 on line 4 cannot be decoded. "
        "TOML files are UTF-8: re-save the file as UTF-8 (your editor's encoding setting).")


def test_a_pyproject_that_cannot_be_read_says_why(tmp_path):
    (tmp_path / "pyproject.toml").mkdir()
    with pytest.raises(PipelineError) as caught:
        load_project(tmp_path)
    assert str(caught.value) == f"Cannot read {tmp_path.resolve() / 'pyproject.toml'}: Is a directory."


def test_the_package_name_follows_the_distribution_name_and_the_defaults_are_found(tmp_path):
    tmp_path.mkdir(exist_ok=True)
    (tmp_path / "MODEL_CARD.md").write_text("# {name}\n")
    loaded = project(tmp_path, TABLE + "\npositive-class = 1\ntrain-timeout-minutes = 1.5",
                     project='name = "Tiny.Model--v2"\ndescription = "x"')
    assert (loaded.name, loaded.package) == ("Tiny.Model--v2", "tiny_model_v2")
    assert loaded.card == tmp_path.resolve() / "MODEL_CARD.md"
    assert (loaded.positive_class, loaded.train_timeout, loaded.python) == (1, 90.0, None)
    assert (loaded.dependencies, loaded.metadata) == ((), {})
    assert loaded.train == tmp_path.resolve() / "train.py"


def test_a_gate_of_several_metrics_keeps_each_as_a_float(tmp_path):
    loaded = project(tmp_path, 'version = "1.0.0"\ngate = { accuracy = 1, f1_macro = 0.5, neg_log_loss = -0.7, '
                               'mutual_info_score = 3 }')
    assert loaded.gate == {"accuracy": 1.0, "f1_macro": 0.5, "neg_log_loss": -0.7, "mutual_info_score": 3.0}
    assert all(type(v) is float for v in loaded.gate.values())


def test_a_train_file_in_a_subfolder_is_found(tmp_path):
    write_project(tmp_path, IRIS, table=TABLE + '\ntrain = "src/fit.py"', project=PROJECT)
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "fit.py").write_text(IRIS)
    assert load_project(tmp_path).train == tmp_path.resolve() / "src" / "fit.py"


def test_a_version_is_normalised_or_refused_naming_what_holds_it():
    assert parse_version(" v1.02.0RC1 ") == "1.2.0rc1"
    with pytest.raises(PipelineError) as caught:
        parse_version("  ")
    assert str(caught.value) == "The version is empty. Give a version such as 1.2.0."
    with pytest.raises(PipelineError) as caught:
        parse_version("1.x")
    assert str(caught.value) == ("The version '1.x' is not a valid version (PEP 440). "
                                 "Use a version such as 1.2.0, 1.2.0rc1 or 1.2.0.dev42.")


def test_a_training_timeout_under_a_minute_is_allowed(tmp_path):
    assert project(tmp_path, TABLE + "\ntrain-timeout-minutes = 0.5").train_timeout == 30.0
