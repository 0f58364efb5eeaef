"""Chromium: customer service records a return for a delivered order and approves it."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from orders.models import OrderEvent
from orders.roles import Role
from orders.states import OrderStatus

from .conftest import screenshot
from .factories import CustomerFactory, OrderFactory, OrderLineFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_customer_service_creates_an_rma_and_prints_the_label(page_as, live_server):
    customer = CustomerFactory(name="Acme Pumps")
    order = OrderFactory(status=OrderStatus.DELIVERED, customer=customer)
    line = OrderLineFactory(order=order, line_no=1, quantity_shipped=Decimal("6"))
    OrderEvent.objects.create(
        order=order, action="deliver", from_status="shipped", to_status="delivered", created_at=order.created_at
    )
    page = page_as(Role.CUSTOMER_SERVICE)

    page.goto(f"{live_server.url}/orders/{order.pk}/")
    page.get_by_test_id("return-goods").click()
    expect(page.locator("h1")).to_have_text("New return for Acme Pumps")
    page.fill(f"input[name=qty_{line.pk}]", "2")
    page.select_option("select[name=reason]", "defective")
    page.select_option("select[name=resolution]", "refund")
    page.fill("textarea[name=note]", "Motor hums")
    screenshot(page, "returns-rma-form")
    page.get_by_role("button", name="Record return").click()

    expect(page.get_by_test_id("rma-status")).to_have_text("Requested")
    page.get_by_role("button", name="Approve").click()
    expect(page.get_by_test_id("rma-status")).to_have_text("Approved")
    expect(page.get_by_test_id("label-link")).to_be_visible()
    screenshot(page, "returns-rma-approved")
