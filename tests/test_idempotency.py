"""Idempotency-Key on the API's writes: a retry gets the stored answer and nothing runs twice."""

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from billing.models import Invoice
from fulfillment import services as fulfillment
from fulfillment.models import Shipment
from orders import services
from orders.models import IdempotencyRecord, Order, OrderEvent
from orders.roles import Role
from orders.states import OrderStatus

from .factories import CustomerFactory, OrderFactory, OrderLineFactory, ProductFactory, SiteFactory


def _order_payload(customer, product, quantity="5"):
    return {
        "customer": customer.pk,
        "customer_po": "PO-1",
        "requested_date": "2026-12-01",
        "lines": [{"product": product.pk, "quantity": quantity}],
    }


@pytest.mark.django_db
def test_a_retried_create_returns_the_first_answer_and_creates_one_order(api_as):
    sales = api_as(Role.SALES_REP)
    payload = _order_payload(CustomerFactory(), ProductFactory())

    first = sales.post("/api/orders/", payload, format="json", HTTP_IDEMPOTENCY_KEY="order-7f3a")
    retry = sales.post("/api/orders/", payload, format="json", HTTP_IDEMPOTENCY_KEY="order-7f3a")

    assert first.status_code == retry.status_code == 201
    assert retry.json() == first.json()
    assert retry["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first
    assert Order.objects.count() == 1


@pytest.mark.django_db
def test_the_same_key_with_another_body_is_refused_with_422_and_creates_nothing(api_as):
    sales = api_as(Role.SALES_REP)
    customer, product = CustomerFactory(), ProductFactory()
    sales.post("/api/orders/", _order_payload(customer, product), format="json", HTTP_IDEMPOTENCY_KEY="k-1")

    other = sales.post(
        "/api/orders/", _order_payload(customer, product, quantity="9"), format="json", HTTP_IDEMPOTENCY_KEY="k-1"
    )

    assert other.status_code == 422
    assert other.json()["code"] == "idempotency_key_reused"
    assert "already used for a different request (POST /api/orders/)" in other.json()["detail"]
    assert Order.objects.count() == 1


@pytest.mark.django_db
def test_keys_belong_to_their_user(api_as):
    payload = _order_payload(CustomerFactory(), ProductFactory())
    first, second = api_as(Role.SALES_REP), api_as(Role.SALES_REP)

    a = first.post("/api/orders/", payload, format="json", HTTP_IDEMPOTENCY_KEY="same")
    b = second.post("/api/orders/", payload, format="json", HTTP_IDEMPOTENCY_KEY="same")

    assert (a.status_code, b.status_code) == (201, 201)
    assert a.json()["number"] != b.json()["number"]


@pytest.mark.django_db
def test_a_retried_action_is_replayed_and_its_refusal_too(api_as, order_in):
    sales = api_as(Role.SALES_REP)
    order = order_in(OrderStatus.DRAFT)
    url = f"/api/orders/{order.pk}/actions/submit/"

    first = sales.post(url, {}, format="json", HTTP_IDEMPOTENCY_KEY="submit-1")
    retry = sales.post(url, {}, format="json", HTTP_IDEMPOTENCY_KEY="submit-1")
    fresh = sales.post(url, {}, format="json", HTTP_IDEMPOTENCY_KEY="submit-2")

    assert (first.status_code, retry.status_code) == (200, 200) and retry.json() == first.json()
    assert OrderEvent.objects.filter(order=order, action="submit").count() == 1
    # a new key is a new request: the order is entered now, so it is refused (409), and that answer is kept
    assert fresh.status_code == 409
    again = sales.post(url, {}, format="json", HTTP_IDEMPOTENCY_KEY="submit-2")
    assert (again.status_code, again.json()) == (409, fresh.json())


@pytest.mark.django_db
def test_bad_keys_are_400_and_requests_without_a_key_work_as_before(api_as):
    sales = api_as(Role.SALES_REP)
    payload = _order_payload(CustomerFactory(), ProductFactory())

    too_long = sales.post("/api/orders/", payload, format="json", HTTP_IDEMPOTENCY_KEY="x" * 256)
    empty = sales.post("/api/orders/", payload, format="json", HTTP_IDEMPOTENCY_KEY="")
    plain = sales.post("/api/orders/", payload, format="json")

    assert (too_long.status_code, too_long.json()["code"]) == (400, "invalid_idempotency_key")
    assert empty.status_code == 400
    assert plain.status_code == 201 and Order.objects.count() == 1
    assert IdempotencyRecord.objects.count() == 0


@pytest.mark.django_db
def test_a_refused_caller_keeps_the_key_free(api_as):
    payload = _order_payload(CustomerFactory(), ProductFactory())
    warehouse = api_as(Role.WAREHOUSE)

    assert warehouse.post("/api/orders/", payload, format="json", HTTP_IDEMPOTENCY_KEY="k").status_code == 403
    assert not IdempotencyRecord.objects.exists()
    anonymous = APIClient().post("/api/orders/", payload, format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert anonymous.status_code == 401


@pytest.mark.django_db
def test_answers_expire_after_24_hours(api_as):
    sales = api_as(Role.SALES_REP)
    payload = _order_payload(CustomerFactory(), ProductFactory())
    sales.post("/api/orders/", payload, format="json", HTTP_IDEMPOTENCY_KEY="old")
    IdempotencyRecord.objects.update(created_at=timezone.now() - timedelta(hours=25))
    sales.post("/api/orders/", payload, format="json", HTTP_IDEMPOTENCY_KEY="recent")

    assert services.idempotency_records_expire() == 1
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["recent"]
    # an expired key is free again: the request runs
    assert sales.post("/api/orders/", payload, format="json", HTTP_IDEMPOTENCY_KEY="old").status_code == 201
    assert Order.objects.count() == 3


@pytest.mark.django_db
def test_the_openapi_schema_documents_the_header_on_every_post(api_as):
    schema = api_as(Role.SALES_REP).get("/api/schema/", HTTP_ACCEPT="application/json").json()

    posts = [(path, item["post"]) for path, item in schema["paths"].items() if "post" in item]
    assert len(posts) > 10
    for path, operation in posts:
        headers = [p for p in operation["parameters"] if p["in"] == "header"]
        assert [h["name"] for h in headers] == ["Idempotency-Key"], path
        assert "422" in operation["responses"], path


# --- concurrency: 10 clients asking at once to ship (and so invoice) one shipment ---------------


@pytest.fixture
def packed_shipment(user_with):
    """A packed shipment of a whole order, ready to hand to the carrier (shipping drafts its invoice)."""
    site, product = SiteFactory(), ProductFactory()
    warehouse = user_with(Role.WAREHOUSE)
    fulfillment.stock_receive(product=product, site=site, quantity=Decimal("10"), user=warehouse)
    order = OrderFactory(status=OrderStatus.ENTERED)
    OrderLineFactory(order=order, line_no=1, product=product, quantity_ordered=Decimal("4"))
    services.order_transition(order_id=order.pk, action="accept", actor=user_with(Role.REVIEW_BOARD))
    shipment = fulfillment.shipment_start(order_id=order.pk, site_id=site.pk, user=warehouse)
    fulfillment.shipment_pack(
        shipment_id=shipment.pk, quantities={}, packages=1, weight_kg=Decimal("2"), user=warehouse
    )
    return shipment


def _token_of(client) -> str:
    return client._credentials["HTTP_AUTHORIZATION"]


def _fire_at_once(count, request):
    """Run request(n) in `count` threads released together; returns the responses."""
    start = threading.Barrier(count)
    results = [None] * count

    def run(n):
        try:
            start.wait(timeout=20)
            results[n] = request(n)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


SHIP = {"carrier": "DHL", "service": "Express", "tracking_number": "TRK-1", "ship_date": "2026-11-20"}


@pytest.mark.django_db(transaction=True)
def test_ten_concurrent_identical_ship_requests_make_exactly_one_invoice(api_as, packed_shipment):
    auth = _token_of(api_as(Role.WAREHOUSE))
    url = f"/api/fulfillment/shipments/{packed_shipment.pk}/ship/"

    def ship(_):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=auth)
        return client.post(url, SHIP, format="json", HTTP_IDEMPOTENCY_KEY="ship-once")

    responses = _fire_at_once(10, ship)

    # one ran; the nine others waited for it and got its answer
    assert [r.status_code for r in responses] == [200] * 10
    assert len({r.content for r in responses}) == 1
    assert sum(r.has_header("Idempotent-Replayed") for r in responses) == 9
    assert Shipment.objects.get(pk=packed_shipment.pk).status == Shipment.Status.SHIPPED
    assert OrderEvent.objects.filter(order_id=packed_shipment.order_id, action="ship").count() == 1
    assert Invoice.objects.filter(order_id=packed_shipment.order_id).count() == 1


@pytest.mark.django_db(transaction=True)
def test_ten_concurrent_ship_requests_with_different_keys_still_make_one_invoice(api_as, packed_shipment):
    auth = _token_of(api_as(Role.WAREHOUSE))
    url = f"/api/fulfillment/shipments/{packed_shipment.pk}/ship/"

    def ship(n):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=auth)
        return client.post(url, SHIP, format="json", HTTP_IDEMPOTENCY_KEY=f"ship-{n}")

    responses = _fire_at_once(10, ship)

    # the shipment's row lock lets one win; the others are told it has shipped already
    assert sorted(r.status_code for r in responses) == [200] + [409] * 9
    assert all("is shipped" in r.json()["detail"] for r in responses if r.status_code == 409)
    assert OrderEvent.objects.filter(order_id=packed_shipment.order_id, action="ship").count() == 1
    assert Invoice.objects.filter(order_id=packed_shipment.order_id).count() == 1
