"""A user switches the UI to Thai and to Traditional Chinese with the switcher (docs/i18n.md)."""

import pytest
from django.core.management import call_command
from django.utils import translation
from playwright.sync_api import expect

from orders.models import UserPreference
from orders.roles import Role

from .conftest import screenshot

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
