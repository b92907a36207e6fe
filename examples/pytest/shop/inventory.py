class OutOfStock(Exception):
    pass


class Inventory:
    def __init__(self):
        self._stock = {}

    def receive(self, sku: str, count: int) -> None:
        self._stock[sku] = self._stock.get(sku, 0) + count

    def take(self, sku: str, count: int) -> None:
        have = self._stock.get(sku, 0)
        if count > have:
            raise OutOfStock(sku)
        self._stock[sku] = have - count

    def count(self, sku: str) -> int:
        return self._stock.get(sku, 0)
