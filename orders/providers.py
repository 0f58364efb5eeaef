"""What the step apps tell the hub while an order is entered, without the hub importing them.

A step app registers providers in AppConfig.ready():
- "price":     fn(customer, product, quantity, currency) -> (unit_price, discount_percent, source) or None
               (pricing: lists, customer prices, discounts)
- "prices":    fn(customer, [(product, quantity)], currency) -> [(unit_price, discount_percent, source) or None]
               ("price" for all lines of a new order in one call; order_create asks it first)
- "promise":   fn(product, quantity, site) -> list[Promise]   (asked per line)
- "promises":  fn([(product, quantity)], site) -> [list[Promise]]   ("promise" for all lines of an
               order in one call; fulfillment: stock; scheduling: capacity)
- "exposure":  fn(customer) -> {"unpaid": Decimal, "overdue": Decimal}   (billing: open invoices)
- "score":     fn(order) -> {factor: (value 0..1, explanation)}   (pricing: margin; scheduling: capacity fit)
"""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

_providers: dict[str, list[Callable]] = defaultdict(list)


@dataclass(frozen=True)
class Promise:
    ships_on: date
    explanation: str  # "from stock at Site B", "capacity on Press 2 from 14 Mar"


def register(kind: str, provider: Callable) -> None:
    if provider not in _providers[kind]:
        _providers[kind].append(provider)


def providers(kind: str) -> list[Callable]:
    return list(_providers.get(kind, ()))
