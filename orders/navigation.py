"""Navigation entries by role. Step apps add theirs in AppConfig.ready(), so the hub's
layout shows them without importing the step apps."""

from dataclasses import dataclass

from .roles import ALL_ROLES, Role


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    roles: frozenset
    order: int = 50


_items: list[NavItem] = []


def register(label: str, url_name: str, *, roles=ALL_ROLES, order: int = 50) -> None:
    item = NavItem(label, url_name, frozenset(roles), order)
    if item not in _items:
        _items.append(item)


def items_for(roles) -> list[NavItem]:
    return sorted((item for item in _items if item.roles & set(roles)), key=lambda item: (item.order, item.label))


register("Dashboard", "dashboard:home", roles={Role.EXECUTIVE}, order=4)
register("Sell now", "orders:sell_now", roles={Role.SALES_REP, Role.EXECUTIVE}, order=5)
register(
    "Customers",
    "orders:customer_list",
    roles={Role.SALES_REP, Role.CUSTOMER_SERVICE, Role.FINANCE, Role.EXECUTIVE},
    order=8,
)
register("New order", "orders:order_new", roles={Role.SALES_REP, Role.CUSTOMER_SERVICE}, order=9)
register("Orders", "orders:order_list", order=10)
register("Review queue", "orders:review_queue", roles={Role.REVIEW_BOARD, Role.EXECUTIVE}, order=11)
register("Priorities", "orders:priority_settings", roles={Role.EXECUTIVE}, order=95)
register("My queue", "orders:handoff_queue", order=20)
register("Alerts", "orders:alert_list", order=30)
register("API docs", "api-docs", order=90)
