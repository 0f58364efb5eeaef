"""The stuck-work page and the import dry run in headless Chromium, with screenshots."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from orders.models import OutboxMessage, TaskFailure
from orders.roles import Role
from orders.states import OrderStatus

from .conftest import ARTIFACTS, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _login(browser, live_server, user):
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", "pw-for-tests")
    page.click("button[type=submit]")
    return page


def test_an_admin_retries_a_stuck_outbox_message(browser, live_server, user_with, order_in):
    order = order_in(OrderStatus.ENTERED)
    message = OutboxMessage.objects.create(
        topic="handoff.opened",
        order=order,
        payload={"handoff_id": 0},
        created_at=timezone.now() - timedelta(minutes=42),
        dispatch_attempts=3,
        last_error="Error 111 connecting to 127.0.0.1:6379. Connection refused.",
        request_id="4f1c2d9e-7a1b-4c3d-9e8f-0a1b2c3d4e5f",
    )
    TaskFailure.objects.create(
        task_name="billing.tasks.invoice_send",
        task_id="a1b2c3",
        args=[17],
        error="SMTPServerDisconnected: Connection unexpectedly closed",
        failed_at=timezone.now() - timedelta(minutes=7),
    )
    page = _login(browser, live_server, user_with(is_staff=True, first_name="Ada"))
    page.goto(f"{live_server.url}/orders/")
    page.click("text=Stuck work")
    expect(page.locator("h1")).to_have_text("Stuck work")
    expect(page.locator("table").first).to_contain_text("Connection refused")
    expect(page.locator("table").nth(1)).to_contain_text("billing.tasks.invoice_send")
    screenshot(page, "ops-stuck-work")
    page.locator("table").first.get_by_role("button", name="Retry").click()
    expect(page.locator(".messages")).to_contain_text(f"Outbox message {message.pk} was published again.")
    expect(page.locator("text=No stuck outbox messages.")).to_be_visible()
    message.refresh_from_db()
    assert message.processed_at is not None
    page.close()


def test_a_dry_run_shows_every_bad_line(browser, live_server, user_with, tmp_path):
    bad = tmp_path / "customers.csv"
    bad.write_text(
        "code,name,tier,credit_limit,currency\n"
        "C-1,Acme,key,5000,EUR\n"
        "C-2,,standard,100,EUR\n"
        "C-3,Minus,standard,-5,EUR\n"
        "C-1,Twice,standard,1,EUR\n"
        "C-7,Who,platinum,1,XXX\n"
    )
    page = _login(browser, live_server, user_with(Role.CUSTOMER_SERVICE, first_name="Cas"))
    page.goto(f"{live_server.url}/ops/import/")
    page.select_option("select[name=kind]", "customers")
    page.set_input_files("input[name=file]", str(bad))
    page.click("text=Check the file (dry run)")
    expect(page.locator("[role=alert]")).to_contain_text("5 errors in 5 rows. Nothing was imported")
    rows = page.locator("table.list tbody tr")
    expect(rows).to_have_count(5)
    expect(rows.first).to_contain_text("3")
    screenshot(page, "ops-import-dry-run")
    assert (ARTIFACTS / "ops-import-dry-run.png").exists()
    page.close()
