"""Every read of the shared order records that is more than a .get()."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.db.models import (
    Count,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.db.models.lookups import IsNull
from django.utils import timezone

from . import memo
from .models import (
    Alert,
    Customer,
    Handoff,
    Order,
    OrderEvent,
    OrderLine,
    OutboxMessage,
    Product,
    RoutingStep,
    TaskFailure,
)
from .roles import Role, user_departments, user_roles
from .states import OWNER_DEPARTMENT, STATUS_STEP, OrderStatus, Step


def _past_due_handoffs(now) -> QuerySet:
    return Handoff.objects.filter(closed_at__isnull=True, due_at__lte=now)


def _overdue_handoffs(now) -> QuerySet:
    """The outer order's open hand-offs past due (for a subquery)."""
    return _past_due_handoffs(now).filter(order=OuterRef("pk"))


def _is_overdue(now):
    """True when the order has an open hand-off past due. A scalar subquery with LIMIT 1 rather
    than EXISTS: PostgreSQL turns an EXISTS in the select list into one hashed scan of every
    overdue hand-off (0.9 s at a million orders) even when the page shows 25 rows; this stays
    one index probe per row (bench/, docs/performance.md)."""
    return IsNull(Subquery(_overdue_handoffs(now).order_by().values("pk")[:1]), False)


def order_scope(user, prefix: str = "") -> Q:
    """Which orders `user` may see and act on. A sales rep who holds no other role sees the orders
    of their own customers and of customers with no rep, never another rep's customer's (pages
    and the API answer 404 for those, as if they did not exist); every other role sees all."""
    if user_roles(user) == {Role.SALES_REP}:
        return Q(**{f"{prefix}customer__sales_rep": user}) | Q(**{f"{prefix}customer__sales_rep__isnull": True})
    return Q()


def order_visible(*, user, order_id) -> bool:
    """True if the order exists and `user` may see it (order_scope)."""
    return Order.objects.filter(order_scope(user), pk=order_id).exists()


def order_list(
    *,
    status: str | None = None,
    customer_id: int | None = None,
    owner_department: str | None = None,
    overdue: bool | None = None,
    search: str | None = None,
    user=None,
) -> QuerySet:
    """Orders newest first, with their customer and an `is_overdue` flag (an open hand-off past due);
    with `user`, only those the user may see (order_scope)."""
    now = timezone.now()
    qs = Order.objects.select_related("customer").annotate(is_overdue=_is_overdue(now))
    if user is not None:
        qs = qs.filter(order_scope(user))
    if status:
        qs = qs.filter(status=status)
    if customer_id:
        qs = qs.filter(customer_id=customer_id)
    if owner_department:
        qs = qs.filter(owner_department=owner_department)
    if overdue is True:
        # A semi-join on the open hand-offs past due (index range, a few thousand rows) rather
        # than the per-row flag, which a capped count evaluated for every order (~0.9 s at 1M).
        qs = qs.filter(pk__in=_past_due_handoffs(now).values("order_id"))
    elif overdue is False:
        qs = qs.filter(is_overdue=False)
    if search:
        qs = qs.filter(pk__in=_order_ids_matching(search.strip()))
    return qs.order_by("-created_at", "-id")


def _order_ids_matching(search: str) -> QuerySet:
    """Orders whose number, customer PO or customer name contains `search` (any case). A UNION
    of three lookups, so each reads its own trigram index (migration orders 0010): an OR across
    the customer join can use none and scans every order."""
    customers = Customer.objects.filter(name__icontains=search).values("id")
    return (
        Order.objects.filter(number__icontains=search)
        .values("id")
        .union(
            Order.objects.filter(customer_po__icontains=search).values("id"),
            Order.objects.filter(customer_id__in=customers).values("id"),
        )
    )


def review_queue() -> QuerySet:
    """Entered orders for the review board: highest priority score first (unscored last), then
    the oldest; read along the partial index order_review_queue."""
    return (
        Order.objects.filter(status=OrderStatus.ENTERED)
        .select_related("customer")
        .order_by(F("priority_score").desc(nulls_last=True), "created_at", "id")
    )


def order_detail(*, order_id: int, user=None) -> Order:
    """One order with its lines, events, hand-offs and alerts loaded in a fixed number of queries;
    with `user`, only if the user may see it (order_scope; Order.DoesNotExist otherwise)."""
    now = timezone.now()
    scope = order_scope(user) if user is not None else Q()
    return (
        Order.objects.filter(scope)
        .select_related("customer", "site", "created_by")
        .annotate(is_overdue=Exists(_overdue_handoffs(now)))
        .prefetch_related(
            Prefetch("lines", queryset=OrderLine.objects.select_related("product").order_by("line_no")),
            Prefetch("events", queryset=OrderEvent.objects.select_related("actor").order_by("created_at", "id")),
            Prefetch(
                "handoffs", queryset=Handoff.objects.select_related("acknowledged_by").order_by("opened_at", "id")
            ),
            Prefetch("alerts", queryset=Alert.objects.order_by("-raised_at", "-id")),
        )
        .get(pk=order_id)
    )


def order_for_api(*, order_id: int) -> Order:
    """What the API's order representation shows (orders.serializers.OrderDetailSerializer):
    the customer, lines with their products, events with their actors, hand-offs; 4 queries."""
    now = timezone.now()
    return (
        Order.objects.select_related("customer")
        .annotate(is_overdue=Exists(_overdue_handoffs(now)))
        .prefetch_related(
            Prefetch("lines", queryset=OrderLine.objects.select_related("product").order_by("line_no")),
            Prefetch("events", queryset=OrderEvent.objects.select_related("actor").order_by("created_at", "id")),
            Prefetch("handoffs", queryset=Handoff.objects.order_by("opened_at", "id")),
        )
        .get(pk=order_id)
    )


OPEN_STATUSES = [
    s
    for s in OrderStatus
    if s not in (OrderStatus.CLOSED, OrderStatus.CANCELLED, OrderStatus.REJECTED, OrderStatus.PAID)
]


def customer_list(*, search: str | None = None, sales_rep=None) -> QuerySet:
    """Customers by name with how many orders each has open; a sales rep's own when given."""
    qs = Customer.objects.select_related("sales_rep").annotate(
        open_orders=Count("orders", filter=Q(orders__status__in=OPEN_STATUSES))
    )
    if sales_rep is not None:
        qs = qs.filter(sales_rep=sales_rep)
    if search:
        qs = qs.filter(Q(name__icontains=search) | Q(code__icontains=search))
    return qs.order_by("name", "id")


def customer_order_exposure(*, customer) -> Decimal:
    """The net value of the customer's orders not yet invoiced (entered up to shipped), summed in the
    database; billing adds what is invoiced and unpaid on the customer page."""
    exposure_statuses = [
        OrderStatus.ENTERED,
        OrderStatus.ON_HOLD,
        OrderStatus.ACCEPTED,
        OrderStatus.SCHEDULED,
        OrderStatus.IN_PRODUCTION,
        OrderStatus.READY_TO_SHIP,
        OrderStatus.PARTIALLY_SHIPPED,
        OrderStatus.SHIPPED,
        OrderStatus.DELIVERED,
    ]
    net = ExpressionWrapper(
        (F("quantity_ordered") - F("quantity_invoiced")) * F("unit_price") * (100 - F("discount_percent")) / 100,
        output_field=DecimalField(max_digits=18, decimal_places=4),
    )
    total = OrderLine.objects.filter(order__customer=customer, order__status__in=exposure_statuses).aggregate(
        v=Sum(net)
    )["v"]
    return (total or Decimal("0")).quantize(Decimal("0.01"))


def product_list(*, search: str | None = None) -> QuerySet:
    qs = Product.objects.order_by("sku")
    if search:
        qs = qs.filter(Q(sku__icontains=search) | Q(name__icontains=search))
    return qs


def handoff_queue(*, departments, user=None) -> QuerySet:
    """Open hand-offs addressed to the given departments, most overdue first (with `user`: only
    for orders the user may see)."""
    scope = order_scope(user, prefix="order__") if user is not None else Q()
    return (
        Handoff.objects.filter(scope, closed_at__isnull=True, to_department__in=list(departments))
        .select_related("order", "order__customer")
        .order_by("due_at", "id")
    )


def alerts_open_count(*, user, at_most: int | None = None) -> int:
    """Open alerts of the user's departments; with `at_most`, counting stops at `at_most` + 1
    (the navigation's badge shows "99+": counting 77,000 open alerts on every page cost more
    than the rest of the page), read along the partial index alert_open_by_department."""
    departments = user_departments(user)
    if not departments:
        return 0
    alerts = Alert.objects.filter(resolved_at__isnull=True, department__in=list(departments))
    if at_most is not None:
        alerts = alerts.order_by().values("pk")[: at_most + 1]
    return alerts.count()


def alerts_open(*, departments, user=None) -> QuerySet:
    scope = order_scope(user, prefix="order__") if user is not None else Q()
    return (
        Alert.objects.filter(scope, resolved_at__isnull=True, department__in=list(departments))
        .select_related("order", "handoff")
        .order_by("-raised_at", "-id")
    )


def order_counts_by_status() -> dict[str, int]:
    rows = Order.objects.values("status").annotate(n=Count("id"))
    return {row["status"]: row["n"] for row in rows}


# --- the order journey ---------------------------------------------------------------------


@dataclass
class JourneyStay:
    status: str
    status_label: str
    department: str
    department_label: str
    entered_at: datetime
    left_at: datetime | None
    entered_by: str
    note: str

    @property
    def waited(self) -> timedelta:
        return (self.left_at or timezone.now()) - self.entered_at


@dataclass
class JourneyStep:
    step: str
    label: str
    stays: list[JourneyStay] = field(default_factory=list)
    handoffs: list[Handoff] = field(default_factory=list)
    current: bool = False

    @property
    def reached(self) -> bool:
        return bool(self.stays)

    @property
    def waited(self) -> timedelta:
        return sum((stay.waited for stay in self.stays), timedelta())


def order_journey(*, order: Order) -> list[JourneyStep]:
    """The ten steps as a timeline: for each, the statuses the order sat in, who held it,
    when, how long it waited, and the hand-offs into it. Uses the prefetched events and
    hand-offs of `order_detail`."""
    steps = {step.value: JourneyStep(step=step.value, label=step.label) for step in Step}
    events = list(order.events.all())
    for index, event in enumerate(events):
        left_at = events[index + 1].created_at if index + 1 < len(events) else None
        status = OrderStatus(event.to_status)
        who = event.actor.get_full_name() or event.actor.username if event.actor else "system"
        stay = JourneyStay(
            status=status.value,
            status_label=status.label,
            department=OWNER_DEPARTMENT[status].value,
            department_label=OWNER_DEPARTMENT[status].label,
            entered_at=event.created_at,
            left_at=left_at,
            entered_by=who,
            note=event.note,
        )
        steps[STATUS_STEP[status]].stays.append(stay)
    for handoff in order.handoffs.all():
        steps[handoff.step].handoffs.append(handoff)
    steps[STATUS_STEP[OrderStatus(order.status)]].current = True
    return list(steps.values())


# --- operations: metrics and the stuck-work page ------------------------------------------


def handoff_counts_by_department(*, now=None) -> list[dict]:
    """Open hand-offs and how many of them are past due, per receiving department (one query)."""
    now = now or timezone.now()
    return list(
        Handoff.objects.filter(closed_at__isnull=True)
        .values(department=F("to_department"))
        .annotate(open=Count("id"), overdue=Count("id", filter=Q(due_at__lte=now)))
        .order_by("department")
    )


def alert_counts_by_department() -> list[dict]:
    """Alerts ever raised and still unresolved, per department and level (one query)."""
    return list(
        Alert.objects.values("department", "level")
        .annotate(raised=Count("id"), open=Count("id", filter=Q(resolved_at__isnull=True)))
        .order_by("department", "level")
    )


def outbox_stuck(*, older_than_minutes: int = 10, now=None) -> QuerySet:
    """Outbox messages not processed this long after they were written, oldest first."""
    now = now or timezone.now()
    return (
        OutboxMessage.objects.filter(
            processed_at__isnull=True, created_at__lte=now - timedelta(minutes=older_than_minutes)
        )
        .select_related("order")
        .order_by("created_at", "id")
    )


def task_failures_open() -> QuerySet:
    """Failed tasks nobody has run again yet, newest first."""
    return TaskFailure.objects.filter(retried_at__isnull=True).order_by("-failed_at", "-id")


def stuck_work_counts() -> dict:
    return {
        "outbox_undelivered": OutboxMessage.objects.filter(processed_at__isnull=True).count(),
        "failures_by_task": dict(
            task_failures_open().order_by().values("task_name").annotate(n=Count("id")).values_list("task_name", "n")
        ),
    }


# --- what a move reads once (orders.memo) ----------------------------------------------------


def order_lines(order: Order) -> list[OrderLine]:
    """The order's lines with their products, by line number: read once per move (the guards,
    the promise, the score and the cost estimate share them). Outside a move, a fresh read."""
    return memo.remember(
        ("orders.lines", order.pk),
        lambda: list(OrderLine.objects.filter(order_id=order.pk).select_related("product").order_by("line_no")),
    )


def routings(product_ids) -> dict[int, list[RoutingStep]]:
    """Each product's routing steps (with their work centers) by sequence, in one query; once per
    move for the same products (the cost estimate, the promise and the capacity fit)."""
    ids = frozenset(product_ids)

    def read() -> dict[int, list[RoutingStep]]:
        found: dict[int, list[RoutingStep]] = {}
        steps = RoutingStep.objects.filter(product_id__in=ids).select_related("work_center")
        for step in steps.order_by("product_id", "sequence", "id"):
            found.setdefault(step.product_id, []).append(step)
        return found

    return memo.remember(("orders.routings", ids), read) if ids else {}
