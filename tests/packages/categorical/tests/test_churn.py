import churn_model


def test_a_long_two_year_customer_stays():
    row = {"contract": "two year", "payment": "credit card", "tenure_months": 70, "monthly_charges": 40.0}
    assert churn_model.predict([row]).tolist() == ["stayed"]
