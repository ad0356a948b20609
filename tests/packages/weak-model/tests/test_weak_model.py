def test_nothing_here_can_rescue_a_weak_model():
    assert True
