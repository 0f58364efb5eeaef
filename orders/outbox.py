"""Who reacts to which outbox topic.

Step apps register their handlers in their AppConfig.ready() (for example billing
registers "order.ship" to draft an invoice), so the hub never imports them. A
handler runs inside the transaction that marks the message processed, so its
effect happens exactly once even if the broker delivers the message twice.
"""

from collections import defaultdict
from collections.abc import Callable

_handlers: dict[str, list[Callable]] = defaultdict(list)


def register(topic: str, handler: Callable) -> None:
    if handler not in _handlers[topic]:
        _handlers[topic].append(handler)


def handlers_for(topic: str) -> list[Callable]:
    return list(_handlers.get(topic, ()))


def has_handlers(topic: str) -> bool:
    return bool(_handlers.get(topic))
