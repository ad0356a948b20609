import weak_model


def test_the_model_tells_tumours_apart():
    # A constant prediction cannot pass this, should the gate ever let the model through.
    predictions = weak_model.predict([[10.0] * 30, [25.0] * 30])
    assert len(set(predictions.tolist())) == 2
