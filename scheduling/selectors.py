"""Reads for the planning board, the API, the order page and the expedite cost.

The board loads only its visible window with a fixed number of queries, whatever the
number of jobs: work centers, calendar exceptions, booked load (one aggregate), the jobs
starting in (or running into) the window, one page of unscheduled jobs and the pending
expedite requests.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.core.paginator import Paginator
from django.db.models import Count, F, Q, QuerySet, Sum, Value, Window
from django.db.models.functions import Greatest, RowNumber
from django.utils import timezone
from django.utils.translation import gettext as _

from orders.models import Order, WorkCenter
from orders.roles import user_has_role

from .access import EDITORS, EXPEDITE_REQUESTERS, READERS
from .models import CapacityException, ExpediteRequest, Job, JobDay, RescheduleEvent, priority_rank
from .planner import ZERO, Capacity, day_capacity, days_between, fmt_hours

HORIZON_DAYS = 180  # how far ahead bookings, the auto-scheduler and expedite costs look
BOARD_DAYS_DEFAULT = 14
BOARD_DAYS_MAX = 28
UNSCHEDULED_PAGE_SIZE = 20
CARDS_PER_CELL = 12  # cards drawn per cell on a 14-day (or wider) board
CARDS_PER_CELL_NARROW = 40  # on a week or less
HIGH_PRIORITY = Decimal("70")
MEDIUM_PRIORITY = Decimal("40")
OPEN_STATES = (Job.State.UNSCHEDULED, Job.State.SCHEDULED)


def priority_band(priority: Decimal | None) -> str:
    """The card colour: high, medium or low (no score yet counts as low)."""
    if priority is None:
        return "low"
    if priority >= HIGH_PRIORITY:
        return "high"
    return "medium" if priority >= MEDIUM_PRIORITY else "low"


# --- capacity -----------------------------------------------------------------------------


def capacity_model(
    *, work_centers: list[WorkCenter], first: date, last: date, exclude_job_ids=(), load_rows=None, exception_rows=None
) -> Capacity:
    """Capacity and load of `work_centers` over [first, last] (two queries). `load_rows`, when
    given, replaces the load query: (work_center_id, day, hours) rows already loaded;
    `exception_rows` the calendar query: (work_center_id, day, kind, hours) rows."""
    ids = [wc.pk for wc in work_centers]
    exceptions = defaultdict(dict)
    if exception_rows is None:
        exception_rows = CapacityException.objects.filter(work_center_id__in=ids, day__range=(first, last)).values_list(
            "work_center_id", "day", "kind", "hours"
        )
    for wc_id, day, kind, hours in exception_rows:
        exceptions[(wc_id, day)][kind] = hours
    capacity = {
        (wc.pk, day): day_capacity(
            hours_per_day=wc.hours_per_day,
            days_per_week=wc.days_per_week,
            day=day,
            exceptions=exceptions.get((wc.pk, day), {}),
        )
        for wc in work_centers
        for day in days_between(first, last)
    }
    if load_rows is None:
        load_rows = (
            JobDay.objects.filter(work_center_id__in=ids, day__range=(first, last))
            .exclude(job_id__in=list(exclude_job_ids))
            .values("work_center_id", "day")
            .annotate(total=Sum("hours"))
            .values_list("work_center_id", "day", "total")
        )
    load = defaultdict(lambda: ZERO)
    for wc_id, day, hours in load_rows:
        load[(wc_id, day)] += hours
    return Capacity(first=first, last=last, capacity=capacity, load=dict(load))


# --- the board ----------------------------------------------------------------------------


@dataclass
class BoardCell:
    work_center: WorkCenter
    day: date
    capacity: Decimal
    load: Decimal
    jobs: list = field(default_factory=list)
    hidden: int = 0  # jobs starting here that are not drawn (beyond the cards per cell)

    @property
    def over(self) -> bool:
        return self.load > self.capacity

    @property
    def free(self) -> Decimal:
        return max(self.capacity - self.load, ZERO)

    @property
    def over_by(self) -> Decimal:
        return max(self.load - self.capacity, ZERO)

    @property
    def percent(self) -> int:
        if self.capacity <= 0:
            return 100 if self.load > 0 else 0
        return min(int(self.load * 100 / self.capacity), 100)


@dataclass
class Board:
    start: date
    days: list[date]
    rows: list[tuple[WorkCenter, list[BoardCell]]]
    unscheduled: object  # a Page of unscheduled jobs
    pending_expedites: list
    today: date

    @property
    def previous_start(self) -> date:
        return self.start - timedelta(days=len(self.days))

    @property
    def next_start(self) -> date:
        return self.start + timedelta(days=len(self.days))


def _decorate(job: Job) -> Job:
    job.band = priority_band(job.priority)
    job.late = job.is_late
    job.spans = bool(job.finish_day and job.scheduled_day and job.finish_day > job.scheduled_day)
    return job


def board(*, start: date, days: int = BOARD_DAYS_DEFAULT, site_id: int | None = None, page=1) -> Board:
    """The planning board for [start, start + days): work centers × days with capacity, load
    and the jobs starting in each cell (jobs that began earlier and run into the window are
    shown in its first column), the unscheduled jobs (one page, highest priority first, then
    the earliest promised date) and the pending expedite requests. Eight queries."""
    days = max(1, min(days, BOARD_DAYS_MAX))
    last = start + timedelta(days=days - 1)
    work_centers = WorkCenter.objects.filter(active=True).select_related("site").order_by("code")
    if site_id:
        work_centers = work_centers.filter(site_id=site_id)
    work_centers = list(work_centers)
    capacity = capacity_model(work_centers=work_centers, first=start, last=last)
    cells = {
        (wc.pk, day): BoardCell(wc, day, capacity.cap(wc.pk, day), capacity.booked(wc.pk, day))
        for wc in work_centers
        for day in days_between(start, last)
    }
    # At most `cards` cards per cell (a window function numbers them), so the page stays the same
    # size however many jobs a cell holds; the rest are counted ("+N more"). The jobs are ranked
    # alone (no joins: the window's 5,000 jobs sort in a few ms), then only the cards drawn are
    # read with what a card shows: joining order, customer, line and product for all 5,000
    # before ranking them was most of the board's database time.
    cards = CARDS_PER_CELL if days > 7 else CARDS_PER_CELL_NARROW
    cell = [F("work_center_id"), Greatest(F("scheduled_day"), Value(start))]
    by_id = {wc.pk: wc for wc in work_centers}
    in_window = Job.objects.filter(work_center__in=list(by_id)).filter(
        Q(scheduled_day__range=(start, last)) | Q(scheduled_day__lt=start, finish_day__gte=start)
    )
    ranked = (
        in_window.annotate(
            rank=Window(RowNumber(), partition_by=cell, order_by=[F("scheduled_day"), F("position"), F("id")])
        )
        .filter(rank__lte=cards)
        .values("id")
    )
    jobs = with_card_fields(Job.objects.filter(pk__in=ranked)).order_by("scheduled_day", "position", "id")
    for job in jobs:
        job.work_center = by_id[job.work_center_id]
        cells[(job.work_center_id, max(job.scheduled_day, start))].jobs.append(_decorate(job))
    for wc_id, day, count in (
        in_window.annotate(cell_day=cell[1]).values("work_center_id", "cell_day").annotate(n=Count("id"))
    ).values_list("work_center_id", "cell_day", "n"):
        target = cells[(wc_id, day)]
        target.hidden = count - len(target.jobs)
    # Counted on the jobs alone; the page's rows with the card fields.
    waiting = unscheduled_jobs(work_center_ids=list(by_id))
    unscheduled_page = Paginator(waiting, UNSCHEDULED_PAGE_SIZE).get_page(page)
    first = (unscheduled_page.number - 1) * UNSCHEDULED_PAGE_SIZE
    unscheduled_page.object_list = [
        _decorate(job) for job in with_card_fields(waiting)[first : first + UNSCHEDULED_PAGE_SIZE]
    ]
    pending = list(
        ExpediteRequest.objects.filter(status=ExpediteRequest.Status.PENDING)
        .select_related("order", "customer", "requested_by")
        .order_by("needed_by", "id")[:20]
    )
    rows = [(wc, [cells[(wc.pk, day)] for day in days_between(start, last)]) for wc in work_centers]
    return Board(
        start=start,
        days=days_between(start, last),
        rows=rows,
        unscheduled=unscheduled_page,
        pending_expedites=pending,
        today=timezone.localdate(),
    )


def with_card_fields(jobs: QuerySet) -> QuerySet:
    """What a job card shows of the order, customer and product, as columns of the job
    (order_number, customer_name, sku) rather than three related objects per card."""
    return jobs.annotate(
        order_number=F("order__number"), customer_name=F("order__customer__name"), sku=F("order_line__product__sku")
    )


def unscheduled_jobs(*, work_center_ids=None) -> QuerySet:
    """Jobs waiting for a place: highest priority first, then the earliest promised date."""
    qs = Job.objects.filter(state=Job.State.UNSCHEDULED).select_related("work_center")
    if work_center_ids is not None:
        qs = qs.filter(work_center_id__in=work_center_ids)
    return qs.order_by(priority_rank().desc(), F("promised_date").asc(nulls_last=True), "id")


def job_list(*, state: str | None = None, work_center_id=None, order_id=None, late: bool | None = None) -> QuerySet:
    qs = Job.objects.select_related("order__customer", "order_line__product", "work_center")
    if state:
        qs = qs.filter(state=state)
    if work_center_id:
        qs = qs.filter(work_center_id=work_center_id)
    if order_id:
        qs = qs.filter(order_id=order_id)
    if late is True:
        qs = qs.filter(finish_day__gt=F("promised_date"))
    return qs.order_by(F("scheduled_day").asc(nulls_last=True), "position", "id")


def late_jobs_count() -> int:
    return Job.objects.filter(state__in=OPEN_STATES, finish_day__gt=F("promised_date")).count()


# --- the order page -----------------------------------------------------------------------


def order_jobs(*, order_id: int) -> list[Job]:
    jobs = list(
        Job.objects.filter(order_id=order_id)
        .select_related("work_center", "order_line__product")
        .order_by("order_line__line_no", "sequence")
    )
    return [_decorate(job) for job in jobs]


def order_scheduling_panel(order: Order, user) -> dict | None:
    """The order's production jobs and expedite requests, for the order page."""
    if not user_has_role(user, READERS):
        return None
    jobs = order_jobs(order_id=order.pk)
    expedites = list(
        ExpediteRequest.objects.filter(order=order).select_related("requested_by", "decided_by").order_by("-id")[:10]
    )
    if not jobs and not expedites:
        return None
    open_jobs = [job for job in jobs if job.state != Job.State.FINISHED]
    pending = next((e for e in expedites if e.status == ExpediteRequest.Status.PENDING), None)
    return {
        "order": order,
        "jobs": jobs,
        "expedites": expedites,
        "finish_day": max((job.finish_day for job in jobs if job.finish_day), default=None),
        "unscheduled": sum(1 for job in jobs if job.state == Job.State.UNSCHEDULED),
        "late": any(job.late for job in open_jobs),
        "can_edit": user_has_role(user, EDITORS),
        "can_expedite": bool(open_jobs) and pending is None and user_has_role(user, EXPEDITE_REQUESTERS),
        "today": timezone.localdate(),
    }


# --- expedite requests --------------------------------------------------------------------


def expedite_list(*, status: str | None = None, requested_by=None) -> QuerySet:
    qs = ExpediteRequest.objects.select_related("order", "customer", "requested_by", "decided_by")
    if status:
        qs = qs.filter(status=status)
    if requested_by is not None:
        qs = qs.filter(requested_by=requested_by)
    return qs.order_by("-created_at", "-id")


def expedite_counts() -> dict:
    """How often expediting happens: requests and approved reschedules per customer and per rep,
    with the overtime and pushed jobs they cost (ten most frequent of each)."""

    def counted(key, label):
        return list(
            ExpediteRequest.objects.values(key, label)
            .annotate(
                requests=Count("id"),
                approved=Count("id", filter=Q(status=ExpediteRequest.Status.APPROVED)),
                declined=Count("id", filter=Q(status=ExpediteRequest.Status.DECLINED)),
            )
            .order_by("-requests", label)[:10]
        )

    costs = {
        row["customer_id"]: row
        for row in RescheduleEvent.objects.filter(kind=RescheduleEvent.Kind.EXPEDITE)
        .values("customer_id")
        .annotate(overtime=Sum("overtime_hours"), pushed=Sum("jobs_pushed"))
    }
    per_customer = counted("customer_id", "customer__name")
    for row in per_customer:
        cost = costs.get(row["customer_id"], {})
        row["overtime"] = cost.get("overtime") or ZERO
        row["pushed"] = cost.get("pushed") or 0
    return {"per_customer": per_customer, "per_rep": counted("requested_by_id", "requested_by__username")}


def reschedule_events(*, kind: str | None = None, order_id=None) -> QuerySet:
    qs = RescheduleEvent.objects.select_related("order", "customer", "requested_by", "actor", "job__work_center")
    if kind:
        qs = qs.filter(kind=kind)
    if order_id:
        qs = qs.filter(order_id=order_id)
    return qs.order_by("-created_at", "-id")


def calendar_exceptions(*, work_center_id=None, upcoming_only: bool = True) -> QuerySet:
    qs = CapacityException.objects.select_related("work_center", "created_by")
    if work_center_id:
        qs = qs.filter(work_center_id=work_center_id)
    if upcoming_only:
        qs = qs.filter(day__gte=timezone.localdate())
    return qs.order_by("day", "work_center__code", "kind")


@dataclass
class PushedJob:
    job: Job
    old_start: date
    old_finish: date
    new_start: date | None  # None: it no longer fits within the horizon and leaves the board
    new_finish: date | None
    pieces: list

    @property
    def late_before(self) -> bool:
        return bool(self.job.promised_date and self.old_finish > self.job.promised_date)

    @property
    def late_after(self) -> bool:
        promised = self.job.promised_date
        return bool(promised and (self.new_finish is None or self.new_finish > promised))

    @property
    def made_late(self) -> bool:
        return self.late_after and not self.late_before

    @property
    def pushed(self) -> bool:
        """It now finishes later (or leaves the board)."""
        return self.new_finish is None or self.new_finish > self.old_finish


@dataclass
class ExpediteCost:
    """What pulling an order in to `needed_by` costs: its jobs' new bookings, the other jobs
    that would be pushed later (with their customers' promised dates) and the overtime."""

    order: Order
    needed_by: date
    feasible: bool = True
    message: str = ""
    finish_before: date | None = None
    finish_after: date | None = None
    bookings: list = field(default_factory=list)  # (job, pieces) for the expedited order
    rebooked: list = field(default_factory=list)  # PushedJob: other jobs whose booking changes
    overtime: dict = field(default_factory=dict)  # (work_center_id, day) -> hours
    overtime_cost: Decimal = ZERO
    work_centers: dict = field(default_factory=dict)

    @property
    def overtime_hours(self) -> Decimal:
        return sum(self.overtime.values(), ZERO)

    @property
    def pushed(self) -> list:
        return [p for p in self.rebooked if p.pushed]

    @property
    def made_late(self) -> list:
        return [p for p in self.pushed if p.made_late]

    @property
    def overtime_rows(self) -> list:
        return [
            {"work_center": self.work_centers[wc_id], "day": day, "hours": hours}
            for (wc_id, day), hours in sorted(self.overtime.items(), key=lambda item: (item[0][1], item[0][0]))
        ]

    @property
    def nothing_to_do(self) -> bool:
        return self.feasible and not self.bookings


def expedite_cost(*, order_id: int, needed_by: date, max_overtime_per_day: Decimal = Decimal("8")) -> ExpediteCost:
    """Simulate pulling the order in so that it finishes by `needed_by` (no writes).

    The order's open jobs go first, from today, into the capacity their work centers have once
    every job not yet started is set aside, each operation after the previous one of its line.
    What normal capacity cannot deliver by `needed_by` becomes overtime on that day, at most
    `max_overtime_per_day` per work center and day (and 24 h in all) — beyond that the request
    is not feasible. Then the other scheduled jobs on those work centers take their places back
    in board order: a job keeps its booking if it still fits, else it is pushed to the earliest
    capacity after its start (or off the board past the horizon). Operations on other work
    centers are not moved. Six queries."""
    today = timezone.localdate()
    last = today + timedelta(days=HORIZON_DAYS)
    order = Order.objects.select_related("customer").get(pk=order_id)
    cost = ExpediteCost(order=order, needed_by=needed_by)
    order_jobs_ = list(Job.objects.filter(order_id=order_id).order_by("order_line_id", "sequence"))
    open_jobs = [job for job in order_jobs_ if job.state in OPEN_STATES]
    if open_jobs and all(job.finish_day for job in order_jobs_ if job.state != Job.State.FINISHED):
        cost.finish_before = max(job.finish_day for job in order_jobs_ if job.finish_day)
    if not open_jobs:
        cost.feasible, cost.message = False, _("The order has no job left to move.")
        return cost
    if needed_by < today:
        cost.feasible, cost.message = False, _("The date asked for has passed.")
        return cost
    if cost.finish_before and cost.finish_before <= needed_by:
        cost.finish_after = cost.finish_before
        cost.message = _("The order already finishes by that date: nothing to move.")
        return cost

    wc_ids = sorted({job.work_center_id for job in open_jobs})
    work_centers = {wc.pk: wc for wc in WorkCenter.objects.filter(pk__in=wc_ids)}
    cost.work_centers = work_centers
    others = list(
        Job.objects.filter(work_center_id__in=wc_ids, state=Job.State.SCHEDULED, scheduled_day__gte=today)
        .exclude(order_id=order_id)
        .select_related("order__customer")
        .order_by("scheduled_day", "position", "id")
    )
    movable = {job.pk for job in others} | {job.pk for job in open_jobs}
    pieces_of = defaultdict(list)
    fixed_load = []
    for job_id, wc_id, day, hours in JobDay.objects.filter(
        work_center_id__in=wc_ids, day__range=(today, last)
    ).values_list("job_id", "work_center_id", "day", "hours"):
        if job_id in movable:
            pieces_of[job_id].append((day, hours))
        else:
            fixed_load.append((wc_id, day, hours))
    capacity = capacity_model(work_centers=list(work_centers.values()), first=today, last=last, load_rows=fixed_load)

    # 1. the expedited order, first in line
    line_ready = {}
    for job in order_jobs_:
        if job.state in (Job.State.STARTED, Job.State.FINISHED) and job.finish_day:
            line_ready[job.order_line_id] = max(line_ready.get(job.order_line_id, today), job.finish_day)
    finishes = [job.finish_day for job in order_jobs_ if job.state == Job.State.STARTED and job.finish_day]
    for job in open_jobs:
        earliest = max(today, line_ready.get(job.order_line_id, today))
        if earliest > needed_by:
            cost.feasible = False
            cost.message = _("Operation %(sequence)s cannot start before %(earliest)s, after the date asked for.") % {
                "sequence": job.sequence,
                "earliest": format(earliest, "%Y-%m-%d"),
            }
            return cost
        pieces, left = capacity.plan(wc_id=job.work_center_id, hours=job.hours, start=earliest, until=needed_by)
        if left > 0:
            overtime_so_far = cost.overtime.get((job.work_center_id, needed_by), ZERO)
            day_total = capacity.cap(job.work_center_id, needed_by) + left
            if overtime_so_far + left > max_overtime_per_day or day_total > Decimal("24"):
                cost.feasible = False
                cost.message = _(
                    "%(code)s cannot make it by %(needed_by)s even with %(max_overtime_per_day)s h overtime."
                ) % {
                    "code": work_centers[job.work_center_id].code,
                    "needed_by": format(needed_by, "%Y-%m-%d"),
                    "max_overtime_per_day": fmt_hours(max_overtime_per_day),
                }
                return cost
            capacity.add_capacity(wc_id=job.work_center_id, day=needed_by, hours=left)
            cost.overtime[(job.work_center_id, needed_by)] = overtime_so_far + left
            merged = dict(pieces)
            merged[needed_by] = merged.get(needed_by, ZERO) + left
            pieces = sorted(merged.items())
        capacity.take(wc_id=job.work_center_id, pieces=pieces)
        cost.bookings.append((job, pieces))
        line_ready[job.order_line_id] = pieces[-1][0]
        finishes.append(pieces[-1][0])
    cost.finish_after = max(finishes)

    # 2. everyone else takes their place back, in board order
    moved_finish = {}
    for job in others:
        pieces = pieces_of.get(job.pk, [])
        earliest = max(job.scheduled_day, moved_finish.get(job.order_line_id, job.scheduled_day))
        if earliest == job.scheduled_day and pieces and capacity.fits(wc_id=job.work_center_id, pieces=pieces):
            capacity.take(wc_id=job.work_center_id, pieces=pieces)
            continue
        new = capacity.book(wc_id=job.work_center_id, hours=job.hours, start=earliest)
        new_start, new_finish = (new[0][0], new[-1][0]) if new else (None, None)
        rebooked = PushedJob(job, job.scheduled_day, job.finish_day, new_start, new_finish, new or [])
        cost.rebooked.append(rebooked)
        if rebooked.pushed:
            moved_finish[job.order_line_id] = new_finish or last
    cost.overtime_cost = sum(
        (hours * work_centers[wc_id].hourly_rate for (wc_id, _day), hours in cost.overtime.items()), ZERO
    ).quantize(Decimal("0.01"))
    return cost
