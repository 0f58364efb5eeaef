"""Chromium: a technician files the report of a visit, with parts and tagged feedback."""

from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from aftersales import services
from aftersales.models import FeedbackTag, Skill, Technician, VisitReport
from orders.models import Handoff
from orders.roles import Role
from orders.states import OrderStatus

from .conftest import screenshot
from .factories import CustomerFactory, OrderFactory, OrderLineFactory, ProductFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_technician_files_a_visit_report(page_as, live_server, user_with):
    customer = CustomerFactory(name="Borealis Foods", sales_rep=user_with(Role.SALES_REP))
    order = OrderFactory(status=OrderStatus.DELIVERED, customer=customer)
    OrderLineFactory(order=order, line_no=1, quantity_shipped=Decimal("1"))
    ProductFactory(sku="SEAL-42")
    ticket = services.ticket_create(
        customer=customer, order=order, kind="repair", subject="Conveyor stops", user=user_with(Role.CUSTOMER_SERVICE)
    )
    page = page_as(Role.FIELD_SERVICE)
    tech = Technician.objects.create(user=VisitReport._meta.apps.get_model("auth", "User").objects.latest("id"))
    # a transactional test flushes what the data migration seeded
    tech.skills.set([Skill.objects.get_or_create(code="repair", defaults={"name": "Repair"})[0]])
    FeedbackTag.objects.get_or_create(name="wants larger size")
    visit = services.visit_schedule(ticket_id=ticket.pk, technician=tech, scheduled_for=timezone.localdate(), user=None)

    page.goto(f"{live_server.url}/aftersales/visits/")
    page.get_by_role("link", name=timezone.localdate().strftime("%Y-%m-%d")).click()
    page.fill("input[name=hours]", "2.5")
    page.fill("textarea[name=work_done]", "Replaced the drive seal")
    page.fill("textarea[name=feedback]", "Asked about the wider model")
    page.get_by_label("wants larger size").check()
    page.fill("input[name=part_sku_0]", "SEAL-42")
    page.fill("input[name=part_qty_0]", "1")
    screenshot(page, "aftersales-report-form")
    page.get_by_role("button", name="File report").click()

    expect(page.get_by_test_id("visit-status")).to_have_text("Done")
    expect(page.get_by_test_id("visit-report")).to_contain_text("wants larger size")
    screenshot(page, "aftersales-report-filed")
    assert Handoff.objects.filter(kind=f"feedback:{visit.pk}", closed_at__isnull=True).exists()
