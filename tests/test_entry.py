"""Order entry and selection: promised dates, credit check, duplicates, priority score."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from fulfillment import services as fulfillment
from orders import entry, services
from orders.models import Customer, Order, RoutingStep, WorkCenter
from orders.roles import Role
from orders.states import OrderStatus

from .billing_support import ShippedOrders
from .factories import CustomerFactory, OrderFactory, OrderLineFactory, ProductFactory, SiteFactory
from .history import rewriting_history

pytestmark = pytest.mark.django_db


def _draft(customer=None, *lines, **kwargs):
    order = OrderFactory(customer=customer or CustomerFactory(), **kwargs)
    for line_no, (product, quantity) in enumerate(lines, start=1):
        OrderLineFactory(
            order=order,
            line_no=line_no,
            product=product,
            quantity_ordered=Decimal(quantity),
            unit_price=Decimal("100.00"),
        )
    return order


# --- available to promise -------------------------------------------------------------------


def test_promise_from_stock_names_the_site(user_with):
    product = ProductFactory()
    fulfillment.stock_receive(
        product=product, site=SiteFactory(name="Site B"), quantity=Decimal("10"), user=user_with(Role.WAREHOUSE)
    )
    order = _draft(None, (product, "10"))

    promised, promises = entry.order_promise(order=order)

    assert promised == timezone.localdate()
    assert promises[0].explanation == "from stock at Site B"


def test_promise_from_capacity_books_the_routing_into_free_hours():
    press = WorkCenter.objects.create(code="PR2", name="Press 2", hours_per_day=Decimal("8"), days_per_week=7)
    product = ProductFactory()
    RoutingStep.objects.create(product=product, sequence=10, work_center=press, hours_per_unit=Decimal("1"))
    order = _draft(None, (product, "20"))  # 20 h: 8 + 8 + 4 from tomorrow

    promised, promises = entry.order_promise(order=order)

    tomorrow = timezone.localdate() + timedelta(days=1)
    assert promised == tomorrow + timedelta(days=2) + timedelta(days=2)  # last production day + shipping lead
    assert promises[0].explanation == f"capacity on Press 2 from {tomorrow:%d %b}"


def test_promise_falls_back_to_the_standard_lead_time_and_takes_the_latest_line(user_with):
    in_stock, unknown = ProductFactory(), ProductFactory()
    fulfillment.stock_receive(
        product=in_stock, site=SiteFactory(), quantity=Decimal("5"), user=user_with(Role.WAREHOUSE)
    )
    order = _draft(None, (in_stock, "5"), (unknown, "1"))

    promised, promises = entry.order_promise(order=order)

    assert promised == timezone.localdate() + timedelta(days=21)
    assert entry.promise_summary(promises) == "line 2 standard lead time of 21 days"


# --- credit ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("limit", "held"), [("2000.00", False), ("1999.99", True), ("0.00", True)])
def test_credit_limit_edges_on_submit(limit, held, user_with):
    customer = CustomerFactory(credit_limit=Decimal(limit))
    order = _draft(customer, (ProductFactory(), "20"))  # 20 x 100.00 = 2,000.00

    moved = services.order_transition(order_id=order.pk, action="submit", actor=user_with(Role.SALES_REP))

    assert moved.status == (OrderStatus.ON_HOLD if held else OrderStatus.ENTERED)
    if held:
        assert moved.hold_reason.startswith(f"Credit limit {limit} exceeded: open orders 2000.00")
        assert moved.events.last().actor is None  # the system held it


def test_unpaid_and_overdue_invoices_count(user_with, django_capture_on_commit_callbacks):
    from billing import services as billing
    from billing.models import Invoice

    shop = ShippedOrders(user_with, django_capture_on_commit_callbacks)
    customer = CustomerFactory(credit_limit=Decimal("5000.00"))
    invoice = Invoice.objects.get(order=shop.shipped(customer=customer))  # 1,200.00 with tax
    billing.invoice_post(invoice_id=invoice.pk, user=shop.finance)

    credit = entry.customer_credit(customer=customer)
    assert (credit.unpaid, credit.overdue, credit.problems) == (Decimal("1200.00"), Decimal("0"), [])

    with rewriting_history():  # a posted invoice is append-only; the test makes it overdue
        Invoice.objects.filter(pk=invoice.pk).update(due_date=timezone.localdate() - timedelta(days=1))
    order = _draft(customer, (ProductFactory(), "1"))
    moved = services.order_transition(order_id=order.pk, action="submit", actor=user_with(Role.SALES_REP))
    assert moved.status == OrderStatus.ON_HOLD and moved.hold_reason == "Overdue invoices: 1200.00."

    released = services.order_transition(
        order_id=order.pk, action="release", actor=user_with(Role.FINANCE), note="Customer paid by phone"
    )
    assert released.status == OrderStatus.ENTERED


# --- duplicates -----------------------------------------------------------------------------


def test_duplicate_warnings_for_the_same_po_or_the_same_lines():
    customer, product = CustomerFactory(), ProductFactory()
    first = _draft(customer, (product, "5"), customer_po="PO-1")
    same_po = _draft(customer, (ProductFactory(), "1"), customer_po="po-1")
    same_lines = _draft(customer, (product, "5"))
    other_qty = _draft(customer, (product, "6"))

    assert entry.order_duplicates(order=same_po) == [f"Order {first.number} already has customer PO PO-1."]
    assert entry.order_duplicates(order=same_lines)[0].startswith(f"Order {first.number} of ")
    assert entry.order_duplicates(order=other_qty) == []
    Order.objects.filter(pk=first.pk).update(created_at=timezone.now() - timedelta(days=3))
    assert entry.order_duplicates(order=same_lines) == []


# --- priority -------------------------------------------------------------------------------


def test_the_score_on_a_hand_computed_example():
    weights = entry.priority_weights()  # tier 3, margin 3, strategic 2, capacity 1, urgency 1
    weights.strategic_families = ["Pumps"]
    weights.save()
    customer = CustomerFactory(tier=Customer.Tier.KEY)
    pump = ProductFactory(family="Pumps", standard_cost=Decimal("60.00"))
    order = _draft(customer, (pump, "1"), requested_date=timezone.localdate() + timedelta(days=7))

    score, breakdown = entry.order_score(order=order, weights=weights)

    # tier 3 x 0.75 + margin 3 x 1 (40%) + strategic 2 x 1 + capacity 1 x 0.5 (unknown) + urgency 1 x 1 = 8.75 of 10
    assert score == Decimal("87.50")
    assert {f: b["contribution"] for f, b in breakdown.items()} == {
        "tier": "22.50",
        "margin": "30.00",
        "strategic_fit": "20.00",
        "capacity_fit": "5.00",
        "urgency": "10.00",
    }
    assert breakdown["margin"]["reason"] == "margin 40.00%"


def test_changing_the_weights_rescores_the_queue(user_with):
    waiting = _draft(CustomerFactory(tier=Customer.Tier.STRATEGIC), (ProductFactory(), "1"), status=OrderStatus.ENTERED)
    entry.order_rescore(order=waiting)
    before = Order.objects.get(pk=waiting.pk).priority_score

    entry.priority_weights_set(
        user=user_with(Role.EXECUTIVE),
        strategic_families=[],
        tier=Decimal("10"),
        margin=Decimal("0"),
        strategic_fit=Decimal("0"),
        capacity_fit=Decimal("0"),
        urgency=Decimal("0"),
    )

    assert before != Decimal("100.00")
    assert Order.objects.get(pk=waiting.pk).priority_score == Decimal("100.00")


# --- pages ----------------------------------------------------------------------------------


def test_entering_an_order_on_the_pages(client, user_with):
    customer = CustomerFactory(name="Acme Pumps", credit_limit=Decimal("100000"))
    ProductFactory(sku="PUMP-7", list_price=Decimal("12.50"), standard_cost=Decimal("5.00"))
    client.force_login(user_with(Role.SALES_REP))

    assert "Acme Pumps" in client.get("/orders/new/customers/", {"q": "acme"}).content.decode()
    order_url = client.post("/orders/new/", {"customer": customer.pk}).url
    order = Order.objects.get(customer=customer)
    assert order_url == f"/orders/{order.pk}/edit/"

    assert "PUMP-7" in client.get("/orders/new/products/", {"sku": "pump"}).content.decode()
    html = client.post(
        f"/orders/{order.pk}/edit/lines/", {"sku": "pump-7", "quantity": "4"}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert 'data-testid="price-1">12.50' in html and "EUR 50.00" in html
    client.post(
        f"/orders/{order.pk}/edit/header/",
        {"customer_po": "PO-77", "requested_date": "2027-01-15"},
        HTTP_HX_REQUEST="true",
    )
    order.refresh_from_db()
    assert (order.customer_po, str(order.requested_date)) == ("PO-77", "2027-01-15")

    submitted = client.post(f"/orders/{order.pk}/actions/submit/", {"note": ""}, follow=True).content.decode()
    order.refresh_from_db()
    assert order.status == OrderStatus.ENTERED and order.promised_date is not None
    assert f"Order {order.number} is now entered." in submitted


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"sku": "NOPE", "quantity": "1"}, "No product with SKU &#x27;NOPE&#x27;."),
        ({"sku": "PUMP-7", "quantity": "abc"}, "Quantity: enter a number."),
        ({"sku": "PUMP-7", "quantity": "-2"}, "Quantity: must be more than 0"),
        ({"sku": "PUMP-7", "quantity": "1e30"}, "Quantity: must be more than 0"),
        ({"sku": "PUMP-7", "quantity": "1.23456"}, "at most 3 decimals"),
        ({"sku": "", "quantity": "1"}, "Type a SKU or a product name."),
    ],
)
def test_bad_line_input_is_an_inline_message(client, user_with, data, message):
    ProductFactory(sku="PUMP-7")
    order = _draft(CustomerFactory())
    client.force_login(user_with(Role.SALES_REP))

    response = client.post(f"/orders/{order.pk}/edit/lines/", data, HTTP_HX_REQUEST="true")

    assert response.status_code == 200 and message in response.content.decode()
    assert not order.lines.exists()


def test_entry_roles_and_finished_orders(client, user_with):
    order = _draft(CustomerFactory(), status=OrderStatus.ENTERED)
    client.force_login(user_with(Role.WAREHOUSE))
    assert client.get("/orders/new/").status_code == 403
    client.force_login(user_with(Role.SALES_REP))
    assert client.get(f"/orders/{order.pk}/edit/").url == f"/orders/{order.pk}/"
    response = client.post(f"/orders/{order.pk}/edit/lines/", {"sku": "X", "quantity": "1"}, follow=True)
    assert response.status_code == 200
    assert client.post("/orders/new/", {"customer": "999999"}, follow=True).status_code == 200


def test_review_queue_shows_contributions_and_bulk_accepts(client, user_with):
    orders = [
        _draft(CustomerFactory(tier=tier), (ProductFactory(), "1"), status=OrderStatus.ENTERED)
        for tier in (Customer.Tier.OCCASIONAL, Customer.Tier.STRATEGIC)
    ]
    for order in orders:
        entry.order_rescore(order=order)
    client.force_login(user_with(Role.REVIEW_BOARD))

    html = client.get("/orders/review/").content.decode()
    assert html.index(orders[1].number) < html.index(orders[0].number)  # strategic first
    assert "Strategic customer" in html
    client.post("/orders/review/accept/", {"order": [str(o.pk) for o in orders]})
    assert set(Order.objects.filter(pk__in=[o.pk for o in orders]).values_list("status", flat=True)) == {"accepted"}


def test_priority_settings_page(client, user_with):
    client.force_login(user_with(Role.REVIEW_BOARD))
    assert client.get("/orders/priority/").status_code == 403
    client.force_login(user_with(Role.EXECUTIVE))
    bad = client.post("/orders/priority/", {"tier": "x", "margin": "-1"}, follow=True).content.decode()
    assert "Tier: enter a number." in bad
    client.post(
        "/orders/priority/", {"tier": "5", "margin": "1", "strategic_fit": "0", "capacity_fit": "0", "urgency": "0"}
    )
    assert entry.priority_weights().tier == Decimal("5")


def test_sell_now_shows_spare_capacity_and_when_it_could_ship(client, user_with):
    press = WorkCenter.objects.create(code="PR9", name="Press 9", hours_per_day=Decimal("8"), days_per_week=7)
    product = ProductFactory(sku="MAKE-1")
    RoutingStep.objects.create(product=product, sequence=10, work_center=press, hours_per_unit=Decimal("0.5"))
    client.force_login(user_with(Role.SALES_REP))

    html = client.get("/orders/sell-now/").content.decode()

    # 10 units x 0.5 h = 5 h tomorrow, then two days to ship
    expected = timezone.localdate() + timedelta(days=3)
    assert "Press 9" in html and "MAKE-1" in html and f"{expected:%Y-%m-%d}" in html
    assert "224" in html  # free hours over 4 weeks: 28 days x 8 h
