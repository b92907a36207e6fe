import time

import pytest

from shop.cart import Cart


@pytest.mark.slow
@pytest.mark.parametrize("items", [1, 10, 100])
def test_report_totals(items):
    time.sleep(0.2)
    cart = Cart()
    for i in range(items):
        cart.add(f"sku-{i}", 100)
    assert cart.total == items * 100
