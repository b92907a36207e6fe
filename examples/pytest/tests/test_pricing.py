import pytest

from shop.pricing import discount, tax


@pytest.mark.parametrize(
    "total, percent, expected",
    [(1000, 0, 1000), (1000, 10, 900), (999, 50, 500), (1000, 100, 0)],
)
def test_discount(total, percent, expected):
    assert discount(total, percent) == expected


def test_discount_rejects_bad_percentages():
    with pytest.raises(ValueError):
        discount(100, 101)


def test_tax():
    assert tax(1000, 20) == 200
