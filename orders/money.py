"""Money arithmetic, rounded once: each line's net amount is rounded half-up to cents,
and an order's total is the sum of its rounded lines (docs/architecture.md, "Money")."""

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
HUNDRED = Decimal("100")


def line_net_amount(*, quantity: Decimal, unit_price: Decimal | None, discount_percent: Decimal) -> Decimal | None:
    if unit_price is None:
        return None
    gross = quantity * unit_price
    return (gross * (HUNDRED - discount_percent) / HUNDRED).quantize(CENT, rounding=ROUND_HALF_UP)


def order_net_total(lines) -> Decimal | None:
    amounts = [
        line_net_amount(
            quantity=line.quantity_ordered, unit_price=line.unit_price, discount_percent=line.discount_percent
        )
        for line in lines
    ]
    if any(amount is None for amount in amounts):
        return None
    return sum(amounts, Decimal("0.00"))
