"""The planning board in headless Chromium: drag a job onto the board and see it saved, then
see an overload refused with a message."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from orders.roles import Role
from scheduling.models import Job

from .conftest import screenshot
from .factories import CustomerFactory
from .test_scheduling_factories import WorkCenterFactory, day, freeze_today, order_with_job, place

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _drag(page, card, target):
    """Drag like a person: press, move in steps (SortableJS needs the intermediate moves), release."""
    card.scroll_into_view_if_needed()
    box, goal = card.bounding_box(), target.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + 8)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] / 2 + 10, box["y"] + 20, steps=5)
    x, y = goal["x"] + goal["width"] / 2, goal["y"] + goal["height"] - 8
    page.mouse.move(x, y, steps=20)
    page.mouse.move(x + 3, y - 3, steps=4)  # settle over the target so the last dragover lands there
    page.wait_for_timeout(150)
    page.mouse.up()


def test_drag_a_job_onto_the_board_then_an_overload_is_refused(page_as, monkeypatch):
    freeze_today(monkeypatch)
    press = WorkCenterFactory(code="PRESS", name="Press 1")
    WorkCenterFactory(code="PAINT", name="Paint line")
    # Tuesday is full; two jobs wait in the unscheduled list
    place(
        order_with_job(press, "8", priority=Decimal("20"), promised=day(3), customer=CustomerFactory(name="Bolt")),
        [(day(1), "8")],
    )
    urgent = order_with_job(press, "6", priority=Decimal("90"), promised=day(0), customer=CustomerFactory(name="Acme"))
    other = order_with_job(press, "3", priority=Decimal("50"), promised=day(1), customer=CustomerFactory(name="Cogs"))

    page = page_as(Role.SCHEDULER)
    page.click("nav >> text=Planning board")
    expect(page.locator("h1")).to_have_text("Planning board")
    unscheduled = page.get_by_test_id("unscheduled")
    expect(unscheduled.locator(".job").first).to_have_attribute("data-job", str(urgent.pk))  # priority first
    screenshot(page, "scheduling-board-before")

    # drag the urgent job onto Monday: saved
    _drag(page, page.get_by_test_id(f"job-{urgent.pk}"), page.get_by_test_id(f"cell-PRESS-{day(0).isoformat()}"))
    expect(page.get_by_test_id("board-message")).to_contain_text(f"Saved: {urgent.order.number}")
    monday = page.get_by_test_id(f"cell-PRESS-{day(0).isoformat()}")
    expect(monday.get_by_test_id(f"job-{urgent.pk}")).to_be_visible()
    expect(page.get_by_test_id(f"load-PRESS-{day(0).isoformat()}")).to_contain_text("6 / 8 h")
    urgent.refresh_from_db()
    assert (urgent.state, urgent.scheduled_day, urgent.version) == ("scheduled", day(0), 2)
    screenshot(page, "scheduling-board-saved")

    # drag the other job onto full Tuesday: refused with a message, it stays unscheduled
    _drag(page, page.get_by_test_id(f"job-{other.pk}"), page.get_by_test_id(f"cell-PRESS-{day(1).isoformat()}"))
    expect(page.get_by_test_id("board-message")).to_contain_text("Overload refused: PRESS")
    expect(page.get_by_test_id("unscheduled").get_by_test_id(f"job-{other.pk}")).to_be_visible()
    expect(page.get_by_test_id(f"load-PRESS-{day(1).isoformat()}")).to_contain_text("8 / 8 h")
    assert Job.objects.get(pk=other.pk).state == "unscheduled"
    screenshot(page, "scheduling-board-overload")

    # on Wednesday it fits but ends after its promised Tuesday: saved and flagged on the card at once
    _drag(page, page.get_by_test_id(f"job-{other.pk}"), page.get_by_test_id(f"cell-PRESS-{day(2).isoformat()}"))
    expect(page.get_by_test_id("board-message")).to_contain_text("finishes after the promised date")
    expect(page.get_by_test_id(f"late-{other.pk}")).to_contain_text("Late: promised")
    screenshot(page, "scheduling-board-late")


def test_a_sales_rep_asks_to_expedite_and_the_scheduler_approves_seeing_the_cost(page_as, monkeypatch):
    freeze_today(monkeypatch)
    press = WorkCenterFactory(code="PRESS", hourly_rate=Decimal("60.00"))
    blocker = place(
        order_with_job(press, "8", promised=day(0), customer=CustomerFactory(name="Bolt"), status="scheduled"),
        [(day(0), "8")],
    )
    rush = place(
        order_with_job(press, "4", promised=day(4), customer=CustomerFactory(name="Acme"), status="scheduled"),
        [(day(3), "4")],
    )

    rep = page_as(Role.SALES_REP)
    rep.goto(rep.url.replace("/orders/", f"/orders/{rush.order_id}/"))
    panel = rep.get_by_test_id("scheduling-panel")
    expect(panel).to_contain_text("PRESS")
    form = rep.get_by_test_id("expedite-form")
    form.locator("input[name=needed_by]").fill(day(0).isoformat())
    form.locator("input[name=reason]").fill("Their line stops on Tuesday")
    form.locator("button[type=submit]").click()
    expect(rep.get_by_test_id("expedite-status")).to_have_text("Pending")
    expect(rep.get_by_test_id("cost-pushed")).to_have_text("1 job(s) pushed")
    expect(rep.get_by_test_id("cost-made-late")).to_have_text("1 made late")
    screenshot(rep, "scheduling-expedite-cost")

    scheduler = page_as(Role.SCHEDULER)
    scheduler.click("nav >> text=Planning board")
    scheduler.get_by_role("button", name="Show cost").click()
    expect(scheduler.get_by_test_id("expedite-cost")).to_contain_text("Bolt")
    screenshot(scheduler, "scheduling-board-expedite")
    scheduler.click(f"text={rush.order.number}")
    scheduler.fill("input[name=reason]", "Acme is strategic")
    scheduler.click("text=Approve and reschedule")
    expect(scheduler.get_by_test_id("expedite-status")).to_have_text("Approved")
    expect(scheduler.get_by_test_id("expedite-recorded-cost")).to_contain_text("1 pushed")
    screenshot(scheduler, "scheduling-expedite-approved")
    assert Job.objects.get(pk=rush.pk).scheduled_day == day(0)
    assert Job.objects.get(pk=blocker.pk).finish_day == day(1)
