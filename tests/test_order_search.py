"""The order list's free-text search: number, customer PO or customer name, any case, each order
once (the selector unions three indexed lookups)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from orders.roles import Role
from orders.selectors import order_list

from .factories import CustomerFactory, OrderFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def orders():
    now = timezone.now()
    zenith = CustomerFactory(name="Zenith Pumps")
    return {
        "by_name": OrderFactory(customer=zenith, created_at=now - timedelta(hours=3)),
        "by_po": OrderFactory(customer_po="PO-ZENITH-7", created_at=now - timedelta(hours=2)),
        "by_number": OrderFactory(number="SO-ZEN-1", created_at=now - timedelta(hours=1)),
        "twice": OrderFactory(customer=zenith, customer_po="zenith again", created_at=now),
        "other": OrderFactory(customer=CustomerFactory(name="Alpine Motors"), customer_po="X"),
    }


def test_search_matches_number_po_and_customer_name_once_each_newest_first(orders):
    found = list(order_list(search="  zenith "))
    assert found == [orders["twice"], orders["by_po"], orders["by_name"]]
    assert list(order_list(search="ZEN-1")) == [orders["by_number"]]
    assert list(order_list(search="zen")) == [orders[k] for k in ("twice", "by_number", "by_po", "by_name")]
    assert list(order_list(search="nothing like it")) == []


def test_search_combines_with_the_other_filters_on_the_page(orders, client, user_with):
    client.force_login(user_with(Role.SALES_REP))
    response = client.get("/orders/", {"q": "zenith", "status": "draft"})
    assert response.status_code == 200
    assert [o.number for o in response.context["page"].object_list] == [
        orders[k].number for k in ("twice", "by_po", "by_name")
    ]
