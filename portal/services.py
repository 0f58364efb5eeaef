"""Every write of the customer portal: contacts and their preferences, what a customer asks for
(a re-order, a return, a service visit) and the emails they chose to receive.

A customer's requests go through the step apps' own services (returns.rma_create,
aftersales.ticket_create, orders.order_create), so the same rules and hand-offs apply as when
customer service records them; a re-order is a draft that sales confirms, timed by a work
hand-off "reorder".
"""

import logging
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from aftersales.models import Ticket
from aftersales.services import ticket_create
from billing.models import Invoice
from fulfillment.models import Shipment
from orders.errors import ValidationFailed
from orders.models import Customer, Order, OrderEvent, OrderLine, PromiseChange
from orders.roles import CUSTOMER_GROUP, Department
from orders.services import handoff_close_work, handoff_open_work, order_create
from orders.states import Step
from returns.models import ReturnAuthorization
from returns.services import rma_create

from . import journey, selectors
from .models import CustomerContact, NotificationKind, PortalNotification

logger = logging.getLogger(__name__)

REORDER_HANDOFF = "reorder"


# --- contacts ------------------------------------------------------------------------------


def contact_create(
    *,
    customer: Customer,
    username: str,
    email: str,
    password: str | None,
    language: str = "en",
    first_name: str = "",
    last_name: str = "",
) -> CustomerContact:
    """A login for a person at a customer: a user in the customer group (no internal role, so
    every internal page refuses them), linked to exactly that customer. No password: they set
    one through the link contact_invite emails."""
    User = get_user_model()
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationFailed(_("Username taken."), field_errors={"username": [_("This username is taken.")]})
    with transaction.atomic():
        user = User.objects.create_user(
            username=username, email=email, password=password, first_name=first_name, last_name=last_name
        )
        user.groups.add(Group.objects.get_or_create(name=CUSTOMER_GROUP)[0])
        return CustomerContact.objects.create(user=user, customer=customer, language=language)


def contact_invite(
    *, customer: Customer, username: str, email: str, first_name: str, last_name: str, language: str, invited_by
) -> CustomerContact:
    """Sales, customer service or finance give a person at the customer a portal login: the user
    has no password until they set one through the link emailed to them (in their language)."""
    if not customer.active:
        raise ValidationFailed(_("Inactive customer."), field_errors={"customer": [_("This customer is inactive.")]})
    with transaction.atomic():
        contact = contact_create(
            customer=customer,
            username=username,
            email=email,
            password=None,
            language=language,
            first_name=first_name,
            last_name=last_name,
        )
        transaction.on_commit(lambda: contact_send_welcome(contact_id=contact.pk))
    return contact


def contact_send_welcome(*, contact_id: int) -> None:
    """Email the link where the contact sets their password (Django's one-time reset token)."""
    from django.contrib.auth.tokens import default_token_generator
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    contact = CustomerContact.objects.select_related("user", "customer").get(pk=contact_id)
    user = contact.user
    path = reverse(
        "portal:set_password",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    with translation.override(contact.language):
        subject = _("Your access to the %(customer)s customer portal") % {"customer": contact.customer.name}
        body = render_to_string(
            "portal/email/welcome.txt", {"contact": contact, "url": _portal_url(path), "username": user.username}
        )
    send_mail(subject=subject, message=body, from_email=None, recipient_list=[user.email])


def contact_deactivate(*, contact_id: int, customer_id: int) -> CustomerContact:
    """Take a contact's login away (they can no longer log in; their history stays)."""
    contact = CustomerContact.objects.select_related("user").get(pk=contact_id, customer_id=customer_id)
    contact.user.is_active = False
    contact.user.save(update_fields=["is_active"])
    return contact


def preferences_update(*, contact: CustomerContact, language: str, notify: dict[str, bool]) -> CustomerContact:
    """The contact's language and which emails they want (keys: NotificationKind values)."""
    contact.language = language
    fields = ["language"]
    for kind in NotificationKind:
        setattr(contact, f"notify_{kind.value}", bool(notify.get(kind.value)))
        fields.append(f"notify_{kind.value}")
    contact.save(update_fields=fields)
    return contact


# --- what the customer asks for ------------------------------------------------------------


def reorder_request(*, contact: CustomerContact, order_id: int) -> tuple[Order, list[str]]:
    """Order again what a past order had: a new draft with the same products and quantities at
    today's prices, for sales to confirm (a timed "reorder" hand-off to sales). Products no longer
    sold are left out and named in the second value; if none is left, ValidationFailed."""
    source = selectors.order_for_customer(customer_id=contact.customer_id, order_id=order_id)
    if not selectors.order_can_reorder(source):
        raise ValidationFailed(
            _("This order is not confirmed yet."), field_errors={"order": [_("Only placed orders can be re-ordered.")]}
        )
    lines = list(OrderLine.objects.filter(order=source).select_related("product").order_by("line_no"))
    dropped = [line.product.sku for line in lines if not line.product.active]
    kept = [{"product": line.product, "quantity": line.quantity_ordered} for line in lines if line.product.active]
    if not kept:
        raise ValidationFailed(
            _("None of these products is sold any more."),
            field_errors={"order": [_("None of these products is sold any more.")]},
        )
    with transaction.atomic():
        draft = order_create(
            customer=contact.customer,
            lines=kept,
            created_by=contact.user,
            customer_po="",
            site=source.site,
        )
        handoff_open_work(
            order=draft,
            kind=REORDER_HANDOFF,
            subject=f"Confirm the re-order of {source.number} asked for by {contact.user.get_username()}"[:200],
            from_department=Department.CUSTOMER_SERVICE,
            to_department=Department.SALES,
            hours=Decimal(settings.OMC_PORTAL_REQUEST_HOURS),
            step=Step.ENTRY,
        )
    return draft, dropped


def reorder_handoff_close(*, order: Order, actor) -> None:
    """Reaction to submit/cancel: the re-order the customer asked for has been dealt with."""
    handoff_close_work(order=order, kind=REORDER_HANDOFF)


def return_request(
    *, contact: CustomerContact, order_id: int, quantities: dict[int, Decimal], reason: str, resolution: str, note: str
) -> ReturnAuthorization:
    """The customer asks to send goods of one of their orders back: an RMA in "requested", with
    customer service's timed approval hand-off (returns' own rules: delivered lines, at most what
    can still come back)."""
    order = selectors.order_for_customer(customer_id=contact.customer_id, order_id=order_id)
    order_line_ids = set(OrderLine.objects.filter(order=order).values_list("pk", flat=True))
    if not set(quantities) <= order_line_ids:
        raise ValidationFailed(_("Unknown lines."), field_errors={"lines": [_("Pick lines of this order.")]})
    return rma_create(
        customer=contact.customer,
        lines=quantities,
        reason=reason,
        resolution=resolution,
        user=contact.user,
        note=note,
    )


def service_request(
    *, contact: CustomerContact, order_id: int, kind: str, subject: str, description: str, line_no: int | None
) -> Ticket:
    """The customer asks for a service visit about one of their orders: a ticket with the service
    department's timed hand-off and, when they name a line, the warranty check."""
    order = selectors.order_for_customer(customer_id=contact.customer_id, order_id=order_id)
    if not selectors.order_can_request_service(order):
        raise ValidationFailed(
            _("Nothing has been delivered yet."),
            field_errors={"order": [_("A service visit can be asked for once goods have shipped.")]},
        )
    order_line = None
    if line_no is not None:
        order_line = OrderLine.objects.filter(order=order, line_no=line_no).first()
        if order_line is None:
            raise ValidationFailed(_("Unknown line."), field_errors={"line_no": [_("Pick a line of this order.")]})
    return ticket_create(
        customer=contact.customer,
        kind=kind,
        subject=subject,
        description=description,
        user=contact.user,
        order=order,
        order_line=order_line,
    )


# --- email notifications -------------------------------------------------------------------


def notifications_record(*, customer_id: int, kind: str, key: str, order: Order | None) -> list[int]:
    """Record one notification per contact of the customer who wants this kind (once per
    contact, kind and key however often it is called) and send each after commit."""
    contacts = CustomerContact.objects.filter(
        customer_id=customer_id, user__is_active=True, **{f"notify_{kind}": True}
    ).exclude(user__email="")
    created = []
    now = timezone.now()
    for contact in contacts:
        notification, made = PortalNotification.objects.get_or_create(
            contact=contact, kind=kind, key=key, defaults={"order": order, "created_at": now}
        )
        if made:
            created.append(notification.pk)
    if created:
        transaction.on_commit(lambda: _queue_send(created))
    return created


def _queue_send(notification_ids: list[int]) -> None:
    from .tasks import notification_send

    for notification_id in notification_ids:
        try:
            notification_send.apply_async(args=[notification_id], retry=False)
        except Exception as exc:  # noqa: BLE001 - broker down: notifications_send_pending sends it later
            logger.warning("portal: could not queue notification %s: %s", notification_id, exc)


def _portal_url(path: str) -> str:
    return settings.OMC_PORTAL_BASE_URL.rstrip("/") + path


def _message_context(notification: PortalNotification) -> dict | None:
    """What the email says, per kind; None when what it was about is gone."""
    kind, ref = notification.kind, notification.key.split(":", 1)[1]
    order = notification.order
    context = {"contact": notification.contact, "customer": notification.contact.customer, "order": order}
    if order is not None:
        context["order_url"] = _portal_url(reverse("portal:order_detail", args=[order.pk]))
        context["status_label"] = journey.status_label(order.status)
    if kind == NotificationKind.PROMISE_CHANGED:
        change = PromiseChange.objects.filter(pk=ref).first()
        if change is None:
            return None
        context["change"] = change
    elif kind == NotificationKind.SHIPPED:
        event = OrderEvent.objects.filter(pk=ref).first()
        number = (event.data or {}).get("shipment") if event else None
        context["shipment"] = Shipment.objects.filter(number=number).first() if number else None
    elif kind == NotificationKind.INVOICE_ISSUED:
        invoice = Invoice.objects.filter(pk=ref, status=Invoice.Status.POSTED).first()
        if invoice is None:
            return None
        context["invoice"] = invoice
        context["invoices_url"] = _portal_url(reverse("portal:invoice_list"))
    return context


SUBJECTS = {
    NotificationKind.ORDER_CONFIRMED: lambda c: _("Your order %(number)s is confirmed") % {"number": c["order"].number},
    NotificationKind.PROMISE_CHANGED: lambda c: (
        _("New delivery date for your order %(number)s") % {"number": c["order"].number}
    ),
    NotificationKind.SHIPPED: lambda c: _("Your order %(number)s has shipped") % {"number": c["order"].number},
    NotificationKind.INVOICE_ISSUED: lambda c: _("Invoice %(number)s") % {"number": c["invoice"].number},
}


def notification_send(*, notification_id: int) -> bool:
    """Email one notification in the contact's language. Sends once: the row is locked and
    marked sent in the same transaction; False when already sent or nothing is left to say."""
    with transaction.atomic():
        notification = (
            PortalNotification.objects.select_for_update(of=("self",))
            .select_related("contact__user", "contact__customer", "order")
            .filter(pk=notification_id)
            .first()
        )
        if notification is None or notification.sent_at is not None:
            return False
        contact = notification.contact
        now = timezone.now()
        with translation.override(contact.language):
            context = _message_context(notification)
            if context is None or not contact.user.email:
                notification.sent_at, notification.last_error = now, "nothing to send"
                notification.save(update_fields=["sent_at", "last_error"])
                return False
            subject = str(SUBJECTS[notification.kind](context))
            body = render_to_string(f"portal/email/{notification.kind}.txt", context)
        send_mail(subject=subject, message=body, from_email=None, recipient_list=[contact.user.email])
        notification.subject, notification.sent_at = subject[:200], now
        notification.attempts += 1
        notification.save(update_fields=["subject", "sent_at", "attempts"])
    return True


def notifications_send_pending(*, older_than_seconds: int = 60, batch_size: int = 200) -> int:
    """Send notifications whose task never ran (broker down when they were recorded). Safe to
    rerun: sending locks the row and sends once."""
    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    ids = list(
        PortalNotification.objects.filter(sent_at__isnull=True, created_at__lte=cutoff)
        .order_by("created_at")
        .values_list("pk", flat=True)[:batch_size]
    )
    return sum(1 for notification_id in ids if notification_send(notification_id=notification_id))


# --- outbox handlers (registered in apps.py) -----------------------------------------------


def on_order_accepted(message) -> None:
    order = message.order
    notifications_record(
        customer_id=order.customer_id,
        kind=NotificationKind.ORDER_CONFIRMED,
        key=f"event:{message.payload['event_id']}",
        order=order,
    )


def on_order_shipped(message) -> None:
    order = message.order
    notifications_record(
        customer_id=order.customer_id,
        kind=NotificationKind.SHIPPED,
        key=f"event:{message.payload['event_id']}",
        order=order,
    )


def on_promise_changed(message) -> None:
    order = message.order
    notifications_record(
        customer_id=order.customer_id,
        kind=NotificationKind.PROMISE_CHANGED,
        key=f"promise:{message.payload['promise_change_id']}",
        order=order,
    )


def on_invoice_posted(message) -> None:
    invoice = Invoice.objects.filter(pk=message.payload["invoice_id"]).only("pk", "customer_id", "order_id").first()
    if invoice is None:
        return
    notifications_record(
        customer_id=invoice.customer_id,
        kind=NotificationKind.INVOICE_ISSUED,
        key=f"invoice:{invoice.pk}",
        order=invoice.order,
    )
