"""Warehouse pages, the packing slip (HTML and PDF) and the fulfillment API."""

from decimal import Decimal

import pytest
from django.utils import timezone

from fulfillment import services
from fulfillment.models import Shipment, StockLevel
from orders.models import Order
from orders.roles import Role
from orders.services import order_transition
from orders.states import OrderStatus

from .factories import CustomerFactory, OrderFactory, OrderLineFactory, ProductFactory, SiteFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def ready_order(user_with, django_capture_on_commit_callbacks):
    """An order of 3 x P-1 accepted against stock of 10 at site A: ready to ship."""
    site = SiteFactory(code="A", name="Site A")
    product = ProductFactory(sku="P-1", list_price=Decimal("20.00"))
    warehouse = user_with(Role.WAREHOUSE)
    services.stock_receive(product=product, site=site, quantity=Decimal("10"), user=warehouse)
    order = OrderFactory(status=OrderStatus.ENTERED, customer=CustomerFactory(hide_prices_on_documents=True))
    OrderLineFactory(
        order=order, line_no=1, product=product, quantity_ordered=Decimal("3"), unit_price=Decimal("20.00")
    )
    with django_capture_on_commit_callbacks(execute=True):
        order_transition(order_id=order.pk, action="accept", actor=user_with(Role.REVIEW_BOARD))
    order.refresh_from_db()
    assert order.status == OrderStatus.READY_TO_SHIP
    return order, site, warehouse


def _packed(order, site, warehouse, **shipment_fields):
    shipment = services.shipment_start(order_id=order.pk, site_id=site.pk, user=warehouse)
    Shipment.objects.filter(pk=shipment.pk).update(**shipment_fields)
    services.shipment_pack(shipment_id=shipment.pk, quantities={}, packages=1, weight_kg=Decimal("1"), user=warehouse)
    return shipment


def test_pick_pack_ship_through_the_pages(client, ready_order):
    order, site, warehouse = ready_order
    client.force_login(warehouse)

    pick_list = client.get("/fulfillment/picklists/").content.decode()
    assert order.number in pick_list and "Site A" in pick_list

    started = client.post("/fulfillment/shipments/start/", {"order": order.pk, "site": site.pk}, follow=True)
    shipment = Shipment.objects.get(order=order)
    assert "started" in started.content.decode()
    line = shipment.lines.get()
    client.post(
        f"/fulfillment/shipments/{shipment.pk}/pack/",
        {"packages": "2", "weight_kg": "4.5", f"qty_{line.order_line_id}": "3"},
    )
    shipped = client.post(
        f"/fulfillment/shipments/{shipment.pk}/ship/",
        {
            "carrier": "DHL",
            "service": "Express",
            "tracking_number": "JD0001",
            "ship_date": timezone.localdate().isoformat(),
        },
        follow=True,
    )

    assert "shipped; finance is told to invoice" in shipped.content.decode()
    assert Order.objects.get(pk=order.pk).status == OrderStatus.SHIPPED
    order_page = client.get(f"/orders/{order.pk}/").content.decode()
    assert shipment.number in order_page and "JD0001" in order_page


def test_bad_form_input_is_a_message(client, ready_order):
    order, site, warehouse = ready_order
    client.force_login(warehouse)
    shipment = _packed(order, site, warehouse)

    response = client.post(
        f"/fulfillment/shipments/{shipment.pk}/ship/", {"carrier": "", "ship_date": "soon"}, follow=True
    )

    html = response.content.decode()
    assert "carrier: This field is required." in html and "ship_date: Enter a valid date." in html
    assert Shipment.objects.get(pk=shipment.pk).status == Shipment.Status.PACKED


def test_receiving_unknown_sku_is_a_message(client, user_with):
    client.force_login(user_with(Role.WAREHOUSE))
    site = SiteFactory()
    response = client.post(
        "/fulfillment/stock/receive/", {"sku": "NOPE", "site": site.pk, "quantity": "5"}, follow=True
    )
    assert "No active product with SKU NOPE." in response.content.decode()
    assert not StockLevel.objects.exists()


def test_only_the_warehouse_changes_stock_and_shipments(client, user_with, ready_order):
    order, site, _ = ready_order
    client.force_login(user_with(Role.SALES_REP))
    assert client.get("/fulfillment/stock/").status_code == 200  # sales may look
    assert client.post("/fulfillment/stock/receive/", {}).status_code == 403
    assert client.post("/fulfillment/shipments/start/", {"order": order.pk, "site": site.pk}).status_code == 403
    assert client.get("/fulfillment/picklists/").status_code == 403
    client.force_login(user_with(Role.FIELD_SERVICE))
    assert client.get("/fulfillment/stock/").status_code == 403


def test_packing_slip_hides_prices_for_third_party_deliveries(client, ready_order):
    order, site, warehouse = ready_order
    client.force_login(warehouse)
    drop = _packed(order, site, warehouse, ship_to_third_party=True, ship_to_name="End User Ltd")

    html = client.get(f"/fulfillment/shipments/{drop.pk}/packing-slip/").content.decode()
    assert "Prices are not shown" in html and "Unit price" not in html and "20.00" not in html

    Shipment.objects.filter(pk=drop.pk).update(ship_to_third_party=False)
    html = client.get(f"/fulfillment/shipments/{drop.pk}/packing-slip/").content.decode()
    assert "Unit price" in html and "60.00" in html


def test_packing_slip_pdf(client, ready_order):
    order, site, warehouse = ready_order
    client.force_login(warehouse)
    shipment = _packed(order, site, warehouse)

    response = client.get(f"/fulfillment/shipments/{shipment.pk}/packing-slip.pdf")

    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF") and len(response.content) > 1000


def test_list_pages_page_and_have_empty_states(client, user_with):
    client.force_login(user_with(Role.WAREHOUSE))
    assert "Nothing to pick" in client.get("/fulfillment/picklists/").content.decode()
    assert "No shipments match." in client.get("/fulfillment/shipments/").content.decode()
    assert "No stock matches." in client.get("/fulfillment/stock/").content.decode()
    assert client.get("/fulfillment/shipments/999999/").status_code == 404


# --- API ----------------------------------------------------------------------------------


def test_api_ship_and_carrier_delivery_confirmation(api_as, ready_order):
    order, site, _ = ready_order
    warehouse = api_as(Role.WAREHOUSE)

    started = warehouse.post("/api/fulfillment/shipments/", {"order": order.pk, "site": site.pk}, format="json")
    assert started.status_code == 201
    shipment_id = started.json()["id"]
    line = started.json()["lines"][0]["order_line"]
    packed = warehouse.post(
        f"/api/fulfillment/shipments/{shipment_id}/pack/",
        {"lines": [{"order_line": line, "quantity": "3"}], "packages": 1, "weight_kg": "2"},
        format="json",
    )
    assert packed.status_code == 200 and packed.json()["status"] == "packed"
    shipped = warehouse.post(
        f"/api/fulfillment/shipments/{shipment_id}/ship/",
        {"carrier": "UPS", "tracking_number": "1Z999", "ship_date": "2026-11-22"},
        format="json",
    )
    assert shipped.status_code == 200 and shipped.json()["status"] == "shipped"

    delivered = warehouse.post(f"/api/fulfillment/shipments/{shipment_id}/deliver/", {}, format="json")
    assert delivered.status_code == 200 and delivered.json()["delivered_at"]
    assert Order.objects.get(pk=order.pk).status == OrderStatus.DELIVERED
    again = warehouse.post(f"/api/fulfillment/shipments/{shipment_id}/deliver/", {}, format="json")
    assert again.status_code == 409 and again.json()["code"] == "invalid_shipment_state"


def test_api_bad_input_and_roles(api_as, ready_order):
    order, site, _ = ready_order
    warehouse, sales = api_as(Role.WAREHOUSE), api_as(Role.SALES_REP)

    assert sales.get("/api/fulfillment/stock/").status_code == 200
    assert sales.post("/api/fulfillment/stock/receipts/", {}, format="json").status_code == 403
    bad = warehouse.post(
        "/api/fulfillment/stock/receipts/", {"product": 999999, "site": "x", "quantity": "-1"}, format="json"
    )
    assert bad.status_code == 400 and set(bad.json()) == {"product", "site", "quantity"}
    too_much = warehouse.post(
        "/api/fulfillment/stock/adjustments/",
        {"product": order.lines.get().product_id, "site": site.pk, "quantity_delta": "-9", "reason": "count"},
        format="json",
    )
    assert too_much.status_code == 400 and "quantity_delta" in too_much.json()
    assert warehouse.post("/api/fulfillment/shipments/999999/ship/", {}, format="json").status_code == 404
    assert warehouse.get("/api/fulfillment/pick-list/").json()["count"] == 1
    assert warehouse.get("/api/fulfillment/backorders/").json()["count"] == 0


def test_delivery_confirmed_on_the_order_marks_its_shipments_delivered(api_as, ready_order):
    order, site, warehouse = ready_order
    shipment = _packed(order, site, warehouse)
    services.shipment_ship(
        shipment_id=shipment.pk, carrier="DHL", service="", tracking_number="JD01", ship_date=None, user=warehouse
    )
    api = api_as(Role.WAREHOUSE)

    delivered = api.post(f"/api/orders/{order.pk}/actions/deliver/", {}, format="json")

    assert delivered.status_code == 200, delivered.content
    shipment.refresh_from_db()
    assert shipment.status == Shipment.Status.DELIVERED and shipment.delivered_at
    assert Order.objects.get(pk=order.pk).status == OrderStatus.DELIVERED
