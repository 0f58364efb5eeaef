"""The customer portal: who gets in, what a contact sees (their company's data only; another
customer's order is a 404), what never shows (internal notes, costs, margins, priority, credit
holds), what they can ask for (re-order, return, service visit) and the emails they choose."""

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.http import HttpRequest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from aftersales.models import Ticket
from billing.models import Invoice
from fulfillment import services as fulfillment
from fulfillment.models import Shipment
from orders.errors import ActionNotPermitted, GuardFailed, InvalidTransition, ValidationFailed
from orders.models import Handoff, Order, OrderEvent, OutboxMessage, PromiseChange
from orders.roles import Department, Role
from orders.services import order_promise_change, order_transition, outbox_process
from orders.states import OrderStatus
from portal import journey
from portal.models import PortalNotification
from returns.models import ReturnAuthorization

from .factories import OrderFactory, OrderLineFactory
from .history import rewriting_history
from .portal_support import PortalWorld

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(user_with, django_capture_on_commit_callbacks):
    return PortalWorld(user_with, django_capture_on_commit_callbacks)


@pytest.fixture
def as_contact(client, world):
    client.force_login(world.contact.user)
    return client


def _deliver(world, order):
    shipment = Shipment.objects.filter(order=order).first()
    with world.capture(execute=True):
        fulfillment.shipment_deliver(shipment_id=shipment.pk, user=world.shop.warehouse)
    order.refresh_from_db()
    return shipment


# --- who gets in -----------------------------------------------------------------------------


def test_a_contact_logs_in_and_lands_on_the_portal(world):
    client = Client()
    response = client.post("/login/", {"username": "acme-buyer", "password": "pw-for-tests"}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("portal:home")
    assert response.status_code == 200
    assert "Acme Pumps" in response.content.decode()


def test_anonymous_users_are_sent_to_log_in(client):
    response = client.get(reverse("portal:order_list"))
    assert response.status_code == 302 and response["Location"].startswith("/login/")


@pytest.mark.parametrize("role", list(Role))
def test_internal_users_without_a_contact_are_refused_by_the_portal(client, user_with, role):
    client.force_login(user_with(role))
    for url in (reverse("portal:home"), reverse("portal:order_list"), reverse("portal:invoice_list")):
        assert client.get(url).status_code == 403


def test_internal_users_cannot_open_a_customers_portal_order_either(client, world, user_with):
    order = world.shipped_order()
    client.force_login(user_with(Role.EXECUTIVE))
    assert client.get(reverse("portal:order_detail", args=[order.pk])).status_code == 403
    assert client.post(reverse("portal:order_reorder", args=[order.pk])).status_code == 403
    assert not Order.objects.filter(status=OrderStatus.DRAFT).exists()


def test_a_contact_reaches_nothing_internal_not_even_for_its_own_order(as_contact, world):
    order, invoice = world.invoiced_order()
    shipment = Shipment.objects.get(order=order)
    pages = [
        "/orders/",
        f"/orders/{order.pk}/",
        "/orders/queue/",
        "/orders/alerts/",
        "/orders/customers/",
        f"/orders/customers/{world.customer.pk}/",
        "/orders/new/",
        f"/billing/invoices/{invoice.pk}/",
        f"/billing/invoices/{invoice.pk}/pdf/",
        f"/fulfillment/shipments/{shipment.pk}/",
        "/returns/",
        "/aftersales/",
        "/dashboard/",
    ]
    for url in pages:
        assert as_contact.get(url).status_code == 403, url
    for url in ["/api/orders/", f"/api/orders/{order.pk}/", "/api/customers/", "/api/billing/invoices/"]:
        assert as_contact.get(url).status_code == 403, url
    moved = as_contact.post(f"/orders/{order.pk}/actions/close/", {"note": ""})
    assert moved.status_code == 403
    assert as_contact.post("/api/orders/", {}, content_type="application/json").status_code == 403


# --- only their company's data: another customer's order is a 404 ---------------------------


def test_another_customers_order_invoice_and_actions_are_404_like_a_missing_one(as_contact, world):
    theirs, their_invoice = world.invoiced_order(customer=world.other_customer)
    _deliver(world, theirs)
    missing = Order.objects.order_by("-pk").first().pk + 1000
    for order_id in (theirs.pk, missing):
        assert as_contact.get(reverse("portal:order_detail", args=[order_id])).status_code == 404
        assert as_contact.get(reverse("portal:order_return", args=[order_id])).status_code == 404
        assert as_contact.get(reverse("portal:order_service", args=[order_id])).status_code == 404
        assert as_contact.post(reverse("portal:order_reorder", args=[order_id])).status_code == 404
        assert as_contact.post(reverse("portal:order_service", args=[order_id]), {"kind": "repair"}).status_code == 404
    assert as_contact.get(reverse("portal:invoice_pdf", args=[their_invoice.pk])).status_code == 404
    assert as_contact.get(reverse("portal:invoice_pdf", args=[their_invoice.pk + 1000])).status_code == 404
    assert not Order.objects.filter(status=OrderStatus.DRAFT).exists()
    assert not Ticket.objects.exists() and not ReturnAuthorization.objects.exists()


def test_lists_show_only_the_contacts_company(as_contact, world):
    mine, my_invoice = world.invoiced_order()
    theirs, their_invoice = world.invoiced_order(customer=world.other_customer)
    html = as_contact.get(reverse("portal:order_list")).content.decode()
    assert mine.number in html and theirs.number not in html
    html = as_contact.get(reverse("portal:shipment_list")).content.decode()
    assert Shipment.objects.get(order=mine).number in html and Shipment.objects.get(order=theirs).number not in html
    html = as_contact.get(reverse("portal:invoice_list")).content.decode()
    assert my_invoice.number in html and their_invoice.number not in html
    html = as_contact.get(reverse("portal:home")).content.decode()
    assert theirs.number not in html


def test_internal_drafts_and_quotes_stay_hidden_but_entered_orders_show(as_contact, world):
    draft = OrderFactory(customer=world.customer, status=OrderStatus.DRAFT)
    quoted = OrderFactory(customer=world.customer, status=OrderStatus.QUOTED)
    entered = OrderFactory(customer=world.customer, status=OrderStatus.ENTERED)
    html = as_contact.get(reverse("portal:order_list")).content.decode()
    assert entered.number in html and draft.number not in html and quoted.number not in html
    assert as_contact.get(reverse("portal:order_detail", args=[draft.pk])).status_code == 404


def test_draft_invoices_are_not_shown_nor_downloadable(as_contact, world):
    order = world.shipped_order()
    draft = Invoice.objects.get(order=order)
    assert draft.status == Invoice.Status.DRAFT
    assert as_contact.get(reverse("portal:invoice_pdf", args=[draft.pk])).status_code == 404
    assert "No invoices yet." in as_contact.get(reverse("portal:invoice_list")).content.decode()


# --- what the customer sees ------------------------------------------------------------------


def test_order_page_shows_journey_shipment_tracking_and_invoice_pdf(as_contact, world):
    order, invoice = world.invoiced_order()
    Shipment.objects.filter(order=order).update(carrier="DHL Express", tracking_number="JD0146000012345")
    response = as_contact.get(reverse("portal:order_detail", args=[order.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "DHL Express" in html and "JD0146000012345" in html
    assert invoice.number in html
    stages = {stage.key: stage.reached for stage in response.context["journey"]}
    assert stages == {
        "received": True,
        "confirmed": True,
        "in_production": True,
        "shipped": True,
        "delivered": False,  # invoiced straight from shipped: the goods still travel
        "invoiced": True,
    }
    assert response.context["status_label"] == "Invoiced"
    _deliver(world, order)
    delivered = as_contact.get(reverse("portal:order_detail", args=[order.pk])).context["journey"]
    assert all(stage.reached for stage in delivered)

    pdf = as_contact.get(reverse("portal:invoice_pdf", args=[invoice.pk]))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")


def test_journey_of_a_confirmed_order_stops_at_confirmed():
    stages = journey.journey(status=OrderStatus.SCHEDULED, reached_at={})
    assert [s.key for s in stages if s.reached] == ["received", "confirmed"]
    assert [s.key for s in stages if s.current] == ["confirmed"]


@pytest.mark.parametrize("status", list(OrderStatus))
def test_every_internal_status_has_a_customer_label(status):
    assert journey.status_label(status)
    assert status in journey.STATUS_STAGE


def test_a_credit_hold_reads_received_to_the_customer(as_contact, world):
    order = OrderFactory(customer=world.customer, status=OrderStatus.ON_HOLD, hold_reason="Over credit limit")
    response = as_contact.get(reverse("portal:order_detail", args=[order.pk]))
    assert response.context["status_label"] == "Received"
    assert "Over credit limit" not in response.content.decode()


SECRETS = {
    "internal note": "Call the MD before we ship, he is difficult",
    "hold reason": "Overdue invoices 42 days, credit blocked",
    "promise explanation": "capacity on Press 2 from 14 Mar",
    "priority score": "87.65",
    "internal promise reason": "Press 2 breakdown, our fault",
    "standard cost": "61.37",
}


def test_internal_notes_costs_margins_priority_and_holds_never_reach_the_portal(as_contact, world):
    order, invoice = world.invoiced_order(lines=(("4", "250.00", "0"),))
    line = order.lines.get()
    line.product.standard_cost = Decimal(SECRETS["standard cost"])
    line.product.save()
    Order.objects.filter(pk=order.pk).update(
        hold_reason=SECRETS["hold reason"],
        promise_explanation=SECRETS["promise explanation"],
        priority_score=Decimal(SECRETS["priority score"]),
        priority_breakdown={"margin": {"contribution": "3.1", "reason": "margin 38%"}},
    )
    OrderEvent.objects.create(
        order=order,
        action="hold",
        from_status=OrderStatus.ENTERED,
        to_status=OrderStatus.ON_HOLD,
        note=SECRETS["internal note"],
        role=Role.FINANCE,
        department=Department.FINANCE,
        created_at=timezone.now() - timedelta(days=30),
    )
    PromiseChange.objects.create(
        order=order,
        old_date=date(2026, 3, 1),
        new_date=date(2026, 3, 8),
        reason=SECRETS["internal promise reason"],
        customer_reason="A supplier delivered late",
        changed_at=timezone.now(),
    )
    pages = [
        reverse("portal:home"),
        reverse("portal:order_list"),
        reverse("portal:order_detail", args=[order.pk]),
        reverse("portal:shipment_list"),
        reverse("portal:invoice_list"),
        reverse("portal:requests"),
        reverse("portal:preferences"),
    ]
    for url in pages:
        html = as_contact.get(url).content.decode()
        for what, secret in SECRETS.items():
            assert secret not in html, f"{what} shows on {url}"
        internal_words = re.findall(r"\b(margin|priority|on hold|hold reason|finance|hand-off|cost)\b", html, re.I)
        assert not internal_words, f"{internal_words} show on {url}"
    detail = as_contact.get(reverse("portal:order_detail", args=[order.pk])).content.decode()
    assert "A supplier delivered late" in detail  # the reason the company chose to share


def test_payments_due_sum_the_open_invoices_and_flag_what_is_past_due(as_contact, world):
    _order, invoice = world.invoiced_order(lines=(("2", "100.00", "0"),))
    _order2, late = world.invoiced_order(lines=(("1", "50.00", "0"),))
    with rewriting_history():
        Invoice.objects.filter(pk=late.pk).update(due_date=timezone.localdate() - timedelta(days=3))
    response = as_contact.get(reverse("portal:invoice_list"))
    totals = response.context["due"]["totals"]
    assert totals == [{"currency": "EUR", "due": invoice.total + late.total, "overdue": late.total}]
    open_only = as_contact.get(reverse("portal:invoice_list") + "?open=1")
    assert open_only.context["page"].paginator.count == 2


def test_lists_page_and_empty_states(as_contact, world):
    assert "You have no orders with us yet." in as_contact.get(reverse("portal:order_list")).content.decode()
    assert "Nothing has shipped to you yet." in as_contact.get(reverse("portal:shipment_list")).content.decode()
    for index in range(23):
        OrderFactory(customer=world.customer, status=OrderStatus.ACCEPTED, customer_po=f"PO-{index:03d}")
    first = as_contact.get(reverse("portal:order_list"))
    assert len(first.context["page"].object_list) == 20 and first.context["page"].paginator.num_pages == 2
    second = as_contact.get(reverse("portal:order_list") + "?page=2")
    assert len(second.context["page"].object_list) == 3
    found = as_contact.get(reverse("portal:order_list") + "?q=PO-007")
    assert [o.customer_po for o in found.context["page"].object_list] == ["PO-007"]
    nothing = as_contact.get(reverse("portal:order_list") + "?q=nope")
    assert "No order matches your search." in nothing.content.decode()


def test_order_list_query_count_does_not_grow_with_orders(as_contact, world, django_assert_max_num_queries):
    for _ in range(3):
        OrderFactory(customer=world.customer, status=OrderStatus.ACCEPTED)
    with django_assert_max_num_queries(12) as few:
        as_contact.get(reverse("portal:order_list"))
    for _ in range(17):
        OrderFactory(customer=world.customer, status=OrderStatus.ACCEPTED)
    with django_assert_max_num_queries(len(few.captured_queries)):
        as_contact.get(reverse("portal:order_list"))


def test_order_search_answers_htmx_with_the_rows_only(as_contact, world):
    order = OrderFactory(customer=world.customer, status=OrderStatus.ACCEPTED, customer_po="PO-HTMX")
    response = as_contact.get(
        reverse("portal:order_list") + "?q=HTMX", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="order-rows"
    )
    html = response.content.decode()
    assert order.number in html and "<html" not in html


# --- promised date changes -------------------------------------------------------------------


def test_a_promise_change_shows_the_shared_reason_only_and_emails_the_contact_once(
    world, client, django_capture_on_commit_callbacks
):
    order = OrderFactory(customer=world.customer, status=OrderStatus.SCHEDULED, promised_date=date(2027, 3, 2))
    OrderLineFactory(order=order, line_no=1)
    world.contact.language = "it"
    world.contact.save()
    service = world.shop.sales
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        change = order_promise_change(
            order_id=order.pk,
            new_date=date(2027, 3, 9),
            reason="Press 2 breakdown, our fault",
            customer_reason="Material arrives a week later",
            actor=service,
        )
    order.refresh_from_db()
    assert order.promised_date == date(2027, 3, 9) and change.old_date == date(2027, 3, 2)

    emails = [m for m in mail.outbox if m.to == ["buyer@acme.example"]]
    assert len(emails) == 1
    body = emails[0].body
    assert "Material arrives a week later" in body and "Press 2" not in body
    assert "09/03/2027" in body  # the contact's language (Italian: day/month/year)
    message = OutboxMessage.objects.get(topic="order.promise_changed")
    assert outbox_process(message_id=message.pk) is False  # already applied
    assert PortalNotification.objects.filter(kind="promise_changed").count() == 1

    client.force_login(world.contact.user)
    html = client.get(reverse("portal:order_detail", args=[order.pk])).content.decode()
    assert "Material arrives a week later" in html and "Press 2" not in html


def test_promise_changes_need_a_role_a_reason_and_a_promised_order(world, user_with):
    order = OrderFactory(customer=world.customer, status=OrderStatus.SCHEDULED, promised_date=date(2027, 3, 2))
    with pytest.raises(ActionNotPermitted):
        order_promise_change(order_id=order.pk, new_date=date(2027, 4, 1), reason="x", actor=user_with(Role.FINANCE))
    with pytest.raises(ActionNotPermitted):
        order_promise_change(order_id=order.pk, new_date=date(2027, 4, 1), reason="x", actor=world.contact.user)
    with pytest.raises(GuardFailed):
        order_promise_change(order_id=order.pk, new_date=date(2027, 4, 1), reason=" ", actor=world.shop.sales)
    with pytest.raises(ValidationFailed):
        order_promise_change(order_id=order.pk, new_date=date(2027, 3, 2), reason="x", actor=world.shop.sales)
    delivered = OrderFactory(customer=world.customer, status=OrderStatus.DELIVERED, promised_date=date(2027, 3, 2))
    with pytest.raises(InvalidTransition):
        order_promise_change(order_id=delivered.pk, new_date=date(2027, 4, 1), reason="x", actor=world.shop.sales)
    assert not PromiseChange.objects.exists()
    order.refresh_from_db()
    assert order.promised_date == date(2027, 3, 2)


def test_the_order_page_changes_the_promise_with_form_messages(client, world, user_with):
    order = OrderFactory(customer=world.customer, status=OrderStatus.ACCEPTED, promised_date=date(2027, 3, 2))
    client.force_login(user_with(Role.CUSTOMER_SERVICE))
    url = reverse("orders:order_promise_change", args=[order.pk])
    bad = client.post(url, {"new_date": "2027-03-20", "reason": ""}, follow=True)
    assert "reason: This field is required." in bad.content.decode()
    good = client.post(
        url, {"new_date": "2027-03-20", "reason": "Late steel", "customer_reason": "Material is late"}, follow=True
    )
    html = good.content.decode()
    assert "Promised date changed." in html and "Material is late" in html
    client.force_login(user_with(Role.WAREHOUSE))
    assert client.post(url, {"new_date": "2027-03-25", "reason": "x"}).status_code == 403
    assert PromiseChange.objects.count() == 1


# --- notifications the customer chose --------------------------------------------------------


def test_confirmed_shipped_and_invoiced_emails_go_once_to_the_contacts_who_chose_them(world):
    world.contact.notify_invoice_issued = True
    world.contact.save()
    mail.outbox.clear()
    order, invoice = world.invoiced_order()
    to_buyer = [m.subject for m in mail.outbox if m.to == ["buyer@acme.example"]]
    assert to_buyer == [
        f"Your order {order.number} is confirmed",
        f"Your order {order.number} has shipped",
        f"Invoice {invoice.number}",
    ]
    shipped = next(m for m in mail.outbox if m.subject.endswith("has shipped"))
    assert "DHL" in shipped.body
    assert not [m for m in mail.outbox if m.to == ["buyer@rival.example"]]

    # A redelivered message, or the same event seen again, sends nothing more.
    for message in OutboxMessage.objects.filter(topic__in=["order.accept", "order.ship", "billing.invoice_posted"]):
        assert outbox_process(message_id=message.pk) is False
    from portal import services

    ship_message = OutboxMessage.objects.get(topic="order.ship")
    services.on_order_shipped(ship_message)
    assert PortalNotification.objects.filter(kind="shipped").count() == 1
    assert len([m for m in mail.outbox if m.to == ["buyer@acme.example"]]) == 3


def test_a_contact_who_opted_out_gets_no_email(world):
    world.contact.notify_order_confirmed = False
    world.contact.notify_shipped = False
    world.contact.save()
    mail.outbox.clear()
    world.shipped_order()
    assert not [m for m in mail.outbox if m.to == ["buyer@acme.example"]]


def test_preferences_page_saves_choices_and_refuses_an_unknown_language(as_contact, world):
    url = reverse("portal:preferences")
    saved = as_contact.post(url, {"language": "en", "shipped": "on", "invoice_issued": "on"}, follow=True)
    assert "Your preferences are saved." in saved.content.decode()
    world.contact.refresh_from_db()
    assert world.contact.notify_shipped and world.contact.notify_invoice_issued
    assert not world.contact.notify_order_confirmed and not world.contact.notify_promise_changed
    bad = as_contact.post(url, {"language": "klingon"})
    assert bad.status_code == 400 and "language:" in bad.content.decode()
    world.contact.refresh_from_db()
    assert world.contact.language == "en"


def test_unsent_notifications_are_sent_by_the_periodic_sweep_once(world):
    from portal import services

    order = OrderFactory(customer=world.customer, status=OrderStatus.ACCEPTED)
    event = OrderEvent.objects.create(
        order=order, action="accept", from_status="entered", to_status="accepted", created_at=timezone.now()
    )
    PortalNotification.objects.create(
        contact=world.contact,
        kind="order_confirmed",
        key=f"event:{event.pk}",
        order=order,
        created_at=timezone.now() - timedelta(minutes=5),
    )
    mail.outbox.clear()
    assert services.notifications_send_pending() == 1
    assert services.notifications_send_pending() == 0
    assert len(mail.outbox) == 1


# --- what the customer can ask for -----------------------------------------------------------


def test_reorder_creates_a_draft_for_sales_to_confirm(as_contact, world, django_capture_on_commit_callbacks):
    order = world.shipped_order(lines=(("7", "100.00", "0"), ("3", "40.00", "0")))
    response = as_contact.post(reverse("portal:order_reorder", args=[order.pk]), follow=True)
    draft = Order.objects.get(status=OrderStatus.DRAFT)
    assert response.redirect_chain[-1][0] == reverse("portal:order_detail", args=[draft.pk])
    assert "Our sales team will confirm it shortly." in response.content.decode()
    assert draft.customer == world.customer and draft.created_by == world.contact.user
    assert [(line.product_id, line.quantity_ordered) for line in draft.lines.order_by("line_no")] == [
        (line.product_id, line.quantity_ordered) for line in order.lines.order_by("line_no")
    ]
    handoff = Handoff.objects.get(order=draft, kind="reorder")
    assert handoff.to_department == Department.SALES and handoff.closed_at is None
    assert "Requested, awaiting confirmation" in as_contact.get(reverse("portal:order_list")).content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        order_transition(order_id=draft.pk, action="submit", actor=world.shop.sales)
    handoff.refresh_from_db()
    assert handoff.closed_at is not None


def test_reorder_leaves_out_products_no_longer_sold(as_contact, world):
    order = world.shipped_order(lines=(("7", "100.00", "0"), ("3", "40.00", "0")))
    gone = order.lines.get(line_no=2).product
    gone.active = False
    gone.save()
    response = as_contact.post(reverse("portal:order_reorder", args=[order.pk]), follow=True)
    assert f"no longer sold: {gone.sku}" in response.content.decode()
    assert Order.objects.get(status=OrderStatus.DRAFT).lines.count() == 1


def test_a_requested_reorder_cannot_itself_be_reordered(as_contact, world):
    order = world.shipped_order()
    as_contact.post(reverse("portal:order_reorder", args=[order.pk]))
    draft = Order.objects.get(status=OrderStatus.DRAFT)
    response = as_contact.post(reverse("portal:order_reorder", args=[draft.pk]), follow=True)
    assert "Only placed orders can be re-ordered." in response.content.decode()
    assert Order.objects.filter(status=OrderStatus.DRAFT).count() == 1


def test_return_request_opens_an_rma_and_its_approval_handoff(as_contact, world):
    order = world.shipped_order(lines=(("6", "100.00", "0"),))
    _deliver(world, order)
    line = order.lines.get()
    url = reverse("portal:order_return", args=[order.pk])
    assert as_contact.get(url).status_code == 200
    too_many = as_contact.post(url, {f"qty_{line.pk}": "9", "reason": "defective", "resolution": "refund"})
    assert too_many.status_code == 400 and "less than or equal to 6" in too_many.content.decode()
    nothing = as_contact.post(url, {"reason": "defective", "resolution": "refund"})
    assert nothing.status_code == 400 and "Give a quantity for at least one line." in nothing.content.decode()
    assert not ReturnAuthorization.objects.exists()

    done = as_contact.post(
        url, {f"qty_{line.pk}": "2", "reason": "defective", "resolution": "refund", "note": "Hums"}, follow=True
    )
    rma = ReturnAuthorization.objects.get()
    assert rma.customer == world.customer and rma.status == ReturnAuthorization.Status.REQUESTED
    assert rma.lines.get().quantity == Decimal("2")
    assert Handoff.objects.filter(kind=f"approve:{rma.number}", to_department=Department.CUSTOMER_SERVICE).exists()
    assert rma.number in done.content.decode()


def test_return_of_goods_not_delivered_is_refused_with_a_message(as_contact, world):
    order = OrderFactory(customer=world.customer, status=OrderStatus.ACCEPTED)
    OrderLineFactory(order=order, line_no=1)
    response = as_contact.post(reverse("portal:order_return", args=[order.pk]), {"reason": "defective"})
    assert response.status_code == 400 and "Nothing of this order can be returned." in response.content.decode()
    assert not ReturnAuthorization.objects.exists()


def test_service_request_opens_a_ticket_and_its_handoff(as_contact, world):
    order = world.shipped_order()
    url = reverse("portal:order_service", args=[order.pk])
    missing = as_contact.post(url, {"kind": "repair", "subject": ""})
    assert missing.status_code == 400 and "subject: This field is required." in missing.content.decode()
    bad_kind = as_contact.post(url, {"kind": "teleport", "subject": "x"})
    assert bad_kind.status_code == 400
    assert not Ticket.objects.exists()

    as_contact.post(url, {"kind": "repair", "subject": "Pump leaks", "description": "Since Monday", "line_no": "1"})
    ticket = Ticket.objects.get()
    assert ticket.customer == world.customer and ticket.order == order and ticket.order_line.line_no == 1
    assert Handoff.objects.get(kind=ticket.handoff_kind).to_department == Department.SERVICE
    html = as_contact.get(reverse("portal:requests")).content.decode()
    assert ticket.number in html and "Pump leaks" in html


def test_service_request_before_anything_shipped_is_refused(as_contact, world):
    order = OrderFactory(customer=world.customer, status=OrderStatus.ACCEPTED)
    response = as_contact.post(reverse("portal:order_service", args=[order.pk]), {"kind": "repair", "subject": "x"})
    assert response.status_code == 400
    assert "once goods have shipped" in response.content.decode()
    assert not Ticket.objects.exists()


def test_portal_posts_need_the_csrf_token(world):
    order = world.shipped_order()
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(world.contact.user)
    assert strict.post(reverse("portal:order_reorder", args=[order.pk])).status_code == 403
    assert strict.post(reverse("portal:preferences"), {"language": "en"}).status_code == 403
    assert not Order.objects.filter(status=OrderStatus.DRAFT).exists()


def test_order_page_query_count_does_not_grow_with_lines(as_contact, world, django_assert_max_num_queries):
    small, _ = world.invoiced_order(lines=(("1", "10.00", "0"),))
    large, _ = world.invoiced_order(lines=tuple(("2", "10.00", "0") for _ in range(8)))
    with django_assert_max_num_queries(20) as one_line:
        as_contact.get(reverse("portal:order_detail", args=[small.pk]))
    with django_assert_max_num_queries(len(one_line.captured_queries)):
        as_contact.get(reverse("portal:order_detail", args=[large.pk]))


# --- giving a customer's people a login --------------------------------------------------------


def test_customer_service_invites_a_contact_who_sets_a_password_and_logs_in(
    client, world, user_with, django_capture_on_commit_callbacks
):
    client.force_login(user_with(Role.CUSTOMER_SERVICE))
    page = client.get(reverse("orders:customer_detail", args=[world.customer.pk])).content.decode()
    assert "Portal contacts" in page and "acme-buyer" in page
    mail.outbox.clear()
    url = reverse("portal:contact_invite", args=[world.customer.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url,
            {"username": "li.wei", "email": "li@acme.example", "first_name": "Li", "last_name": "W", "language": "en"},
            follow=True,
        )
    assert "The contact is invited" in response.content.decode()
    contact = world.customer.contacts.get(user__username="li.wei")
    assert not contact.user.has_usable_password()
    assert contact.user.groups.filter(name="customer").exists()
    (welcome,) = mail.outbox
    assert welcome.to == ["li@acme.example"] and "Acme Pumps" in welcome.subject
    link = re.search(r"https?://[^/\s]+(/portal/welcome/\S+/)", welcome.body).group(1)

    anonymous = Client()
    form = anonymous.get(link, follow=True)
    assert "Set your password" in form.content.decode()
    set_url = form.redirect_chain[-1][0] if form.redirect_chain else link
    done = anonymous.post(set_url, {"new_password1": "Pumps-and-valves-77", "new_password2": "Pumps-and-valves-77"})
    assert done.status_code == 302 and done["Location"] == reverse("login")
    assert anonymous.login(request=HttpRequest(), username="li.wei", password="Pumps-and-valves-77")
    assert anonymous.get(reverse("portal:home")).status_code == 200
    again = Client().get(link, follow=True)
    assert "This link has expired" in again.content.decode()


def test_invitations_refuse_bad_input_and_roles_that_do_not_edit_customers(
    client, world, user_with, django_capture_on_commit_callbacks
):
    url = reverse("portal:contact_invite", args=[world.customer.pk])
    client.force_login(user_with(Role.WAREHOUSE))
    assert client.post(url, {"username": "x", "email": "x@example.com", "language": "en"}).status_code == 403
    client.force_login(user_with(Role.SALES_REP))
    taken = client.post(url, {"username": "ACME-buyer", "email": "x@example.com", "language": "en"}, follow=True)
    assert "This username is taken." in taken.content.decode()
    bad = client.post(url, {"username": "new one!", "email": "not-an-email", "language": "en"}, follow=True)
    assert "email: Enter a valid email address." in bad.content.decode()
    assert client.post(reverse("portal:contact_invite", args=[999999]), {}).status_code == 404
    assert world.customer.contacts.count() == 1
    client.force_login(world.contact.user)
    assert client.post(url, {"username": "mine", "email": "m@example.com", "language": "en"}).status_code == 403


def test_taking_access_away_stops_the_login(client, world, user_with):
    client.force_login(user_with(Role.CUSTOMER_SERVICE))
    other = reverse("portal:contact_deactivate", args=[world.customer.pk, world.other_contact.pk])
    assert client.post(other).status_code == 404  # not this customer's contact
    client.post(reverse("portal:contact_deactivate", args=[world.customer.pk, world.contact.pk]))
    world.contact.user.refresh_from_db()
    assert not world.contact.user.is_active
    assert not Client().login(request=HttpRequest(), username="acme-buyer", password="pw-for-tests")
    world.other_contact.user.refresh_from_db()
    assert world.other_contact.user.is_active


# --- the portal API: same rules as the pages ---------------------------------------------------


def _token_client(username):
    from rest_framework.test import APIClient

    client = APIClient()
    token = client.post("/api/auth/token/", {"username": username, "password": "pw-for-tests"}, format="json")
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.json()['token']}")
    return client


def test_portal_api_lists_and_shows_only_the_contacts_orders_and_invoices(world):
    mine, invoice = world.invoiced_order(customer_po="PO-API")
    theirs, their_invoice = world.invoiced_order(customer=world.other_customer)
    Order.objects.filter(pk=mine.pk).update(hold_reason=SECRETS["hold reason"], priority_score=Decimal("87.65"))
    api = _token_client("acme-buyer")

    listed = api.get("/api/portal/orders/").json()
    assert [o["number"] for o in listed["results"]] == [mine.number]
    assert listed["results"][0]["status"] == {"stage": "invoiced", "label": "Invoiced"}
    assert api.get("/api/portal/orders/?search=PO-API").json()["count"] == 1
    detail = api.get(f"/api/portal/orders/{mine.pk}/")
    body = detail.content.decode()
    assert detail.status_code == 200
    assert (
        detail.json()["shipments"][0]["carrier"] == "DHL" and detail.json()["invoices"][0]["number"] == invoice.number
    )
    assert [s["key"] for s in detail.json()["journey"] if s["reached"]][:4] == [
        "received",
        "confirmed",
        "in_production",
        "shipped",
    ]
    assert SECRETS["hold reason"] not in body and "87.65" not in body and "priority" not in body
    for missing in (theirs.pk, theirs.pk + 1000, "abc"):
        assert api.get(f"/api/portal/orders/{missing}/").status_code == 404
    invoices = api.get("/api/portal/invoices/").json()
    assert [i["number"] for i in invoices["results"]] == [invoice.number]
    assert their_invoice.number not in api.get("/api/portal/invoices/?open=1").content.decode()


def test_portal_api_refuses_internal_users_and_anonymous_callers(world, api_as):
    for role in (Role.EXECUTIVE, Role.CUSTOMER_SERVICE):
        assert api_as(role).get("/api/portal/orders/").status_code == 403
    from rest_framework.test import APIClient

    assert APIClient().get("/api/portal/orders/").status_code == 401
    assert _token_client("acme-buyer").get("/api/orders/").status_code == 403
