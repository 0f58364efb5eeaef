"""Pricing: price resolution, cost to serve and margin, approvals, quotes."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from orders.errors import GuardFailed
from orders.models import Order, RoutingStep, WorkCenter
from orders.roles import Role
from orders.services import order_transition
from orders.states import OrderStatus
from pricing import services
from pricing.errors import PricingStateError
from pricing.models import (
    CustomerDestination,
    CustomerPrice,
    Discount,
    FreightZone,
    PriceApproval,
    PriceList,
    PriceListItem,
    Quote,
)

from .factories import CustomerFactory, OrderFactory, OrderLineFactory, ProductFactory

pytestmark = pytest.mark.django_db
TODAY = date(2026, 11, 22)


@pytest.fixture
def product():
    return ProductFactory(list_price=Decimal("100.00"), standard_cost=Decimal("40.00"))


@pytest.fixture
def customer():
    return CustomerFactory(currency="EUR", tier="key")


def _list(*items, currency="EUR", valid_from=date(2026, 1, 1), valid_to=None, name="Standard"):
    price_list = PriceList.objects.create(name=name, currency=currency, valid_from=valid_from, valid_to=valid_to)
    for product, min_quantity, price in items:
        PriceListItem.objects.create(
            price_list=price_list, product=product, min_quantity=Decimal(min_quantity), unit_price=Decimal(price)
        )
    return price_list


def _resolve(customer, product, quantity, day=TODAY):
    return services.price_resolve(
        customer=customer, product=product, quantity=Decimal(quantity), currency="EUR", day=day
    )


def test_price_resolution_customer_price_beats_quantity_break_beats_list(customer, product):
    assert _resolve(customer, product, "5") == services.ResolvedPrice(Decimal("100.00"), "product list price")
    _list((product, "1", "95.00"), (product, "100", "80.00"))
    assert _resolve(customer, product, "5") == services.ResolvedPrice(Decimal("95.00"), "price list")
    assert _resolve(customer, product, "100") == services.ResolvedPrice(Decimal("80.00"), "quantity break")
    CustomerPrice.objects.create(
        customer=customer,
        product=product,
        currency="EUR",
        unit_price=Decimal("77.00"),
        valid_from=date(2026, 6, 1),
        valid_to=date(2026, 12, 31),
    )
    assert _resolve(customer, product, "100") == services.ResolvedPrice(Decimal("77.00"), "customer price")
    # outside its validity the customer price no longer applies
    assert _resolve(customer, product, "100", day=date(2027, 1, 2)).source == "quantity break"


def test_no_price_in_the_currency_is_a_clear_error(customer, product):
    with pytest.raises(Exception, match=f"No price for {product.sku} in USD"):
        services.price_resolve(customer=customer, product=product, quantity=Decimal("1"), currency="USD", day=TODAY)


def test_pricing_copies_agreed_prices_that_later_list_changes_do_not_touch(customer, product, user_with):
    price_list = _list((product, "1", "90.00"), valid_from=date(2020, 1, 1))
    Discount.objects.create(tier="key", percent=Decimal("5"), valid_from=date(2020, 1, 1))
    order = OrderFactory(customer=customer)
    OrderLineFactory(order=order, line_no=1, product=product, quantity_ordered=Decimal("10"), unit_price=None)

    services.order_price(order_id=order.pk, user=user_with(Role.SALES_REP))
    order_transition(order_id=order.pk, action="submit", actor=user_with(Role.SALES_REP))
    price_list.items.update(unit_price=Decimal("120.00"))

    line = order.lines.get()
    assert (line.unit_price, line.discount_percent) == (Decimal("90.00"), Decimal("5.00"))
    with pytest.raises(PricingStateError):
        services.order_price(order_id=order.pk, user=user_with(Role.SALES_REP))


def test_cost_to_serve_and_margin_on_known_data(customer, product):
    press = WorkCenter.objects.create(code="P1", name="Press", hourly_rate=Decimal("60.00"))
    RoutingStep.objects.create(
        product=product, sequence=10, work_center=press, hours_per_unit=Decimal("0.25"), setup_hours=Decimal("1.5")
    )
    zone = FreightZone.objects.create(
        code="EU", name="Europe", flat_cost=Decimal("25.00"), percent_of_value=Decimal("2")
    )
    CustomerDestination.objects.create(customer=customer, zone=zone)
    order = OrderFactory(customer=customer)
    OrderLineFactory(
        order=order,
        line_no=1,
        product=product,
        quantity_ordered=Decimal("10"),
        unit_price=Decimal("100.00"),
        discount_percent=Decimal("10"),
    )

    estimate = services.cost_estimate_compute(order=order)

    # material 10 x 40 = 400; labour 10 x 0.25 h x 60 = 150; set-up 1.5 h x 60 = 90
    # revenue 10 x 100 less 10% = 900; freight 25 + 2% of 900 = 43; cost 683; margin 217 = 24.11%
    assert (estimate.material, estimate.labour, estimate.setup, estimate.freight) == (
        Decimal("400.00"),
        Decimal("150.00"),
        Decimal("90.00"),
        Decimal("43.00"),
    )
    assert (estimate.total_cost, estimate.revenue, estimate.margin, estimate.margin_percent) == (
        Decimal("683.00"),
        Decimal("900.00"),
        Decimal("217.00"),
        Decimal("24.11"),
    )


def test_a_discount_over_the_threshold_blocks_the_quote_until_approved(customer, product, user_with, settings):
    settings.OMC_DISCOUNT_APPROVAL_PERCENT = "10"
    sales, estimator = user_with(Role.SALES_REP), user_with(Role.ESTIMATOR)
    order = OrderFactory(customer=customer)
    OrderLineFactory(
        order=order, line_no=1, product=product, quantity_ordered=Decimal("10"), unit_price=Decimal("100.00")
    )
    services.order_line_discount_set(order_id=order.pk, line_no=1, discount_percent=Decimal("15"), user=sales)

    with pytest.raises(GuardFailed) as refused:
        services.quote_send(order_id=order.pk, user=sales)
    assert refused.value.field_errors["pricing"][0] == "Line 1: discount 15.00% is above 10%."
    assert Order.objects.get(pk=order.pk).status == OrderStatus.DRAFT

    approval = services.approval_request(order_id=order.pk, user=sales)
    assert services.approval_request(order_id=order.pk, user=sales) == approval  # asking twice: one request
    services.approval_decide(approval_id=approval.pk, user=estimator, approve=True, note="Key account")
    quote = services.quote_send(order_id=order.pk, user=sales, valid_days=14)

    assert Order.objects.get(pk=order.pk).status == OrderStatus.QUOTED
    assert quote.valid_until == timezone.localdate() + timedelta(days=14)
    approval.refresh_from_db()
    assert (approval.status, approval.decided_by, approval.note) == ("approved", estimator, "Key account")


def test_changing_prices_after_approval_needs_a_new_one(customer, product, user_with):
    sales, estimator = user_with(Role.SALES_REP), user_with(Role.ESTIMATOR)
    order = OrderFactory(customer=customer)
    OrderLineFactory(
        order=order, line_no=1, product=product, quantity_ordered=Decimal("1"), unit_price=Decimal("100.00")
    )
    services.order_line_discount_set(order_id=order.pk, line_no=1, discount_percent=Decimal("12"), user=sales)
    approval = services.approval_request(order_id=order.pk, user=sales)
    services.approval_decide(approval_id=approval.pk, user=estimator, approve=True)

    services.order_line_discount_set(order_id=order.pk, line_no=1, discount_percent=Decimal("20"), user=sales)

    with pytest.raises(GuardFailed, match="discount 20.00%"):
        order_transition(order_id=order.pk, action="submit", actor=sales)


def test_a_low_margin_needs_approval_and_a_rejection_needs_a_reason(customer, user_with):
    cheap = ProductFactory(standard_cost=Decimal("95.00"))
    order = OrderFactory(customer=customer)
    OrderLineFactory(order=order, line_no=1, product=cheap, quantity_ordered=Decimal("1"), unit_price=Decimal("100"))
    sales, estimator = user_with(Role.SALES_REP), user_with(Role.ESTIMATOR)

    with pytest.raises(GuardFailed, match="margin 5.00% is below 15%"):
        order_transition(order_id=order.pk, action="submit", actor=sales)
    approval = services.approval_request(order_id=order.pk, user=sales)
    with pytest.raises(Exception, match="Say why"):
        services.approval_decide(approval_id=approval.pk, user=estimator, approve=False)
    services.approval_decide(approval_id=approval.pk, user=estimator, approve=False, note="Too thin")
    with pytest.raises(PricingStateError):
        services.approval_decide(approval_id=approval.pk, user=estimator, approve=True)
    assert PriceApproval.objects.get().status == "rejected"


def test_an_expired_quote_is_refused_and_a_valid_one_converts_at_its_prices(customer, product, user_with):
    sales = user_with(Role.SALES_REP)
    order = OrderFactory(customer=customer)
    OrderLineFactory(
        order=order, line_no=1, product=product, quantity_ordered=Decimal("2"), unit_price=Decimal("88.00")
    )
    quote = services.quote_send(order_id=order.pk, user=sales, valid_days=7)
    Quote.objects.filter(pk=quote.pk).update(valid_until=timezone.localdate() - timedelta(days=1))

    with pytest.raises(GuardFailed, match=f"Quote {quote.number} expired"):
        services.quote_convert(order_id=order.pk, user=sales)
    Quote.objects.filter(pk=quote.pk).update(valid_until=timezone.localdate())
    services.quote_convert(order_id=order.pk, user=sales)

    order.refresh_from_db()
    assert order.status == OrderStatus.ENTERED and order.lines.get().unit_price == Decimal("88.00")


def test_sending_a_quote_emails_its_pdf(customer, product, user_with, django_capture_on_commit_callbacks):
    customer.billing_email = "buyer@customer.test"
    customer.save()
    order = OrderFactory(customer=customer)
    OrderLineFactory(order=order, line_no=1, product=product, quantity_ordered=Decimal("1"))
    with django_capture_on_commit_callbacks(execute=True):
        quote = services.quote_send(order_id=order.pk, user=user_with(Role.SALES_REP))

    message = mail.outbox[-1]
    assert message.to == ["buyer@customer.test"] and quote.number in message.subject
    assert message.attachments[0][1].startswith(b"%PDF")


# --- API and pages --------------------------------------------------------------------------


def test_margin_is_hidden_from_roles_that_may_not_see_it(api_as, client, user_with, customer, product):
    order = OrderFactory(customer=customer)
    OrderLineFactory(order=order, line_no=1, product=product, quantity_ordered=Decimal("3"))

    assert api_as(Role.ESTIMATOR).get(f"/api/pricing/orders/{order.pk}/estimate/").json()["margin"] == "180.00"
    for role in (Role.CUSTOMER_SERVICE, Role.WAREHOUSE, Role.FIELD_SERVICE):
        assert api_as(role).get(f"/api/pricing/orders/{order.pk}/estimate/").status_code == 403

    client.force_login(user_with(Role.ESTIMATOR))
    assert 'data-testid="margin"' in client.get(f"/orders/{order.pk}/").content.decode()
    client.force_login(user_with(Role.CUSTOMER_SERVICE))
    page = client.get(f"/orders/{order.pk}/").content.decode()
    assert 'data-testid="pricing-panel"' in page and 'data-testid="margin"' not in page


def test_bad_master_data_is_rejected_with_clear_errors(api_as, customer, product):
    estimator = api_as(Role.ESTIMATOR)
    bad = estimator.post(
        "/api/pricing/price-lists/",
        {
            "name": "Export",
            "currency": "EUR",
            "valid_from": "2026-01-01",
            "valid_to": "2025-01-01",
            "items": [{"product": 999999, "unit_price": "-1"}],
        },
        format="json",
    )
    assert bad.status_code == 400
    assert set(bad.json()["items"]["0"]) == {"product", "unit_price"}  # errors keyed by the item's index

    ok = {
        "name": "Export",
        "currency": "EUR",
        "valid_from": "2026-01-01",
        "valid_to": "2026-12-31",
        "items": [
            {"product": product.pk, "unit_price": "10.00"},
            {"product": product.pk, "min_quantity": "50", "unit_price": "9.00"},
        ],
    }
    assert estimator.post("/api/pricing/price-lists/", ok, format="json").status_code == 201
    overlap = estimator.post(
        "/api/pricing/price-lists/", {**ok, "valid_from": "2026-06-01", "valid_to": None}, format="json"
    )
    assert overlap.status_code == 400 and "already has a list valid" in overlap.json()["valid_from"][0]

    price = {
        "customer": customer.pk,
        "product": product.pk,
        "currency": "EUR",
        "unit_price": "50.00",
        "valid_from": "2026-01-01",
    }
    assert estimator.post("/api/pricing/customer-prices/", price, format="json").status_code == 201
    clash = estimator.post("/api/pricing/customer-prices/", {**price, "valid_from": "2027-01-01"}, format="json")
    assert clash.status_code == 400 and "valid_from" in clash.json()
    assert api_as(Role.SALES_REP).post("/api/pricing/customer-prices/", price, format="json").status_code == 403
    assert (
        estimator.post(
            "/api/pricing/discounts/", {"percent": "150", "valid_from": "2026-01-01"}, format="json"
        ).status_code
        == 400
    )


def test_the_approval_flow_through_the_api(api_as, customer, product):
    sales, estimator = api_as(Role.SALES_REP), api_as(Role.ESTIMATOR)
    order = OrderFactory(customer=customer)
    OrderLineFactory(order=order, line_no=1, product=product, quantity_ordered=Decimal("2"))

    response = sales.post(
        f"/api/pricing/orders/{order.pk}/discount/", {"line_no": 1, "discount_percent": "30"}, format="json"
    )
    assert response.json()["approval_needed"][0] == "Line 1: discount 30.00% is above 10%."
    assert sales.post(f"/api/pricing/orders/{order.pk}/quote/", {}, format="json").status_code == 400
    approval = sales.post(f"/api/pricing/orders/{order.pk}/approval/").json()
    assert (
        sales.post(f"/api/pricing/approvals/{approval['id']}/decide/", {"approve": True}, format="json").status_code
        == 403
    )
    assert (
        estimator.post(f"/api/pricing/approvals/{approval['id']}/decide/", {"approve": True}, format="json").status_code
        == 200
    )
    quote = sales.post(f"/api/pricing/orders/{order.pk}/quote/", {"valid_days": 10}, format="json")
    assert quote.status_code == 201 and quote.json()["number"].startswith("Q-")
    assert sales.post(f"/api/pricing/orders/{order.pk}/convert/").json()["status"] == "entered"


def test_pricing_pages(client, user_with, customer, product):
    order = OrderFactory(customer=customer)
    OrderLineFactory(order=order, line_no=1, product=product, quantity_ordered=Decimal("2"), unit_price=None)
    sales = user_with(Role.SALES_REP)
    client.force_login(sales)

    client.post(f"/pricing/orders/{order.pk}/price/")
    assert order.lines.get().unit_price == Decimal("100.00")
    response = client.post(f"/pricing/orders/{order.pk}/quote/", {"valid_days": "0"}, follow=True)
    assert "Between 1 and 365." in response.content.decode()
    client.post(f"/pricing/orders/{order.pk}/quote/", {"valid_days": "21"})
    quote = Quote.objects.get(order=order)
    assert "Valid until" in client.get(f"/pricing/quotes/{quote.pk}/").content.decode()
    assert client.get(f"/pricing/quotes/{quote.pk}/pdf/").content.startswith(b"%PDF")
    assert client.get("/pricing/price-lists/").status_code == 200
    assert client.get("/pricing/approvals/").status_code == 403
    client.force_login(user_with(Role.ESTIMATOR))
    assert "No prices wait for approval." in client.get("/pricing/approvals/").content.decode()


def test_pricing_steps_on_missing_orders_are_404(client, user_with):
    client.force_login(user_with(Role.SALES_REP))
    for url in ("/pricing/orders/999999/price/", "/pricing/orders/999999/quote/", "/pricing/orders/999999/convert/"):
        assert client.post(url).status_code == 404, url
