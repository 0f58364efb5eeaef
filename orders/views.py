"""Order pages: thin views over selectors and services."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from . import panels, selectors, services
from .access import order_visible_or_404, role_required
from .errors import DomainError
from .forms import OrderActionForm, OrderFilterForm, PromiseChangeForm
from .models import Customer, Handoff, Order
from .money import line_net_amount, order_net_total
from .page_steps import run_step
from .pagination import CappedPaginator
from .roles import Role, user_departments, user_has_role, user_is_customer_contact, user_roles
from .states import OrderStatus

# Who works with customers: sales, customer service, finance, management.
SALES_VIEWERS = {
    Role.SALES_REP,
    Role.CUSTOMER_SERVICE,
    Role.FINANCE,
    Role.EXECUTIVE,
    Role.REVIEW_BOARD,
    Role.ESTIMATOR,
    Role.FIELD_SERVICE,
}

PAGE_SIZE = 25


@require_GET
@role_required()
def order_list(request):
    form = OrderFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    overdue = {"yes": True, "no": False}.get(filters.get("overdue") or "")
    orders = selectors.order_list(
        status=filters.get("status") or None,
        owner_department=filters.get("owner_department") or None,
        overdue=overdue,
        search=filters.get("q") or None,
        user=request.user,
    )
    page = CappedPaginator(orders, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "orders/order_list.html", {"form": form, "page": page, "query": query.urlencode()})


def _get_order(order_id: int, user) -> Order:
    # Another rep's customer's order: 404 like a missing one (the scope is part of the read).
    try:
        return selectors.order_detail(order_id=order_id, user=user)
    except Order.DoesNotExist:
        raise Http404("No such order.") from None


@require_GET
@role_required()
def order_detail(request, order_id: int):
    order = _get_order(order_id, request.user)
    lines = list(order.lines.all())
    for line in lines:
        line.net_amount = line_net_amount(
            quantity=line.quantity_ordered,
            unit_price=line.unit_price,
            discount_percent=line.discount_percent,
            currency=order.currency,
        )
    actions = services.order_allowed_transitions(order=order, user=request.user)
    context = {
        "order": order,
        "lines": lines,
        "net_total": order_net_total(lines, order.currency),
        "actions": actions,
        "needs_note": any(t.note_required for t in actions),
        "journey": selectors.order_journey(order=order),
        "open_handoff": next(
            (h for h in order.handoffs.all() if h.closed_at is None and h.kind == Handoff.ORDER_FLOW), None
        ),
        "open_work": [h for h in order.handoffs.all() if h.closed_at is None and h.kind != Handoff.ORDER_FLOW],
        "open_alerts": [a for a in order.alerts.all() if a.resolved_at is None],
        "user_departments": {d.value for d in user_departments(request.user)},
        "action_form": OrderActionForm(),
        "panels": panels.panels_for(order, request.user),
        # Promised date changes (the customer portal shows them with the shared reason only).
        "promise_changes": list(order.promise_changes.select_related("changed_by")),
        "promise_form": PromiseChangeForm()
        if order.status in services.PROMISE_CHANGEABLE and user_has_role(request.user, services.PROMISE_CHANGERS)
        else None,
    }
    return render(request, "orders/order_detail.html", context)


@require_POST
@role_required()
def order_action(request, order_id: int, action: str):
    order_visible_or_404(request.user, order_id)
    form = OrderActionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The note is too long (2000 characters at most)."))
        return redirect("orders:order_detail", order_id=order_id)
    try:
        order = services.order_transition(
            order_id=order_id, action=action, actor=request.user, note=form.cleaned_data["note"]
        )
    except DomainError as error:
        messages.error(request, error.message)
    else:
        if order.status == OrderStatus.ON_HOLD and action == "submit":
            messages.error(
                request,
                _("Order %(number)s is entered but on hold for finance: %(hold_reason)s")
                % {"number": order.number, "hold_reason": order.hold_reason},
            )
        else:
            messages.success(
                request,
                _("Order %(number)s is now %(lower)s.")
                % {"number": order.number, "lower": order.get_status_display().lower()},
            )
    return redirect("orders:order_detail", order_id=order_id)


@require_POST
@role_required(services.PROMISE_CHANGERS)
def order_promise_change(request, order_id: int):
    # Another rep's customer's order: 404 like every other order page (not only a missing one).
    order_visible_or_404(request.user, order_id)
    form = PromiseChangeForm(request.POST)

    def run(data):
        services.order_promise_change(
            order_id=order_id,
            new_date=data["new_date"],
            reason=data["reason"],
            customer_reason=data["customer_reason"],
            actor=request.user,
        )

    return run_step(
        request, form=form, run=run, done="Promised date changed.", then=redirect("orders:order_detail", order_id)
    )


@require_POST
@role_required()
def handoff_acknowledge(request, handoff_id: int):
    order_id = Handoff.objects.filter(pk=handoff_id).values_list("order_id", flat=True).first()
    order_visible_or_404(request.user, order_id)
    try:
        handoff = services.handoff_acknowledge(handoff_id=handoff_id, user=request.user)
    except Handoff.DoesNotExist:
        raise Http404("No such hand-off.") from None
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("orders:handoff_queue")
    messages.success(request, _("You acknowledged order %(number)s.") % {"number": handoff.order.number})
    return redirect("orders:order_detail", order_id=handoff.order_id)


@require_GET
@role_required()
def handoff_queue(request):
    departments = user_departments(request.user)
    handoffs = selectors.handoff_queue(departments=departments, user=request.user)
    page = CappedPaginator(handoffs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "orders/handoff_queue.html", {"page": page})


@require_GET
@role_required()
def alert_list(request):
    alerts = selectors.alerts_open(departments=user_departments(request.user), user=request.user)
    page = CappedPaginator(alerts, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "orders/alert_list.html", {"page": page})


@require_GET
def home(request):
    """Sales reps start on what to sell now; customer contacts on the customer portal; everyone
    else on the orders."""
    if user_is_customer_contact(request.user) and not user_roles(request.user):
        return redirect("portal:home")
    if not user_roles(request.user):
        raise PermissionDenied("Your role does not give access to this page.")
    if user_has_role(request.user, {Role.SALES_REP}):
        return redirect("orders:sell_now")
    return redirect("orders:order_list")


@require_GET
@role_required(SALES_VIEWERS)
def sell_now(request):
    return render(request, "orders/sell_now.html", {"panels": panels.panels_for(None, request.user, page="sell_now")})


@require_GET
@role_required(SALES_VIEWERS)
def customer_list(request):
    mine = user_has_role(request.user, {Role.SALES_REP}) and request.GET.get("all") != "1"
    customers = selectors.customer_list(
        search=(request.GET.get("q") or "").strip() or None, sales_rep=request.user if mine else None
    )
    page = CappedPaginator(customers, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "orders/customer_list.html", {"page": page, "query": query.urlencode(), "mine": mine})


@require_GET
@role_required(SALES_VIEWERS)
def customer_detail(request, customer_id: int):
    customer = Customer.objects.select_related("sales_rep").filter(pk=customer_id).first()
    if customer is None:
        raise Http404("No such customer.")
    orders = selectors.order_list(customer_id=customer.pk, user=request.user)
    open_orders = orders.filter(status__in=selectors.OPEN_STATUSES)
    history = CappedPaginator(orders.exclude(status__in=selectors.OPEN_STATUSES), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    exposure = selectors.customer_order_exposure(customer=customer)
    return render(
        request,
        "orders/customer_detail.html",
        {
            "customer": customer,
            "open_orders": open_orders[:100],
            "page": history,
            "query": "",
            "exposure": exposure,
            "headroom": customer.credit_limit - exposure,
            "panels": panels.panels_for(customer, request.user, page="customer"),
        },
    )
