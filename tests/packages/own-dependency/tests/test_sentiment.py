import review_sentiment


def test_accents_do_not_matter():
    rows = [{"review": "le produit est génial"}, {"review": "le produit est GENIAL"}]
    first, second = review_sentiment.predict(rows).tolist()
    assert first == second == "positive"
