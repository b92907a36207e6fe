from decimal import ROUND_HALF_UP, Decimal


def cents(amount: str) -> int:
    """Parses a decimal amount such as "12.30" into whole cents."""
    value = Decimal(amount).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return int(value * 100)


def format_cents(value: int) -> str:
    sign = "-" if value < 0 else ""
    value = abs(value)
    return f"{sign}${value // 100}.{value % 100:02d}"
