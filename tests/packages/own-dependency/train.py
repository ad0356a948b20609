"""Counts of accent-folded words, then a logistic regression, on synthetic reviews."""

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline

from review_sentiment.text import FoldedText

GOOD = ["génial", "GENIAL", "très bien", "excellent", "ausgezeichnet", "großartig", "perfecto", "love it"]
BAD = ["décevant", "mauvais", "schrecklich", "enttäuschend", "pésimo", "broken", "terrible", "hate it"]
FILLER = ["the", "product", "le", "produit", "das", "Produkt", "el", "producto", "arrived", "today"]


def load_data(rows=600, seed=0):
    rng = np.random.default_rng(seed)
    positive = rng.random(rows) < 0.5
    reviews = [
        " ".join([*rng.choice(FILLER, 4), rng.choice(GOOD if good else BAD), *rng.choice(FILLER, 2)])
        for good in positive
    ]
    return pd.DataFrame({"review": reviews}), pd.Series(np.where(positive, "positive", "negative"), name="sentiment")


def train():
    X, y = load_data()
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, stratify=y, random_state=0)
    model = Pipeline([
        ("fold", FoldedText("review")),
        ("count", CountVectorizer()),
        ("classify", LogisticRegression(max_iter=1000)),
    ]).fit(X_train, y_train)
    return model, X_test, y_test
