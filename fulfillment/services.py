"""Every write to stock, reservations, back orders and shipments.

Stock levels change only through `_move`, which writes the ledger row in the same
transaction, so a level always equals the sum of its movements. Rows are locked in a
fixed order (order, then stock by product and site) so concurrent work cannot deadlock.
"""

from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from orders.errors import ValidationFailed
from orders.models import Order, OrderLine, Product, Site
from orders.services import number_reserve, order_facts_refresh, order_transition, outbox_enqueue
from orders.states import OrderStatus

from .errors import ShipmentStateError
from .models import BackOrder, Reservation, Shipment, ShipmentLine, StockLevel, StockMovement

ZERO = Decimal("0")
Kind = StockMovement.Kind
SHIPPABLE_STATUSES = (OrderStatus.READY_TO_SHIP, OrderStatus.PARTIALLY_SHIPPED)
OPEN_SHIPMENT_STATUSES = (Shipment.Status.PICKING, Shipment.Status.PACKED)


def _locked_stock(*, product_id: int, site_id: int) -> StockLevel:
    StockLevel.objects.get_or_create(product_id=product_id, site_id=site_id)
    return StockLevel.objects.select_for_update().get(product_id=product_id, site_id=site_id)


def _move(
    *,
    stock: StockLevel,
    kind: str,
    quantity: Decimal,
    on_hand: Decimal = ZERO,
    reserved: Decimal = ZERO,
    order_line=None,
    shipment=None,
    note: str = "",
    user=None,
) -> StockMovement:
    """Change a locked stock level and write its ledger row. The caller holds the lock."""
    stock.on_hand += on_hand
    stock.reserved += reserved
    stock.save(update_fields=["on_hand", "reserved"])
    return StockMovement.objects.create(
        stock=stock,
        kind=kind,
        quantity=quantity,
        on_hand_delta=on_hand,
        reserved_delta=reserved,
        order_line=order_line,
        shipment=shipment,
        note=note,
        created_by=user,
        created_at=timezone.now(),
    )


# --- stock ---------------------------------------------------------------------------------


def stock_receive(*, product: Product, site: Site, quantity: Decimal, user, note: str = "") -> StockLevel:
    """Goods arrive at a site. After commit, back orders for the product are tried again."""
    if quantity <= 0:
        raise ValidationFailed(
            _("Quantity must be positive."), field_errors={"quantity": [_("Must be greater than 0.")]}
        )
    with transaction.atomic():
        stock = _locked_stock(product_id=product.pk, site_id=site.pk)
        _move(stock=stock, kind=Kind.RECEIPT, quantity=quantity, on_hand=quantity, note=note, user=user)
        _queue_backorder_retry(product.pk)
    return stock


def stock_return(*, order_line: OrderLine, site: Site, quantity: Decimal, note: str = "") -> StockLevel:
    """Returned goods that passed inspection go back on the shelf: a "return" movement tied to the
    order line they came from. After commit, back orders for the product are tried again."""
    if quantity <= 0:
        raise ValidationFailed(
            _("Quantity must be positive."), field_errors={"quantity": [_("Must be greater than 0.")]}
        )
    with transaction.atomic():
        stock = _locked_stock(product_id=order_line.product_id, site_id=site.pk)
        _move(stock=stock, kind=Kind.RETURN, quantity=quantity, on_hand=quantity, order_line=order_line, note=note)
        _queue_backorder_retry(order_line.product_id)
    return stock


TOPIC_STOCK_ARRIVED = "fulfillment.stock_arrived"


def _queue_backorder_retry(product_id: int) -> None:
    """Retrying back orders is outbox work (fulfillment consumes its own topic), written in the
    transaction that brought the stock: a broker outage delays it but never fails or loses it."""
    outbox_enqueue(topic=TOPIC_STOCK_ARRIVED, order=None, payload={"product_id": product_id})


def stock_adjust(*, product: Product, site: Site, quantity_delta: Decimal, user, reason: str) -> StockLevel:
    """Correct what is on hand (a count, breakage) with a reason; never below what is reserved."""
    if not reason.strip():
        raise ValidationFailed(_("A reason is required."), field_errors={"reason": [_("Say why the stock changes.")]})
    if quantity_delta == 0:
        raise ValidationFailed(_("Nothing to adjust."), field_errors={"quantity_delta": [_("Must not be 0.")]})
    with transaction.atomic():
        stock = _locked_stock(product_id=product.pk, site_id=site.pk)
        if stock.on_hand + quantity_delta < stock.reserved:
            raise ValidationFailed(
                _("That would leave less on hand than is reserved."),
                field_errors={
                    "quantity_delta": [
                        _("At most %(reserved)s can be removed.") % {"reserved": stock.on_hand - stock.reserved}
                    ]
                },
            )
        _move(
            stock=stock,
            kind=Kind.ADJUSTMENT,
            quantity=abs(quantity_delta),
            on_hand=quantity_delta,
            note=reason.strip(),
            user=user,
        )
        if quantity_delta > 0:
            _queue_backorder_retry(product.pk)
    return stock


# --- reservation ---------------------------------------------------------------------------


def order_reserve_stock(*, order_id: int) -> dict:
    """Reserve what each open line still needs, from the order's own site first, else the
    sites with the most available; what cannot be reserved becomes (or stays) a back order
    with its expected date. Safe to call again at any time: it only tops up. An accepted
    order that is then fully reserved goes to ready_to_ship on its own (it ships from stock)."""
    reserved_now = backordered = ZERO
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order_id)
        if order.status in (OrderStatus.CANCELLED, OrderStatus.REJECTED, OrderStatus.CLOSED):
            return {"reserved": ZERO, "backordered": ZERO}
        lines = list(order.lines.select_for_update().order_by("product_id", "line_no"))
        sites = list(Site.objects.order_by("id").values_list("id", flat=True))
        for line in lines:
            need = line.quantity_ordered - line.quantity_shipped - line.quantity_reserved
            if need > 0:
                got = _reserve_line(line=line, need=need, preferred_site_id=order.site_id, sites=sites)
                reserved_now += got
                need -= got
            backordered += _backorder_set(order=order, line=line, quantity=max(need, ZERO))
        fully_reserved = all(line.quantity_reserved + line.quantity_shipped >= line.quantity_ordered for line in lines)
        if order.status == OrderStatus.ACCEPTED and fully_reserved and lines:
            order_transition(
                order_id=order.pk, action="mark_ready", actor=None, note="Every line is reserved from stock."
            )
    return {"reserved": reserved_now, "backordered": backordered}


def _reserve_line(*, line: OrderLine, need: Decimal, preferred_site_id, sites) -> Decimal:
    StockLevel.objects.bulk_create(
        [StockLevel(product_id=line.product_id, site_id=site_id) for site_id in sites], ignore_conflicts=True
    )
    stocks = list(StockLevel.objects.select_for_update().filter(product_id=line.product_id).order_by("site_id"))
    whole = [s for s in stocks if s.available >= need]
    if whole:
        # one site can ship the whole line: the order's own site if it can, else the first
        candidates = sorted(whole, key=lambda s: (s.site_id != preferred_site_id, s.site_id))[:1]
    else:
        candidates = sorted((s for s in stocks if s.available > 0), key=lambda s: (-s.available, s.site_id))
    got = ZERO
    for stock in candidates:
        take = min(stock.available, need - got)
        if take <= 0:
            break
        _move(
            stock=stock,
            kind=Kind.RESERVATION,
            quantity=take,
            reserved=take,
            order_line=line,
            note=f"Order {line.order.number} line {line.line_no}",
        )
        reservation, _created = Reservation.objects.get_or_create(
            order_line=line, site_id=stock.site_id, defaults={"quantity": ZERO}
        )
        reservation.quantity += take
        reservation.save(update_fields=["quantity"])
        got += take
    if got:
        line.quantity_reserved += got
        line.save(update_fields=["quantity_reserved"])
    return got


def _backorder_set(*, order: Order, line: OrderLine, quantity: Decimal) -> Decimal:
    if quantity <= 0:
        BackOrder.objects.filter(order_line=line).delete()
        return ZERO
    expected = order.promised_date or (timezone.localdate() + timedelta(days=settings.OMC_BACKORDER_LEAD_DAYS))
    BackOrder.objects.update_or_create(
        order_line=line,
        defaults={"order": order, "product_id": line.product_id, "quantity": quantity, "expected_date": expected},
        create_defaults={
            "order": order,
            "product_id": line.product_id,
            "quantity": quantity,
            "expected_date": expected,
            "created_at": timezone.now(),
        },
    )
    return quantity


def order_release_stock(*, order_id: int, user=None) -> Decimal:
    """Give back everything an order has reserved and drop its back orders (on cancellation)."""
    released = ZERO
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order_id)
        lines = {line.pk: line for line in order.lines.select_for_update()}
        reservations = (
            Reservation.objects.select_related("order_line")
            .filter(order_line__order=order, quantity__gt=0)
            .order_by("order_line__product_id", "site_id")
        )
        for reservation in reservations:
            line = lines[reservation.order_line_id]
            stock = _locked_stock(product_id=line.product_id, site_id=reservation.site_id)
            _move(
                stock=stock,
                kind=Kind.RELEASE,
                quantity=reservation.quantity,
                reserved=-reservation.quantity,
                order_line=line,
                note=f"Order {order.number} released",
                user=user,
            )
            line.quantity_reserved -= reservation.quantity
            released += reservation.quantity
            reservation.quantity = ZERO
            reservation.save(update_fields=["quantity"])
        OrderLine.objects.bulk_update(lines.values(), ["quantity_reserved"])
        BackOrder.objects.filter(order=order).delete()
        Shipment.objects.filter(order=order, status__in=OPEN_SHIPMENT_STATUSES).update(status=Shipment.Status.CANCELLED)
    return released


def backorders_retry(*, product_id: int) -> int:
    """Try again to reserve the back orders of a product, most important orders first.
    Returns how many orders got something."""
    from django.db.models import F

    order_ids = list(
        BackOrder.objects.filter(product_id=product_id)
        .order_by(
            F("order__priority_score").desc(nulls_last=True),
            F("order__promised_date").asc(nulls_last=True),
            "created_at",
        )
        .values_list("order_id", flat=True)
    )
    served = 0
    for order_id in dict.fromkeys(order_ids):
        if order_reserve_stock(order_id=order_id)["reserved"] > 0:
            served += 1
    return served


# --- shipments -----------------------------------------------------------------------------


def _locked_shipment(shipment_id: int, *allowed) -> Shipment:
    shipment = Shipment.objects.select_for_update().select_related("order").get(pk=shipment_id)
    if shipment.status not in allowed:
        raise ShipmentStateError(
            _("Shipment %(number)s is %(lower)s: that step is not possible now.")
            % {"number": shipment.number, "lower": shipment.get_status_display().lower()}
        )
    return shipment


def _locked_order_and_shipment(shipment_id: int, *allowed) -> tuple[Order, Shipment]:
    """Lock the order before its shipment, the order every service that touches both keeps
    (cancelling an order locks it, then releases its stock and cancels its open shipments):
    the other way round two of them deadlock."""
    order_id = Shipment.objects.filter(pk=shipment_id).values_list("order_id", flat=True).get()
    order = Order.objects.select_for_update().get(pk=order_id)
    return order, _locked_shipment(shipment_id, *allowed)


def shipment_start(*, order_id: int, site_id: int, user) -> Shipment:
    """Start picking an order at a site: a shipment for everything reserved there that no
    open shipment already covers."""
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order_id)
        if order.status not in SHIPPABLE_STATUSES:
            raise ShipmentStateError(
                _("Order %(number)s is %(lower)s, not ready to ship.")
                % {"number": order.number, "lower": order.get_status_display().lower()}
            )
        in_open_shipments = {}
        for line in ShipmentLine.objects.filter(
            shipment__order=order, shipment__site_id=site_id, shipment__status__in=OPEN_SHIPMENT_STATUSES
        ):
            in_open_shipments[line.order_line_id] = (
                in_open_shipments.get(line.order_line_id, ZERO) + line.quantity_picked
            )
        to_pick = []
        for reservation in Reservation.objects.filter(
            order_line__order=order, site_id=site_id, quantity__gt=0
        ).select_related("order_line"):
            quantity = reservation.quantity - in_open_shipments.get(reservation.order_line_id, ZERO)
            if quantity > 0:
                to_pick.append((reservation.order_line, quantity))
        if not to_pick:
            raise ValidationFailed(
                _("Nothing reserved at this site is left to pick for this order."),
                field_errors={"site": [_("Nothing to pick here.")]},
            )
        shipment = Shipment.objects.create(
            number=f"SH-{number_reserve(name='shipment'):07d}",
            order=order,
            site_id=site_id,
            created_by=user,
            created_at=timezone.now(),
        )
        for line, quantity in sorted(to_pick, key=lambda item: item[0].line_no):
            ShipmentLine.objects.create(
                shipment=shipment, order_line=line, quantity_picked=quantity, quantity_packed=quantity
            )
            stock = _locked_stock(product_id=line.product_id, site_id=site_id)
            _move(
                stock=stock,
                kind=Kind.PICK,
                quantity=quantity,
                order_line=line,
                shipment=shipment,
                note=f"Picked for {shipment.number}",
                user=user,
            )
    return shipment


def shipment_pack(
    *, shipment_id: int, quantities: dict[int, Decimal], packages: int, weight_kg: Decimal, user
) -> Shipment:
    """Confirm what goes in the boxes (at most what was picked), how many packages and their weight."""
    with transaction.atomic():
        shipment = _locked_shipment(shipment_id, Shipment.Status.PICKING)
        lines = {line.order_line_id: line for line in shipment.lines.select_for_update()}
        errors = [_("Line %(k)s is not on this shipment.") % {"k": k} for k in quantities if k not in lines]
        errors += [
            f"Line {lines[k].order_line_id}: at most {lines[k].quantity_picked}."
            for k, q in quantities.items()
            if k in lines and not ZERO <= q <= lines[k].quantity_picked
        ]
        if errors:
            raise ValidationFailed(" ".join(errors), field_errors={"quantities": errors})
        for order_line_id, quantity in quantities.items():
            lines[order_line_id].quantity_packed = quantity
        if not any(line.quantity_packed > 0 for line in lines.values()):
            raise ValidationFailed(
                _("Pack at least one item."), field_errors={"quantities": [_("All quantities are 0.")]}
            )
        if packages < 1:
            raise ValidationFailed(_("At least one package."), field_errors={"packages": [_("Must be at least 1.")]})
        ShipmentLine.objects.bulk_update(lines.values(), ["quantity_packed"])
        shipment.packages, shipment.weight_kg = packages, weight_kg
        shipment.status, shipment.packed_at = Shipment.Status.PACKED, timezone.now()
        shipment.save(update_fields=["packages", "weight_kg", "status", "packed_at"])
    return shipment


def shipment_ship(*, shipment_id: int, carrier: str, service: str, tracking_number: str, ship_date, user) -> Shipment:
    """Hand a packed shipment to the carrier: stock leaves (ledger), the order lines' shipped
    quantities grow and the order moves by its `ship` action, all in one transaction — so a
    user who may not ship, or an order that may not, changes nothing."""
    with transaction.atomic():
        order, shipment = _locked_order_and_shipment(shipment_id, Shipment.Status.PACKED)
        order_lines = {line.pk: line for line in order.lines.select_for_update()}
        for shipment_line in shipment.lines.all():
            quantity = shipment_line.quantity_packed
            if quantity <= 0:
                continue
            line = order_lines[shipment_line.order_line_id]
            stock = _locked_stock(product_id=line.product_id, site_id=shipment.site_id)
            _move(
                stock=stock,
                kind=Kind.SHIP,
                quantity=quantity,
                on_hand=-quantity,
                reserved=-quantity,
                order_line=line,
                shipment=shipment,
                note=f"{shipment.number} via {carrier}",
                user=user,
            )
            reservation = Reservation.objects.select_for_update().get(order_line=line, site_id=shipment.site_id)
            reservation.quantity -= quantity
            reservation.save(update_fields=["quantity"])
            line.quantity_reserved -= quantity
            line.quantity_shipped += quantity
        OrderLine.objects.bulk_update(order_lines.values(), ["quantity_reserved", "quantity_shipped"])
        shipment.carrier, shipment.service, shipment.tracking_number = carrier, service, tracking_number
        shipment.ship_date, shipment.status, shipment.shipped_at = ship_date, Shipment.Status.SHIPPED, timezone.now()
        shipment.save(update_fields=["carrier", "service", "tracking_number", "ship_date", "status", "shipped_at"])
        shipped = {
            str(line.order_line_id): str(line.quantity_packed)
            for line in shipment.lines.all()
            if line.quantity_packed > 0
        }
        order_transition(
            order_id=order.pk,
            action="ship",
            actor=user,
            note=f"{shipment.number}: {carrier} {service} {tracking_number}".strip(),
            data={"shipment": shipment.number, "lines": shipped},
        )
    return shipment


def shipment_deliver(*, shipment_id: int, user, delivered_at=None) -> Shipment:
    """Record that the customer received a shipment (the warehouse, or a carrier through the
    API). When the order has shipped completely and every shipment has arrived, the order is
    delivered."""
    delivered_at = delivered_at or timezone.now()
    if delivered_at > timezone.now() + timedelta(minutes=5):
        raise ValidationFailed(
            _("Delivery cannot be in the future."), field_errors={"delivered_at": [_("Must not be in the future.")]}
        )
    with transaction.atomic():
        order, shipment = _locked_order_and_shipment(shipment_id, Shipment.Status.SHIPPED)
        if shipment.shipped_at and delivered_at < shipment.shipped_at - timedelta(days=1):
            raise ValidationFailed(
                _("Delivered before it shipped?"), field_errors={"delivered_at": [_("Must be after the ship date.")]}
            )
        shipment.status, shipment.delivered_at = Shipment.Status.DELIVERED, delivered_at
        shipment.save(update_fields=["status", "delivered_at"])
        still_travelling = Shipment.objects.filter(order=order, status=Shipment.Status.SHIPPED).exists()
        if order.status == OrderStatus.SHIPPED and not still_travelling:
            order_transition(
                order_id=order.pk,
                action="deliver",
                actor=user,
                note=f"{shipment.number} delivered {delivered_at:%Y-%m-%d %H:%M}",
            )
        else:  # the move refreshes them; a partial delivery may be a late one
            order_facts_refresh(order_ids=[order.pk])
    return shipment


def on_order_delivered(*, order, actor) -> None:
    """Delivery confirmed on the order itself (not per shipment): every shipment still on its way
    arrived with it, so the shipment records agree with the order."""
    Shipment.objects.filter(order=order, status=Shipment.Status.SHIPPED).update(
        status=Shipment.Status.DELIVERED, delivered_at=timezone.now()
    )


def shipment_cancel(*, shipment_id: int, user) -> Shipment:
    """Abandon a shipment not yet shipped: the goods go back on the shelf, still reserved."""
    with transaction.atomic():
        shipment = _locked_shipment(shipment_id, *OPEN_SHIPMENT_STATUSES)
        shipment.status = Shipment.Status.CANCELLED
        shipment.save(update_fields=["status"])
    return shipment
