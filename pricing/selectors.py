"""Reads for pricing: the order panel, approvals, quotes, price lists."""

from django.db.models import Prefetch, QuerySet, prefetch_related_objects
from django.utils import timezone

from orders.models import Order, OrderLine
from orders.money import line_net_amount
from orders.roles import Role, user_roles
from orders.states import OrderStatus

from . import services
from .models import CostEstimate, PriceApproval, PriceList, Quote

# Margins and costs are internal: never on customer documents, and only for these roles.
MARGIN_VIEWERS = frozenset({Role.ESTIMATOR, Role.FINANCE, Role.EXECUTIVE, Role.REVIEW_BOARD, Role.SALES_REP})
PRICERS = frozenset({Role.SALES_REP, Role.CUSTOMER_SERVICE, Role.ESTIMATOR})
APPROVERS = frozenset({Role.ESTIMATOR, Role.REVIEW_BOARD, Role.EXECUTIVE})
QUOTERS = frozenset({Role.SALES_REP, Role.ESTIMATOR})
PRICING_READERS = MARGIN_VIEWERS | PRICERS | {Role.CUSTOMER_SERVICE}


def order_pricing_panel(order: Order, user) -> dict | None:
    roles = user_roles(user)
    if not roles & PRICING_READERS:
        return None
    # The order page has loaded the lines with their products already (orders.selectors.order_detail):
    # reuse them; elsewhere this reads them (and keeps them on the order).
    prefetch_related_objects(
        [order], Prefetch("lines", queryset=OrderLine.objects.select_related("product").order_by("line_no"))
    )
    lines = list(order.lines.all())
    approval = PriceApproval.objects.filter(order=order).select_related("decided_by").first()
    # The estimate once for the reasons, the approval check and the margins (it was computed
    # three times: four queries each).
    estimate = services.cost_estimate_calculate(order=order, lines=lines) if lines else None
    reasons = services.approval_reasons(order, lines, estimate=estimate) if lines else []
    context = {
        "order": order,
        "is_draft": order.status == OrderStatus.DRAFT,
        "may_price": bool(roles & PRICERS),
        "may_approve": bool(roles & APPROVERS),
        "may_quote": bool(roles & QUOTERS),
        "approval": approval,
        "approval_reasons": reasons,
        "approval_missing": bool(reasons) and not services.prices_approved(order, lines),
        "quote": Quote.objects.filter(order=order).first(),
        "today": timezone.localdate(),
    }
    if roles & MARGIN_VIEWERS and lines:
        context["estimate"] = estimate
        context["line_margins"] = _line_margins(lines)
    return context


def _line_margins(lines) -> list[dict]:
    rows = []
    for line in lines:
        net = line_net_amount(
            quantity=line.quantity_ordered, unit_price=line.unit_price or 0, discount_percent=line.discount_percent
        )
        cost = line.quantity_ordered * line.product.standard_cost
        rows.append({"line": line, "net": net, "material": cost.quantize(net), "margin": net - cost.quantize(net)})
    return rows


def approvals_pending() -> QuerySet:
    return (
        PriceApproval.objects.filter(status=PriceApproval.Status.PENDING)
        .select_related("order__customer", "requested_by")
        .order_by("requested_at", "id")
    )


def quote_document_context(quote: Quote) -> dict:
    order = quote.order
    lines = list(order.lines.select_related("product").order_by("line_no"))
    for line in lines:
        line.net_amount = line_net_amount(
            quantity=line.quantity_ordered,
            unit_price=line.unit_price or 0,
            discount_percent=line.discount_percent,
            currency=order.currency,
        )
    return {
        "quote": quote,
        "order": order,
        "lines": lines,
        "total": sum((line.net_amount for line in lines), 0),
        "expired": quote.valid_until < timezone.localdate(),
    }


def price_list_list() -> QuerySet:
    return PriceList.objects.order_by("currency", "name", "-valid_from")


def cost_estimate_for(order: Order) -> CostEstimate | None:
    return CostEstimate.objects.filter(order=order).first()
