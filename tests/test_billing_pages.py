"""Finance pages, the invoice document and PDF, and the billing API."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from billing import services
from billing.models import Invoice, Payment
from orders.models import Order
from orders.roles import Role
from orders.states import OrderStatus

from .billing_support import ShippedOrders
from .conftest import screenshot
from .factories import CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop(user_with, django_capture_on_commit_callbacks):
    return ShippedOrders(user_with, django_capture_on_commit_callbacks)


def test_review_queue_shows_checks_and_finance_posts(client, shop):
    order = shop.shipped(customer=CustomerFactory(po_required=True))
    invoice = Invoice.objects.get(order=order)
    client.force_login(shop.finance)

    queue = client.get("/billing/review/").content.decode()
    assert f"Draft #{invoice.pk}" in queue and "✗ PO number present" in queue

    refused = client.post(f"/billing/invoices/{invoice.pk}/post/", follow=True).content.decode()
    assert "Fix the failing checks first." in refused and "requires a PO number" in refused
    client.post(f"/billing/invoices/{invoice.pk}/edit/", {"reason": "PO from email", "customer_po": "PO-77"})
    posted = client.post(f"/billing/invoices/{invoice.pk}/post/", follow=True).content.decode()

    assert "Invoice posted and sent to the customer." in posted
    assert Invoice.objects.get(pk=invoice.pk).number.startswith("INV-")
    assert Order.objects.get(pk=order.pk).status == OrderStatus.INVOICED
    assert "PO from email" in client.get(f"/billing/invoices/{invoice.pk}/").content.decode()


def test_sales_answers_a_question_on_the_page(client, shop):
    invoice = Invoice.objects.get(order=shop.shipped())
    services.invoice_query(invoice_id=invoice.pk, user=shop.finance, question="Is the PO 123?")
    client.force_login(shop.sales)

    page = client.get(f"/billing/invoices/{invoice.pk}/").content.decode()
    assert "Is the PO 123?" in page and "Answer finance" in page
    client.post(f"/billing/invoices/{invoice.pk}/answer/", {"answer": "Yes", "customer_po": "123"})

    invoice.refresh_from_db()
    assert (invoice.status, invoice.customer_po) == (Invoice.Status.DRAFT, "123")


def test_roles_on_billing_pages(client, shop, user_with):
    invoice = Invoice.objects.get(order=shop.shipped())
    client.force_login(shop.sales)
    assert client.get("/billing/invoices/").status_code == 200
    assert client.post(f"/billing/invoices/{invoice.pk}/post/").status_code == 403
    assert client.get("/billing/receivables/").status_code == 403
    client.force_login(user_with(Role.WAREHOUSE))
    assert client.get("/billing/invoices/").status_code == 403
    assert client.get(f"/billing/invoices/{invoice.pk}/pdf/").status_code == 403


def test_invoice_pdf_and_third_party_copy_hides_prices(client, shop):
    invoice = Invoice.objects.get(order=shop.shipped(customer=CustomerFactory(hide_prices_on_documents=True)))
    client.force_login(shop.finance)

    pdf = client.get(f"/billing/invoices/{invoice.pk}/pdf/")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    original = client.get(f"/billing/invoices/{invoice.pk}/document/").content.decode()
    copy = client.get(f"/billing/invoices/{invoice.pk}/document/?copy=third-party").content.decode()
    assert "1,000.00" in original and "Unit price" in original
    assert "Prices are not shown on this copy." in copy and "1,000.00" not in copy and "Unit price" not in copy


def test_receivables_page_records_payments_and_shows_figures(client, shop):
    order = shop.shipped()
    invoice = Invoice.objects.get(order=order)
    services.invoice_post(invoice_id=invoice.pk, user=shop.finance)
    client.force_login(shop.finance)

    page = client.get("/billing/receivables/").content.decode()
    assert order.customer.name in page and "100.0% of 1 invoices never corrected" in page
    bad = client.post(
        "/billing/payments/",
        {"customer": "NOPE", "amount": "-5", "currency": "EUR", "received_on": "2026-11-22"},
        follow=True,
    ).content.decode()
    assert "No customer with code NOPE." in bad and not Payment.objects.exists()
    client.post(
        "/billing/payments/",
        {
            "customer": order.customer.code,
            "amount": "1200.00",
            "currency": "EUR",
            "received_on": "2026-11-22",
            "reference": "bank",
        },
    )
    assert Order.objects.get(pk=order.pk).status == OrderStatus.PAID
    assert "Nothing is owed" in client.get("/billing/receivables/").content.decode()


def test_order_page_shows_its_invoices(client, shop):
    order = shop.shipped()
    client.force_login(shop.finance)
    assert 'data-testid="billing-panel"' in client.get(f"/orders/{order.pk}/").content.decode()


# --- API ----------------------------------------------------------------------------------


def test_api_review_post_credit_and_pay(api_as, shop):
    order = shop.shipped(lines=[("2", "50.00", "0")])
    invoice = Invoice.objects.get(order=order)
    finance = api_as(Role.FINANCE)

    detail = finance.get(f"/api/billing/invoices/{invoice.pk}/").json()
    assert all(check["ok"] for check in detail["checks"]) and detail["total"] == "120.00"
    posted = finance.post(f"/api/billing/invoices/{invoice.pk}/post/")
    assert posted.status_code == 200 and posted.json()["number"].startswith("INV-")
    assert finance.post(f"/api/billing/invoices/{invoice.pk}/post/").status_code == 409

    line = detail["lines"][0]["id"]
    credit = finance.post(
        f"/api/billing/invoices/{invoice.pk}/credit-notes/",
        {"reason": "One damaged", "lines": [{"line": line, "quantity": "1"}]},
        format="json",
    )
    assert credit.status_code == 201 and credit.json()["total"] == "60.00"
    pay = finance.post(
        "/api/billing/payments/",
        {"customer": order.customer_id, "amount": "60.00", "currency": "EUR", "received_on": "2026-11-22"},
        format="json",
    )
    assert pay.status_code == 201 and pay.json()["unallocated"] == "0.00"
    assert Order.objects.get(pk=order.pk).status == OrderStatus.PAID
    figures = finance.get("/api/billing/receivables/").json()
    assert figures["billing_accuracy_percent"] == "0.0" and figures["aging"] == []


def test_api_bad_input_and_roles(api_as, shop):
    invoice = Invoice.objects.get(order=shop.shipped())
    finance, sales = api_as(Role.FINANCE), api_as(Role.SALES_REP)

    assert sales.post(f"/api/billing/invoices/{invoice.pk}/post/").status_code == 403
    assert sales.get("/api/billing/receivables/").status_code == 403
    assert finance.post(f"/api/billing/invoices/{invoice.pk}/edit/", {}, format="json").json() == {
        "reason": ["This field is required."]
    }
    bad_pay = finance.post(
        "/api/billing/payments/",
        {"customer": 999999, "amount": "0", "currency": "XXX", "received_on": "yesterday"},
        format="json",
    )
    assert bad_pay.status_code == 400 and set(bad_pay.json()) == {"customer", "amount", "currency", "received_on"}
    no_reason = finance.post(f"/api/billing/invoices/{invoice.pk}/edit/", {"reason": " "}, format="json")
    assert no_reason.status_code == 400
    assert finance.post("/api/billing/invoices/999999/post/").status_code == 404


# --- browser ------------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_finance_reviews_and_posts_an_invoice_in_the_browser(page_as, user_with, django_capture_on_commit_callbacks):
    shop = ShippedOrders(user_with, django_capture_on_commit_callbacks)
    order = shop.shipped(customer=CustomerFactory(po_required=True), lines=[("4", "25.00", "0")])
    invoice = Invoice.objects.get(order=order)

    page = page_as(Role.FINANCE)
    page.click("nav >> text=Invoice review")
    page.get_by_test_id(f"review-{invoice.pk}").click()
    expect(page.get_by_test_id("checks")).to_contain_text("✗ PO number present")
    screenshot(page, "invoice-review")
    form = page.get_by_test_id("edit-form")
    form.locator("input[name=reason]").fill("PO confirmed by email")
    form.locator("input[name=customer_po]").fill("PO-2026-17")
    form.locator("button[type=submit]").click()
    expect(page.get_by_test_id("checks")).not_to_contain_text("✗")
    page.get_by_test_id("post-invoice").click()
    expect(page.get_by_test_id("invoice-status")).to_have_text("Posted")
    expect(page.locator("h1")).to_contain_text("INV-")
    screenshot(page, "invoice-posted")
    assert Order.objects.get(pk=order.pk).status == OrderStatus.INVOICED
    assert Invoice.objects.get(pk=invoice.pk).total == Decimal("120.00")
