import json


def test_serialises_a_cart_line():
    payload = json.dumps({"sku": "apple", "quantity": 2})
    assert json.loads(payload)["quantity"] == 2
