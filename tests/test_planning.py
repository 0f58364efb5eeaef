"""Order planning rules: versioned forecasts, consensus and sign-off, accuracy and capacity on
known data with the expected figures worked out by hand."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from orders.errors import ActionNotPermitted, ValidationFailed
from orders.roles import Role
from orders.states import OrderStatus
from planning import selectors, services
from planning.csv_io import forecast_csv_lines, forecast_csv_read, quantity_parse
from planning.models import Consensus, Forecast, ForecastVersion, PlanningEvent, Source
from planning.months import first_open_month, month_add, month_editable

from .factories import OrderFactory, OrderLineFactory, ProductFactory
from .planning_factories import ConsensusFactory, ForecastFactory, RoutingStepFactory, WorkCenterFactory

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def month():
    return first_open_month()


@pytest.fixture
def sales_rep(user_with):
    return user_with(Role.SALES_REP)


@pytest.fixture
def planner(user_with):
    return user_with(Role.DEMAND_PLANNER)


@pytest.fixture
def scheduler(user_with):
    return user_with(Role.SCHEDULER)


# --- months ---------------------------------------------------------------------------------


def test_a_month_is_open_until_it_begins():
    on = date(2026, 11, 22)
    assert not month_editable(date(2026, 11, 1), on=on)
    assert month_editable(date(2026, 12, 1), on=on)
    assert month_editable(date(2028, 11, 1), on=on)
    assert not month_editable(date(2028, 12, 1), on=on)  # 24 months ahead at most


@pytest.mark.parametrize(
    "text, expected",
    [("120", D("120")), ("12.5", D("12.5")), (" 1,200 ", D("1200")), ("0", D("0")), ("1,200.25", D("1200.25"))],
)
def test_quantities_people_type_and_paste(text, expected):
    assert quantity_parse(text) == (expected, "")


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "Enter a quantity"),
        ("abc", "is not a number"),
        ("-5", "cannot be negative"),
        ("NaN", "is not a number"),
        ("1.2345", "At most 3 decimals"),
        ("1e12", "too large"),
        ("1,20", "is not a number"),
    ],
)
def test_bad_quantities_say_why(text, message):
    quantity, error = quantity_parse(text)
    assert quantity is None and message in error


# --- forecasts and their versions ------------------------------------------------------------


def test_saving_a_figure_twice_keeps_both_versions(sales_rep, month):
    product = ProductFactory()

    services.forecast_save(source=Source.SALES, product=product, month=month, quantity=D("100"), actor=sales_rep)
    forecast = services.forecast_save(
        source=Source.SALES, product=product, month=month, quantity=D("120"), actor=sales_rep
    )

    assert forecast.quantity == D("120") and forecast.version == 2
    history = list(selectors.forecast_history(source=Source.SALES, product_id=product.pk, month=month))
    assert [(v.version, v.quantity, v.previous_quantity, v.created_by) for v in history] == [
        (2, D("120"), D("100"), sales_rep),
        (1, D("100"), None, sales_rep),
    ]
    assert all(v.created_at is not None for v in history)


def test_saving_the_same_figure_again_writes_nothing(sales_rep, month):
    product = ProductFactory()
    services.forecast_save(source=Source.SALES, product=product, month=month, quantity=D("100"), actor=sales_rep)

    forecast = services.forecast_save(
        source=Source.SALES, product=product, month=month, quantity=D("100.000"), actor=sales_rep
    )

    assert forecast.version == 1 and ForecastVersion.objects.count() == 1


def test_each_source_keeps_its_own_figure(sales_rep, scheduler, month):
    product = ProductFactory()
    services.forecast_save(source=Source.SALES, product=product, month=month, quantity=D("100"), actor=sales_rep)
    services.forecast_save(source=Source.PRODUCTION, product=product, month=month, quantity=D("80"), actor=scheduler)

    assert dict(Forecast.objects.values_list("source", "quantity")) == {"sales": D("100"), "production": D("80")}


@pytest.mark.parametrize(
    "role, source",
    [(Role.SCHEDULER, Source.SALES), (Role.SALES_REP, Source.PRODUCTION), (Role.DEMAND_PLANNER, Source.SALES)],
)
def test_only_the_source_s_own_role_enters_its_forecast(user_with, month, role, source):
    with pytest.raises(ActionNotPermitted):
        services.forecast_save(
            source=source, product=ProductFactory(), month=month, quantity=D("1"), actor=user_with(role)
        )
    assert not Forecast.objects.exists()


def test_a_month_that_has_begun_is_frozen(sales_rep):
    this_month = month_add(first_open_month(), -1)

    with pytest.raises(ValidationFailed) as error:
        services.forecast_save(
            source=Source.SALES, product=ProductFactory(), month=this_month, quantity=D("1"), actor=sales_rep
        )

    assert "closed" in error.value.field_errors["month"][0]
    assert not Forecast.objects.exists()


def test_a_batch_with_one_bad_entry_saves_nothing(sales_rep, month):
    good, inactive = ProductFactory(), ProductFactory(active=False)
    entries = [
        services.ForecastEntry(product_id=good.pk, month=month, quantity=D("5")),
        services.ForecastEntry(product_id=inactive.pk, month=month, quantity=D("5")),
    ]

    with pytest.raises(ValidationFailed) as error:
        services.forecast_save_many(source=Source.SALES, entries=entries, actor=sales_rep)

    assert list(error.value.field_errors["entries"]) == ["1"]
    assert not Forecast.objects.exists() and not ForecastVersion.objects.exists()


# --- consensus -------------------------------------------------------------------------------


def test_sales_and_production_far_apart_are_flagged(sales_rep, scheduler, month):
    apart, close = ProductFactory(sku="A-1"), ProductFactory(sku="A-2")
    for product, sales, production in [(apart, "100", "80"), (close, "100", "95")]:
        services.forecast_save(source=Source.SALES, product=product, month=month, quantity=D(sales), actor=sales_rep)
        services.forecast_save(
            source=Source.PRODUCTION, product=product, month=month, quantity=D(production), actor=scheduler
        )

    rows = selectors.consensus_rows(products=[apart, close], month=month)

    # |100 - 80| / 100 = 20% > 10%; |100 - 95| / 100 = 5%
    assert [(r.difference_percent, r.far_apart) for r in rows] == [(D("20.0"), True), (D("5.0"), False)]


def test_the_consensus_needs_a_rationale_and_the_demand_planner(planner, sales_rep, month):
    product = ProductFactory()
    with pytest.raises(ValidationFailed) as error:
        services.consensus_set(product=product, month=month, quantity=D("90"), rationale="  ", actor=planner)
    assert "rationale" in error.value.field_errors
    with pytest.raises(ActionNotPermitted):
        services.consensus_set(product=product, month=month, quantity=D("90"), rationale="why", actor=sales_rep)
    assert not Consensus.objects.exists() and not PlanningEvent.objects.exists()


def test_sign_off_is_recorded_and_a_change_clears_it(planner, scheduler, month):
    product = ProductFactory()
    services.consensus_set(product=product, month=month, quantity=D("90"), rationale="Between both", actor=planner)

    assert services.consensus_sign_off(month=month, product_ids=[product.pk], actor=scheduler) == 1
    consensus = Consensus.objects.get()
    assert consensus.signed_off_by == scheduler and consensus.signed_off_at is not None

    # Same figure, new words: production signed off a number, so the sign-off stays.
    services.consensus_set(product=product, month=month, quantity=D("90"), rationale="Confirmed", actor=planner)
    assert Consensus.objects.get().signed_off

    services.consensus_set(product=product, month=month, quantity=D("110"), rationale="Big order", actor=planner)
    consensus = Consensus.objects.get()
    assert not consensus.signed_off and consensus.signed_off_by is None and consensus.rationale == "Big order"

    events = list(
        PlanningEvent.objects.order_by("id").values_list("kind", "actor", "role", "quantity", "previous_quantity")
    )
    assert events == [
        ("consensus_set", planner.pk, Role.DEMAND_PLANNER, D("90"), None),
        ("consensus_signed_off", scheduler.pk, Role.SCHEDULER, D("90"), None),
        ("consensus_set", planner.pk, Role.DEMAND_PLANNER, D("90"), D("90")),
        ("consensus_set", planner.pk, Role.DEMAND_PLANNER, D("110"), D("90")),
        ("sign_off_cleared", planner.pk, Role.DEMAND_PLANNER, D("110"), D("90")),
    ]


def test_signing_off_a_page_skips_what_has_no_consensus_or_is_signed(planner, scheduler, month):
    a, b, c = ProductFactory(), ProductFactory(), ProductFactory()
    for product in (a, b):
        services.consensus_set(product=product, month=month, quantity=D("10"), rationale="ok", actor=planner)
    services.consensus_sign_off(month=month, product_ids=[a.pk], actor=scheduler)

    assert services.consensus_sign_off(month=month, product_ids=[a.pk, b.pk, c.pk], actor=scheduler) == 1
    assert PlanningEvent.objects.filter(kind=PlanningEvent.Kind.CONSENSUS_SIGNED_OFF).count() == 2
    with pytest.raises(ValidationFailed):
        services.consensus_sign_off(month=month, product_ids=[a.pk, b.pk, c.pk], actor=scheduler)
    with pytest.raises(ActionNotPermitted):
        services.consensus_sign_off(month=month, product_ids=[a.pk], actor=planner)


# --- forecast accuracy -----------------------------------------------------------------------

ON = date(2026, 5, 15)  # window: 2025-05 .. 2026-04


def _order_line(product, quantity, created_at, status=OrderStatus.ENTERED):
    order = OrderFactory(status=status, created_at=created_at)
    OrderLineFactory(order=order, line_no=1, product=product, quantity_ordered=D(quantity))


@pytest.fixture
def accuracy_data():
    a, b = ProductFactory(sku="ACC-A"), ProductFactory(sku="ACC-B")
    march, april = date(2026, 3, 1), date(2026, 4, 1)
    for source, product, month, quantity in [
        (Source.SALES, a, march, "100"),
        (Source.SALES, a, april, "100"),
        (Source.SALES, b, april, "50"),
        (Source.PRODUCTION, a, march, "90"),
        (Source.PRODUCTION, a, april, "80"),
        (Source.SALES, a, date(2026, 5, 1), "1000"),  # current month: not complete, left out
    ]:
        ForecastFactory(source=source, product=product, month=month, quantity=D(quantity))
    # A ordered 50 + 30 = 80 in March and 120 in April (the second at midnight, 1 April UTC)
    _order_line(a, "50", datetime(2026, 3, 2, 9, tzinfo=UTC))
    _order_line(a, "30", datetime(2026, 3, 31, 23, 59, tzinfo=UTC))
    _order_line(a, "120", datetime(2026, 4, 1, 0, 0, tzinfo=UTC))
    # not demand, or outside the window: none of these count
    _order_line(a, "500", datetime(2026, 4, 10, tzinfo=UTC), status=OrderStatus.CANCELLED)
    _order_line(a, "700", datetime(2026, 4, 11, tzinfo=UTC), status=OrderStatus.REJECTED)
    _order_line(a, "999", datetime(2026, 5, 2, tzinfo=UTC))
    _order_line(a, "999", datetime(2025, 4, 30, tzinfo=UTC))
    return a, b


def test_accuracy_per_source_on_known_data(accuracy_data, django_assert_num_queries):
    # sales:      A Mar 100 vs 80 (|20|), A Apr 100 vs 120 (|20|), B Apr 50 vs 0 (|50|)
    #             Σf = 250, Σa = 200, Σ|e| = 90 -> bias +25%, WAPE 45%
    # production: A Mar 90 vs 80 (|10|), A Apr 80 vs 120 (|40|)
    #             Σf = 170, Σa = 200, Σ|e| = 50 -> bias -15%, WAPE 25%
    with django_assert_num_queries(1):
        sales = selectors.forecast_accuracy(source=Source.SALES, on=ON)
    production = selectors.forecast_accuracy(source=Source.PRODUCTION, on=ON)

    assert (sales.forecast, sales.actual, sales.abs_error, sales.cells) == (D("250"), D("200"), D("90"), 3)
    assert (sales.bias_percent, sales.wape_percent) == (D("25.0"), D("45.0"))
    assert sales.wording == "sales over-forecast by 25%"
    assert (production.forecast, production.actual, production.abs_error) == (D("170"), D("200"), D("50"))
    assert (production.bias_percent, production.wape_percent) == (D("-15.0"), D("25.0"))
    assert production.wording == "production under-forecast by 15%"


def test_accuracy_per_product_and_month(accuracy_data):
    a, b = accuracy_data

    rows = list(selectors.forecast_accuracy_by_product(source=Source.SALES, on=ON))
    by_month = selectors.forecast_accuracy_by_month(source=Source.SALES, on=ON)

    # worst miss first: B (|50|) then A (|20| + |20| = 40, but Σf = Σa = 200: no bias)
    assert [(r["product__sku"], r["forecast_total"], r["actual_total"], r["abs_error_total"]) for r in rows] == [
        ("ACC-B", D("50"), D("0"), D("50")),
        ("ACC-A", D("200"), D("200"), D("40")),
    ]
    b_acc, a_acc = (selectors.accuracy_from_row(Source.SALES, r) for r in rows)
    assert b_acc.bias_percent is None and "where nothing was ordered" in b_acc.wording
    assert (
        a_acc.bias_percent == D("0.0")
        and a_acc.wape_percent == D("20.0")
        and a_acc.wording == "sales forecast on target"
    )
    # March: 100 vs 80 -> +25%; April: 150 vs 120, Σ|e| 70 -> +25%, WAPE 58.3%
    assert [(m, acc.forecast, acc.actual, acc.bias_percent, acc.wape_percent) for m, acc in by_month] == [
        (date(2026, 3, 1), D("100"), D("80"), D("25.0"), D("25.0")),
        (date(2026, 4, 1), D("150"), D("120"), D("25.0"), D("58.3")),
    ]


def test_accuracy_with_no_forecasts_says_so():
    accuracy = selectors.forecast_accuracy(source=Source.PRODUCTION, on=ON)
    assert accuracy.cells == 0 and accuracy.bias_percent is None and "no forecasts" in accuracy.wording


# --- capacity plan ---------------------------------------------------------------------------


def test_capacity_per_iso_week_from_the_consensus():
    # March 2026 has 22 weekdays (2-6, 9-13, 16-20, 23-27, 30-31).
    press = WorkCenterFactory(code="PRESS", hours_per_day=D("8"), days_per_week=5)  # 40 h a week
    paint = WorkCenterFactory(code="PAINT", hours_per_day=D("8"), days_per_week=5)
    product, idle = ProductFactory(), ProductFactory()
    RoutingStepFactory(product=product, sequence=10, work_center=press, hours_per_unit=D("0.5"), setup_hours=D("2"))
    RoutingStepFactory(product=product, sequence=20, work_center=paint, hours_per_unit=D("0.25"))
    RoutingStepFactory(product=idle, sequence=10, work_center=press, hours_per_unit=D("1"), setup_hours=D("5"))
    ConsensusFactory(product=product, month=date(2026, 3, 1), quantity=D("436"))
    ConsensusFactory(product=idle, month=date(2026, 3, 1), quantity=D("0"))  # no units, no set-up

    rows = selectors.capacity_plan(work_centers=[press, paint], start=date(2026, 2, 23), weeks=6)

    # PRESS: 436 × 0.5 + 2 set-up = 220 h over 22 days = 10 h a day -> 50 h in a full week > 40
    # PAINT: 436 × 0.25 = 109 h / 22 days × 5 = 24.77 h a full week
    press_row, paint_row = rows
    assert [(w.monday, w.load, w.available, w.overloaded) for w in press_row.weeks] == [
        (date(2026, 2, 23), D("0.00"), D("40.00"), False),  # 1 March is a Sunday
        (date(2026, 3, 2), D("50.00"), D("40.00"), True),
        (date(2026, 3, 9), D("50.00"), D("40.00"), True),
        (date(2026, 3, 16), D("50.00"), D("40.00"), True),
        (date(2026, 3, 23), D("50.00"), D("40.00"), True),
        (date(2026, 3, 30), D("20.00"), D("40.00"), False),  # 30 and 31 March; April has no consensus
    ]
    assert press_row.overloaded_weeks == 4 and press_row.weeks[1].utilization_percent == D("125")
    assert [w.load for w in paint_row.weeks] == [D("0.00"), *[D("24.77")] * 4, D("9.91")]
    assert paint_row.overloaded_weeks == 0


def test_a_six_day_work_center_spreads_over_saturdays_too():
    # March 2026, Monday to Saturday: 31 days less 5 Sundays = 26 working days.
    wc = WorkCenterFactory(hours_per_day=D("10"), days_per_week=6)  # 60 h a week
    product = ProductFactory()
    RoutingStepFactory(product=product, work_center=wc, hours_per_unit=D("1"))
    ConsensusFactory(product=product, month=date(2026, 3, 1), quantity=D("260"))  # 10 h a working day

    (row,) = selectors.capacity_plan(work_centers=[wc], start=date(2026, 3, 2), weeks=1)

    assert (row.weeks[0].load, row.weeks[0].available, row.weeks[0].overloaded) == (D("60.00"), D("60.00"), False)


# --- CSV -------------------------------------------------------------------------------------


def test_csv_import_reads_every_row_and_reports_every_problem(month):
    ProductFactory(sku="GOOD-1")
    ProductFactory(sku="OLD-1", active=False)
    label = f"{month:%Y-%m}"
    closed = f"{month_add(month, -1):%Y-%m}"
    data = (
        "sku,month,quantity\n"
        f"GOOD-1,{label},10\n"
        f"NOPE-9,{label},10\n"
        "GOOD-1,2026/01,10\n"
        f"GOOD-1,{label},-3\n"
        f"GOOD-1,{label},ten\n"
        f"OLD-1,{label},1\n"
        f"GOOD-1,{closed},1\n"
    ).encode()

    result = forecast_csv_read(data)

    assert result.rows_read == 7 and result.entries == []
    assert [(line, sku, message.split(":")[0]) for line, sku, message in result.errors] == [
        (3, "NOPE-9", "Unknown SKU “NOPE-9”."),
        (4, "GOOD-1", "Bad month “2026/01”"),
        (5, "GOOD-1", "A quantity cannot be negative."),
        (6, "GOOD-1", "“ten” is not a number."),
        (7, "OLD-1", "Unknown SKU “OLD-1”."),
        (8, "GOOD-1", f"{closed} is closed"),
    ]


def test_csv_export_writes_what_the_import_reads(sales_rep, month):
    a, b = ProductFactory(sku="EXP-A"), ProductFactory(sku="EXP-B")
    services.forecast_save(source=Source.SALES, product=b, month=month, quantity=D("7.5"), actor=sales_rep)
    services.forecast_save(source=Source.SALES, product=a, month=month, quantity=D("1200"), actor=sales_rep)
    rows = selectors.forecast_export_rows(
        source=Source.SALES, products=selectors.product_list(), months=[month, month_add(month, 1)]
    )

    text = "".join(forecast_csv_lines(rows))

    assert text == f"sku,month,quantity\r\nEXP-A,{month:%Y-%m},1200\r\nEXP-B,{month:%Y-%m},7.5\r\n"
    assert forecast_csv_read(text.encode()).errors == []
