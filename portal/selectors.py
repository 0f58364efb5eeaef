"""Every read of the customer portal. Each one is scoped to ONE customer: a contact never gets a
row of another customer (the views turn "not yours" into 404, never 403, so nobody learns that
an order number exists).

What is read is chosen field by field for the customer: statuses in customer terms, dates,
quantities, their own prices, shipments that have left, posted invoices. Never internal notes,
costs, margins, priority scores, hold reasons or internal events.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import F, Min, Q, QuerySet, Sum
from django.utils import timezone

from aftersales.models import Ticket
from billing.models import Invoice
from fulfillment.models import Shipment, ShipmentLine
from orders.models import Order, OrderEvent, OrderLine, PromiseChange
from orders.money import line_net_amount, money_round
from orders.states import OrderStatus
from returns.models import ReturnAuthorization
from returns.selectors import returnable_lines

from . import journey
from .models import CustomerContact

ZERO = Decimal("0")
VISIBLE_SHIPMENTS = (Shipment.Status.SHIPPED, Shipment.Status.DELIVERED)
BEFORE_ORDER = (OrderStatus.DRAFT, OrderStatus.QUOTED)
# Orders whose goods the customer has (or had): a return or a service visit can be asked for.
AFTER_SHIPPING = (
    OrderStatus.PARTIALLY_SHIPPED,
    OrderStatus.SHIPPED,
    OrderStatus.DELIVERED,
    OrderStatus.INVOICED,
    OrderStatus.PAID,
    OrderStatus.CLOSED,
)


def contact_for_user(user) -> CustomerContact | None:
    """The user's customer contact with its customer, or None (internal users, inactive customers)."""
    if not user or not user.is_authenticated:
        return None
    return (
        CustomerContact.objects.select_related("customer", "user")
        .filter(user=user, user__is_active=True, customer__active=True)
        .first()
    )


def customer_orders(*, customer_id: int) -> QuerySet:
    """The orders a customer sees: everything the company has received from them, plus the
    re-orders they asked for in the portal (drafts created by one of their contacts); internal
    drafts and quotes in the making stay hidden."""
    return Order.objects.filter(customer_id=customer_id).filter(
        ~Q(status__in=BEFORE_ORDER) | Q(created_by__customer_contact__customer_id=customer_id)
    )


def order_list(*, customer_id: int, search: str | None = None, state: str | None = None) -> QuerySet:
    """The customer's orders, newest first, with the first shipment's tracking number."""
    qs = customer_orders(customer_id=customer_id)
    if state in journey.CUSTOMER_FILTERS:
        qs = qs.filter(status__in=journey.CUSTOMER_FILTERS[state])
    if search:
        search = search.strip()
        qs = qs.filter(Q(number__icontains=search) | Q(customer_po__icontains=search))
    return qs.only(
        "pk", "number", "customer_po", "status", "requested_date", "promised_date", "created_at", "currency"
    ).order_by("-created_at", "-id")


def order_for_customer(*, customer_id: int, order_id: int) -> Order:
    """One of the customer's orders (Order.DoesNotExist for any other, whoever's it is)."""
    return customer_orders(customer_id=customer_id).get(pk=order_id)


@dataclass
class PortalLine:
    line_no: int
    sku: str
    name: str
    unit: str
    ordered: Decimal
    shipped: Decimal
    returned: Decimal
    unit_price: Decimal | None
    discount_percent: Decimal
    net_amount: Decimal | None


def order_lines(order: Order) -> list[PortalLine]:
    """The lines with the customer's own prices (never costs or margins)."""
    lines = OrderLine.objects.filter(order=order).select_related("product").order_by("line_no")
    return [
        PortalLine(
            line_no=line.line_no,
            sku=line.product.sku,
            name=line.product.name,
            unit=line.product.unit,
            ordered=line.quantity_ordered,
            shipped=line.quantity_shipped,
            returned=line.quantity_returned,
            unit_price=line.unit_price,
            discount_percent=line.discount_percent,
            net_amount=line_net_amount(
                quantity=line.quantity_ordered, unit_price=line.unit_price, discount_percent=line.discount_percent
            ),
        )
        for line in lines
    ]


def order_journey(order: Order) -> list[journey.JourneyStage]:
    """The six customer stages with when each was first reached (only the time of the moves is
    read from the events, never who made them or their notes); delivered once a delivery was
    confirmed or every shipment has arrived."""
    reached = dict(
        OrderEvent.objects.filter(order=order)
        .values("to_status")
        .annotate(first=Min("created_at"))
        .values_list("to_status", "first")
    )
    shipments = set(Shipment.objects.filter(order=order, status__in=VISIBLE_SHIPMENTS).values_list("status", flat=True))
    delivered = OrderStatus.DELIVERED in reached or shipments == {Shipment.Status.DELIVERED}
    return journey.journey(status=order.status, reached_at=reached, delivered=delivered)


@dataclass
class SharedPromiseChange:
    changed_at: object
    old_date: date | None
    new_date: date
    reason: str  # the reason shared with the customer, or ""


def promise_changes(order: Order) -> list[SharedPromiseChange]:
    """Every change of the promised date, with the reason the company chose to share (never the
    internal one)."""
    return [
        SharedPromiseChange(changed_at=c.changed_at, old_date=c.old_date, new_date=c.new_date, reason=c.customer_reason)
        for c in PromiseChange.objects.filter(order=order).only("changed_at", "old_date", "new_date", "customer_reason")
    ]


def shipment_list(*, customer_id: int, order_id: int | None = None) -> QuerySet:
    """Shipments that have left for the customer (carrier, tracking, dates), newest first."""
    qs = Shipment.objects.filter(order__customer_id=customer_id, status__in=VISIBLE_SHIPMENTS)
    if order_id is not None:
        qs = qs.filter(order_id=order_id)
    return (
        qs.select_related("order")
        .only(
            "pk",
            "number",
            "status",
            "carrier",
            "service",
            "tracking_number",
            "ship_date",
            "shipped_at",
            "delivered_at",
            "packages",
            "order__number",
            "order__id",
        )
        .order_by("-shipped_at", "-id")
    )


def shipment_lines(shipments) -> dict[int, list]:
    """What each shipment carried: {shipment id: [(sku, name, quantity, unit)]}, in one query."""
    rows = (
        ShipmentLine.objects.filter(shipment__in=[s.pk for s in shipments], quantity_packed__gt=0)
        .select_related("order_line__product")
        .order_by("shipment_id", "order_line__line_no")
    )
    result: dict[int, list] = {}
    for row in rows:
        product = row.order_line.product
        result.setdefault(row.shipment_id, []).append((product.sku, product.name, row.quantity_packed, product.unit))
    return result


def invoice_list(*, customer_id: int, order_id: int | None = None, open_only: bool = False) -> QuerySet:
    """Posted invoices and credit notes (drafts are finance's work in progress), newest first,
    with the balance still due."""
    qs = Invoice.objects.filter(customer_id=customer_id, status=Invoice.Status.POSTED)
    if order_id is not None:
        qs = qs.filter(Q(order_id=order_id) | Q(lines__order_line__order_id=order_id)).distinct()
    qs = qs.annotate(balance_due=F("total") - F("amount_paid") - F("amount_credited"))
    if open_only:
        qs = qs.filter(kind=Invoice.Kind.INVOICE, paid_at__isnull=True, balance_due__gt=0)
    return qs.select_related("order").order_by("-issue_date", "-id")


def invoice_for_customer(*, customer_id: int, invoice_id: int) -> Invoice:
    """One posted invoice or credit note of the customer (Invoice.DoesNotExist otherwise)."""
    return Invoice.objects.select_related("customer", "order").get(
        pk=invoice_id, customer_id=customer_id, status=Invoice.Status.POSTED
    )


def payments_due(*, customer_id: int, today: date | None = None) -> dict:
    """What the customer still owes, per currency, and how much of it is past due."""
    today = today or timezone.localdate()
    open_invoices = invoice_list(customer_id=customer_id, open_only=True)
    totals = (
        open_invoices.order_by()
        .values("currency")
        .annotate(
            due=Sum("balance_due"),
            overdue=Sum("balance_due", filter=Q(due_date__lt=today), default=ZERO),
        )
        .order_by("currency")
    )
    # Sums of already-rounded amounts; rounded once more so SQLite's arithmetic shows no stray digits.
    rows = [
        {
            **row,
            "due": money_round(row["due"], row["currency"]),
            "overdue": money_round(row["overdue"], row["currency"]),
        }
        for row in totals
    ]
    return {"totals": rows, "today": today}


def requests_list(*, customer_id: int) -> dict:
    """The returns and service visits the customer asked for (in the portal or by phone)."""
    rmas = (
        ReturnAuthorization.objects.filter(customer_id=customer_id)
        .only("pk", "number", "status", "reason", "resolution", "created_at")
        .order_by("-created_at", "-id")
    )
    tickets = (
        Ticket.objects.filter(customer_id=customer_id)
        .select_related("order")
        .only("pk", "number", "status", "kind", "subject", "created_at", "order__number")
        .order_by("-created_at", "-id")
    )
    return {"rmas": rmas, "tickets": tickets}


def order_returnable_lines(*, customer_id: int, order: Order) -> list:
    """The order's delivered lines that may still come back (shipped less returned less already
    authorized), from the returns step's own rules."""
    return [row for row in returnable_lines(customer_id=customer_id) if row.line.order_id == order.pk]


def order_can_request_service(order: Order) -> bool:
    return order.status in AFTER_SHIPPING


def order_can_reorder(order: Order) -> bool:
    return order.status not in BEFORE_ORDER


def home_summary(*, customer_id: int) -> dict:
    """The start page: open orders, latest shipments, what is due."""
    open_statuses = journey.CUSTOMER_FILTERS["open"]
    orders = order_list(customer_id=customer_id).filter(status__in=open_statuses)
    return {
        "open_orders": list(orders[:10]),
        "open_count": orders.count(),
        "shipments": list(shipment_list(customer_id=customer_id)[:5]),
        "due": payments_due(customer_id=customer_id),
    }


def with_tracking(orders) -> None:
    """Put the latest visible shipment's carrier and tracking on each order of a page (one query)."""
    ids = [o.pk for o in orders]
    latest = {}
    for shipment in Shipment.objects.filter(order_id__in=ids, status__in=VISIBLE_SHIPMENTS).order_by(
        "order_id", "-shipped_at", "-id"
    ):
        latest.setdefault(shipment.order_id, shipment)
    for order in orders:
        order.latest_shipment = latest.get(order.pk)
        order.customer_status = journey.status_label(order.status)
        order.customer_status_css = journey.status_css(order.status)


def customer_contacts_panel(customer, user) -> dict | None:
    """The customer page's "Portal contacts" section: who logs in for this customer, and the
    invitation form for those who edit customers."""
    from orders.roles import CUSTOMER_EDITORS, user_has_role

    from .forms import ContactInviteForm

    contacts = list(CustomerContact.objects.filter(customer=customer).select_related("user").order_by("user__username"))
    can_edit = user_has_role(user, CUSTOMER_EDITORS)
    return {
        "customer": customer,
        "contacts": contacts,
        "form": ContactInviteForm(initial={"language": customer.document_language}) if can_edit else None,
        "can_edit": can_edit,
    }
