"""The step apps' set-based demo seeds (`seed_* --bulk`): on a seeded demo company their documents
agree with the orders' lines and events, follow the services' rules (amounts, numbering,
states), a second run writes nothing, and the dashboard's KPIs then have data."""

import re
from collections import defaultdict
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.db.models import Count, Q, Sum
from django.test import override_settings
from django.utils import timezone

from billing.bulk import invoices_bulk_seed
from billing.models import Invoice, InvoiceLine, Payment, PaymentAllocation
from billing.services import line_amounts
from fulfillment.bulk import shipments_bulk_seed
from fulfillment.models import Shipment, ShipmentLine
from omc import kpis
from orders.facts import NOT_COMMITTED
from orders.models import Order, OrderEvent, OrderFact, OrderLine
from pricing.bulk import estimates_bulk_seed
from pricing.models import CostEstimate
from pricing.services import cost_estimate_calculate
from returns.bulk import returns_bulk_seed
from returns.models import ReturnAuthorization, ReturnLine

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the bulk seeds are PostgreSQL only"),
]
SEEDS = ["seed_shipments", "seed_billing", "seed_estimates", "seed_returns"]


@pytest.fixture
def company():
    quiet = open("/dev/null", "w")
    call_command("seed_demo", orders=300, seed=11, stdout=quiet)
    for name in SEEDS:
        call_command(name, bulk=True, stdout=quiet)


def _events(action: str) -> dict[int, list]:
    times = defaultdict(list)
    for order_id, at in (
        OrderEvent.objects.filter(action=action).order_by("created_at").values_list("order_id", "created_at")
    ):
        times[order_id].append(at)
    return times


def test_shipments_follow_the_ship_events(company):
    ships, delivered, ready = _events("ship"), _events("deliver"), _events("mark_ready")
    shipments = list(Shipment.objects.all())
    assert shipments and set(s.order_id for s in shipments) == set(ships)
    now = timezone.now()
    for shipment in shipments:
        assert shipment.shipped_at in ships[shipment.order_id]
        assert ready[shipment.order_id][-1] <= shipment.created_at <= shipment.packed_at <= shipment.shipped_at < now
        assert shipment.ship_date == timezone.localdate(shipment.shipped_at)
        assert shipment.carrier and shipment.tracking_number and re.fullmatch(r"SH-\d{7,}", shipment.number)
        if shipment.order_id in delivered:
            assert shipment.status == Shipment.Status.DELIVERED
            assert shipment.delivered_at == delivered[shipment.order_id][0] > shipment.shipped_at
        else:
            assert shipment.status == Shipment.Status.SHIPPED and shipment.delivered_at is None
        assert shipment.site_id == Order.objects.get(pk=shipment.order_id).site_id
    # what the shipments carried is exactly what the order lines say was shipped
    carried = dict(
        ShipmentLine.objects.values("order_line_id")
        .annotate(q=Sum("quantity_packed"))
        .values_list("order_line_id", "q")
    )
    shipped = dict(OrderLine.objects.filter(quantity_shipped__gt=0).values_list("id", "quantity_shipped"))
    assert carried == shipped
    assert len({s.tracking_number for s in shipments}) == len(shipments)


def test_invoices_only_for_invoiced_orders_with_the_services_amounts(company):
    invoiced, paid, ships = _events("invoice"), _events("record_payment"), _events("ship")
    invoices = list(Invoice.objects.filter(kind=Invoice.Kind.INVOICE).select_related("order"))
    assert invoices and {i.order_id for i in invoices} == set(invoiced)
    assert all(i.status == Invoice.Status.POSTED for i in Invoice.objects.all())
    for invoice in invoices:
        assert re.fullmatch(rf"INV-{invoice.issue_date.year}-\d{{6}}", invoice.number)
        assert invoice.created_at in ships[invoice.order_id]  # drafted by the ship hand-off
        assert invoice.posted_at == invoiced[invoice.order_id][0] > invoice.created_at
        assert invoice.issue_date == timezone.localdate(invoice.posted_at)
        assert (invoice.due_date - invoice.issue_date).days == invoice.order.customer.payment_terms_days
        assert invoice.currency == invoice.order.currency
        lines = list(invoice.lines.all())
        for line in lines:
            assert (line.net_amount, line.tax_amount) == line_amounts(
                quantity=line.quantity,
                unit_price=line.unit_price,
                discount_percent=line.discount_percent,
                tax_rate_percent=line.tax_rate_percent,
                currency=invoice.currency,
            )
        assert invoice.subtotal == sum(line.net_amount for line in lines)
        assert invoice.tax_total == sum(line.tax_amount for line in lines)
        assert invoice.total == invoice.subtotal + invoice.tax_total > 0
        if invoice.order_id in paid:
            assert invoice.paid_at == paid[invoice.order_id][0] and invoice.balance == 0
        else:
            assert invoice.paid_at is None and invoice.amount_paid == 0
    # every shipped and invoiced quantity is on exactly one posted invoice
    billed = dict(
        InvoiceLine.objects.filter(invoice__kind=Invoice.Kind.INVOICE)
        .values("order_line_id")
        .annotate(q=Sum("quantity"))
        .values_list("order_line_id", "q")
    )
    assert billed == dict(OrderLine.objects.filter(quantity_invoiced__gt=0).values_list("id", "quantity_invoiced"))
    # payments: one per paid invoice, allocated in full
    allocated = dict(
        PaymentAllocation.objects.values("invoice_id").annotate(a=Sum("amount")).values_list("invoice_id", "a")
    )
    assert allocated == {i.pk: i.amount_paid for i in invoices if i.paid_at}
    assert Payment.objects.filter(unallocated=0).count() == Payment.objects.count() == len(allocated)


def test_credit_notes_and_disputes_correct_some_invoices(company):
    credits = list(Invoice.objects.filter(kind=Invoice.Kind.CREDIT_NOTE).select_related("corrects"))
    assert credits  # about every 50th invoice
    for credit in credits:
        invoice = credit.corrects
        assert re.fullmatch(rf"CN-{credit.issue_date.year}-\d{{6}}", credit.number)
        assert invoice.amount_credited == credit.total > 0
        assert invoice.posted_at < credit.posted_at <= (invoice.paid_at or timezone.now())
        (line,) = credit.lines.all()
        original = invoice.lines.get(order_line_id=line.order_line_id)
        assert line.quantity == original.quantity and 0 < line.unit_price < original.unit_price
    assert Invoice.objects.filter(disputed_at__isnull=False).exists()  # about every 70th
    assert not Invoice.objects.filter(kind=Invoice.Kind.INVOICE, amount_credited__gt=0, credit_notes=None).exists()
    numbers = list(Invoice.objects.values_list("number", flat=True))
    assert len(set(numbers)) == len(numbers)


def test_estimates_are_the_services_for_every_committed_order(company):
    committed = Order.objects.exclude(status__in=NOT_COMMITTED)
    estimates = {e.order_id: e for e in CostEstimate.objects.all()}
    assert set(estimates) == set(committed.values_list("pk", flat=True))
    for order in committed.select_related("customer"):
        figures = cost_estimate_calculate(order=order)
        figures.pop("lines")
        assert {k: getattr(estimates[order.pk], k) for k in figures} == figures


def test_returns_come_after_delivery_and_count_on_the_lines(company):
    delivered = _events("deliver")
    rmas = list(ReturnAuthorization.objects.prefetch_related("lines__order_line"))
    assert rmas
    now = timezone.now()
    for rma in rmas:
        lines = list(rma.lines.all())
        order_ids = {line.order_line.order_id for line in lines}
        assert len(order_ids) == 1
        (order_id,) = order_ids
        assert rma.status == ReturnAuthorization.Status.COMPLETED
        assert delivered[order_id][0] < rma.created_at < rma.approved_at < rma.received_at < rma.completed_at < now
        assert re.fullmatch(rf"RMA-{rma.created_at.year}-\d{{6}}", rma.number)
        for line in lines:
            assert 0 < line.quantity_received == line.quantity <= line.order_line.quantity_shipped
    returned = dict(
        ReturnLine.objects.values("order_line_id")
        .annotate(q=Sum("quantity_received"))
        .values_list("order_line_id", "q")
    )
    assert returned == dict(OrderLine.objects.filter(quantity_returned__gt=0).values_list("id", "quantity_returned"))
    shipped_lines = OrderLine.objects.filter(order_id__in=delivered, quantity_shipped__gt=0).count()
    assert 0 < len(returned) < shipped_lines / 10  # a few percent


def test_a_second_run_writes_nothing(company):
    tables = [Shipment, ShipmentLine, Invoice, InvoiceLine, Payment, CostEstimate, ReturnAuthorization, ReturnLine]
    before = [model.objects.count() for model in tables]
    for seed in (shipments_bulk_seed, invoices_bulk_seed, estimates_bulk_seed, returns_bulk_seed):
        assert seed().written == 0
    assert [model.objects.count() for model in tables] == before


def test_the_dashboard_kpis_have_data_and_the_rollups_agree(company):
    facts = OrderFact.objects.aggregate(
        shipped=Count("pk", filter=~_null("first_shipped_at")), margin=Count("pk", filter=~_null("margin"))
    )
    assert facts["shipped"] == Shipment.objects.values("order_id").distinct().count()
    assert facts["margin"] == CostEstimate.objects.count()
    keys = ["fill_rate", "on_time_delivery", "billing_accuracy", "dso", "return_rate", "margin_per_order"]
    figures = {}
    for rollups in (True, False):
        cache.clear()
        with override_settings(OMC_KPI_ROLLUPS=rollups):
            f = kpis.filters_build(period="365")
            figures[rollups] = {key: getattr(kpis, key)(f).value for key in keys}
    assert all(value is not None for value in figures[True].values()), figures[True]
    assert figures[True] == figures[False]
    assert Decimal(0) < figures[True]["return_rate"] < Decimal(100)
    assert kpis.miss_attribution(kpis.filters_build(period="365"))["late_orders"] >= 0


def _null(field: str) -> Q:
    return Q(**{f"{field}__isnull": True})


@pytest.mark.parametrize("currency", ["VND", "EUR", "THB", "XXX"])
def test_the_sql_rounding_is_the_money_rounding(currency):
    from orders.bulk import currency_decimals
    from orders.money import money_round

    amounts = [Decimal("0.005"), Decimal("1.5"), Decimal("2.4999"), Decimal("1234.565"), Decimal("0.5")]
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT ROUND(a, {currency_decimals('c')}) FROM unnest(%s::numeric[]) a, (SELECT %s::text AS c) cur",
            [amounts, currency],
        )
        rounded = [row[0] for row in cursor.fetchall()]
    assert rounded == [money_round(a, currency) for a in amounts]
