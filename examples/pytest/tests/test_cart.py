import pytest

from shop.cart import Cart


class TestCart:
    def test_empty_cart_has_zero_total(self):
        assert Cart().total == 0

    def test_adding_the_same_sku_merges_lines(self):
        cart = Cart()
        cart.add("apple", 50)
        cart.add("apple", 50, 2)
        assert len(cart.lines) == 1
        assert len(cart) == 3

    def test_remove(self):
        cart = Cart()
        cart.add("apple", 50)
        cart.remove("apple")
        assert cart.total == 0

    @pytest.mark.parametrize("quantity", [0, -1])
    def test_rejects_non_positive_quantities(self, quantity):
        with pytest.raises(ValueError):
            Cart().add("apple", 50, quantity)
