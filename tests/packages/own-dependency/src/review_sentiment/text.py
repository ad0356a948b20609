"""Review text, folded to plain lower-case ASCII before it is counted."""

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from unidecode import unidecode


class FoldedText(TransformerMixin, BaseEstimator):
    """Take one text column of a DataFrame; fold accents ("génial" -> "genial") and case."""

    def __init__(self, column="review"):
        self.column = column

    def fit(self, X, y=None):
        self.feature_names_in_ = np.asarray(X.columns, dtype=object)
        self.n_features_in_ = len(X.columns)
        return self

    def transform(self, X):
        return [unidecode(text).lower() for text in X[self.column]]
