"""Real pages in headless Chromium: a sales rep submits, the review board rejects, filters update live."""

import pytest
from playwright.sync_api import expect

from orders import services
from orders.models import Order
from orders.roles import Role
from orders.states import OrderStatus

from .conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_sales_rep_submits_and_the_board_rejects_with_a_reason(page_as, live_server, order_in):
    order = order_in(OrderStatus.DRAFT, customer_po="PO-BROWSER")

    sales = page_as(Role.SALES_REP)
    sales.click(f"text={order.number}")
    expect(sales.get_by_test_id("order-status")).to_have_text("Draft")
    sales.click("button[data-action=submit]")
    expect(sales.get_by_test_id("order-status")).to_have_text("Entered")
    expect(sales.locator(".messages")).to_contain_text(f"Order {order.number} is now entered.")
    expect(sales.get_by_test_id("owner-department")).to_have_text("Senior management")
    screenshot(sales, "order-submitted")

    board = page_as(Role.REVIEW_BOARD)
    board.click("nav >> text=My queue")
    board.click(f"text={order.number}")
    board.click("button[data-action=reject]")
    expect(board.locator(".messages")).to_contain_text("A reason is required.")
    expect(board.get_by_test_id("order-status")).to_have_text("Entered")
    board.fill("textarea[name=note]", "No capacity for this quarter")
    board.click("button[data-action=reject]")
    expect(board.get_by_test_id("order-status")).to_have_text("Rejected")
    expect(board.get_by_test_id("journey")).to_contain_text("No capacity for this quarter")
    screenshot(board, "order-rejected")

    assert Order.objects.get(pk=order.pk).status == OrderStatus.REJECTED


def test_the_order_list_filters_as_you_type_without_a_reload(page_as, live_server, order_in):
    wanted = order_in(OrderStatus.ENTERED, customer_po="PO-NEEDLE")
    order_in(OrderStatus.ENTERED, customer_po="PO-HAY")

    page = page_as(Role.EXECUTIVE)
    expect(page.locator("#order-table tbody tr")).to_have_count(2)
    page.evaluate("window.__same_document = true")
    page.fill("input[name=q]", "NEEDLE")
    expect(page.locator("#order-table tbody tr")).to_have_count(1)
    expect(page.locator("#order-table")).to_contain_text(wanted.number)
    assert page.evaluate("window.__same_document") is True  # htmx swapped the table; no page load
    expect(page).to_have_url(f"{live_server.url}/orders/?q=NEEDLE&status=&owner_department=&overdue=")

    page.select_option("select[name=status]", "closed")
    expect(page.locator("#order-table")).to_contain_text("No orders match these filters.")
    screenshot(page, "order-list-filtered")


def test_acknowledging_a_handoff_in_the_browser(page_as, order_in, user_with):
    order = order_in(OrderStatus.DRAFT)
    services.order_transition(order_id=order.pk, action="submit", actor=user_with(Role.SALES_REP))

    board = page_as(Role.REVIEW_BOARD)
    board.click("nav >> text=My queue")
    expect(board.locator("table.list")).to_contain_text(order.number)
    board.click(f"text={order.number}")
    board.click("text=Acknowledge")
    expect(board.locator(".messages")).to_contain_text(f"You acknowledged order {order.number}")
    expect(board.locator(".handoff")).to_contain_text("Acknowledged by")
