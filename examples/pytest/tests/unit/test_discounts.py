from shop.cart import Cart
from shop.pricing import discount


class TestCartDiscounts:
    def test_discount_applies_to_the_cart_total(self):
        cart = Cart()
        cart.add("book", 2000)
        assert discount(cart.total, 25) == 1500

    class TestNested:
        def test_nested_class_ids(self):
            assert discount(100, 0) == 100
