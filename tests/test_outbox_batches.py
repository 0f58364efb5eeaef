"""The outbox in batches: one task per topic and batch, one transaction per batch, each
message still applied exactly once with its own receipt (docs/reliability.md)."""

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from orders import outbox, services
from orders.models import OutboxMessage, OutboxReceipt
from orders.roles import Role
from orders.states import OrderStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def submitted(order_in, user_with):
    """submitted(n) -> the ids of n handoff.opened messages, written and not yet processed."""
    user_with(Role.REVIEW_BOARD, email="board@example.com")
    sales = user_with(Role.SALES_REP)

    def make(n):
        for _ in range(n):
            order = order_in(OrderStatus.DRAFT)
            services.order_transition(order_id=order.pk, action="submit", actor=sales)
        return list(
            OutboxMessage.objects.filter(topic=services.TOPIC_HANDOFF_OPENED, processed_at__isnull=True)
            .order_by("pk")
            .values_list("pk", flat=True)
        )

    return make


def test_a_batch_applies_each_message_once_with_its_receipt_and_email(submitted):
    ids = submitted(4)

    assert services.outbox_process_many(message_ids=ids) == 4

    assert not OutboxMessage.objects.filter(pk__in=ids, processed_at__isnull=True).exists()
    assert OutboxReceipt.objects.filter(message_id__in=ids).count() == 4
    assert len(mail.outbox) == 4
    assert all(m.to == ["board@example.com"] for m in mail.outbox)


def test_a_batch_delivered_again_changes_nothing(submitted):
    ids = submitted(3)
    services.outbox_process_many(message_ids=ids)

    assert services.outbox_process_many(message_ids=ids) == 0
    assert services.outbox_process(message_id=ids[0]) is False
    assert len(mail.outbox) == 3
    assert OutboxReceipt.objects.filter(message_id__in=ids).count() == 3


def test_a_batch_costs_the_same_queries_whatever_its_size(submitted):
    ids = submitted(6)

    with CaptureQueriesContext(connection) as two:
        services.outbox_process_many(message_ids=ids[:2])
    with CaptureQueriesContext(connection) as four:
        services.outbox_process_many(message_ids=ids[2:])

    assert len(two.captured_queries) == len(four.captured_queries)


def test_one_failing_message_does_not_hold_back_the_others(submitted, monkeypatch):
    ids = submitted(3)
    bad = ids[1]

    def fussy(message):
        if message.pk == bad:
            raise RuntimeError("this one cannot be applied yet")

    monkeypatch.setitem(
        outbox._handlers, services.TOPIC_HANDOFF_OPENED, [*outbox.handlers_for("handoff.opened"), fussy]
    )

    with pytest.raises(RuntimeError):
        services.outbox_process_many(message_ids=ids)

    pending = set(OutboxMessage.objects.filter(pk__in=ids, processed_at__isnull=True).values_list("pk", flat=True))
    assert pending == {bad}
    assert not OutboxReceipt.objects.filter(message_id=bad).exists()
    # the retry of the whole batch applies the one left, and only it
    monkeypatch.setitem(outbox._handlers, services.TOPIC_HANDOFF_OPENED, outbox.handlers_for("handoff.opened")[:1])
    assert services.outbox_process_many(message_ids=ids) == 1
    notified = OutboxReceipt.objects.filter(message_id__in=ids, consumer="orders.services.handoff_notify_receiver")
    assert notified.count() == 3
    assert len(mail.outbox) == 3


def test_dispatch_publishes_one_task_per_topic_and_batch(submitted, settings, monkeypatch):
    from orders.tasks import outbox_deliver

    settings.OMC_OUTBOX_BATCH_SIZE = 2
    ids = submitted(5)
    other = services.outbox_enqueue(topic="test.other", order=None, payload={})
    published = []
    monkeypatch.setattr(outbox_deliver, "apply_async", lambda args, **kwargs: published.append(args[0]))

    assert services.outbox_dispatch(message_ids=[*ids, other.pk]) == 6

    assert published == [ids[0:2], ids[2:4], ids[4:5], [other.pk]]
    assert not OutboxMessage.objects.filter(dispatched_at__isnull=True).exists()
    assert set(OutboxMessage.objects.values_list("dispatch_attempts", flat=True)) == {1}


def test_the_task_still_takes_a_single_id(submitted):
    """Tasks queued before batching (and failed tasks run again) carry one id."""
    from orders.tasks import outbox_deliver

    ids = submitted(1)

    assert outbox_deliver.run(ids[0]) is True
    assert outbox_deliver.run(ids[0]) is False
    assert len(mail.outbox) == 1
