"""How scheduling reacts to other departments (outbox topics).

Topics scheduling consumes:
- "fulfillment.backordered" {"lines": {"<order_line_id>": "<quantity>"}}: what an accepted
  order could not get from stock; production jobs are created for it (idempotent).
- "order.cancel": the order's unfinished jobs leave the board.
Topics it publishes:
- "scheduling.produced" {"site_id": id, "lines": {"<order_line_id>": "<quantity made>"}}: the
  order's last job finished; the warehouse receives the goods for that order.
"""

from decimal import Decimal, InvalidOperation

from . import services

TOPIC_BACKORDERED = "fulfillment.backordered"


def on_backordered(message) -> None:
    lines = {}
    for line_id, quantity in (message.payload.get("lines") or {}).items():
        try:
            lines[int(line_id)] = Decimal(str(quantity))
        except (ValueError, InvalidOperation):
            continue  # a malformed entry is skipped, not retried forever
    services.jobs_create_from_backorder(order_id=message.order_id, lines=lines)


def on_order_cancelled(message) -> None:
    services.jobs_drop_for_order(order_id=message.order_id)
