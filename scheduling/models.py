"""Production scheduling tables: the capacity calendar, jobs and their booked hours per day,
expedite requests and the reschedule log. Rules live in services.py; reads in selectors.py."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy

from orders.models import QUANTITY, Customer, Order, OrderLine, RoutingStep, WorkCenter

ZERO = Decimal("0")
HOURS = {"max_digits": 9, "decimal_places": 2}


def priority_rank():
    """The job's priority with "no score yet" ranked last: the unscheduled queue's sort key (an
    expression, so SQLite can index it too — it has no NULLS LAST in indexes)."""
    return Coalesce("priority", Value(Decimal("-1")), output_field=models.DecimalField(max_digits=7, decimal_places=2))


class CapacityException(models.Model):
    """A day on which a work center's capacity differs from its weekly pattern
    (WorkCenter.hours_per_day on the first days_per_week days of each week)."""

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", gettext_lazy("Holiday (no capacity)")  # the day has no hours at all
        SHIFT = (
            "shift",
            gettext_lazy("Shift pattern (hours replace the normal day)"),
        )  # e.g. a Saturday shift, a short day
        EXTRA = "extra", gettext_lazy("Extra hours / overtime (added)")  # added on top, e.g. approved overtime
        DOWNTIME = "downtime", gettext_lazy("Downtime (hours removed)")  # maintenance, breakdown

    work_center = models.ForeignKey(WorkCenter, on_delete=models.CASCADE, related_name="capacity_exceptions")
    day = models.DateField()
    kind = models.CharField(max_length=20, choices=Kind.choices)
    hours = models.DecimalField(**HOURS, default=ZERO)
    note = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["day", "work_center"]
        constraints = [
            models.UniqueConstraint(fields=["work_center", "day", "kind"], name="capacityexception_unique_kind_day"),
            models.CheckConstraint(condition=Q(hours__gte=0, hours__lte=24), name="capacityexception_hours_0_24"),
        ]
        indexes = [models.Index(fields=["day", "work_center"])]

    def __str__(self):
        return f"{self.work_center_id} {self.day} {self.kind} {self.hours}"


class Job(models.Model):
    """One routing operation for one order line: made on one work center, booked on the board
    as hours per day (JobDay) from its start day until its finish day."""

    class State(models.TextChoices):
        UNSCHEDULED = "unscheduled", gettext_lazy("Unscheduled")  # waits in the side list
        SCHEDULED = "scheduled", gettext_lazy("Scheduled")  # placed on the board; may still move
        STARTED = "started", gettext_lazy("Started")  # on the shop floor; fixed in place
        FINISHED = "finished", gettext_lazy("Finished")  # done

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="+")
    order_line = models.ForeignKey(OrderLine, on_delete=models.CASCADE, related_name="+")
    routing_step = models.ForeignKey(RoutingStep, null=True, on_delete=models.SET_NULL, related_name="+")
    sequence = models.PositiveSmallIntegerField(help_text=gettext_lazy("The routing operation's sequence."))
    work_center = models.ForeignKey(WorkCenter, on_delete=models.PROTECT, related_name="+")
    quantity = models.DecimalField(**QUANTITY)
    hours = models.DecimalField(**HOURS)
    # Copied from the order when the job is created, so the board sorts on its own index.
    priority = models.DecimalField(max_digits=7, decimal_places=2, null=True, blank=True)
    promised_date = models.DateField(null=True, blank=True)
    state = models.CharField(max_length=20, choices=State.choices, default=State.UNSCHEDULED)
    scheduled_day = models.DateField(null=True, blank=True, help_text=gettext_lazy("The day it starts."))
    finish_day = models.DateField(null=True, blank=True, help_text=gettext_lazy("The last day it has hours booked."))
    position = models.PositiveIntegerField(
        default=0, help_text=gettext_lazy("Order among the jobs starting in the same cell.")
    )
    # Optimistic concurrency: every change bumps it; a move sent with an older one is refused.
    version = models.PositiveIntegerField(default=1)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["scheduled_day", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["order_line", "sequence"], name="job_unique_line_operation"),
            models.CheckConstraint(condition=Q(hours__gt=0), name="job_hours_gt_0"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="job_quantity_gt_0"),
            models.CheckConstraint(condition=Q(version__gte=1), name="job_version_gte_1"),
            models.CheckConstraint(
                condition=(Q(state="unscheduled", scheduled_day__isnull=True, finish_day__isnull=True))
                | (~Q(state="unscheduled") & Q(scheduled_day__isnull=False, finish_day__gte=models.F("scheduled_day"))),
                name="job_placed_iff_not_unscheduled",
            ),
        ]
        indexes = [
            models.Index(fields=["work_center", "scheduled_day"], name="job_board_cell"),
            models.Index(
                priority_rank().desc(),
                "promised_date",
                "id",
                condition=Q(state="unscheduled"),
                name="job_unscheduled_queue",
            ),
            models.Index(fields=["order", "sequence"]),
        ]

    def __str__(self):
        return f"job {self.pk} {self.order_id}/{self.order_line_id}/{self.sequence}"

    @property
    def is_late(self) -> bool:
        return bool(self.finish_day and self.promised_date and self.finish_day > self.promised_date)


class JobDay(models.Model):
    """Hours of one job booked on one day of its work center. The load of a board cell is
    the sum of these; services never book more than the day's capacity."""

    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="days")
    work_center = models.ForeignKey(WorkCenter, on_delete=models.PROTECT, related_name="+")
    day = models.DateField()
    hours = models.DecimalField(**HOURS)

    class Meta:
        ordering = ["day"]
        constraints = [
            models.UniqueConstraint(fields=["job", "day"], name="jobday_unique_job_day"),
            models.CheckConstraint(condition=Q(hours__gt=0), name="jobday_hours_gt_0"),
        ]
        indexes = [models.Index(fields=["work_center", "day"], name="jobday_cell_load")]

    def __str__(self):
        return f"{self.job_id}@{self.day}: {self.hours}"


class ExpediteRequest(models.Model):
    """A sales rep asks to pull an order in to a date; the scheduler approves or declines."""

    class Status(models.TextChoices):
        PENDING = "pending", gettext_lazy("Pending")  # waits for the scheduler
        APPROVED = "approved", gettext_lazy("Approved")  # the order's jobs were pulled in; the cost is recorded
        DECLINED = "declined", gettext_lazy("Declined")  # refused, with a reason

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="+")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="+")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    needed_by = models.DateField()
    reason = models.CharField(max_length=500)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    # None with a decision: the system decided (the order was cancelled).
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["order"], condition=Q(status="pending"), name="expediterequest_one_pending_per_order"
            ),
            models.CheckConstraint(
                condition=Q(status="pending") | Q(decided_at__isnull=False),
                name="expediterequest_decided_has_a_time",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "-created_at"]),
            models.Index(fields=["customer", "status"]),
            models.Index(fields=["requested_by", "status"]),
        ]

    def __str__(self):
        return f"expedite {self.order_id} by {self.needed_by} ({self.status})"


class RescheduleEvent(models.Model):
    """Every change to the schedule, with who asked, who did it and what it cost, so expediting
    can be counted per customer and per rep."""

    class Kind(models.TextChoices):
        PLACE = "place", gettext_lazy("Placed")  # an unscheduled job put on the board
        MOVE = "move", gettext_lazy("Moved")  # a scheduled job moved to another day or position
        UNSCHEDULE = "unschedule", gettext_lazy("Taken off the board")
        AUTO = "auto", gettext_lazy("Scheduled automatically")
        EXPEDITE = "expedite", gettext_lazy("Expedited")  # an approved expedite request

    kind = models.CharField(max_length=20, choices=Kind.choices)
    order = models.ForeignKey(Order, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    customer = models.ForeignKey(Customer, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    job = models.ForeignKey(Job, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    expedite = models.ForeignKey(ExpediteRequest, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    from_day = models.DateField(null=True, blank=True)
    to_day = models.DateField(null=True, blank=True)
    jobs_moved = models.PositiveIntegerField(default=0)
    jobs_pushed = models.PositiveIntegerField(
        default=0, help_text=gettext_lazy("Other orders' jobs that now finish later.")
    )
    jobs_made_late = models.PositiveIntegerField(
        default=0, help_text=gettext_lazy("Pushed jobs now past their promised date.")
    )
    overtime_hours = models.DecimalField(**HOURS, default=ZERO)
    detail = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["-created_at", "-id"]),
            models.Index(fields=["kind", "customer"]),
            models.Index(fields=["kind", "requested_by"]),
            models.Index(fields=["order", "-created_at"]),
        ]

    def __str__(self):
        return f"{self.kind} {self.order_id} at {self.created_at:%Y-%m-%d %H:%M}"
