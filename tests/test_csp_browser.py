"""Strict CSP in headless Chromium: every main screen, opened by its role, loads with no CSP
violation ("Refused to ..."), and its scripts still run."""

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from playwright.sync_api import expect

from orders.models import Customer, Order
from orders.roles import Role
from orders.states import OrderStatus

from .conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENS = {
    Role.SALES_REP: ["/orders/", "/orders/sell-now/", "/orders/new/", "/orders/{order}/", "/orders/customers/"],
    Role.CUSTOMER_SERVICE: ["/orders/{draft}/edit/", "/returns/new/", "/aftersales/", "/returns/claims/new/{order}/"],
    Role.REVIEW_BOARD: ["/orders/review/", "/orders/queue/", "/orders/alerts/"],
    Role.EXECUTIVE: ["/dashboard/", "/dashboard/radar/", "/dashboard/targets/", "/orders/priority/"],
    Role.SCHEDULER: ["/scheduling/", "/scheduling/calendar/", "/scheduling/expedites/", "/scheduling/events/"],
    Role.DEMAND_PLANNER: ["/planning/forecasts/sales/", "/planning/consensus/", "/planning/accuracy/"],
    Role.WAREHOUSE: ["/fulfillment/stock/", "/fulfillment/picklists/", "/fulfillment/shipments/", "/returns/"],
    Role.FINANCE: ["/billing/review/", "/billing/invoices/", "/billing/receivables/", "/returns/claims/"],
    Role.ESTIMATOR: ["/pricing/price-lists/", "/pricing/approvals/", "/api/docs/"],
    Role.FIELD_SERVICE: ["/aftersales/visits/"],
}


@pytest.fixture
def company():
    for role in Role:  # transactional tests flush the groups the data migration made
        Group.objects.get_or_create(name=role.value)
    quiet = open("/dev/null", "w")  # noqa: SIM115
    call_command("seed_demo", orders=40, seed=11, stdout=quiet)
    call_command("scheduling_demo", stdout=quiet)
    order = Order.objects.exclude(status=OrderStatus.DRAFT).order_by("pk").first()
    draft = Order.objects.filter(status=OrderStatus.DRAFT).order_by("pk").first()
    # a customer with no rep, so the test's sales rep may see the order (orders.selectors.order_scope)
    Customer.objects.filter(pk__in=[order.customer_id, draft.customer_id]).update(sales_rep=None)
    return {"order": order.pk, "draft": draft.pk}


def _watch(page):
    violations = []
    page.on(
        "console",
        lambda msg: (
            violations.append(msg.text)
            if "Content Security Policy" in msg.text or msg.text.startswith("Refused to")
            else None
        ),
    )
    page.on("pageerror", lambda error: violations.append(f"script error: {error}"))
    return violations


@pytest.mark.parametrize("role", list(SCREENS), ids=[r.value for r in SCREENS])
def test_main_screens_load_with_no_csp_violation(page_as, live_server, company, role):
    page = page_as(role)
    violations = _watch(page)
    for path in SCREENS[role]:
        url = live_server.url + path.format(**company)
        response = page.goto(url)
        assert response.status == 200, url
        assert "script-src 'self'" in response.headers["content-security-policy"]
        page.wait_for_load_state("networkidle")
        assert not violations, f"{path}: {violations}"
        # sizes that used to be style="width: N%" are applied by omc.js through the CSSOM
        assert page.evaluate(
            "() => [...document.querySelectorAll('[data-width]')]"
            ".every(e => e.style.width === parseFloat(e.dataset.width) + '%')"
        ), path
    screenshot(page, f"csp-{role.value}")


def test_htmx_runs_and_an_inline_script_is_refused(page_as, live_server, company):
    page = page_as(Role.SALES_REP)  # logged in through the form, under the CSP
    violations = _watch(page)
    page.goto(f"{live_server.url}/orders/{company['order']}/")
    number = Order.objects.get(pk=company["order"]).number
    expect(page.locator("h1")).to_contain_text(number)
    assert page.evaluate("typeof window.htmx") == "object"  # htmx from our static files, active
    assert not violations

    # The watcher does see a violation: an injected inline script is refused and never runs.
    page.evaluate(
        "() => { const s = document.createElement('script'); s.textContent = 'window.pwned = 1';"
        " document.body.appendChild(s); }"
    )
    page.wait_for_timeout(200)
    assert page.evaluate("window.pwned") is None
    assert any("Content Security Policy" in v for v in violations), violations


def test_a_price_list_import_with_bad_lines_shows_each_line_and_imports_nothing(page_as, live_server, tmp_path):
    from datetime import date

    from pricing.models import PriceList

    from .factories import ProductFactory

    ProductFactory(sku="GEAR-1")
    price_list = PriceList.objects.create(name="Standard 2026", currency="EUR", valid_from=date(2026, 1, 1))
    csv_file = tmp_path / "prices.csv"
    csv_file.write_text("sku,min_quantity,unit_price\nGEAR-1,1,12.50\nNOPE,1,3\nGEAR-1,10,-1\n")
    page = page_as(Role.ESTIMATOR)
    violations = _watch(page)

    page.goto(f"{live_server.url}/pricing/price-lists/{price_list.pk}/")
    page.click("[data-testid=import-prices]")
    page.set_input_files("input[type=file]", str(csv_file))
    page.click("button[type=submit]")

    report = page.locator("[data-testid=import-errors]")
    expect(report).to_contain_text("Nothing was imported: 2 problems in 3 rows")
    expect(report).to_contain_text("No active product has this SKU.")
    assert report.locator("tbody tr td:first-child").all_inner_texts() == ["3", "4"]
    assert not price_list.items.exists()
    assert not violations
    screenshot(page, "pricing-import-errors")
