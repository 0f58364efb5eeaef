"""Service pages: tickets (with warranty and visits), visits and their reports, maintenance plans,
feedback for sales."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from orders.access import role_required
from orders.errors import DomainError
from orders.models import Customer, Order
from orders.page_steps import domain_error_text, form_errors_text, run_step
from orders.pagination import CappedPaginator
from orders.roles import Role, user_has_role

from . import selectors, services
from .forms import PlanForm, TicketForm, VisitReportForm, VisitScheduleForm
from .models import MaintenancePlan, Ticket, TicketKind, Visit, VisitReport

PAGE_SIZE = 25
MANAGERS = selectors.MANAGERS
FIELD = selectors.FIELD
READERS = selectors.READERS
FEEDBACK_READERS = selectors.FEEDBACK_READERS


def _page(request, queryset):
    page = CappedPaginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return page, query.urlencode()


@require_GET
@role_required(READERS)
def ticket_list(request):
    status = request.GET.get("status")
    status = status if status in Ticket.Status.values or status == "open_all" else None
    kind = request.GET.get("kind") if request.GET.get("kind") in TicketKind.values else None
    tickets = selectors.ticket_list(status=status, kind=kind, search=(request.GET.get("q") or "").strip() or None)
    page, query = _page(request, tickets)
    return render(
        request,
        "aftersales/ticket_list.html",
        {
            "page": page,
            "query": query,
            "status": status,
            "kind": kind,
            "statuses": Ticket.Status.choices,
            "kinds": TicketKind.choices,
            "can_create": user_has_role(request.user, MANAGERS),
        },
    )


@require_http_methods(["GET", "POST"])
@role_required(MANAGERS)
def ticket_create(request):
    params = request.POST if request.method == "POST" else request.GET
    order = None
    order_id = params.get("order")
    if order_id and str(order_id).isdigit():
        order = Order.objects.select_related("customer").filter(pk=int(order_id)).first()
    customer_id = params.get("customer")
    customer = order.customer if order else None
    if customer is None and customer_id and str(customer_id).isdigit():
        customer = Customer.objects.filter(pk=int(customer_id)).first()
    if customer is None:
        if request.method == "POST":
            messages.error(request, "Choose the customer the ticket is for.")
        search = (request.GET.get("q") or "").strip()
        customers = Customer.objects.filter(active=True)
        if search:
            customers = customers.filter(name__icontains=search) | customers.filter(code__iexact=search)
        page, query = _page(request, customers.order_by("name"))
        return render(request, "aftersales/pick_customer.html", {"page": page, "query": query, "q": search})
    form = TicketForm(request.POST or None, customer=customer, order=order)
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                ticket = services.ticket_create(
                    customer=customer,
                    order=order,
                    order_line=data["order_line"],
                    kind=data["kind"],
                    priority=data["priority"],
                    subject=data["subject"],
                    description=data["description"],
                    user=request.user,
                )
            except DomainError as error:
                messages.error(request, domain_error_text(error))
            else:
                messages.success(
                    request,
                    _("Ticket %(number)s opened: %(lower)s.")
                    % {"number": ticket.number, "lower": ticket.get_warranty_display().lower()},
                )
                return redirect("aftersales:ticket_detail", ticket_id=ticket.pk)
        else:
            messages.error(request, _("Please correct the errors below."))
    return render(
        request,
        "aftersales/ticket_create.html",
        {"customer": customer, "order": order, "form": form},
        status=400 if request.method == "POST" else 200,
    )


@require_GET
@role_required(READERS | {Role.SALES_REP})
def ticket_detail(request, ticket_id: int):
    ticket = get_object_or_404(
        Ticket.objects.select_related("customer", "order", "order_line__product", "created_by"), pk=ticket_id
    )
    visits = ticket.visits.select_related("technician__user").order_by("scheduled_for")
    technicians = selectors.technicians_for(ticket.kind)
    return render(
        request,
        "aftersales/ticket_detail.html",
        {
            "ticket": ticket,
            "visits": visits,
            "can_manage": user_has_role(request.user, MANAGERS) and ticket.status in services.OPEN,
            "schedule_form": VisitScheduleForm(technicians=technicians),
            "has_technicians": technicians.exists(),
        },
    )


@require_POST
@role_required(MANAGERS)
def visit_schedule(request, ticket_id: int):
    ticket = get_object_or_404(Ticket, pk=ticket_id)
    form = VisitScheduleForm(request.POST, technicians=selectors.technicians_for(ticket.kind))
    if not form.is_valid():
        messages.error(request, form_errors_text(form))
        return redirect("aftersales:ticket_detail", ticket_id=ticket_id)
    return run_step(
        request,
        run=lambda _data: services.visit_schedule(ticket_id=ticket_id, user=request.user, **form.cleaned_data),
        done=_("Visit planned."),
        then=redirect("aftersales:ticket_detail", ticket_id=ticket_id),
    )


@require_POST
@role_required(MANAGERS)
def ticket_close(request, ticket_id: int):
    cancel = request.POST.get("cancel") == "1"
    get_object_or_404(Ticket, pk=ticket_id)
    return run_step(
        request,
        run=lambda _data: services.ticket_close(ticket_id=ticket_id, user=request.user, cancel=cancel),
        done=_("Ticket cancelled.") if cancel else _("Ticket resolved."),
        then=redirect("aftersales:ticket_detail", ticket_id=ticket_id),
    )


@require_GET
@role_required(READERS)
def visit_list(request):
    mine = user_has_role(request.user, FIELD) and request.GET.get("all") != "1"
    status = request.GET.get("status") if request.GET.get("status") in Visit.Status.values else None
    if status is None and "status" not in request.GET:
        status = Visit.Status.PLANNED
    visits = selectors.visit_list(technician_user=request.user if mine else None, status=status)
    page, query = _page(request, visits)
    return render(
        request,
        "aftersales/visit_list.html",
        {"page": page, "query": query, "mine": mine, "status": status, "statuses": Visit.Status.choices},
    )


@require_http_methods(["GET", "POST"])
@role_required(READERS)
def visit_detail(request, visit_id: int):
    visit = get_object_or_404(
        Visit.objects.select_related("customer", "ticket__order_line__product", "technician__user", "plan"),
        pk=visit_id,
    )
    can_report = user_has_role(request.user, FIELD) and visit.status == Visit.Status.PLANNED
    form = VisitReportForm(request.POST or None)
    if request.method == "POST":
        if not can_report:
            raise Http404(_("This visit takes no report from you."))
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.visit_report_file(
                    visit_id=visit.pk,
                    user=request.user,
                    hours=data["hours"],
                    work_done=data["work_done"],
                    feedback=data["feedback"],
                    tags=form.tag_names(),
                    parts=data["parts"],
                    resolved=data["resolved"],
                )
            except DomainError as error:
                messages.error(request, domain_error_text(error))
            else:
                messages.success(request, _("Report filed. Feedback goes to the customer's sales rep."))
                return redirect("aftersales:visit_detail", visit_id=visit.pk)
        else:
            messages.error(request, _("Please correct the errors below."))
    report = VisitReport.objects.filter(visit=visit).prefetch_related("tags", "parts__product").first()
    return render(
        request,
        "aftersales/visit_detail.html",
        {"visit": visit, "report": report, "form": form, "can_report": can_report},
        status=400 if request.method == "POST" else 200,
    )


@require_GET
@role_required(FEEDBACK_READERS)
def feedback_list(request):
    mine = user_has_role(request.user, {Role.SALES_REP}) and request.GET.get("all") != "1"
    reports = selectors.feedback_list(
        sales_rep=request.user if mine else None, unseen_only=request.GET.get("unseen") == "1"
    )
    page, query = _page(request, reports)
    return render(
        request,
        "aftersales/feedback_list.html",
        {"page": page, "query": query, "mine": mine, "can_mark_seen": user_has_role(request.user, {Role.SALES_REP})},
    )


@require_POST
@role_required({Role.SALES_REP})
def feedback_seen(request, report_id: int):
    try:
        report = services.feedback_mark_seen(report_id=report_id, user=request.user)
    except VisitReport.DoesNotExist:
        raise Http404("No such report.") from None
    messages.success(request, _("Feedback marked as seen."))
    next_url = request.POST.get("next") or ""
    if next_url.startswith("/") and not next_url.startswith("//"):
        return redirect(next_url)
    return redirect("orders:customer_detail", customer_id=report.visit.customer_id)


@require_http_methods(["GET", "POST"])
@role_required(READERS)
def plan_list(request):
    can_manage = user_has_role(request.user, MANAGERS)
    form = PlanForm(request.POST or None)
    if request.method == "POST":
        if not can_manage:
            raise Http404(_("Only customer service sets up maintenance plans."))
        if form.is_valid():
            data = form.cleaned_data
            try:
                plan = services.maintenance_plan_create(user=request.user, **data)
            except DomainError as error:
                messages.error(request, domain_error_text(error))
            else:
                created = services.maintenance_visits_generate()
                messages.success(
                    request,
                    _("Plan for %(name)s saved; %(created)s visit(s) planned.")
                    % {"name": plan.customer.name, "created": created},
                )
                return redirect("aftersales:plan_list")
        else:
            messages.error(request, form_errors_text(form))
    plans = MaintenancePlan.objects.select_related("customer", "technician__user").order_by("customer__name", "id")
    page, query = _page(request, plans)
    return render(
        request,
        "aftersales/plan_list.html",
        {"page": page, "query": query, "form": form, "can_manage": can_manage},
        status=400 if request.method == "POST" else 200,
    )


@require_POST
@role_required(MANAGERS)
def plans_generate(request):
    created = services.maintenance_visits_generate()
    messages.success(request, _("%(created)s maintenance visit(s) planned.") % {"created": created})
    return redirect("aftersales:plan_list")
