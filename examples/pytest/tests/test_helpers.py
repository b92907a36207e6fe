from tests.helpers import make_sku


def test_make_sku():
    assert make_sku(3) == "sku-3"
