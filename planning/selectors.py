"""Every read of order planning beyond a .get(): the grid, the consensus view, forecast
accuracy and the capacity plan. Aggregates run in the database."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import (
    Case,
    Count,
    DateField,
    DecimalField,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Abs, Coalesce, TruncMonth
from django.utils import timezone

from orders.models import QUANTITY, OrderLine, Product, WorkCenter
from orders.states import OrderStatus

from .models import Consensus, Forecast, ForecastVersion, PlanningEvent, Source
from .months import month_add, month_days, month_start, today

ZERO = Decimal("0")
HUNDRED = Decimal("100")
# Sales and production figures further apart than this are highlighted for the planner.
DIFFERENCE_THRESHOLD_PERCENT = Decimal("10")
# Orders that never became demand: they do not count as actuals.
NOT_DEMAND = (OrderStatus.CANCELLED, OrderStatus.REJECTED)
ACCURACY_MONTHS = 12


# --- products ------------------------------------------------------------------------------


def product_list(*, family: str | None = None, search: str | None = None) -> QuerySet:
    """Active products by SKU, filtered by family and by a search in SKU and name."""
    qs = Product.objects.filter(active=True)
    if family:
        qs = qs.filter(family=family)
    if search:
        search = search.strip()
        qs = qs.filter(Q(sku__icontains=search) | Q(name__icontains=search))
    return qs.order_by("sku", "id")


def product_families() -> list[str]:
    return list(
        Product.objects.filter(active=True)
        .exclude(family="")
        .order_by("family")
        .values_list("family", flat=True)
        .distinct()
    )


# --- forecasts -----------------------------------------------------------------------------


@dataclass
class GridCell:
    month: date
    quantity: Decimal | None
    version: int


@dataclass
class GridRow:
    product: Product
    cells: list[GridCell]


def forecast_grid(*, source: str, products: list[Product], months: list[date]) -> list[GridRow]:
    """One row per product with the current figure of each month (None where never entered),
    in one query for the whole page."""
    current = {
        (f.product_id, f.month): f
        for f in Forecast.objects.filter(source=source, product__in=products, month__in=months, version__gte=1).only(
            "product_id", "month", "quantity", "version"
        )
    }
    rows = []
    for product in products:
        cells = []
        for month in months:
            forecast = current.get((product.pk, month))
            cells.append(
                GridCell(
                    month=month,
                    quantity=forecast.quantity if forecast else None,
                    version=forecast.version if forecast else 0,
                )
            )
        rows.append(GridRow(product=product, cells=cells))
    return rows


def forecast_list(
    *,
    sources,
    source: str | None = None,
    product_id: int | None = None,
    family: str | None = None,
    search: str | None = None,
    month_from: date | None = None,
    month_to: date | None = None,
) -> QuerySet:
    """Current forecasts of the given readable `sources`, filtered."""
    qs = Forecast.objects.filter(source__in=list(sources), version__gte=1).select_related("product", "updated_by")
    if source:
        qs = qs.filter(source=source)
    if product_id:
        qs = qs.filter(product_id=product_id)
    if family:
        qs = qs.filter(product__family=family)
    if search:
        qs = qs.filter(Q(product__sku__icontains=search) | Q(product__name__icontains=search))
    if month_from:
        qs = qs.filter(month__gte=month_from)
    if month_to:
        qs = qs.filter(month__lte=month_to)
    return qs.order_by("product__sku", "month", "source", "id")


def forecast_history(*, source: str, product_id: int, month: date) -> QuerySet:
    """Every saved version of one cell, newest first."""
    return (
        ForecastVersion.objects.filter(forecast__source=source, forecast__product_id=product_id, forecast__month=month)
        .select_related("created_by")
        .order_by("-version")
    )


def forecast_export_rows(*, source: str, products: QuerySet, months: list[date]):
    """(sku, 'YYYY-MM', quantity) for every current figure of these products and months,
    streamed from the database in SKU then month order."""
    return (
        Forecast.objects.filter(source=source, product__in=products, month__in=months, version__gte=1)
        .order_by("product__sku", "month")
        .values_list("product__sku", "month", "quantity")
        .iterator(chunk_size=2000)
    )


# --- consensus -----------------------------------------------------------------------------


@dataclass
class ConsensusRow:
    product: Product
    month: date
    sales: Decimal | None
    production: Decimal | None
    consensus: Consensus | None

    @property
    def difference_percent(self) -> Decimal | None:
        """How far apart the sources are, as a share of the larger figure; None unless both exist."""
        if self.sales is None or self.production is None:
            return None
        larger = max(self.sales, self.production)
        if larger == 0:
            return ZERO
        return (abs(self.sales - self.production) * HUNDRED / larger).quantize(Decimal("0.1"))

    @property
    def far_apart(self) -> bool:
        difference = self.difference_percent
        return difference is not None and difference > DIFFERENCE_THRESHOLD_PERCENT


def consensus_rows(*, products: list[Product], month: date) -> list[ConsensusRow]:
    """Sales, production and consensus of one month for a page of products, in two queries."""
    figures = defaultdict(dict)
    for product_id, source, quantity in Forecast.objects.filter(
        product__in=products, month=month, version__gte=1
    ).values_list("product_id", "source", "quantity"):
        figures[product_id][source] = quantity
    agreed = {
        c.product_id: c
        for c in Consensus.objects.filter(product__in=products, month=month).select_related("set_by", "signed_off_by")
    }
    return [
        ConsensusRow(
            product=product,
            month=month,
            sales=figures[product.pk].get(Source.SALES),
            production=figures[product.pk].get(Source.PRODUCTION),
            consensus=agreed.get(product.pk),
        )
        for product in products
    ]


def consensus_row(*, product: Product, month: date) -> ConsensusRow:
    return consensus_rows(products=[product], month=month)[0]


def consensus_list(
    *,
    month: date | None = None,
    family: str | None = None,
    search: str | None = None,
    signed_off: bool | None = None,
) -> QuerySet:
    qs = Consensus.objects.select_related("product", "set_by", "signed_off_by")
    if month:
        qs = qs.filter(month=month)
    if family:
        qs = qs.filter(product__family=family)
    if search:
        qs = qs.filter(Q(product__sku__icontains=search) | Q(product__name__icontains=search))
    if signed_off is not None:
        qs = qs.filter(signed_off_at__isnull=not signed_off)
    return qs.order_by("month", "product__sku", "id")


def planning_events(*, product_id: int | None = None, month: date | None = None) -> QuerySet:
    qs = PlanningEvent.objects.select_related("actor", "product")
    if product_id:
        qs = qs.filter(product_id=product_id)
    if month:
        qs = qs.filter(month=month)
    return qs.order_by("-created_at", "-id")


# --- forecast accuracy ---------------------------------------------------------------------


@dataclass
class Accuracy:
    """Forecast against actual ordered quantities over product-months a source forecast."""

    source: str
    forecast: Decimal
    actual: Decimal
    abs_error: Decimal
    cells: int

    @property
    def bias_percent(self) -> Decimal | None:
        """(Σforecast − Σactual) / Σactual: positive = over-forecast."""
        if not self.actual:
            return None
        return ((self.forecast - self.actual) * HUNDRED / self.actual).quantize(Decimal("0.1"))

    @property
    def wape_percent(self) -> Decimal | None:
        """Σ|forecast − actual| / Σactual (weighted absolute percentage error)."""
        if not self.actual:
            return None
        return (self.abs_error * HUNDRED / self.actual).quantize(Decimal("0.1"))

    @property
    def wording(self) -> str:
        label = Source(self.source).label.lower()
        bias = self.bias_percent
        if self.cells == 0:
            return f"{label}: no forecasts for the last {ACCURACY_MONTHS} complete months"
        if bias is None:
            return f"{label} forecast {_plain(self.forecast)} where nothing was ordered"
        if bias > 0:
            return f"{label} over-forecast by {_plain(bias)}%"
        if bias < 0:
            return f"{label} under-forecast by {_plain(-bias)}%"
        return f"{label} forecast on target"


def _plain(value: Decimal) -> str:
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def accuracy_window(*, on: date | None = None) -> tuple[date, date]:
    """The last ACCURACY_MONTHS complete months: [first month, current month)."""
    current = month_start(on or today())
    return month_add(current, -ACCURACY_MONTHS), current


def _aware(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _paired_forecasts(*, source: str, on: date | None = None) -> QuerySet:
    """The source's forecasts in the window, each with `actual` (ordered quantity of that
    product in that month) and `abs_error`, as one SQL query with a correlated aggregate."""
    first, end = accuracy_window(on=on)
    actual = (
        OrderLine.objects.filter(
            product=OuterRef("product_id"), order__created_at__gte=_aware(first), order__created_at__lt=_aware(end)
        )
        .exclude(order__status__in=NOT_DEMAND)
        .annotate(order_month=TruncMonth("order__created_at", output_field=DateField()))
        .filter(order_month=OuterRef("month"))
        .values("product")
        .annotate(total=Sum("quantity_ordered"))
        .values("total")
    )
    quantity = DecimalField(**QUANTITY)
    return (
        Forecast.objects.filter(source=source, month__gte=first, month__lt=end, version__gte=1)
        .annotate(actual=Coalesce(Subquery(actual, output_field=quantity), Value(ZERO), output_field=quantity))
        .annotate(abs_error=Abs(F("quantity") - F("actual"), output_field=quantity))
    )


_TOTALS = {
    "forecast_total": Coalesce(Sum("quantity"), Value(ZERO), output_field=DecimalField(**QUANTITY)),
    "actual_total": Coalesce(Sum("actual"), Value(ZERO), output_field=DecimalField(**QUANTITY)),
    "abs_error_total": Coalesce(Sum("abs_error"), Value(ZERO), output_field=DecimalField(**QUANTITY)),
    "cells": Count("id"),
}


def _accuracy(source: str, row: dict) -> Accuracy:
    return Accuracy(
        source=source,
        forecast=row["forecast_total"],
        actual=row["actual_total"],
        abs_error=row["abs_error_total"],
        cells=row["cells"],
    )


def forecast_accuracy(*, source: str, on: date | None = None) -> Accuracy:
    """Overall accuracy of one source over the last 12 complete months (one aggregate query)."""
    return _accuracy(source, _paired_forecasts(source=source, on=on).aggregate(**_TOTALS))


def forecast_accuracy_by_product(*, source: str, on: date | None = None) -> QuerySet:
    """Per product: forecast_total, actual_total, abs_error_total, cells; worst misses first.
    Page it; wrap rows with accuracy_from_row."""
    return (
        _paired_forecasts(source=source, on=on)
        .values("product_id", "product__sku", "product__name")
        .annotate(**_TOTALS)
        .order_by("-abs_error_total", "product__sku")
    )


def forecast_accuracy_by_month(*, source: str, on: date | None = None) -> list[tuple[date, Accuracy]]:
    rows = _paired_forecasts(source=source, on=on).values("month").annotate(**_TOTALS).order_by("month")
    return [(row["month"], _accuracy(source, row)) for row in rows]


def accuracy_from_row(source: str, row: dict) -> Accuracy:
    return _accuracy(source, row)


# --- capacity plan -------------------------------------------------------------------------


@dataclass
class CapacityWeek:
    monday: date
    load: Decimal
    available: Decimal

    @property
    def overloaded(self) -> bool:
        return self.load > self.available

    @property
    def utilization_percent(self) -> Decimal | None:
        if not self.available:
            return None
        return (self.load * HUNDRED / self.available).quantize(Decimal("1"))


@dataclass
class CapacityRow:
    work_center: WorkCenter
    weeks: list[CapacityWeek] = field(default_factory=list)

    @property
    def overloaded_weeks(self) -> int:
        return sum(1 for week in self.weeks if week.overloaded)


def _working_days(work_center: WorkCenter, days: list[date]) -> list[date]:
    # A work center working N days a week works the first N weekdays, Monday first.
    return [day for day in days if day.weekday() < work_center.days_per_week]


def capacity_month_hours(*, months: list[date], work_center_ids: list[int]) -> dict[tuple[int, date], Decimal]:
    """Hours each work center needs per month from the consensus, in one aggregate query:
    Σ consensus quantity × hours per unit, plus the routing step's set-up once per product
    and month with a non-zero consensus (the plan assumes one batch per month)."""
    hours = DecimalField(max_digits=20, decimal_places=7)
    rows = (
        Consensus.objects.filter(month__in=months, product__routing__work_center_id__in=work_center_ids)
        .values("product__routing__work_center_id", "month")
        .annotate(
            hours=Sum(
                F("quantity") * F("product__routing__hours_per_unit")
                + Case(When(quantity__gt=0, then=F("product__routing__setup_hours")), default=Value(ZERO)),
                output_field=hours,
            )
        )
    )
    return {(row["product__routing__work_center_id"], row["month"]): row["hours"] or ZERO for row in rows}


def capacity_plan(*, work_centers: list[WorkCenter], start: date, weeks: int) -> list[CapacityRow]:
    """Load against available hours per work center and ISO week, from `start` (a Monday).

    A month's hours are spread evenly over that work center's working days in the month;
    a week's load is the sum over its days. Available = hours per day × days per week.
    Loads are rounded to 0.01 h once, here."""
    end = start + timedelta(days=7 * weeks)
    months, month = [], month_start(start)
    while month < end:
        months.append(month)
        month = month_add(month, 1)
    month_hours = capacity_month_hours(months=months, work_center_ids=[wc.pk for wc in work_centers])
    mondays = [start + timedelta(days=7 * offset) for offset in range(weeks)]
    rows = []
    for work_center in work_centers:
        load = defaultdict(lambda: ZERO)
        for month in months:
            hours = month_hours.get((work_center.pk, month))
            working = _working_days(work_center, month_days(month))
            if not hours or not working:
                continue
            per_day = hours / len(working)
            for day in working:
                if start <= day < end:
                    load[day - timedelta(days=day.weekday())] += per_day
        available = (work_center.hours_per_day * work_center.days_per_week).quantize(Decimal("0.01"))
        rows.append(
            CapacityRow(
                work_center=work_center,
                weeks=[
                    CapacityWeek(monday=monday, load=load[monday].quantize(Decimal("0.01")), available=available)
                    for monday in mondays
                ],
            )
        )
    return rows
