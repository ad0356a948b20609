"""A ridge regression on the diabetes data that ships with scikit-learn."""

from sklearn.datasets import load_diabetes
from sklearn.linear_model import Ridge
from sklearn.model_selection import train_test_split


def train():
    X, y = load_diabetes(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=0)
    model = Ridge(alpha=0.1).fit(X_train, y_train)
    return {"model": model, "X_test": X_test, "y_test": y_test, "X_train": X_train, "y_train": y_train}
