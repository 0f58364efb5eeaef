"""The waits' daily histograms (orders.KpiWaitDay): the count and mean read off them are the
exact ones and the median and 90th percentile are within the stated precision of
percentile_cont over every interval (0.25 h + 5 %); a period takes the intervals that ended in
it, edges included; today is read live, past days after a refresh."""

import math
import random
from datetime import datetime, time, timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from omc import kpis
from orders import services, tasks
from orders import waits as wait_rollups
from orders.models import Customer, Handoff, KpiWaitDay, OrderEvent
from orders.roles import Department
from orders.states import OrderStatus, Step

from .factories import CustomerFactory, OrderFactory, SiteFactory, UserFactory

pytestmark = pytest.mark.django_db
S = OrderStatus
D = Department
PATH = [S.DRAFT, S.ENTERED, S.ACCEPTED, S.SCHEDULED, S.READY_TO_SHIP, S.SHIPPED, S.DELIVERED, S.INVOICED, S.PAID]
PAIRS = [(D.SALES, D.MANAGEMENT), (D.MANAGEMENT, D.OPERATIONS), (D.OPERATIONS, D.LOGISTICS)]


@pytest.fixture(autouse=True)
def fresh_cache():
    cache.clear()
    yield
    cache.clear()


def _moment(day, hour=0, minute=0):
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def _percentile_cont(values: list[float], p: float) -> float:
    values = sorted(values)
    position = p * (len(values) - 1)
    below = math.floor(position)
    above = min(below + 1, len(values) - 1)
    return values[below] + (position - below) * (values[above] - values[below])


def _close_enough(got, exact) -> bool:
    """The stated precision (0.25 h + 5 % of the value), plus the display's rounding to 0.1 h
    on both sides."""
    return abs(float(got) - float(exact)) <= 0.25 + 0.05 * float(exact) + 0.1 + 1e-9


# --- the buckets ----------------------------------------------------------------------------------


def test_histogram_percentiles_are_within_the_precision_of_the_exact_ones():
    rng = random.Random(5)
    for _ in range(300):
        n = rng.randint(1, 300)
        centre, spread = rng.uniform(-1, 6), rng.uniform(0.05, 1.5)
        values = [rng.lognormvariate(centre, spread) for _ in range(n)]
        values += [values[0]] * rng.randint(0, 5) + [0.0] * rng.randint(0, 2)  # ties and zeros
        histogram = wait_rollups.Histogram()
        for value in values:
            histogram.add(wait_rollups.bucket_of(value), 1, value)
        assert histogram.count == len(values)
        assert math.isclose(histogram.mean, sum(values) / len(values), rel_tol=1e-9)
        for p in (0.0, 0.5, 0.9, 1.0):
            exact, got = _percentile_cont(values, p), histogram.percentile(p)
            assert abs(got - exact) <= 0.25 + 0.05 * exact + 1e-9, (p, exact, got)
    assert wait_rollups.Histogram().percentile(0.5) is None


def test_a_bucket_of_one_interval_gives_its_exact_value():
    histogram = wait_rollups.Histogram()
    for value in (12.0, 24.0):
        histogram.add(wait_rollups.bucket_of(value), 1, value)
    assert (histogram.percentile(0.5), round(histogram.percentile(0.9), 6)) == (18.0, 22.8)


def test_the_database_buckets_hours_as_python_does():
    values = [0.0, 0.1, 0.25, 4.99, 5.0, 5.26, 24.0, 100.0, 5 * 1.05**40.5, 1e7, -1.0]  # off the 5 % edges (ulps)
    rows = " UNION ALL ".join(f"SELECT {n} AS n, %s::float8 AS hours" for n in range(len(values)))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT n, {wait_rollups.bucket_sql('hours')} FROM ({rows}) AS v", values)
        got = dict(cursor.fetchall())
    for n, value in enumerate(values):
        bucket = wait_rollups.bucket_of(value)
        assert got[n] == bucket, value
        low, high = wait_rollups.edges(bucket)
        assert low <= max(value, 0) < high or math.isclose(value, high) or bucket == 0


# --- the dashboard: histograms against the exact figures --------------------------------------------


def _varied(n: int, *, seed: int) -> dict:
    """n orders over the last 400 days and the next 2, on three sites (and none) and every tier,
    each moving along the path with waits from minutes to weeks (some equal), with closed
    order-flow hand-offs between three department pairs and a few open ones."""
    rng = random.Random(seed)
    today = timezone.localdate()
    sites = [SiteFactory() for _ in range(3)] + [None]
    rep = UserFactory()
    customers = [CustomerFactory(tier=tier, sales_rep=rep if k % 2 else None) for k, tier in enumerate(Customer.Tier)]
    for _ in range(n):
        at = _moment(today - timedelta(days=rng.randint(-2, 400)), rng.randint(0, 23), rng.choice([0, 15, 30]))
        order = OrderFactory(status=S.PAID, customer=rng.choice(customers), site=rng.choice(sites), created_at=at)
        for status in PATH[: rng.randint(1, len(PATH))]:
            OrderEvent.objects.create(order=order, action="t", to_status=status, created_at=at)
            at += timedelta(hours=rng.choice([0.5, 2, 24, rng.uniform(0, 6), rng.uniform(1, 400)]))
        for n, (a, b) in enumerate(rng.sample(PAIRS, rng.randint(0, 3))):
            opened = at - timedelta(hours=rng.uniform(1, 900))
            closed = (
                None
                if n == 0 and rng.random() < 0.2
                else opened + timedelta(hours=rng.choice([3, rng.uniform(0, 200)]))
            )
            Handoff.objects.create(
                order=order,
                kind=Handoff.ORDER_FLOW if n < 2 else "rma:1",  # at most one open per order and kind
                from_department=a,
                to_department=b,
                status=S.ENTERED,
                step=Step.SELECTION,
                opened_at=opened,
                due_at=opened + timedelta(hours=24),
                escalate_at=opened + timedelta(hours=24),
                closed_at=closed,
            )
    services.order_facts_backfill()  # events' ended_at, facts and every rollup
    return {"sites": sites, "rep": rep, "today": today}


def _both(settings, f) -> tuple[list, list]:
    settings.OMC_KPI_ROLLUPS = False
    exact = kpis.waits_per_step(f) + kpis.waits_per_handoff(f)
    settings.OMC_KPI_ROLLUPS = True
    return exact, kpis.waits_per_step(f) + kpis.waits_per_handoff(f)


def test_waits_from_the_histograms_agree_with_the_exact_figures(settings):
    data = _varied(150, seed=3)
    today, site = data["today"], data["sites"][1]
    assert KpiWaitDay.objects.filter(grouping=wait_rollups.ALL).exists()
    periods = [
        kpis.filters_build(period="30"),
        kpis.filters_build(period="90"),
        kpis.filters_build(period="365"),
        kpis.filters_build(period="90", site_id=site.pk),
        kpis.filters_build(period="365", tier=Customer.Tier.KEY),
        kpis.filters_build(period="365", site_id=site.pk, tier=Customer.Tier.STRATEGIC),
        kpis.filters_build(start=today - timedelta(days=45), end=today + timedelta(days=3)),
        kpis.filters_build(start=today - timedelta(days=300), end=today - timedelta(days=200)),
        kpis.filters_build(start=today - timedelta(days=17), end=today - timedelta(days=17)),
        kpis.filters_build(period="90", now=timezone.now() - timedelta(days=60)),
    ]
    compared = 0
    for f in periods:
        exact, rolled = _both(settings, f)
        assert [(w.key, w.label, w.count) for w in rolled] == [(w.key, w.label, w.count) for w in exact], f
        for want, got in zip(exact, rolled, strict=True):
            assert abs(got.mean_hours - want.mean_hours) <= 0.1, (f, want, got)
            assert _close_enough(got.median_hours, want.median_hours), (f, want, got)
            assert _close_enough(got.p90_hours, want.p90_hours), (f, want, got)
            compared += 1
    assert compared > 60
    # an empty period: nothing either way
    empty = kpis.filters_build(start=today - timedelta(days=3000), end=today - timedelta(days=2900))
    assert _both(settings, empty) == ([], [])
    # a sales rep filter is not a rollup dimension: the exact figures
    f = kpis.filters_build(period="365", sales_rep_id=data["rep"].pk)
    settings.OMC_KPI_ROLLUPS = False
    exact = kpis.waits_per_step(f)
    settings.OMC_KPI_ROLLUPS = True
    assert kpis.waits_per_step(f) == exact


def test_a_period_takes_the_intervals_that_ended_in_it_edges_included(settings):
    today = timezone.localdate()
    first, last = today - timedelta(days=20), today - timedelta(days=10)
    a, b = OrderFactory(status=S.SCHEDULED), OrderFactory(status=S.ENTERED)
    # A: drafted the evening before the period, entered at its first midnight (12 h: counted),
    # accepted at the midnight after its last day (not counted: ended after the period).
    OrderEvent.objects.create(
        order=a, action="t", to_status=S.DRAFT, created_at=_moment(first, 0) - timedelta(hours=12)
    )
    OrderEvent.objects.create(order=a, action="t", to_status=S.ENTERED, created_at=_moment(first, 0))
    OrderEvent.objects.create(order=a, action="t", to_status=S.ACCEPTED, created_at=_moment(last + timedelta(days=1)))
    # B: drafted and entered 6 h later on the last day (counted); still entered (open: not counted).
    OrderEvent.objects.create(order=b, action="t", to_status=S.DRAFT, created_at=_moment(last, 17, 59))
    OrderEvent.objects.create(order=b, action="t", to_status=S.ENTERED, created_at=_moment(last, 23, 59))
    for order, opened, closed in (
        (a, _moment(first) - timedelta(days=3), _moment(first)),  # opened before, closed at the start: counted
        (b, _moment(last, 20), _moment(last, 23, 59)),  # counted: 3 h 59 min
        (b, _moment(last, 12), _moment(last + timedelta(days=1))),  # closed at the midnight after: not counted
    ):
        Handoff.objects.create(
            order=order,
            from_department=D.SALES,
            to_department=D.MANAGEMENT,
            status=S.ENTERED,
            step=Step.SELECTION,
            opened_at=opened,
            due_at=closed,
            escalate_at=closed,
            closed_at=closed,
        )
    services.order_facts_backfill()
    f = kpis.filters_build(start=first, end=last)
    for exact_or_rolled in _both(settings, f):
        steps = {w.key: w for w in exact_or_rolled}
        assert set(steps) == {Step.GENERATION, "sales>management"}
        generation = steps[Step.GENERATION]
        assert (generation.count, generation.mean_hours, generation.median_hours) == (2, 9, 9)
        assert str(generation.p90_hours) == "11.4"
        handoff = steps["sales>management"]
        assert (handoff.count, str(handoff.mean_hours)) == (2, "38.0")  # (72 + 3.98) / 2
    # the day after: only A's selection interval (ended at its midnight) and the late hand-off
    f = kpis.filters_build(start=last + timedelta(days=1), end=last + timedelta(days=1))
    for exact_or_rolled in _both(settings, f):
        assert [(w.key, w.count) for w in exact_or_rolled] == [(Step.SELECTION, 1), ("sales>management", 1)]


def test_today_is_live_and_past_days_show_after_a_refresh(settings):
    today = timezone.localdate()
    order = OrderFactory(status=S.ENTERED)
    OrderEvent.objects.create(order=order, action="t", to_status=S.DRAFT, created_at=_moment(today - timedelta(days=3)))
    OrderEvent.objects.create(
        order=order, action="t", to_status=S.ENTERED, created_at=_moment(today - timedelta(days=2))
    )
    services.order_facts_backfill()
    f = kpis.filters_build(period="30")
    assert [(w.key, w.count) for w in kpis.waits_per_step(f)] == [(Step.GENERATION, 1)]
    # a move today (order_transition ends the current event): read live, at once
    OrderEvent.objects.filter(order=order, ended_at__isnull=True).update(ended_at=_moment(today))
    assert [(w.key, w.count, w.median_hours) for w in kpis.waits_per_step(f)] == [
        (Step.GENERATION, 1, 24),
        (Step.SELECTION, 1, 48),
    ]
    # an interval on a past day written behind the rollups' back (a bulk load): after a refresh
    other = OrderFactory(status=S.ENTERED)
    OrderEvent.objects.create(order=other, action="t", to_status=S.DRAFT, created_at=_moment(today - timedelta(days=5)))
    OrderEvent.objects.create(
        order=other, action="t", to_status=S.ENTERED, created_at=_moment(today - timedelta(days=4))
    )
    OrderEvent.objects.filter(order=other, to_status=S.DRAFT).update(ended_at=_moment(today - timedelta(days=4)))
    assert kpis.waits_per_step(f)[0].count == 1
    tasks.kpi_days_refresh()  # the beat's frequent run: the histograms of yesterday and today only
    assert kpis.waits_per_step(f)[0].count == 1
    services.kpi_days_refresh(since=today - timedelta(days=35))
    assert kpis.waits_per_step(f)[0].count == 2
    KpiWaitDay.objects.all().delete()
    tasks.kpi_days_refresh(full=True)  # the nightly run: every day
    assert kpis.waits_per_step(f)[0].count == 2


def test_a_partial_refresh_agrees_with_a_full_one_and_queries_do_not_grow(settings):
    def rows():
        fields = ["grouping", "day", "site_id", "tier", "kind", "key", "bucket", "n", "hours"]
        return list(KpiWaitDay.objects.order_by(*fields).values_list(*fields))

    def queries(f):
        with CaptureQueriesContext(connection) as captured:
            kpis.waits_per_step(f)
            kpis.waits_per_handoff(f)
        return len(captured.captured_queries)

    f = kpis.filters_build(period="365")
    data = _varied(5, seed=1)
    few = queries(f)
    _varied(40, seed=2)
    assert queries(f) == few == 4  # per kind: one histogram read, one read of today's intervals
    full = rows()
    services.kpi_days_refresh(since=data["today"] - timedelta(days=35))
    assert rows() == full
