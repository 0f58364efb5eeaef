"""Builders for the scheduling tests (no tests here): work centers, routings, jobs placed
through the services, and a fixed 'today' so known boards stay known."""

from datetime import date, timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from orders.models import RoutingStep, WorkCenter
from orders.states import OrderStatus
from scheduling.models import Job, JobDay

from .factories import OrderFactory, OrderLineFactory, ProductFactory

MONDAY = date(2030, 1, 7)  # a Monday; tests freeze "today" here with freeze_today


def day(n: int) -> date:
    """MONDAY + n days."""
    return MONDAY + timedelta(days=n)


def freeze_today(monkeypatch, today: date = MONDAY) -> date:
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: today)
    return today


class WorkCenterFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WorkCenter

    code = factory.Sequence(lambda n: f"WC{n}")
    name = factory.Sequence(lambda n: f"Work center {n}")
    hours_per_day = Decimal("8")
    days_per_week = 5
    hourly_rate = Decimal("50.00")


def routed_product(*steps, **kwargs):
    """routed_product((work_center, hours_per_unit, setup_hours), ...) -> a product with that routing."""
    product = ProductFactory(**kwargs)
    for index, (work_center, per_unit, setup) in enumerate(steps, start=1):
        RoutingStep.objects.create(
            product=product,
            sequence=10 * index,
            work_center=work_center,
            hours_per_unit=Decimal(per_unit),
            setup_hours=Decimal(setup),
        )
    return product


def order_with_job(
    work_center,
    hours,
    *,
    priority=None,
    promised=None,
    status=OrderStatus.ACCEPTED,
    customer=None,
    sequence=10,
    order=None,
    line=None,
):
    """An order (accepted by default) with one line and one unscheduled job of `hours` on `work_center`."""
    if order is None:
        extra = {"customer": customer} if customer else {}
        order = OrderFactory(status=status, priority_score=priority, promised_date=promised, **extra)
    if line is None:
        line = OrderLineFactory(order=order, line_no=order.lines.count() + 1, quantity_ordered=Decimal("10"))
    return Job.objects.create(
        order=order,
        order_line=line,
        sequence=sequence,
        work_center=work_center,
        quantity=line.quantity_ordered,
        hours=Decimal(hours),
        priority=order.priority_score,
        promised_date=order.promised_date,
        created_at=timezone.now(),
    )


def place(job, pieces, *, state=Job.State.SCHEDULED, position=0):
    """Put a job on the board directly (fixtures only; real moves go through services)."""
    JobDay.objects.bulk_create(
        [JobDay(job=job, work_center_id=job.work_center_id, day=d, hours=Decimal(h)) for d, h in pieces]
    )
    job.state, job.scheduled_day, job.finish_day, job.position = state, pieces[0][0], pieces[-1][0], position
    job.save()
    return job


def load(work_center, on: date) -> Decimal:
    return sum(JobDay.objects.filter(work_center=work_center, day=on).values_list("hours", flat=True), Decimal("0"))
