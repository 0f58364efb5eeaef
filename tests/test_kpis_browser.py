"""The executive dashboard in headless Chromium: cards, trends and charts render; a KPI drills
down to its orders."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.utils import timezone
from playwright.sync_api import expect

from orders import services
from orders.models import Customer, KpiTarget
from orders.roles import Department, Role
from orders.states import OrderStatus, Step
from pricing.models import CostEstimate

from .conftest import screenshot
from .factories import CustomerFactory, OrderFactory, OrderLineFactory
from .test_kpis import event, handoff, invoice, ship

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
S = OrderStatus


def _history():
    """Six months of orders, two of four per month delivered late; returns a late order."""
    now = timezone.now()
    late_one = None
    for months_back in range(6):
        for n in range(4):
            base = now - timedelta(days=30 * months_back + 12 + n)
            late = n % 2 == 1
            customer = CustomerFactory(tier=Customer.Tier.STRATEGIC if n == 0 else Customer.Tier.STANDARD)
            order = OrderFactory(
                status=S.DELIVERED,
                customer=customer,
                created_at=base - timedelta(days=10),
                promised_date=(base + timedelta(days=1) if not late else base - timedelta(days=4)).date(),
            )
            OrderLineFactory(
                order=order,
                line_no=1,
                quantity_ordered=Decimal("10"),
                quantity_shipped=Decimal("10"),
                quantity_returned=Decimal("1") if n == 3 else Decimal("0"),
            )
            ship(order, shipped_at=base - timedelta(days=2), delivered_at=base - timedelta(hours=n))
            invoice(order, total="1000", issue_date=base.date(), paid_at=base + timedelta(days=20 + n * 5))
            event(order, S.DRAFT, base - timedelta(days=10))
            event(order, S.ENTERED, base - timedelta(days=9, hours=6 * n), S.DRAFT)
            event(order, S.ACCEPTED, base - timedelta(days=8), S.ENTERED)
            event(order, S.READY_TO_SHIP, base - timedelta(days=5 - n / 2), S.ACCEPTED)
            event(order, S.SHIPPED, base - timedelta(days=2), S.READY_TO_SHIP)
            event(order, S.DELIVERED, base - timedelta(hours=n), S.SHIPPED)
            handoff(
                order,
                step=Step.SCHEDULING,
                opened=base - timedelta(days=8),
                due=base - timedelta(days=7),
                closed=base - timedelta(days=5 - n / 2),
                from_dept=Department.MANAGEMENT,
                to_dept=Department.OPERATIONS,
            )
            CostEstimate.objects.create(
                order=order,
                material=0,
                labour=0,
                setup=0,
                freight=0,
                total_cost=Decimal("700") + n * 50,
                revenue=Decimal("1000"),
                margin=Decimal("300") - n * 50,
                computed_at=now,
            )
            if late and months_back == 0:
                late_one = order
    stuck = OrderFactory(status=S.ENTERED, customer=CustomerFactory(tier=Customer.Tier.KEY))
    OrderLineFactory(order=stuck, line_no=1)
    handoff(stuck, step=Step.SELECTION, opened=now - timedelta(days=3), due=now - timedelta(days=2))
    services.order_facts_backfill()  # the rows went in directly, past the services
    return late_one


def test_executive_sees_the_dashboard_and_drills_down(page_as):
    cache.clear()
    late = _history()
    KpiTarget.objects.create(key="on_time_delivery", target=Decimal("95"), direction="higher")
    KpiTarget.objects.create(key="margin_per_order", target=Decimal("150"), direction="higher")

    page = page_as(Role.EXECUTIVE)
    page.click("nav >> text=Dashboard")
    expect(page.locator("h1")).to_have_text("Executive dashboard")
    card = page.get_by_test_id("kpi-on_time_delivery")
    expect(card.locator(".kpi-value")).to_have_text("50.0%")
    expect(card).to_contain_text("off target")
    expect(page.get_by_test_id("kpi-margin_per_order")).to_contain_text("on target")
    expect(page.get_by_test_id("trend-on_time_delivery").locator("polyline")).to_have_count(1)
    expect(page.get_by_test_id("trend-fill_rate").locator("circle")).not_to_have_count(0)
    screenshot(page, "kpi-dashboard")
    expect(page.get_by_test_id("waits").locator(".bar-mid").first).to_be_visible()
    expect(page.get_by_test_id("radar")).to_contain_text("Key account")
    expect(page.get_by_test_id("misses")).to_contain_text("Scheduling")

    card.locator("h2").hover()
    expect(card.locator(".kpi-definition")).to_be_visible()
    screenshot(page, "kpi-dashboard")

    page.get_by_test_id("drill-on_time_delivery").click()
    expect(page.get_by_test_id("drill-title")).to_contain_text("On-time delivery")
    expect(page.get_by_test_id("drill-orders")).to_contain_text(late.number)
    screenshot(page, "kpi-drilldown")
