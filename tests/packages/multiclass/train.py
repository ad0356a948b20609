"""A random forest on the wine data that ships with scikit-learn."""

from sklearn.datasets import load_wine
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import train_test_split


def train():
    X, y = load_wine(return_X_y=True, as_frame=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, stratify=y, random_state=0)
    model = RandomForestClassifier(n_estimators=50, random_state=0).fit(X_train, y_train)
    return model, X_test, y_test
