"""Order entry and selection: the promised date (available-to-promise), the credit check,
duplicate warnings and the review board's priority score. Writes are services like those in
services.py; the step apps contribute through orders.providers."""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from . import providers, reference, selectors
from .models import Customer, Order, OrderLine, PriorityWeights
from .money import line_net_amount, order_net_total
from .states import OrderStatus

ZERO = Decimal("0")
TIER_VALUE = {
    Customer.Tier.STRATEGIC: Decimal("1"),
    Customer.Tier.KEY: Decimal("0.75"),
    Customer.Tier.STANDARD: Decimal("0.4"),
    Customer.Tier.OCCASIONAL: Decimal("0.1"),
}
FACTORS = ("tier", "margin", "strategic_fit", "capacity_fit", "urgency")
NEUTRAL = Decimal("0.5")  # a factor no app can judge counts as average


# --- available to promise ------------------------------------------------------------------


@dataclass
class LinePromise:
    line_no: int
    ships_on: date
    explanation: str


def order_promise(*, order: Order) -> tuple[date | None, list[LinePromise]]:
    """The earliest date each line can ship — from stock where a site has it beyond reservations,
    else from free capacity on the work centers it needs plus lead time (the providers), else the
    standard lead time — and the order's date: its latest line. The batch providers ("promises")
    answer for all lines at once, the per-line ones ("promise") line by line."""
    wanted = [
        (line, line.quantity_ordered - line.quantity_shipped)
        for line in selectors.order_lines(order)
        if line.quantity_ordered - line.quantity_shipped > 0
    ]
    if not wanted:
        return None, []
    candidates: list[list[providers.Promise]] = [[] for _line in wanted]
    items = [(line.product, remaining) for line, remaining in wanted]
    for provider in providers.providers("promises"):
        for found, answer in zip(candidates, provider(items, order.site), strict=True):
            found.extend(answer)
    for provider in providers.providers("promise"):
        for found, (product, remaining) in zip(candidates, items, strict=True):
            found.extend(provider(product, remaining, order.site))
    promises = []
    for (line, _remaining), found in zip(wanted, candidates, strict=True):
        if not found:
            days = settings.OMC_STANDARD_LEAD_DAYS
            found = [
                providers.Promise(timezone.localdate() + timedelta(days=days), f"standard lead time of {days} days")
            ]
        best = min(found, key=lambda promise: promise.ships_on)
        promises.append(LinePromise(line.line_no, best.ships_on, best.explanation))
    return max(p.ships_on for p in promises), promises


def promise_summary(promises: list[LinePromise]) -> str:
    if not promises:
        return ""
    latest = max(promises, key=lambda p: p.ships_on)
    if len(promises) == 1:
        return latest.explanation
    return f"line {latest.line_no} {latest.explanation}"


# --- credit ---------------------------------------------------------------------------------


@dataclass
class CreditStatus:
    limit: Decimal
    open_orders: Decimal
    unpaid: Decimal
    overdue: Decimal

    @property
    def exposure(self) -> Decimal:
        return self.open_orders + self.unpaid

    @property
    def problems(self) -> list[str]:
        found = []
        if self.exposure > self.limit:
            found.append(
                _(
                    "Credit limit %(limit)s exceeded: open orders %(open_orders)s + unpaid invoices "
                    "%(unpaid)s = %(exposure)s."
                )
                % {
                    "limit": self.limit,
                    "open_orders": self.open_orders,
                    "unpaid": self.unpaid,
                    "exposure": self.exposure,
                }
            )
        if self.overdue > 0:
            found.append(_("Overdue invoices: %(overdue)s.") % {"overdue": self.overdue})
        return found


def customer_credit(*, customer: Customer) -> CreditStatus:
    """Credit limit against orders not yet invoiced plus unpaid invoices; overdue invoices apart."""
    unpaid = overdue = Decimal("0.00")
    for provider in providers.providers("exposure"):
        figures = provider(customer)
        unpaid += figures["unpaid"]
        overdue += figures["overdue"]
    return CreditStatus(
        limit=customer.credit_limit,
        open_orders=selectors.customer_order_exposure(customer=customer),
        unpaid=unpaid,
        overdue=overdue,
    )


# --- duplicates -----------------------------------------------------------------------------


def order_duplicates(*, order: Order) -> list[str]:
    """Warnings before submit: another live order of the customer with the same PO number, or
    with the same products and quantities entered within the last OMC_DUPLICATE_WINDOW_HOURS."""
    live = (
        Order.objects.filter(customer_id=order.customer_id)
        .exclude(pk=order.pk)
        .exclude(status__in=[OrderStatus.CANCELLED, OrderStatus.REJECTED])
    )
    warnings = []
    if order.customer_po.strip():
        for other in live.filter(customer_po__iexact=order.customer_po.strip()).order_by("-created_at")[:3]:
            warnings.append(
                _("Order %(number)s already has customer PO %(po)s.")
                % {"number": other.number, "po": other.customer_po}
            )
    mine = sorted((line.product_id, line.quantity_ordered) for line in order.lines.all())
    if mine:
        since = timezone.now() - timedelta(hours=settings.OMC_DUPLICATE_WINDOW_HOURS)
        recent = live.filter(created_at__gte=since).annotate(n=Count("lines")).filter(n=len(mine))
        for other in recent.prefetch_related("lines").order_by("-created_at")[:20]:
            theirs = sorted((line.product_id, line.quantity_ordered) for line in other.lines.all())
            if theirs == mine:
                warnings.append(
                    _("Order %(number)s of %(created)s has the same lines.")
                    % {"number": other.number, "created": f"{other.created_at:%Y-%m-%d %H:%M}"}
                )
    return warnings


# --- priority -------------------------------------------------------------------------------


def priority_weights() -> PriorityWeights:
    """The weights (cached: orders.reference)."""
    return reference.priority_weights()


def order_score(*, order: Order, weights: PriorityWeights) -> tuple[Decimal, dict]:
    """Score 0–100 = Σ weight × factor value (0–1) / Σ weights × 100, with each factor's value,
    contribution and reason kept for the screens."""
    values = {
        "tier": (TIER_VALUE.get(order.customer.tier, NEUTRAL), f"{order.customer.get_tier_display()} customer"),
        "strategic_fit": _strategic_fit(order, weights.strategic_families),
        "urgency": _urgency(order),
        "margin": (NEUTRAL, "margin not known"),
        "capacity_fit": (NEUTRAL, "capacity not known"),
    }
    for provider in providers.providers("score"):
        values.update(provider(order))
    total_weight = sum(getattr(weights, factor) for factor in FACTORS)
    breakdown = {}
    score = ZERO
    for factor in FACTORS:
        value, reason = values[factor]
        value = min(max(Decimal(value), ZERO), Decimal("1"))
        contribution = (getattr(weights, factor) * value * 100 / total_weight) if total_weight else ZERO
        contribution = contribution.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        score += contribution
        breakdown[factor] = {
            "value": str(value.quantize(Decimal("0.01"))),
            "weight": str(getattr(weights, factor)),
            "contribution": str(contribution),
            "reason": reason,
        }
    return score, breakdown


def _strategic_fit(order: Order, families: list[str]) -> tuple[Decimal, str]:
    lines = selectors.order_lines(order)
    total = order_net_total(lines, order.currency) or ZERO
    if not families or not total:
        return ZERO, "no strategic families set" if not families else "no order value"
    strategic = sum(
        (
            line_net_amount(
                quantity=line.quantity_ordered,
                unit_price=line.unit_price,
                discount_percent=line.discount_percent,
                currency=order.currency,
            )
            for line in lines
            if line.product.family in families and line.unit_price is not None
        ),
        ZERO,
    )
    share = strategic / total
    return share, f"{(share * 100).quantize(Decimal('1'))}% of the value in strategic families"


def _urgency(order: Order) -> tuple[Decimal, str]:
    if not order.requested_date:
        return ZERO, "no requested date"
    days = (order.requested_date - timezone.localdate()).days
    value = Decimal("1") if days <= 7 else ZERO if days >= 60 else Decimal(60 - days) / Decimal(53)
    return value, f"requested in {days} days"


def order_rescore(*, order: Order, weights: PriorityWeights | None = None) -> None:
    score, breakdown = order_score(order=order, weights=weights or priority_weights())
    Order.objects.filter(pk=order.pk).update(priority_score=score, priority_breakdown=breakdown)
    order.priority_score, order.priority_breakdown = score, breakdown


def queue_rescore(*, weights: PriorityWeights | None = None) -> int:
    """Score again every order waiting for the board (after the weights change)."""
    weights = weights or priority_weights()
    waiting = Order.objects.filter(status__in=[OrderStatus.ENTERED, OrderStatus.ON_HOLD]).select_related("customer")
    count = 0
    for order in waiting.iterator(chunk_size=500):
        order_rescore(order=order, weights=weights)
        count += 1
    return count


def priority_weights_set(*, user, strategic_families: list[str], **weights: Decimal) -> PriorityWeights:
    """Executives set the weights; the open queue is re-scored at once."""
    with transaction.atomic():
        current = PriorityWeights.objects.select_for_update().get_or_create(pk=1)[0]
        for factor in FACTORS:
            setattr(current, factor, weights[factor])
        current.strategic_families, current.updated_by = strategic_families, user
        current.save()
        queue_rescore(weights=current)  # not through the cache: this transaction may yet roll back
    return current


# --- what happens on submit -------------------------------------------------------------------


def on_submitted(*, order: Order, actor) -> None:
    """In the submit transaction: promise a date (not typed in), score the priority, then check
    credit — a failing order goes on hold with the reason, for finance to release."""
    promised, promises = order_promise(order=order)
    order.promised_date = promised
    order.promise_explanation = promise_summary(promises)[:300]
    # The score does not depend on the promise: both are written in one UPDATE.
    order.priority_score, order.priority_breakdown = order_score(order=order, weights=priority_weights())
    order.save(update_fields=["promised_date", "promise_explanation", "priority_score", "priority_breakdown"])
    problems = customer_credit(customer=order.customer).problems
    if problems:
        from .services import order_transition

        order_transition(order_id=order.pk, action="hold", actor=None, note=" ".join(problems))
        order.refresh_from_db()  # the move's caller gets the order as the hold left it


def lines_for_entry(order: Order) -> list[OrderLine]:
    lines = list(order.lines.select_related("product").order_by("line_no"))
    for line in lines:
        line.net_amount = line_net_amount(
            quantity=line.quantity_ordered,
            unit_price=line.unit_price,
            discount_percent=line.discount_percent,
            currency=order.currency,
        )
    return lines
