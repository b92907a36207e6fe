import time

import pytest

from shop.cart import Cart
from shop.inventory import Inventory
from shop.money import format_cents
from shop.pricing import discount, tax


@pytest.mark.slow
def test_full_checkout():
    time.sleep(0.6)  # stands in for a slow external service
    inv = Inventory()
    inv.receive("book", 5)
    cart = Cart()
    cart.add("book", 2000, 2)
    inv.take("book", 2)
    total = discount(cart.total, 10)
    total += tax(total, 10)
    assert format_cents(total) == "$39.60"
    assert inv.count("book") == 3
