"""The tumour classifier's own tests: what it must get right, beyond the quality gate.

The pipeline's test stage runs them with the package importable exactly as the wheel will
hold it (``import tumor_classifier``), after the gate has scored it on the hold-out set.
"""

import csv
import os

import pytest

import tumor_classifier


@pytest.fixture(scope="module")
def holdout():
    """The hold-out rows (dicts of the 30 measurements) and their diagnoses."""
    with open(os.environ["WHEELWRIGHT_HOLDOUT"], newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    diagnoses = [row.pop("diagnosis") for row in rows]
    return [{name: float(value) for name, value in row.items()} for row in rows], diagnoses


def test_it_misses_few_malignant_tumours(holdout):
    rows, diagnoses = holdout
    predicted = tumor_classifier.predict(rows).tolist()
    malignant = [p for p, d in zip(predicted, diagnoses) if d == "malignant"]
    assert malignant.count("benign") / len(malignant) < 0.05


def test_probabilities_are_calibrated_enough_to_rank(holdout):
    rows, diagnoses = holdout
    proba = tumor_classifier.predict_proba(rows)
    malignant = tumor_classifier.Classifier().classes.index("malignant")
    confident = [d for p, d in zip(proba[:, malignant], diagnoses) if p > 0.99]
    assert confident and set(confident) == {"malignant"}


def test_a_measurement_out_of_order_is_matched_by_name(holdout):
    rows, _ = holdout
    reordered = [dict(reversed(list(row.items()))) for row in rows[:5]]
    assert tumor_classifier.predict(reordered).tolist() == tumor_classifier.predict(rows[:5]).tolist()


def test_a_missing_measurement_is_refused_by_name(holdout):
    rows, _ = holdout
    row = dict(rows[0])
    del row["worst area"]
    with pytest.raises(ValueError, match="worst area"):
        tumor_classifier.predict([row])
