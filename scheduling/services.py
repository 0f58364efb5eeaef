"""Every write of scheduling: jobs from back orders, placing and moving them on the board,
the auto-scheduler, starting and finishing work, expedite requests and the calendar.

Locks are always taken in the same order — work center rows, then job rows, then the order
(order_transition locks it) — so concurrent schedulers cannot deadlock. Every booking of
hours locks its work center first, so two bookings can never together overfill a day.
Order statuses move only through orders.services.order_transition.
"""

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.translation import gettext as _

from orders.errors import ActionNotPermitted, ValidationFailed
from orders.models import Order, OrderLine, RoutingStep, Site, WorkCenter
from orders.roles import user_has_role
from orders.services import order_transition, outbox_enqueue
from orders.states import OrderStatus

from . import selectors
from .access import EDITORS, EXPEDITE_REQUESTERS
from .errors import CapacityExceeded, JobChanged, JobStateError
from .models import CapacityException, ExpediteRequest, Job, JobDay, RescheduleEvent, priority_rank
from .planner import ZERO, fmt_hours, job_hours

TOPIC_PRODUCED = "scheduling.produced"
EXPEDITABLE_STATUSES = (OrderStatus.ACCEPTED, OrderStatus.SCHEDULED, OrderStatus.IN_PRODUCTION)
S = Job.State


def _require(actor, roles, what: str) -> None:
    """actor=None is the system itself; a person needs one of `roles`."""
    if actor is not None and not user_has_role(actor, roles):
        raise ActionNotPermitted(_("Your role may not %(what)s.") % {"what": what})


def _check_version(job: Job, expected_version: int | None) -> None:
    if expected_version is not None and job.version != expected_version:
        raise JobChanged(
            _(
                "Someone else changed this job (order %(number)s, operation %(sequence)s) since you loaded "
                "the board. Reload the board and try again."
            )
            % {"number": job.order.number, "sequence": job.sequence}
        )


def _write_booking(job: Job, pieces) -> None:
    JobDay.objects.filter(job=job).delete()
    JobDay.objects.bulk_create(
        [JobDay(job=job, work_center_id=job.work_center_id, day=day, hours=hours) for day, hours in pieces]
    )


def _order_schedule_if_placed(*, order_id: int, actor) -> bool:
    """Move an accepted order to scheduled once none of its jobs waits unscheduled. The order
    row is locked before counting, so two schedulers placing its last two jobs at once
    still move it exactly once."""
    order = Order.objects.select_for_update().get(pk=order_id)
    if order.status != OrderStatus.ACCEPTED:
        return False
    jobs = Job.objects.filter(order_id=order_id)
    if not jobs.exists() or jobs.filter(state=S.UNSCHEDULED).exists():
        return False
    order_transition(
        order_id=order_id, action="schedule", actor=actor, note="Every production job is on the planning board."
    )
    return True


# --- jobs from back orders ----------------------------------------------------------------


def jobs_create_from_backorder(*, order_id: int, lines: dict[int, Decimal]) -> int:
    """Create the production jobs for what an order could not get from stock: one job per
    routing operation of each line's product, hours = setup + hours per unit × quantity,
    with the order's priority and promised date. Idempotent: a line/operation that already has
    a job is left alone (unique constraint), so a second delivery creates nothing. Lines whose
    product has no routing get no job (the order panel says so). Returns how many were created."""
    order = Order.objects.get(pk=order_id)
    if order.status in (OrderStatus.CANCELLED, OrderStatus.REJECTED, OrderStatus.CLOSED):
        return 0
    order_lines = OrderLine.objects.filter(order_id=order_id, pk__in=list(lines)).in_bulk()
    routing = defaultdict(list)
    for step in RoutingStep.objects.filter(product_id__in={line.product_id for line in order_lines.values()}).order_by(
        "sequence"
    ):
        routing[step.product_id].append(step)
    now = timezone.now()
    jobs = [
        Job(
            order_id=order_id,
            order_line_id=line_id,
            routing_step=step,
            sequence=step.sequence,
            work_center_id=step.work_center_id,
            quantity=quantity,
            hours=job_hours(setup_hours=step.setup_hours, hours_per_unit=step.hours_per_unit, quantity=quantity),
            priority=order.priority_score,
            promised_date=order.promised_date,
            created_at=now,
        )
        for line_id, quantity in sorted(lines.items())
        if quantity > 0 and line_id in order_lines
        for step in routing[order_lines[line_id].product_id]
    ]
    before = Job.objects.filter(order_id=order_id).count()
    Job.objects.bulk_create(jobs, ignore_conflicts=True)
    return Job.objects.filter(order_id=order_id).count() - before


def jobs_drop_for_order(*, order_id: int) -> int:
    """The order was cancelled: its unfinished jobs leave the board (freeing their hours) and
    its pending expedite requests are declined. Returns how many jobs were removed."""
    with transaction.atomic():
        ExpediteRequest.objects.filter(order_id=order_id, status=ExpediteRequest.Status.PENDING).update(
            status=ExpediteRequest.Status.DECLINED, decided_at=timezone.now(), decision_note="The order was cancelled."
        )
        deleted, _details = Job.objects.filter(order_id=order_id).exclude(state=S.FINISHED).delete()
    return deleted


# --- the board ----------------------------------------------------------------------------


def _locked_job(job_id: int) -> Job:
    """Lock the job's work center, then the job (the lock order every booking follows)."""
    work_center_id = Job.objects.values_list("work_center_id", flat=True).get(pk=job_id)
    WorkCenter.objects.select_for_update().get(pk=work_center_id)
    return Job.objects.select_for_update(of=("self",)).select_related("order", "work_center").get(pk=job_id)


def job_move(*, job_id: int, day: date, expected_version: int | None, actor, position: int | None = None) -> Job:
    """Place a job (unscheduled or scheduled, not started) to start on `day` at `position` among
    the jobs starting in that cell. Guarantees: the job was not changed by someone else since
    `expected_version` (else JobChanged, 409); the day is not past and has free hours on the
    job's work center (else CapacityExceeded, 400, nothing saved); the hours are booked from
    that day on into free capacity only, so no day is ever booked past its capacity; the job's
    version grows; a RescheduleEvent records it; an accepted order whose jobs are now all
    placed moves to scheduled. Finishing after the promised date is allowed and flagged."""
    _require(actor, EDITORS, "plan production")
    today = timezone.localdate()
    with transaction.atomic():
        job = _locked_job(job_id)
        _check_version(job, expected_version)
        if job.state not in (S.UNSCHEDULED, S.SCHEDULED):
            raise JobStateError(
                _("This job is %(lower)s: it stays where it is.") % {"lower": job.get_state_display().lower()}
            )
        if day < today:
            raise ValidationFailed(
                _("A job cannot start in the past."), field_errors={"day": [_("Choose today or later.")]}
            )
        last = today + timedelta(days=selectors.HORIZON_DAYS)
        if day > last:
            raise ValidationFailed(
                _("That is beyond the planning horizon."),
                field_errors={"day": [_("Choose a day up to %(last)s.") % {"last": format(last, "%Y-%m-%d")}]},
            )
        capacity = selectors.capacity_model(
            work_centers=[job.work_center], first=day, last=last, exclude_job_ids=[job.pk]
        )
        wc = job.work_center
        if capacity.free(wc.pk, day) <= 0:
            raise CapacityExceeded(
                _(
                    "Overload refused: %(code)s on %(day)s has %(booked)s of %(capacity)s h booked, "
                    "nothing free for this job's %(hours)s h."
                )
                % {
                    "code": wc.code,
                    "day": format(day, "%a %d %b"),
                    "booked": fmt_hours(capacity.booked(wc.pk, day)),
                    "capacity": fmt_hours(capacity.cap(wc.pk, day)),
                    "hours": fmt_hours(job.hours),
                },
                field_errors={"day": [_("No free capacity on this day.")]},
            )
        pieces = capacity.book(wc_id=wc.pk, hours=job.hours, start=day)
        if pieces is None:
            raise CapacityExceeded(
                _("Overload refused: %(code)s has not %(hours)s h free before %(last)s.")
                % {"code": wc.code, "hours": fmt_hours(job.hours), "last": format(last, "%Y-%m-%d")},
                field_errors={"day": [_("Not enough capacity within the horizon.")]},
            )
        from_day, was_state = job.scheduled_day, job.state
        _write_booking(job, pieces)
        job.state, job.scheduled_day, job.finish_day = S.SCHEDULED, pieces[0][0], pieces[-1][0]
        job.version += 1
        job.position = _cell_insert(job, position)
        job.save(update_fields=["state", "scheduled_day", "finish_day", "position", "version", "updated_at"])
        RescheduleEvent.objects.create(
            kind=RescheduleEvent.Kind.PLACE if was_state == S.UNSCHEDULED else RescheduleEvent.Kind.MOVE,
            order=job.order,
            customer_id=job.order.customer_id,
            job=job,
            requested_by=actor,
            actor=actor,
            from_day=from_day,
            to_day=job.scheduled_day,
            jobs_moved=1,
            detail={"finish_day": job.finish_day.isoformat(), "late": job.is_late, "hours": str(job.hours)},
            created_at=timezone.now(),
        )
        _order_schedule_if_placed(order_id=job.order_id, actor=actor)
    return job


def _cell_insert(job: Job, position: int | None) -> int:
    """Renumber the jobs starting in the job's cell with the job at `position` (end if None)."""
    siblings = list(
        Job.objects.filter(work_center_id=job.work_center_id, scheduled_day=job.scheduled_day)
        .exclude(pk=job.pk)
        .order_by("position", "id")
        .only("id", "position")
    )
    position = len(siblings) if position is None else max(0, min(position, len(siblings)))
    changed = []
    for index, sibling in enumerate(siblings):
        wanted = index if index < position else index + 1
        if sibling.position != wanted:
            sibling.position = wanted
            changed.append(sibling)
    Job.objects.bulk_update(changed, ["position"])
    return position


def job_unschedule(*, job_id: int, expected_version: int | None, actor) -> Job:
    """Take a scheduled (not started) job off the board back to the unscheduled list, freeing its
    hours. Refused with 409 if someone changed it meanwhile. The order keeps its status (there
    is no way back from scheduled); the job waits in the side list."""
    _require(actor, EDITORS, "plan production")
    with transaction.atomic():
        job = _locked_job(job_id)
        _check_version(job, expected_version)
        if job.state != S.SCHEDULED:
            raise JobStateError(
                _("This job is %(lower)s: it cannot be taken off the board.")
                % {"lower": job.get_state_display().lower()}
            )
        from_day = job.scheduled_day
        JobDay.objects.filter(job=job).delete()
        job.state, job.scheduled_day, job.finish_day, job.position = S.UNSCHEDULED, None, None, 0
        job.version += 1
        job.save(update_fields=["state", "scheduled_day", "finish_day", "position", "version", "updated_at"])
        RescheduleEvent.objects.create(
            kind=RescheduleEvent.Kind.UNSCHEDULE,
            order=job.order,
            customer_id=job.order.customer_id,
            job=job,
            requested_by=actor,
            actor=actor,
            from_day=from_day,
            jobs_moved=1,
            created_at=timezone.now(),
        )
    return job


def job_start(*, job_id: int, actor, expected_version: int | None = None) -> Job:
    """Work starts on a scheduled job. Refused unless the order's jobs are all placed (the
    order is scheduled or in production) and the previous operation of the line has started.
    Starting the order's first job moves the order to in_production."""
    _require(actor, EDITORS, "start production")
    with transaction.atomic():
        job = Job.objects.select_for_update(of=("self",)).select_related("order", "work_center").get(pk=job_id)
        _check_version(job, expected_version)
        if job.state != S.SCHEDULED:
            raise JobStateError(
                _("This job is %(lower)s: only a scheduled job can start.") % {"lower": job.get_state_display().lower()}
            )
        order = job.order
        if order.status == OrderStatus.ACCEPTED:
            raise ValidationFailed(
                _("Place all of order %(number)s's jobs on the board before starting one.") % {"number": order.number},
                field_errors={"job": [_("The order still has unscheduled jobs.")]},
            )
        if order.status not in (OrderStatus.SCHEDULED, OrderStatus.IN_PRODUCTION):
            raise JobStateError(
                _("Order %(number)s is %(lower)s: no production now.")
                % {"number": order.number, "lower": order.get_status_display().lower()}
            )
        waiting = Job.objects.filter(
            order_line_id=job.order_line_id, sequence__lt=job.sequence, state__in=(S.UNSCHEDULED, S.SCHEDULED)
        ).exists()
        if waiting:
            raise ValidationFailed(
                _("The previous operation of this line has not started yet."),
                field_errors={"job": [_("Start the earlier operation first.")]},
            )
        job.state, job.started_at = S.STARTED, timezone.now()
        job.version += 1
        job.save(update_fields=["state", "started_at", "version", "updated_at"])
        if order.status == OrderStatus.SCHEDULED:
            order_transition(
                order_id=order.pk,
                action="start",
                actor=actor,
                note=f"Operation {job.sequence} started on {job.work_center.code}.",
            )
    return job


def job_finish(*, job_id: int, actor, expected_version: int | None = None) -> Job:
    """A started job is done. When it is the order's last unfinished job, in the same
    transaction: "scheduling.produced" is published with what was made per line (the quantity
    of each line's last operation) and the site of the finishing work center (else the order's,
    else the first site), and the order moves to ready_to_ship (mark_ready) — the warehouse then
    receives the goods into stock for this order. The order row is locked before counting, so
    two jobs finishing at once publish exactly one message."""
    _require(actor, EDITORS, "record production")
    with transaction.atomic():
        job = Job.objects.select_for_update(of=("self",)).select_related("work_center").get(pk=job_id)
        _check_version(job, expected_version)
        if job.state != S.STARTED:
            raise JobStateError(
                _("This job is %(lower)s: only a started job can finish.") % {"lower": job.get_state_display().lower()}
            )
        job.state, job.finished_at = S.FINISHED, timezone.now()
        job.version += 1
        job.save(update_fields=["state", "finished_at", "version", "updated_at"])
        order = Order.objects.select_for_update().get(pk=job.order_id)
        if Job.objects.filter(order_id=order.pk).exclude(state=S.FINISHED).exists():
            return job
        if order.status != OrderStatus.IN_PRODUCTION:
            raise JobStateError(
                _("Order %(number)s is %(lower)s, not in production.")
                % {"number": order.number, "lower": order.get_status_display().lower()}
            )
        made = {}
        for line_id, quantity in (
            Job.objects.filter(order_id=order.pk)
            .order_by("order_line_id", "sequence")
            .values_list("order_line_id", "quantity")
        ):
            made[str(line_id)] = str(quantity)  # the last operation of each line wins
        site_id = (
            job.work_center.site_id or order.site_id or Site.objects.order_by("id").values_list("id", flat=True).first()
        )
        outbox_enqueue(topic=TOPIC_PRODUCED, order=order, payload={"site_id": site_id, "lines": made})
        order_transition(
            order_id=order.pk,
            action="mark_ready",
            actor=actor,
            note="Production finished; the goods go to the warehouse.",
        )
    return job


# --- the auto-scheduler -------------------------------------------------------------------


def jobs_schedule_automatically(*, actor, start: date | None = None) -> dict:
    """Place every unscheduled job: highest priority first, then the earliest promised date,
    each into the earliest free capacity of its work center from `start` (today), never before
    the previous operation of its line finishes and never booking a day past its capacity.
    Jobs that do not fit within the horizon (or whose previous operation did not) stay
    unscheduled. Work centers are locked for the run, so nothing else books meanwhile. Orders
    whose jobs are now all placed move to scheduled. Returns placed, left and late counts."""
    _require(actor, EDITORS, "plan production")
    today = timezone.localdate()
    start = max(start or today, today)
    last = today + timedelta(days=selectors.HORIZON_DAYS)
    with transaction.atomic():
        work_centers = list(WorkCenter.objects.select_for_update().order_by("id"))
        jobs = list(
            Job.objects.select_for_update()
            .filter(state=S.UNSCHEDULED)
            .order_by(
                priority_rank().desc(),
                F("promised_date").asc(nulls_last=True),
                "order_id",
                "order_line_id",
                "sequence",
            )
        )
        if not jobs:
            return {"placed": 0, "left": 0, "late": 0, "orders_scheduled": 0}
        capacity = selectors.capacity_model(work_centers=work_centers, first=start, last=last)
        # Where each line's operations already stand (sequence -> finish day, None if unplaced).
        line_ops = defaultdict(dict)
        for line_id, sequence, state, finish in Job.objects.filter(
            order_line_id__in={job.order_line_id for job in jobs}
        ).values_list("order_line_id", "sequence", "state", "finish_day"):
            line_ops[line_id][sequence] = finish if state != S.UNSCHEDULED else None
        next_position = defaultdict(int)
        for wc_id, day, top in (
            Job.objects.filter(scheduled_day__range=(start, last))
            .values("work_center_id", "scheduled_day")
            .annotate(top=Max("position"))
            .values_list("work_center_id", "scheduled_day", "top")
        ):
            next_position[(wc_id, day)] = top + 1
        placed, bookings = [], []
        for job in jobs:
            earlier = [seq for seq in line_ops[job.order_line_id] if seq < job.sequence]
            earliest = start
            if earlier:
                previous_finish = line_ops[job.order_line_id][max(earlier)]
                if previous_finish is None:
                    continue  # its previous operation found no place
                earliest = max(earliest, previous_finish)
            pieces = capacity.book(wc_id=job.work_center_id, hours=job.hours, start=earliest)
            if pieces is None:
                continue
            job.state, job.scheduled_day, job.finish_day = S.SCHEDULED, pieces[0][0], pieces[-1][0]
            job.position = next_position[(job.work_center_id, job.scheduled_day)]
            next_position[(job.work_center_id, job.scheduled_day)] += 1
            job.version += 1
            line_ops[job.order_line_id][job.sequence] = job.finish_day
            placed.append(job)
            bookings += [JobDay(job=job, work_center_id=job.work_center_id, day=d, hours=h) for d, h in pieces]
        Job.objects.bulk_update(
            placed, ["state", "scheduled_day", "finish_day", "position", "version"], batch_size=1000
        )
        JobDay.objects.bulk_create(bookings, batch_size=2000)
        late = sum(1 for job in placed if job.is_late)
        RescheduleEvent.objects.create(
            kind=RescheduleEvent.Kind.AUTO,
            actor=actor,
            requested_by=actor,
            jobs_moved=len(placed),
            detail={"placed": len(placed), "left": len(jobs) - len(placed), "late": late},
            created_at=timezone.now(),
        )
        scheduled = 0
        for order_id in sorted({job.order_id for job in placed}):
            scheduled += _order_schedule_if_placed(order_id=order_id, actor=actor)
    return {"placed": len(placed), "left": len(jobs) - len(placed), "late": late, "orders_scheduled": scheduled}


# --- expedite requests --------------------------------------------------------------------


def expedite_request_create(*, order_id: int, needed_by: date, reason: str, actor) -> ExpediteRequest:
    """A sales rep asks to have an order finished by `needed_by`. Guarantees: the order is in
    production planning (accepted, scheduled or in production) with a job left to make, the
    date is not past, a reason is given, and the order has at most one pending request."""
    _require(actor, EXPEDITE_REQUESTERS, "ask for an expedite")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(
            _("A reason is required."), field_errors={"reason": [_("Say why the customer needs it.")]}
        )
    if needed_by < timezone.localdate():
        raise ValidationFailed(_("The date has passed."), field_errors={"needed_by": [_("Choose today or later.")]})
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order_id)
        if order.status not in EXPEDITABLE_STATUSES:
            raise ValidationFailed(
                _("Order %(number)s is %(lower)s: nothing for production to expedite.")
                % {"number": order.number, "lower": order.get_status_display().lower()},
                field_errors={"order": [_("Not in production planning.")]},
            )
        if not Job.objects.filter(order_id=order_id).exclude(state=S.FINISHED).exists():
            raise ValidationFailed(
                _("Order %(number)s has no production job left.") % {"number": order.number},
                field_errors={"order": [_("No open job.")]},
            )
        if ExpediteRequest.objects.filter(order_id=order_id, status=ExpediteRequest.Status.PENDING).exists():
            raise ValidationFailed(
                _("Order %(number)s already has a pending expedite request.") % {"number": order.number},
                field_errors={"order": [_("A request is already pending.")]},
            )
        return ExpediteRequest.objects.create(
            order=order,
            customer_id=order.customer_id,
            requested_by=actor,
            needed_by=needed_by,
            reason=reason,
            created_at=timezone.now(),
        )


def _locked_pending(request_id: int) -> ExpediteRequest:
    request = ExpediteRequest.objects.select_for_update().select_related("order").get(pk=request_id)
    if request.status != ExpediteRequest.Status.PENDING:
        raise JobStateError(_("This request was already %(lower)s.") % {"lower": request.get_status_display().lower()})
    return request


def expedite_approve(*, request_id: int, actor, note: str = "") -> tuple[ExpediteRequest, selectors.ExpediteCost]:
    """Approve a pending request and apply it, in one transaction: the work centers involved and
    the jobs that may move are locked, the cost is computed again on the locked board (it may
    differ from what was shown if the board changed), and if feasible: the order's jobs get their
    new bookings, pushed jobs theirs (or go back to the unscheduled list past the horizon),
    overtime is added to the calendar as extra hours (so no day is booked past capacity), every
    moved job's version grows, and one RescheduleEvent records who asked, who approved and the
    cost. Not feasible: ValidationFailed and nothing changes."""
    _require(actor, EDITORS, "approve an expedite")
    today = timezone.localdate()
    with transaction.atomic():
        request = _locked_pending(request_id)
        open_jobs = Job.objects.filter(order_id=request.order_id, state__in=(S.UNSCHEDULED, S.SCHEDULED))
        wc_ids = sorted(set(open_jobs.values_list("work_center_id", flat=True)))
        list(WorkCenter.objects.select_for_update().filter(pk__in=wc_ids).order_by("id"))
        # The jobs that may move: the order's open ones and those not started on its work centers.
        list(
            Job.objects.select_for_update()
            .filter(work_center_id__in=wc_ids, state=S.SCHEDULED, scheduled_day__gte=today)
            .order_by("id")
            .values_list("id", flat=True)
        )
        list(open_jobs.select_for_update().order_by("id").values_list("id", flat=True))
        cost = selectors.expedite_cost(order_id=request.order_id, needed_by=request.needed_by)
        if not cost.feasible:
            raise ValidationFailed(cost.message, field_errors={"needed_by": [cost.message]})
        now = timezone.now()
        for (wc_id, day), hours in cost.overtime.items():
            exception, _created = CapacityException.objects.get_or_create(
                work_center_id=wc_id,
                day=day,
                kind=CapacityException.Kind.EXTRA,
                defaults={"hours": ZERO, "note": "", "created_by": actor, "created_at": now},
            )
            exception.hours += hours
            exception.note = (exception.note + f" Expedite {request.order.number}.").strip()[:200]
            exception.save(update_fields=["hours", "note"])
        changed = []
        for job, pieces in cost.bookings:
            _write_booking(job, pieces)
            job.state, job.scheduled_day, job.finish_day, job.position = S.SCHEDULED, pieces[0][0], pieces[-1][0], 0
            changed.append(job)
        for rebooked in cost.rebooked:
            job = rebooked.job
            _write_booking(job, rebooked.pieces)
            if rebooked.pieces:
                job.scheduled_day, job.finish_day = rebooked.new_start, rebooked.new_finish
            else:
                job.state, job.scheduled_day, job.finish_day, job.position = S.UNSCHEDULED, None, None, 0
            changed.append(job)
        for job in changed:
            job.version += 1
        Job.objects.bulk_update(changed, ["state", "scheduled_day", "finish_day", "position", "version"])
        request.status, request.decided_by, request.decided_at = ExpediteRequest.Status.APPROVED, actor, now
        request.decision_note = (note or "").strip()[:500]
        request.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
        RescheduleEvent.objects.create(
            kind=RescheduleEvent.Kind.EXPEDITE,
            order=request.order,
            customer_id=request.customer_id,
            expedite=request,
            requested_by=request.requested_by,
            actor=actor,
            from_day=cost.finish_before,
            to_day=cost.finish_after,
            jobs_moved=len(cost.bookings),
            jobs_pushed=len(cost.pushed),
            jobs_made_late=len(cost.made_late),
            overtime_hours=cost.overtime_hours,
            detail={
                "needed_by": request.needed_by.isoformat(),
                "overtime_cost": str(cost.overtime_cost),
                "pushed": [
                    {
                        "job": p.job.pk,
                        "order": p.job.order.number,
                        "customer": p.job.order.customer.name,
                        "promised_date": p.job.promised_date.isoformat() if p.job.promised_date else None,
                        "finish_before": p.old_finish.isoformat(),
                        "finish_after": p.new_finish.isoformat() if p.new_finish else None,
                    }
                    for p in cost.pushed
                ],
            },
            created_at=now,
        )
        _order_schedule_if_placed(order_id=request.order_id, actor=actor)
    return request, cost


def expedite_decline(*, request_id: int, actor, reason: str) -> ExpediteRequest:
    """Decline a pending request with a reason (required); the board does not change."""
    _require(actor, EDITORS, "decline an expedite")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("A reason is required."), field_errors={"reason": [_("Say why it is declined.")]})
    with transaction.atomic():
        request = _locked_pending(request_id)
        request.status, request.decided_by, request.decided_at = ExpediteRequest.Status.DECLINED, actor, timezone.now()
        request.decision_note = reason[:500]
        request.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    return request


# --- the capacity calendar ----------------------------------------------------------------


def capacity_exception_set(
    *, work_center_id: int, day: date, kind: str, hours: Decimal, note: str, actor
) -> CapacityException:
    """Record (or replace) a calendar exception for a work center and day. Capacity may then
    fall below what is booked (a breakdown happens regardless): the board flags that cell as
    overloaded for the scheduler to move jobs; nothing is moved automatically."""
    _require(actor, EDITORS, "change the capacity calendar")
    if kind == CapacityException.Kind.HOLIDAY:
        hours = ZERO
    elif not ZERO < hours <= Decimal("24"):
        raise ValidationFailed(_("Hours must be between 0 and 24."), field_errors={"hours": [_("Between 0 and 24.")]})
    with transaction.atomic():
        WorkCenter.objects.select_for_update().get(pk=work_center_id)
        exception, _created = CapacityException.objects.update_or_create(
            work_center_id=work_center_id,
            day=day,
            kind=kind,
            defaults={"hours": hours, "note": note.strip()[:200]},
            create_defaults={
                "hours": hours,
                "note": note.strip()[:200],
                "created_by": actor,
                "created_at": timezone.now(),
            },
        )
    return exception


def capacity_exception_delete(*, exception_id: int, actor) -> None:
    """Remove a calendar exception; the day goes back to the weekly pattern."""
    _require(actor, EDITORS, "change the capacity calendar")
    with transaction.atomic():
        CapacityException.objects.filter(pk=exception_id).delete()
