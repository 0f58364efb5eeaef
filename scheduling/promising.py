"""What scheduling tells order entry: when production could make goods (available-to-promise
from capacity) and how full the needed work centers are (the priority's capacity fit)."""

from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Sum
from django.utils import timezone

from orders import memo
from orders.models import RoutingStep
from orders.providers import Promise
from orders.selectors import order_lines, routings

from .models import CapacityException, JobDay
from .planner import job_hours
from .selectors import capacity_model

HORIZON_DAYS = 120
FIT_WEEKS = 4
SELL_NOW_QUANTITY = Decimal("10")  # the 'typical quantity' the start page quotes a ship date for


def promise_from_capacity(product, quantity: Decimal, site) -> list[Promise]:
    """Book the routing, operation after operation, into the earliest free hours from tomorrow
    (nothing is saved), then add the lead time to ship: the date it could leave."""
    steps = list(RoutingStep.objects.filter(product=product).select_related("work_center").order_by("sequence"))
    if not steps:
        return []
    first = timezone.localdate() + timedelta(days=1)
    model = capacity_model(
        work_centers=[step.work_center for step in steps], first=first, last=first + timedelta(days=HORIZON_DAYS)
    )
    return _promise_on(model, steps, quantity)


def promises_from_capacity(items: list[tuple], site) -> list[list[Promise]]:
    """promise_from_capacity for all lines of an order (providers "promises"): the routings in one
    query and the calendars and load of all their work centers in two, each line booked into its
    own fresh model as if it were alone."""
    routing = routings(product.pk for product, _quantity in items)
    first = timezone.localdate() + timedelta(days=1)
    last = first + timedelta(days=HORIZON_DAYS)
    answers = []
    for product, quantity in items:
        steps = routing.get(product.pk, [])
        if not steps:
            answers.append([])
            continue
        work_centers = list({step.work_center_id: step.work_center for step in steps}.values())
        answers.append(_promise_on(_capacity(work_centers, routing, first, last), steps, quantity))
    return answers


def _promise_on(model, steps, quantity: Decimal) -> list[Promise]:
    start, first_start = model.first, None
    for step in steps:
        pieces = model.book(
            wc_id=step.work_center_id,
            start=start,
            hours=job_hours(setup_hours=step.setup_hours, hours_per_unit=step.hours_per_unit, quantity=quantity),
        )
        if pieces is None:
            return []  # beyond the horizon: order entry falls back to the standard lead time
        first_start = first_start or pieces[0][0]
        start = pieces[-1][0]
    ships_on = start + timedelta(days=settings.OMC_SHIPPING_LEAD_DAYS)
    return [Promise(ships_on, f"capacity on {steps[0].work_center.name} from {first_start:%d %b}")]


def _capacity(work_centers: list, routing: dict, first, last):
    """capacity_model of `work_centers` over [first, last], from the calendar and load rows of
    every work center of `routing` from today to the promise horizon, read once per move
    (orders.memo): the promise of each line and the capacity fit share them."""
    today = timezone.localdate()
    span = (today, today + timedelta(days=1 + HORIZON_DAYS))
    if first < span[0] or last > span[1]:
        return capacity_model(work_centers=work_centers, first=first, last=last)
    all_ids = frozenset(step.work_center_id for steps in routing.values() for step in steps)

    def read():
        exceptions = list(
            CapacityException.objects.filter(work_center_id__in=all_ids, day__range=span).values_list(
                "work_center_id", "day", "kind", "hours"
            )
        )
        load = list(
            JobDay.objects.filter(work_center_id__in=all_ids, day__range=span)
            .values("work_center_id", "day")
            .annotate(total=Sum("hours"))
            .values_list("work_center_id", "day", "total")
        )
        return exceptions, load

    exceptions, load = memo.remember(("scheduling.capacity_rows", all_ids, span), read)
    ids = {wc.pk for wc in work_centers}
    return capacity_model(
        work_centers=work_centers,
        first=first,
        last=last,
        exception_rows=[row for row in exceptions if row[0] in ids and first <= row[1] <= last],
        load_rows=[row for row in load if row[0] in ids and first <= row[1] <= last],
    )


def score_capacity_fit(order) -> dict:
    """1 when the work centers the order needs are empty over the next weeks, 0 when they are full."""
    routing = routings(line.product_id for line in order_lines(order))
    work_centers = list(
        {step.work_center_id: step.work_center for steps in routing.values() for step in steps}.values()
    )
    if not work_centers:
        return {}
    first = timezone.localdate()
    model = _capacity(work_centers, routing, first, first + timedelta(weeks=FIT_WEEKS) - timedelta(days=1))
    capacity = sum(model.capacity.values(), Decimal("0"))
    load = sum(model.load.values(), Decimal("0"))
    if not capacity:
        return {"capacity_fit": (Decimal("0"), "the work centers it needs have no capacity")}
    used = min(load / capacity, Decimal("1"))
    return {
        "capacity_fit": (
            Decimal("1") - used,
            f"its work centers are {(used * 100).quantize(Decimal('1'))}% booked over the next {FIT_WEEKS} weeks",
        )
    }


def sell_now_spare_capacity(_obj, user) -> dict | None:
    """For the sales rep's start page: work centers with free hours over the next weeks, and products
    made there with the date a typical quantity could ship."""
    from orders.models import WorkCenter
    from orders.roles import Role, user_roles

    if not user_roles(user) & {Role.SALES_REP, Role.EXECUTIVE, Role.CUSTOMER_SERVICE}:
        return None
    work_centers = list(WorkCenter.objects.filter(active=True).order_by("code"))
    if not work_centers:
        return {"rows": []}
    first = timezone.localdate() + timedelta(days=1)
    model = capacity_model(
        work_centers=work_centers, first=first, last=first + timedelta(weeks=FIT_WEEKS) - timedelta(days=1)
    )
    free = {
        wc.pk: sum((model.free(wc.pk, day) for (wc_id, day) in model.capacity if wc_id == wc.pk), Decimal("0"))
        for wc in work_centers
    }
    rows = []
    for wc in sorted(work_centers, key=lambda wc: -free[wc.pk])[:3]:
        if free[wc.pk] <= 0:
            continue
        steps = (
            RoutingStep.objects.filter(
                work_center=wc,
                sequence=RoutingStep.objects.filter(product=models.OuterRef("product"))
                .order_by("sequence")
                .values("sequence")[:1],
                product__active=True,
            )
            .select_related("product")
            .order_by("product__sku")[:4]
        )
        for step in steps:
            promise = promise_from_capacity(step.product, SELL_NOW_QUANTITY, None)
            rows.append(
                {
                    "work_center": wc,
                    "free_hours": free[wc.pk],
                    "product": step.product,
                    "ships_on": promise[0].ships_on if promise else None,
                }
            )
    return {"rows": rows, "weeks": FIT_WEEKS, "quantity": SELL_NOW_QUANTITY}
