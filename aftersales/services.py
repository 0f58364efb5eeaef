"""Every write of post-sales service: tickets, visits, reports, maintenance plans.

A ticket about an order is timed by a work hand-off "ticket:<number>" to the service department
(due after the kind's service level, scaled by priority); feedback from a visit report opens a
work hand-off "feedback:<visit id>" to sales, which the rep closes by marking it seen.
"""

from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from orders.errors import ValidationFailed
from orders.models import Customer, Order, OrderLine, Product
from orders.roles import Department
from orders.services import handoff_close_work, handoff_open_work, number_reserve
from orders.states import Step

from . import selectors
from .errors import ServiceStateError
from .models import (
    FeedbackTag,
    MaintenancePlan,
    ReportPart,
    ServiceLevel,
    Technician,
    Ticket,
    TicketKind,
    Visit,
    VisitReport,
)

DEFAULT_HOURS = {
    TicketKind.INSTALLATION: Decimal("72"),
    TicketKind.REPAIR: Decimal("24"),
    TicketKind.MAINTENANCE: Decimal("120"),
    TicketKind.TRAINING: Decimal("120"),
}
PRIORITY_FACTOR = {
    Ticket.Priority.LOW: Decimal("2"),
    Ticket.Priority.NORMAL: Decimal("1"),
    Ticket.Priority.HIGH: Decimal("0.5"),
    Ticket.Priority.URGENT: Decimal("0.25"),
}
OPEN = (Ticket.Status.OPEN, Ticket.Status.SCHEDULED)


def ticket_service_hours(*, kind: str, priority: str) -> Decimal:
    """The kind's service level (admin: Service levels; defaults above) scaled by priority."""
    hours = ServiceLevel.objects.filter(kind=kind).values_list("hours", flat=True).first() or DEFAULT_HOURS[kind]
    return hours * PRIORITY_FACTOR[priority]


def ticket_create(
    *,
    customer: Customer,
    kind: str,
    subject: str,
    user,
    priority: str = Ticket.Priority.NORMAL,
    description: str = "",
    order: Order | None = None,
    order_line: OrderLine | None = None,
) -> Ticket:
    """Open a service ticket. Checks the warranty when it names an order line (delivery date
    + the product's warranty terms); a ticket about an order is timed by a work hand-off to
    the service department."""
    if order_line is not None:
        order = order or order_line.order
        if order_line.order_id != order.pk:
            raise ValidationFailed(
                _("Line not on order."), field_errors={"order_line": [_("Pick a line of the order.")]}
            )
    if order is not None and order.customer_id != customer.pk:
        raise ValidationFailed(
            _("Not this customer's order."), field_errors={"order": [_("Pick one of the customer's orders.")]}
        )
    if not (subject or "").strip():
        raise ValidationFailed(_("A subject is required."), field_errors={"subject": [_("Say what is needed.")]})
    warranty = selectors.warranty_check(order_line=order_line) if order_line else None
    hours = ticket_service_hours(kind=kind, priority=priority)
    now = timezone.now()
    with transaction.atomic():
        year = timezone.localdate().year
        ticket = Ticket.objects.create(
            number=f"TKT-{year}-{number_reserve(name=f'ticket-{year}'):06d}",
            customer=customer,
            order=order,
            order_line=order_line,
            kind=kind,
            priority=priority,
            subject=subject.strip(),
            description=(description or "").strip(),
            warranty=warranty.status if warranty else Ticket.Warranty.UNKNOWN,
            warranty_until=warranty.until if warranty else None,
            due_at=now + timedelta(hours=float(hours)),
            created_by=user,
            created_at=now,
        )
        if order is not None:
            handoff_open_work(
                order=order,
                kind=ticket.handoff_kind,
                subject=f"{ticket.get_kind_display()}: {ticket.subject}"[:200],
                from_department=Department.CUSTOMER_SERVICE,
                to_department=Department.SERVICE,
                hours=hours,
                step=Step.AFTERSALES,
            )
    return ticket


def _locked_ticket(ticket_id: int, *allowed) -> Ticket:
    ticket = Ticket.objects.select_for_update().get(pk=ticket_id)
    if allowed and ticket.status not in allowed:
        raise ServiceStateError(
            _("%(number)s is %(lower)s.") % {"number": ticket.number, "lower": ticket.get_status_display().lower()}
        )
    return ticket


def visit_schedule(*, ticket_id: int, technician: Technician, scheduled_for: date, user) -> Visit:
    """Plan a visit for a ticket with a technician who has the skill its kind needs."""
    if scheduled_for < timezone.localdate():
        raise ValidationFailed(_("In the past."), field_errors={"scheduled_for": [_("Pick today or a later day.")]})
    with transaction.atomic():
        ticket = _locked_ticket(ticket_id, *OPEN)
        if not technician.active or not technician.skills.filter(code=ticket.kind).exists():
            raise ValidationFailed(
                _("Lacks the skill."),
                field_errors={
                    "technician": [
                        _("%(technician)s has no %(lower)s skill.")
                        % {"technician": technician, "lower": ticket.get_kind_display().lower()}
                    ]
                },
            )
        visit = Visit.objects.create(
            customer_id=ticket.customer_id,
            ticket=ticket,
            kind=ticket.kind,
            technician=technician,
            scheduled_for=scheduled_for,
            created_at=timezone.now(),
        )
        if ticket.status == Ticket.Status.OPEN:
            ticket.status = Ticket.Status.SCHEDULED
            ticket.save(update_fields=["status"])
    return visit


def ticket_close(*, ticket_id: int, user, cancel: bool = False) -> Ticket:
    """Resolve (or cancel) a ticket; its hand-off closes and planned visits are cancelled."""
    with transaction.atomic():
        ticket = _locked_ticket(ticket_id, *OPEN)
        _ticket_finish(ticket, Ticket.Status.CANCELLED if cancel else Ticket.Status.RESOLVED)
    return ticket


def _ticket_finish(ticket: Ticket, status: str) -> None:
    ticket.status, ticket.resolved_at = status, timezone.now()
    ticket.save(update_fields=["status", "resolved_at"])
    ticket.visits.filter(status=Visit.Status.PLANNED).update(status=Visit.Status.CANCELLED)
    if ticket.order_id:
        handoff_close_work(order=ticket.order, kind=ticket.handoff_kind)


def visit_report_file(
    *,
    visit_id: int,
    user,
    hours: Decimal,
    work_done: str,
    feedback: str = "",
    tags: list[str] | None = None,
    parts: list[tuple[Product, Decimal]] | None = None,
    resolved: bool = True,
) -> VisitReport:
    """File the report of a planned visit: time, parts used, work done and feedback. Resolves the
    ticket when `resolved`. Feedback (text or tags) goes to sales: a work hand-off
    "feedback:<visit id>" to the sales department on the customer's order, and the customer page."""
    if not (work_done or "").strip():
        raise ValidationFailed(_("Say what was done."), field_errors={"work_done": [_("Describe the work done.")]})
    if hours <= 0:
        raise ValidationFailed(_("Hours must be positive."), field_errors={"hours": [_("Must be greater than 0.")]})
    tag_names = sorted({t.strip()[:60] for t in tags or () if t.strip()})
    with transaction.atomic():
        visit = (
            Visit.objects.select_for_update(of=("self",))
            .select_related("ticket__order", "plan__order")
            .get(pk=visit_id)
        )
        if visit.status != Visit.Status.PLANNED:
            raise ServiceStateError(
                _("This visit is %(lower)s: its report is filed.") % {"lower": visit.get_status_display().lower()}
            )
        report = VisitReport.objects.create(
            visit=visit,
            hours=hours,
            work_done=work_done.strip(),
            feedback=(feedback or "").strip(),
            resolved=resolved,
            created_by=user,
            created_at=timezone.now(),
        )
        if tag_names:
            report.tags.set([FeedbackTag.objects.get_or_create(name=name)[0] for name in tag_names])
        ReportPart.objects.bulk_create(ReportPart(report=report, product=p, quantity=q) for p, q in parts or ())
        visit.status = Visit.Status.DONE
        visit.save(update_fields=["status"])
        if visit.ticket_id and resolved and visit.ticket.status in OPEN:
            _ticket_finish(visit.ticket, Ticket.Status.RESOLVED)
        if report.feedback or tag_names:
            order = selectors.feedback_order(visit)
            if order is not None:
                summary = ", ".join(tag_names) or report.feedback
                handoff_open_work(
                    order=order,
                    kind=visit.feedback_kind,
                    subject=f"Feedback from {visit.customer.name}: {summary}"[:200],
                    from_department=Department.SERVICE,
                    to_department=Department.SALES,
                    hours=Decimal(settings.OMC_FEEDBACK_SERVICE_LEVEL_HOURS),
                    step=Step.AFTERSALES,
                )
    return report


def feedback_mark_seen(*, report_id: int, user) -> VisitReport:
    """The sales rep has read the feedback: its hand-off closes (first reader wins)."""
    with transaction.atomic():
        report = (
            VisitReport.objects.select_for_update(of=("self",))
            .select_related("visit__ticket", "visit__plan")
            .get(pk=report_id)
        )
        if report.feedback_seen_at is None:
            report.feedback_seen_at, report.feedback_seen_by = timezone.now(), user
            report.save(update_fields=["feedback_seen_at", "feedback_seen_by"])
            order = selectors.feedback_order(report.visit)
            if order is not None:
                handoff_close_work(order=order, kind=report.visit.feedback_kind)
    return report


# --- maintenance plans ---------------------------------------------------------------------


def maintenance_plan_create(
    *,
    customer: Customer,
    description: str,
    interval_days: int,
    start_date: date,
    user,
    technician: Technician | None = None,
    order: Order | None = None,
    product: Product | None = None,
) -> MaintenancePlan:
    if interval_days < 1:
        raise ValidationFailed(_("Interval too short."), field_errors={"interval_days": [_("At least 1 day.")]})
    if order is not None and order.customer_id != customer.pk:
        raise ValidationFailed(
            _("Not this customer's order."), field_errors={"order": [_("Pick one of the customer's orders.")]}
        )
    return MaintenancePlan.objects.create(
        customer=customer,
        description=description.strip(),
        interval_days=interval_days,
        start_date=start_date,
        technician=technician,
        order=order,
        product=product,
        created_by=user,
        created_at=timezone.now(),
    )


def maintenance_visits_generate(*, today: date | None = None, horizon_days: int | None = None) -> int:
    """Create the planned visits of every active plan due from its start up to today + horizon
    (OMC_MAINTENANCE_HORIZON_DAYS). One visit per plan and date (a unique constraint): a rerun,
    or two runs at once, create nothing twice. Returns how many visits were created."""
    today = today or timezone.localdate()
    until = today + timedelta(days=horizon_days if horizon_days is not None else settings.OMC_MAINTENANCE_HORIZON_DAYS)
    created = 0
    plans = MaintenancePlan.objects.filter(active=True).exclude(generated_until__gte=until).order_by("pk")
    for plan in plans.iterator(chunk_size=500):
        begin = max(
            plan.start_date, plan.generated_until + timedelta(days=1) if plan.generated_until else plan.start_date
        )
        steps = -(-(begin - plan.start_date).days // plan.interval_days)  # ceil: first date on the schedule
        when = plan.start_date + timedelta(days=steps * plan.interval_days)
        visits = []
        while when <= until:
            visits.append(
                Visit(
                    customer_id=plan.customer_id,
                    plan=plan,
                    kind=TicketKind.MAINTENANCE,
                    technician=plan.technician,
                    scheduled_for=when,
                    created_at=timezone.now(),
                )
            )
            when += timedelta(days=plan.interval_days)
        with transaction.atomic():
            before = Visit.objects.filter(plan=plan).count()
            Visit.objects.bulk_create(visits, ignore_conflicts=True)
            created += Visit.objects.filter(plan=plan).count() - before
            MaintenancePlan.objects.filter(pk=plan.pk).update(generated_until=until)
    return created
