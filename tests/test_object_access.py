"""A sales rep cannot read or change another rep's customer's order: 404 on pages and the API,
as if the order did not exist, and nothing changes."""

import pytest
from django.test import Client

from billing.models import Invoice
from orders.models import Order
from orders.roles import Role
from orders.states import OrderStatus

from .factories import CustomerFactory, OrderFactory, OrderLineFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_reps(user_with):
    mine, theirs = user_with(Role.SALES_REP), user_with(Role.SALES_REP)
    order = OrderFactory(status=OrderStatus.DRAFT, customer=CustomerFactory(sales_rep=theirs))
    OrderLineFactory(order=order, line_no=1)
    invoice = Invoice.objects.create(
        customer=order.customer, order=order, currency="EUR", created_at=order.created_at, source_key="t"
    )
    return mine, theirs, order, invoice


def _client(user):
    client = Client()
    client.force_login(user)
    return client


PAGES = [
    ("get", "/orders/{order}/"),
    ("post", "/orders/{order}/actions/submit/"),
    ("get", "/orders/{order}/edit/"),
    ("post", "/orders/{order}/edit/header/"),
    ("post", "/orders/{order}/edit/lines/"),
    ("post", "/orders/{order}/edit/lines/1/"),
    ("post", "/orders/{order}/edit/lines/1/remove/"),
    ("post", "/orders/{order}/promise/"),
    ("post", "/pricing/orders/{order}/price/"),
    ("post", "/pricing/orders/{order}/approval/"),
    ("post", "/pricing/orders/{order}/quote/"),
    ("post", "/billing/invoices/{invoice}/answer/"),
]
API = [
    ("get", "/api/orders/{order}/"),
    ("post", "/api/orders/{order}/actions/submit/"),
    ("get", "/api/pricing/orders/{order}/estimate/"),
    ("post", "/api/pricing/orders/{order}/estimate/"),
    ("post", "/api/pricing/orders/{order}/quote/"),
    ("get", "/api/billing/invoices/{invoice}/"),
    ("post", "/api/billing/invoices/{invoice}/answer/"),
]


@pytest.mark.parametrize(("method", "url"), PAGES + API)
def test_another_reps_customers_order_is_404_and_unchanged(two_reps, method, url):
    mine, theirs, order, invoice = two_reps
    before = list(Order.objects.filter(pk=order.pk).values())
    path = url.format(order=order.pk, invoice=invoice.pk)
    kwargs = {"content_type": "application/json", "data": {}} if path.startswith("/api/") and method == "post" else {}

    response = getattr(_client(mine), method)(path, **kwargs)

    assert response.status_code == 404
    assert list(Order.objects.filter(pk=order.pk).values()) == before
    assert not order.events.exists()


@pytest.mark.parametrize(("method", "url"), [("get", "/orders/{order}/"), ("get", "/api/orders/{order}/")])
def test_the_customers_own_rep_and_other_roles_see_it(two_reps, user_with, method, url):
    mine, theirs, order, invoice = two_reps
    path = url.format(order=order.pk)
    assert _client(theirs).get(path).status_code == 200
    # a rep who also works in customer service sees every order
    assert _client(user_with(Role.SALES_REP, Role.CUSTOMER_SERVICE)).get(path).status_code == 200
    assert _client(user_with(Role.FINANCE)).get(path).status_code == 200


def test_lists_leave_out_another_reps_customers_orders(two_reps):
    mine, theirs, order, invoice = two_reps
    unassigned = OrderFactory(customer=CustomerFactory(sales_rep=None))

    page = _client(mine).get("/orders/").content.decode()
    api = _client(mine).get("/api/orders/").json()
    invoices = _client(mine).get("/api/billing/invoices/").json()
    customer_page = _client(mine).get(f"/orders/customers/{order.customer_id}/").content.decode()

    assert order.number not in page and unassigned.number in page
    assert {row["number"] for row in api["results"]} == {unassigned.number}
    assert invoices["count"] == 0
    assert order.number not in customer_page
    assert order.number in _client(theirs).get("/orders/").content.decode()


def test_an_expedite_for_another_reps_customers_order_is_404(two_reps):
    mine, theirs, order, invoice = two_reps
    body = {"order": order.pk, "needed_by": "2030-01-01", "reason": "urgent"}
    assert _client(mine).post("/scheduling/expedites/new/", body).status_code == 404
    assert _client(mine).post("/api/scheduling/expedites/", body, content_type="application/json").status_code == 404
