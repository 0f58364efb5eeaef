import os
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect, sync_playwright
from rest_framework.test import APIClient

from orders import reference
from orders.models import Handoff
from orders.roles import Department
from orders.states import OrderStatus, Step

from .factories import OrderFactory, OrderLineFactory, UserFactory

# Django's live_server runs in a thread beside Playwright's event loop.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(autouse=True)
def _reference_cache():
    """The cached reference rows (orders.reference) of one test's rolled-back rows must not
    reach the next test."""
    reference.clear()
    yield
    reference.clear()


@pytest.fixture
def user_with(db):
    """user_with(Role.FINANCE, ...) -> a user holding those roles."""

    def make(*roles, **kwargs):
        return UserFactory(roles=roles, **kwargs)

    return make


@pytest.fixture
def api_as(user_with):
    """api_as(Role.X) -> an APIClient authenticated with a token, as a user with that role."""

    def make(*roles):
        user = user_with(*roles)
        client = APIClient()
        token = client.post(
            "/api/auth/token/", {"username": user.username, "password": "pw-for-tests"}, format="json"
        ).json()["token"]
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        client.user = user
        return client

    return make


@pytest.fixture
def order_in(db):
    """order_in(status, shipped=...) -> an order with two priced lines, sitting in `status`."""

    def make(status=OrderStatus.DRAFT, *, shipped=Decimal("0"), **kwargs):
        order = OrderFactory(status=status, **kwargs)
        for line_no in (1, 2):
            OrderLineFactory(order=order, line_no=line_no, quantity_shipped=shipped)
        return order

    return make


@pytest.fixture
def overdue_handoff(order_in):
    """overdue_handoff(hours_late=1, level_hours=4) -> an open hand-off of an entered order to the
    review board, `hours_late` past its due time (negative: not yet due)."""

    def make(*, hours_late=1, level_hours=4):
        opened = timezone.now() - timedelta(hours=level_hours + hours_late)
        return Handoff.objects.create(
            order=order_in(OrderStatus.ENTERED),
            from_department=Department.SALES,
            to_department=Department.MANAGEMENT,
            status=OrderStatus.ENTERED,
            step=Step.SELECTION,
            opened_at=opened,
            due_at=opened + timedelta(hours=level_hours),
            escalate_at=opened + timedelta(hours=2 * level_hours),
        )

    return make


# --- browser tests: Debian's Chromium driven by Playwright against live_server ----------------

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"), args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def page_as(browser, live_server, user_with):
    pages = []

    def login(role):
        user = user_with(role, first_name=role.label.split()[0])
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        pages.append(page)
        page.goto(f"{live_server.url}/orders/")
        expect(page).to_have_url(f"{live_server.url}/login/?next=/orders/")
        page.fill("input[name=username]", user.username)
        page.fill("input[name=password]", "pw-for-tests")
        page.click("button[type=submit]")
        expect(page.locator("h1")).to_have_text("Orders")
        return page

    yield login
    for page in pages:
        page.close()


def screenshot(page, name):
    """Keep what the user saw, for a person to look at (test-artifacts/ is not committed)."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
