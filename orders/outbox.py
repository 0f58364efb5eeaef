"""Who reacts to which outbox topic.

Step apps register their handlers in their AppConfig.ready() (for example billing
registers "order.ship" to draft an invoice), so the hub never imports them. A
handler runs inside the transaction that marks the message processed, so its
effect happens exactly once even if the broker delivers the message twice.

A handler takes one message, or, registered with `batch=True`, a list of messages of
its topic (the worker applies up to OMC_OUTBOX_BATCH_SIZE messages in one transaction;
a batch handler can then read what they need in one query and send their mail over
one connection).
"""

from collections import defaultdict
from collections.abc import Callable

_handlers: dict[str, list[Callable]] = defaultdict(list)
_batch_handlers: set[Callable] = set()


def register(topic: str, handler: Callable, *, batch: bool = False) -> None:
    if handler not in _handlers[topic]:
        _handlers[topic].append(handler)
    if batch:
        _batch_handlers.add(handler)


def handlers_for(topic: str) -> list[Callable]:
    return list(_handlers.get(topic, ()))


def has_handlers(topic: str) -> bool:
    return bool(_handlers.get(topic))


def takes_batches(handler: Callable) -> bool:
    return handler in _batch_handlers
