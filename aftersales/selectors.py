"""Every read of post-sales service beyond a .get(): warranty, lists, feedback, the hub panels."""

from dataclasses import dataclass
from datetime import date

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from orders.models import Customer, Order, OrderEvent, OrderLine
from orders.roles import Role, user_roles
from orders.states import OrderStatus

from .models import Technician, Ticket, Visit, VisitReport, WarrantyTerm

MANAGERS = frozenset({Role.CUSTOMER_SERVICE})
FIELD = frozenset({Role.FIELD_SERVICE})
READERS = frozenset({Role.CUSTOMER_SERVICE, Role.FIELD_SERVICE, Role.EXECUTIVE})
FEEDBACK_READERS = frozenset({Role.SALES_REP, Role.CUSTOMER_SERVICE, Role.EXECUTIVE, Role.FIELD_SERVICE})
AFTER_DELIVERY = (OrderStatus.DELIVERED, OrderStatus.INVOICED, OrderStatus.PAID, OrderStatus.CLOSED)


@dataclass(frozen=True)
class WarrantyCheck:
    status: str  # Ticket.Warranty
    delivered_on: date | None
    until: date | None
    months: int | None


def delivered_on(order_id: int) -> date | None:
    """When the order reached the customer: its deliver event, else (invoiced straight from
    shipped) its last ship event."""
    event = OrderEvent.objects.filter(order_id=order_id, action="deliver").order_by("-created_at").first()
    if event is None:
        event = (
            OrderEvent.objects.filter(order_id=order_id, action="ship", order__status__in=AFTER_DELIVERY)
            .order_by("-created_at")
            .first()
        )
    return timezone.localdate(event.created_at) if event else None


def warranty_months(product) -> int:
    """The product's own warranty term, else its family's, else OMC_DEFAULT_WARRANTY_MONTHS."""
    term = WarrantyTerm.objects.filter(product=product).first()
    if term is None and product.family:
        term = WarrantyTerm.objects.filter(family=product.family).first()
    return term.months if term else settings.OMC_DEFAULT_WARRANTY_MONTHS


def warranty_check(*, order_line: OrderLine, today: date | None = None) -> WarrantyCheck:
    """In warranty while today is no later than delivery + the product's warranty months."""
    today = today or timezone.localdate()
    delivered = delivered_on(order_line.order_id)
    if delivered is None:
        return WarrantyCheck(Ticket.Warranty.UNKNOWN, None, None, None)
    months = warranty_months(order_line.product)
    until = delivered + relativedelta(months=months)
    return WarrantyCheck(Ticket.Warranty.IN if today <= until else Ticket.Warranty.OUT, delivered, until, months)


def ticket_list(*, status=None, kind=None, search=None, customer_id=None) -> QuerySet:
    tickets = Ticket.objects.select_related("customer", "order")
    if status == "open_all":
        tickets = tickets.filter(status__in=(Ticket.Status.OPEN, Ticket.Status.SCHEDULED))
    elif status:
        tickets = tickets.filter(status=status)
    if kind:
        tickets = tickets.filter(kind=kind)
    if customer_id:
        tickets = tickets.filter(customer_id=customer_id)
    if search:
        tickets = tickets.filter(
            Q(number__icontains=search) | Q(subject__icontains=search) | Q(customer__name__icontains=search)
        )
    return tickets.order_by("-created_at", "-id")


def technicians_for(kind: str) -> QuerySet:
    """Active technicians holding the skill the ticket kind needs (skill code = kind)."""
    return Technician.objects.filter(active=True, skills__code=kind).select_related("user").distinct()


def visit_list(*, technician_user=None, status=None) -> QuerySet:
    visits = Visit.objects.select_related("customer", "ticket", "technician__user", "plan")
    if technician_user is not None:
        visits = visits.filter(technician__user=technician_user)
    if status:
        visits = visits.filter(status=status)
    return visits.order_by("scheduled_for", "id")


def feedback_list(*, sales_rep=None, customer_id=None, unseen_only=False) -> QuerySet:
    """Visit reports with feedback, newest first; for a sales rep, their customers only."""
    reports = (
        VisitReport.objects.filter(Q(feedback__gt="") | Q(tags__isnull=False))
        .distinct()
        .select_related("visit__customer", "visit__technician__user", "created_by")
        .prefetch_related("tags")
    )
    if sales_rep is not None:
        reports = reports.filter(visit__customer__sales_rep=sales_rep)
    if customer_id:
        reports = reports.filter(visit__customer_id=customer_id)
    if unseen_only:
        reports = reports.filter(feedback_seen_at__isnull=True)
    return reports.order_by("-created_at", "-id")


def feedback_order(visit: Visit) -> Order | None:
    """The order a feedback hand-off hangs on: the ticket's, the plan's, else the customer's latest."""
    if visit.ticket_id and visit.ticket.order_id:
        return visit.ticket.order
    if visit.plan_id and visit.plan.order_id:
        return visit.plan.order
    return Order.objects.filter(customer_id=visit.customer_id).order_by("-created_at", "-id").first()


def customer_service_panel(customer: Customer, user) -> dict | None:
    """The customer page's service section: feedback from the field for sales, open tickets."""
    if not user_roles(user) & FEEDBACK_READERS:
        return None
    feedback = list(feedback_list(customer_id=customer.pk)[:10])
    open_tickets = list(
        Ticket.objects.filter(customer=customer, status__in=(Ticket.Status.OPEN, Ticket.Status.SCHEDULED)).order_by(
            "due_at"
        )[:10]
    )
    return {
        "customer": customer,
        "feedback": feedback,
        "open_tickets": open_tickets,
        "can_mark_seen": bool(user_roles(user) & {Role.SALES_REP}),
        "can_create": bool(user_roles(user) & MANAGERS),
    }


def order_service_panel(order: Order, user) -> dict | None:
    """The order page's service section: tickets about the order."""
    roles = user_roles(user)
    if not roles & (READERS | {Role.SALES_REP}):
        return None
    tickets = list(Ticket.objects.filter(order=order).order_by("-created_at")[:20])
    delivered = order.status in AFTER_DELIVERY
    if not tickets and not delivered:
        return None
    return {"order": order, "tickets": tickets, "can_create": bool(roles & MANAGERS)}


def ticket_counts() -> dict:
    return dict(
        Ticket.objects.filter(status__in=(Ticket.Status.OPEN, Ticket.Status.SCHEDULED))
        .values_list("kind")
        .annotate(n=Count("id"))
    )
