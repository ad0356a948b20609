"""The command line of every model package: predict from a CSV file, or describe the model.

``python -m <package> predict FILE.csv`` prints one label (classifier) or value
(regressor) per row; ``--proba`` prints each class's probability instead, as CSV under a
header of class labels. ``python -m <package> info`` prints the model's manifest as JSON.

The file's first row names the features, in any order; each later row is one sample.
Number features are parsed as numbers (``true`` and ``false`` too, for a feature the
model was fitted on as booleans), string features kept as written, and an empty cell is
a missing value (refused unless the model accepts missing values).

Exit codes: 0 on success, 2 when the file or the command line is wrong (the message gives
the line and the column), 1 when the model itself cannot be used.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import math
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ._api import Model
from ._errors import ModelError

EXIT_MODEL = 1
EXIT_INPUT = 2

#: How a CSV file may spell a boolean feature's values, beside numbers.
_BOOLS = {"true": 1.0, "false": 0.0}


def main(argv: Sequence[str] | None = None, *, package: str | None = None) -> int:
    """Run the command line with `argv` (default: ``sys.argv[1:]``); return the exit code.

    Parameters
    ----------
    argv : sequence of str, optional
        The arguments after ``python -m <package>``.
    package : str, optional
        The package's import name, for ``--help``; defaults to the package this copy
        of the run-time code sits in.
    """
    args = build_parser(package or _own_package()).parse_args(argv)
    try:
        model = Model(args.model_dir)
        if args.command == "info":
            output = json.dumps(model.metadata, indent=2, sort_keys=True) + "\n"
        else:
            if args.proba and not hasattr(model, "predict_proba"):
                print(f"error: --proba: {_why_not(model, 'predict_proba')}", file=sys.stderr)
                return EXIT_INPUT
            output = predict_file(model, args.file, proba=args.proba)
    except ModelError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_MODEL
    except OSError as exc:  # only reading the samples can raise it
        print(f"error: cannot read {args.file}: {exc.strerror or exc}.", file=sys.stderr)
        return EXIT_INPUT
    except ValueError as exc:
        print(f"error: {args.file}: {exc}", file=sys.stderr)
        return EXIT_INPUT
    sys.stdout.write(output)
    return 0


def build_parser(package: str) -> argparse.ArgumentParser:
    """The parser for ``python -m <package>``."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--model-dir", type=Path, default=None,
        help="a folder holding manifest.json and the model file (default: the package's own model)",
    )
    parser = argparse.ArgumentParser(
        prog=f"python -m {package}",
        description=f"Predict with the model {package} ships, from a CSV file of samples, or describe the model.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="{predict,info}")
    predict = commands.add_parser(
        "predict", parents=[common], help="print one prediction per sample of a CSV file",
        description="Print one label (classifier) or value (regressor) per sample of a CSV file.",
    )
    predict.add_argument("file", type=Path,
                         help="CSV file: a header row of feature names (any order), then one sample per row")
    predict.add_argument("--proba", action="store_true",
                         help="print each class's probability instead, under a header of class labels")
    commands.add_parser("info", parents=[common], help="print the model's manifest as JSON",
                        description="Print the model's manifest as JSON.")
    return parser


def predict_file(model: Model, path: Path, proba: bool = False) -> str:
    """Predict for the samples in `path`: one label or value per line, or a CSV of probabilities.

    Numbers are written exactly (``repr``), so that they read back to the same float.

    Raises
    ------
    OSError, ValueError
        As for :func:`read_samples`.
    ModelError
        The model cannot be used.
    """
    rows = read_samples(path, model)
    if not proba:
        return "".join(f"{_cell(value)}\n" for value in model.predict(rows).tolist())
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(model.classes)
    writer.writerows([repr(p) for p in row] for row in model.predict_proba(rows).tolist())
    return out.getvalue()


def read_samples(path: Path, model: Model) -> list[list[Any]]:
    """Read a CSV file of samples; return its rows with the values in feature order.

    Raises
    ------
    OSError
        The file cannot be opened or read.
    ValueError
        It is not UTF-8 text or not CSV, its header does not name the features, a row
        has too few or too many cells, or a value does not fit its feature. The message
        gives the line and the column.
    """
    from ._inputs import column_problems  # numpy: the prediction needs it anyway

    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            lines = list(csv.reader(handle))
    except UnicodeDecodeError:
        raise ValueError("not a UTF-8 text file.") from None
    except csv.Error as exc:
        raise ValueError(f"not a CSV file ({exc}).") from None
    numbered = [(number, cells) for number, cells in enumerate(lines, start=1) if any(cells)]
    if not numbered:
        raise ValueError("empty file: expected a header row of feature names.")
    (header_line, header), rows = numbered[0], numbered[1:]
    header = [name.strip() for name in header]
    manifest = model.metadata
    features = manifest["features"]
    names = [feature["name"] for feature in features]
    problems = column_problems(header, names)
    if problems:
        raise ValueError(f"line {header_line}: the header has {problems}.")
    if not rows:
        raise ValueError("no samples: the file has a header but no rows.")
    allow_nan = bool(manifest["allow_nan"])
    position = {name: j for j, name in enumerate(header)}
    columns = [(position[f["name"]], f["name"], _cell_kind(f)) for f in features]
    samples = []
    for number, cells in rows:
        if len(cells) != len(header):
            raise ValueError(f"line {number}: {len(cells)} values, but the header names {len(header)} columns.")
        samples.append([_parse(cells[j], number, name, kind, allow_nan) for j, name, kind in columns])
    return samples


def _cell_kind(feature: dict[str, Any]) -> str:
    """``"string"``, ``"number"``, or ``"bool"`` for a number feature fitted on booleans."""
    if feature["kind"] == "number" and feature.get("dtype") in ("bool", "boolean"):
        return "bool"
    return str(feature["kind"])


def _parse(cell: str, line: int, name: str, kind: str, allow_nan: bool) -> Any:
    if cell.strip() == "":
        if not allow_nan:
            raise ValueError(f"line {line}, column {name!r}: the cell is empty, and this model "
                             "does not accept missing values.")
        return None if kind == "string" else math.nan
    if kind == "string":
        return cell
    if kind == "bool" and cell.strip().lower() in _BOOLS:
        return _BOOLS[cell.strip().lower()]
    try:
        value = float(cell)
    except ValueError:
        raise ValueError(f"line {line}, column {name!r}: {cell!r} is not a number.") from None
    if math.isinf(value) or (math.isnan(value) and not allow_nan):
        raise ValueError(f"line {line}, column {name!r}: {cell!r} is not a finite number.")
    return value


def _cell(value: Any) -> str:
    return repr(value) if isinstance(value, float) else str(value)


def _why_not(model: Model, attribute: str) -> str:
    """The AttributeError's message that `model` has no `attribute`."""
    try:
        getattr(model, attribute)
    except AttributeError as exc:
        return str(exc)
    return ""


def _own_package() -> str:
    # __package__ is "<package>._runtime": the package is the folder above this one.
    return (__package__ or "").rpartition(".")[0] or "<package>"
