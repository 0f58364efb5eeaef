"""The portal demo: a contact `customer` whose orders went through every step, idempotent."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.http import HttpRequest
from django.test import Client

from billing.models import Invoice
from fulfillment.models import Shipment
from orders.models import PromiseChange
from orders.states import OrderStatus
from portal.models import CustomerContact

pytestmark = pytest.mark.django_db


def test_seed_portal_makes_a_contact_with_shipped_invoiced_and_moved_orders():
    out = StringIO()
    call_command("seed_portal", stdout=out)
    assert "run seed_demo first" in out.getvalue()

    call_command("seed_demo", orders=60, seed=3, stdout=StringIO())
    call_command("seed_portal", stdout=out)
    contact = CustomerContact.objects.select_related("customer").get(user__username="customer")
    orders = contact.customer.orders.filter(customer_po__in=["PO-7781", "PO-7802", "PO-7815", "PO-7820"]).order_by(
        "customer_po"
    )
    statuses = [o.status for o in orders]
    assert statuses[0] == OrderStatus.INVOICED
    assert statuses[1] == OrderStatus.INVOICED  # invoiced straight from shipped, still travelling
    assert Shipment.objects.filter(order__in=orders, tracking_number__startswith="JD0146").count() == 2
    assert Invoice.objects.filter(order__in=orders, status=Invoice.Status.POSTED).count() == 2
    assert PromiseChange.objects.get(order=orders[2]).customer_reason.startswith("Our supplier")
    assert statuses[3] in (OrderStatus.ENTERED, OrderStatus.ON_HOLD)

    client = Client()
    assert client.login(request=HttpRequest(), username="customer", password="omc-demo-2026")
    html = client.get(f"/portal/orders/{orders[0].pk}/").content.decode()
    assert "JD014600004511870001" in html

    call_command("seed_portal", stdout=out)
    assert "The portal demo exists" in out.getvalue()
    assert CustomerContact.objects.count() == 1
