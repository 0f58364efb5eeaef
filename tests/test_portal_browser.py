"""Chromium: a customer contact logs in, finds an order, sees its shipment with tracking and
downloads the invoice PDF; then asks for a service visit."""

import contextlib
from datetime import date

import pytest
from playwright.sync_api import expect

from fulfillment.models import Shipment
from orders.roles import Role

from .conftest import screenshot
from .factories import OrderFactory
from .portal_support import PortalWorld

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _no_capture(execute=True):
    return contextlib.nullcontext()  # transactional test: after-commit work really runs after commit


def test_a_customer_finds_an_order_sees_tracking_and_downloads_the_invoice(browser, live_server, user_with):
    world = PortalWorld(user_with, _no_capture)
    order, invoice = world.invoiced_order(lines=(("12", "148.50", "5"), ("4", "89.00", "0")), customer_po="PO-4471")
    Shipment.objects.filter(order=order).update(carrier="DHL Express", tracking_number="JD014600004511870001")
    for index in range(6):
        OrderFactory(customer=world.customer, status="accepted", customer_po=f"PO-45{index:02d}")
    theirs = world.shipped_order(customer=world.other_customer)

    page = browser.new_page(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    try:
        page.goto(f"{live_server.url}/")
        page.fill("input[name=username]", "acme-buyer")
        page.fill("input[name=password]", "pw-for-tests")
        page.click("button[type=submit]")
        expect(page.locator("h1")).to_have_text("Welcome, Acme Pumps")
        screenshot(page, "portal-home")

        page.get_by_role("link", name="Orders", exact=True).click()
        expect(page.locator("h1")).to_have_text("Your orders")
        expect(page.get_by_test_id("portal-orders").locator("tbody tr")).to_have_count(7)
        page.wait_for_load_state("load")  # htmx binds the live search once the page has loaded
        page.fill("input[name=q]", "4471")  # live search (htmx) narrows the list as the customer types
        expect(page.get_by_test_id("portal-orders").locator("tbody tr")).to_have_count(1)
        expect(page.get_by_test_id("portal-orders")).not_to_contain_text(theirs.number)
        screenshot(page, "portal-orders")
        page.get_by_role("link", name=order.number).click()

        expect(page.locator("h1")).to_contain_text(order.number)
        expect(page.get_by_test_id("portal-status")).to_have_text("Invoiced")
        expect(page.get_by_test_id("tracking")).to_have_text("JD014600004511870001")
        expect(page.get_by_test_id("portal-shipments")).to_contain_text("DHL Express")
        expect(page.locator("[data-stage=shipped]")).to_have_class("step reached")
        screenshot(page, "portal-order")

        with page.expect_download() as download_info:
            page.get_by_test_id("invoice-pdf").first.click()
        download = download_info.value
        assert download.suggested_filename == f"{invoice.number}.pdf"
        with open(download.path(), "rb") as pdf:
            assert pdf.read(5) == b"%PDF-"

        page.get_by_test_id("request-return").click()
        expect(page.locator("h1")).to_contain_text("Return goods")
        line = order.lines.get(line_no=1)
        page.fill(f"input[name=qty_{line.pk}]", "2")
        page.select_option("select[name=reason]", "defective")
        screenshot(page, "portal-return-form")
        page.get_by_role("button", name="Ask to return").click()
        expect(page.get_by_test_id("portal-rmas")).to_contain_text("Requested")
        page.goto(f"{live_server.url}/portal/orders/{order.pk}/")

        page.get_by_test_id("request-service").click()
        expect(page.locator("h1")).to_contain_text("Service visit")
        page.select_option("select[name=kind]", "repair")
        page.fill("input[name=subject]", "Pump leaks at the seal")
        screenshot(page, "portal-service-form")
        page.get_by_role("button", name="Send the request").click()
        expect(page.get_by_test_id("portal-tickets")).to_contain_text("Pump leaks at the seal")
        expect(page.locator(".messages")).to_contain_text("Service request")
        screenshot(page, "portal-requests")

        page.get_by_role("link", name="Invoices and payments").click()
        expect(page.get_by_test_id("payments-due")).to_contain_text("EUR")
        screenshot(page, "portal-invoices")
        page.get_by_role("link", name="Preferences").click()
        expect(page.locator("h1")).to_have_text("Preferences")
        page.check("input[name=invoice_issued]")
        page.get_by_role("button", name="Save").click()
        expect(page.locator(".messages")).to_contain_text("Your preferences are saved.")
        screenshot(page, "portal-preferences")

        page.goto(f"{live_server.url}/portal/orders/{theirs.pk}/")
        expect(page.locator("h1")).to_have_text("Not found")
        page.goto(f"{live_server.url}/orders/{order.pk}/")
        expect(page.locator("h1")).to_have_text("Not allowed")
    finally:
        page.close()


def test_customer_service_moves_a_promise_and_the_customer_reads_the_shared_reason(
    browser, live_server, user_with, page_as
):
    world = PortalWorld(user_with, _no_capture)
    order = OrderFactory(
        customer=world.customer, status="scheduled", promised_date=date(2027, 3, 2), customer_po="PO-5120"
    )
    page = page_as(Role.CUSTOMER_SERVICE)
    page.goto(f"{live_server.url}/orders/{order.pk}/")
    form = page.get_by_test_id("promise-form")
    form.locator("input[name=new_date]").fill("2027-03-16")
    form.locator("input[name=reason]").fill("Press 2 down for repairs")
    form.locator("input[name=customer_reason]").fill("A machine needs repair; we ship two weeks later.")
    form.get_by_role("button", name="Change promised date").click()
    expect(page.get_by_test_id("promise-changes")).to_contain_text("Press 2 down for repairs")
    screenshot(page, "portal-internal-promise-change")
    page.goto(f"{live_server.url}/orders/customers/{world.customer.pk}/")
    invite = page.get_by_test_id("contact-invite")
    invite.locator("input[name=username]").fill("li.wei")
    invite.locator("input[name=email]").fill("li@acme.example")
    invite.locator("select[name=language]").select_option("en")
    invite.get_by_role("button", name="Invite to the portal").click()
    expect(page.get_by_test_id("portal-contacts")).to_contain_text("invited, no password yet")
    screenshot(page, "portal-internal-contacts")

    customer = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        customer.goto(f"{live_server.url}/login/")
        customer.fill("input[name=username]", "acme-buyer")
        customer.fill("input[name=password]", "pw-for-tests")
        customer.click("button[type=submit]")
        customer.goto(f"{live_server.url}/portal/orders/{order.pk}/")
        expect(customer.get_by_test_id("portal-promised")).to_have_text("2027-03-16")
        changes = customer.get_by_test_id("portal-promise-changes")
        expect(changes).to_contain_text("A machine needs repair; we ship two weeks later.")
        expect(changes).not_to_contain_text("Press 2")
        screenshot(customer, "portal-promise-change")
    finally:
        customer.close()
