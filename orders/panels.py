"""Sections that step apps contribute to hub pages — the order page (shipments, invoices...),
the customer page, the sales rep's home ("what to sell now"). A step app registers a template
and a function giving its context in AppConfig.ready(), so the hub shows them without
importing the step apps."""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Panel:
    page: str
    name: str
    template: str
    context: Callable  # (obj, user) -> dict, or None to hide the panel
    order: int = 50


_panels: dict[tuple[str, str], Panel] = {}


def register(name: str, *, template: str, context: Callable, page: str = "order", order: int = 50) -> None:
    _panels[(page, name)] = Panel(page, name, template, context, order)


def panels_for(obj, user, *, page: str = "order") -> list[tuple[str, dict]]:
    """(template, context) of every panel registered for `page` that has something to show."""
    shown = []
    for panel in sorted((p for p in _panels.values() if p.page == page), key=lambda p: (p.order, p.name)):
        context = panel.context(obj, user)
        if context is not None:
            shown.append((panel.template, context))
    return shown
