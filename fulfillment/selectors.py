"""Reads for the warehouse screens and the order page."""

from collections import defaultdict
from datetime import date, datetime, time
from decimal import Decimal

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from orders.models import Order
from orders.roles import Role, user_roles

from .models import BackOrder, Reservation, Shipment, ShipmentLine, StockLevel, StockMovement
from .services import OPEN_SHIPMENT_STATUSES, SHIPPABLE_STATUSES

FULFILLMENT_READERS = {
    Role.WAREHOUSE,
    Role.EXECUTIVE,
    Role.CUSTOMER_SERVICE,
    Role.SCHEDULER,
    Role.SALES_REP,
    Role.FINANCE,
}


def stock_list(*, site_id: int | None = None, search: str | None = None, available_only: bool = False) -> QuerySet:
    qs = StockLevel.objects.select_related("product", "site").annotate(available_qty=F("on_hand") - F("reserved"))
    if site_id:
        qs = qs.filter(site_id=site_id)
    if search:
        qs = qs.filter(Q(product__sku__icontains=search) | Q(product__name__icontains=search))
    if available_only:
        qs = qs.filter(available_qty__gt=0)
    return qs.order_by("product__sku", "site__code")


def stock_ledger(*, stock: StockLevel, limit: int = 50) -> list[StockMovement]:
    return list(
        stock.movements.select_related("created_by", "order_line__order").order_by("-created_at", "-id")[:limit]
    )


def stock_ledger_mismatches() -> QuerySet:
    """Stock levels whose balance differs from the sum of their movements (should be none)."""
    return StockLevel.objects.annotate(
        ledger_on_hand=Sum("movements__on_hand_delta", default=Decimal("0")),
        ledger_reserved=Sum("movements__reserved_delta", default=Decimal("0")),
    ).exclude(on_hand=F("ledger_on_hand"), reserved=F("ledger_reserved"))


def pick_list(*, site_id: int | None = None) -> QuerySet:
    """Reservations still to pick — orders ready to ship, not covered by an open shipment at
    that site — highest priority first, then the earliest promised date."""
    open_shipment = Shipment.objects.filter(
        order_id=OuterRef("order_line__order_id"), site_id=OuterRef("site_id"), status__in=OPEN_SHIPMENT_STATUSES
    )
    qs = (
        Reservation.objects.filter(quantity__gt=0, order_line__order__status__in=SHIPPABLE_STATUSES)
        .exclude(Exists(open_shipment))
        .select_related("site", "order_line__product", "order_line__order__customer")
    )
    if site_id:
        qs = qs.filter(site_id=site_id)
    return qs.order_by(
        "site__code",
        F("order_line__order__priority_score").desc(nulls_last=True),
        F("order_line__order__promised_date").asc(nulls_last=True),
        "order_line__order_id",
        "order_line__line_no",
    )


def shipment_list(*, status: str | None = None, search: str | None = None) -> QuerySet:
    qs = Shipment.objects.select_related("order__customer", "site")
    if status:
        qs = qs.filter(status=status)
    if search:
        qs = qs.filter(
            Q(number__icontains=search) | Q(order__number__icontains=search) | Q(tracking_number__icontains=search)
        )
    return qs.order_by("-created_at", "-id")


def shipment_detail(*, shipment_id: int) -> Shipment:
    return (
        Shipment.objects.select_related("order__customer", "site", "created_by")
        .prefetch_related("lines__order_line__product")
        .get(pk=shipment_id)
    )


def shipment_on_time(shipment: Shipment) -> bool | None:
    """Delivered on or before the order's promised date; None until both are known."""
    if not shipment.delivered_at or not shipment.order.promised_date:
        return None
    return shipment.delivered_at.date() <= shipment.order.promised_date


def backorder_list(*, product_id: int | None = None) -> QuerySet:
    qs = BackOrder.objects.select_related("order__customer", "product", "order_line")
    if product_id:
        qs = qs.filter(product_id=product_id)
    return qs.order_by("expected_date", "id")


def order_fulfillment_panel(order: Order, user) -> dict | None:
    """Reservations, back orders and shipments of one order, for the order page."""
    if not user_roles(user) & FULFILLMENT_READERS:
        return None
    reservations = list(
        Reservation.objects.filter(order_line__order=order, quantity__gt=0)
        .select_related("site", "order_line__product")
        .order_by("order_line__line_no", "site_id")
    )
    backorders = list(
        BackOrder.objects.filter(order=order).select_related("order_line__product").order_by("order_line__line_no")
    )
    shipments = list(Shipment.objects.filter(order=order).select_related("site").order_by("created_at", "id"))
    for shipment in shipments:
        shipment.order = order
        shipment.on_time = shipment_on_time(shipment)
    if not (reservations or backorders or shipments):
        return None
    return {"reservations": reservations, "backorders": backorders, "shipments": shipments}


def shipment_lines_with_prices(shipment: Shipment) -> list[ShipmentLine]:
    return list(shipment.lines.select_related("order_line__product").order_by("order_line__line_no"))


def sell_now_in_stock(_obj, user) -> dict | None:
    """Products with stock beyond reservations, per site: they can ship today."""
    if not user_roles(user) & {Role.SALES_REP, Role.EXECUTIVE, Role.CUSTOMER_SERVICE}:
        return None
    rows = list(
        stock_list(available_only=True).filter(product__active=True).order_by("-available_qty", "product__sku")[:25]
    )
    return {"rows": rows}


def promise_from_stock(product, quantity, site) -> list:
    """Order entry's available-to-promise from stock: every site holding the quantity beyond its
    reservations can ship it today (the order's own site is named first)."""
    return promises_from_stock([(product, quantity)], site)[0]


def promises_from_stock(items: list[tuple], site) -> list[list]:
    """promise_from_stock for all lines of an order in one query (providers "promises")."""
    from orders.providers import Promise

    today = timezone.localdate()
    stocks = defaultdict(list)
    for stock in (
        StockLevel.objects.select_related("site")
        .filter(product_id__in={product.pk for product, _quantity in items})
        .annotate(available_qty=F("on_hand") - F("reserved"))
    ):
        stocks[stock.product_id].append(stock)
    answers = []
    for product, quantity in items:
        holding = [s for s in stocks[product.pk] if s.available_qty >= quantity]
        ordered = sorted(holding, key=lambda s: (site is None or s.site_id != site.pk, s.site.code))
        answers.append([Promise(today, f"from stock at {s.site.name}") for s in ordered[:1]])
    return answers


# A shipment delivered on or before its order's promised date (the dashboard's on-time delivery).
ON_TIME = Q(delivered_at__date__lte=F("order__promised_date"))
# Its opposite, for shipments delivered to orders with a promised date.
LATE = Q(delivered_at__date__gt=F("order__promised_date"))


def deliveries_per_day(since: date | None) -> QuerySet:
    """Shipments delivered per day (project time zone), site and customer tier of their order,
    of orders with a promised date: how many, and how many by the promised date. For the
    dashboard's daily rollups (orders.facts.register_days); days from `since` on, or all."""
    shipments = Shipment.objects.filter(delivered_at__isnull=False, order__promised_date__isnull=False)
    if since is not None:
        shipments = shipments.filter(delivered_at__gte=timezone.make_aware(datetime.combine(since, time.min)))
    return (
        shipments.annotate(
            day=TruncDate("delivered_at"), order_site=F("order__site_id"), tier=F("order__customer__tier")
        )
        .values("day", "order_site", "tier")
        .annotate(deliveries=Count("id"), deliveries_on_time=Count("id", filter=ON_TIME))
        .values("day", "order_site", "tier", "deliveries", "deliveries_on_time")
    )
