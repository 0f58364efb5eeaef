"""Order entry and selection in headless Chromium, keyboard first."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from fulfillment import services as fulfillment
from orders.models import Order
from orders.roles import Role
from orders.states import OrderStatus

from .conftest import screenshot
from .factories import CustomerFactory, ProductFactory, SiteFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _enter(page, customer_code, lines):
    page.click("nav >> text=New order")
    expect(page.locator("input[name=q]")).to_be_focused()  # the page puts the cursor there
    page.keyboard.type(customer_code)
    page.keyboard.press("Enter")  # search
    expect(page.get_by_test_id(f"customer-{customer_code}")).to_be_focused()
    page.keyboard.press("Enter")  # take the first match
    expect(page.get_by_test_id("add-line")).to_be_visible()
    for index, (sku, quantity) in enumerate(lines, start=1):
        sku_input = page.locator("[data-testid=add-line] input[name=sku]")
        expect(sku_input).to_be_focused()
        page.keyboard.type(sku)
        page.keyboard.press("Tab")
        page.keyboard.type(quantity)
        page.keyboard.press("Enter")
        expect(page.get_by_test_id(f"line-{index}")).to_be_visible()


def test_enter_submit_hold_and_accept_in_the_browser(page_as, user_with):
    site = SiteFactory(name="Site B")
    warehouse = user_with(Role.WAREHOUSE)
    products = [
        ProductFactory(sku=f"KEY-{n}", list_price=Decimal("10.00"), standard_cost=Decimal("4.00")) for n in range(1, 4)
    ]
    for product in products:
        fulfillment.stock_receive(product=product, site=site, quantity=Decimal("100"), user=warehouse)
    CustomerFactory(code="GOOD", credit_limit=Decimal("100000"))
    CustomerFactory(code="TIGHT", credit_limit=Decimal("10.00"))

    sales = page_as(Role.SALES_REP)
    _enter(sales, "GOOD", [("KEY-1", "3"), ("KEY-2", "5"), ("KEY-3", "2")])
    expect(sales.get_by_test_id("price-2")).to_have_text("10.00")
    expect(sales.get_by_test_id("entry-total")).to_have_text("EUR 100.00")
    expect(sales.get_by_test_id("promised-date")).to_be_visible()
    screenshot(sales, "order-entry")
    sales.get_by_test_id("submit-order").click()
    expect(sales.get_by_test_id("order-status")).to_have_text("Entered")
    expect(sales.get_by_test_id("promised")).to_contain_text("from stock at Site B")

    _enter(sales, "TIGHT", [("KEY-1", "2")])
    sales.get_by_test_id("submit-order").click()
    expect(sales.get_by_test_id("order-status")).to_have_text("On hold")
    expect(sales.locator(".messages")).to_contain_text("Credit limit 10.00 exceeded")
    screenshot(sales, "order-credit-hold")

    good = Order.objects.get(customer__code="GOOD")
    board = page_as(Role.REVIEW_BOARD)
    board.click("nav >> text=Review queue")
    row = board.get_by_test_id(f"review-{good.number}")
    expect(row).to_contain_text("Standard customer")
    row.locator("input[type=checkbox]").check()
    screenshot(board, "review-queue")
    board.get_by_test_id("bulk-accept").click()
    expect(board.locator(".messages")).to_contain_text(f"Accepted {good.number}")
    assert Order.objects.get(pk=good.pk).status in (OrderStatus.ACCEPTED, OrderStatus.READY_TO_SHIP)
