"""The dashboard's daily rollups (orders.KpiDay): the figures they give are exactly the figures
the per-order facts give, on a varied data set and every kind of period; a refresh is
idempotent; the beat keeps them current; the query count does not grow with the data."""

import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import Sum
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from billing.models import Invoice
from fulfillment.models import Shipment
from omc import kpis
from orders import services, tasks
from orders.models import Customer, Handoff, KpiDay, OrderEvent
from orders.roles import Department
from orders.states import OrderStatus, Step
from pricing.models import CostEstimate

from .factories import CustomerFactory, OrderFactory, OrderLineFactory, SiteFactory, UserFactory

pytestmark = pytest.mark.django_db
S = OrderStatus
D = Decimal
ROLLED = [
    "fill_rate",
    "on_time_delivery",
    "billing_accuracy",
    "cycle_to_delivery",
    "cycle_to_cash",
    "return_rate",
    "margin_per_order",
    "past_due_now",
    "dso",
]
KPI_DAY_FIELDS = [f.attname for f in KpiDay._meta.concrete_fields if f.attname != "id"]


@pytest.fixture(autouse=True)
def fresh_cache():
    cache.clear()
    yield
    cache.clear()


def _moment(day, hour=0, minute=0):
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def _varied(n: int, *, seed: int = 7) -> dict:
    """n orders spread over the last 400 days and the next 10, on three sites and every tier:
    some promised in the past and shipped short or late, delivered, paid, costed, returned;
    a few of them today (read live from the facts) and a few cancelled."""
    rng = random.Random(seed)
    today = timezone.localdate()
    sites = [SiteFactory() for _ in range(3)] + [None]
    rep = UserFactory()
    customers = [CustomerFactory(tier=tier, sales_rep=rep if k % 2 else None) for k, tier in enumerate(Customer.Tier)]
    number = 0
    for k in range(n):
        created = today - timedelta(days=rng.randint(-2, 400))
        entered = _moment(created, rng.randint(0, 23), rng.choice([0, 15, 30]))
        status = rng.choice([S.DELIVERED, S.PAID, S.SHIPPED, S.ENTERED, S.CANCELLED])
        order = OrderFactory(
            status=status,
            customer=rng.choice(customers),
            site=rng.choice(sites),
            created_at=entered,
            promised_date=created + timedelta(days=rng.randint(1, 30)) if k % 9 else None,
        )
        shipped = rng.choice(["10", "10", "10", "7"]) if status != S.ENTERED else "0"
        OrderLineFactory(
            order=order,
            quantity_ordered=D("10"),
            quantity_shipped=D(shipped),
            quantity_returned=D(rng.choice(["0", "0", "1", "2.5"])) if shipped != "0" else D("0"),
            unit_price=D(rng.choice(["10.00", "99.99", "250.00"])),
        )
        OrderEvent.objects.create(order=order, action="t", to_status=S.ENTERED, created_at=entered)
        if shipped != "0":
            left = entered + timedelta(hours=rng.randint(5, 24 * 40))
            number += 1
            delivered = left + timedelta(hours=rng.randint(1, 100), minutes=rng.randint(0, 59))
            done = status in (S.DELIVERED, S.PAID)
            Shipment.objects.create(
                number=f"SH-R-{seed}-{number}",
                order=order,
                site=SiteFactory(),
                status="delivered" if done else "shipped",
                created_at=left,
                shipped_at=left,
                delivered_at=delivered if done else None,
            )
            issued = timezone.localdate(left)
            paid = None
            if status == S.PAID:
                paid = delivered + timedelta(hours=rng.randint(24, 24 * 60), seconds=rng.randint(0, 59))
            credit = rng.choice([Invoice.Status.POSTED, Invoice.Status.DRAFT]) if k % 5 == 0 else None
            invoice = Invoice.objects.create(
                order=order,
                customer=order.customer,
                currency="EUR",
                total=D("100"),
                issue_date=issued,
                due_date=issued,
                status=rng.choice([Invoice.Status.POSTED, Invoice.Status.POSTED, Invoice.Status.DRAFT]),
                number=f"INV-R-{seed}-{number}",
                created_at=left,
                disputed_at=left if k % 7 == 0 else None,
                amount_credited=D("10") if credit == Invoice.Status.POSTED else D("0"),
                paid_at=paid,
            )
            if credit:
                Invoice.objects.create(
                    order=order,
                    customer=order.customer,
                    currency="EUR",
                    total=D("-10"),
                    issue_date=issued,
                    due_date=issued,
                    kind=Invoice.Kind.CREDIT_NOTE,
                    corrects=invoice,
                    status=credit,
                    number=f"CN-R-{seed}-{number}",
                    created_at=left,
                )
            if done:
                OrderEvent.objects.create(order=order, action="t", to_status=S.DELIVERED, created_at=delivered)
                if paid:
                    OrderEvent.objects.create(order=order, action="t", to_status=S.PAID, created_at=paid)
        if k % 2:
            # a hand-off: closed in time, closed late or still open (past due or not yet due)
            due = entered + timedelta(hours=rng.randint(1, 72))
            closed = rng.choice([due - timedelta(hours=1), due + timedelta(hours=rng.randint(1, 90)), None])
            Handoff.objects.create(
                order=order,
                from_department=Department.SALES,
                to_department=Department.MANAGEMENT,
                status=S.ENTERED,
                step=Step.SELECTION,
                opened_at=entered,
                due_at=due,
                escalate_at=due,
                closed_at=closed,
            )
        if k % 3:
            margin = D(rng.randint(-50, 400)) + D(rng.randint(0, 99)) / 100
            CostEstimate.objects.create(
                order=order,
                material=0,
                labour=0,
                setup=0,
                freight=0,
                total_cost=D("1000") - margin,
                revenue=D("1000"),
                margin=margin,
                computed_at=entered,
            )
    services.order_facts_backfill()
    return {"sites": sites, "rep": rep, "today": today}


def _figures(f) -> dict:
    return {key: kpis.KPI_BY_KEY[key].compute(f) for key in ROLLED}


def _both(f) -> tuple[dict, dict]:
    settings.OMC_KPI_ROLLUPS = False
    facts = _figures(f)
    settings.OMC_KPI_ROLLUPS = True
    rolled = _figures(f)
    return facts, rolled


def test_rollups_give_exactly_the_fact_figures_on_a_varied_data_set(settings):
    data = _varied(160)
    today, site = data["today"], data["sites"][1]
    assert KpiDay.objects.exists()
    periods = [
        kpis.filters_build(period="30"),
        kpis.filters_build(period="90"),
        kpis.filters_build(period="365"),
        kpis.filters_build(period="90", site_id=site.pk),
        kpis.filters_build(period="365", tier=Customer.Tier.KEY),
        kpis.filters_build(period="180", site_id=site.pk, tier=Customer.Tier.STRATEGIC),
        # custom: across today (rollups and today's facts), a past stretch, a single day, empty
        kpis.filters_build(start=today - timedelta(days=45), end=today + timedelta(days=3)),
        kpis.filters_build(start=today - timedelta(days=300), end=today - timedelta(days=200)),
        kpis.filters_build(start=today - timedelta(days=17), end=today - timedelta(days=17)),
        kpis.filters_build(start=today - timedelta(days=3000), end=today - timedelta(days=2900)),
        # judged on an earlier day: the rollups then hold days after "today" too
        kpis.filters_build(period="90", now=timezone.now() - timedelta(days=60)),
    ]
    for f in periods:
        facts, rolled = _both(f)
        for key in ROLLED:
            expected, got = facts[key], rolled[key]
            assert (got.value, got.detail, got.trend) == (expected.value, expected.detail, expected.trend), (key, f)
    # the data set is not trivial: every rolled-up KPI has a value over the year
    year = _figures(kpis.filters_build(period="365"))
    assert all(year[key].value is not None for key in ROLLED)
    assert sum(value or 0 for _, value in year["past_due_now"].trend) > 0
    empty = _figures(periods[-2])
    assert all(empty[key].value is None for key in ROLLED if key != "past_due_now")
    assert empty["fill_rate"].detail == "0 of 0 orders complete on time"


def test_rollups_are_read_for_past_days_until_refreshed_and_today_is_live(settings):
    today = timezone.localdate()
    order = OrderFactory(status=S.DELIVERED, promised_date=today - timedelta(days=5), created_at=timezone.now())
    OrderLineFactory(order=order, quantity_ordered=D("2"), quantity_shipped=D("2"))
    OrderEvent.objects.create(order=order, action="t", to_status=S.ENTERED, created_at=_moment(today, 0))
    OrderEvent.objects.create(order=order, action="t", to_status=S.DELIVERED, created_at=_moment(today, 0, 30))
    services.order_facts_backfill()
    f = kpis.filters_build(period="30")
    assert kpis.fill_rate(f).detail == "1 of 1 orders complete on time"
    # delivered today: read from the facts, so a change shows at once
    assert kpis.cycle_to_delivery(f).detail == "average over 1 orders delivered in the period"

    # a line found short after the fact (a past promise): the rollup shows it after its refresh
    order.lines.update(quantity_shipped=D("1"))
    services.order_facts_refresh(order_ids=[order.pk])
    assert kpis.fill_rate(f).detail == "1 of 1 orders complete on time"
    tasks.kpi_days_refresh()  # what the beat runs every few minutes: the recent days
    assert kpis.fill_rate(f).detail == "0 of 1 orders complete on time"

    # a filter on the sales rep is not a rollup dimension: the facts are read, exact at once
    rep = UserFactory()
    Customer.objects.filter(pk=order.customer_id).update(sales_rep=rep)
    order.lines.update(quantity_shipped=D("2"))
    services.order_facts_refresh(order_ids=[order.pk])
    assert kpis.fill_rate(kpis.filters_build(period="30", sales_rep_id=rep.pk)).value == D("100.0")


def _rows() -> list[dict]:
    return list(KpiDay.objects.order_by("day", "site_id", "tier").values(*KPI_DAY_FIELDS))


def test_a_refresh_is_idempotent_and_a_partial_one_agrees_with_a_full_one():
    data = _varied(60, seed=11)
    full = _rows()
    assert full
    services.kpi_days_refresh()
    assert _rows() == full
    since = data["today"] - timedelta(days=35)
    services.kpi_days_refresh(since=since)
    services.kpi_days_refresh(since=since)
    assert _rows() == full
    # rows of days before `since` are left alone, later ones rebuilt from the facts
    KpiDay.objects.filter(day__gte=since).delete()
    services.kpi_days_refresh(since=since)
    assert _rows() == full
    assert tasks.kpi_days_refresh(full=True) == len(full)
    assert _rows() == full


def test_the_beat_rebuilds_the_recent_days_often_and_every_day_daily():
    entries = [e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == "orders.tasks.kpi_days_refresh"]
    assert sorted(float(e["schedule"]) for e in entries) == [300.0, 86400.0]
    assert [e.get("kwargs") for e in entries if float(e["schedule"]) == 86400.0] == [{"full": True}]
    assert services.kpi_days_recent_since() == timezone.localdate() - timedelta(days=settings.OMC_KPI_ROLLUP_DAYS)


def _figure_queries(f) -> int:
    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        _figures(f)
    return len(queries.captured_queries)


def test_rollup_query_count_does_not_grow_with_the_data():
    f = kpis.filters_build(period="365")
    _varied(5, seed=1)
    few = _figure_queries(f)
    _varied(60, seed=2)
    assert _figure_queries(f) == few
    # one rollup read per KPI, and one fact read for today's part where the window reaches today;
    # past due: two counts for "now" (order-flow hand-offs, other kinds), the complete months' and
    # this month's rollups, and the orders whose first miss of this month is due today
    assert few <= 2 * len(ROLLED) + 3


def test_past_due_this_month_adds_the_rolled_days_and_todays_first_misses(settings):
    """Judged on 2026-06-15 at noon: June's days before the 15th come from the rollups, the
    orders whose first miss of June is due on the 15th or later are read live; "now" counts each
    order once whatever the kinds of its open hand-offs."""
    now = timezone.make_aware(datetime(2026, 6, 15, 12))

    def at(month, day, hour=0):
        return timezone.make_aware(datetime(2026, month, day, hour))

    def handoff(order, due, closed=None, kind=Handoff.ORDER_FLOW):
        Handoff.objects.create(
            order=order,
            kind=kind,
            from_department=Department.SALES,
            to_department=Department.MANAGEMENT,
            status=S.ENTERED,
            step=Step.SELECTION,
            opened_at=due - timedelta(hours=3),
            due_at=due,
            escalate_at=due,
            closed_at=closed,
        )

    o1, o2, o3, o4, o5, o6 = (OrderFactory(status=S.ENTERED) for _ in range(6))
    handoff(o1, at(6, 3), closed=at(6, 4))  # missed on the 3rd (closed late)
    handoff(o1, at(6, 15, 9))  # and again today, open: counted once in June
    handoff(o2, at(6, 15, 10))  # first missed today, open
    handoff(o2, at(6, 14), kind="rma:1")  # and a step app's hand-off missed yesterday, open
    handoff(o3, at(6, 10), kind="rma:2")  # only a step app's hand-off, open past due
    handoff(o4, at(6, 15, 11), closed=at(6, 15, 10))  # closed in time
    handoff(o5, at(6, 20))  # not due yet
    handoff(o6, at(5, 20), closed=at(5, 22))  # May
    services.order_facts_backfill()
    f = kpis.filters_build(period="30", now=now)
    settings.OMC_KPI_ROLLUPS = False
    facts = kpis.past_due_now(f)
    settings.OMC_KPI_ROLLUPS = True
    rolled = kpis.past_due_now(f)
    assert (rolled.value, rolled.trend) == (facts.value, facts.trend)
    assert rolled.value == D("3")  # o1, o2, o3
    trend = dict(rolled.trend)
    assert (trend[date(2026, 6, 1)], trend[date(2026, 5, 1)], trend[date(2026, 4, 1)]) == (D("3"), D("1"), None)
    # the rolled days before the 15th: o1 (3rd), o3 (10th), o2 (14th)
    before = KpiDay.objects.filter(day__gte=date(2026, 6, 1), day__lt=date(2026, 6, 15))
    assert before.aggregate(n=Sum("missed_first"))["n"] == 3


def _dso_invoice(n, customer, site, issued, total, *, paid=None, credited="0", kind=Invoice.Kind.INVOICE, **extra):
    order = OrderFactory(status=S.PAID if paid else S.DELIVERED, customer=customer, site=site) if site else None
    return Invoice.objects.create(
        order=extra.pop("order", order),
        customer=customer,
        currency="EUR",
        kind=kind,
        total=D(total),
        amount_credited=D(credited),
        amount_paid=D(total) - D(credited) if paid else D("0"),
        issue_date=issued,
        due_date=issued + timedelta(days=30),
        paid_at=paid,
        status=extra.pop("status", Invoice.Status.POSTED),
        number=f"DSO-{n}",
        created_at=_moment(issued),
        **extra,
    )


def test_dso_from_the_rollups_is_the_exact_dso(settings):
    """Receivables raised per issue day and collected per day of payment, summed over history,
    give exactly the open receivables of the invoices themselves on every trend month-end: old
    and recent invoices, partly credited ones, one paid before it was issued, one paid late in
    the evening, one without an order (consolidated), drafts; paid today is seen at once."""
    today = timezone.localdate()
    a, b = SiteFactory(), SiteFactory()
    key, standard = CustomerFactory(tier=Customer.Tier.KEY), CustomerFactory(tier=Customer.Tier.STANDARD)
    ago = lambda days: today - timedelta(days=days)  # noqa: E731
    _dso_invoice(1, key, a, ago(400), "1000.00", paid=_moment(ago(380), 10))
    credited = _dso_invoice(2, key, a, ago(200), "500.00", credited="100.00")
    _dso_invoice(3, key, a, ago(200), "-100.00", kind=Invoice.Kind.CREDIT_NOTE, corrects=credited, order=credited.order)
    paid_today = _dso_invoice(4, standard, b, ago(40), "300.00")
    _dso_invoice(5, standard, b, today, "250.00")
    _dso_invoice(6, key, b, ago(10), "120.00", paid=_moment(ago(5), 9))
    _dso_invoice(7, standard, a, ago(3), "80.00", paid=_moment(ago(5), 9))  # paid in advance
    _dso_invoice(8, key, a, ago(60), "75.50", paid=_moment(ago(30), 23, 30))  # late in the evening
    _dso_invoice(9, standard, None, ago(70), "640.00", paid=_moment(ago(2), 12))  # consolidated: no order
    _dso_invoice(10, key, a, ago(20), "999.00", status=Invoice.Status.DRAFT)
    _dso_invoice(11, standard, a, ago(100), "210.00", credited="210.00", paid=_moment(ago(99), 8))
    services.kpi_days_refresh()
    assert KpiDay.objects.aggregate(Sum("receivable_paid"))["receivable_paid__sum"] == D("1000.00") + D("915.50")

    def same(f):
        settings.OMC_KPI_ROLLUPS = False
        exact = kpis.dso(f)
        settings.OMC_KPI_ROLLUPS = True
        rolled = kpis.dso(f)
        assert (rolled.value, rolled.detail, rolled.trend) == (exact.value, exact.detail, exact.trend), f
        return rolled

    periods = [
        kpis.filters_build(period="90"),
        kpis.filters_build(period="365"),
        kpis.filters_build(period="90", site_id=a.pk),
        kpis.filters_build(period="365", site_id=b.pk),
        kpis.filters_build(period="90", tier=Customer.Tier.KEY),
        kpis.filters_build(period="365", site_id=a.pk, tier=Customer.Tier.STANDARD),
        kpis.filters_build(start=ago(150), end=ago(31)),  # custom, in the past
        kpis.filters_build(start=ago(30), end=ago(4)),  # ends after the advance payment, before the issue
        kpis.filters_build(start=ago(30), end=today + timedelta(days=3)),  # custom, across today
        kpis.filters_build(start=ago(3000), end=ago(2900)),  # empty
        kpis.filters_build(period="90", now=timezone.now() - timedelta(days=20)),  # judged earlier
    ]
    for f in periods:
        same(f)
    # open at the end of today: 500 - 100 credited, 300 and 250 (the rest is paid); sales of the
    # last 90 days: 300 + 250 + 120 + 80 + 75.50 + 640 (paid since, but sold in the window)
    assert same(periods[0]).value == (D("950") / D("1465.50") * 90).quantize(D("0.1")) == D("58.3")
    assert same(periods[-2]).value is None
    assert any(value is not None for _, value in same(periods[1]).trend)

    # paid today (after the last refresh): the rolled-up figure shows it at once
    before = same(periods[0]).value
    Invoice.objects.filter(pk=paid_today.pk).update(paid_at=timezone.now(), amount_paid=D("300.00"))
    cache.clear()
    assert same(periods[0]).value == (D("650") / D("1465.50") * 90).quantize(D("0.1")) < before
