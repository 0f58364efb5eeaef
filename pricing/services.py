"""Pricing: resolve prices and discounts, estimate the cost to serve, approvals, quotes.

Price resolution for a product, a customer, a quantity and a day, in the order's currency:
  1. the customer's own price valid that day;
  2. else the best quantity break of the active price lists valid that day (the item with the
     highest minimum quantity not above the ordered quantity);
  3. else the product's list price, if it is in that currency.
The agreed unit price and discount are copied onto the order line when the order is priced,
so later changes to lists never change a placed order.
"""

import hashlib
import json
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import BigIntegerField, DecimalField, Exists, F, OuterRef, Q, Value
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from orders import memo
from orders.errors import ValidationFailed
from orders.languages import customer_language
from orders.models import Order, OrderLine, Product
from orders.money import CENT, line_net_amount, money_round
from orders.selectors import order_lines, routings
from orders.services import number_reserve, order_facts_refresh, order_transition
from orders.states import OrderStatus

from .errors import PricingStateError
from .models import (
    CostEstimate,
    CustomerDestination,
    CustomerPrice,
    Discount,
    FreightZone,
    PriceApproval,
    PriceList,
    PriceListItem,
    Quote,
)

ZERO = Decimal("0")
HUNDRED = Decimal("100")


def _valid_on(day: date) -> Q:
    return Q(valid_from__lte=day) & (Q(valid_to__isnull=True) | Q(valid_to__gte=day))


@dataclass
class ResolvedPrice:
    unit_price: Decimal
    source: str  # "customer price", "quantity break", "price list", "product list price"


def price_resolve(*, customer, product: Product, quantity: Decimal, currency: str, day: date) -> ResolvedPrice:
    """The price the customer pays per unit (see the module docstring for the order of rules)."""
    customer_price = (
        CustomerPrice.objects.filter(_valid_on(day), customer=customer, product=product, currency=currency)
        .order_by("-valid_from")
        .first()
    )
    if customer_price:
        return ResolvedPrice(customer_price.unit_price, "customer price")
    item = (
        PriceListItem.objects.filter(
            product=product, min_quantity__lte=quantity, price_list__active=True, price_list__currency=currency
        )
        .filter(
            Q(price_list__valid_from__lte=day), Q(price_list__valid_to__isnull=True) | Q(price_list__valid_to__gte=day)
        )
        .order_by("-min_quantity", "-price_list__valid_from")
        .first()
    )
    if item:
        return ResolvedPrice(item.unit_price, "quantity break" if item.min_quantity > 1 else "price list")
    if product.currency == currency:
        return ResolvedPrice(product.list_price, "product list price")
    raise ValidationFailed(
        _("No price for %(sku)s in %(currency)s.") % {"sku": product.sku, "currency": currency},
        field_errors={
            "lines": [
                _("No price for %(sku)s in %(currency)s: add it to a price list.")
                % {"sku": product.sku, "currency": currency}
            ]
        },
    )


def discount_resolve(*, customer, product: Product, day: date) -> Decimal:
    """The best standing discount: the customer's own or their tier's, on the product's family or on all."""
    best = (
        Discount.objects.filter(_valid_on(day))
        .filter(Q(customer=customer) | Q(customer__isnull=True, tier=customer.tier))
        .filter(Q(product_family="") | Q(product_family=product.family))
        .order_by("-percent")
        .values_list("percent", flat=True)
        .first()
    )
    return best or ZERO


def prices_resolve(
    *, customer, lines: list[tuple[Product, Decimal]], currency: str, day: date, strict: bool = True
) -> list:
    """price_resolve and discount_resolve for many (product, quantity) lines in one query (the
    three rule tables as one UNION ALL) instead of three per line; the same rules in the same
    order. Returns [(ResolvedPrice, discount_percent)] in the order of `lines`; a line without a
    price raises ValidationFailed, or is None when not `strict`."""
    product_ids = {product.pk for product, _quantity in lines}
    # Rows (rule, product_id, min_quantity, amount, valid_from, id, product_family).
    columns = ("rule", "pid", "min_qty", "amount", "since", "id", "family")
    decimal, integer = DecimalField(max_digits=14, decimal_places=3), BigIntegerField()
    customer_prices = (
        CustomerPrice.objects.filter(_valid_on(day), customer=customer, product_id__in=product_ids, currency=currency)
        .annotate(
            rule=Value(_CUSTOMER_PRICE),
            pid=F("product_id"),
            min_qty=Value(None, output_field=decimal),
            amount=F("unit_price"),
            since=F("valid_from"),
            family=Value(""),
        )
        .order_by()
        .values_list(*columns)
    )
    items = (
        PriceListItem.objects.filter(product_id__in=product_ids, price_list__active=True, price_list__currency=currency)
        .filter(
            Q(price_list__valid_from__lte=day), Q(price_list__valid_to__isnull=True) | Q(price_list__valid_to__gte=day)
        )
        .annotate(
            rule=Value(_LIST_ITEM),
            pid=F("product_id"),
            min_qty=F("min_quantity"),
            amount=F("unit_price"),
            since=F("price_list__valid_from"),
            family=Value(""),
        )
        .order_by()
        .values_list(*columns)
    )
    discounts = (
        Discount.objects.filter(_valid_on(day))
        .filter(Q(customer=customer) | Q(customer__isnull=True, tier=customer.tier))
        .filter(Q(product_family="") | Q(product_family__in={product.family for product, _q in lines}))
        .annotate(
            rule=Value(_DISCOUNT),
            pid=Value(None, output_field=integer),
            min_qty=Value(None, output_field=decimal),
            amount=F("percent"),
            since=F("valid_from"),
            family=F("product_family"),
        )
        .order_by()
        .values_list(*columns)
    )
    rows = {_CUSTOMER_PRICE: [], _LIST_ITEM: [], _DISCOUNT: []}
    for row in customer_prices.union(items, discounts, all=True).order_by():
        rows[row[0]].append(row)
    best_customer_price = {}
    # the latest valid customer price per product (then the highest id)
    for row in sorted(rows[_CUSTOMER_PRICE], key=lambda r: (r[4], r[5]), reverse=True):
        best_customer_price.setdefault(row[1], row[3])
    # the highest quantity break first, then the latest list
    list_items = sorted(rows[_LIST_ITEM], key=lambda r: (r[2], r[4]), reverse=True)
    resolved = []
    for product, quantity in lines:
        discount = max((r[3] for r in rows[_DISCOUNT] if r[6] in ("", product.family)), default=None) or ZERO
        if product.pk in best_customer_price:
            resolved.append((ResolvedPrice(best_customer_price[product.pk], "customer price"), discount))
            continue
        item = next((r for r in list_items if r[1] == product.pk and r[2] <= quantity), None)
        if item:
            source = "quantity break" if item[2] > 1 else "price list"
            resolved.append((ResolvedPrice(item[3], source), discount))
        elif product.currency == currency:
            resolved.append((ResolvedPrice(product.list_price, "product list price"), discount))
        elif not strict:
            resolved.append(None)
        else:
            raise ValidationFailed(
                f"No price for {product.sku} in {currency}.",
                field_errors={"lines": [f"No price for {product.sku} in {currency}: add it to a price list."]},
            )
    return resolved


_CUSTOMER_PRICE, _LIST_ITEM, _DISCOUNT = 0, 1, 2


# --- pricing an order ----------------------------------------------------------------------


def order_price(*, order_id: int, user) -> CostEstimate:
    """Price a draft from the lists: copy each line's resolved unit price and standing discount
    onto the line, then estimate the cost to serve."""
    with transaction.atomic():
        order = Order.objects.select_for_update().select_related("customer").get(pk=order_id)
        _require_draft(order)
        today = timezone.localdate()
        lines = list(order.lines.select_for_update().select_related("product").order_by("line_no"))
        resolved = prices_resolve(
            customer=order.customer,
            lines=[(line.product, line.quantity_ordered) for line in lines],
            currency=order.currency,
            day=today,
        )
        for line, (price, discount) in zip(lines, resolved, strict=True):
            line.unit_price = price.unit_price
            line.discount_percent = discount
        OrderLine.objects.bulk_update(lines, ["unit_price", "discount_percent"])
        return cost_estimate_compute(order=order, lines=lines)


def order_line_discount_set(*, order_id: int, line_no: int, discount_percent: Decimal, user) -> CostEstimate:
    """A sales rep gives a line a special discount on a draft; past the threshold it needs approval
    before the order can be quoted or submitted."""
    if not ZERO <= discount_percent <= HUNDRED:
        raise ValidationFailed(_("Discount between 0 and 100%."), field_errors={"discount_percent": [_("0 to 100.")]})
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order_id)
        _require_draft(order)
        updated = order.lines.filter(line_no=line_no).update(discount_percent=discount_percent)
        if not updated:
            raise ValidationFailed(
                _("No such line."),
                field_errors={"line_no": [_("The order has no line %(line_no)s.") % {"line_no": line_no}]},
            )
        return cost_estimate_compute(order=order)


def _require_draft(order: Order) -> None:
    if order.status != OrderStatus.DRAFT:
        raise PricingStateError(
            _("Order %(number)s is %(lower)s: only drafts are priced; its agreed prices no longer change.")
            % {"number": order.number, "lower": order.get_status_display().lower()}
        )


def _money(value: Decimal, currency: str) -> Decimal:
    return money_round(value, currency)


def cost_estimate_calculate(*, order: Order, lines=None) -> dict:
    """Material (standard cost), labour and set-up (routing hours × work-center rates) and freight
    (the customer's destination zone: flat + share of value), against the order's net revenue.
    Each cost is rounded once, half up, to the order currency's minor unit (orders.money); margin =
    revenue − total cost. `lines` (with their products) when the caller has them; within a move
    the same lines at the same prices are estimated once (orders.memo: the approval guard and the
    margin score)."""
    lines = order_lines(order) if lines is None else lines
    key = (
        "pricing.cost_estimate",
        order.pk,
        order.customer_id,
        order.currency,
        tuple(
            (line.line_no, line.product_id, line.quantity_ordered, line.unit_price, line.discount_percent)
            for line in lines
        ),
    )
    return dict(memo.remember(key, lambda: _cost_estimate_figures(order, lines)))


def _cost_estimate_figures(order: Order, lines) -> dict:
    routing = routings(line.product_id for line in lines)
    material = labour = setup = revenue = ZERO
    per_line = []
    for line in lines:
        quantity = line.quantity_ordered
        line_material = quantity * line.product.standard_cost
        line_labour = line_setup = ZERO
        for step in routing.get(line.product_id, []):
            line_labour += quantity * step.hours_per_unit * step.work_center.hourly_rate
            line_setup += step.setup_hours * step.work_center.hourly_rate
        net = line_net_amount(
            quantity=quantity,
            unit_price=line.unit_price or ZERO,
            discount_percent=line.discount_percent,
            currency=order.currency,
        )
        line_cost = _money(line_material + line_labour + line_setup, order.currency)
        per_line.append({"line_no": line.line_no, "revenue": net, "cost": line_cost, "margin": net - line_cost})
        material, labour, setup, revenue = (
            material + line_material,
            labour + line_labour,
            setup + line_setup,
            revenue + net,
        )
    zone = _freight_zone(order.customer_id)
    freight = (zone.flat_cost + revenue * zone.percent_of_value / HUNDRED) if zone else ZERO
    material, labour, setup, freight = (_money(v, order.currency) for v in (material, labour, setup, freight))
    total_cost = material + labour + setup + freight
    margin = revenue - total_cost
    return {
        "material": material,
        "labour": labour,
        "setup": setup,
        "freight": freight,
        "total_cost": total_cost,
        "revenue": revenue,
        "margin": margin,
        "margin_percent": (margin * HUNDRED / revenue).quantize(CENT, rounding=ROUND_HALF_UP) if revenue else None,
        "lines": per_line,  # before freight, which is the order's
    }


def cost_estimate_compute(*, order: Order, lines=None) -> CostEstimate:
    """Calculate and keep the order's cost estimate (shown to the roles that may see margins):
    one upsert (INSERT ... ON CONFLICT (order) DO UPDATE)."""
    figures = cost_estimate_calculate(order=order, lines=lines)
    figures.pop("lines")
    fields = [*figures, "computed_at"]
    (estimate,) = CostEstimate.objects.bulk_create(
        [CostEstimate(order=order, **figures, computed_at=timezone.now())],
        update_conflicts=True,
        unique_fields=["order"],
        update_fields=fields,
    )
    order_facts_refresh(order_ids=[order.pk])  # the dashboard's margin per order
    return estimate


def _freight_zone(customer_id: int) -> FreightZone | None:
    """The zone of the customer's destination, else the default zone: both candidates in one query."""
    destination = CustomerDestination.objects.filter(customer_id=customer_id)
    zones = list(
        FreightZone.objects.filter(Q(pk__in=destination.values("zone_id")) | Q(is_default=True)).annotate(
            mine=Exists(destination.filter(zone_id=OuterRef("pk")))
        )
    )
    return next((zone for zone in zones if zone.mine), None) or next((zone for zone in zones if zone.is_default), None)


# --- approvals -----------------------------------------------------------------------------


def approval_reasons(order: Order, lines, *, estimate: dict | None = None) -> list[str]:
    """Why this order's prices need approval: discounts above the threshold, or an order margin
    below the minimum (`estimate`: the order's cost_estimate_calculate, when already computed)."""
    threshold = Decimal(str(settings.OMC_DISCOUNT_APPROVAL_PERCENT))
    reasons = [
        f"Line {line.line_no}: discount {line.discount_percent}% is above {threshold}%."
        for line in lines
        if line.discount_percent > threshold
    ]
    margin_percent = (estimate or cost_estimate_calculate(order=order))["margin_percent"]
    minimum = Decimal(str(settings.OMC_MARGIN_APPROVAL_PERCENT))
    if margin_percent is not None and margin_percent < minimum:
        reasons.append(
            _("Order margin %(margin_percent)s%% is below %(minimum)s%%.")
            % {"margin_percent": margin_percent, "minimum": minimum}
        )
    return reasons


def _fingerprint(lines) -> str:
    facts = [
        [line.line_no, line.product_id, str(line.quantity_ordered), str(line.unit_price), str(line.discount_percent)]
        for line in sorted(lines, key=lambda line: line.line_no)
    ]
    return hashlib.sha256(json.dumps(facts).encode()).hexdigest()


def approval_request(*, order_id: int, user) -> PriceApproval:
    """Ask for approval of the order's current prices (idempotent while one is pending)."""
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order_id)
        lines = list(order.lines.all())
        reasons = approval_reasons(order, lines)
        if not reasons:
            raise ValidationFailed(
                _("No approval is needed."), field_errors={"order": [_("Prices are within limits.")]}
            )
        fingerprint = _fingerprint(lines)
        existing = PriceApproval.objects.filter(
            order=order, fingerprint=fingerprint, status=PriceApproval.Status.PENDING
        ).first()
        if existing:
            return existing
        return PriceApproval.objects.create(
            order=order, reasons=reasons, requested_by=user, requested_at=timezone.now(), fingerprint=fingerprint
        )


def approval_decide(*, approval_id: int, user, approve: bool, note: str = "") -> PriceApproval:
    """An estimator or manager approves or rejects (a rejection needs a reason)."""
    if not approve and not note.strip():
        raise ValidationFailed(_("Say why."), field_errors={"note": [_("A rejection needs a reason.")]})
    with transaction.atomic():
        approval = PriceApproval.objects.select_for_update().get(pk=approval_id)
        if approval.status != PriceApproval.Status.PENDING:
            raise PricingStateError(
                _("This approval is already %(lower)s.") % {"lower": approval.get_status_display().lower()}
            )
        approval.status = PriceApproval.Status.APPROVED if approve else PriceApproval.Status.REJECTED
        approval.decided_by, approval.decided_at, approval.note = user, timezone.now(), note.strip()
        approval.save(update_fields=["status", "decided_by", "decided_at", "note"])
    return approval


def prices_approved(order: Order, lines) -> bool:
    """Whether exactly these prices (the lines' fingerprint) were approved."""
    return PriceApproval.objects.filter(
        order=order, fingerprint=_fingerprint(lines), status=PriceApproval.Status.APPROVED
    ).exists()


def guard_prices_approved(order: Order, lines) -> dict:
    """Transition guard (quote, submit): prices past the limits need an approval of exactly these prices."""
    reasons = approval_reasons(order, lines)
    if not reasons:
        return {}
    if prices_approved(order, lines):
        return {}
    return {"pricing": [*reasons, _("Ask an estimator or manager to approve these prices.")]}


def guard_quote_not_expired(order: Order, lines) -> dict:
    """Transition guard (submit): a quote past its validity cannot become an order."""
    if order.status != OrderStatus.QUOTED:
        return {}
    quote = Quote.objects.filter(order=order).first()
    if quote and quote.valid_until < timezone.localdate():
        return {"quote": [f"Quote {quote.number} expired on {quote.valid_until:%Y-%m-%d}: price it again."]}
    return {}


# --- quotes --------------------------------------------------------------------------------


def quote_send(*, order_id: int, user, valid_days: int = 30) -> Quote:
    """Send a priced draft to the customer as a quote valid for `valid_days`: the order moves to
    quoted (its guards: lines priced, prices approved), the quote is numbered and emailed after
    commit."""
    if not 1 <= valid_days <= 365:
        raise ValidationFailed(_("Validity 1 to 365 days."), field_errors={"valid_days": [_("Between 1 and 365.")]})
    with transaction.atomic():
        order = order_transition(
            order_id=order_id, action="quote", actor=user, note=f"Quote valid for {valid_days} days"
        )
        quote = Quote.objects.create(
            order=order,
            number=f"Q-{number_reserve(name='quote'):07d}",
            valid_until=timezone.localdate() + timedelta(days=valid_days),
            sent_at=timezone.now(),
            sent_by=user,
            sent_to=order.customer.billing_email,
        )
        transaction.on_commit(lambda: _quote_email(quote.pk))
    return quote


def _quote_email(quote_id: int) -> None:
    from orders.documents import pdf_from_template

    from .selectors import quote_document_context

    quote = Quote.objects.select_related("order__customer").get(pk=quote_id)
    if not quote.sent_to:
        return
    # In the customer's document language, like the PDF (docs/i18n.md).
    with customer_language(quote.order.customer):
        message = EmailMessage(
            subject=_("Quote %(number)s") % {"number": quote.number},
            to=[quote.sent_to],
            body=_("Please find our quote %(number)s, valid until %(valid_until)s.")
            % {"number": quote.number, "valid_until": date_format(quote.valid_until, "SHORT_DATE_FORMAT")},
        )
    message.attach(
        f"{quote.number}.pdf",
        pdf_from_template("pricing/quote_document.html", quote_document_context(quote)),
        "application/pdf",
    )
    message.send()


def quote_convert(*, order_id: int, user) -> Order:
    """The customer accepted the quote: it becomes an order with the quoted prices, unless expired."""
    return order_transition(order_id=order_id, action="submit", actor=user, note="Quote accepted by the customer")


# --- master data ---------------------------------------------------------------------------


def price_list_check_overlap(
    *, currency: str, valid_from: date, valid_to: date | None, name: str, exclude_id: int | None = None
) -> None:
    """Two active lists with the same name and currency may not be valid on the same day."""
    end = valid_to or date.max
    clash = (
        PriceList.objects.filter(active=True, currency=currency, name=name, valid_from__lte=end)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=valid_from))
        .exclude(pk=exclude_id)
    )
    if clash.exists():
        raise ValidationFailed(
            _("Overlapping validity."),
            field_errors={
                "valid_from": [
                    _("'%(name)s' in %(currency)s already has a list valid in that period.")
                    % {"name": name, "currency": currency}
                ]
            },
        )


def customer_price_check_overlap(
    *, customer, product, currency: str, valid_from: date, valid_to: date | None, exclude_id: int | None = None
) -> None:
    end = valid_to or date.max
    clash = (
        CustomerPrice.objects.filter(customer=customer, product=product, currency=currency, valid_from__lte=end)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=valid_from))
        .exclude(pk=exclude_id)
    )
    if clash.exists():
        raise ValidationFailed(
            _("Overlapping validity."),
            field_errors={"valid_from": [_("This customer already has a price for this product in that period.")]},
        )


def price_for_entry(customer, product, quantity, currency):
    """Order entry's live price: the resolved unit price and standing discount, and where it came from."""
    day = timezone.localdate()
    try:
        price = price_resolve(customer=customer, product=product, quantity=quantity, currency=currency, day=day)
    except ValidationFailed:
        return None
    return price.unit_price, discount_resolve(customer=customer, product=product, day=day), price.source


def prices_for_entry(customer, items: list[tuple[Product, Decimal]], currency: str) -> list:
    """price_for_entry for all lines of a new order at once (providers "prices"): one query."""
    resolved = prices_resolve(customer=customer, lines=items, currency=currency, day=timezone.localdate(), strict=False)
    return [None if found is None else (found[0].unit_price, found[1], found[0].source) for found in resolved]


def score_margin(order) -> dict:
    """The priority's margin factor: 0 at no margin, 1 at 40% or more."""
    margin_percent = cost_estimate_calculate(order=order)["margin_percent"]
    if margin_percent is None:
        return {}
    value = min(max(margin_percent / Decimal("40"), ZERO), Decimal("1"))
    return {"margin": (value, f"margin {margin_percent}%")}


def price_list_import(*, price_list_id: int, rows) -> int:
    """Write checked rows (pricing.csv_io.price_list_csv_read) into a price list in one
    transaction: a row for an existing (product, minimum quantity) break replaces its price, the
    others are added. All or nothing. Returns how many prices were added or changed."""
    with transaction.atomic():
        price_list = PriceList.objects.select_for_update().get(pk=price_list_id)
        existing = {(i.product_id, i.min_quantity): i for i in price_list.items.all()}
        changed, new = [], []
        for row in rows:
            item = existing.get((row.product_id, row.min_quantity))
            if item is None:
                new.append(
                    PriceListItem(
                        price_list=price_list,
                        product_id=row.product_id,
                        min_quantity=row.min_quantity,
                        unit_price=row.unit_price,
                    )
                )
            elif item.unit_price != row.unit_price:
                item.unit_price = row.unit_price
                changed.append(item)
        PriceListItem.objects.bulk_create(new)
        PriceListItem.objects.bulk_update(changed, ["unit_price"])
    return len(new) + len(changed)
