"""The executive dashboard: KPI definitions, their aggregate queries and the targets.

Every figure is one or a few aggregate queries in the database; nothing here loads orders
into Python. Each KPI is a pair of functions: `<key>(f)` returns a `Figure` (value, a
12-month trend and a short detail) and `<key>_orders(f)` returns the orders behind it (the
drill-down). `KPIS` lists the definitions in the order the dashboard shows them; the
written definitions are the same as in docs/kpis.md.

Percentages and days are Decimals rounded half up to one place, money to cents, once,
here. All times are timezone-aware; a period is whole days in the project time zone.
"""

from __future__ import annotations

import hashlib
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import (
    Avg,
    Case,
    Count,
    DateField,
    DecimalField,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, TruncDate, TruncMonth
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from billing import selectors as billing_selectors
from billing.models import Invoice
from fulfillment import selectors as fulfillment_selectors
from fulfillment.models import Shipment
from orders import waits as wait_rollups
from orders.models import Customer, Handoff, KpiDay, KpiTarget, KpiWaitDay, Order, OrderFact, OrderLine
from orders.reporting import reporting_connection
from orders.roles import Department
from orders.states import OrderStatus, Step
from planning import selectors as planning_selectors
from planning.models import Source

S = OrderStatus
ZERO = Decimal("0")
HUNDRED = Decimal("100")
ONE_PLACE = Decimal("0.1")
CENTS = Decimal("0.01")
MONEY_FIELD = DecimalField(max_digits=18, decimal_places=2)
PERIOD_DAYS = {"30": 30, "90": 90, "180": 180, "365": 365}
DEFAULT_PERIOD = "90"
TREND_MONTHS = 12
DSO_WINDOW_DAYS = 90
TIER_RANK = {Customer.Tier.STRATEGIC: 1, Customer.Tier.KEY: 2, Customer.Tier.STANDARD: 3, Customer.Tier.OCCASIONAL: 4}


def cache_seconds() -> int:
    return int(getattr(settings, "OMC_KPI_CACHE_SECONDS", 60))


_sorting = ContextVar("omc_kpis_room_to_sort", default=False)


@contextmanager
def room_to_sort():
    """The percentiles and the month groupings sort a period's rows (a quarter of a year is
    ~200,000 events at 100,000 orders): give this transaction the memory to sort them without
    spilling to disk (PostgreSQL's default work_mem is 4 MB). Nested uses cost nothing."""
    if _sorting.get():
        yield
        return
    token = _sorting.set(True)
    try:
        reads = reporting_connection()
        with transaction.atomic(using=reads.alias):
            if reads.vendor == "postgresql":
                with reads.cursor() as cursor:
                    cursor.execute("SET LOCAL work_mem = '64MB'")
            yield
    finally:
        _sorting.reset(token)


# --- filters ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    """What the executive looks at: a period of whole days [start, end] and who/what/where."""

    start: date
    end: date
    now: datetime
    period: str = DEFAULT_PERIOD
    site_id: int | None = None
    tier: str | None = None
    sales_rep_id: int | None = None
    family: str | None = None

    @property
    def today(self) -> date:
        return timezone.localdate(self.now)

    @property
    def scoped(self) -> bool:
        return bool(self.site_id or self.tier or self.sales_rep_id or self.family)

    def cache_key(self, name: str) -> str:
        # The figures carry translated words (details, labels): one entry per language.
        parts = [self.start, self.end, self.today, self.site_id, self.tier, self.sales_rep_id, self.family]
        parts.append(translation.get_language())
        digest = hashlib.sha1(repr(parts).encode()).hexdigest()[:16]
        return f"omc:kpis:v1:{name}:{digest}"

    def query(self) -> dict:
        """The filters as query parameters (for drill-down links)."""
        params = {"period": self.period}
        if self.period == "custom":
            params.update(start=self.start.isoformat(), end=self.end.isoformat())
        for name in ("site_id", "tier", "sales_rep_id", "family"):
            if getattr(self, name):
                params[name.removesuffix("_id")] = getattr(self, name)
        return params


def filters_build(
    *,
    period: str = DEFAULT_PERIOD,
    start: date | None = None,
    end: date | None = None,
    now: datetime | None = None,
    site_id: int | None = None,
    tier: str | None = None,
    sales_rep_id: int | None = None,
    family: str | None = None,
) -> Filters:
    """A period of the last N days up to today, or an explicit [start, end] ("custom")."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    if start and end:
        period = "custom"
    else:
        period = period if period in PERIOD_DAYS else DEFAULT_PERIOD
        end = today
        start = today - timedelta(days=PERIOD_DAYS[period] - 1)
    return Filters(
        start=start,
        end=end,
        now=now,
        period=period,
        site_id=site_id or None,
        tier=tier or None,
        sales_rep_id=sales_rep_id or None,
        family=family or None,
    )


def _aware(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _month_start(day: date) -> date:
    return day.replace(day=1)


def _month_add(month: date, n: int) -> date:
    index = month.year * 12 + month.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


def trend_months(f: Filters) -> list[date]:
    """The 12 calendar months ending with the month of the period's end."""
    last = _month_start(f.end)
    return [_month_add(last, n) for n in range(-(TREND_MONTHS - 1), 1)]


def _trend_window(f: Filters) -> tuple[datetime, datetime]:
    months = trend_months(f)
    return _aware(months[0]), _aware(_month_add(months[-1], 1))


def _period_window(f: Filters) -> tuple[datetime, datetime]:
    return _aware(f.start), _aware(f.end + timedelta(days=1))


def scope_q(f: Filters, *, order: str = "", customer: str | None = None) -> Q:
    """The site / tier / sales rep / product family filters, for a model that reaches the order
    through `order` (a lookup prefix such as "order__"; "" for Order itself)."""
    customer = f"{order}customer__" if customer is None else customer
    q = Q()
    if f.site_id:
        q &= Q(**{f"{order}site_id": f.site_id})
    if f.tier:
        q &= Q(**{f"{customer}tier": f.tier})
    if f.sales_rep_id:
        q &= Q(**{f"{customer}sales_rep_id": f.sales_rep_id})
    if f.family:
        outer = order.removesuffix("__") or "pk"
        q &= Q(Exists(OrderLine.objects.filter(order_id=OuterRef(outer), product__family=f.family)))
    return q


def _orders(f: Filters) -> QuerySet:
    return Order.objects.filter(scope_q(f))


def _facts(f: Filters) -> QuerySet:
    """The per-order facts (orders.OrderFact) in scope: site and customer are on the row."""
    q = Q()
    if f.site_id:
        q &= Q(site_id=f.site_id)
    if f.tier:
        q &= Q(customer__tier=f.tier)
    if f.sales_rep_id:
        q &= Q(customer__sales_rep_id=f.sales_rep_id)
    if f.family:
        q &= Q(Exists(OrderLine.objects.filter(order_id=OuterRef("order_id"), product__family=f.family)))
    return OrderFact.objects.filter(q)


def _orders_of(f: Filters, facts: QuerySet) -> QuerySet:
    return _orders(f).filter(pk__in=facts.values("order_id"))


# --- daily rollups -----------------------------------------------------------------------------
#
# Without a sales rep or product family filter, the additive KPIs (fill rate, on-time delivery,
# billing accuracy, cycle times, return rate, margin; DSO as running sums) read the daily
# rollups (orders.KpiDay: sums per day, site and tier) for the days before today and the facts
# (shipments, invoices) themselves for today on, so "now" stays exact and a period costs a few
# hundred rollup rows instead of every fact row in it. With a sales rep or
# family filter (not rollup dimensions) they read the facts, as before (slower).


def _rolls(f: Filters) -> bool:
    return (
        getattr(settings, "OMC_KPI_ROLLUPS", True)
        and not (f.sales_rep_id or f.family)
        and connection.vendor == "postgresql"
    )


@dataclass(frozen=True)
class _Daily:
    """How one KPI's sums are read per day: from KpiDay (`columns`) and, for today on, from the
    facts (`day` the date they are bucketed on, `where` the rows that count, `sums` the same
    columns as aggregates)."""

    columns: tuple[str, ...]
    day: str
    where: Q
    sums: object  # () -> {column: aggregate}, built when read (the expressions are defined below)
    datetime: bool = True
    rows: object = None  # (f) -> the rows to read for today on; None: the facts in scope


def _seconds(value) -> Decimal:
    if value is None:
        return ZERO
    if isinstance(value, timedelta):
        return Decimal(value.days * 86400 + value.seconds) + Decimal(value.microseconds) / Decimal(1_000_000)
    return Decimal(value)


def _daily_sums(f: Filters, spec: _Daily, first: date, last: date) -> dict[date, dict]:
    """{day: {column: sum}} over the days [first, last]: rollups before today, facts from today."""
    result: dict[date, dict] = {}
    if first > last:
        return result
    today = f.today
    if first < today:
        q = Q(day__gte=first, day__lte=min(last, today - timedelta(days=1)))
        if f.site_id:
            q &= Q(site_id=f.site_id)
        if f.tier:
            q &= Q(tier=f.tier)
        for row in KpiDay.objects.filter(q).values("day").annotate(**{c: Sum(c) for c in spec.columns}):
            result[row.pop("day")] = row
    if last >= today:
        since = max(first, today)
        if spec.datetime:
            window = {f"{spec.day}__gte": _aware(since), f"{spec.day}__lt": _aware(last + timedelta(days=1))}
            day = TruncDate(spec.day)
        else:
            window = {f"{spec.day}__gte": since, f"{spec.day}__lte": last}
            day = F(spec.day)
        rows = (
            (spec.rows or _facts)(f)
            .filter(spec.where, **window)
            .annotate(day=day)
            .values("day")
            .annotate(**spec.sums())
        )
        for row in rows:
            result[row.pop("day")] = {c: row[c] for c in spec.columns}
    return result


def _add(rows) -> dict | None:
    """Σ of each column over the day rows (None when there are none); durations as seconds."""
    total = None
    for row in rows:
        if total is None:
            total = dict.fromkeys(row, ZERO)
        for column, value in row.items():
            total[column] += _seconds(value) if column.endswith("_seconds") else (value or ZERO)
    return total


def _rolled_up(f: Filters, spec: _Daily, period: tuple[date, date], trend_last: date) -> tuple[dict, dict]:
    """The period's sums and the trend months' sums ({month: sums}) from one read per source."""
    months = trend_months(f)
    first, last = min(period[0], months[0]), max(period[1], trend_last)
    by_day = _daily_sums(f, spec, first, last)
    totals = _add(row for day, row in by_day.items() if period[0] <= day <= period[1]) or dict.fromkeys(
        spec.columns, ZERO
    )
    by_month: dict[date, list] = {}
    for day, row in by_day.items():
        if months[0] <= day <= trend_last:
            by_month.setdefault(_month_start(day), []).append(row)
    return totals, {month: _add(rows) for month, rows in by_month.items()}


def _month_last(f: Filters) -> date:
    return _month_add(trend_months(f)[-1], 1) - timedelta(days=1)


def _trend_of(f: Filters, by_month: dict, value_of) -> list[tuple[date, Decimal | None]]:
    return [(month, value_of(by_month[month]) if month in by_month else None) for month in trend_months(f)]


def _days_of(seconds, n) -> Decimal | None:
    if not n:
        return None
    return (Decimal(seconds) / Decimal(n) / Decimal(86400)).quantize(ONE_PLACE, rounding=ROUND_HALF_UP)


FILL_DAILY = _Daily(
    ("promised", "promised_missed"),
    "promised_date",
    Q(committed=True, promised_date__isnull=False),
    lambda: {"promised": Count("pk"), "promised_missed": Count("pk", filter=_fill_misses())},
    datetime=False,
)


def _cycle_daily(column: str, n: str) -> _Daily:
    return _Daily(
        (n, f"{n}_seconds"),
        column,
        Q(),
        lambda: {n: Count("pk"), f"{n}_seconds": Sum(_cycle_expression(column))},
    )


DELIVERED_DAILY = _cycle_daily("delivered_at", "delivered")
PAID_DAILY = _cycle_daily("paid_at", "paid")
SHIPPED_DAILY = _Daily(
    ("units_shipped", "units_returned"),
    "first_shipped_at",
    Q(),
    lambda: {"units_shipped": Sum("units_shipped"), "units_returned": Sum("units_returned")},
)
DELIVERIES_DAILY = _Daily(
    ("deliveries", "deliveries_on_time"),
    "delivered_at",
    Q(order__promised_date__isnull=False),
    lambda: {"deliveries": Count("id"), "deliveries_on_time": Count("id", filter=ON_TIME)},
    rows=lambda f: Shipment.objects.filter(scope_q(f, order="order__")),
)
INVOICES_DAILY = _Daily(
    ("invoices", "invoices_corrected"),
    "issue_date",
    Q(kind=Invoice.Kind.INVOICE, status=Invoice.Status.POSTED),
    lambda: {"invoices": Count("id"), "invoices_corrected": Count("id", filter=_corrected())},
    datetime=False,
    rows=lambda f: Invoice.objects.filter(scope_q(f, order="order__", customer="customer__")),
)
COSTED_DAILY = _Daily(
    ("costed", "margin", "revenue"),
    "created_at",
    Q(committed=True, margin__isnull=False),
    lambda: {"costed": Count("pk"), "margin": Sum("margin"), "revenue": Sum("revenue")},
)


# --- results ---------------------------------------------------------------------------------


@dataclass
class Figure:
    value: Decimal | None
    detail: str = ""
    trend: list[tuple[date, Decimal | None]] = field(default_factory=list)
    note: str = ""


def _rate(part, whole) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * HUNDRED / Decimal(whole)).quantize(ONE_PLACE, rounding=ROUND_HALF_UP)


def _days(duration: timedelta | None) -> Decimal | None:
    if duration is None:
        return None
    if not isinstance(duration, timedelta):  # SQLite may hand back microseconds
        duration = timedelta(microseconds=int(duration))
    return (Decimal(duration.total_seconds()) / Decimal(86400)).quantize(ONE_PLACE, rounding=ROUND_HALF_UP)


def _fill_trend(f: Filters, rows, value_of) -> list[tuple[date, Decimal | None]]:
    by_month = {row["month"]: value_of(row) for row in rows}
    return [(month, by_month.get(month)) for month in trend_months(f)]


def _month(expression) -> TruncMonth:
    return TruncMonth(expression, output_field=DateField())


# --- order fill rate -------------------------------------------------------------------------


def _fill_misses():
    """A line not shipped in full, or a shipment that left after the promised date (the last one
    is enough to know)."""
    return Q(lines_short__gt=0) | Q(last_shipped_at__date__gt=F("promised_date"))


def _fill_base(f: Filters, first: date, last: date) -> QuerySet:
    # Only promises already due are judged: an order promised for today may still ship today.
    last = min(last, f.today - timedelta(days=1))
    return _facts(f).filter(
        committed=True, promised_date__isnull=False, promised_date__gte=first, promised_date__lte=last
    )


def fill_rate(f: Filters) -> Figure:
    if not _rolls(f):
        return _fill_rate_facts(f)
    last = min(f.end, f.today - timedelta(days=1))
    totals, by_month = _rolled_up(f, FILL_DAILY, (f.start, last), last)
    total, missed = totals["promised"], totals["promised_missed"]
    return Figure(
        value=_rate(total - missed, total),
        detail=f"{total - missed} of {total} orders complete on time",
        trend=_trend_of(f, by_month, lambda r: _rate(r["promised"] - r["promised_missed"], r["promised"])),
    )


def _fill_rate_facts(f: Filters) -> Figure:
    missed = _fill_misses()
    totals = _fill_base(f, f.start, f.end).aggregate(total=Count("pk"), missed=Count("pk", filter=missed))
    months = trend_months(f)
    rows = (
        _fill_base(f, months[0], f.end)
        .annotate(month=_month("promised_date"))
        .values("month")
        .annotate(total=Count("pk"), missed=Count("pk", filter=missed))
    )
    return Figure(
        value=_rate(totals["total"] - totals["missed"], totals["total"]),
        detail=_("%(missed)s of %(total)s orders complete on time")
        % {"missed": totals["total"] - totals["missed"], "total": totals["total"]},
        trend=_fill_trend(f, rows, lambda r: _rate(r["total"] - r["missed"], r["total"])),
    )


def fill_rate_orders(f: Filters) -> QuerySet:
    return _orders_of(f, _fill_base(f, f.start, f.end).filter(_fill_misses())).order_by("promised_date", "id")


# --- on-time delivery ------------------------------------------------------------------------


def _deliveries(f: Filters, since: datetime, until: datetime) -> QuerySet:
    return Shipment.objects.filter(
        scope_q(f, order="order__"),
        delivered_at__gte=since,
        delivered_at__lt=until,
        order__promised_date__isnull=False,
    )


ON_TIME = fulfillment_selectors.ON_TIME


def on_time_delivery(f: Filters) -> Figure:
    if not _rolls(f):
        return _on_time_delivery_facts(f)
    totals, by_month = _rolled_up(f, DELIVERIES_DAILY, (f.start, f.end), _month_last(f))
    total, on_time = totals["deliveries"], totals["deliveries_on_time"]
    return Figure(
        value=_rate(on_time, total),
        detail=f"{on_time} of {total} deliveries by the promised date",
        trend=_trend_of(f, by_month, lambda r: _rate(r["deliveries_on_time"], r["deliveries"])),
    )


def _on_time_delivery_facts(f: Filters) -> Figure:
    totals = _deliveries(f, *_period_window(f)).aggregate(total=Count("id"), on_time=Count("id", filter=ON_TIME))
    rows = (
        _deliveries(f, *_trend_window(f))
        .annotate(month=_month("delivered_at"))
        .values("month")
        .annotate(total=Count("id"), on_time=Count("id", filter=ON_TIME))
    )
    return Figure(
        value=_rate(totals["on_time"], totals["total"]),
        detail=_("%(on_time)s of %(total)s deliveries by the promised date")
        % {"on_time": totals["on_time"], "total": totals["total"]},
        trend=_fill_trend(f, rows, lambda r: _rate(r["on_time"], r["total"])),
    )


def on_time_delivery_orders(f: Filters) -> QuerySet:
    """Orders with a shipment delivered in the period after their promised date. For a period
    that reaches now this is exactly the orders whose latest late delivery (kept on their facts,
    `late_delivered_at`, a small partial index) falls in it: a later late delivery would be in
    the period too. A period in the past checks the shipments themselves."""
    since, until = _period_window(f)
    if until > f.now:
        late = Q(fact__late_delivered_at__gte=since, fact__late_delivered_at__lt=until)
        return _orders(f).filter(late).order_by("promised_date", "id")
    return late_orders_by_shipments(f)


def late_orders_by_shipments(f: Filters) -> QuerySet:
    """The same from the shipments themselves (any period; reads every delivery in it)."""
    late = _deliveries(f, *_period_window(f)).filter(order=OuterRef("pk")).exclude(ON_TIME)
    return _orders(f).filter(Exists(late)).order_by("promised_date", "id")


# --- billing accuracy ------------------------------------------------------------------------


def _invoices(f: Filters, first: date, last: date) -> QuerySet:
    return Invoice.objects.filter(
        scope_q(f, order="order__", customer="customer__"),
        kind=Invoice.Kind.INVOICE,
        status=Invoice.Status.POSTED,
        issue_date__gte=first,
        issue_date__lte=last,
    )


def _corrected() -> Q:
    return billing_selectors.invoice_corrected_q()


def billing_accuracy(f: Filters) -> Figure:
    if not _rolls(f):
        return _billing_accuracy_facts(f)
    # The trend ends with the period's end (invoices are judged by issue day, as the facts path).
    totals, by_month = _rolled_up(f, INVOICES_DAILY, (f.start, f.end), f.end)
    total, corrected = totals["invoices"], totals["invoices_corrected"]
    return Figure(
        value=_rate(total - corrected, total),
        detail=f"{total - corrected} of {total} invoices never corrected",
        trend=_trend_of(f, by_month, lambda r: _rate(r["invoices"] - r["invoices_corrected"], r["invoices"])),
    )


def _billing_accuracy_facts(f: Filters) -> Figure:
    corrected = _corrected()
    totals = _invoices(f, f.start, f.end).aggregate(total=Count("id"), corrected=Count("id", filter=corrected))
    rows = (
        _invoices(f, trend_months(f)[0], f.end)
        .annotate(month=_month("issue_date"))
        .values("month")
        .annotate(total=Count("id"), corrected=Count("id", filter=corrected))
    )
    accurate = totals["total"] - totals["corrected"]
    return Figure(
        value=_rate(accurate, totals["total"]),
        detail=_("%(accurate)s of %(total)s invoices never corrected")
        % {"accurate": accurate, "total": totals["total"]},
        trend=_fill_trend(f, rows, lambda r: _rate(r["total"] - r["corrected"], r["total"])),
    )


def billing_accuracy_orders(f: Filters) -> QuerySet:
    wrong = _invoices(f, f.start, f.end).filter(_corrected(), order=OuterRef("pk"))
    return _orders(f).filter(Exists(wrong)).order_by("-created_at", "-id")


# --- order cycle times -----------------------------------------------------------------------


def _cycle_base(f: Filters, column: str, since: datetime, until: datetime) -> QuerySet:
    """Orders that first reached the status whose time is `column` of the facts (delivered_at,
    paid_at) within [since, until)."""
    return _facts(f).filter(**{f"{column}__gte": since, f"{column}__lt": until})


def _cycle_expression(column: str, prefix: str = "") -> ExpressionWrapper:
    return ExpressionWrapper(F(f"{prefix}{column}") - F(f"{prefix}entered_at"), output_field=DurationField())


def _cycle(f: Filters, column: str, what: str) -> Figure:
    if not _rolls(f):
        return _cycle_facts(f, column, what)
    spec = DELIVERED_DAILY if column == "delivered_at" else PAID_DAILY
    n, seconds = spec.columns
    totals, by_month = _rolled_up(f, spec, (f.start, f.end), _month_last(f))
    return Figure(
        value=_days_of(totals[seconds], totals[n]),
        detail=f"average over {totals[n]} orders {what} in the period",
        trend=_trend_of(f, by_month, lambda r: _days_of(r[seconds], r[n])),
    )


def _cycle_facts(f: Filters, column: str, what: str) -> Figure:
    cycle = _cycle_expression(column)
    totals = _cycle_base(f, column, *_period_window(f)).aggregate(avg=Avg(cycle), n=Count("order_id"))
    rows = (
        _cycle_base(f, column, *_trend_window(f))
        .annotate(month=_month(column))
        .values("month")
        .annotate(avg=Avg(cycle))
    )
    return Figure(
        value=_days(totals["avg"]),
        detail=_("average over %(n)s orders %(what)s in the period") % {"n": totals["n"], "what": what},
        trend=_fill_trend(f, rows, lambda r: _days(r["avg"])),
    )


def _cycle_orders(f: Filters, column: str) -> QuerySet:
    return (
        _orders_of(f, _cycle_base(f, column, *_period_window(f)))
        .annotate(cycle=_cycle_expression(column, "fact__"))
        .order_by("-cycle", "id")
    )


def cycle_to_delivery(f: Filters) -> Figure:
    return _cycle(f, "delivered_at", "delivered")


def cycle_to_delivery_orders(f: Filters) -> QuerySet:
    return _cycle_orders(f, "delivered_at")


def cycle_to_cash(f: Filters) -> Figure:
    return _cycle(f, "paid_at", "paid")


def cycle_to_cash_orders(f: Filters) -> QuerySet:
    return _cycle_orders(f, "paid_at")


# --- DSO -------------------------------------------------------------------------------------


def _posted_invoices(f: Filters) -> QuerySet:
    return Invoice.objects.filter(
        scope_q(f, order="order__", customer="customer__"), kind=Invoice.Kind.INVOICE, status=Invoice.Status.POSTED
    )


def _receivable() -> ExpressionWrapper:
    return ExpressionWrapper(F("total") - F("amount_credited"), output_field=MONEY_FIELD)


def _dso_sums(day: date, n: int) -> dict:
    """Receivables open at the end of `day` (invoices issued by then and not yet fully paid,
    less their credit notes) and sales invoiced in the DSO window before it."""
    unpaid = Q(paid_at__isnull=True) | Q(paid_at__gte=_aware(day + timedelta(days=1)))
    return {
        f"open_{n}": Sum(_receivable(), filter=Q(issue_date__lte=day) & unpaid),
        f"sales_{n}": Sum("total", filter=Q(issue_date__gt=day - timedelta(days=DSO_WINDOW_DAYS), issue_date__lte=day)),
    }


def _dso_value(open_amount, sales) -> Decimal | None:
    if not sales:
        return None
    return ((open_amount or ZERO) / sales * DSO_WINDOW_DAYS).quantize(ONE_PLACE, rounding=ROUND_HALF_UP)


def _dso_points(f: Filters) -> list[date]:
    """The days DSO is judged on: each trend month's last day (or the period's end) and the end."""
    return [min(_month_add(month, 1) - timedelta(days=1), f.end) for month in trend_months(f)] + [f.end]


def _dso_exact(f: Filters, days: list[date]) -> list[tuple]:
    """(open receivables, sales of the window) on each day, from the invoices themselves."""
    sums = {}
    for n, day in enumerate(days):
        sums.update(_dso_sums(day, n))
    # Only invoices that count on some day: issued within the window before the first day, or
    # still open on it. Older invoices paid before it add nothing (and are most of history).
    first = min(days)
    relevant = (
        Q(issue_date__gt=first - timedelta(days=DSO_WINDOW_DAYS))
        | Q(paid_at__isnull=True)
        | Q(paid_at__gte=_aware(first + timedelta(days=1)))
    )
    row = _posted_invoices(f).filter(relevant).aggregate(**sums)
    return [(row[f"open_{n}"], row[f"sales_{n}"]) for n in range(len(days))]


def _running(cuts: list[date], buckets: dict[int, Decimal]) -> dict[date, Decimal]:
    """{cut: Σ over the days up to it} from sums per bucket of days (bucket k: cuts[k-1] < day <= cuts[k])."""
    total, running = ZERO, {}
    for k, cut in enumerate(cuts):
        total += buckets.get(k, ZERO)
        running[cut] = total
    return running


def _dso_rolled(f: Filters, days: list[date]) -> list[tuple]:
    """The same from the daily rollups (KpiDay: Σ receivables raised per issue day, Σ collected
    per day of payment, Σ invoiced per issue day) for the days before today, and from the
    invoices for today on. Open on day d = Σ raised − Σ collected over the days up to d; sales
    = Σ invoiced over (d − window, d]. The rolled days are read once, summed per stretch between
    the days that matter (each point and the start of its window), and added up here."""
    today = f.today
    ends = [min(day, today - timedelta(days=1)) for day in days]
    starts = [day - timedelta(days=DSO_WINDOW_DAYS) for day in days]
    cuts = sorted(set(ends) | set(starts))
    # width_bucket: how many of the thresholds (each cut's next day) are <= day, i.e. the index
    # of the first cut on or after the day.
    scope, scope_params = _site_tier_sql(f)
    params = [[cut + timedelta(days=1) for cut in cuts], max(ends), *scope_params]
    with reporting_connection().cursor() as cursor:
        cursor.execute(
            "SELECT width_bucket(day, %s::date[]), SUM(receivable_issued), SUM(receivable_paid), SUM(invoiced) "
            f"FROM orders_kpiday WHERE day <= %s{scope} GROUP BY 1",
            params,
        )
        rows = cursor.fetchall()
    raised, collected, invoiced = (_running(cuts, {row[0]: row[k] for row in rows}) for k in (1, 2, 3))
    points = [
        [raised[end] - collected[end], invoiced[end] - invoiced[start] if start < end else ZERO]
        for start, end in zip(starts, ends, strict=True)
    ]
    live = [n for n, day in enumerate(days) if day >= today]
    if live:
        # Today on: invoices issued from today, or paid from today (the later of the issue day
        # and the day of payment is then from today: billing_selectors.invoice_paid_day).
        sums = {}
        for n in live:
            day, end = days[n], _aware(days[n] + timedelta(days=1))
            issued = Q(issue_date__gte=today, issue_date__lte=day)
            sums[f"raised_{n}"] = Sum(_receivable(), filter=issued)
            sums[f"collected_{n}"] = Sum(_receivable(), filter=Q(paid_at__lt=end, issue_date__lte=day))
            sums[f"sales_{n}"] = Sum("total", filter=issued & Q(issue_date__gt=day - timedelta(days=DSO_WINDOW_DAYS)))
        recent = Q(issue_date__gte=today) | Q(paid_at__gte=_aware(today))
        row = _posted_invoices(f).filter(recent).aggregate(**sums)
        for n in live:
            points[n][0] += (row[f"raised_{n}"] or ZERO) - (row[f"collected_{n}"] or ZERO)
            points[n][1] += row[f"sales_{n}"] or ZERO
    return points


def dso(f: Filters) -> Figure:
    months = trend_months(f)
    days = _dso_points(f)
    points = _dso_rolled(f, days) if _rolls(f) else _dso_exact(f, days)
    return Figure(
        value=_dso_value(*points[-1]),
        detail=_("open receivables on %(end)s ÷ sales of the %(DSO_WINDOW_DAYS)s days before × %(DSO_WINDOW_DAYS)s")
        % {"end": format(f.end, "%Y-%m-%d"), "DSO_WINDOW_DAYS": DSO_WINDOW_DAYS},
        trend=[(month, _dso_value(*points[n])) for n, month in enumerate(months)],
    )


def dso_orders(f: Filters) -> QuerySet:
    unpaid = Q(paid_at__isnull=True) | Q(paid_at__gte=_aware(f.end + timedelta(days=1)))
    open_invoices = _posted_invoices(f).filter(unpaid, issue_date__lte=f.end, order=OuterRef("pk"))
    return _orders(f).filter(Exists(open_invoices)).order_by("created_at", "id")


# --- return rate -----------------------------------------------------------------------------


def _first_shipments(f: Filters, since: datetime, until: datetime) -> QuerySet:
    """Orders whose first shipment left within [since, until)."""
    return _facts(f).filter(first_shipped_at__gte=since, first_shipped_at__lt=until)


RETURN_SUMS = {"shipped": Sum("units_shipped"), "returned": Sum("units_returned")}


def return_rate(f: Filters) -> Figure:
    if not _rolls(f):
        return _return_rate_facts(f)
    totals, by_month = _rolled_up(f, SHIPPED_DAILY, (f.start, f.end), _month_last(f))
    return Figure(
        value=_rate(totals["units_returned"], totals["units_shipped"]),
        detail=f"{_plain(totals['units_returned'])} of {_plain(totals['units_shipped'])} units shipped came back",
        trend=_trend_of(f, by_month, lambda r: _rate(r["units_returned"], r["units_shipped"])),
    )


def _return_rate_facts(f: Filters) -> Figure:
    totals = _first_shipments(f, *_period_window(f)).aggregate(**RETURN_SUMS)
    rows = (
        _first_shipments(f, *_trend_window(f))
        .annotate(month=_month("first_shipped_at"))
        .values("month")
        .annotate(**RETURN_SUMS)
    )
    return Figure(
        value=_rate(totals["returned"] or ZERO, totals["shipped"]),
        detail=_("%(returned)s of %(shipped)s units shipped came back")
        % {"returned": _plain(totals["returned"]), "shipped": _plain(totals["shipped"])},
        trend=_fill_trend(f, rows, lambda r: _rate(r["returned"] or ZERO, r["shipped"])),
    )


def return_rate_orders(f: Filters) -> QuerySet:
    returned = _first_shipments(f, *_period_window(f)).filter(units_returned__gt=0)
    return _orders_of(f, returned).order_by("-created_at", "-id")


def _plain(value) -> str:
    value = value or ZERO
    return f"{value.normalize():f}" if value == value.to_integral() else f"{value:f}"


# --- forecast accuracy -----------------------------------------------------------------------


def _accuracy_value(accuracy) -> Decimal | None:
    wape = accuracy.wape_percent
    if wape is None:
        return None
    return max(ZERO, HUNDRED - wape)


def _forecast(f: Filters, source: str) -> Figure:
    """100 % − WAPE of one source over the 12 complete months before the period's end month
    (the planning app's figure; company-wide, so the site / tier / rep filters do not apply)."""
    overall = planning_selectors.forecast_accuracy(source=source, on=f.end)
    by_month = dict(
        (month, _accuracy_value(acc))
        for month, acc in planning_selectors.forecast_accuracy_by_month(source=source, on=f.end)
    )
    months = trend_months(f)
    shifted = [_month_add(m, -1) for m in months]  # the last complete months
    return Figure(
        value=_accuracy_value(overall),
        detail=overall.wording,
        trend=[(month, by_month.get(month)) for month in shifted],
        note="Company-wide: the site, tier, sales rep and family filters do not apply." if f.scoped else "",
    )


def forecast_sales(f: Filters) -> Figure:
    return _forecast(f, Source.SALES)


def forecast_production(f: Filters) -> Figure:
    return _forecast(f, Source.PRODUCTION)


# --- margin per order ------------------------------------------------------------------------


def _estimates(f: Filters, since: datetime, until: datetime) -> QuerySet:
    return _facts(f).filter(committed=True, created_at__gte=since, created_at__lt=until, margin__isnull=False)


def _margin_avg(row, rounding=None) -> Decimal | None:
    if not row["costed"]:
        return None
    avg = Decimal(row["margin"]) / Decimal(row["costed"])
    return avg.quantize(CENTS, rounding=rounding) if rounding else avg.quantize(CENTS)


def margin_per_order(f: Filters) -> Figure:
    if not _rolls(f):
        return _margin_per_order_facts(f)
    totals, by_month = _rolled_up(f, COSTED_DAILY, (f.start, f.end), _month_last(f))
    percent = _rate(totals["margin"], totals["revenue"]) if totals["revenue"] else None
    detail = f"average over {totals['costed']} orders entered"
    if percent is not None:
        detail += f"; {percent}% of revenue"
    return Figure(
        value=_margin_avg(totals, ROUND_HALF_UP),
        detail=detail,
        trend=_trend_of(f, by_month, _margin_avg),
    )


def _margin_per_order_facts(f: Filters) -> Figure:
    totals = _estimates(f, *_period_window(f)).aggregate(
        avg=Avg("margin"), margin=Sum("margin"), revenue=Sum("revenue"), n=Count("order_id")
    )
    rows = (
        _estimates(f, *_trend_window(f))
        .annotate(month=_month("created_at"))
        .values("month")
        .annotate(avg=Avg("margin"))
    )
    avg = totals["avg"]
    percent = _rate(totals["margin"], totals["revenue"]) if totals["revenue"] else None
    detail = _("average over %(n)s orders entered") % {"n": totals["n"]}
    if percent is not None:
        detail += f"; {percent}% of revenue"
    return Figure(
        value=None if avg is None else Decimal(avg).quantize(CENTS, rounding=ROUND_HALF_UP),
        detail=detail,
        trend=_fill_trend(f, rows, lambda r: None if r["avg"] is None else Decimal(r["avg"]).quantize(CENTS)),
    )


def margin_per_order_orders(f: Filters) -> QuerySet:
    return _orders_of(f, _estimates(f, *_period_window(f))).annotate(margin=F("fact__margin")).order_by("margin", "id")


# --- orders past due in a hand-off -----------------------------------------------------------


def _past_due(now: datetime) -> Exists:
    return Exists(Handoff.objects.filter(order=OuterRef("pk"), closed_at__isnull=True, due_at__lte=now))


def _missed(f: Filters) -> Q:
    """A hand-off that missed its due time: closed after it, or open and past it now."""
    return Q(closed_at__isnull=True, due_at__lte=f.now) | Q(closed_at__gt=F("due_at"))


@dataclass(frozen=True)
class _OpenDue:
    flow: int  # open order-flow hand-offs past due (at most one per order)
    other: int  # open hand-offs of other kinds past due
    other_orders: int  # orders past due only in other kinds

    @property
    def orders(self) -> int:
        return self.flow + self.other_orders

    @property
    def handoffs(self) -> int:
        return self.flow + self.other


def _open_due(f: Filters) -> _OpenDue:
    """The open hand-offs past due now, counted once for the past-due figure and the radar
    (cached like the figures). An order has at most one open hand-off per kind, so its open
    order-flow hand-off counts it once (an index-only count when unfiltered); orders past due
    only in other kinds (a step app's work, on their own small index) are counted apart."""
    key = f.cache_key("open-due")
    cached = cache.get(key)
    if cached is not None:
        return cached
    open_due = Handoff.objects.filter(scope_q(f, order="order__"), closed_at__isnull=True, due_at__lte=f.now)
    other = open_due.exclude(kind=Handoff.ORDER_FLOW)
    flow = Handoff.objects.filter(order=OuterRef("order_id"), kind=Handoff.ORDER_FLOW, closed_at__isnull=True)
    result = _OpenDue(
        flow=open_due.filter(kind=Handoff.ORDER_FLOW).count(),
        other=other.count(),
        other_orders=other.exclude(Exists(flow.filter(due_at__lte=f.now))).values("order_id").distinct().count(),
    )
    cache.set(key, result, cache_seconds())
    return result


def _first_missed_from_today(f: Filters, this_month: date) -> int:
    """Orders in scope with a hand-off due from today to the month's end that missed it and none
    due earlier in the month that did (PostgreSQL). The OFFSET 0 keeps the NOT EXISTS a probe
    per order of the index handoff_missed_order; as an anti-join, PostgreSQL hashes the whole
    month's misses instead (280,000 at 1,000,000 orders)."""
    scope, scope_params = _scope_sql(f, "h.order_id")
    missed = "((h.closed_at IS NULL AND h.due_at <= %s) OR h.closed_at > h.due_at)"
    sql = (
        f"SELECT COUNT(*) FROM (SELECT DISTINCT h.order_id FROM orders_handoff h WHERE {missed} AND h.due_at >= %s "
        f"AND h.due_at < %s{scope}) AS d WHERE NOT EXISTS (SELECT 1 FROM orders_handoff u "
        f"WHERE u.order_id = d.order_id AND {missed.replace('h.', 'u.')} AND u.due_at >= %s AND u.due_at < %s OFFSET 0)"
    )
    today, month_end = _aware(f.today), _aware(_month_add(this_month, 1))
    params = [f.now, today, month_end, *scope_params, f.now, _aware(this_month), today]
    with reporting_connection().cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


def past_due_now(f: Filters) -> Figure:
    count = _open_due(f).orders
    since, until = _trend_window(f)
    rolled: dict[date, Decimal] = {}
    if _rolls(f):
        # Months before today's come from the rollups (a miss never un-happens). This month: its
        # days before today from the rollups (orders by the day of their first miss of the
        # month), plus the orders whose first miss of the month is due today or later, live.
        this_month, months = _month_start(f.today), trend_months(f)
        q = Q(day__gte=months[0], day__lt=this_month, day__day=1)
        if f.site_id:
            q &= Q(site_id=f.site_id)
        if f.tier:
            q &= Q(tier=f.tier)
        for row in KpiDay.objects.filter(q).values("day").annotate(n=Sum("missed_orders")):
            if row["n"]:
                rolled[row["day"]] = Decimal(row["n"])
        if months[0] <= this_month <= months[-1]:
            q = Q(day__gte=this_month, day__lt=f.today)
            if f.site_id:
                q &= Q(site_id=f.site_id)
            if f.tier:
                q &= Q(tier=f.tier)
            before_today = KpiDay.objects.filter(q).aggregate(n=Sum("missed_first"))["n"] or 0
            first_today = _first_missed_from_today(f, this_month)
            if before_today + first_today:
                rolled[this_month] = Decimal(before_today + first_today)
        # Later months (a period ending after this month) are read live: normally nothing is
        # due after now and missed already.
        since = max(since, _aware(_month_add(this_month, 1)))
    rows = (
        Handoff.objects.filter(scope_q(f, order="order__"), _missed(f), due_at__gte=since, due_at__lt=until)
        .annotate(month=_month("due_at"))
        .values("month")
        .annotate(n=Count("order", distinct=True))
    )
    live = {row["month"]: Decimal(row["n"]) for row in rows} if since < until else {}
    return Figure(
        value=Decimal(count),
        detail="orders waiting in a hand-off past its service level right now",
        trend=[(month, rolled.get(month, live.get(month))) for month in trend_months(f)],
    )


def past_due_now_orders(f: Filters) -> QuerySet:
    return _orders(f).filter(_past_due(f.now)).order_by("status_changed_at", "id")


# --- the registry ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Kpi:
    key: str
    label: str
    unit: str  # "%", "days", "money" or "count"
    direction: str  # KpiTarget.Direction
    definition: str
    empty: str  # what the card says when there is no data
    compute: object
    orders: object = None  # the drill-down; None when no orders stand behind the figure
    link: str = ""  # a page elsewhere that explains the figure (when there are no orders)


H, L = KpiTarget.Direction.HIGHER, KpiTarget.Direction.LOWER

KPIS: list[Kpi] = [
    Kpi(
        "fill_rate",
        gettext_lazy("Order fill rate"),
        "%",
        H,
        gettext_lazy(
            "Share of committed orders whose promised date fell in the period (and has passed) that "
            "shipped complete — every line's full quantity — with no shipment leaving after the promised date."
        ),
        gettext_lazy("No orders were promised in this period."),
        fill_rate,
        fill_rate_orders,
    ),
    Kpi(
        "on_time_delivery",
        gettext_lazy("On-time delivery"),
        "%",
        H,
        gettext_lazy(
            "Share of shipments delivered in the period whose delivery date is on or before the order's promised date."
        ),
        gettext_lazy("No deliveries in this period."),
        on_time_delivery,
        on_time_delivery_orders,
    ),
    Kpi(
        "billing_accuracy",
        gettext_lazy("Billing accuracy"),
        "%",
        H,
        gettext_lazy(
            "Share of invoices posted (issued) in the period never corrected by a posted credit note "
            "nor disputed by a claim."
        ),
        gettext_lazy("No invoices were issued in this period."),
        billing_accuracy,
        billing_accuracy_orders,
    ),
    Kpi(
        "cycle_to_delivery",
        gettext_lazy("Cycle time: entry → delivery"),
        "days",
        L,
        gettext_lazy(
            "Average days from the order's entry (first submitted; its creation if it was never a draft) "
            "to the moment it was recorded delivered, over orders delivered in the period."
        ),
        gettext_lazy("No orders were delivered in this period."),
        cycle_to_delivery,
        cycle_to_delivery_orders,
    ),
    Kpi(
        "cycle_to_cash",
        gettext_lazy("Cycle time: entry → cash"),
        "days",
        L,
        gettext_lazy(
            "Average days from the order's entry to the moment every invoice of it was paid, "
            "over orders paid in the period."
        ),
        gettext_lazy("No orders were paid in this period."),
        cycle_to_cash,
        cycle_to_cash_orders,
    ),
    Kpi(
        "dso",
        gettext_lazy("DSO"),
        "days",
        L,
        gettext_lazy(
            "Days sales outstanding at the end of the period: receivables open that day (posted invoices "
            "not yet fully paid, less credit notes) ÷ invoiced sales of the 90 days before × 90."
        ),
        gettext_lazy("No invoices in the 90 days before the period's end."),
        dso,
        dso_orders,
    ),
    Kpi(
        "return_rate",
        gettext_lazy("Return rate"),
        "%",
        L,
        gettext_lazy(
            "Units returned ÷ units shipped, over order lines of orders whose first shipment left in the period."
        ),
        gettext_lazy("No shipments in this period."),
        return_rate,
        return_rate_orders,
    ),
    Kpi(
        "forecast_sales",
        gettext_lazy("Forecast accuracy: sales"),
        "%",
        H,
        gettext_lazy(
            "100 % − WAPE (Σ|forecast − ordered| ÷ Σ ordered) of the sales forecasts over the 12 complete "
            "months before the period's end month. Company-wide."
        ),
        gettext_lazy("No sales forecasts for the last 12 complete months."),
        forecast_sales,
        link="planning:accuracy",
    ),
    Kpi(
        "forecast_production",
        gettext_lazy("Forecast accuracy: production"),
        "%",
        H,
        gettext_lazy(
            "100 % − WAPE of the production forecasts over the 12 complete months before the period's end month. "
            "Company-wide."
        ),
        gettext_lazy("No production forecasts for the last 12 complete months."),
        forecast_production,
        link="planning:accuracy",
    ),
    Kpi(
        "margin_per_order",
        gettext_lazy("Margin per order"),
        "money",
        H,
        gettext_lazy(
            "Average estimated margin (revenue − cost to serve, from the order's cost estimate) of the committed "
            "orders entered in the period; currencies added at face value."
        ),
        gettext_lazy("No costed orders were entered in this period."),
        margin_per_order,
        margin_per_order_orders,
    ),
    Kpi(
        "past_due_now",
        gettext_lazy("Orders past due in a hand-off"),
        "count",
        L,
        gettext_lazy(
            "Orders with an open hand-off past its due time right now (the step's service level is used up). "
            "The trend counts orders whose hand-off missed its due time in each month."
        ),
        gettext_lazy(""),
        past_due_now,
        past_due_now_orders,
    ),
]
KPI_BY_KEY = {kpi.key: kpi for kpi in KPIS}


# --- targets ---------------------------------------------------------------------------------


def targets() -> dict[str, KpiTarget]:
    return {t.key: t for t in KpiTarget.objects.select_related("updated_by")}


TARGETS_VERSION_KEY = "omc:kpis:targets-version"


def dashboard_cache_key(f: Filters) -> str:
    """The rendered dashboard's key: the filters and day, and the targets' version (saving
    targets starts a new one, so the cards show them at once)."""
    return f.cache_key(f"page:{cache.get(TARGETS_VERSION_KEY, 0)}")


def kpi_targets_save(*, values: dict[str, Decimal | None], user) -> int:
    """Set (or with None, remove) the target of each KPI key given; returns how many changed.
    The direction comes from the KPI's definition."""
    changed = 0
    current = targets()
    for key, value in values.items():
        kpi = KPI_BY_KEY[key]
        existing = current.get(key)
        if value is None:
            if existing:
                existing.delete()
                changed += 1
            continue
        if existing and existing.target == value and existing.direction == kpi.direction:
            continue
        KpiTarget.objects.update_or_create(
            key=key, defaults={"target": value, "direction": kpi.direction, "updated_by": user}
        )
        changed += 1
    if changed:
        cache.set(TARGETS_VERSION_KEY, timezone.now().timestamp(), None)
    return changed


def target_status(value: Decimal | None, target: KpiTarget | None) -> str:
    """ "met", "missed", "no_target" or "no_data"."""
    if target is None:
        return "no_target"
    if value is None:
        return "no_data"
    if target.direction == KpiTarget.Direction.HIGHER:
        return "met" if value >= target.target else "missed"
    return "met" if value <= target.target else "missed"


# --- the dashboard ---------------------------------------------------------------------------


@dataclass
class Card:
    key: str
    label: str
    unit: str
    definition: str
    value: Decimal | None
    detail: str
    note: str
    empty: str
    trend: list
    target: Decimal | None
    direction: str
    status: str
    has_orders: bool
    link: str

    def as_dict(self) -> dict:
        """For JSON: Decimals as strings (exact), months as ISO dates."""
        data = asdict(self)
        data["value"], data["target"] = _str(self.value), _str(self.target)
        data["trend"] = [{"month": m.isoformat(), "value": _str(v)} for m, v in self.trend]
        return data


def _str(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def kpi_figures(f: Filters) -> dict[str, Figure]:
    """Every KPI's figure, cached for a short while (the same filters on the same day)."""
    key = f.cache_key("figures")
    figures = cache.get(key)
    if figures is None:
        with room_to_sort():
            figures = {kpi.key: kpi.compute(f) for kpi in KPIS}
        cache.set(key, figures, cache_seconds())
    return figures


def kpi_cards(f: Filters, *, keys: list[str] | None = None) -> list[Card]:
    figures = kpi_figures(f)
    goals = targets()
    cards = []
    for kpi in KPIS:
        if keys and kpi.key not in keys:
            continue
        figure, target = figures[kpi.key], goals.get(kpi.key)
        cards.append(
            Card(
                key=kpi.key,
                label=kpi.label,
                unit=kpi.unit,
                definition=kpi.definition,
                value=figure.value,
                detail=figure.detail,
                note=figure.note,
                empty=kpi.empty,
                trend=figure.trend,
                target=target.target if target else None,
                direction=kpi.direction,
                status=target_status(figure.value, target),
                has_orders=kpi.orders is not None,
                link=kpi.link,
            )
        )
    return cards


def kpi_orders(key: str, f: Filters) -> QuerySet:
    """The orders behind a KPI (raises KeyError for an unknown key or a KPI without orders)."""
    kpi = KPI_BY_KEY[key]
    if kpi.orders is None:
        raise KeyError(key)
    return kpi.orders(f).select_related("customer", "site")


# --- where do our orders wait? ---------------------------------------------------------------


def _hours_sql(later: str, earlier: str) -> str:
    if connection.vendor == "postgresql":
        # date_part gives a double (EXTRACT a numeric, several times slower to sort and sum).
        return f"date_part('epoch', {later} - {earlier}) / 3600.0"
    return f"(julianday({later}) - julianday({earlier})) * 24.0"


def _db_time(moment: datetime):
    """A datetime as the raw cursor should receive it (SQLite stores naive UTC text)."""
    if connection.vendor == "postgresql":
        return moment
    return moment.astimezone(timezone.UTC).replace(tzinfo=None).isoformat(" ")


def _site_tier_sql(f: Filters) -> tuple[str, list]:
    """The site and tier filters on rows that carry `site_id` and `tier` columns (the rollups)."""
    scope, params = "", []
    if f.site_id:
        scope += " AND site_id = %s"
        params.append(f.site_id)
    if f.tier:
        scope += " AND tier = %s"
        params.append(f.tier)
    return scope, params


def _scope_sql(f: Filters, column: str) -> tuple[str, list]:
    if not f.scoped:
        return "", []
    sql, params = _orders(f).values("id").query.sql_with_params()
    return f" AND {column} IN ({sql})", list(params)


def percentiles_supported() -> bool:
    return connection.vendor == "postgresql"


def _stats_columns() -> str:
    """Count, mean, median and 90th percentile of `hours`; both percentiles from one sort
    (PostgreSQL); SQLite gives the count and mean."""
    if percentiles_supported():
        return "COUNT(*), AVG(hours), percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY hours)"
    return "COUNT(*), AVG(hours), NULL"


def _stats_row(n, mean, percentiles) -> tuple:
    median, p90 = percentiles or (None, None)
    return n, _hours(mean), _hours(median), _hours(p90)


def _hours(value) -> Decimal | None:
    if value is None:
        return None
    return Decimal(str(value)).quantize(ONE_PLACE, rounding=ROUND_HALF_UP)


@dataclass
class Wait:
    key: str
    label: str
    count: int
    mean_hours: Decimal | None
    median_hours: Decimal | None
    p90_hours: Decimal | None


def waits_per_step(f: Filters) -> list[Wait]:
    """Hours an order spent in each step: the intervals between its status changes (an OrderEvent
    to the next one, kept as its `ended_at`) that ended in the period, grouped by the step of
    the status it sat in. Median and 90th percentile in PostgreSQL; SQLite gives the mean only."""
    return [Wait(step.value, step.label, *stats) for step, stats in _waits(f, KpiWaitDay.STEP, Step) if stats]


def waits_per_handoff(f: Filters) -> list[Wait]:
    """Hours from a hand-off's opening to its closing, for the order-flow hand-offs closed in the
    period, per sending → receiving department."""
    labels = dict(Department.choices)
    found = _waits(f, KpiWaitDay.HANDOFF, None)
    waits = []
    for key, stats in found:
        a, b = key.split(">", 1)
        waits.append(Wait(key, f"{labels.get(a, a)} → {labels.get(b, b)}", *stats))
    return sorted(waits, key=lambda w: -(w.median_hours or w.mean_hours or ZERO))


def _waits(f: Filters, kind: str, keys) -> list[tuple]:
    """[(key, (count, mean, median, p90))] of one kind: from the daily histograms (KpiWaitDay)
    for the days before today and the intervals themselves from today, or, with a sales rep or
    family filter (not rollup dimensions) or the rollups off, exactly from the intervals."""
    stats = _waits_rolled(f, kind) if _rolls(f) else _waits_exact(f, kind)
    if keys is None:
        return list(stats.items())
    return [(key, stats.get(key.value)) for key in keys]


def _waits_rolled(f: Filters, kind: str) -> dict[str, tuple]:
    histograms: dict[str, wait_rollups.Histogram] = {}
    today = f.today
    last = min(f.end, today - timedelta(days=1))
    if f.start <= last:
        grouping = wait_rollups.grouping(site=bool(f.site_id), tier=bool(f.tier))
        # Rows summed over every site have no site, over every tier the tier "" (so the read is
        # one range of the index, grouping → site → tier → kind → day).
        q = Q(grouping=grouping, kind=kind, day__gte=f.start, day__lte=last)
        q &= Q(site_id=f.site_id) if f.site_id else Q(site__isnull=True)
        q &= Q(tier=f.tier or "")
        rows = KpiWaitDay.objects.filter(q).values("key", "bucket").annotate(count=Sum("n"), total=Sum("hours"))
        for row in rows.values_list("key", "bucket", "count", "total"):
            histograms.setdefault(row[0], wait_rollups.Histogram()).add(*row[1:])
    if f.end >= today:
        # Today on: the intervals that ended since midnight, bucketed the same way.
        since, until = _aware(max(f.start, today)), _aware(f.end + timedelta(days=1))
        scope, scope_params = _site_tier_sql(f)
        params = [since, until, Handoff.ORDER_FLOW, since, until, kind, *scope_params]
        sql = (
            f"SELECT key, {wait_rollups.bucket_sql('hours')} AS bucket, COUNT(*), SUM(hours) "
            f"FROM ({wait_rollups.intervals_sql(until=True)}) AS i WHERE kind = %s AND key IS NOT NULL{scope} "
            "GROUP BY 1, 2"
        )
        with reporting_connection().cursor() as cursor:
            cursor.execute(sql, params)
            for row in cursor.fetchall():
                histograms.setdefault(row[0], wait_rollups.Histogram()).add(*row[1:])
    return {
        key: (h.count, _hours(h.mean), _hours(h.percentile(0.5)), _hours(h.percentile(0.9)))
        for key, h in histograms.items()
        if h.count
    }


def _waits_exact(f: Filters, kind: str) -> dict[str, tuple]:
    """The same figures from every interval of the period (exact percentiles)."""
    since, until = _period_window(f)
    if kind == KpiWaitDay.STEP:
        scope, scope_params = _scope_sql(f, "e.order_id")
        rows = (
            f"SELECT {wait_rollups.step_sql('e.to_status')} AS key, "
            f"{_hours_sql('e.ended_at', 'e.created_at')} AS hours FROM orders_orderevent e "
            f"WHERE e.ended_at >= %s AND e.ended_at < %s{scope}"
        )
        params = [_db_time(since), _db_time(until), *scope_params]
    else:
        scope, scope_params = _scope_sql(f, "h.order_id")
        rows = (
            f"SELECT h.from_department || '>' || h.to_department AS key, {_hours_sql('h.closed_at', 'h.opened_at')} "
            f"AS hours FROM orders_handoff h WHERE h.kind = %s AND h.closed_at >= %s AND h.closed_at < %s{scope}"
        )
        params = [Handoff.ORDER_FLOW, _db_time(since), _db_time(until), *scope_params]
    sql = f"SELECT key, {_stats_columns()} FROM ({rows}) AS r WHERE key IS NOT NULL GROUP BY key"
    with reporting_connection().cursor() as cursor:
        cursor.execute(sql, params)
        return {key: _stats_row(n, mean, percentiles) for key, n, mean, percentiles in cursor.fetchall() if n}


def waits(f: Filters) -> dict:
    key = f.cache_key("waits")
    result = cache.get(key)
    if result is None:
        with room_to_sort():
            result = {
                "steps": waits_per_step(f),
                "handoffs": waits_per_handoff(f),
                "percentiles": percentiles_supported(),
            }
        cache.set(key, result, cache_seconds())
    return result


# --- the stuck-order radar -------------------------------------------------------------------


def radar(f: Filters) -> QuerySet:
    """Open hand-offs past due (the step's service level is used up) on orders in scope,
    strategic customers first, then the biggest orders, then the longest overdue; with who
    holds each (the receiving department, and the person who acknowledged it, if anyone)."""
    value = F("order__fact__value")  # the order's net total, kept on its facts
    tier_rank = Case(
        *[When(order__customer__tier=tier, then=Value(rank)) for tier, rank in TIER_RANK.items()],
        default=Value(9),
        output_field=IntegerField(),
    )
    return (
        Handoff.objects.filter(scope_q(f, order="order__"), closed_at__isnull=True, due_at__lte=f.now)
        .select_related("order", "order__customer", "acknowledged_by")
        .annotate(tier_rank=tier_rank, order_value=Coalesce(value, Value(ZERO), output_field=MONEY_FIELD))
        .order_by("tier_rank", "-order_value", "due_at", "id")
    )


RADAR_WALK_FROM = 5000  # stuck hand-offs; fewer are simply ranked


@dataclass
class RadarTop:
    """The radar's first rows and how many stuck hand-offs there are in all."""

    object_list: list
    count: int


def radar_top(f: Filters, n: int) -> RadarTop:
    """The first `n` rows of `radar(f)`, reading about as many hand-offs as it shows.

    Ranking every open past-due hand-off first (180,000 at 1,000,000 orders) costs seconds; with
    more than RADAR_WALK_FROM of them, the first rows come instead, tier by tier in rank order,
    from the orders' facts walked by value, biggest first (index fact_value), each probed for an
    open hand-off past due (the open hand-offs' unique index), until `n` are found. Every order
    has its facts (written with the order), so these are the radar's own first rows. (A tier
    with very few stuck orders among many stuck ones elsewhere walks more of its orders.)"""
    base = Handoff.objects.filter(scope_q(f, order="order__"), closed_at__isnull=True, due_at__lte=f.now)
    count = _open_due(f).handoffs  # shared with the past-due figure
    if count <= RADAR_WALK_FROM:
        # Few stuck: ranking them all is cheap, and walking the orders would pass many by.
        return RadarTop(list(radar(f)[:n]), count)
    ids: list[int] = []
    if f.tier:
        groups = [Q(order__customer__tier=f.tier)]
    else:
        groups = [Q(order__customer__tier=tier) for tier in TIER_RANK]
        groups.append(~Q(order__customer__tier__in=list(TIER_RANK)))
    for tier in groups:
        if len(ids) >= min(n, count):
            break
        rows = base.filter(tier, order__fact__value__isnull=False).order_by("-order__fact__value", "due_at", "id")
        ids += rows.values_list("id", flat=True)[: n - len(ids)]
    found = {h.id: h for h in radar(f).filter(id__in=ids)}
    return RadarTop([found[i] for i in ids], count)


# --- miss attribution ------------------------------------------------------------------------


@dataclass
class Miss:
    step: str
    label: str
    orders: int
    excess_hours: Decimal | None


def miss_attribution(f: Filters) -> dict:
    """For the orders delivered late in the period (a shipment delivered after the promised
    date), the step whose hand-offs ran furthest past their due times (Σ over the step's
    order-flow hand-offs of closed-or-now − due, when positive). One count per late order, to
    the step that consumed the most time beyond its service level; orders with no hand-off
    late are counted as "within service levels"."""
    key = f.cache_key("misses")
    cached = cache.get(key)
    if cached is not None:
        return cached
    late_ids_sql, late_params = on_time_delivery_orders(f).order_by().values("id").query.sql_with_params()
    now = _db_time(f.now)
    excess = _hours_sql("COALESCE(h.closed_at, %s)", "h.due_at")
    sql = (
        "SELECT step, COUNT(*), SUM(excess) FROM ("
        "  SELECT order_id, step, excess, ROW_NUMBER() OVER (PARTITION BY order_id ORDER BY excess DESC, step) AS rn"
        "  FROM ("
        f"   SELECT h.order_id, h.step, SUM({excess}) AS excess FROM orders_handoff h"
        f"   WHERE h.kind = %s AND h.order_id IN ({late_ids_sql}) AND COALESCE(h.closed_at, %s) > h.due_at"
        "    GROUP BY h.order_id, h.step"
        "  ) AS per_step"
        ") AS ranked WHERE rn = 1 GROUP BY step"
    )
    params = [now, Handoff.ORDER_FLOW, *late_params, now]
    with reporting_connection().cursor() as cursor:
        cursor.execute(sql, params)
        rows = {row[0]: row for row in cursor.fetchall()}
    late_total = on_time_delivery_orders(f).count()
    labels = dict(Step.choices)
    misses = [
        Miss(step, labels.get(step, step), n, _hours(total))
        for step, n, total in sorted(rows.values(), key=lambda r: (-r[1], r[0]))
    ]
    attributed = sum(m.orders for m in misses)
    result = {"late_orders": late_total, "steps": misses, "within_service_levels": late_total - attributed}
    cache.set(key, result, cache_seconds())
    return result
