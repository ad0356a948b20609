"""A model project as its ``pyproject.toml`` describes it, checked before anything runs.

The project holds only what is its own: the ``[project]`` table (name, description,
dependencies), a short ``[tool.wheelwright]`` table, a training file, and optionally its
own modules, tests, model card template and lock. Everything the pipeline writes goes to
the project's ``.wheelwright/`` folder. docs/contract.md is the full contract.
"""

from __future__ import annotations

import difflib
import keyword
import math
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from _wheelwright import SUPPORTED_PYTHONS, PipelineError

CONFIG_TABLE = "tool.wheelwright"
CONTRACT = "see 'Your own model' in wheelwright's README (docs/contract.md has every key)"

#: ``[tool.wheelwright]``'s keys; any other is an error naming the closest of these.
KEYS = ("version", "gate", "positive-class", "package", "train", "card", "train-timeout-minutes", "python")
REQUIRED = ("version", "gate")
DEFAULT_TRAIN = "train.py"
DEFAULT_CARD = "MODEL_CARD.md"
DEFAULT_TRAIN_TIMEOUT_MINUTES = 60

#: ``[project]`` keys copied into the wheel's metadata as they are.
COPIED = ("requires-python", "license", "authors", "maintainers", "keywords", "classifiers",
          "urls", "optional-dependencies", "scripts", "gui-scripts", "entry-points")
#: ``[project]`` keys the pipeline owns: a project that sets them is told where they live.
OWNED = {
    "version": "the version has one home: [tool.wheelwright] version = \"X.Y.Z\"",
    "dynamic": "the pipeline fills in the version, dependencies and readme itself",
    "readme": "the model card is the readme: write a MODEL_CARD.md template (or none)",
}
#: Names the pipeline writes inside the package; a project's own module may not take them.
RESERVED = ("__init__.py", "__main__.py", "_runtime", "py.typed", "model.joblib",
            "manifest.json", "MODEL_CARD.md")

#: Scorers whose best possible score is 1 (by scorer name, or name prefix before ``_``).
BOUNDED_BY_ONE = ("accuracy", "balanced_accuracy", "top_k_accuracy", "average_precision",
                  "roc_auc", "f1", "precision", "recall", "jaccard", "r2", "explained_variance",
                  "matthews_corrcoef", "d2", "adjusted_rand_score", "rand_score",
                  "adjusted_mutual_info_score", "normalized_mutual_info_score",
                  "homogeneity_score", "completeness_score", "v_measure_score",
                  "fowlkes_mallows_score")

NAME = re.compile(r"^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$", re.IGNORECASE)


@dataclass(frozen=True)
class Project:
    """A model project. Paths are absolute; ``version`` is the declared one."""

    root: Path
    name: str
    description: str
    package: str
    version: str
    gate: dict[str, float]
    train: Path
    card: Path | None = None
    positive_class: str | int | None = None
    train_timeout: float = DEFAULT_TRAIN_TIMEOUT_MINUTES * 60.0
    dependencies: tuple[str, ...] = ()
    metadata: dict[str, Any] = field(default_factory=dict)
    #: The Python X.Y releases are built on (``python`` in the table), or None: any.
    python: str | None = None

    # -- where the pipeline writes --

    @property
    def work(self) -> Path:
        """Everything the pipeline writes for this project (git-ignored)."""
        return self.root / ".wheelwright"

    @property
    def build_root(self) -> Path:
        """The package's build tree: ``pyproject.toml`` and the package folder."""
        return self.work / "package"

    @property
    def package_dir(self) -> Path:
        """The package as the wheel holds it, importable with ``build_root`` on the path."""
        return self.build_root / self.package

    @property
    def model_file(self) -> Path:
        return self.package_dir / "model.joblib"

    @property
    def manifest(self) -> Path:
        return self.package_dir / "manifest.json"

    @property
    def holdout(self) -> Path:
        return self.work / "holdout.csv"

    @property
    def dist(self) -> Path:
        return self.work / "dist"

    @property
    def venv(self) -> Path:
        """The environment holding the project's own locked dependencies, when it has a lock."""
        return self.work / "venv"

    @property
    def pycache(self) -> Path:
        """Where the processes that run the model's code write bytecode (PYTHONPYCACHEPREFIX):
        never beside the project's files, and kept from run to run, so that scikit-learn and
        its kin are compiled once, not in every process (the locks install with --no-compile)."""
        return self.work / "pycache"

    # -- what the project holds --

    @property
    def sources(self) -> Path | None:
        """The project's own modules: ``src/<package>/`` or ``<package>/``, when there are any."""
        for folder in (self.root / "src" / self.package, self.root / self.package):
            if folder.is_dir():
                return folder
        return None

    @property
    def tests(self) -> Path:
        return self.root / "tests"

    @property
    def lock(self) -> Path:
        return self.root / "requirements.txt"


def load_project(project_dir: str | Path) -> Project:
    """Read and check ``project_dir/pyproject.toml``; raise :class:`PipelineError` when unusable.

    This checks what needs no model library: the gate's metric names are checked in the
    model's environment, by the trainer, before ``train()`` is called.
    """
    root = Path(project_dir).resolve()
    pyproject = root / "pyproject.toml"
    data = _read_toml(pyproject, root)
    project = data.get("project")
    if not isinstance(project, dict):
        raise PipelineError(f"{pyproject} has no [project] table.",
                            f"Add one with name, description and dependencies: {CONTRACT}.")
    table = data.get("tool", {}).get("wheelwright")
    if not isinstance(table, dict):
        raise PipelineError(f"{pyproject} has no [{CONFIG_TABLE}] table.",
                            f"Add one with version and gate: {CONTRACT}.")
    where = f"[{CONFIG_TABLE}] in {pyproject}"
    _refuse_unknown(table, KEYS, where)
    for key in REQUIRED:
        if key not in table:
            raise PipelineError(f"{where} lacks '{key}'.", f"Add it: {CONTRACT}.")
    for key, why in OWNED.items():
        if key in project:
            raise PipelineError(f"[project] in {pyproject} sets '{key}': {why}.",
                                f"Remove '{key}' from [project].")

    name = project.get("name")
    if not isinstance(name, str) or not NAME.match(name):
        raise PipelineError(f"[project] name in {pyproject} is {name!r}, not a valid distribution name.",
                            "Use letters, digits, '-', '_' and '.', e.g. name = \"churn-model\".")
    description = project.get("description")
    if not isinstance(description, str) or not description.strip() or "\n" in description:
        raise PipelineError(f"[project] description in {pyproject} is missing or not one line.",
                            "Say in one line what the model predicts; it is the package's summary.")
    package = table.get("package", re.sub(r"[-.]+", "_", name).lower())
    if not isinstance(package, str) or not package.isidentifier() or keyword.iskeyword(package):
        raise PipelineError(f"{where}: package = {package!r} is not a Python identifier.",
                            "Name the import package in lower case with underscores, e.g. churn_model.")
    dependencies = project.get("dependencies", [])
    if not isinstance(dependencies, list) or not all(isinstance(d, str) for d in dependencies):
        raise PipelineError(f"[project] dependencies in {pyproject} is not a list of strings.")
    return Project(
        root=root,
        name=name,
        description=description.strip(),
        package=package,
        version=_version(table["version"], where),
        gate=_gate(table["gate"], where),
        train=_file(root, table.get("train", DEFAULT_TRAIN), "train", where, required=True),
        card=_card(root, table, where),
        positive_class=_positive_class(table.get("positive-class"), where),
        train_timeout=_timeout(table.get("train-timeout-minutes", DEFAULT_TRAIN_TIMEOUT_MINUTES), where),
        dependencies=tuple(dependencies),
        metadata={key: project[key] for key in COPIED if key in project},
        python=_python(table.get("python"), where),
    )


def _read_toml(pyproject: Path, root: Path) -> dict[str, Any]:
    try:
        raw = pyproject.read_bytes()
    except FileNotFoundError:
        raise PipelineError(
            f"{pyproject} not found: {root} is not a model project.",
            "Pass --project-dir pointing at the folder that holds the model's pyproject.toml "
            "(make new NAME=... creates one).",
        ) from None
    except OSError as exc:
        raise PipelineError(f"Cannot read {pyproject}: {exc.strerror or exc}.") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise PipelineError(
            f"{pyproject} is not UTF-8: byte {raw[exc.start]:#04x} on line {line} cannot be decoded.",
            "TOML files are UTF-8: re-save the file as UTF-8 (your editor's encoding setting).",
        ) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PipelineError(f"{pyproject} is not valid TOML: {exc}.",
                            "Fix the line it names; https://toml.io shows the syntax.") from None


def closest(word: str, choices: tuple[str, ...] | list[str]) -> str:
    """``; did you mean 'x'?`` for the closest choice, or an empty string."""
    found = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"; did you mean '{found[0]}'?" if found else ""


def _refuse_unknown(table: dict[str, Any], keys: tuple[str, ...], where: str) -> None:
    for key in table:
        if key not in keys:
            hint = {
                "metric": "gate = { <metric> = <minimum> } replaces metric and min-score.",
                "min-score": "gate = { <metric> = <minimum> } replaces metric and min-score.",
                "model": "The pipeline writes the model, manifest and hold-out itself now.",
                "manifest": "The pipeline writes the model, manifest and hold-out itself now.",
                "holdout": "The pipeline writes the model, manifest and hold-out itself now.",
            }.get(key, f"The keys are: {', '.join(keys)}.")
            raise PipelineError(f"{where} has an unknown key '{key}'{closest(key, keys) or '.'}", hint)


def _version(value: object, where: str) -> str:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        raise PipelineError(
            f"{where}: version = {value!r} is a number, not a string: TOML reads 1.10 as the number 1.1.",
            f"Quote it: version = \"{value}\".",
        )
    if not isinstance(value, str):
        raise PipelineError(f"{where}: version = {value!r} is a {type(value).__name__}, not a string.",
                            "Give it as a quoted string, e.g. version = \"1.2.0\".")
    return parse_version(value, f"{where}: version")


def parse_version(raw: str, what: str = "The version") -> str:
    """``raw`` normalised by PEP 440; raise when it is not a version."""
    from packaging.version import InvalidVersion, Version

    if not raw.strip():
        raise PipelineError(f"{what} is empty.", "Give a version such as 1.2.0.")
    try:
        return str(Version(raw))
    except InvalidVersion:
        raise PipelineError(
            f"{what} '{raw}' is not a valid version (PEP 440).",
            "Use a version such as 1.2.0, 1.2.0rc1 or 1.2.0.dev42.",
        ) from None


def _gate(value: object, where: str) -> dict[str, float]:
    if not isinstance(value, dict) or not value:
        raise PipelineError(
            f"{where}: gate must be a table of metric names to minimum scores.",
            "For example: gate = { roc_auc = 0.95 } (scikit-learn's scorer names).",
        )
    gate = {}
    for metric, threshold in value.items():
        if isinstance(threshold, bool) or not isinstance(threshold, (int, float)):
            raise PipelineError(f"{where}: gate {metric} = {threshold!r} is not a number.",
                                f"Give the minimum score, e.g. {metric} = 0.9.")
        if not math.isfinite(threshold):
            raise PipelineError(
                f"{where}: gate {metric} = {threshold} is not a finite number, so no score could pass or fail it.",
                f"Give the minimum score as a number, e.g. {metric} = 0.9.",
            )
        best = best_possible(metric)
        if best is not None and threshold > best:
            raise PipelineError(
                f"{where}: gate {metric} = {threshold} can never be reached: {metric} is at most {best:g}.",
                "Error metrics are negated (neg_mean_absolute_error = -40.0 means an error of at most 40)."
                if metric.startswith("neg_") else f"Give a minimum between 0 and {best:g}.",
            )
        gate[str(metric)] = float(threshold)
    return gate


def best_possible(metric: str) -> float | None:
    """The highest score ``metric`` can reach, when it is bounded."""
    if metric.startswith("neg_"):
        return 0.0
    if any(metric == name or metric.startswith(name + "_") for name in BOUNDED_BY_ONE):
        return 1.0
    return None


def _file(root: Path, value: object, key: str, where: str, *, required: bool) -> Path:
    if not isinstance(value, str) or not value:
        raise PipelineError(f"{where}: {key} = {value!r} is not a file name.")
    path = (root / value).resolve()
    if not path.is_relative_to(root):
        raise PipelineError(f"{where}: {key} = {value!r} points outside the project.",
                            "Keep the project's files inside its folder.")
    if required and not path.is_file():
        holding = "defining train()" if key == "train" else "holding the model card template"
        raise PipelineError(f"{where}: the {key} file {value!r} does not exist.",
                            f"Create {value} {holding}, or set {key} to the file that does.")
    return path


def _card(root: Path, table: dict[str, Any], where: str) -> Path | None:
    if "card" in table:
        return _file(root, table["card"], "card", where, required=True)
    default = root / DEFAULT_CARD
    return default if default.is_file() else None


def _positive_class(value: object, where: str) -> str | int | None:
    if value is None or (isinstance(value, (str, int)) and not isinstance(value, bool)):
        return value
    raise PipelineError(f"{where}: positive-class = {value!r} is neither a string nor an integer.",
                        "Give one of the model's class labels, e.g. positive-class = \"churned\".")


def _python(value: object, where: str) -> str | None:
    """The release Python, as X.Y: one wheelwright supports."""
    if value is None:
        return None
    if not isinstance(value, str) or value not in SUPPORTED_PYTHONS:
        raise PipelineError(
            f"{where}: python = {value!r} is not a Python version wheelwright supports.",
            f"Give it as a string, one of {', '.join(repr(v) for v in SUPPORTED_PYTHONS)}, "
            f"e.g. python = \"{SUPPORTED_PYTHONS[-1]}\".")
    return value


def _timeout(value: object, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0 or not math.isfinite(value):
        raise PipelineError(f"{where}: train-timeout-minutes = {value!r} is not a positive number of minutes.",
                            "For example: train-timeout-minutes = 120.")
    return float(value) * 60.0
