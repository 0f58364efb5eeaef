"""What scheduling tells order entry: when production could make goods (available-to-promise
from capacity) and how full the needed work centers are (the priority's capacity fit)."""

from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone

from orders.models import RoutingStep
from orders.providers import Promise

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
    start, first_start = first, None
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


def score_capacity_fit(order) -> dict:
    """1 when the work centers the order needs are empty over the next weeks, 0 when they are full."""
    work_centers = {
        step.work_center
        for step in RoutingStep.objects.filter(
            product_id__in=order.lines.values_list("product_id", flat=True)
        ).select_related("work_center")
    }
    if not work_centers:
        return {}
    first = timezone.localdate()
    model = capacity_model(
        work_centers=list(work_centers), first=first, last=first + timedelta(weeks=FIT_WEEKS) - timedelta(days=1)
    )
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
