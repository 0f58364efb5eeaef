"""Scheduling services: jobs from back orders, the capacity calendar, placing and moving,
the auto-scheduler, expedite cost and approval, and the order's moves."""

from decimal import Decimal

import pytest
from django.utils import timezone

from orders.errors import ActionNotPermitted, ValidationFailed
from orders.models import Order, OrderEvent, OutboxMessage
from orders.roles import Role
from orders.services import order_transition, outbox_process
from orders.states import OrderStatus
from scheduling import selectors, services
from scheduling.errors import CapacityExceeded, JobChanged, JobStateError
from scheduling.models import CapacityException, ExpediteRequest, Job, JobDay, RescheduleEvent
from scheduling.planner import day_capacity

from .factories import CustomerFactory, OrderFactory, OrderLineFactory, SiteFactory
from .test_scheduling_factories import (
    WorkCenterFactory,
    day,
    freeze_today,
    load,
    order_with_job,
    place,
    routed_product,
)

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture(autouse=True)
def today(monkeypatch):
    return freeze_today(monkeypatch)


@pytest.fixture
def scheduler(user_with):
    return user_with(Role.SCHEDULER)


@pytest.fixture
def rep(user_with):
    return user_with(Role.SALES_REP)


def _order_status(order):
    return Order.objects.values_list("status", flat=True).get(pk=order.pk)


# --- jobs from back orders ----------------------------------------------------------------


def test_backordered_message_creates_the_routing_jobs_once(django_capture_on_commit_callbacks):
    press, paint = WorkCenterFactory(code="PRESS"), WorkCenterFactory(code="PAINT")
    product = routed_product((press, "0.5", "2"), (paint, "0.25", "0"))
    order = OrderFactory(status=OrderStatus.ACCEPTED, priority_score=D("80"), promised_date=day(10))
    line = OrderLineFactory(order=order, line_no=1, product=product, quantity_ordered=D("12"))

    def deliver():
        message = OutboxMessage.objects.create(
            topic="fulfillment.backordered",
            order=order,
            payload={"lines": {str(line.pk): "8.000"}},
            created_at=timezone.now(),
        )
        assert outbox_process(message_id=message.pk) is True
        assert outbox_process(message_id=message.pk) is False  # the same delivery again: a no-op
        return message

    deliver()
    deliver()  # the same content published twice still creates nothing new

    jobs = list(Job.objects.filter(order=order).order_by("sequence"))
    assert [(j.sequence, j.work_center.code, j.quantity, j.hours) for j in jobs] == [
        (10, "PRESS", D("8"), D("6.00")),  # 2 setup + 0.5 × 8
        (20, "PAINT", D("8"), D("2.00")),
    ]
    assert {(j.state, j.priority, j.promised_date, j.version) for j in jobs} == {
        (Job.State.UNSCHEDULED, D("80"), day(10), 1)
    }


def test_accepting_an_order_without_stock_reaches_the_board(user_with, django_capture_on_commit_callbacks):
    """The real hand-off: acceptance -> fulfillment back-orders -> scheduling creates the jobs."""
    SiteFactory(code="A")
    press = WorkCenterFactory(code="PRESS")
    product = routed_product((press, "1", "1"))
    order = OrderFactory(status=OrderStatus.ENTERED)
    OrderLineFactory(order=order, line_no=1, product=product, quantity_ordered=D("5"))

    with django_capture_on_commit_callbacks(execute=True):
        order_transition(order_id=order.pk, action="accept", actor=user_with(Role.REVIEW_BOARD))

    assert _order_status(order) == OrderStatus.ACCEPTED
    assert list(Job.objects.filter(order=order).values_list("hours", "state")) == [(D("6.00"), "unscheduled")]


# --- the capacity calendar ----------------------------------------------------------------


@pytest.mark.parametrize(
    "weekday, exceptions, expected",
    [
        (0, {}, "8"),  # Monday, the weekly pattern
        (5, {}, "0"),  # Saturday, outside days_per_week
        (0, {"holiday": D("0")}, "0"),
        (0, {"downtime": D("3")}, "5"),
        (0, {"extra": D("2")}, "10"),
        (5, {"shift": D("6")}, "6"),  # a Saturday shift
        (0, {"holiday": D("0"), "extra": D("4")}, "4"),  # overtime worked on a holiday
        (0, {"downtime": D("12")}, "0"),  # never below zero
    ],
)
def test_day_capacity_follows_the_calendar(weekday, exceptions, expected):
    assert day_capacity(hours_per_day=D("8"), days_per_week=5, day=day(weekday), exceptions=exceptions) == D(expected)


# --- placing and moving -------------------------------------------------------------------


def test_a_job_is_booked_into_free_capacity_and_spills_over_days(scheduler):
    wc = WorkCenterFactory()
    CapacityException.objects.create(
        work_center=wc, day=day(1), kind="downtime", hours=D("5"), created_at=timezone.now()
    )
    place(order_with_job(wc, "6"), [(day(0), "6")])
    job = order_with_job(wc, "10", promised=day(1))

    services.job_move(job_id=job.pk, day=day(0), expected_version=1, actor=scheduler)

    job.refresh_from_db()
    assert list(job.days.values_list("day", "hours")) == [(day(0), D("2")), (day(1), D("3")), (day(2), D("5"))]
    assert (job.state, job.scheduled_day, job.finish_day, job.version) == ("scheduled", day(0), day(2), 2)
    assert job.is_late  # promised Tuesday, ends Wednesday: flagged, not refused
    event = RescheduleEvent.objects.get(job=job)
    assert (event.kind, event.actor, event.requested_by, event.to_day) == ("place", scheduler, scheduler, day(0))


def test_an_overload_is_refused_and_nothing_changes(scheduler):
    wc = WorkCenterFactory(code="PRESS")
    place(order_with_job(wc, "8"), [(day(1), "8")])
    job = order_with_job(wc, "2")

    with pytest.raises(CapacityExceeded) as refused:
        services.job_move(job_id=job.pk, day=day(1), expected_version=1, actor=scheduler)

    assert "Overload refused: PRESS" in refused.value.message and "8 of 8 h booked" in refused.value.message
    job.refresh_from_db()
    assert (job.state, job.version, job.days.count()) == ("unscheduled", 1, 0)
    assert load(wc, day(1)) == D("8")
    assert not RescheduleEvent.objects.exists()


def test_moves_into_the_past_on_a_closed_day_or_by_another_role_are_refused(user_with, scheduler):
    wc = WorkCenterFactory()
    job = order_with_job(wc, "2")
    with pytest.raises(ValidationFailed) as past:
        services.job_move(job_id=job.pk, day=day(-1), expected_version=1, actor=scheduler)
    assert past.value.field_errors == {"day": ["Choose today or later."]}
    with pytest.raises(CapacityExceeded):
        services.job_move(job_id=job.pk, day=day(5), expected_version=1, actor=scheduler)  # Saturday
    with pytest.raises(ActionNotPermitted):
        services.job_move(job_id=job.pk, day=day(0), expected_version=1, actor=user_with(Role.SALES_REP))


def test_a_stale_version_is_told_to_reload(scheduler):
    wc = WorkCenterFactory()
    job = order_with_job(wc, "2")
    services.job_move(job_id=job.pk, day=day(0), expected_version=1, actor=scheduler)

    with pytest.raises(JobChanged) as stale:
        services.job_move(job_id=job.pk, day=day(2), expected_version=1, actor=scheduler)

    assert stale.value.http_status == 409 and "Reload the board" in stale.value.message
    job.refresh_from_db()
    assert (job.scheduled_day, job.version) == (day(0), 2)


def test_positions_in_a_cell_follow_the_drop(scheduler):
    wc = WorkCenterFactory(hours_per_day=D("16"))
    first, second, third = (order_with_job(wc, "2") for _ in range(3))
    services.job_move(job_id=first.pk, day=day(0), expected_version=1, actor=scheduler)
    services.job_move(job_id=second.pk, day=day(0), expected_version=1, actor=scheduler)
    services.job_move(job_id=third.pk, day=day(0), expected_version=1, actor=scheduler, position=0)

    assert list(Job.objects.filter(scheduled_day=day(0)).order_by("position").values_list("id", flat=True)) == [
        third.pk,
        first.pk,
        second.pk,
    ]


def test_unscheduling_frees_the_hours(scheduler):
    wc = WorkCenterFactory()
    job = order_with_job(wc, "5")
    services.job_move(job_id=job.pk, day=day(0), expected_version=1, actor=scheduler)
    services.job_unschedule(job_id=job.pk, expected_version=2, actor=scheduler)

    job.refresh_from_db()
    assert (job.state, job.scheduled_day, job.finish_day, job.version) == ("unscheduled", None, None, 3)
    assert load(wc, day(0)) == 0


# --- the auto-scheduler -------------------------------------------------------------------


def test_auto_scheduler_on_a_known_board(scheduler):
    """WC 8 h/day, Wednesday a holiday, 3 h already booked on Monday."""
    wc = WorkCenterFactory(code="PRESS")
    CapacityException.objects.create(work_center=wc, day=day(2), kind="holiday", created_at=timezone.now())
    place(order_with_job(wc, "3", status=OrderStatus.SCHEDULED), [(day(0), "3")])
    low = order_with_job(wc, "6", priority=D("10"), promised=day(10))
    high = order_with_job(wc, "7", priority=D("90"), promised=day(0))
    medium_late = order_with_job(wc, "4", priority=D("50"), promised=day(3))
    medium_early = order_with_job(wc, "4", priority=D("50"), promised=day(1))
    no_score = order_with_job(wc, "1")

    result = services.jobs_schedule_automatically(actor=scheduler)

    placed = {job.pk: job for job in Job.objects.all()}
    booked = lambda job: list(JobDay.objects.filter(job=job).values_list("day", "hours"))  # noqa: E731
    # priority first, then the earliest promised date, into the earliest free hours
    assert booked(high) == [(day(0), D("5")), (day(1), D("2"))]
    assert booked(medium_early) == [(day(1), D("4"))]
    assert booked(medium_late) == [(day(1), D("2")), (day(3), D("2"))]  # Wednesday is a holiday
    assert booked(low) == [(day(3), D("6"))]
    assert booked(no_score) == [(day(4), D("1"))]
    # never over capacity
    for on in (day(n) for n in range(7)):
        cap = selectors.capacity_model(work_centers=[wc], first=on, last=on).cap(wc.pk, on)
        assert load(wc, on) <= cap
    # late jobs flagged
    assert [placed[j.pk].is_late for j in (high, medium_early, medium_late, low)] == [True, False, False, False]
    assert result == {"placed": 5, "left": 0, "late": 1, "orders_scheduled": 5}
    assert _order_status(high.order) == OrderStatus.SCHEDULED
    assert OrderEvent.objects.get(order=high.order, action="schedule").actor == scheduler
    assert RescheduleEvent.objects.get(kind="auto").detail == {"placed": 5, "left": 0, "late": 1}


def test_auto_scheduler_keeps_operations_in_routing_order_and_leaves_what_cannot_fit(scheduler, monkeypatch):
    press, paint = WorkCenterFactory(code="PRESS"), WorkCenterFactory(code="PAINT")
    first = order_with_job(press, "12", priority=D("50"))
    second = order_with_job(paint, "2", sequence=20, order=first.order, line=first.order_line)
    monkeypatch.setattr(selectors, "HORIZON_DAYS", 3)
    too_big = order_with_job(press, "100", priority=D("99"))

    result = services.jobs_schedule_automatically(actor=scheduler)

    first.refresh_from_db()
    second.refresh_from_db()
    too_big.refresh_from_db()
    assert (first.scheduled_day, first.finish_day) == (day(0), day(1))
    assert second.scheduled_day == day(1)  # not before its previous operation ends
    assert too_big.state == "unscheduled"
    assert (result["placed"], result["left"]) == (2, 1)
    assert _order_status(too_big.order) == OrderStatus.ACCEPTED


# --- the order's moves --------------------------------------------------------------------


def test_the_order_moves_with_its_jobs_and_production_is_handed_to_the_warehouse(
    scheduler, user_with, django_capture_on_commit_callbacks
):
    site = SiteFactory(code="B")
    press = WorkCenterFactory(code="PRESS", site=site)
    paint = WorkCenterFactory(code="PAINT", site=site)
    product = routed_product((press, "1", "0"), (paint, "0.5", "0"))
    order = OrderFactory(status=OrderStatus.ENTERED)
    line = OrderLineFactory(order=order, line_no=1, product=product, quantity_ordered=D("4"))
    with django_capture_on_commit_callbacks(execute=True):
        order_transition(order_id=order.pk, action="accept", actor=user_with(Role.REVIEW_BOARD))
    op10, op20 = Job.objects.filter(order=order).order_by("sequence")

    services.job_move(job_id=op10.pk, day=day(0), expected_version=1, actor=scheduler)
    assert _order_status(order) == OrderStatus.ACCEPTED  # one job still waits
    with pytest.raises(ValidationFailed):
        services.job_start(job_id=op10.pk, actor=scheduler)
    services.job_move(job_id=op20.pk, day=day(1), expected_version=1, actor=scheduler)
    assert _order_status(order) == OrderStatus.SCHEDULED

    with pytest.raises(ValidationFailed):
        services.job_start(job_id=op20.pk, actor=scheduler)  # op 10 has not started
    services.job_start(job_id=op10.pk, actor=scheduler)
    assert _order_status(order) == OrderStatus.IN_PRODUCTION
    services.job_start(job_id=op20.pk, actor=scheduler)
    with pytest.raises(JobStateError):
        services.job_move(job_id=op20.pk, day=day(3), expected_version=None, actor=scheduler)  # started: fixed

    services.job_finish(job_id=op10.pk, actor=scheduler)
    assert _order_status(order) == OrderStatus.IN_PRODUCTION
    assert not OutboxMessage.objects.filter(topic="scheduling.produced").exists()
    with django_capture_on_commit_callbacks(execute=True):
        services.job_finish(job_id=op20.pk, actor=scheduler)

    message = OutboxMessage.objects.get(topic="scheduling.produced")
    assert (message.order_id, message.payload) == (order.pk, {"site_id": site.pk, "lines": {str(line.pk): "4.000"}})
    assert message.processed_at is not None  # fulfillment received the goods for the order
    assert _order_status(order) == OrderStatus.READY_TO_SHIP
    assert list(OrderEvent.objects.filter(order=order).values_list("action", "actor")[1:]) == [
        ("schedule", scheduler.pk),
        ("start", scheduler.pk),
        ("mark_ready", scheduler.pk),
    ]
    line.refresh_from_db()
    assert line.quantity_reserved == D("4")


def test_cancelling_the_order_takes_its_jobs_off_the_board(scheduler, rep, django_capture_on_commit_callbacks):
    wc = WorkCenterFactory()
    job = order_with_job(wc, "4")
    services.job_move(job_id=job.pk, day=day(0), expected_version=1, actor=scheduler)
    services.expedite_request_create(order_id=job.order_id, needed_by=day(0), reason="Line down", actor=rep)

    with django_capture_on_commit_callbacks(execute=True):
        order_transition(order_id=job.order_id, action="cancel", actor=rep, note="Customer withdrew")

    assert not Job.objects.filter(order_id=job.order_id).exists()
    assert load(wc, day(0)) == 0
    assert ExpediteRequest.objects.get().status == "declined"


# --- expedite requests --------------------------------------------------------------------


@pytest.fixture
def known_board(scheduler):
    """PRESS 8 h/day, 60/h. Monday: Acme's 8 h job (promised Wednesday). Tuesday: Bolt's 8 h
    job (promised Tuesday). Rush Ltd's order has a 10 h job, unscheduled."""
    wc = WorkCenterFactory(code="PRESS", hourly_rate=D("60.00"))
    acme = place(
        order_with_job(wc, "8", promised=day(2), customer=CustomerFactory(name="Acme"), status="scheduled"),
        [(day(0), "8")],
    )
    bolt = place(
        order_with_job(wc, "8", promised=day(1), customer=CustomerFactory(name="Bolt"), status="scheduled"),
        [(day(1), "8")],
    )
    rush = order_with_job(wc, "10", promised=day(9), customer=CustomerFactory(name="Rush Ltd"))
    return {"wc": wc, "acme": acme, "bolt": bolt, "rush": rush}


def test_expedite_cost_on_a_known_board(known_board, rep):
    rush = known_board["rush"]

    cost = selectors.expedite_cost(order_id=rush.order_id, needed_by=day(0))

    assert cost.feasible
    assert [(job.pk, pieces) for job, pieces in cost.bookings] == [(rush.pk, [(day(0), D("10"))])]
    assert cost.overtime == {(known_board["wc"].pk, day(0)): D("2")}
    assert (cost.overtime_hours, cost.overtime_cost) == (D("2"), D("120.00"))
    assert [(p.job.order.customer.name, p.job.promised_date, p.old_finish, p.new_finish) for p in cost.pushed] == [
        ("Acme", day(2), day(0), day(1)),
        ("Bolt", day(1), day(1), day(2)),
    ]
    assert [p.job.order.customer.name for p in cost.made_late] == ["Bolt"]
    assert (cost.finish_before, cost.finish_after) == (None, day(0))
    assert Job.objects.get(pk=known_board["acme"].pk).scheduled_day == day(0)  # a what-if: nothing written


def test_expedite_without_overtime_when_there_is_time(known_board):
    cost = selectors.expedite_cost(order_id=known_board["rush"].order_id, needed_by=day(1))
    assert cost.overtime_hours == 0
    assert [(p.job.order.customer.name, p.new_finish) for p in cost.pushed] == [("Acme", day(2)), ("Bolt", day(3))]


def test_approving_an_expedite_applies_and_records_its_cost(known_board, rep, scheduler):
    wc, rush = known_board["wc"], known_board["rush"]
    request = services.expedite_request_create(
        order_id=rush.order_id, needed_by=day(0), reason="Their line is down", actor=rep
    )

    services.expedite_approve(request_id=request.pk, actor=scheduler, note="Key account")

    days_of = lambda job: list(JobDay.objects.filter(job=job).values_list("day", "hours"))  # noqa: E731
    assert days_of(rush) == [(day(0), D("10"))]
    assert days_of(known_board["acme"]) == [(day(1), D("8"))]
    assert days_of(known_board["bolt"]) == [(day(2), D("8"))]
    assert CapacityException.objects.get(work_center=wc, day=day(0)).hours == D("2")  # overtime in the calendar
    capacity = selectors.capacity_model(work_centers=[wc], first=day(0), last=day(4))
    assert all(load(wc, day(n)) <= capacity.cap(wc.pk, day(n)) for n in range(5))
    assert Job.objects.get(pk=known_board["acme"].pk).version == 2
    event = RescheduleEvent.objects.get(kind="expedite")
    assert (event.requested_by, event.actor, event.customer, event.jobs_pushed, event.jobs_made_late) == (
        rep,
        scheduler,
        rush.order.customer,
        2,
        1,
    )
    assert event.overtime_hours == D("2") and event.detail["overtime_cost"] == "120.00"
    request.refresh_from_db()
    assert (request.status, request.decided_by, request.decision_note) == ("approved", scheduler, "Key account")
    assert _order_status(rush.order) == OrderStatus.SCHEDULED
    counts = selectors.expedite_counts()
    assert [(r["customer__name"], r["approved"], r["pushed"]) for r in counts["per_customer"]] == [("Rush Ltd", 1, 2)]
    assert [(r["requested_by__username"], r["requests"]) for r in counts["per_rep"]] == [(rep.username, 1)]


def test_declining_needs_a_reason_and_changes_nothing(known_board, rep, scheduler):
    request = services.expedite_request_create(
        order_id=known_board["rush"].order_id, needed_by=day(0), reason="Please", actor=rep
    )
    with pytest.raises(ValidationFailed) as missing:
        services.expedite_decline(request_id=request.pk, actor=scheduler, reason=" ")
    assert missing.value.field_errors == {"reason": ["Say why it is declined."]}

    services.expedite_decline(request_id=request.pk, actor=scheduler, reason="Bolt is a key account too")

    request.refresh_from_db()
    assert (request.status, request.decided_by) == ("declined", scheduler)
    assert not RescheduleEvent.objects.exists()
    with pytest.raises(JobStateError):
        services.expedite_approve(request_id=request.pk, actor=scheduler)


def test_one_pending_request_per_order_and_impossible_dates_are_said(known_board, rep, monkeypatch):
    rush = known_board["rush"]
    services.expedite_request_create(order_id=rush.order_id, needed_by=day(3), reason="Soon", actor=rep)
    with pytest.raises(ValidationFailed):
        services.expedite_request_create(order_id=rush.order_id, needed_by=day(2), reason="Sooner", actor=rep)
    Job.objects.filter(pk=rush.pk).update(hours=D("30"))
    cost = selectors.expedite_cost(order_id=rush.order_id, needed_by=day(0))
    assert not cost.feasible and "even with 8 h overtime" in cost.message
