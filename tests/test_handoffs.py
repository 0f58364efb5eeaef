"""Hand-offs, the outbox and the overdue scan."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from omc.celery import app as celery_app
from orders import services
from orders.models import Alert, DepartmentSetting, Handoff, OutboxMessage, StepServiceLevel
from orders.roles import Department, Role
from orders.states import OrderStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def broker_down():
    """Point Celery's publishing at a port where nothing listens, as when Redis is down."""
    saved = (
        celery_app.conf.task_always_eager,
        celery_app.conf.broker_write_url,
        celery_app._pool,
        celery_app.amqp._producer_pool,
    )
    celery_app.conf.task_always_eager = False
    celery_app.conf.broker_write_url = "redis://127.0.0.1:1/0"
    celery_app._pool = celery_app.amqp._producer_pool = None
    yield
    (
        celery_app.conf.task_always_eager,
        celery_app.conf.broker_write_url,
        celery_app._pool,
        celery_app.amqp._producer_pool,
    ) = saved


def test_submitting_hands_the_order_to_the_review_board_with_its_service_level(order_in, user_with):
    StepServiceLevel.objects.update_or_create(status=OrderStatus.ENTERED, defaults={"hours": Decimal("8")})
    order = order_in(OrderStatus.DRAFT)

    services.order_transition(order_id=order.pk, action="submit", actor=user_with(Role.SALES_REP))

    handoff = Handoff.objects.get(order=order)
    assert (handoff.from_department, handoff.to_department) == (Department.SALES, Department.MANAGEMENT)
    assert handoff.due_at - handoff.opened_at == timedelta(hours=8)
    assert handoff.escalate_at - handoff.opened_at == timedelta(hours=16)
    assert handoff.closed_at is None


def test_acting_on_the_order_closes_its_handoff_and_opens_the_next(order_in, user_with):
    order = order_in(OrderStatus.DRAFT)
    services.order_transition(order_id=order.pk, action="submit", actor=user_with(Role.SALES_REP))

    services.order_transition(order_id=order.pk, action="accept", actor=user_with(Role.REVIEW_BOARD))

    first, second = Handoff.objects.filter(order=order).order_by("id")
    assert first.closed_at is not None
    assert (second.to_department, second.closed_at) == (Department.OPERATIONS, None)


def test_a_move_inside_one_department_closes_the_handoff_without_opening_another(order_in, user_with):
    order = order_in(OrderStatus.ENTERED)
    services.order_transition(order_id=order.pk, action="accept", actor=user_with(Role.REVIEW_BOARD))

    services.order_transition(order_id=order.pk, action="schedule", actor=user_with(Role.SCHEDULER))

    assert not Handoff.objects.filter(order=order, closed_at__isnull=True).exists()


def test_a_final_status_leaves_no_open_handoff(order_in, user_with):
    order = order_in(OrderStatus.DRAFT)
    services.order_transition(order_id=order.pk, action="submit", actor=user_with(Role.SALES_REP))

    services.order_transition(order_id=order.pk, action="reject", actor=user_with(Role.REVIEW_BOARD), note="No")

    assert not Handoff.objects.filter(order=order, closed_at__isnull=True).exists()


def test_a_rolled_back_transition_enqueues_nothing(order_in, user_with, django_capture_on_commit_callbacks):
    order = order_in(OrderStatus.DRAFT)
    sales = user_with(Role.SALES_REP)

    with django_capture_on_commit_callbacks() as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            services.order_transition(order_id=order.pk, action="submit", actor=sales)
            raise RuntimeError("something later in the request failed")

    assert callbacks == []
    assert not OutboxMessage.objects.exists()
    assert not Handoff.objects.exists()
    assert mail.outbox == []


def test_a_committed_transition_publishes_its_handoff_once(order_in, user_with, django_capture_on_commit_callbacks):
    order = order_in(OrderStatus.DRAFT)
    user_with(Role.REVIEW_BOARD, email="board@example.com")

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.order_transition(order_id=order.pk, action="submit", actor=user_with(Role.SALES_REP))

    assert len(callbacks) == 1
    message = OutboxMessage.objects.get()
    assert message.topic == "handoff.opened"
    assert message.dispatched_at is not None and message.processed_at is not None
    assert [m.to for m in mail.outbox] == [["board@example.com"]]
    assert order.number in mail.outbox[0].subject


def test_the_handoff_task_run_twice_has_the_effect_of_once(order_in, user_with, django_capture_on_commit_callbacks):
    order = order_in(OrderStatus.DRAFT)
    user_with(Role.REVIEW_BOARD, email="board@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        services.order_transition(order_id=order.pk, action="submit", actor=user_with(Role.SALES_REP))
    message = OutboxMessage.objects.get()

    # the broker delivers the same message again
    assert services.outbox_process(message_id=message.pk) is False
    celery_app.tasks["orders.tasks.outbox_deliver"].apply(args=[message.pk])

    assert len(mail.outbox) == 1


def test_with_the_broker_down_nothing_is_lost_and_the_relay_recovers(
    order_in, user_with, django_capture_on_commit_callbacks, broker_down
):
    order = order_in(OrderStatus.DRAFT)
    user_with(Role.REVIEW_BOARD, email="board@example.com")

    # the transition commits even though publishing fails
    with django_capture_on_commit_callbacks(execute=True):
        services.order_transition(order_id=order.pk, action="submit", actor=user_with(Role.SALES_REP))
    order.refresh_from_db()
    assert order.status == OrderStatus.ENTERED
    message = OutboxMessage.objects.get()
    assert (message.dispatched_at, message.processed_at, message.dispatch_attempts) == (None, None, 1)
    assert "Connection refused" in message.last_error

    # the relay, while the broker is still down, leaves it for later
    OutboxMessage.objects.update(created_at=timezone.now() - timedelta(minutes=5))
    assert services.outbox_relay() == 0

    # the broker is back: the periodic relay publishes it and it is processed once
    celery_app.conf.task_always_eager = True
    assert services.outbox_relay() == 1
    message.refresh_from_db()
    assert message.processed_at is not None and message.dispatch_attempts == 3
    assert len(mail.outbox) == 1
    assert services.outbox_relay() == 0


def test_the_scan_raises_one_alert_per_overdue_handoff_and_never_duplicates(overdue_handoff, user_with):
    late = overdue_handoff(hours_late=1)
    overdue_handoff(hours_late=-1)  # not yet due
    user_with(Role.REVIEW_BOARD, email="board@example.com")

    first = services.handoffs_scan_overdue()
    second = services.handoffs_scan_overdue()

    assert first == {"overdue": 1, "escalated": 0}
    assert second == {"overdue": 0, "escalated": 0}
    alert = Alert.objects.get()
    assert (alert.handoff, alert.level, alert.department) == (late, "overdue", Department.MANAGEMENT)


def test_the_scan_escalates_to_the_manager_past_twice_the_service_level(overdue_handoff, user_with):
    overdue_handoff(hours_late=5)  # 9 h after opening, level 4 h
    user_with(Role.REVIEW_BOARD, email="board@example.com")
    DepartmentSetting.objects.filter(department=Department.MANAGEMENT).update(manager_email="ceo@example.com")

    assert services.handoffs_scan_overdue() == {"overdue": 1, "escalated": 1}
    assert services.alerts_send_pending() == 2
    assert services.alerts_send_pending() == 0

    sent = {m.subject.split(":")[0]: m.to for m in mail.outbox}
    assert sent == {"[OMC] Overdue": ["board@example.com"], "[OMC] Escalation": ["ceo@example.com"]}
    assert set(Alert.objects.values_list("level", "recipients")) == {
        ("overdue", "board@example.com"),
        ("escalated", "ceo@example.com"),
    }


def test_acting_on_the_order_resolves_its_alerts(overdue_handoff, user_with):
    handoff = overdue_handoff(hours_late=1)
    services.handoffs_scan_overdue()

    services.order_transition(order_id=handoff.order_id, action="accept", actor=user_with(Role.REVIEW_BOARD))

    assert Alert.objects.get().resolved_at is not None
    assert services.alerts_send_pending() == 0


def test_the_scan_task_raises_and_emails(overdue_handoff, user_with):
    overdue_handoff(hours_late=1)
    user_with(Role.REVIEW_BOARD, email="board@example.com")

    result = celery_app.tasks["orders.tasks.handoffs_scan_overdue"].apply().get()

    assert result == {"overdue": 1, "escalated": 0, "emailed": 1}


def test_only_the_receiving_department_acknowledges_a_handoff(overdue_handoff, user_with):
    handoff = overdue_handoff(hours_late=-1)

    with pytest.raises(services.ActionNotPermitted):
        services.handoff_acknowledge(handoff_id=handoff.pk, user=user_with(Role.WAREHOUSE))
    board = user_with(Role.REVIEW_BOARD)
    services.handoff_acknowledge(handoff_id=handoff.pk, user=board)

    handoff.refresh_from_db()
    assert handoff.acknowledged_by == board and handoff.acknowledged_at is not None


def test_the_local_beat_runs_the_schedule_without_a_broker(overdue_handoff, user_with):
    from io import StringIO

    from django.core.management import call_command

    overdue_handoff(hours_late=1)
    out = StringIO()

    call_command("run_local_beat", once=True, stdout=out)

    assert "handoffs-scan-overdue: {'overdue': 1, 'escalated': 0, 'emailed': 0}" in out.getvalue()
    assert "outbox-relay: 0" in out.getvalue()
    assert Alert.objects.count() == 1


def test_work_handoffs_run_beside_the_order_flow_and_are_scanned_alike(order_in, user_with):
    order = order_in(OrderStatus.DRAFT)
    services.order_transition(order_id=order.pk, action="submit", actor=user_with(Role.SALES_REP))

    refund = services.handoff_open_work(
        order=order,
        kind="refund",
        subject="Refund RMA-1",
        from_department=Department.LOGISTICS,
        to_department=Department.FINANCE,
        hours=Decimal("48"),
        step="returns",
    )
    again = services.handoff_open_work(
        order=order,
        kind="refund",
        subject="Refund RMA-1",
        from_department=Department.LOGISTICS,
        to_department=Department.FINANCE,
        hours=Decimal("48"),
        step="returns",
    )
    assert again == refund and Handoff.objects.filter(order=order, closed_at__isnull=True).count() == 2

    # acting on the order leaves the refund open; its own overdue time raises an alert
    services.order_transition(order_id=order.pk, action="accept", actor=user_with(Role.REVIEW_BOARD))
    Handoff.objects.filter(pk=refund.pk).update(due_at=timezone.now() - timedelta(hours=1))
    assert services.handoffs_scan_overdue()["overdue"] == 1
    assert Alert.objects.get().handoff_id == refund.pk

    assert services.handoff_close_work(order=order, kind="refund") is True
    assert Alert.objects.get().resolved_at is not None
    assert services.handoff_close_work(order=order, kind="refund") is False
