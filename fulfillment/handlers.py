"""How fulfillment reacts to order moves (outbox topics published by orders)."""

from . import services


def on_order_accepted(message) -> None:
    services.order_reserve_stock(order_id=message.order_id)


def on_order_cancelled(message) -> None:
    services.order_release_stock(order_id=message.order_id)
