"""The dashboard's per-order facts (OrderFact) and event end times stay what the rows say as
orders move through the real services, the backfill rebuilds exactly what live maintenance
wrote, and the dashboard's query count does not grow with the number of orders."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from billing import services as billing
from billing.models import Invoice
from fulfillment import services as fulfillment
from omc import kpis
from orders import services
from orders.demo import seed_demo
from orders.models import OrderEvent, OrderFact
from orders.roles import Role
from orders.states import OrderStatus
from pricing.services import cost_estimate_compute
from returns import services as returns

from .billing_support import ShippedOrders
from .factories import CustomerFactory, OrderFactory, OrderLineFactory, ProductFactory
from .history import rewriting_history

pytestmark = pytest.mark.django_db
S = OrderStatus
D = Decimal
FACT_FIELDS = [f.attname for f in OrderFact._meta.concrete_fields]


@pytest.fixture(autouse=True)
def fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def shop(user_with, django_capture_on_commit_callbacks):
    return ShippedOrders(user_with, django_capture_on_commit_callbacks)


def facts_of(order) -> dict:
    return OrderFact.objects.filter(order=order).values(*FACT_FIELDS).get()


def all_facts() -> dict:
    return {row["order_id"]: row for row in OrderFact.objects.values(*FACT_FIELDS)}


def event_ends() -> dict:
    return dict(OrderEvent.objects.values_list("id", "ended_at"))


def this_month():
    return kpis.filters_build(period="30")


def test_facts_follow_an_order_from_creation_to_return_and_match_the_backfill(shop, user_with):
    # given an order created through the service: a draft, not measured, valued at its lines
    sales = user_with(Role.SALES_REP)
    customer = CustomerFactory()
    draft = services.order_create(
        customer=customer,
        lines=[{"product": ProductFactory(), "quantity": D("3"), "unit_price": D("9.99")}],
        created_by=sales,
    )
    fact = facts_of(draft)
    assert (fact["committed"], fact["value"], fact["entered_at"]) == (False, D("29.97"), draft.created_at)

    # when an order is accepted, shipped in part, delivered, invoiced, paid and partly returned
    order = shop.order(customer=customer, lines=[("10", "100.00", "0"), ("4", "50.00", "10")])
    fact = facts_of(order)
    assert fact["committed"] is True
    assert (fact["value"], fact["lines_short"], fact["units_shipped"]) == (D("1180.00"), 2, D("0"))
    shipment = shop.ship(order, quantities={1: "10", 2: "0"})
    shipment.refresh_from_db()
    fact = facts_of(order)
    assert (fact["lines_short"], fact["units_shipped"]) == (1, D("10"))
    assert fact["first_shipped_at"] == fact["last_shipped_at"] == shipment.shipped_at
    second = shop.ship(order)
    second.refresh_from_db()
    fact = facts_of(order)
    assert (fact["lines_short"], fact["units_shipped"]) == (0, D("14"))
    assert (fact["first_shipped_at"], fact["last_shipped_at"]) == (shipment.shipped_at, second.shipped_at)

    with shop.capture(execute=True):
        fulfillment.shipment_deliver(shipment_id=shipment.pk, user=shop.warehouse)
        fulfillment.shipment_deliver(shipment_id=second.pk, user=shop.warehouse)
    delivered = OrderEvent.objects.get(order=order, to_status=S.DELIVERED)
    assert facts_of(order)["delivered_at"] == delivered.created_at

    with shop.capture(execute=True):
        for draft_invoice in Invoice.objects.filter(order=order, kind=Invoice.Kind.INVOICE):
            billing.invoice_post(invoice_id=draft_invoice.pk, user=shop.finance)
    invoices = Invoice.objects.filter(order=order, kind=Invoice.Kind.INVOICE)
    with shop.capture(execute=True):
        billing.payment_record(
            customer=customer,
            amount=sum(i.total for i in invoices),
            currency=customer.currency,
            received_on=timezone.localdate(),
            user=shop.finance,
        )
    paid = OrderEvent.objects.get(order=order, to_status=S.PAID)
    assert facts_of(order)["paid_at"] == paid.created_at

    service = user_with(Role.CUSTOMER_SERVICE)
    line = order.lines.get(line_no=1)
    with shop.capture(execute=True):
        rma = returns.rma_create(
            customer=customer, lines={line.pk: D("2")}, reason="defective", resolution="refund", user=service
        )
        returns.rma_approve(rma_id=rma.pk, user=service)
        rma_line = rma.lines.get()
        returns.rma_receive(rma_id=rma.pk, user=shop.warehouse, site=shop.site, quantities={rma_line.pk: D("2")})
    assert facts_of(order)["units_returned"] == D("2")

    cost_estimate_compute(order=order)
    assert facts_of(order)["margin"] is not None

    # then every event but each order's last has ended at the next one's time
    for events in (OrderEvent.objects.filter(order=o).order_by("created_at", "id") for o in (order, draft)):
        rows = list(events)
        assert [e.ended_at for e in rows[:-1]] == [e.created_at for e in rows[1:]]
        assert rows[-1].ended_at is None

    # and the KPIs see it: complete on time, no miss, 2 of 14 units back
    f = this_month()
    assert kpis.return_rate(f).value == Decimal("14.3")
    assert kpis.cycle_to_delivery(f).detail.startswith("average over 1 orders")

    # and the backfill rebuilds exactly what the services kept up to date
    live_facts, live_ends = all_facts(), event_ends()
    figures = {kpi.key: kpi.compute(f).value for kpi in kpis.KPIS}
    OrderFact.objects.all().delete()
    with rewriting_history():
        OrderEvent.objects.update(ended_at=None)
    services.order_facts_backfill()
    assert all_facts() == live_facts
    assert event_ends() == live_ends
    assert {kpi.key: kpi.compute(f).value for kpi in kpis.KPIS} == figures


def test_a_late_partial_delivery_and_a_promise_change_reach_the_late_orders(shop, user_with):
    # given an order promised for today, its promise moved to yesterday, shipped in two parts
    order = shop.order(lines=[("10", "100.00", "0"), ("4", "50.00", "0")], promised_date=timezone.localdate())
    services.order_promise_change(
        order_id=order.pk,
        new_date=timezone.localdate() - timedelta(days=1),
        reason="press down",
        actor=user_with(Role.SCHEDULER),
    )
    assert facts_of(order)["promised_date"] == timezone.localdate() - timedelta(days=1)
    first = shop.ship(order, quantities={1: "10", 2: "0"})
    second = shop.ship(order)
    f = this_month()
    assert facts_of(order)["late_delivered_at"] is None

    # when the first part arrives today, a day after the promise
    with shop.capture(execute=True):
        fulfillment.shipment_deliver(shipment_id=first.pk, user=shop.warehouse)
    first.refresh_from_db()

    # then the order is late before it is delivered in full, read from its facts, and the
    # shipments themselves say the same
    assert facts_of(order)["late_delivered_at"] == first.delivered_at
    assert list(kpis.on_time_delivery_orders(f)) == list(kpis.late_orders_by_shipments(f)) == [order]
    with shop.capture(execute=True):
        fulfillment.shipment_deliver(shipment_id=second.pk, user=shop.warehouse)
    second.refresh_from_db()
    assert facts_of(order)["late_delivered_at"] == second.delivered_at
    assert kpis.miss_attribution(f)["late_orders"] == 1


def test_a_refused_move_leaves_the_facts_as_they_were(shop, user_with):
    order = shop.order()
    before = facts_of(order)
    with pytest.raises(Exception):  # noqa: B017 the domain error's type is the transition test's business
        services.order_transition(order_id=order.pk, action="invoice", actor=shop.finance)
    assert facts_of(order) == before


def test_billing_accuracy_moves_with_a_credit_note(shop):
    order = shop.shipped(lines=[("2", "100.00", "0")])
    with shop.capture(execute=True):
        draft = Invoice.objects.get(order=order, kind=Invoice.Kind.INVOICE)
        invoice = billing.invoice_post(invoice_id=draft.pk, user=shop.finance)
    f = this_month()
    assert kpis.billing_accuracy(f).value == Decimal("100.0")
    with shop.capture(execute=True):
        billing.credit_note_issue(
            invoice_id=invoice.pk, user=shop.finance, reason="price", lines={invoice.lines.get().pk: {"quantity": 1}}
        )
    assert kpis.billing_accuracy(f).value == Decimal("0.0")


def _orders(n: int) -> None:
    now = timezone.now()
    for k in range(n):
        order = OrderFactory(status=S.DELIVERED, promised_date=(now - timedelta(days=3)).date(), created_at=now)
        OrderLineFactory(order=order, quantity_ordered=D("2"), quantity_shipped=D("2" if k % 2 else "1"))
        OrderEvent.objects.create(order=order, action="t", to_status=S.ENTERED, created_at=now - timedelta(days=5))
        OrderEvent.objects.create(order=order, action="t", to_status=S.DELIVERED, created_at=now - timedelta(days=1))
    services.order_facts_backfill()


def _dashboard_queries(client) -> int:
    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/dashboard/").status_code == 200
    return len(queries.captured_queries)


def test_dashboard_query_count_does_not_grow_with_the_orders(client, user_with):
    client.force_login(user_with(Role.EXECUTIVE))
    _orders(2)
    few = _dashboard_queries(client)
    _orders(38)
    assert _dashboard_queries(client) == few
    assert kpis.fill_rate(this_month()).detail == "20 of 40 orders complete on time"


def test_cached_dashboard_is_one_read_and_new_targets_show_at_once(client, user_with, django_assert_max_num_queries):
    boss = user_with(Role.EXECUTIVE)
    client.force_login(boss)
    _orders(2)
    client.get("/dashboard/")
    with django_assert_max_num_queries(5):  # the layout (session, user, roles, navigation); the body is cached
        assert client.get("/dashboard/").status_code == 200
    kpis.kpi_targets_save(values={"fill_rate": Decimal("97")}, user=boss)
    assert b"Target 97%" in client.get("/dashboard/").content


def test_the_demo_seed_writes_event_ends_and_facts_as_the_backfill_would():
    seed_demo(orders=40, seed=3)
    seeded_facts, seeded_ends = all_facts(), event_ends()
    assert len(seeded_facts) == 40
    assert any(seeded_ends.values())
    OrderFact.objects.all().delete()
    with rewriting_history():
        OrderEvent.objects.update(ended_at=None)
    services.order_facts_backfill()
    assert all_facts() == seeded_facts
    assert event_ends() == seeded_ends
