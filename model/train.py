"""Train the tumour classifier: a standardising scaler, then a logistic regression.

The Wisconsin diagnostic breast-cancer data ships with scikit-learn, so training needs
no download. A quarter of the tumours, stratified by diagnosis, is held out for the
pipeline to score the model on; the seed fixes the split and the fit.
"""

from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

SEED = 0


def load_data():
    """The 30 measurements of each tumour, and its diagnosis as a word."""
    data = load_breast_cancer(as_frame=True)
    diagnosis = data.target.map(dict(enumerate(data.target_names))).rename("diagnosis")
    return data.data, diagnosis


def train():
    X, y = load_data()
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=SEED
    )
    model = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=1000))
    model.fit(X_train, y_train)
    return {
        "model": model,
        "X_test": X_test,
        "y_test": y_test,
        "X_train": X_train,
        "y_train": y_train,
        "dataset": "The Wisconsin Diagnostic Breast Cancer data set (W. H. Wolberg, W. N. Street "
                   "and O. L. Mangasarian, University of Wisconsin, 1995), as shipped with "
                   "scikit-learn (sklearn.datasets.load_breast_cancer).",
    }
