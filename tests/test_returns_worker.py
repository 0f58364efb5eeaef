"""The whole path on PostgreSQL with a real Celery worker: deliver → RMA → receive → inspect →
credit note → order closed. Every hand-off between departments goes through the outbox and Redis."""

import contextlib
from decimal import Decimal

import pytest
from django.utils import timezone

from billing import services as billing
from billing.models import Invoice
from fulfillment import services as fulfillment
from fulfillment.models import StockMovement
from orders.models import Handoff, OutboxMessage
from orders.services import order_transition
from orders.states import OrderStatus
from returns import services
from returns.models import ReturnAuthorization

from .test_returns import DeliveredOrders
from .test_worker import _wait_for, celery_worker_process  # noqa: F401 - the fixture

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def _no_capture(execute=True):
    return contextlib.nullcontext()  # transactional test: after-commit work really runs after commit


def _all_processed():
    return not OutboxMessage.objects.filter(processed_at__isnull=True).exists()


def test_deliver_return_inspect_credit_and_close_on_a_real_worker(celery_worker_process, user_with):  # noqa: F811
    from orders.roles import Role

    shop = DeliveredOrders(user_with, _no_capture)
    service = user_with(Role.CUSTOMER_SERVICE)
    order = shop.order(lines=[("10", "100.00", "0")])
    assert _wait_for(lambda: order.__class__.objects.filter(pk=order.pk, status=OrderStatus.READY_TO_SHIP).exists())
    shipment = shop.ship(order)
    assert _wait_for(lambda: Invoice.objects.filter(order=order).exists()), "the worker drafted no invoice"
    fulfillment.shipment_deliver(shipment_id=shipment.pk, user=shop.warehouse)
    invoice = Invoice.objects.get(order=order)
    billing.invoice_post(invoice_id=invoice.pk, user=shop.finance)
    invoice.refresh_from_db()
    billing.payment_record(
        customer=order.customer,
        amount=invoice.total,
        currency=invoice.currency,
        received_on=timezone.localdate(),
        user=shop.finance,
    )
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID

    line = order.lines.get()
    rma = services.rma_create(
        customer=order.customer, lines={line.pk: Decimal("4")}, reason="defective", resolution="refund", user=service
    )
    services.rma_approve(rma_id=rma.pk, user=service)
    rma_line = rma.lines.get()
    services.rma_receive(rma_id=rma.pk, user=shop.warehouse, site=shop.site, quantities={rma_line.pk: Decimal("4")})
    services.rma_inspect(rma_id=rma.pk, user=shop.warehouse, dispositions={rma_line.pk: "restock"})

    assert _wait_for(
        lambda: ReturnAuthorization.objects.filter(pk=rma.pk, status=ReturnAuthorization.Status.COMPLETED).exists(),
        seconds=60,
    ), "billing did not credit through the worker"
    assert _wait_for(_all_processed)
    credit = Invoice.objects.get(kind=Invoice.Kind.CREDIT_NOTE)
    assert credit.corrects_id == invoice.pk and credit.subtotal == Decimal("400.00")
    assert ReturnAuthorization.objects.get(pk=rma.pk).credit_note_numbers == credit.number
    assert Handoff.objects.get(kind=rma.handoff_kind).closed_at is not None
    assert StockMovement.objects.filter(kind=StockMovement.Kind.RETURN, order_line=line).count() == 1
    line.refresh_from_db()
    assert line.quantity_returned == Decimal("4")

    closed = order_transition(order_id=order.pk, action="close", actor=shop.finance, note="Refund paid out")

    assert closed.status == OrderStatus.CLOSED
