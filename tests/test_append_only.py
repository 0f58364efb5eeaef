"""Posted invoices and the order event log are append-only, in the database itself: an UPDATE or
DELETE raises and nothing changes; corrections are new documents (credit notes, new events)."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.utils import timezone

from billing.models import Invoice, InvoiceLine
from orders import services
from orders.models import Order, OrderEvent
from orders.roles import Role
from orders.states import OrderStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def event(order_in, user_with):
    order = order_in(OrderStatus.DRAFT)
    services.order_transition(order_id=order.pk, action="submit", actor=user_with(Role.SALES_REP))
    return OrderEvent.objects.filter(order=order).latest("id")


def _refused(fn):
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        fn()


def test_an_event_cannot_be_updated_or_deleted_in_sql(event):
    before = OrderEvent.objects.filter(pk=event.pk).values().get()

    _refused(lambda: OrderEvent.objects.filter(pk=event.pk).update(note="rewritten"))
    _refused(lambda: OrderEvent.objects.filter(pk=event.pk).update(to_status=OrderStatus.PAID))
    _refused(lambda: OrderEvent.objects.filter(pk=event.pk).delete())

    assert OrderEvent.objects.filter(pk=event.pk).values().get() == before


def test_the_model_refuses_too_and_an_order_with_events_cannot_be_deleted(event):
    event.note = "rewritten"
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()
    with pytest.raises(ProtectedError), transaction.atomic():
        Order.objects.filter(pk=event.order_id).delete()
    assert OrderEvent.objects.get(pk=event.pk).note == ""


def test_deleting_a_user_keeps_their_events_with_no_actor(event):
    actor = event.actor
    actor.delete()
    event.refresh_from_db()
    assert event.actor_id is None and event.to_status == OrderStatus.ENTERED


@pytest.fixture
def posted(order_in, user_with):
    order = order_in(OrderStatus.INVOICED)
    invoice = Invoice.objects.create(
        customer=order.customer, order=order, currency="EUR", created_at=timezone.now(), source_key="t"
    )
    InvoiceLine.objects.create(
        invoice=invoice,
        description="goods",
        quantity=Decimal("1"),
        unit_price=Decimal("100"),
        net_amount=Decimal("100"),
        tax_amount=Decimal("20"),
    )
    Invoice.objects.filter(pk=invoice.pk).update(
        status=Invoice.Status.POSTED,
        number="INV-T-1",
        total=Decimal("120"),
        posted_at=timezone.now(),
        posted_by=user_with(Role.FINANCE),
    )
    return Invoice.objects.get(pk=invoice.pk)


def test_a_posted_invoice_and_its_lines_cannot_be_changed_or_deleted(posted):
    before = Invoice.objects.filter(pk=posted.pk).values().get()
    line = posted.lines.get()

    _refused(lambda: Invoice.objects.filter(pk=posted.pk).update(total=Decimal("1")))
    _refused(lambda: Invoice.objects.filter(pk=posted.pk).update(number="INV-OTHER"))
    _refused(lambda: Invoice.objects.filter(pk=posted.pk).update(status=Invoice.Status.CANCELLED))
    _refused(lambda: Invoice.objects.filter(pk=posted.pk).delete())
    _refused(lambda: InvoiceLine.objects.filter(pk=line.pk).update(quantity=Decimal("5")))
    _refused(lambda: InvoiceLine.objects.filter(pk=line.pk).delete())
    _refused(
        lambda: InvoiceLine.objects.create(
            invoice=posted,
            description="extra",
            quantity=Decimal("1"),
            unit_price=Decimal("1"),
            net_amount=Decimal("1"),
            tax_amount=Decimal("0"),
        )
    )

    assert Invoice.objects.filter(pk=posted.pk).values().get() == before
    assert list(posted.lines.values_list("quantity", flat=True)) == [Decimal("1.000")] or posted.lines.count() == 1


def test_payments_and_reminders_still_update_a_posted_invoice(posted):
    Invoice.objects.filter(pk=posted.pk).update(
        amount_paid=Decimal("120"), paid_at=timezone.now(), sent_at=timezone.now(), reminded_at=timezone.now()
    )
    posted.refresh_from_db()
    assert posted.amount_paid == Decimal("120") and posted.paid_at is not None


def test_a_draft_can_still_be_edited_and_cancelled(order_in):
    order = order_in(OrderStatus.SHIPPED)
    draft = Invoice.objects.create(customer=order.customer, order=order, currency="EUR", created_at=timezone.now())
    Invoice.objects.filter(pk=draft.pk).update(customer_po="PO-2")
    Invoice.objects.filter(pk=draft.pk).delete()
    assert not Invoice.objects.filter(pk=draft.pk).exists()
