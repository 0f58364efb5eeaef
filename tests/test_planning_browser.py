"""The forecast grid in headless Chromium: type, move with the keys, paste a block from a
spreadsheet, see a bad value explained, and find it all saved."""

import re
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import expect

from orders.roles import Role
from planning.models import Consensus, Forecast, Source
from planning.months import first_open_month, month_add

from .factories import OrderFactory, OrderLineFactory, ProductFactory
from .planning_factories import ForecastFactory, RoutingStepFactory, WorkCenterFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
PASTE = """(text) => {
    const data = new DataTransfer();
    data.setData("text/plain", text);
    document.activeElement.dispatchEvent(
        new ClipboardEvent("paste", {clipboardData: data, bubbles: true, cancelable: true}));
}"""


@pytest.fixture
def page_at(browser, live_server, user_with):
    """page_at(role, path) -> a logged-in page that opened `path` (`browser` is the session's, from conftest)."""
    pages = []

    def login(role, path):
        user = user_with(role, first_name=role.label.split()[0])
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        pages.append(page)
        page.goto(f"{live_server.url}{path}")
        page.fill("input[name=username]", user.username)
        page.fill("input[name=password]", "pw-for-tests")
        page.click("button[type=submit]")
        return page

    yield login
    for page in pages:
        page.close()


def _figures():
    return {
        (sku, month): quantity
        for sku, month, quantity in Forecast.objects.filter(source=Source.SALES).values_list(
            "product__sku", "month", "quantity"
        )
    }


def _wait_for(condition, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


def test_typing_moving_and_pasting_in_the_forecast_grid(page_at):
    for n in (1, 2, 3):
        ProductFactory(sku=f"GRID-{n}", name=f"Gear pump {n}", family="Pumps")
    m1, m2, m3 = (month_add(first_open_month(), offset) for offset in range(3))
    D = Decimal

    page = page_at(Role.SALES_REP, "/planning/forecasts/sales/")
    expect(page.locator("h1")).to_have_text("Sales forecast")

    def cell(sku, month):
        return page.get_by_label(f"{sku} {month:%Y-%m}")

    # Type, move right with the arrow, type, Enter moves down, arrow left, a bad value, Tab.
    cell("GRID-1", m1).click()
    page.keyboard.type("120")
    page.keyboard.press("ArrowRight")
    expect(cell("GRID-1", m2)).to_be_focused()
    page.keyboard.type("80")
    page.keyboard.press("Enter")
    expect(cell("GRID-2", m2)).to_be_focused()
    page.keyboard.press("ArrowLeft")
    expect(cell("GRID-2", m1)).to_be_focused()
    page.keyboard.type("abc")
    page.keyboard.press("Tab")
    expect(cell("GRID-2", m2)).to_be_focused()

    # Paste a 2×2 block copied from a spreadsheet at the focused cell.
    page.evaluate(PASTE, "10\t20\r\n30\t40\r\n")

    expect(page.locator("[data-grid-errors]")).to_contain_text(f"GRID-2 {m1:%Y-%m}: “abc” is not a number.")
    expect(cell("GRID-2", m1)).to_have_class(re.compile(r"\berror\b"))
    expect(page.locator("[data-grid-status]")).to_contain_text("1 cell not saved")
    expected = {
        ("GRID-1", m1): D("120"),
        ("GRID-1", m2): D("80"),
        ("GRID-2", m2): D("10"),
        ("GRID-2", m3): D("20"),
        ("GRID-3", m2): D("30"),
        ("GRID-3", m3): D("40"),
    }
    assert _wait_for(lambda: _figures() == expected), _figures()

    # Fix the bad cell; the history of the focused cell shows its version.
    cell("GRID-2", m1).click()
    page.keyboard.type("5")
    page.keyboard.press("ArrowUp")
    expect(page.locator("[data-grid-status]")).to_contain_text("All changes saved")
    expect(page.locator("[data-grid-errors] li")).to_have_count(0)
    assert _wait_for(lambda: _figures().get(("GRID-2", m1)) == D("5"))
    cell("GRID-2", m1).focus()
    expect(page.locator("[data-grid-history] h2")).to_contain_text(f"GRID-2 · {m1:%Y-%m}")
    expect(page.get_by_test_id("cell-history")).to_contain_text("v1")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "planning-forecast-grid.png"), full_page=True)

    # Everything is still there after a reload.
    page.reload()
    expect(cell("GRID-3", m3)).to_have_value("40")
    expect(cell("GRID-1", m1)).to_have_value("120")


def test_the_planner_sets_a_consensus_and_the_scheduler_signs_it_off(page_at, user_with):
    month = first_open_month()
    apart = ProductFactory(sku="CONS-1", name="Gear pump", family="Pumps")
    ProductFactory(sku="CONS-2", name="Ball valve", family="Valves")
    ForecastFactory(product=apart, month=month, quantity=Decimal("100"))
    ForecastFactory(product=apart, month=month, quantity=Decimal("80"), source=Source.PRODUCTION)
    RoutingStepFactory(product=apart, work_center=WorkCenterFactory(code="ASM-1"), hours_per_unit=Decimal("4"))
    last_month = month_add(month, -2)
    ForecastFactory(product=apart, month=last_month, quantity=Decimal("118"))
    order = OrderFactory(created_at=datetime(last_month.year, last_month.month, 5, tzinfo=UTC))
    OrderLineFactory(order=order, line_no=1, product=apart, quantity_ordered=Decimal("100"))

    planner = page_at(Role.DEMAND_PLANNER, "/planning/consensus/")
    expect(planner.locator("h1")).to_contain_text("Consensus forecast")
    row = planner.locator(f"#consensus-{apart.pk}")
    expect(row).to_have_class("apart")
    row.get_by_label("Consensus for CONS-1").fill("90")
    row.get_by_role("button", name="Save").click()
    expect(planner.locator(f"#consensus-{apart.pk} [role=alert]")).to_contain_text("a rationale is required")
    planner.locator(f"#consensus-{apart.pk}").get_by_label("Rationale for CONS-1").fill("Sales counts a tender")
    planner.locator(f"#consensus-{apart.pk}").get_by_role("button", name="Save").click()
    expect(planner.locator(f"#consensus-{apart.pk}")).to_contain_text("set by")
    assert _wait_for(lambda: Consensus.objects.filter(product=apart, quantity=Decimal("90")).exists())
    _shot(planner, "planning-consensus-planner")
    planner.locator("nav").get_by_role("link", name="Accuracy", exact=True).click()
    expect(planner.get_by_test_id("accuracy-sales")).to_contain_text("Sales over-forecast by 18%")
    _shot(planner, "planning-accuracy")

    scheduler = page_at(Role.SCHEDULER, "/planning/consensus/")
    scheduler.locator(f"#consensus-{apart.pk}").get_by_role("button", name="Sign off").click()
    expect(scheduler.locator(f"#consensus-{apart.pk}").get_by_test_id("signed-off")).to_be_visible()
    assert _wait_for(lambda: Consensus.objects.get(product=apart).signed_off_at is not None)
    _shot(scheduler, "planning-consensus-signed")

    scheduler.locator("nav").get_by_role("link", name="Capacity plan", exact=True).click()
    expect(scheduler.locator("h1")).to_contain_text("Capacity plan")
    expect(scheduler.get_by_test_id("capacity")).to_contain_text("overloaded")
    _shot(scheduler, "planning-capacity")


def _shot(page, name):
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
