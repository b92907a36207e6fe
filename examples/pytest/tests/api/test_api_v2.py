import json

import pytest


class TestV2:
    @pytest.mark.parametrize("sku", ["apple", "pear tree", "a[1]"])
    def test_round_trips_skus(self, sku):
        assert json.loads(json.dumps({"sku": sku}))["sku"] == sku
