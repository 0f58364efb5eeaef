"""The warehouse in headless Chromium: pick, pack and ship an order from the pick list."""

from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from fulfillment import services
from orders.models import Order
from orders.roles import Role
from orders.services import order_transition
from orders.states import OrderStatus

from .conftest import screenshot
from .factories import OrderFactory, OrderLineFactory, ProductFactory, SiteFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_pick_pack_ship_in_the_browser(page_as, user_with):
    site = SiteFactory(code="A", name="Site A")
    product = ProductFactory(sku="GEAR-1")
    services.stock_receive(product=product, site=site, quantity=Decimal("10"), user=user_with(Role.WAREHOUSE))
    order = OrderFactory(status=OrderStatus.ENTERED, promised_date=timezone.localdate())
    OrderLineFactory(order=order, line_no=1, product=product, quantity_ordered=Decimal("4"))
    order_transition(order_id=order.pk, action="accept", actor=user_with(Role.REVIEW_BOARD))  # reserves on commit
    assert Order.objects.get(pk=order.pk).status == OrderStatus.READY_TO_SHIP

    page = page_as(Role.WAREHOUSE)
    page.click("nav >> text=Pick lists")
    expect(page.get_by_test_id("site-A")).to_contain_text(order.number)
    screenshot(page, "pick-list")
    page.get_by_test_id(f"start-{order.number}").click()
    expect(page.get_by_test_id("shipment-status")).to_have_text("Picking")

    form = page.get_by_test_id("pack-form")
    form.locator("input[name=packages]").fill("2")
    form.locator("input[name=weight_kg]").fill("12.5")
    form.locator("button[type=submit]").click()
    expect(page.get_by_test_id("shipment-status")).to_have_text("Packed")

    form = page.get_by_test_id("ship-form")
    form.locator("input[name=carrier]").fill("DHL")
    form.locator("input[name=service]").fill("Express")
    form.locator("input[name=tracking_number]").fill("JD014600003")
    form.locator("button[type=submit]").click()
    expect(page.get_by_test_id("shipment-status")).to_have_text("Shipped")
    screenshot(page, "shipment-shipped")

    page.click(f"text={order.number}")
    expect(page.get_by_test_id("order-status")).to_have_text("Shipped")
    expect(page.get_by_test_id("fulfillment-panel")).to_contain_text("JD014600003")
    screenshot(page, "order-with-shipment")
