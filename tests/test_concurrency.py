"""Transactions racing on the same orders, on PostgreSQL: the row locks let exactly one win, the
event log holds only legal moves and no update is lost."""

import random
import threading
import time
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection, transaction

from fulfillment import services as fulfillment
from fulfillment.models import StockLevel
from fulfillment.selectors import stock_ledger_mismatches
from orders import services
from orders.errors import DomainError, InvalidTransition
from orders.models import Order, OrderEvent, OrderLine
from orders.roles import Role
from orders.states import OrderStatus

from .factories import OrderFactory, OrderLineFactory, ProductFactory, SiteFactory
from .invariants import event_log_violations


def _in_thread(target, results, key):
    def run():
        try:
            results[key] = target()
        except Exception as exc:  # noqa: BLE001 - the test inspects what each side got
            results[key] = exc
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


@pytest.mark.django_db(transaction=True)
def test_accept_and_reject_racing_on_one_order_exactly_one_wins(order_in, user_with):
    order = order_in(OrderStatus.ENTERED)
    board = user_with(Role.REVIEW_BOARD)
    accepted_and_holding_lock = threading.Event()
    results = {}

    def accept():
        with transaction.atomic():
            moved = services.order_transition(order_id=order.pk, action="accept", actor=board)
            accepted_and_holding_lock.set()
            time.sleep(0.5)  # keep the row locked while the rejection arrives
            return moved.status

    def reject():
        accepted_and_holding_lock.wait(timeout=10)
        # Without the row lock this would read "entered" and succeed too.
        return services.order_transition(order_id=order.pk, action="reject", actor=board, note="No capacity")

    threads = [_in_thread(accept, results, "accept"), _in_thread(reject, results, "reject")]
    for thread in threads:
        thread.join(timeout=30)

    assert results["accept"] == OrderStatus.ACCEPTED
    assert isinstance(results["reject"], InvalidTransition)
    assert "is accepted" in results["reject"].message
    assert Order.objects.get(pk=order.pk).status == OrderStatus.ACCEPTED
    assert list(OrderEvent.objects.filter(order=order).values_list("action", flat=True)) == ["accept"]


@pytest.mark.django_db(transaction=True)
def test_many_concurrent_accepts_record_one_event(order_in, user_with):
    order = order_in(OrderStatus.ENTERED)
    board = user_with(Role.REVIEW_BOARD)
    start = threading.Barrier(4)
    results = {}

    def accept():
        start.wait(timeout=10)
        return services.order_transition(order_id=order.pk, action="accept", actor=board).status

    threads = [_in_thread(accept, results, n) for n in range(4)]
    for thread in threads:
        thread.join(timeout=30)

    winners = [r for r in results.values() if r == OrderStatus.ACCEPTED]
    losers = [r for r in results.values() if isinstance(r, InvalidTransition)]
    assert (len(winners), len(losers)) == (1, 3)
    assert OrderEvent.objects.filter(order=order).count() == 1


# --- 8 threads, conflicting actions, the real services ------------------------------------------


def _eight_threads(work):
    """Run work(thread_no) in 8 threads released together; returns {thread_no: [outcomes]}."""
    start = threading.Barrier(8)
    results = {}

    def run(n):
        try:
            start.wait(timeout=30)
            results[n] = work(n)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(results) == 8, "a thread did not finish"
    return results


@pytest.mark.django_db(transaction=True)
def test_eight_threads_shipping_and_cancelling_the_same_orders(user_with):
    site, product = SiteFactory(), ProductFactory()
    warehouse, sales = user_with(Role.WAREHOUSE), user_with(Role.SALES_REP)
    fulfillment.stock_receive(product=product, site=site, quantity=Decimal("500"), user=warehouse)
    board = user_with(Role.REVIEW_BOARD)
    shipments = {}
    for n in range(12):
        order = OrderFactory(status=OrderStatus.ENTERED, site=site)
        OrderLineFactory(order=order, line_no=1, product=product, quantity_ordered=Decimal(n + 1))
        services.order_transition(order_id=order.pk, action="accept", actor=board)  # reserves, ready to ship
        shipment = fulfillment.shipment_start(order_id=order.pk, site_id=site.pk, user=warehouse)
        fulfillment.shipment_pack(
            shipment_id=shipment.pk, quantities={}, packages=1, weight_kg=Decimal("1"), user=warehouse
        )
        shipments[order.pk] = shipment.pk

    def work(n):
        # even threads ship, odd threads cancel; each walks the orders in its own order
        outcomes = []
        for order_id in random.Random(n).sample(sorted(shipments), len(shipments)):
            try:
                if n % 2 == 0:
                    fulfillment.shipment_ship(
                        shipment_id=shipments[order_id],
                        carrier="DHL",
                        service="",
                        tracking_number=f"T{n}",
                        ship_date=date(2026, 11, 20),
                        user=warehouse,
                    )
                    outcomes.append((order_id, "ship", "won"))
                else:
                    services.order_transition(order_id=order_id, action="cancel", actor=sales, note=f"thread {n}")
                    outcomes.append((order_id, "cancel", "won"))
            except DomainError as error:
                outcomes.append((order_id, "ship" if n % 2 == 0 else "cancel", type(error).__name__))
        return outcomes

    results = _eight_threads(work)

    outcomes = [outcome for per_thread in results.values() for outcome in per_thread]
    assert len(outcomes) == 8 * 12
    for order_id in shipments:
        winners = [action for oid, action, result in outcomes if oid == order_id and result == "won"]
        assert len(winners) == 1, (order_id, winners)  # exactly one of ship / cancel, once
        order = Order.objects.get(pk=order_id)
        line = order.lines.get()
        if winners == ["ship"]:
            assert order.status == OrderStatus.SHIPPED
            assert (line.quantity_shipped, line.quantity_reserved) == (line.quantity_ordered, 0)
        else:
            assert order.status == OrderStatus.CANCELLED
            assert (line.quantity_shipped, line.quantity_reserved) == (0, 0)
    assert event_log_violations() == []
    # no lost update on the shared stock row: its balance is the sum of its ledger
    assert not stock_ledger_mismatches().exists()
    stock = StockLevel.objects.get(product=product, site=site)
    shipped_lines = OrderLine.objects.filter(order__status=OrderStatus.SHIPPED)
    shipped = sum(shipped_lines.values_list("quantity_ordered", flat=True))
    assert (stock.on_hand, stock.reserved) == (Decimal("500") - shipped, 0)


@pytest.mark.django_db(transaction=True)
def test_eight_threads_racing_moves_on_entered_orders_keep_the_log_legal(user_with):
    """hold / release / accept / reject / cancel fired at random on the same orders."""
    finance, board, sales = user_with(Role.FINANCE), user_with(Role.REVIEW_BOARD), user_with(Role.SALES_REP)
    order_ids = []
    for _ in range(6):
        order = OrderFactory(status=OrderStatus.ENTERED)
        OrderLineFactory(order=order, line_no=1)
        order_ids.append(order.pk)
    moves = [
        ("hold", finance, "credit check"),
        ("release", finance, "cleared"),
        ("accept", board, ""),
        ("reject", board, "no capacity"),
        ("cancel", sales, "customer withdrew"),
    ]

    def work(n):
        rng, won = random.Random(100 + n), 0
        for _ in range(25):
            action, actor, note = rng.choice(moves)
            try:
                services.order_transition(order_id=rng.choice(order_ids), action=action, actor=actor, note=note)
                won += 1
            except DomainError:
                pass
        return won

    results = _eight_threads(work)

    assert event_log_violations() == []
    # no lost update: every success wrote exactly one event and the status is the last event's target
    assert sum(results.values()) == OrderEvent.objects.filter(order_id__in=order_ids).count()
    for order in Order.objects.filter(pk__in=order_ids):
        last = OrderEvent.objects.filter(order=order).order_by("id").last()
        assert order.status == (last.to_status if last else OrderStatus.ENTERED)
