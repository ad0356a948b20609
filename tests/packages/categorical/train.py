"""Churn from a customer's contract, payment method, tenure and monthly charges.

The data is synthetic, drawn from a fixed seed: month-to-month contracts, electronic
checks, short tenures and high charges make leaving likelier.
"""

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

SEED = 0
CONTRACTS = {"month-to-month": 1.2, "one year": -0.4, "two year": -1.2}
PAYMENTS = {"electronic check": 0.6, "mailed check": 0.0, "credit card": -0.3, "bank transfer": -0.3}


def load_data(rows=2000):
    rng = np.random.default_rng(SEED)
    X = pd.DataFrame({
        "contract": rng.choice(list(CONTRACTS), rows),
        "payment": rng.choice(list(PAYMENTS), rows),
        "tenure_months": rng.integers(1, 72, rows),
        "monthly_charges": rng.normal(70, 20, rows).round(2),
    })
    logit = (X["contract"].map(CONTRACTS) + X["payment"].map(PAYMENTS)
             - 0.03 * X["tenure_months"] + 0.02 * (X["monthly_charges"] - 70))
    churned = rng.random(rows) < 1 / (1 + np.exp(-logit))
    return X, pd.Series(np.where(churned, "churned", "stayed"), name="churn")


def train():
    X, y = load_data()
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, stratify=y, random_state=SEED)
    features = ColumnTransformer([
        ("words", OneHotEncoder(handle_unknown="ignore"), ["contract", "payment"]),
        ("numbers", StandardScaler(), ["tenure_months", "monthly_charges"]),
    ])
    model = Pipeline([("features", features), ("classify", LogisticRegression(max_iter=1000))])
    model.fit(X_train, y_train)
    return {"model": model, "X_test": X_test, "y_test": y_test, "dataset": "synthetic, seed 0"}
