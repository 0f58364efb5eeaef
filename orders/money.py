"""Money: Decimal amounts with an explicit currency, rounded once (docs/architecture.md, "Money").

The one rounding place: each line's net amount is rounded half up to the currency's minor unit
(cents for EUR/USD/GBP/THB/TWD/IDR, whole units for VND), and so is its tax (billing); an order's
or invoice's totals are plain sums of its rounded lines. `money_round` is that rounding and
`CURRENCY_DECIMALS` the minor units (ISO 4217); `money_format` shows an amount the same way on
every page, document and email, in the active language's number format."""

from decimal import ROUND_HALF_UP, Decimal

from django.utils import formats

CENT = Decimal("0.01")
HUNDRED = Decimal("100")

# Digits after the decimal point per currency (ISO 4217 minor units); unlisted currencies have 2.
CURRENCY_DECIMALS = {"VND": 0, "JPY": 0, "KRW": 0, "EUR": 2, "USD": 2, "GBP": 2, "THB": 2, "TWD": 2, "IDR": 2}


def currency_decimals(currency: str | None) -> int:
    return CURRENCY_DECIMALS.get((currency or "").upper(), 2)


def minor_unit(currency: str | None) -> Decimal:
    """Decimal("1") for VND, Decimal("0.01") for EUR."""
    return Decimal(1).scaleb(-currency_decimals(currency))


def money_round(amount: Decimal, currency: str | None) -> Decimal:
    """THE rounding of money: half up to the currency's minor unit (with no currency: cents)."""
    return amount.quantize(minor_unit(currency) if currency else CENT, rounding=ROUND_HALF_UP)


def line_net_amount(
    *, quantity: Decimal, unit_price: Decimal | None, discount_percent: Decimal, currency: str | None = None
) -> Decimal | None:
    if unit_price is None:
        return None
    gross = quantity * unit_price
    return money_round(gross * (HUNDRED - discount_percent) / HUNDRED, currency)


def order_net_total(lines, currency: str | None = None) -> Decimal | None:
    amounts = [
        line_net_amount(
            quantity=line.quantity_ordered,
            unit_price=line.unit_price,
            discount_percent=line.discount_percent,
            currency=currency,
        )
        for line in lines
    ]
    if any(amount is None for amount in amounts):
        return None
    return sum(amounts, Decimal("0"))


def money_amount(amount: Decimal | None, currency: str | None) -> str | None:
    """An amount as a plain string with the currency's decimals ("1250000" VND, "12.50" EUR):
    what the API returns, so clients never see decimals a currency does not have."""
    if amount is None:
        return None
    return str(money_round(Decimal(amount), currency))


def money_format(amount: Decimal | None, currency: str | None, *, with_code: bool = True) -> str:
    """An amount for people, in the active language's format with the currency's decimals:
    "EUR 1,234.50" (en), "EUR 1.234,50" (it), "VND 1.250.000" (vi)."""
    if amount is None or amount == "":
        return "—"
    decimals = currency_decimals(currency)
    number = formats.number_format(money_round(Decimal(amount), currency), decimal_pos=decimals, force_grouping=True)
    return f"{currency} {number}" if with_code and currency else number
