"""Pages for entering orders (sales reps, customer service) and selecting them (review board),
and the priority weights (executives)."""

from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from . import entry, panels, selectors, services
from .access import role_required
from .errors import DomainError
from .models import Customer, Order, Product
from .pagination import CappedPaginator
from .roles import ORDER_CREATORS, Role, user_has_role
from .states import OrderStatus

BOARD = {Role.REVIEW_BOARD, Role.EXECUTIVE}
MAX_QUANTITY = Decimal("999999999")


def _messages_from(request, error: DomainError):
    details = " ".join(m for msgs in error.field_errors.values() for m in msgs)
    messages.error(request, details or error.message)


@require_http_methods(["GET", "POST"])
@role_required(ORDER_CREATORS)
def order_new(request):
    """Pick the customer (search as you type); the draft exists from then on."""
    if request.method == "POST":
        customer = Customer.objects.filter(pk=request.POST.get("customer") or 0, active=True).first()
        if customer is None:
            messages.error(request, _("Choose an active customer from the list."))
            return redirect("orders:order_new")
        order = services.order_create(customer=customer, lines=[], created_by=request.user)
        return redirect("orders:order_edit", order_id=order.pk)
    return render(request, "orders/order_new.html", {"customers": _customer_matches(request.GET.get("q"))})


def _customer_matches(query):
    query = (query or "").strip()
    if not query:
        return []
    return list(
        Customer.objects.filter(active=True)
        .filter(Q(name__icontains=query) | Q(code__icontains=query))
        .order_by("name")[:10]
    )


@require_GET
@role_required(ORDER_CREATORS)
def customer_search(request):
    return render(request, "orders/_customer_matches.html", {"customers": _customer_matches(request.GET.get("q"))})


@require_GET
@role_required(ORDER_CREATORS)
def product_search(request):
    query = (request.GET.get("sku") or "").strip()
    products = []
    if query:
        products = list(
            Product.objects.filter(active=True)
            .filter(Q(sku__istartswith=query) | Q(name__icontains=query))
            .order_by("sku")[:15]
        )
    return render(request, "orders/_product_options.html", {"products": products})


def _draft_or_redirect(request, order_id):
    scope = selectors.order_scope(request.user)
    order = Order.objects.select_related("customer").filter(scope, pk=order_id).first()
    if order is None:
        raise Http404("No such order.")
    return order


def _entry_context(request, order):
    lines = entry.lines_for_entry(order)
    promised, promises = entry.order_promise(order=order) if lines else (None, [])
    return {
        "order": order,
        "lines": lines,
        "net_total": sum((line.net_amount or 0 for line in lines), Decimal("0.00")),
        "promised": promised,
        "promises": {p.line_no: p for p in promises},
        "duplicates": entry.order_duplicates(order=order) if lines or order.customer_po else [],
        "credit": entry.customer_credit(customer=order.customer),
        "may_discount": user_has_role(request.user, {Role.SALES_REP}),
        "panels": panels.panels_for(order, request.user, page="order_entry"),
    }


@require_GET
@role_required(ORDER_CREATORS)
def order_edit(request, order_id: int):
    order = _draft_or_redirect(request, order_id)
    if order.status != OrderStatus.DRAFT:
        return redirect("orders:order_detail", order_id=order.pk)
    return render(request, "orders/order_edit.html", _entry_context(request, order))


def _lines_response(request, order_id, error: str = ""):
    order = Order.objects.select_related("customer").get(pk=order_id)
    context = _entry_context(request, order)
    context["error"] = error
    if request.htmx:
        return render(request, "orders/_entry_lines.html", context)
    if error:
        messages.error(request, error)
    return redirect("orders:order_edit", order_id=order_id)


def _decimal(value, *, field, low=Decimal("0"), high=MAX_QUANTITY, allow_zero=False) -> Decimal:
    try:
        number = Decimal(str(value).strip().replace(",", "."))
    except (InvalidOperation, ValueError):
        raise ValueError(_("%(field)s: enter a number.") % {"field": field}) from None
    if not number.is_finite() or number < low or number > high or (number == 0 and not allow_zero):
        raise ValueError(
            _("%(field)s: must be %(than)s %(low)s and at most %(high)s.")
            % {"field": field, "than": "at least" if allow_zero else "more than", "low": low, "high": high}
        )
    if number.as_tuple().exponent < -3:
        raise ValueError(_("%(field)s: at most 3 decimals.") % {"field": field})
    return number


@require_POST
@role_required(ORDER_CREATORS)
def order_line_add(request, order_id: int):
    _draft_or_redirect(request, order_id)
    sku = (request.POST.get("sku") or "").strip().split(" ")[0]
    product = Product.objects.filter(sku__iexact=sku).first() if sku else None
    try:
        if product is None:
            raise ValueError(
                _("No product with SKU '%(sku)s'.") % {"sku": sku} if sku else _("Type a SKU or a product name.")
            )
        quantity = _decimal(request.POST.get("quantity") or "1", field="Quantity")
        services.order_line_add(order_id=order_id, product=product, quantity=quantity)
    except ValueError as error:
        return _lines_response(request, order_id, str(error))
    except DomainError as error:
        return _lines_response(
            request, order_id, " ".join(m for ms in error.field_errors.values() for m in ms) or error.message
        )
    return _lines_response(request, order_id)


@require_POST
@role_required(ORDER_CREATORS)
def order_line_update(request, order_id: int, line_no: int):
    _draft_or_redirect(request, order_id)
    try:
        quantity = _decimal(request.POST.get("quantity"), field=f"Line {line_no} quantity")
        discount = None
        if "discount_percent" in request.POST:
            discount = _decimal(
                request.POST.get("discount_percent") or "0",
                field=f"Line {line_no} discount",
                high=Decimal("100"),
                allow_zero=True,
            )
        services.order_line_update(order_id=order_id, line_no=line_no, quantity=quantity, discount_percent=discount)
    except ValueError as error:
        return _lines_response(request, order_id, str(error))
    except DomainError as error:
        return _lines_response(request, order_id, error.message)
    return _lines_response(request, order_id)


@require_POST
@role_required(ORDER_CREATORS)
def order_line_remove(request, order_id: int, line_no: int):
    _draft_or_redirect(request, order_id)
    try:
        services.order_line_remove(order_id=order_id, line_no=line_no)
    except DomainError as error:
        return _lines_response(request, order_id, error.message)
    return _lines_response(request, order_id)


@require_POST
@role_required(ORDER_CREATORS)
def order_header_save(request, order_id: int):
    _draft_or_redirect(request, order_id)
    raw_date = (request.POST.get("requested_date") or "").strip()
    requested = parse_date(raw_date) if raw_date else None
    po = (request.POST.get("customer_po") or "")[:60]
    if raw_date and requested is None:
        return _lines_response(request, order_id, _("Requested date: use the date picker (YYYY-MM-DD)."))
    try:
        services.order_header_update(order_id=order_id, customer_po=po, requested_date=requested)
    except DomainError as error:
        return _lines_response(request, order_id, error.message)
    return _lines_response(request, order_id)


# --- selection ------------------------------------------------------------------------------


@require_GET
@role_required(BOARD)
def review_queue(request):
    page = CappedPaginator(selectors.review_queue(), 25).get_page(request.GET.get("page"))
    return render(
        request,
        "orders/review_queue.html",
        {"page": page, "factors": entry.FACTORS, "weights": entry.priority_weights()},
    )


@require_POST
@role_required({Role.REVIEW_BOARD})
def review_bulk_accept(request):
    ids = [int(value) for value in request.POST.getlist("order") if value.isdigit()][:100]
    if not ids:
        messages.error(request, _("Tick the orders to accept."))
        return redirect("orders:review_queue")
    accepted, refused = [], []
    for order_id in ids:
        try:
            accepted.append(
                services.order_transition(
                    order_id=order_id, action="accept", actor=request.user, note="Accepted from the review queue"
                ).number
            )
        except (DomainError, Order.DoesNotExist) as error:
            refused.append(getattr(error, "message", _("Order %(order_id)s not found.") % {"order_id": order_id}))
    if accepted:
        messages.success(request, _("Accepted %(accepted)s.") % {"accepted": ", ".join(accepted)})
    for problem in refused:
        messages.error(request, problem)
    return redirect("orders:review_queue")


@require_http_methods(["GET", "POST"])
@role_required({Role.EXECUTIVE})
def priority_settings(request):
    weights = entry.priority_weights()
    families = sorted(set(Product.objects.exclude(family="").values_list("family", flat=True)))
    if request.method == "POST":
        values, errors = {}, []
        for factor in entry.FACTORS:
            try:
                values[factor] = _decimal(
                    request.POST.get(factor) or "0",
                    field=factor.replace("_", " ").capitalize(),
                    high=Decimal("100"),
                    allow_zero=True,
                )
            except ValueError as error:
                errors.append(str(error))
        if not errors and not any(values.values()):
            errors.append(_("At least one weight must be above 0."))
        if errors:
            for error in errors:
                messages.error(request, error)
        else:
            chosen = [f for f in request.POST.getlist("strategic_families") if f in families]
            entry.priority_weights_set(user=request.user, strategic_families=chosen, **values)
            messages.success(request, _("Weights saved; the review queue is re-scored."))
            return redirect("orders:priority_settings")
    return render(
        request, "orders/priority_settings.html", {"weights": weights, "factors": entry.FACTORS, "families": families}
    )
