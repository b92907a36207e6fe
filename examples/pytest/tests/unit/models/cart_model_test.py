from shop.cart import Cart, Line


def test_cart_is_a_dataclass():
    assert Cart(lines=[Line("a", 1)]).total == 1
