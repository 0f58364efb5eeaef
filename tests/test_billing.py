"""Billing: invoices drafted from shipments, review and posting, credit notes, payments, AR."""

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.db import connection
from django.utils import timezone

from billing import selectors, services
from billing.errors import InvoiceStateError
from billing.models import CustomerTaxRate, Invoice, ProductTaxRate
from orders.errors import GuardFailed, ValidationFailed
from orders.models import Customer, Order, OrderEvent, OutboxMessage
from orders.services import outbox_process
from orders.states import OrderStatus

from .billing_support import ShippedOrders
from .factories import CustomerFactory
from .history import rewriting_history

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop(user_with, django_capture_on_commit_callbacks):
    return ShippedOrders(user_with, django_capture_on_commit_callbacks)


def test_shipping_drafts_the_invoice_after_commit_at_the_agreed_prices(shop):
    order = shop.shipped(lines=[("10", "100.00", "5"), ("3", "19.99", "0")])

    invoice = Invoice.objects.get(order=order)
    assert invoice.status == Invoice.Status.DRAFT
    shipment_number = order.events.get(action="ship").data["shipment"]
    lines = list(
        invoice.lines.order_by("id").values_list(
            "quantity", "unit_price", "discount_percent", "delivery_note", "net_amount", "tax_amount"
        )
    )
    assert lines == [
        (Decimal("10"), Decimal("100.00"), Decimal("5"), shipment_number, Decimal("950.00"), Decimal("190.00")),
        (Decimal("3"), Decimal("19.99"), Decimal("0"), shipment_number, Decimal("59.97"), Decimal("11.99")),
    ]
    # totals are sums of the rounded lines
    assert (invoice.subtotal, invoice.tax_total, invoice.total) == (
        Decimal("1009.97"),
        Decimal("201.99"),
        Decimal("1211.96"),
    )
    assert [line.quantity_invoiced for line in order.lines.order_by("line_no")] == [Decimal("10"), Decimal("3")]


def test_the_shipment_handoff_run_twice_makes_one_invoice(shop):
    order = shop.shipped()
    message = OutboxMessage.objects.get(topic="order.ship", order=order)
    event_id = message.payload["event_id"]

    assert outbox_process(message_id=message.pk) is False  # already processed once
    again = services.invoice_draft_from_shipment(event_id=event_id)  # even called directly

    assert Invoice.objects.filter(order=order).count() == 1
    assert again == Invoice.objects.get(order=order)


def test_partial_shipments_are_invoiced_per_shipment(shop):
    order = shop.order(lines=[("10", "10.00", "0")])
    shop.ship(order, quantities={1: "4"})
    shop.ship(order)

    invoices = Invoice.objects.filter(order=order).order_by("id")
    assert [inv.lines.get().quantity for inv in invoices] == [Decimal("4"), Decimal("6")]
    assert Order.objects.get(pk=order.pk).status == OrderStatus.SHIPPED


def test_tax_rate_customer_beats_product_beats_standard(shop, settings):
    settings.OMC_STANDARD_TAX_RATE_PERCENT = "20"
    exempt = CustomerFactory()
    CustomerTaxRate.objects.create(customer=exempt, rate_percent=Decimal("0"), reason="Export")
    order = shop.order(lines=[("1", "100.00", "0"), ("1", "100.00", "0")])
    ProductTaxRate.objects.create(product=order.lines.get(line_no=2).product, rate_percent=Decimal("10"))
    shop.ship(order)
    assert list(Invoice.objects.get(order=order).lines.order_by("id").values_list("tax_rate_percent", flat=True)) == [
        Decimal("20"),
        Decimal("10"),
    ]
    export = shop.shipped(customer=exempt)
    assert Invoice.objects.get(order=export).tax_total == 0


def test_monthly_customers_get_one_consolidated_invoice_per_period(shop):
    monthly = CustomerFactory(invoice_grouping=Customer.InvoiceGrouping.MONTHLY)
    first, second = shop.shipped(customer=monthly), shop.shipped(customer=monthly, lines=[("2", "50.00", "0")])
    assert not Invoice.objects.exists()  # nothing per shipment
    today = timezone.localdate()

    made = services.invoices_build_consolidated(period_start=today.replace(day=1), period_end=today)
    again = services.invoices_build_consolidated(period_start=today.replace(day=1), period_end=today)

    assert len(made) == 1 and again == []
    invoice = made[0]
    assert invoice.order is None and invoice.customer == monthly
    assert {line.order_line.order_id for line in invoice.lines.select_related("order_line")} == {first.pk, second.pk}
    assert all(line.delivery_note.startswith("SH-") for line in invoice.lines.all())
    assert invoice.subtotal == Decimal("1100.00")


def test_posting_needs_every_check_to_pass(shop):
    order = shop.shipped(customer=CustomerFactory(po_required=True))
    invoice = Invoice.objects.get(order=order)

    with pytest.raises(GuardFailed) as refused:
        services.invoice_post(invoice_id=invoice.pk, user=shop.finance)
    assert refused.value.field_errors["checks"] == ["PO number present: The customer requires a PO number."]
    assert Invoice.objects.get(pk=invoice.pk).status == Invoice.Status.DRAFT

    services.invoice_edit(invoice_id=invoice.pk, user=shop.finance, reason="PO by phone", customer_po="PO-9")
    posted = services.invoice_post(invoice_id=invoice.pk, user=shop.finance)

    assert posted.number == f"INV-{timezone.localdate().year}-000001"
    assert posted.due_date == timezone.localdate() + timedelta(days=posted.customer.payment_terms_days)
    assert Order.objects.get(pk=order.pk).status == OrderStatus.INVOICED
    assert invoice.edits.get().changes == {"customer_po": ["", "PO-9"]}


def test_a_posted_invoice_is_immutable(shop):
    invoice = Invoice.objects.get(order=shop.shipped())
    services.invoice_post(invoice_id=invoice.pk, user=shop.finance)
    with pytest.raises(InvoiceStateError):
        services.invoice_edit(invoice_id=invoice.pk, user=shop.finance, reason="x", customer_po="Y")
    with pytest.raises(InvoiceStateError):
        services.invoice_cancel(invoice_id=invoice.pk, user=shop.finance, reason="x")


def test_finance_asks_sales_and_sales_answers(shop):
    invoice = Invoice.objects.get(order=shop.shipped(customer=CustomerFactory(po_required=True)))

    services.invoice_query(invoice_id=invoice.pk, user=shop.finance, question="Which PO?")
    assert Invoice.objects.get(pk=invoice.pk).status == Invoice.Status.QUERIED
    with pytest.raises(InvoiceStateError):
        services.invoice_post(invoice_id=invoice.pk, user=shop.finance)
    services.invoice_answer(invoice_id=invoice.pk, user=shop.sales, answer="PO 4711", customer_po="4711")

    invoice.refresh_from_db()
    assert (invoice.status, invoice.customer_po, invoice.answer) == (Invoice.Status.DRAFT, "4711", "PO 4711")


def test_reducing_a_draft_frees_the_quantity_and_cancelling_frees_all(shop):
    order = shop.shipped(lines=[("10", "10.00", "0")])
    invoice = Invoice.objects.get(order=order)
    line = invoice.lines.get()

    services.invoice_edit(
        invoice_id=invoice.pk, user=shop.finance, reason="2 damaged", quantities={line.pk: Decimal("8")}
    )
    assert order.lines.get().quantity_invoiced == Decimal("8")
    assert Invoice.objects.get(pk=invoice.pk).subtotal == Decimal("80.00")
    with pytest.raises(ValidationFailed):
        services.invoice_edit(
            invoice_id=invoice.pk, user=shop.finance, reason="more", quantities={line.pk: Decimal("11")}
        )

    services.invoice_cancel(invoice_id=invoice.pk, user=shop.finance, reason="Wrong customer")
    assert order.lines.get().quantity_invoiced == 0


@pytest.mark.django_db(transaction=True)
def test_invoice_numbers_have_no_gaps_when_posted_concurrently(shop):
    invoices = [Invoice.objects.get(order=shop.shipped()) for _ in range(8)]
    start = threading.Barrier(len(invoices))
    errors = []

    def post(invoice_id):
        try:
            start.wait(timeout=20)
            services.invoice_post(invoice_id=invoice_id, user=shop.finance)
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=post, args=(invoice.pk,)) for invoice in invoices]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    numbers = sorted(Invoice.objects.values_list("number", flat=True))
    year = timezone.localdate().year
    assert numbers == [f"INV-{year}-{n:06d}" for n in range(1, 9)]


def test_payments_partial_full_and_over_then_the_order_is_paid(shop):
    order = shop.shipped(lines=[("10", "100.00", "0")])  # 1,000 + 20% tax
    invoice = Invoice.objects.get(order=order)
    services.invoice_post(invoice_id=invoice.pk, user=shop.finance)

    services.payment_record(
        customer=order.customer,
        amount=Decimal("200.00"),
        currency="EUR",
        received_on=timezone.localdate(),
        user=shop.finance,
        reference="bank 1",
    )
    invoice.refresh_from_db()
    assert (invoice.balance, invoice.paid_at) == (Decimal("1000.00"), None)
    assert Order.objects.get(pk=order.pk).status == OrderStatus.INVOICED

    over = services.payment_record(
        customer=order.customer,
        amount=Decimal("1050.00"),
        currency="EUR",
        received_on=timezone.localdate(),
        user=shop.finance,
    )
    invoice.refresh_from_db()
    assert invoice.balance == 0 and invoice.paid_at is not None
    assert over.unallocated == Decimal("50.00")
    assert Order.objects.get(pk=order.pk).status == OrderStatus.PAID


def test_credit_notes_correct_and_count_against_billing_accuracy(shop):
    good, bad = Invoice.objects.get(order=shop.shipped()), Invoice.objects.get(order=shop.shipped())
    for invoice in (good, bad):
        services.invoice_post(invoice_id=invoice.pk, user=shop.finance)
    line = bad.lines.get()

    credit = services.credit_note_issue(
        invoice_id=bad.pk,
        user=shop.finance,
        reason="Price dispute",
        lines={line.pk: {"quantity": Decimal("10"), "unit_price": Decimal("5.00")}},
    )

    assert credit.number.startswith("CN-") and credit.total == Decimal("60.00")  # 10 x 5.00 + 20%
    bad.refresh_from_db()
    assert bad.balance == Decimal("1140.00")
    assert selectors.billing_accuracy()["rate"] == Decimal("50.0")
    with pytest.raises(ValidationFailed):
        services.credit_note_issue(
            invoice_id=bad.pk, user=shop.finance, reason="Too much", lines={line.pk: {"quantity": Decimal("11")}}
        )


def test_ar_aging_buckets_and_dso_on_known_data(shop):
    today = timezone.localdate()
    for days_past_due in (-5, 10, 45, 75, 120):
        invoice = Invoice.objects.get(order=shop.shipped(lines=[("1", "100.00", "0")]))
        services.invoice_post(invoice_id=invoice.pk, user=shop.finance)
        with rewriting_history():  # a posted invoice is append-only; the test makes it older
            Invoice.objects.filter(pk=invoice.pk).update(due_date=today - timedelta(days=days_past_due))
    rows = list(selectors.ar_aging(today=today))

    totals = {
        key: sum(row[key] for row in rows)
        for key in ("current", "days_1_30", "days_31_60", "days_61_90", "over_90", "total")
    }
    assert totals == {
        "current": Decimal("120.00"),
        "days_1_30": Decimal("120.00"),
        "days_31_60": Decimal("120.00"),
        "days_61_90": Decimal("120.00"),
        "over_90": Decimal("120.00"),
        "total": Decimal("600.00"),
    }
    # all 600 open, all 600 invoiced in the last 90 days: DSO = 600 / 600 x 90
    assert selectors.dso(today=today) == Decimal("90.0")


def test_overdue_reminders_go_once_a_week(shop):
    invoice = Invoice.objects.get(order=shop.shipped(customer=CustomerFactory(billing_email="ap@customer.test")))
    services.invoice_post(invoice_id=invoice.pk, user=shop.finance)
    with rewriting_history():
        Invoice.objects.filter(pk=invoice.pk).update(due_date=timezone.localdate() - timedelta(days=3))
    mail.outbox.clear()

    assert services.invoices_send_reminders() == 1
    assert services.invoices_send_reminders() == 0
    assert services.invoices_send_reminders(today=timezone.localdate() + timedelta(days=8)) == 1
    assert mail.outbox[0].to == ["ap@customer.test"] and "overdue" in mail.outbox[0].subject


def test_posting_emails_the_pdf_once(shop, django_capture_on_commit_callbacks):
    invoice = Invoice.objects.get(order=shop.shipped(customer=CustomerFactory(billing_email="ap@customer.test")))
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.invoice_post(invoice_id=invoice.pk, user=shop.finance)

    assert len(mail.outbox) == 1
    name, content, mimetype = mail.outbox[0].attachments[0]
    assert (name, mimetype) == (f"{Invoice.objects.get(pk=invoice.pk).number}.pdf", "application/pdf")
    assert content.startswith(b"%PDF")
    assert services.invoice_send(invoice_id=invoice.pk) is False


def test_a_claim_marks_the_invoice_disputed(shop):
    invoice = Invoice.objects.get(order=shop.shipped())
    services.invoice_post(invoice_id=invoice.pk, user=shop.finance)
    message = OutboxMessage.objects.create(
        topic="returns.claim_opened", created_at=timezone.now(), payload={"invoice_id": invoice.pk}
    )
    outbox_process(message_id=message.pk)
    assert Invoice.objects.get(pk=invoice.pk).disputed_at is not None
    assert selectors.billing_accuracy()["rate"] == Decimal("0.0")


def test_the_order_event_carries_the_shipment(shop):
    order = shop.shipped()
    event = OrderEvent.objects.get(order=order, action="ship")
    assert event.data["shipment"].startswith("SH-") and list(event.data["lines"].values()) == ["10.000"]


def test_a_credit_note_after_payment_leaves_a_refund_due(shop):
    order = shop.shipped(lines=[("1", "100.00", "0")])
    invoice = Invoice.objects.get(order=order)
    services.invoice_post(invoice_id=invoice.pk, user=shop.finance)
    services.payment_record(
        customer=order.customer,
        amount=Decimal("120.00"),
        currency="EUR",
        received_on=timezone.localdate(),
        user=shop.finance,
    )

    services.credit_note_issue(
        invoice_id=invoice.pk,
        user=shop.finance,
        reason="Returned",
        lines={invoice.lines.get().pk: {"quantity": Decimal("1")}},
    )

    invoice.refresh_from_db()
    assert (invoice.balance, invoice.refund_due) == (Decimal("-120.00"), Decimal("120.00"))
    assert [r.pk for r in selectors.refunds_due()] == [invoice.pk]
    assert list(selectors.ar_aging()) == []
