"""Returns pages: RMAs (create, approve, label, receive, inspect), claims, credits due, policy."""

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
from .forms import ClaimForm, PolicyForm, ReasonForm, RmaCreateForm, RmaInspectForm, RmaReceiveForm
from .models import Claim, ReturnAuthorization

PAGE_SIZE = 25
MANAGERS = selectors.RMA_MANAGERS
RECEIVERS = selectors.RMA_RECEIVERS
RMA_READERS = selectors.READERS - {Role.SALES_REP}
CLAIM_READERS = {Role.CUSTOMER_SERVICE, Role.FINANCE, Role.EXECUTIVE}


def _page(request, queryset):
    page = CappedPaginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return page, query.urlencode()


def _rma_or_404(rma_id):
    try:
        return selectors.rma_detail(rma_id=rma_id)
    except ReturnAuthorization.DoesNotExist:
        raise Http404("No such return.") from None


@require_GET
@role_required(RMA_READERS)
def rma_list(request):
    status = request.GET.get("status") if request.GET.get("status") in ReturnAuthorization.Status.values else None
    page, query = _page(request, selectors.rma_list(status=status, search=(request.GET.get("q") or "").strip() or None))
    policy = selectors.return_policy()
    return render(
        request,
        "returns/rma_list.html",
        {
            "page": page,
            "query": query,
            "status": status,
            "statuses": ReturnAuthorization.Status.choices,
            "policy": policy,
            "can_manage": user_has_role(request.user, MANAGERS),
            "policy_form": PolicyForm(
                initial={
                    "days_since_delivery": policy.days_since_delivery,
                    "approval_hours": policy.approval_hours,
                    "refund_hours": policy.refund_hours,
                }
            ),
        },
    )


@require_POST
@role_required(MANAGERS)
def policy_update(request):
    form = PolicyForm(request.POST)
    if not form.is_valid():
        messages.error(request, form_errors_text(form))
    else:
        services.return_policy_update(user=request.user, **form.cleaned_data)
        messages.success(request, _("Return policy saved."))
    return redirect("returns:rma_list")


@require_http_methods(["GET", "POST"])
@role_required(MANAGERS)
def rma_create(request):
    customer_id = request.GET.get("customer") or request.POST.get("customer")
    customer = None
    if customer_id and str(customer_id).isdigit():
        customer = Customer.objects.filter(pk=int(customer_id)).first()
    if customer is None:
        if request.method == "POST":
            messages.error(request, "Choose the customer the goods come back from.")
        search = (request.GET.get("q") or "").strip()
        customers = Customer.objects.filter(active=True)
        if search:
            customers = customers.filter(name__icontains=search) | customers.filter(code__iexact=search)
        page, query = _page(request, customers.order_by("name"))
        return render(request, "returns/rma_pick_customer.html", {"page": page, "query": query, "q": search})
    returnable = selectors.returnable_lines(customer_id=customer.pk)
    form = RmaCreateForm(request.POST or None, returnable=returnable)
    if request.method == "POST":
        if form.is_valid():
            try:
                rma = services.rma_create(
                    customer=customer,
                    lines=form.quantities(),
                    reason=form.cleaned_data["reason"],
                    resolution=form.cleaned_data["resolution"],
                    note=form.cleaned_data["note"],
                    user=request.user,
                )
            except DomainError as error:
                messages.error(request, domain_error_text(error))
            else:
                messages.success(
                    request, _("Return %(number)s recorded; approve it to send the label.") % {"number": rma.number}
                )
                return redirect("returns:rma_detail", rma_id=rma.pk)
        else:
            messages.error(request, _("Please correct the errors below."))
    return render(
        request,
        "returns/rma_create.html",
        {"customer": customer, "form": form, "policy": selectors.return_policy()},
        status=400 if request.method == "POST" else 200,
    )


@require_GET
@role_required(RMA_READERS)
def rma_detail(request, rma_id: int):
    rma = _rma_or_404(rma_id)
    lines = selectors.rma_lines(rma)
    roles_manage = user_has_role(request.user, MANAGERS)
    roles_receive = user_has_role(request.user, RECEIVERS)
    return render(
        request,
        "returns/rma_detail.html",
        {
            "rma": rma,
            "lines": lines,
            "policy": selectors.return_policy(),
            "can_manage": roles_manage,
            "can_receive": roles_receive and rma.status == ReturnAuthorization.Status.APPROVED,
            "can_inspect": roles_receive and rma.status == ReturnAuthorization.Status.RECEIVED,
            "can_retry": user_has_role(request.user, {Role.FINANCE})
            and rma.status == ReturnAuthorization.Status.CREDIT_PENDING
            and bool(rma.credit_failure),
            "receive_form": RmaReceiveForm(lines=lines, initial={"site": rma.site_id}),
            "inspect_form": RmaInspectForm(lines=lines),
            "reject_form": ReasonForm(),
        },
    )


def _rma_step(request, rma_id, run, success):
    if not ReturnAuthorization.objects.filter(pk=rma_id).exists():
        raise Http404("No such return.")
    return run_step(request, run=lambda _data: run(), done=success, then=redirect("returns:rma_detail", rma_id=rma_id))


@require_POST
@role_required(MANAGERS)
def rma_approve(request, rma_id: int):
    return _rma_step(
        request,
        rma_id,
        lambda: services.rma_approve(rma_id=rma_id, user=request.user),
        _("Approved: print the return label for the customer."),
    )


@require_POST
@role_required(MANAGERS)
def rma_reject(request, rma_id: int):
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give a reason for rejecting the return."))
        return redirect("returns:rma_detail", rma_id=rma_id)
    return _rma_step(
        request,
        rma_id,
        lambda: services.rma_reject(rma_id=rma_id, user=request.user, reason=form.cleaned_data["reason"]),
        _("Return rejected."),
    )


@require_POST
@role_required(RECEIVERS)
def rma_receive(request, rma_id: int):
    rma = _rma_or_404(rma_id)
    form = RmaReceiveForm(request.POST, lines=rma.lines.all())
    if not form.is_valid():
        messages.error(request, form_errors_text(form))
        return redirect("returns:rma_detail", rma_id=rma_id)
    return _rma_step(
        request,
        rma_id,
        lambda: services.rma_receive(
            rma_id=rma_id, user=request.user, site=form.cleaned_data["site"], quantities=form.quantities()
        ),
        _("Goods received: inspect them."),
    )


@require_POST
@role_required(RECEIVERS)
def rma_inspect(request, rma_id: int):
    rma = _rma_or_404(rma_id)
    form = RmaInspectForm(request.POST, lines=rma.lines.all())
    if not form.is_valid():
        messages.error(request, form_errors_text(form))
        return redirect("returns:rma_detail", rma_id=rma_id)
    return _rma_step(
        request,
        rma_id,
        lambda: services.rma_inspect(
            rma_id=rma_id, user=request.user, dispositions=form.dispositions(), notes=form.notes()
        ),
        _("Inspection recorded."),
    )


@require_POST
@role_required({Role.FINANCE})
def rma_request_credit(request, rma_id: int):
    return _rma_step(
        request,
        rma_id,
        lambda: services.rma_request_credit_again(rma_id=rma_id, user=request.user),
        _("Billing was asked again for the credit note."),
    )


@require_GET
@role_required(RMA_READERS)
def rma_label(request, rma_id: int):
    rma = _rma_or_404(rma_id)
    if rma.status == ReturnAuthorization.Status.REQUESTED or rma.status == ReturnAuthorization.Status.REJECTED:
        messages.error(request, _("The label is printable once the return is approved."))
        return redirect("returns:rma_detail", rma_id=rma_id)
    return render(request, "returns/rma_label.html", {"rma": rma, "lines": selectors.rma_lines(rma)})


# --- claims ----------------------------------------------------------------------------------


@require_GET
@role_required(CLAIM_READERS)
def claim_list(request):
    status = request.GET.get("status") if request.GET.get("status") in Claim.Status.values else None
    page, query = _page(
        request, selectors.claim_list(status=status, search=(request.GET.get("q") or "").strip() or None)
    )
    return render(
        request,
        "returns/claim_list.html",
        {"page": page, "query": query, "status": status, "statuses": Claim.Status.choices},
    )


@require_http_methods(["GET", "POST"])
@role_required(MANAGERS)
def claim_create(request, order_id: int):
    order = get_object_or_404(Order.objects.select_related("customer"), pk=order_id)
    order_lines = list(order.lines.select_related("product"))
    form = ClaimForm(request.POST or None, order_lines=order_lines)
    if request.method == "POST":
        if form.is_valid():
            try:
                claim = services.claim_open(
                    order=order,
                    invoice_id=form.cleaned_data["invoice_id"],
                    invoice_number=form.cleaned_data["invoice_number"],
                    kind=form.cleaned_data["kind"],
                    description=form.cleaned_data["description"],
                    lines=form.lines(),
                    user=request.user,
                )
            except DomainError as error:
                messages.error(request, domain_error_text(error))
            else:
                messages.success(request, _("Claim %(number)s recorded.") % {"number": claim.number})
                return redirect("returns:claim_detail", claim_id=claim.pk)
        else:
            messages.error(request, _("Please correct the errors below."))
    if not form.order_lines:
        messages.error(request, _("Nothing on order %(number)s is invoiced yet.") % {"number": order.number})
    return render(
        request,
        "returns/claim_create.html",
        {"order": order, "form": form},
        status=400 if request.method == "POST" else 200,
    )


@require_GET
@role_required(CLAIM_READERS)
def claim_detail(request, claim_id: int):
    try:
        claim = selectors.claim_detail(claim_id=claim_id)
    except Claim.DoesNotExist:
        raise Http404("No such claim.") from None
    return render(
        request,
        "returns/claim_detail.html",
        {
            "claim": claim,
            "lines": claim.lines.select_related("order_line__product"),
            "can_manage": user_has_role(request.user, MANAGERS),
            "reject_form": ReasonForm(),
        },
    )


def _claim_step(request, claim_id, run, success):
    if not Claim.objects.filter(pk=claim_id).exists():
        raise Http404("No such claim.")
    return run_step(
        request, run=lambda _data: run(), done=success, then=redirect("returns:claim_detail", claim_id=claim_id)
    )


@require_POST
@role_required(MANAGERS)
def claim_accept(request, claim_id: int):
    return _claim_step(
        request,
        claim_id,
        lambda: services.claim_accept(claim_id=claim_id, user=request.user),
        _("Claim accepted: finance issues the credit note."),
    )


@require_POST
@role_required(MANAGERS)
def claim_reject(request, claim_id: int):
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give a reason for rejecting the claim."))
        return redirect("returns:claim_detail", claim_id=claim_id)
    return _claim_step(
        request,
        claim_id,
        lambda: services.claim_reject(claim_id=claim_id, user=request.user, reason=form.cleaned_data["reason"]),
        _("Claim rejected."),
    )


@require_GET
@role_required({Role.FINANCE, Role.EXECUTIVE})
def credits_due(request):
    rmas, claims = selectors.credits_pending()
    page, query = _page(request, rmas)
    return render(request, "returns/credits_due.html", {"page": page, "query": query, "claims": claims[:100]})
