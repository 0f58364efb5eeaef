"""A user switches the UI to Thai and to Traditional Chinese with the switcher (docs/i18n.md)."""

from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import translation
from playwright.sync_api import expect

from orders.models import UserPreference
from orders.roles import Role
from orders.states import OrderStatus

from .conftest import screenshot
from .factories import CustomerFactory, OrderFactory, OrderLineFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def translated(language: str, text: str) -> str:
    with translation.override(language):
        return translation.gettext(text)


def test_user_switches_the_ui_to_thai_and_to_traditional_chinese(page_as):
    call_command("compile_catalogues", verbosity=0)
    page = page_as(Role.SALES_REP)

    for language in ["th", "zh-hant"]:
        heading, nav = translated(language, "Orders"), translated(language, "My queue")
        assert heading != "Orders" and nav != "My queue"
        page.select_option("select[name=language]", language)
        page.get_by_test_id("language-switch").click()

        expect(page.locator("h1")).to_have_text(heading)
        expect(page.locator("nav[aria-label]").get_by_text(nav)).to_be_visible()
        expect(page.locator("html")).to_have_attribute("lang", language)
        # Looked at: Chromium draws them with fonts-tlwg-loma-ttf / fonts-droid-fallback, not boxes.
        screenshot(page, f"i18n-orders-{language}")

    assert UserPreference.objects.get().language == "zh-hant"


def test_order_in_vietnamese_shows_dong_without_decimals(page_as, live_server):
    call_command("compile_catalogues", verbosity=0)
    customer = CustomerFactory(currency="VND", name="Công ty Bình Minh")
    order = OrderFactory(status=OrderStatus.ENTERED, customer=customer, currency="VND")
    OrderLineFactory(order=order, line_no=1, quantity_ordered=Decimal("3"), unit_price=Decimal("1250000"))
    page = page_as(Role.SALES_REP)
    page.select_option("select[name=language]", "vi")
    page.get_by_test_id("language-switch").click()

    page.goto(f"{live_server.url}/orders/{order.pk}/")

    expect(page.get_by_test_id("net-total")).to_have_text("VND 3.750.000")
    expect(page.get_by_test_id("order-status")).to_have_text(translated("vi", "Entered"))
    screenshot(page, "i18n-order-vi-vnd")
