"""Navigation entries by role. Step apps add theirs in AppConfig.ready(), so the hub's
layout shows them without importing the step apps."""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy

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


register(gettext_lazy("Dashboard"), "dashboard:home", roles={Role.EXECUTIVE}, order=4)
register(gettext_lazy("Sell now"), "orders:sell_now", roles={Role.SALES_REP, Role.EXECUTIVE}, order=5)
register(
    gettext_lazy("Customers"),
    "orders:customer_list",
    roles={Role.SALES_REP, Role.CUSTOMER_SERVICE, Role.FINANCE, Role.EXECUTIVE},
    order=8,
)
register(gettext_lazy("New order"), "orders:order_new", roles={Role.SALES_REP, Role.CUSTOMER_SERVICE}, order=9)
register(gettext_lazy("Orders"), "orders:order_list", order=10)
register(gettext_lazy("Review queue"), "orders:review_queue", roles={Role.REVIEW_BOARD, Role.EXECUTIVE}, order=11)
register(gettext_lazy("Priorities"), "orders:priority_settings", roles={Role.EXECUTIVE}, order=95)
register(gettext_lazy("My queue"), "orders:handoff_queue", order=20)
register(gettext_lazy("Alerts"), "orders:alert_list", order=30)
register(gettext_lazy("API docs"), "api-docs", order=90)
