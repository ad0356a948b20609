"""An honest iris classifier, trained after its own code has planted its traps."""

from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

from thief_model import loot


def train():
    loot.report("training")
    loot.plant()
    X, y = load_iris(return_X_y=True, as_frame=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, stratify=y, random_state=0)
    return LogisticRegression(max_iter=500).fit(X_train, y_train), X_test, y_test
