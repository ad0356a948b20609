import wine_classifier


def test_three_classes_each_with_a_probability():
    assert wine_classifier.metadata()["classes"] == [0, 1, 2]
    rows = [dict.fromkeys(wine_classifier.Model().feature_names, 1.0)]
    assert wine_classifier.predict_proba(rows).shape == (1, 3)
