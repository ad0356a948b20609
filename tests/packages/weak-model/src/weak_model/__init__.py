"""The smallest package the pipeline can score: a ``Classifier`` with ``metadata``."""

import json
from pathlib import Path

HERE = Path(__file__).parent


class Classifier:
    def __init__(self):
        import joblib

        self.metadata = json.loads((HERE / "manifest.json").read_text())
        self._model = joblib.load(HERE / "model.joblib")

    def _rows(self, X):
        return [[row[name] for name in self.metadata["feature_names"]] for row in X]

    def predict(self, X):
        return self._model.predict(self._rows(X))

    def predict_proba(self, X):
        return self._model.predict_proba(self._rows(X))
