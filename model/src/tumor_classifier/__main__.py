"""The command line: classify the samples in a CSV file, or describe the model.

``python -m tumor_classifier predict FILE.csv`` prints one label per sample;
``--proba`` prints each class's probability instead, under a header of class labels.
``python -m tumor_classifier info`` prints the model's manifest as JSON.

Exit codes: 0 on success, 2 when the file (or the command line) is wrong, 1 when the
model itself cannot be used.
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

from ._classifier import Classifier
from ._errors import ModelError
from ._inputs import column_problems

EXIT_MODEL = 1
EXIT_INPUT = 2


def read_samples(path: Path, feature_names: Sequence[str]) -> list[dict[str, float]]:
    """Read a CSV file of samples: a header row of feature names (any order), then numbers.

    Raises
    ------
    OSError
        The file cannot be opened or read.
    ValueError
        It is not UTF-8 text or not CSV, its header does not name the features, or a
        value is not a finite number. The message gives the line and column.
    """
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
    problems = column_problems(header, feature_names)
    if problems:
        raise ValueError(f"line {header_line}: the header has {problems}.")
    if not rows:
        raise ValueError("no samples: the file has a header but no rows.")
    return [_parse_row(number, cells, header) for number, cells in rows]


def _parse_row(number: int, cells: Sequence[str], header: Sequence[str]) -> dict[str, float]:
    if len(cells) != len(header):
        raise ValueError(f"line {number}: {len(cells)} values, but the header names {len(header)} columns.")
    row = {}
    for name, cell in zip(header, cells):
        try:
            value = float(cell)
        except ValueError:
            raise ValueError(f"line {number}, column {name!r}: {cell!r} is not a number.") from None
        if not math.isfinite(value):
            raise ValueError(f"line {number}, column {name!r}: {cell!r} is not a finite number.")
        row[name] = value
    return row


def predict_file(classifier: Classifier, path: Path, proba: bool = False) -> str:
    """Classify the samples in `path`: one label per line, or a CSV of probabilities.

    The probabilities' header row names the classes; values are exact (repr).

    Raises
    ------
    OSError, ValueError
        As for :func:`read_samples`.
    """
    samples = read_samples(path, classifier.feature_names)
    if not proba:
        return "".join(f"{label}\n" for label in classifier.predict(samples).tolist())
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(classifier.classes)
    writer.writerows([repr(p) for p in row] for row in classifier.predict_proba(samples).tolist())
    return out.getvalue()


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--model-dir", type=Path, default=None,
        help="a folder holding model.joblib and manifest.json (default: the installed model)",
    )
    parser = argparse.ArgumentParser(
        prog="python -m tumor_classifier",
        description="Classify breast tumours from a CSV file of samples, or describe the model.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    predict = commands.add_parser(
        "predict", parents=[common], help="print one label per sample of a CSV file",
    )
    predict.add_argument("file", type=Path, help="CSV file: a header row of feature names, then samples")
    predict.add_argument("--proba", action="store_true", help="print class probabilities instead")
    commands.add_parser("info", parents=[common], help="print the model's manifest as JSON")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with `argv` (default: ``sys.argv[1:]``); return the exit code."""
    args = build_parser().parse_args(argv)
    try:
        classifier = Classifier(args.model_dir)
        if args.command == "info":
            output = json.dumps(classifier.metadata, indent=2, sort_keys=True) + "\n"
        else:
            output = predict_file(classifier, args.file, proba=args.proba)
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


if __name__ == "__main__":
    sys.exit(main())
