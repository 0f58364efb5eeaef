"""Fulfillment books restocked returns ("returns.restock") as "return" stock movements, once."""

from decimal import Decimal

import pytest

from fulfillment.models import StockLevel, StockMovement
from orders.models import OutboxMessage
from orders.services import outbox_enqueue, outbox_process
from orders.states import OrderStatus

from .factories import OrderFactory, OrderLineFactory, SiteFactory

pytestmark = pytest.mark.django_db


def test_restock_books_a_return_movement_per_line_exactly_once(django_capture_on_commit_callbacks):
    site = SiteFactory()
    order = OrderFactory(status=OrderStatus.DELIVERED)
    one = OrderLineFactory(order=order, line_no=1, quantity_shipped=Decimal("5"))
    two = OrderLineFactory(order=order, line_no=2, quantity_shipped=Decimal("5"))

    with django_capture_on_commit_callbacks(execute=True):
        message = outbox_enqueue(
            topic="returns.restock",
            order=order,
            payload={"site_id": site.pk, "lines": {str(one.pk): "2", str(two.pk): "1.5"}, "reference": "RMA-X"},
        )

    assert OutboxMessage.objects.get(pk=message.pk).processed_at is not None
    rows = StockMovement.objects.filter(kind=StockMovement.Kind.RETURN).order_by("order_line_id")
    assert list(rows.values_list("order_line_id", "quantity", "on_hand_delta", "note")) == [
        (one.pk, Decimal("2"), Decimal("2"), "Returned, RMA-X"),
        (two.pk, Decimal("1.5"), Decimal("1.5"), "Returned, RMA-X"),
    ]
    assert StockLevel.objects.get(product=one.product, site=site).on_hand == Decimal("2")

    assert outbox_process(message_id=message.pk) is False  # a second delivery does nothing
    assert StockMovement.objects.filter(kind=StockMovement.Kind.RETURN).count() == 2
