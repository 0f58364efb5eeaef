"""Extra sections of the order page contributed by the step apps (shipments, back orders,
invoices...). A step app registers a template and a function giving its context in
AppConfig.ready(), so the hub shows them without importing the step apps."""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class OrderPanel:
    name: str
    template: str
    context: Callable  # (order, user) -> dict, or None to hide the panel
    order: int = 50


_panels: dict[str, OrderPanel] = {}


def register(name: str, *, template: str, context: Callable, order: int = 50) -> None:
    _panels[name] = OrderPanel(name, template, context, order)


def panels_for(order, user) -> list[tuple[str, dict]]:
    """(template, context) of every registered panel that has something to show."""
    shown = []
    for panel in sorted(_panels.values(), key=lambda p: (p.order, p.name)):
        context = panel.context(order, user)
        if context is not None:
            shown.append((panel.template, context))
    return shown
