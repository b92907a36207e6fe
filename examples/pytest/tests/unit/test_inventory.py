import pytest

from shop.inventory import Inventory, OutOfStock


class TestInventory:
    def test_receive_and_take(self):
        inv = Inventory()
        inv.receive("pear", 3)
        inv.take("pear", 2)
        assert inv.count("pear") == 1

    def test_out_of_stock(self):
        with pytest.raises(OutOfStock):
            Inventory().take("pear", 1)
