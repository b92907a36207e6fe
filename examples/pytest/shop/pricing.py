def discount(total_cents: int, percent: int) -> int:
    """Applies a percentage discount, rounding the discount down."""
    if not 0 <= percent <= 100:
        raise ValueError("percent must be between 0 and 100")
    return total_cents - total_cents * percent // 100


def tax(total_cents: int, rate_percent: int) -> int:
    return total_cents * rate_percent // 100
