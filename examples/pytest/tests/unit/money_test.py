import pytest

from shop.money import cents, format_cents


@pytest.mark.parametrize("text, expected", [("1", 100), ("12.30", 1230), ("0.005", 1), ("-2.50", -250)])
def test_cents(text, expected):
    assert cents(text) == expected


@pytest.mark.parametrize("value, text", [(0, "$0.00"), (1230, "$12.30"), (-5, "-$0.05")])
def test_format_cents(value, text):
    assert format_cents(value) == text
