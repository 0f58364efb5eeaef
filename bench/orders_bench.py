"""Benchmark of the spine at scale: seeding, list and detail pages, the API and the overdue scan.

    make bench BENCH_ARGS="--orders 100000"

Uses its own PostgreSQL database (omc_bench on the DATABASE_URL server), seeds it once
per size and prints figures; it asserts nothing.
"""

import argparse
import os
import resource
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _bench_database_url() -> str:
    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/omc")
    # BENCH_DATABASE_NAME lets two people bench side by side without reseeding each other's data.
    return base.rsplit("/", 1)[0] + "/" + os.environ.get("BENCH_DATABASE_NAME", "omc_bench")


def _ensure_database(url: str) -> None:
    import psycopg

    server, name = url.rsplit("/", 1)
    with psycopg.connect(server + "/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def _timed(fn, repeat):
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples), max(samples)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=20000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--reseed", action="store_true", help="Drop the data and seed again.")
    parser.add_argument(
        "--dashboard-only",
        action="store_true",
        help="Only the dashboard requests, on the data as it is (never reseeds; for a copied database).",
    )
    args = parser.parse_args()

    url = _bench_database_url()
    _ensure_database(url)
    os.environ.update(
        DATABASE_URL=url,
        DJANGO_SETTINGS_MODULE="omc.settings.local",
        DJANGO_DEBUG="false",
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
    )
    os.environ.pop("REDIS_URL", None)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from orders import services
    from orders.models import Alert, Order

    call_command("migrate", verbosity=0)
    print(f"database: {url}  orders wanted: {args.orders:,}")
    if not args.dashboard_only and (args.reseed or Order.objects.count() != args.orders):
        with connection.cursor() as cursor:
            cursor.execute(
                "TRUNCATE orders_alert, orders_outboxmessage, orders_handoff, orders_orderevent, orders_orderline, "
                "orders_order, orders_customer, orders_product CASCADE"
            )
        started = time.perf_counter()
        result = services_seed(args.orders)
        seconds = time.perf_counter() - started
        rows = result.orders + result.lines + result.events + result.handoffs
        print(
            f"seed_demo: {seconds:,.1f} s for {result.orders:,} orders, {result.lines:,} lines, "
            f"{result.events:,} events, {result.handoffs:,} hand-offs ({rows / seconds:,.0f} rows/s)"
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")

    from django.contrib.auth import get_user_model

    client = Client()
    client.force_login(get_user_model().objects.get(username="exec"))
    order_id = Order.objects.filter(status="invoiced").values_list("id", flat=True).first()

    def get(path):
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)

    cases = (
        []
        if args.dashboard_only
        else [
            ("page  /orders/ (first page)", "/orders/"),
            ("page  /orders/?page=200", "/orders/?page=200"),
            ("page  /orders/?status=on_hold", "/orders/?status=on_hold"),
            ("page  /orders/?overdue=yes", "/orders/?overdue=yes"),
            ("page  /orders/?q=Zenith", "/orders/?q=Zenith"),
            ("page  /orders/<id>/ (detail)", f"/orders/{order_id}/"),
            ("page  /orders/queue/", "/orders/queue/"),
            ("api   /api/orders/", "/api/orders/"),
            ("api   /api/orders/?status=entered", "/api/orders/?status=entered"),
            ("api   /api/orders/<id>/", f"/api/orders/{order_id}/"),
        ]
    )
    print(f"\n{'request':40} {'median ms':>10} {'max ms':>10}   (n={args.repeat})")
    for label, path in cases:
        get(path)  # warm
        median, worst = _timed(lambda p=path: get(p), args.repeat)
        print(f"{label:40} {median:10.1f} {worst:10.1f}")

    # The executive dashboard: every KPI, its trend, the waits, radar and misses, computed
    # in the database; "cold" clears the short figure cache before each request.
    from django.core.cache import cache

    def get_cold(path):
        cache.clear()
        get(path)

    for label, path, fetch in [
        ("page  /dashboard/ (cold cache)", "/dashboard/", get_cold),
        ("page  /dashboard/ (cached)", "/dashboard/", get),
        ("page  /dashboard/?period=365 (cold)", "/dashboard/?period=365", get_cold),
        ("api   /api/kpis/ (cold cache)", "/api/kpis/", get_cold),
        ("api   /api/kpis/waits/ (cold cache)", "/api/kpis/waits/", get_cold),
    ]:
        fetch(path)  # warm
        median, worst = _timed(lambda p=path, fetch=fetch: fetch(p), args.repeat)
        print(f"{label:40} {median:10.1f} {worst:10.1f}")
    if args.dashboard_only:
        return

    Alert.objects.all().delete()
    started = time.perf_counter()
    raised = services.handoffs_scan_overdue(now=timezone.now())
    first = (time.perf_counter() - started) * 1000
    started = time.perf_counter()
    services.handoffs_scan_overdue(now=timezone.now())
    rerun = (time.perf_counter() - started) * 1000
    print(
        f"\noverdue scan: {first:,.0f} ms raising {raised['overdue']:,} overdue + {raised['escalated']:,} "
        f"escalated alerts; rerun (no-op) {rerun:,.0f} ms"
    )
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS of this process: {peak_mb:,.0f} MB")


def services_seed(orders):
    from orders.demo import seed_demo

    return seed_demo(orders=orders, seed=7, batch_size=2000)


if __name__ == "__main__":
    main()
