"""Two transactions racing on one order, on PostgreSQL: the row lock lets exactly one win."""

import threading
import time

import pytest
from django.db import connection, transaction

from orders import services
from orders.errors import InvalidTransition
from orders.models import Order, OrderEvent
from orders.roles import Role
from orders.states import OrderStatus


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
