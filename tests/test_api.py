"""The API contract: auth, lists, order creation, actions, and bad input that never becomes a 500."""

import re
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from orders.models import Customer, Order, OrderEvent, Product
from orders.roles import Role
from orders.states import OrderStatus

from .factories import CustomerFactory, ProductFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def sales(api_as):
    return api_as(Role.SALES_REP)


@pytest.fixture
def customer():
    return CustomerFactory(currency="USD")


@pytest.fixture
def product():
    return ProductFactory(list_price=Decimal("12.50"))


def _order_payload(customer, product, **overrides):
    return {
        "customer": customer.pk,
        "customer_po": "PO-1",
        "requested_date": "2026-12-01",
        "lines": [{"product": product.pk, "quantity": "5"}],
        **overrides,
    }


# --- auth ---------------------------------------------------------------------------------


def test_a_token_is_issued_for_valid_credentials_only(user_with):
    user = user_with(Role.SALES_REP)
    client = APIClient()

    good = client.post("/api/auth/token/", {"username": user.username, "password": "pw-for-tests"}, format="json")
    bad = client.post("/api/auth/token/", {"username": user.username, "password": "wrong"}, format="json")

    assert good.status_code == 200 and len(good.json()["token"]) == 40
    assert bad.status_code == 400 and "non_field_errors" in bad.json()


def test_every_endpoint_needs_authentication():
    client = APIClient()
    for url in ["/api/customers/", "/api/products/", "/api/orders/", "/api/orders/1/", "/api/schema/"]:
        assert client.get(url).status_code == 401, url
    assert client.post("/api/orders/1/actions/accept/").status_code == 401


def test_a_user_without_a_role_is_refused(user_with):
    client = APIClient()
    client.force_authenticate(user_with())
    assert client.get("/api/orders/").status_code == 403


def test_session_auth_works_for_the_browser(client, user_with):
    client.force_login(user_with(Role.EXECUTIVE))
    assert client.get("/api/orders/").status_code == 200


# --- master data --------------------------------------------------------------------------


def test_customers_page_filter_and_search(sales):
    CustomerFactory.create_batch(3, tier="key")
    CustomerFactory(name="Zenith Pumps", tier="strategic")

    page = sales.get("/api/customers/", {"page_size": 2}).json()
    assert (page["count"], len(page["results"]), page["previous"]) == (4, 2, None)
    assert "page=2" in page["next"]
    assert sales.get("/api/customers/", {"tier": "key"}).json()["count"] == 3
    assert [c["name"] for c in sales.get("/api/customers/", {"search": "zenith"}).json()["results"]] == ["Zenith Pumps"]


def test_customer_create_validates_and_update_works(sales):
    created = sales.post(
        "/api/customers/", {"code": "C-1", "name": "Acme", "credit_limit": "5000.00", "currency": "EUR"}, format="json"
    )
    assert created.status_code == 201
    bad = sales.post(
        "/api/customers/",
        {"code": "C-1", "name": "", "credit_limit": "-1", "currency": "XXX", "tier": "gold"},
        format="json",
    )
    assert bad.status_code == 400
    assert set(bad.json()) >= {"code", "name", "credit_limit", "currency", "tier"}

    updated = sales.patch(f"/api/customers/{created.json()['id']}/", {"credit_limit": "7000"}, format="json")
    assert updated.status_code == 200 and updated.json()["credit_limit"] == "7000.00"


def test_only_estimators_edit_products(api_as):
    estimator, sales = api_as(Role.ESTIMATOR), api_as(Role.SALES_REP)
    payload = {"sku": "NEW-1", "name": "New", "standard_cost": "1.00", "list_price": "2.00"}

    assert sales.post("/api/products/", payload, format="json").status_code == 403
    assert estimator.post("/api/products/", payload, format="json").status_code == 201
    assert sales.get("/api/products/", {"search": "NEW-1"}).json()["count"] == 1
    assert Product.objects.count() == 1


def test_finance_may_not_create_products_and_warehouse_may_not_edit_customers(api_as):
    customer = CustomerFactory()
    warehouse = api_as(Role.WAREHOUSE)
    assert warehouse.patch(f"/api/customers/{customer.pk}/", {"name": "X"}, format="json").status_code == 403
    assert Customer.objects.get(pk=customer.pk).name != "X"


# --- orders -------------------------------------------------------------------------------


def test_creating_an_order_returns_the_draft_with_lines_events_and_actions(sales, customer, product):
    response = sales.post("/api/orders/", _order_payload(customer, product), format="json")

    assert response.status_code == 201
    body = response.json()
    assert body["number"].startswith("SO-")
    assert (body["status"], body["owner_department"], body["currency"]) == ("draft", "sales", "USD")
    assert body["allowed_actions"] == ["quote", "submit", "cancel"]
    assert body["lines"][0]["quantity_ordered"] == "5.000" and body["lines"][0]["unit_price"] == "12.50"
    assert [e["action"] for e in body["events"]] == ["create"]
    assert body["handoffs"] == []


def test_order_numbers_are_unique_and_sequential(sales, customer, product):
    numbers = [
        sales.post("/api/orders/", _order_payload(customer, product), format="json").json()["number"] for _ in range(3)
    ]
    assert len(set(numbers)) == 3 and numbers == sorted(numbers)


def test_orders_list_filters(api_as, order_in):
    client = api_as(Role.EXECUTIVE)
    entered = order_in(OrderStatus.ENTERED)
    order_in(OrderStatus.DRAFT)

    assert client.get("/api/orders/").json()["count"] == 2
    by_status = client.get("/api/orders/", {"status": "entered"}).json()
    assert [o["number"] for o in by_status["results"]] == [entered.number]
    assert client.get("/api/orders/", {"owner_department": "management"}).json()["count"] == 1
    assert client.get("/api/orders/", {"customer": entered.customer_id}).json()["count"] == 1
    assert client.get("/api/orders/", {"overdue": "true"}).json()["count"] == 0
    assert client.get("/api/orders/", {"status": "nonsense"}).status_code == 400


def test_an_action_moves_the_order_and_returns_it(api_as, order_in):
    order = order_in(OrderStatus.ENTERED)
    board = api_as(Role.REVIEW_BOARD)

    response = board.post(f"/api/orders/{order.pk}/actions/accept/", {"note": "Good margin"}, format="json")

    assert response.status_code == 200
    assert (response.json()["status"], response.json()["owner_department"]) == ("accepted", "operations")
    assert response.json()["events"][-1]["note"] == "Good margin"


def test_an_illegal_move_is_409_with_the_allowed_actions_and_changes_nothing(api_as, order_in):
    order = order_in(OrderStatus.DRAFT)
    sales = api_as(Role.SALES_REP)

    response = sales.post(f"/api/orders/{order.pk}/actions/ship/", {}, format="json")
    # the sales rep may not ship at all: that is a 403; a move the role may make but the status forbids is 409
    assert response.status_code == 403
    response = api_as(Role.FINANCE).post(f"/api/orders/{order.pk}/actions/invoice/", {}, format="json")

    assert response.status_code == 409
    assert response.json()["code"] == "invalid_transition"
    assert response.json()["allowed_actions"] == []
    assert "draft" in response.json()["detail"]
    assert Order.objects.get(pk=order.pk).status == OrderStatus.DRAFT
    assert not OrderEvent.objects.filter(order=order).exists()


def test_allowed_actions_in_a_409_are_the_callers(api_as, order_in):
    order = order_in(OrderStatus.ENTERED)
    response = api_as(Role.SALES_REP).post(f"/api/orders/{order.pk}/actions/submit/", {}, format="json")
    assert response.status_code == 409 and response.json()["allowed_actions"] == ["cancel"]


def test_a_missing_reason_is_400_with_a_field_error(api_as, order_in):
    order = order_in(OrderStatus.ENTERED)
    response = api_as(Role.REVIEW_BOARD).post(f"/api/orders/{order.pk}/actions/reject/", {}, format="json")

    assert response.status_code == 400
    assert response.json()["note"] == ["Give a reason for this action."]
    assert Order.objects.get(pk=order.pk).status == OrderStatus.ENTERED


def test_unknown_actions_and_orders_are_404(api_as, order_in):
    client = api_as(Role.REVIEW_BOARD)
    order = order_in(OrderStatus.ENTERED)
    assert client.post(f"/api/orders/{order.pk}/actions/teleport/", {}, format="json").status_code == 404
    assert client.post("/api/orders/999999/actions/accept/", {}, format="json").status_code == 404
    assert client.get("/api/orders/999999/").status_code == 404
    assert client.get("/api/orders/abc/").status_code == 404
    assert client.get(f"/api/orders/{10**30}/").status_code == 404


def test_only_sales_and_customer_service_create_orders(api_as, customer, product):
    assert (
        api_as(Role.WAREHOUSE).post("/api/orders/", _order_payload(customer, product), format="json").status_code == 403
    )
    assert (
        api_as(Role.CUSTOMER_SERVICE).post("/api/orders/", _order_payload(customer, product), format="json").status_code
        == 201
    )


BAD_ORDERS = {
    "missing everything": ({}, {"customer", "lines"}),
    "unknown customer": ({"customer": 999999}, {"customer"}),
    "customer of the wrong type": ({"customer": "acme"}, {"customer"}),
    "huge customer id": ({"customer": 10**30}, {"customer"}),
    "no lines": ({"lines": []}, {"lines"}),
    "lines not a list": ({"lines": "many"}, {"lines"}),
    "zero quantity": ({"lines": [{"product": "P", "quantity": "0"}]}, {"lines"}),
    "negative quantity": ({"lines": [{"product": "P", "quantity": "-3"}]}, {"lines"}),
    "quantity not a number": ({"lines": [{"product": "P", "quantity": "lots"}]}, {"lines"}),
    "absurd quantity": ({"lines": [{"product": "P", "quantity": "1e30"}]}, {"lines"}),
    "too many decimals": ({"lines": [{"product": "P", "quantity": "1.00001"}]}, {"lines"}),
    "NaN quantity": ({"lines": [{"product": "P", "quantity": "NaN"}]}, {"lines"}),
    "unknown product": ({"lines": [{"product": 999999, "quantity": "1"}]}, {"lines"}),
    "missing quantity": ({"lines": [{"product": "P"}]}, {"lines"}),
    "discount over 100": ({"lines": [{"product": "P", "quantity": "1", "discount_percent": "150"}]}, {"lines"}),
    "bad date": ({"requested_date": "31/12/2026"}, {"requested_date"}),
    "impossible date": ({"requested_date": "2026-02-30"}, {"requested_date"}),
    "PO too long": ({"customer_po": "x" * 61}, {"customer_po"}),
    "too many lines": ({"lines": [{"product": "P", "quantity": "1"}] * 501}, {"lines"}),
}


@pytest.mark.parametrize("case", BAD_ORDERS, ids=list(BAD_ORDERS))
def test_bad_order_input_is_400_with_field_errors(case, sales, customer, product):
    overrides, fields = BAD_ORDERS[case]
    payload = _order_payload(customer, product)
    if case == "missing everything":
        payload = {}
    payload.update({k: v for k, v in overrides.items()})
    for line in payload.get("lines", []) if isinstance(payload.get("lines"), list) else []:
        if line.get("product") == "P":
            line["product"] = product.pk

    response = sales.post("/api/orders/", payload, format="json")

    assert response.status_code == 400, response.content
    assert fields <= set(response.json()), response.json()
    assert not Order.objects.exists()


def test_unicode_is_kept_intact(sales, customer, product):
    response = sales.post(
        "/api/orders/", _order_payload(customer, product, customer_po="Đơn hàng 订单 ✓"), format="json"
    )
    assert response.status_code == 201
    assert Order.objects.get().customer_po == "Đơn hàng 订单 ✓"


def test_an_inactive_customer_cannot_order(sales, product):
    inactive = CustomerFactory(active=False)
    response = sales.post("/api/orders/", _order_payload(inactive, product), format="json")
    assert response.status_code == 400 and response.json()["customer"] == ["This customer is inactive."]


def test_malformed_json_and_huge_bodies_are_400(sales):
    assert sales.generic("POST", "/api/orders/", "{not json", content_type="application/json").status_code == 400
    huge = '{"customer_po": "' + "x" * (2 * 1024 * 1024) + '"}'
    assert sales.generic("POST", "/api/orders/", huge, content_type="application/json").status_code == 400
    assert sales.post("/api/orders/", ["a", "list"], format="json").status_code == 400


def test_an_overlong_note_is_400(api_as, order_in):
    order = order_in(OrderStatus.ENTERED)
    response = api_as(Role.REVIEW_BOARD).post(
        f"/api/orders/{order.pk}/actions/reject/", {"note": "x" * 3000}, format="json"
    )
    assert response.status_code == 400 and "note" in response.json()


# --- schema, docs, health -----------------------------------------------------------------


def test_the_openapi_schema_and_docs_are_served_without_a_cdn(client, user_with):
    client.force_login(user_with(Role.EXECUTIVE))
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    docs = client.get("/api/docs/")

    assert schema.status_code == 200
    assert "/api/orders/{id}/actions/{action}/" in schema.json()["paths"]
    assert docs.status_code == 200
    html = docs.content.decode()
    assert not re.search(r"""(src|href)=["']https?://""", html), "assets must be served locally"
    assert "/static/drf_spectacular_sidecar/" in html


def test_healthz_reports_database_and_broker(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "broker": "ok"}
