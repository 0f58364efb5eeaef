"""How fulfillment reacts to other departments (outbox topics).

Topics fulfillment publishes:
- "fulfillment.backordered" {"lines": {"<order_line_id>": "<quantity>"}}: what could not be
  reserved when the order was accepted, for production to make.
- "fulfillment.stock_arrived" {"product_id"} (its own): stock came in, try the back orders again.
Topics it consumes:
- "order.accept": reserve stock; "order.cancel": release it.
- "scheduling.produced" {"site_id": id, "lines": {"<order_line_id>": "<quantity>"}}: finished
  goods arrive in stock and go to the order they were made for.
- "returns.restock" {"site_id": id, "lines": {"<order_line_id>": "<quantity>"}, "reference"}:
  returned goods that passed inspection go back on the shelf ("return" stock movements).
"""

from decimal import Decimal

from django.db import transaction

from orders import outbox
from orders.models import OrderLine, Site
from orders.services import outbox_enqueue

from . import services
from .models import BackOrder

TOPIC_BACKORDERED = "fulfillment.backordered"


def on_order_accepted(message) -> None:
    result = services.order_reserve_stock(order_id=message.order_id)
    if result["backordered"] > 0 and outbox.has_handlers(TOPIC_BACKORDERED):
        lines = {str(b.order_line_id): str(b.quantity) for b in BackOrder.objects.filter(order_id=message.order_id)}
        outbox_enqueue(topic=TOPIC_BACKORDERED, order=message.order, payload={"lines": lines})


def on_stock_arrived(message) -> None:
    services.backorders_retry(product_id=message.payload["product_id"])


def on_order_cancelled(message) -> None:
    services.order_release_stock(order_id=message.order_id)


def on_goods_produced(message) -> None:
    site = Site.objects.get(pk=message.payload["site_id"])
    lines = OrderLine.objects.select_related("product", "order").in_bulk(
        [int(line_id) for line_id in message.payload["lines"]]
    )
    with transaction.atomic():
        for line_id, quantity in message.payload["lines"].items():
            line = lines[int(line_id)]
            services.stock_receive(
                product=line.product,
                site=site,
                quantity=Decimal(quantity),
                user=None,
                note=f"Produced for order {line.order.number}",
            )
        services.order_reserve_stock(order_id=message.order_id)


def on_goods_returned(message) -> None:
    site = Site.objects.get(pk=message.payload["site_id"])
    lines = OrderLine.objects.in_bulk([int(line_id) for line_id in message.payload["lines"]])
    reference = message.payload.get("reference", "")
    with transaction.atomic():
        for line_id, quantity in sorted(message.payload["lines"].items(), key=lambda item: int(item[0])):
            services.stock_return(
                order_line=lines[int(line_id)], site=site, quantity=Decimal(quantity), note=f"Returned, {reference}"
            )
