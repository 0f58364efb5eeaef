"""Planning pages: the board, expedite requests, the capacity calendar and the reschedule log.
Drag and drop on the board calls the API (scheduling/api.py) from static/scheduling/board.js."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from orders.access import order_visible_or_404, role_required
from orders.errors import DomainError
from orders.models import Order, Site
from orders.page_steps import form_errors_text
from orders.pagination import CappedPaginator
from orders.roles import user_has_role

from . import selectors, services
from .access import EDITORS, EXPEDITE_REQUESTERS, READERS
from .forms import (
    BoardWindowForm,
    CapacityExceptionForm,
    ExpediteDecisionForm,
    ExpediteRequestForm,
    JobStepForm,
)
from .models import ExpediteRequest, Job, RescheduleEvent

PAGE_SIZE = 25


def _query_without(request, *names) -> str:
    query = request.GET.copy()
    for name in names:
        query.pop(name, None)
    return query.urlencode()


@require_GET
@role_required(READERS)
def board(request):
    form = BoardWindowForm(request.GET)
    data = form.cleaned_data if form.is_valid() else {}
    start = data.get("start") or timezone.localdate()
    days = data.get("days") or selectors.BOARD_DAYS_DEFAULT
    the_board = selectors.board(start=start, days=days, site_id=data.get("site"), page=data.get("page") or 1)
    window = request.GET.copy()
    for name in ("start", "page"):
        window.pop(name, None)
    return render(
        request,
        "scheduling/board.html",
        {
            "board": the_board,
            "days_count": len(the_board.days),
            "site_id": data.get("site"),
            "sites": Site.objects.order_by("code"),
            "window_query": window.urlencode(),
            "query": _query_without(request, "page"),
            "can_edit": user_has_role(request.user, EDITORS),
        },
    )


def _back_to_board(request):
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect("scheduling:board")


@require_POST
@role_required(EDITORS)
def auto_schedule(request):
    try:
        result = services.jobs_schedule_automatically(actor=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        text = _("Scheduled automatically: %(placed)s job(s) placed") % {"placed": result["placed"]}
        if result["left"]:
            text += _(", %(left)s left unscheduled (no capacity within %(HORIZON_DAYS)s days)") % {
                "left": result["left"],
                "HORIZON_DAYS": selectors.HORIZON_DAYS,
            }
        if result["late"]:
            text += _("; %(late)s will finish after the promised date (flagged in red)") % {"late": result["late"]}
        messages.success(request, text + ".")
    return _back_to_board(request)


def _job_step(request, job_id, run, done):
    form = JobStepForm(request.POST)
    if not form.is_valid():
        messages.error(request, form_errors_text(form))
        return _back_to_board(request)
    try:
        run(job_id=job_id, actor=request.user, expected_version=form.cleaned_data["version"])
    except Job.DoesNotExist:
        raise Http404("No such job.") from None
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, done)
    return _back_to_board(request)


@require_POST
@role_required(EDITORS)
def job_start(request, job_id: int):
    return _job_step(request, job_id, services.job_start, _("Job started."))


@require_POST
@role_required(EDITORS)
def job_finish(request, job_id: int):
    return _job_step(request, job_id, services.job_finish, _("Job finished."))


@require_GET
@role_required(READERS)
def expedite_list(request):
    status = request.GET.get("status") or None
    if status not in ExpediteRequest.Status.values:
        status = None
    page = CappedPaginator(selectors.expedite_list(status=status), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "scheduling/expedite_list.html",
        {
            "page": page,
            "query": _query_without(request, "page"),
            "status": status,
            "statuses": ExpediteRequest.Status.choices,
            "counts": selectors.expedite_counts(),
            "can_edit": user_has_role(request.user, EDITORS),
        },
    )


@require_POST
@role_required(EXPEDITE_REQUESTERS)
def expedite_create(request):
    form = ExpediteRequestForm(request.POST)
    if not form.is_valid():
        messages.error(request, form_errors_text(form))
        order_id = request.POST.get("order", "")
        return (
            redirect("orders:order_detail", order_id=order_id) if order_id.isdigit() else redirect("scheduling:board")
        )
    data = form.cleaned_data
    order_visible_or_404(request.user, data["order"])  # another rep's customer's order: 404
    try:
        expedite = services.expedite_request_create(
            order_id=data["order"], needed_by=data["needed_by"], reason=data["reason"], actor=request.user
        )
    except Order.DoesNotExist:
        raise Http404("No such order.") from None
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("orders:order_detail", order_id=data["order"])
    messages.success(request, _("Expedite requested: the scheduler sees its cost on the board and decides."))
    return redirect("scheduling:expedite_detail", request_id=expedite.pk)


def _expedite_or_404(request_id) -> ExpediteRequest:
    try:
        return selectors.expedite_list().get(pk=request_id)
    except ExpediteRequest.DoesNotExist:
        raise Http404("No such expedite request.") from None


@require_GET
@role_required(READERS)
def expedite_detail(request, request_id: int):
    expedite = _expedite_or_404(request_id)
    cost = None
    if expedite.status == ExpediteRequest.Status.PENDING:
        cost = selectors.expedite_cost(order_id=expedite.order_id, needed_by=expedite.needed_by)
    event = RescheduleEvent.objects.filter(expedite=expedite).first()
    template = "scheduling/_expedite_cost.html" if request.htmx and not request.htmx.boosted else None
    return render(
        request,
        template or "scheduling/expedite_detail.html",
        {
            "expedite": expedite,
            "cost": cost,
            "event": event,
            "form": ExpediteDecisionForm(),
            "can_decide": user_has_role(request.user, EDITORS),
            "can_edit": user_has_role(request.user, EDITORS),
        },
    )


def _decide(request, request_id, run, done):
    form = ExpediteDecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, form_errors_text(form))
    else:
        try:
            run(form.cleaned_data["reason"])
        except ExpediteRequest.DoesNotExist:
            raise Http404("No such expedite request.") from None
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, done)
    return redirect("scheduling:expedite_detail", request_id=request_id)


@require_POST
@role_required(EDITORS)
def expedite_approve(request, request_id: int):
    return _decide(
        request,
        request_id,
        lambda note: services.expedite_approve(request_id=request_id, actor=request.user, note=note),
        _("Expedite approved: the board is rescheduled and the cost recorded."),
    )


@require_POST
@role_required(EDITORS)
def expedite_decline(request, request_id: int):
    return _decide(
        request,
        request_id,
        lambda reason: services.expedite_decline(request_id=request_id, actor=request.user, reason=reason),
        _("Expedite declined."),
    )


@require_GET
@role_required(EDITORS)
def calendar(request):
    exceptions = selectors.calendar_exceptions(upcoming_only=request.GET.get("past") != "1")
    page = CappedPaginator(exceptions, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "scheduling/calendar.html",
        {"page": page, "query": _query_without(request, "page"), "form": CapacityExceptionForm()},
    )


@require_POST
@role_required(EDITORS)
def calendar_set(request):
    form = CapacityExceptionForm(request.POST)
    if not form.is_valid():
        messages.error(request, form_errors_text(form))
        return redirect("scheduling:calendar")
    data = form.cleaned_data
    try:
        services.capacity_exception_set(
            work_center_id=data["work_center"].pk,
            day=data["day"],
            kind=data["kind"],
            hours=data["hours"] or 0,
            note=data["note"],
            actor=request.user,
        )
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("%(code)s on %(day)s: calendar updated.")
            % {"code": data["work_center"].code, "day": format(data["day"], "%Y-%m-%d")},
        )
    return redirect("scheduling:calendar")


@require_POST
@role_required(EDITORS)
def calendar_delete(request, exception_id: int):
    services.capacity_exception_delete(exception_id=exception_id, actor=request.user)
    messages.success(request, _("Calendar exception removed."))
    return redirect(reverse("scheduling:calendar"))


@require_GET
@role_required(READERS)
def event_list(request):
    kind = request.GET.get("kind") or None
    if kind not in RescheduleEvent.Kind.values:
        kind = None
    page = CappedPaginator(selectors.reschedule_events(kind=kind), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "scheduling/event_list.html",
        {
            "page": page,
            "query": _query_without(request, "page"),
            "kind": kind,
            "kinds": RescheduleEvent.Kind.choices,
            "can_edit": user_has_role(request.user, EDITORS),
        },
    )
