import pytest

from shop.cart import Line


@pytest.mark.parametrize("unit, quantity", [(1, 1), (250, 4), (99, 0)], ids=["one", "a few", "none"])
def test_line_total(unit, quantity):
    assert Line("x", unit, quantity).total == unit * quantity
