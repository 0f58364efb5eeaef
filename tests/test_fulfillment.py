"""Stock, reservation, back orders, pick-pack-ship and delivery."""

import threading
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from fulfillment import selectors, services
from fulfillment.errors import ShipmentStateError
from fulfillment.models import BackOrder, Reservation, Shipment, StockLevel, StockMovement
from orders.errors import ActionNotPermitted, ValidationFailed
from orders.models import Order, OrderLine
from orders.roles import Role
from orders.services import order_transition
from orders.states import OrderStatus

from .factories import OrderFactory, OrderLineFactory, ProductFactory, SiteFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def site():
    return SiteFactory(code="A")


@pytest.fixture
def warehouse(user_with):
    return user_with(Role.WAREHOUSE)


def _order(*lines, status=OrderStatus.ENTERED, **kwargs):
    """An order with lines given as (product, quantity)."""
    order = OrderFactory(status=status, **kwargs)
    for line_no, (product, quantity) in enumerate(lines, start=1):
        OrderLineFactory(order=order, line_no=line_no, product=product, quantity_ordered=Decimal(quantity))
    return order


def _accept(order, user_with, capture):
    with capture(execute=True):
        order_transition(order_id=order.pk, action="accept", actor=user_with(Role.REVIEW_BOARD))
    order.refresh_from_db()
    return order


def _ship_all_reserved(order, site, warehouse, **ship):
    shipment = services.shipment_start(order_id=order.pk, site_id=site.pk, user=warehouse)
    services.shipment_pack(shipment_id=shipment.pk, quantities={}, packages=1, weight_kg=Decimal("2.5"), user=warehouse)
    return services.shipment_ship(
        shipment_id=shipment.pk,
        carrier=ship.get("carrier", "DHL"),
        service="Express",
        tracking_number="TRK1",
        ship_date=timezone.localdate(),
        user=warehouse,
    )


def test_receiving_stock_writes_the_ledger(site, warehouse):
    product = ProductFactory()
    services.stock_receive(product=product, site=site, quantity=Decimal("12"), user=warehouse, note="PO 77")
    services.stock_adjust(product=product, site=site, quantity_delta=Decimal("-2"), user=warehouse, reason="Broken")

    stock = StockLevel.objects.get(product=product, site=site)
    assert (stock.on_hand, stock.reserved) == (Decimal("10"), Decimal("0"))
    assert list(stock.movements.values_list("kind", "on_hand_delta")) == [
        ("receipt", Decimal("12")),
        ("adjustment", Decimal("-2")),
    ]
    assert not selectors.stock_ledger_mismatches().exists()


def test_stock_input_is_checked(site, warehouse):
    product = ProductFactory()
    with pytest.raises(ValidationFailed):
        services.stock_receive(product=product, site=site, quantity=Decimal("0"), user=warehouse)
    with pytest.raises(ValidationFailed, match="reason"):
        services.stock_adjust(product=product, site=site, quantity_delta=Decimal("1"), user=warehouse, reason=" ")


def test_accepting_an_order_in_stock_reserves_it_and_makes_it_ready_to_ship(
    site, warehouse, user_with, django_capture_on_commit_callbacks
):
    product = ProductFactory()
    services.stock_receive(product=product, site=site, quantity=Decimal("10"), user=warehouse)
    order = _order((product, "4"))

    order = _accept(order, user_with, django_capture_on_commit_callbacks)

    assert order.status == OrderStatus.READY_TO_SHIP
    assert order.events.last().note == "Every line is reserved from stock."
    assert OrderLine.objects.get(order=order).quantity_reserved == Decimal("4")
    stock = StockLevel.objects.get(product=product, site=site)
    assert (stock.on_hand, stock.reserved, stock.available) == (Decimal("10"), Decimal("4"), Decimal("6"))
    assert not BackOrder.objects.exists()


def test_what_cannot_be_reserved_is_back_ordered_with_its_expected_date(
    site, warehouse, user_with, django_capture_on_commit_callbacks
):
    product = ProductFactory()
    services.stock_receive(product=product, site=site, quantity=Decimal("3"), user=warehouse)
    order = _order((product, "5"), promised_date=date(2027, 1, 15))

    order = _accept(order, user_with, django_capture_on_commit_callbacks)

    assert order.status == OrderStatus.ACCEPTED  # not all in stock: production or receipts must come first
    backorder = BackOrder.objects.get(order=order)
    assert (backorder.quantity, backorder.expected_date) == (Decimal("2"), date(2027, 1, 15))


def test_reservation_takes_the_site_that_can_ship_the_whole_line(
    warehouse, user_with, django_capture_on_commit_callbacks
):
    small, large = SiteFactory(code="S"), SiteFactory(code="L")
    product = ProductFactory()
    services.stock_receive(product=product, site=small, quantity=Decimal("2"), user=warehouse)
    services.stock_receive(product=product, site=large, quantity=Decimal("50"), user=warehouse)
    order = _accept(_order((product, "5")), user_with, django_capture_on_commit_callbacks)

    assert list(Reservation.objects.filter(order_line__order=order).values_list("site__code", "quantity")) == [
        ("L", Decimal("5"))
    ]


@pytest.mark.django_db(transaction=True)
def test_twenty_parallel_reservations_against_ten_in_stock(site, warehouse):
    product = ProductFactory()
    services.stock_receive(product=product, site=site, quantity=Decimal("10"), user=warehouse)
    orders = [_order((product, "1"), status=OrderStatus.ACCEPTED) for _ in range(20)]
    start = threading.Barrier(20)
    errors = []

    def reserve(order_id):
        try:
            start.wait(timeout=20)
            services.order_reserve_stock(order_id=order_id)
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=reserve, args=(order.pk,)) for order in orders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    stock = StockLevel.objects.get(product=product, site=site)
    assert (stock.on_hand, stock.reserved) == (Decimal("10"), Decimal("10"))
    assert sum(OrderLine.objects.filter(product=product).values_list("quantity_reserved", flat=True)) == 10
    assert BackOrder.objects.count() == 10
    assert Order.objects.filter(status=OrderStatus.READY_TO_SHIP).count() == 10
    assert not selectors.stock_ledger_mismatches().exists()


def test_partial_shipment_then_back_order_then_completion_and_delivery(
    site, warehouse, user_with, django_capture_on_commit_callbacks
):
    bolts, nuts = ProductFactory(sku="BOLT"), ProductFactory(sku="NUT")
    services.stock_receive(product=bolts, site=site, quantity=Decimal("10"), user=warehouse)
    order = _order((bolts, "10"), (nuts, "6"), promised_date=timezone.localdate() + timedelta(days=3))
    order = _accept(order, user_with, django_capture_on_commit_callbacks)
    order_transition(order_id=order.pk, action="mark_ready", actor=warehouse, note="Ship what we have")

    first = _ship_all_reserved(order, site, warehouse)
    order.refresh_from_db()
    assert order.status == OrderStatus.PARTIALLY_SHIPPED
    assert first.lines.get().order_line.product == bolts
    assert BackOrder.objects.get(order=order).quantity == Decimal("6")

    # the nuts arrive: the back order is reserved by the retry that the receipt queues
    with django_capture_on_commit_callbacks(execute=True):
        services.stock_receive(product=nuts, site=site, quantity=Decimal("6"), user=warehouse)
    assert not BackOrder.objects.filter(order=order).exists()
    second = _ship_all_reserved(order, site, warehouse)
    order.refresh_from_db()
    assert order.status == OrderStatus.SHIPPED
    assert [line.quantity_shipped for line in order.lines.order_by("line_no")] == [Decimal("10"), Decimal("6")]

    services.shipment_deliver(shipment_id=first.pk, user=warehouse)
    assert Order.objects.get(pk=order.pk).status == OrderStatus.SHIPPED  # the second is still on the road
    services.shipment_deliver(shipment_id=second.pk, user=warehouse)
    order.refresh_from_db()
    assert order.status == OrderStatus.DELIVERED
    assert selectors.shipment_on_time(Shipment.objects.get(pk=second.pk)) is True
    stock = StockLevel.objects.get(product=nuts, site=site)
    assert (stock.on_hand, stock.reserved) == (Decimal("0"), Decimal("0"))
    assert not selectors.stock_ledger_mismatches().exists()


def test_packing_less_than_picked_ships_that_and_keeps_the_rest_reserved(
    site, warehouse, user_with, django_capture_on_commit_callbacks
):
    product = ProductFactory()
    services.stock_receive(product=product, site=site, quantity=Decimal("10"), user=warehouse)
    order = _accept(_order((product, "8")), user_with, django_capture_on_commit_callbacks)
    shipment = services.shipment_start(order_id=order.pk, site_id=site.pk, user=warehouse)
    line = shipment.lines.get()

    services.shipment_pack(
        shipment_id=shipment.pk,
        quantities={line.order_line_id: Decimal("5")},
        packages=2,
        weight_kg=Decimal("7"),
        user=warehouse,
    )
    services.shipment_ship(
        shipment_id=shipment.pk,
        carrier="UPS",
        service="Ground",
        tracking_number="1Z",
        ship_date=timezone.localdate(),
        user=warehouse,
    )

    order_line = OrderLine.objects.get(order=order)
    assert (order_line.quantity_shipped, order_line.quantity_reserved) == (Decimal("5"), Decimal("3"))
    assert Order.objects.get(pk=order.pk).status == OrderStatus.PARTIALLY_SHIPPED
    assert [r.order_line_id for r in selectors.pick_list()] == [order_line.pk]  # the rest is back on the pick list


def test_cancelling_an_order_releases_its_reservations(site, warehouse, user_with, django_capture_on_commit_callbacks):
    product = ProductFactory()
    services.stock_receive(product=product, site=site, quantity=Decimal("5"), user=warehouse)
    order = _accept(_order((product, "8")), user_with, django_capture_on_commit_callbacks)
    assert BackOrder.objects.filter(order=order).exists()

    with django_capture_on_commit_callbacks(execute=True):
        order_transition(order_id=order.pk, action="cancel", actor=user_with(Role.SALES_REP), note="Customer left")

    stock = StockLevel.objects.get(product=product, site=site)
    assert (stock.on_hand, stock.reserved) == (Decimal("5"), Decimal("0"))
    assert OrderLine.objects.get(order=order).quantity_reserved == 0
    assert not BackOrder.objects.filter(order=order).exists()
    assert stock.movements.filter(kind="release").get().quantity == Decimal("5")
    assert not selectors.stock_ledger_mismatches().exists()


def test_a_user_who_may_not_ship_changes_nothing(site, warehouse, user_with, django_capture_on_commit_callbacks):
    product = ProductFactory()
    services.stock_receive(product=product, site=site, quantity=Decimal("5"), user=warehouse)
    order = _accept(_order((product, "5")), user_with, django_capture_on_commit_callbacks)
    shipment = services.shipment_start(order_id=order.pk, site_id=site.pk, user=warehouse)
    services.shipment_pack(shipment_id=shipment.pk, quantities={}, packages=1, weight_kg=Decimal("1"), user=warehouse)
    movements_before = StockMovement.objects.count()

    with pytest.raises(ActionNotPermitted):
        services.shipment_ship(
            shipment_id=shipment.pk,
            carrier="DHL",
            service="",
            tracking_number="X",
            ship_date=timezone.localdate(),
            user=user_with(Role.FINANCE),
        )

    assert Shipment.objects.get(pk=shipment.pk).status == Shipment.Status.PACKED
    assert OrderLine.objects.get(order=order).quantity_shipped == 0
    assert StockMovement.objects.count() == movements_before


def test_shipment_steps_out_of_order_are_refused(site, warehouse, user_with, django_capture_on_commit_callbacks):
    product = ProductFactory()
    services.stock_receive(product=product, site=site, quantity=Decimal("5"), user=warehouse)
    order = _accept(_order((product, "5")), user_with, django_capture_on_commit_callbacks)
    shipment = services.shipment_start(order_id=order.pk, site_id=site.pk, user=warehouse)

    with pytest.raises(ShipmentStateError):
        services.shipment_ship(
            shipment_id=shipment.pk,
            carrier="DHL",
            service="",
            tracking_number="X",
            ship_date=timezone.localdate(),
            user=warehouse,
        )
    with pytest.raises(ShipmentStateError):
        services.shipment_deliver(shipment_id=shipment.pk, user=warehouse)
    with pytest.raises(ValidationFailed, match="Nothing reserved"):
        services.shipment_start(order_id=order.pk, site_id=site.pk, user=warehouse)  # all already picked
    with pytest.raises(ValidationFailed):
        services.shipment_pack(
            shipment_id=shipment.pk,
            quantities={shipment.lines.get().order_line_id: Decimal("9")},
            packages=1,
            weight_kg=Decimal("1"),
            user=warehouse,
        )


def test_the_pick_list_puts_priority_first_then_promised_date(
    site, warehouse, user_with, django_capture_on_commit_callbacks
):
    product = ProductFactory()
    services.stock_receive(product=product, site=site, quantity=Decimal("100"), user=warehouse)
    late = _order((product, "1"), promised_date=date(2027, 3, 1), priority_score=Decimal("50"))
    early = _order((product, "1"), promised_date=date(2027, 2, 1), priority_score=Decimal("50"))
    urgent = _order((product, "1"), promised_date=date(2027, 4, 1), priority_score=Decimal("90"))
    for order in (late, early, urgent):
        _accept(order, user_with, django_capture_on_commit_callbacks)

    assert [r.order_line.order_id for r in selectors.pick_list()] == [urgent.pk, early.pk, late.pk]


def test_goods_produced_for_an_order_are_received_and_reserved_for_it(
    site, warehouse, user_with, django_capture_on_commit_callbacks
):
    from orders.models import OutboxMessage
    from orders.services import outbox_process

    product = ProductFactory()
    order = _accept(_order((product, "6")), user_with, django_capture_on_commit_callbacks)
    assert BackOrder.objects.get(order=order).quantity == Decimal("6")
    line = order.lines.get()

    # production publishes what it made (as scheduling does when an order's last job finishes)
    message = OutboxMessage.objects.create(
        topic="scheduling.produced",
        order=order,
        created_at=timezone.now(),
        payload={"site_id": site.pk, "lines": {str(line.pk): "6"}},
    )
    assert outbox_process(message_id=message.pk) is True

    line.refresh_from_db()
    assert line.quantity_reserved == Decimal("6")
    assert not BackOrder.objects.filter(order=order).exists()
    stock = StockLevel.objects.get(product=product, site=site)
    assert (stock.on_hand, stock.reserved) == (Decimal("6"), Decimal("6"))
    assert stock.movements.filter(kind="receipt").get().note == f"Produced for order {order.number}"
