"""OMC performance harness (issue 10): every figure beside a floor or ceiling from the same run.

    make bench                                   # 20,000 orders, a few minutes
    make bench BENCH_ARGS="--orders 1000000"     # the documented run

Uses its own PostgreSQL database `omc_bench_<orders>` on the DATABASE_URL server (created,
migrated and seeded once per size; --reseed drops and seeds it again) and the Redis database
of --redis-url (its task queue is purged). Prints a table and writes bench/results.json. It
asserts nothing: tests never time anything. Sections (--only to pick some):

  seed     seed_demo --orders N: time and peak RSS (subprocess); then the step apps' documents
           (shipments, invoices, estimates, returns) by their --bulk seeds, and the facts once
  entry    order entry in-process (create 3 lines -> price -> submit -> accept) vs plain SQL
  http     the same over HTTP (gunicorn, 2 gthread workers; 8 client connections) vs GET /api/ping/
  screens  server time and queries of the busy screens: order lists, search, journey, queues, the
           orders API, planning board, invoice review, the KPI dashboard and API cold and cached
           (--screens WORD... picks some, e.g. --screens dashboard kpi)
  scan     the overdue scan over 10,000 overdue hand-offs, and a second run
  drain    10,000 hand-off notifications drained by a Celery worker vs 10,000 no-op tasks
"""

import argparse
import http.client
import json
import os
import platform
import signal
import socket
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PY = sys.executable
SECTIONS = ["seed", "entry", "http", "screens", "scan", "drain"]


# --- small helpers ---------------------------------------------------------------------------


def pct(samples, p):
    """The p-th percentile (nearest rank) of samples."""
    if not samples:
        return float("nan")
    ordered = sorted(samples)
    rank = max(1, min(len(ordered), round(p / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def log(text=""):
    print(text, flush=True)


def rss_peak_kb(pid: int) -> int:
    """VmHWM: the peak resident set of a live process."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except FileNotFoundError:
        pass
    return 0


def children_of(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except FileNotFoundError:
        return []


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def machine() -> dict:
    mem_kb = next(
        int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal")
    )
    load = os.getloadavg()
    return {
        "cpus": os.cpu_count(),
        "memory_gib": round(mem_kb / 1024 / 1024, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load_average_at_start": [round(x, 2) for x in load],
    }


# --- database set-up -------------------------------------------------------------------------


def server_url() -> str:
    return os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/omc").rsplit("/", 1)[0]


def database_exists(name: str) -> bool:
    import psycopg

    with psycopg.connect(server_url() + "/postgres", autocommit=True) as conn:
        return bool(conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone())


def database_create(name: str, *, drop: bool) -> None:
    import psycopg

    assert name.startswith("omc_bench_"), name  # never anything but the benchmark's own databases
    with psycopg.connect(server_url() + "/postgres", autocommit=True) as conn:
        if drop:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def run_measured(cmd, env) -> tuple[float, int, str]:
    """Run a command; its wall time, its peak RSS (KB, from wait4) and its stdout."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    out = proc.stdout.read()
    _pid, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise SystemExit(f"{cmd} failed ({proc.returncode})")
    return time.perf_counter() - started, usage.ru_maxrss, out


# --- 1. seeding ------------------------------------------------------------------------------


def section_seed(args, env, db_name) -> dict:
    record = ROOT / "bench" / f".seed-{db_name}.json"
    fresh = args.reseed or not database_exists(db_name)
    database_create(db_name, drop=args.reseed)
    subprocess.run([PY, "manage.py", "migrate", "--noinput", "-v0"], env=env, cwd=ROOT, check=True)
    import psycopg

    with psycopg.connect(env["DATABASE_URL"]) as conn:
        count = conn.execute("SELECT count(*) FROM orders_order").fetchone()[0]
    if fresh or count == 0:
        log(f"seeding {args.orders:,} orders into {db_name} (progress on stderr) ...")
        seconds, rss_kb, out = run_measured(
            [PY, "manage.py", "seed_demo", "--orders", str(args.orders)], {**env, "LOG_LEVEL": "WARNING"}
        )
        line = next((x for x in out.splitlines() if x.startswith("Seeded")), "")
        result = {"seconds": round(seconds, 1), "peak_rss_mb": round(rss_kb / 1024), "output": line, "this_run": True}
        record.write_text(json.dumps(result))
    elif record.exists():
        result = {**json.loads(record.read_text()), "this_run": False}
    else:
        result = {"seconds": None, "peak_rss_mb": None, "output": f"{count:,} orders seeded earlier", "this_run": False}
    quiet = {**env, "LOG_LEVEL": "WARNING"}
    result["bulk"] = section_seed_bulk(quiet)
    # The step apps' demo data the screens need; each does nothing once its data exists.
    started = time.perf_counter()
    with psycopg.connect(env["DATABASE_URL"]) as conn:
        scored = conn.execute("SELECT 1 FROM orders_order WHERE priority_score IS NOT NULL LIMIT 1").fetchone()
    commands = [["seed_stock", "--reserve-limit", "2000"], ["seed_service"]]
    if not scored:  # score_orders scores the next 5,000 unscored orders each time it runs
        commands.append(["score_orders", "--limit", "5000"])
    for cmd in commands:
        subprocess.run([PY, "manage.py", *cmd], env=quiet, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    with psycopg.connect(env["DATABASE_URL"], autocommit=True) as conn, conn.cursor() as cursor:
        analyze_step_tables(cursor)
    result["step_seeds_seconds"] = round(time.perf_counter() - started, 1)
    return result


def analyze_step_tables(cursor) -> None:
    """Statistics for the step apps' tables (the step seeds fill them after the order seed's own
    ANALYZE). A copy of a freshly seeded database starts with its activity counters reset and is
    never autoanalyzed: the order page's reservations read then planned for an empty table
    (6-8 ms instead of 0.1 ms)."""
    cursor.execute(
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = current_schema() AND c.relkind = 'r' AND split_part(c.relname, '_', 1) = ANY(%s)",
        [["fulfillment", "aftersales", "scheduling", "pricing", "billing", "returns"]],
    )
    tables = [row[0] for row in cursor.fetchall()]
    if tables:
        cursor.execute("ANALYZE " + ", ".join(f'"{name}"' for name in tables))


BULK_SEEDS = ["seed_shipments", "seed_billing", "seed_estimates", "seed_returns"]


def section_seed_bulk(env) -> dict:
    """The step apps' documents for every seeded order (shipments, invoices with credit notes and
    payments, cost estimates, returns), set-based from the orders' events, then the dashboard's
    facts and rollups once. Each seed does nothing once its documents exist (docs/performance.md)."""
    started = time.perf_counter()
    seeds, wrote = {}, False
    for name in BULK_SEEDS:
        t0 = time.perf_counter()
        cmd = [PY, "manage.py", name, "--bulk", "--no-facts"]
        out = subprocess.run(cmd, env=env, cwd=ROOT, check=True, capture_output=True, text=True).stdout
        line = next((x for x in out.splitlines() if x.startswith("Bulk:")), "")
        seeds[name] = {"seconds": round(time.perf_counter() - t0, 1), "output": line}
        wrote |= bool(line) and not line.startswith("Bulk: nothing")
    facts_seconds = None
    if wrote:
        log("step apps' documents written; rebuilding the dashboard's facts and rollups ...")
        t0 = time.perf_counter()
        subprocess.run(
            [PY, "manage.py", "order_facts_backfill", "--no-events"], env=env, cwd=ROOT, check=True, capture_output=True
        )
        facts_seconds = round(time.perf_counter() - t0, 1)
    return {
        "seeds": seeds,
        "facts_seconds": facts_seconds,
        "seconds": round(time.perf_counter() - started, 1),
        "this_run": wrote,
    }


# --- in-process set-up shared by the sections ------------------------------------------------


def django_setup(env):
    os.environ.update(env)
    import django

    django.setup()


def bench_fixtures(args) -> dict:
    """Users, tokens, customers and products the order-entry runs use; the board's jobs.

    Customers: 40 existing ones with their order history, given a credit limit their exposure
    cannot reach (a hold would stop the path before accept). Products: ones whose list
    margin needs no price approval, found by pricing a trial order through the real service."""
    from django.contrib.auth import get_user_model
    from django.db import transaction
    from django.db.models import F
    from rest_framework.authtoken.models import Token

    from billing.selectors import customer_exposure
    from orders import services
    from orders.errors import DomainError
    from orders.models import Customer, Product
    from pricing import services as pricing

    User = get_user_model()
    users = {name: User.objects.get(username=name) for name in ("sales", "board", "exec", "scheduler", "finance")}
    # Customers with nothing overdue (the bulk-seeded invoices leave some owing): an overdue
    # balance holds an order at submit whatever the credit limit.
    customers = []
    for customer in Customer.objects.filter(active=True, currency="EUR").order_by("id").iterator():
        if customer_exposure(customer)["overdue"] == 0:
            customers.append(customer)
        if len(customers) == 40:
            break
    Customer.objects.filter(pk__in=[c.pk for c in customers]).update(credit_limit=Decimal("999999999"))
    for customer in customers:
        customer.credit_limit = Decimal("999999999")
    candidates = list(
        Product.objects.filter(active=True, standard_cost__gt=0)
        .annotate(markup=F("list_price") / F("standard_cost"))
        .order_by("-markup", "id")[:200]
    )
    products = []
    for index in range(0, len(candidates) - 2, 3):
        trio = candidates[index : index + 3]
        passed = True
        for customer in customers[:40:8]:  # freight depends on where the customer is
            # A trial: rolled back (events are append-only, so it could not be deleted).
            with transaction.atomic():
                order = services.order_create(
                    customer=customer,
                    lines=[{"product": p, "quantity": Decimal(5)} for p in trio],
                    created_by=users["sales"],
                )
                pricing.order_price(order_id=order.pk, user=users["sales"])
                try:
                    services.order_transition(order_id=order.pk, action="submit", actor=users["sales"])
                except DomainError:
                    passed = False
                transaction.set_rollback(True)
            if not passed:
                break
        if passed:
            products += trio
        if len(products) >= 30:
            break
    if len(products) < 3:
        raise SystemExit("No products whose list prices pass the margin check; cannot bench order entry.")
    tokens = {name: Token.objects.get_or_create(user=user)[0].key for name, user in users.items()}
    return {"users": users, "customers": customers, "products": products, "tokens": tokens}


def purge_queue():
    from omc.celery import app

    app.control.purge()


# --- 2. order entry in-process ---------------------------------------------------------------


def section_entry(args, fx) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from orders import services
    from pricing import services as pricing

    sales, board = fx["users"]["sales"], fx["users"]["board"]
    customers, products = fx["customers"], fx["products"]

    def one(i, capture=None):
        trio = [products[(i * 3 + k) % len(products)] for k in range(3)]
        phases = {}

        def mark(name):
            if capture is not None:
                phases[name] = len(capture.captured_queries) - sum(phases.values())

        order = services.order_create(
            customer=customers[i % len(customers)],
            lines=[{"product": p, "quantity": Decimal(5 + (i + k) % 5)} for k, p in enumerate(trio)],
            created_by=sales,
        )
        mark("create")
        pricing.order_price(order_id=order.pk, user=sales)
        mark("price")
        submitted = services.order_transition(order_id=order.pk, action="submit", actor=sales)
        mark("submit")
        if submitted.status != "entered":
            raise SystemExit(f"submit left order {order.number} {submitted.status}: {submitted.hold_reason}")
        services.order_transition(order_id=order.pk, action="accept", actor=board)
        mark("accept")
        return phases

    for i in range(10):  # warm caches and connections
        one(i)
    counts, phase_counts = [], []
    for i in range(10, 20):
        with CaptureQueriesContext(connection) as ctx:
            phase_counts.append(one(i, ctx))
        counts.append(len(ctx.captured_queries))
    samples = []
    started = time.perf_counter()
    for i in range(20, 20 + args.entry_orders):
        t0 = time.perf_counter()
        one(i)
        samples.append((time.perf_counter() - t0) * 1000)
    app_rate = args.entry_orders / (time.perf_counter() - started)
    purge_queue()  # the outbox work those orders queued: other departments', not order entry's
    floor = entry_floor(args, fx)
    return {
        "orders": args.entry_orders,
        "orders_per_s": round(app_rate, 1),
        "queries_per_order": max(counts),
        "queries_by_phase": phase_counts[-1],
        "p50_ms": round(pct(samples, 50), 1),
        "p99_ms": round(pct(samples, 99), 1),
        "floor_orders_per_s": round(floor, 1),
        "ratio": round(app_rate / floor, 3),
    }


def entry_floor(args, fx) -> float:
    """The same rows written with plain SQL through psycopg, one transaction per order: the
    order, its 3 lines, the stock reservation of each line and the event. Removed afterwards."""
    import psycopg

    sales = fx["users"]["sales"]
    customers, products = fx["customers"], fx["products"]
    url = os.environ["DATABASE_URL"]
    now = datetime.now(UTC)
    undo = []
    ids = []
    with psycopg.connect(url) as conn:
        site_id = conn.execute("SELECT min(id) FROM orders_site").fetchone()[0]
        started = time.perf_counter()
        for i in range(args.floor_orders):
            customer = customers[i % len(customers)]
            with conn.transaction():
                order_id = conn.execute(
                    """INSERT INTO orders_order (number, customer_id, customer_po, currency, status,
                         owner_department, status_changed_at, priority_breakdown, promise_explanation,
                         hold_reason, created_by_id, created_at, updated_at)
                       VALUES (%s, %s, '', %s, 'accepted', 'operations', %s, '{}', '', '', %s, %s, %s)
                       RETURNING id""",
                    [f"BF-{i:07d}", customer.pk, customer.currency, now, sales.pk, now, now],
                ).fetchone()[0]
                ids.append(order_id)
                lines = []
                for k in range(3):
                    product = products[(i * 3 + k) % len(products)]
                    lines.append((order_id, k + 1, product.pk, Decimal(5 + (i + k) % 5), product.list_price))
                with conn.cursor() as cur:
                    cur.executemany(
                        """INSERT INTO orders_orderline (order_id, line_no, product_id, quantity_ordered,
                             quantity_reserved, quantity_shipped, quantity_invoiced, quantity_returned,
                             unit_price, discount_percent)
                           VALUES (%s, %s, %s, %s, 0, 0, 0, 0, %s, 0)""",
                        lines,
                    )
                    for _o, _n, product_id, quantity, _p in lines:
                        cur.execute(
                            """UPDATE fulfillment_stocklevel SET reserved = reserved + %s
                               WHERE product_id = %s AND site_id = %s AND on_hand - reserved >= %s RETURNING id""",
                            [quantity, product_id, site_id, quantity],
                        )
                        undo += [(quantity, row[0]) for row in cur.fetchall()]
                conn.execute(
                    """INSERT INTO orders_orderevent (order_id, action, from_status, to_status, actor_id, role,
                         department, note, data, created_at)
                       VALUES (%s, 'accept', 'entered', 'accepted', %s, 'sales_rep', 'sales', '', '{}', %s)""",
                    [order_id, sales.pk, now],
                )
        rate = args.floor_orders / (time.perf_counter() - started)
        with conn.transaction():
            # The floor's own rows; events are append-only, so as a restore would (replica mode).
            conn.execute("SET LOCAL session_replication_role = replica")
            conn.execute("DELETE FROM orders_orderevent WHERE order_id = ANY(%s)", [ids])
            conn.execute("DELETE FROM orders_orderline WHERE order_id = ANY(%s)", [ids])
            conn.execute("DELETE FROM orders_order WHERE id = ANY(%s)", [ids])
            with conn.cursor() as cur:
                cur.executemany("UPDATE fulfillment_stocklevel SET reserved = reserved - %s WHERE id = %s", undo)
    return rate


# --- 3. order entry over HTTP ----------------------------------------------------------------


class Server:
    """gunicorn on loopback with the project's gunicorn.conf.py (gthread workers, their threads
    from GUNICORN_THREADS) and 2 workers, against the bench database."""

    def __init__(self, env):
        self.port = free_port()
        self.log = open(ROOT / "bench" / ".gunicorn.log", "w")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [
                str(Path(PY).parent / "gunicorn"),
                "--config",
                str(ROOT / "gunicorn.conf.py"),
                "--workers",
                "2",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--log-level",
                "warning",
            ],
            env=env,
            cwd=ROOT,
            stdout=self.log,
            stderr=self.log,
        )
        self.threads = int(env.get("GUNICORN_THREADS", "4"))  # gunicorn.conf.py's default
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise SystemExit("gunicorn did not come up; see bench/.gunicorn.log")

    def worker_rss_mb(self) -> float:
        return max((rss_peak_kb(pid) for pid in children_of(self.proc.pid)), default=0) / 1024

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


def load(port, seconds, connections, make_request):
    """`connections` threads, each on its own keep-alive HTTP connection (reopened when the
    server closes it), calling make_request(conn, i) until the time is up; returns the
    latencies (ms) of completed operations and the count of failures."""
    latencies, failures = [], []
    stop_at = time.perf_counter() + seconds

    def worker(n):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine, bad, i = [], 0, 0
        while time.perf_counter() < stop_at:
            t0 = time.perf_counter()
            try:
                make_request(conn, n * 1_000_000 + i)
                mine.append((time.perf_counter() - t0) * 1000)
            except Exception as exc:  # noqa: BLE001 - counted and reported
                bad += 1
                if bad < 3:
                    log(f"  request failed: {exc}")
                conn.close()
            i += 1
        latencies.extend(mine)
        failures.append(bad)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(connections)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, sum(failures), time.perf_counter() - started


def call(conn, method, path, token, body=None, expect=200):
    headers = {"Authorization": f"Token {token}", "Accept": "application/json"}
    if body is not None:
        headers["Content-Type"] = "application/json"
        body = json.dumps(body)
    conn.request(method, path, body=body, headers=headers)
    response = conn.getresponse()
    data = response.read()
    if response.status != expect:
        raise RuntimeError(f"{method} {path}: {response.status} {data[:200]!r}")
    return json.loads(data) if data else None


def section_http(args, env, fx) -> dict:
    token = fx["tokens"]["sales"]
    customers, products = fx["customers"], fx["products"]
    server = Server(env)
    try:
        request_ms = []

        def ping(conn, i):
            call(conn, "GET", "/api/ping/", token)

        def create_and_submit(conn, i):
            trio = [products[(i * 3 + k) % len(products)] for k in range(3)]
            body = {
                "customer": customers[i % len(customers)].pk,
                "customer_po": f"HTTP-{i}",
                "lines": [{"product": p.pk, "quantity": str(5 + (i + k) % 5)} for k, p in enumerate(trio)],
            }
            t0 = time.perf_counter()
            order = call(conn, "POST", "/api/orders/", token, body, expect=201)
            t1 = time.perf_counter()
            call(conn, "POST", f"/api/orders/{order['id']}/actions/submit/", token, {})
            request_ms.extend([(t1 - t0) * 1000, (time.perf_counter() - t1) * 1000])

        load(server.port, 3, args.connections, ping)  # warm both workers
        ping_ms, ping_failed, ping_seconds = load(server.port, args.http_seconds, args.connections, ping)
        load(server.port, 3, args.connections, create_and_submit)
        request_ms.clear()
        order_ms, order_failed, order_seconds = load(
            server.port, args.http_seconds, args.connections, create_and_submit
        )
        worker_rss = server.worker_rss_mb()
    finally:
        server.stop()
        purge_queue()
    ping_rate = len(ping_ms) / ping_seconds
    order_rate = len(order_ms) / order_seconds
    return {
        "seconds": args.http_seconds,
        "threads": server.threads,
        "connections": args.connections,
        "orders_per_s": round(order_rate, 1),
        "order_p50_ms": round(pct(order_ms, 50), 1),
        "order_p95_ms": round(pct(order_ms, 95), 1),
        "order_p99_ms": round(pct(order_ms, 99), 1),
        "request_p50_ms": round(pct(request_ms, 50), 1),
        "request_p95_ms": round(pct(request_ms, 95), 1),
        "request_p99_ms": round(pct(request_ms, 99), 1),
        "failed": order_failed,
        "ceiling_requests_per_s": round(ping_rate, 1),
        "ceiling_p50_ms": round(pct(ping_ms, 50), 1),
        "ceiling_p95_ms": round(pct(ping_ms, 95), 1),
        "ceiling_p99_ms": round(pct(ping_ms, 99), 1),
        "ceiling_failed": ping_failed,
        # an order is two requests (create, submit): compare requests with requests
        "ratio": round(2 * order_rate / ping_rate, 3),
        "web_worker_peak_rss_mb": round(worker_rss),
    }


# --- 4. screens ------------------------------------------------------------------------------


def board_fixture(args) -> dict:
    """At least --board-jobs production jobs placed in the board's two-week window from today.

    scheduling_demo makes jobs from the lines of orders in production planning; what the
    auto-scheduler could not place within capacity is then spread over the window here, with
    its booked day, so the board has as many cards and as much load to draw as asked."""
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from scheduling.models import Job

    today = timezone.localdate()
    last = today + timedelta(days=13)

    def in_window():
        return Job.objects.filter(scheduled_day__range=(today, last)).count()

    if in_window() >= args.board_jobs:
        return {"jobs_in_window": in_window()}
    limit = max(50, args.board_jobs // 10)
    while Job.objects.filter(state=Job.State.UNSCHEDULED).count() < args.board_jobs - in_window():
        before = Job.objects.count()
        call_command("scheduling_demo", limit=limit, stdout=open(os.devnull, "w"))  # noqa: SIM115
        if Job.objects.count() == before:
            break
    need = args.board_jobs - in_window()
    with connection.cursor() as cursor:
        cursor.execute(
            """
            WITH picked AS (
                SELECT id, work_center_id, hours, row_number() OVER (ORDER BY id) - 1 AS n
                FROM scheduling_job WHERE state = 'unscheduled' ORDER BY id LIMIT %s
            ), placed AS (
                UPDATE scheduling_job j SET state = 'scheduled', scheduled_day = %s + (p.n %% 14)::int,
                       finish_day = %s + (p.n %% 14)::int, position = p.n, version = j.version + 1
                FROM picked p WHERE j.id = p.id
                RETURNING j.id, j.work_center_id, j.scheduled_day, j.hours
            )
            INSERT INTO scheduling_jobday (job_id, work_center_id, day, hours)
            SELECT id, work_center_id, scheduled_day, hours FROM placed
            """,
            [need, today, today],
        )
        cursor.execute("ANALYZE scheduling_job; ANALYZE scheduling_jobday")
    return {"jobs_in_window": in_window()}


def section_screens(args, fx) -> dict:
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from orders.models import Customer, Order

    board = board_fixture(args) if not args.screens or any("board" in w for w in args.screens) else {}
    with connection.cursor() as cursor:
        analyze_step_tables(cursor)
        # The harness's own earlier runs rewrote every open hand-off (section scan) and the alerts:
        # vacuumed as autovacuum would have done by now on a live system.
        cursor.execute("VACUUM (ANALYZE) orders_handoff, orders_alert")
    users = fx["users"]
    clients = {}
    for name in ("exec", "board", "scheduler", "finance"):
        clients[name] = Client()
        clients[name].force_login(users[name])
    closed = Order.objects.filter(status="closed").count()
    last_page = max(1, (closed + 24) // 25)
    deep_page = min(500, last_page)
    journey_id = (
        Order.objects.filter(
            status="closed", created_at__lt=Order.objects.order_by("-created_at").values("created_at")[:1]
        )
        .order_by("-id")
        .values_list("id", flat=True)
        .first()
    )
    # a word of a customer's name, as a user searching for the customer types it
    search = Customer.objects.order_by("id").values_list("name", flat=True).first().split()[0]
    cases = [
        ("order list ?status=closed page 1", "exec", "/orders/?status=closed", None),
        (f"order list ?status=closed page {deep_page}", "exec", f"/orders/?status=closed&page={deep_page}", None),
        ("order list ?overdue=yes", "exec", "/orders/?overdue=yes", None),
        (f"order search ?q={search}", "exec", f"/orders/?q={search}", None),
        ("order journey /orders/<id>/", "exec", f"/orders/{journey_id}/", None),
        ("review queue /orders/review/", "board", "/orders/review/", None),
        ("hand-off queue /orders/queue/", "exec", "/orders/queue/", None),
        ("API order list /api/orders/", "exec", "/api/orders/", None),
        ("API order /api/orders/<id>/", "exec", f"/api/orders/{journey_id}/", None),
        (f"planning board ({board.get('jobs_in_window', 0):,} jobs)", "scheduler", "/scheduling/", None),
        ("invoice review /billing/review/", "finance", "/billing/review/", None),
        ("KPI dashboard (cold)", "exec", "/dashboard/", "cold"),
        ("KPI dashboard (cached)", "exec", "/dashboard/", "cached"),
        ("KPI dashboard ?period=365 (cold)", "exec", "/dashboard/?period=365", "cold"),
        ("KPI API /api/kpis/ (cold)", "exec", "/api/kpis/", "cold"),
        ("KPI API /api/kpis/waits/ (cold)", "exec", "/api/kpis/waits/", "cold"),
    ]
    if not args.dashboard_repeat:  # --dashboard-repeat 0: leave the (slow) dashboard and KPIs out
        cases = [case for case in cases if case[3] is None]
    if args.screens:  # --screens dashboard kpis: only the screens whose label contains one of the words
        cases = [case for case in cases if any(word.lower() in case[0].lower() for word in args.screens)]
    rows = {}
    for label, who, path, mode in cases:
        client = clients[who]
        repeat = args.dashboard_repeat if mode == "cold" else args.repeat
        samples, queries = [], []
        for attempt in range(repeat + 1):
            if mode == "cold":
                cache.clear()
            with CaptureQueriesContext(connection) as ctx:
                t0 = time.perf_counter()
                response = client.get(path)
                elapsed = (time.perf_counter() - t0) * 1000
            if response.status_code != 200:
                raise SystemExit(f"{path}: {response.status_code}")
            if attempt:  # the first request warms up
                samples.append(elapsed)
                queries.append(len(ctx.captured_queries))
        rows[label] = {
            "path": path,
            "p50_ms": round(pct(samples, 50), 1),
            "p95_ms": round(pct(samples, 95), 1),
            "queries": max(queries),
            "n": repeat,
        }
        log(f"  {label:42} p50 {rows[label]['p50_ms']:8.1f}  p95 {rows[label]['p95_ms']:8.1f}  q {max(queries)}")
    return {"board": board, "rows": rows}


# --- 5. overdue scan -------------------------------------------------------------------------


def section_scan(args) -> dict:
    """Exactly --overdue open hand-offs overdue (none escalated), every other open hand-off
    within its service level, no alerts yet; then the scan twice."""
    from django.db import connection
    from django.utils import timezone

    from orders import services

    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE orders_alert")
        cursor.execute(
            "UPDATE orders_handoff SET due_at = %s, escalate_at = %s WHERE closed_at IS NULL",
            [now + timedelta(days=1), now + timedelta(days=2)],
        )
        cursor.execute(
            """UPDATE orders_handoff SET due_at = %s WHERE id IN (
                 SELECT id FROM orders_handoff WHERE closed_at IS NULL ORDER BY id LIMIT %s)""",
            [now - timedelta(hours=1), args.overdue],
        )
        cursor.execute("SELECT count(*) FROM orders_handoff WHERE closed_at IS NULL")
        open_handoffs = cursor.fetchone()[0]
        # What autovacuum does on a live system after such a rewrite (200,000 rows here): without
        # it the open hand-offs' indexes point at dead rows until it catches up.
        cursor.execute("VACUUM (ANALYZE) orders_handoff")
    t0 = time.perf_counter()
    first = services.handoffs_scan_overdue(now=timezone.now())
    first_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    second = services.handoffs_scan_overdue(now=timezone.now())
    second_s = time.perf_counter() - t0
    return {
        "open_handoffs": open_handoffs,
        "overdue": args.overdue,
        "first_seconds": round(first_s, 3),
        "first_raised": first,
        "second_seconds": round(second_s, 3),
        "second_raised": second,
    }


# --- 6. hand-off drain -----------------------------------------------------------------------


class Worker:
    """One Celery worker, concurrency 2, on the bench Redis, consuming the hand-offs queue
    (where both the outbox tasks and the no-op ceiling are routed)."""

    def __init__(self, env, queue):
        self.logfile = ROOT / "bench" / ".celery.log"
        self.output = open(self.logfile, "w")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [
                str(Path(PY).parent / "celery"),
                "-A",
                "omc",
                "worker",
                "--concurrency",
                "2",
                "--pool",
                "prefork",
                "-Q",
                queue,
                "--without-heartbeat",
                "--without-gossip",
                "--without-mingle",
                "-l",
                "info",
            ],
            # Celery leaves logging to Django's (structured, on stdout): "ready." is an INFO line
            env={**env, "LOG_LEVEL": "INFO"},
            cwd=ROOT,
            stdout=self.output,
            stderr=subprocess.STDOUT,
        )
        deadline = time.time() + 60
        while "ready." not in self.logfile.read_text():
            if time.time() > deadline or self.proc.poll() is not None:
                self.stop()
                raise SystemExit("the Celery worker did not start; see bench/.celery.log")
            time.sleep(0.05)

    def peak_rss_mb(self) -> float:
        return (rss_peak_kb(self.proc.pid) + sum(rss_peak_kb(p) for p in children_of(self.proc.pid))) / 1024

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.output.close()


def section_drain(args, env) -> dict:
    """The queue is filled while no worker runs; then a worker starts and the clock runs from
    its "ready" to the last task done. Ceiling: --drain no-op tasks. App: --drain hand-off
    notifications (the outbox messages order_transition writes when a hand-off opens),
    published by the real outbox dispatch and processed by the real handler."""
    import redis
    from django.conf import settings
    from django.db import connection
    from django.utils import timezone

    from omc.celery import noop
    from orders import services
    from orders.models import OutboxMessage

    purge_queue()
    broker = redis.Redis.from_url(env["REDIS_URL"])
    queue = settings.CELERY_TASK_ROUTES["omc.noop"]["queue"]
    if settings.CELERY_TASK_ROUTES["orders.tasks.outbox_deliver"]["queue"] != queue:
        raise SystemExit("the no-op task and the outbox tasks must share a queue to compare them")

    def queue_empty():
        return broker.llen(queue) == 0 and not broker.hlen("unacked")

    for _ in range(args.drain):
        noop.delay()
    worker = Worker(env, queue)
    t0 = time.perf_counter()
    while not queue_empty():
        time.sleep(0.02)
    noop_s = time.perf_counter() - t0
    worker.stop()

    OutboxMessage.objects.filter(topic=services.TOPIC_HANDOFF_OPENED, payload__bench=True).delete()
    with connection.cursor() as cursor:
        cursor.execute(
            """INSERT INTO orders_outboxmessage (topic, order_id, payload, created_at, dispatch_attempts, last_error)
               SELECT %s, order_id, jsonb_build_object('handoff_id', id, 'bench', true), %s, 0, ''
               FROM orders_handoff WHERE closed_at IS NULL ORDER BY id DESC LIMIT %s RETURNING id""",
            [services.TOPIC_HANDOFF_OPENED, timezone.now(), args.drain],
        )
        ids = [row[0] for row in cursor.fetchall()]
    services.outbox_dispatch(message_ids=ids)
    pending = OutboxMessage.objects.filter(pk__in=ids, processed_at__isnull=True)
    worker = Worker(env, queue)
    t0 = time.perf_counter()
    while pending.exists():
        time.sleep(0.05)
    app_s = time.perf_counter() - t0
    worker_rss = worker.peak_rss_mb()
    worker.stop()
    return {
        "tasks": args.drain,
        "noop_seconds": round(noop_s, 2),
        "noop_per_s": round(args.drain / noop_s, 1),
        "handoff_seconds": round(app_s, 2),
        "handoff_per_s": round(len(ids) / app_s, 1),
        "ratio": round((len(ids) / app_s) / (args.drain / noop_s), 3),
        "worker_peak_rss_mb": round(worker_rss),
    }


# --- the table -------------------------------------------------------------------------------


def table(results) -> str:
    s = results["sections"]
    out = [f"OMC benchmark, {results['orders']:,} orders, {results['finished']} ({results['database']})"]
    m = results["machine"]
    out.append(
        f"machine: {m['cpus']} CPUs, {m['memory_gib']} GiB, Python {m['python']}, load {m['load_average_at_start']}"
    )
    if "seed" in s:
        seed = s["seed"]
        when = "" if seed.get("this_run") else " (seeded earlier)"
        out.append("")
        out.append(f"1. seeding{when}: {seed['seconds']} s, peak RSS {seed['peak_rss_mb']} MB; {seed['output']}")
        bulk = seed.get("bulk")
        if bulk:
            when = "" if bulk["this_run"] else " (nothing to do: written earlier)"
            facts = f" (facts {bulk['facts_seconds']} s)" if bulk["facts_seconds"] is not None else ""
            out.append(f"   step apps' documents, bulk{when}: {bulk['seconds']} s{facts}")
            out += [f"     {name:16} {row['seconds']:7.1f} s  {row['output']}" for name, row in bulk["seeds"].items()]
    if "entry" in s:
        e = s["entry"]
        out += [
            "",
            "2. order entry in-process (create 3 lines -> price -> submit -> accept), single thread",
            f"   app   {e['orders_per_s']:8.1f} orders/s  p50 {e['p50_ms']:.1f} ms  p99 {e['p99_ms']:.1f} ms  "
            f"{e['queries_per_order']} queries/order {e['queries_by_phase']}",
            f"   floor {e['floor_orders_per_s']:8.1f} orders/s  (plain SQL: order, 3 lines, stock, event; 1 tx/order)",
            f"   ratio {e['ratio']:.3f}   (target >= 0.25; <= 15 queries/order)",
        ]
    if "http" in s:
        h = s["http"]
        out += [
            "",
            f"3. over HTTP: gunicorn 2 workers x {h.get('threads', 1)} threads, {h['connections']} connections, "
            f"{h['seconds']} s each",
            f"   create+submit {h['orders_per_s']:7.1f} orders/s  per order p50 {h['order_p50_ms']} p95 "
            f"{h['order_p95_ms']} p99 {h['order_p99_ms']} ms; per request p50 {h['request_p50_ms']} p95 "
            f"{h['request_p95_ms']} p99 {h['request_p99_ms']} ms; {h['failed']} failed",
            f"   ceiling GET /api/ping/ {h['ceiling_requests_per_s']:7.1f} req/s  p50 {h['ceiling_p50_ms']} "
            f"p95 {h['ceiling_p95_ms']} p99 {h['ceiling_p99_ms']} ms",
            f"   ratio (requests/s) {h['ratio']:.3f}   (target >= 150 orders/s, p95 < 100 ms)",
        ]
    if "screens" in s:
        out += [
            "",
            f"4. screens (server time, n={results['args']['repeat']}; dashboard cold n="
            f"{results['args']['dashboard_repeat']})",
            f"   {'screen':44} {'p50 ms':>8} {'p95 ms':>8} {'queries':>8}",
        ]
        for label, row in s["screens"]["rows"].items():
            out.append(f"   {label:44} {row['p50_ms']:8.1f} {row['p95_ms']:8.1f} {row['queries']:8}")
    if "scan" in s:
        c = s["scan"]
        out += [
            "",
            f"5. overdue scan over {c['open_handoffs']:,} open hand-offs, {c['overdue']:,} overdue: "
            f"{c['first_seconds']} s raising {c['first_raised']}; second run {c['second_seconds']} s raising "
            f"{c['second_raised']}",
        ]
    if "drain" in s:
        d = s["drain"]
        out += [
            "",
            f"6. drain of {d['tasks']:,} tasks by one worker (concurrency 2): hand-off notifications "
            f"{d['handoff_per_s']}/s ({d['handoff_seconds']} s), no-op {d['noop_per_s']}/s ({d['noop_seconds']} s), "
            f"ratio {d['ratio']:.3f} (target >= 0.4)",
        ]
    peaks = []
    if "http" in s:
        peaks.append(f"web worker {s['http']['web_worker_peak_rss_mb']} MB")
    if "drain" in s:
        peaks.append(f"Celery worker (with its 2 children) {s['drain']['worker_peak_rss_mb']} MB")
    if peaks:
        out += ["", "7. peak RSS: " + ", ".join(peaks)]
    return "\n".join(out)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=20000, help="Orders in the bench database (default 20000).")
    parser.add_argument("--reseed", action="store_true", help="Drop the bench database and seed it again.")
    parser.add_argument("--only", nargs="+", choices=SECTIONS, default=SECTIONS)
    parser.add_argument("--repeat", type=int, default=30, help="Requests per screen (default 30).")
    parser.add_argument(
        "--dashboard-repeat",
        type=int,
        default=5,
        help="Cold dashboard requests (default 5; 0 leaves the dashboard out).",
    )
    parser.add_argument(
        "--screens",
        nargs="+",
        metavar="WORD",
        help="Only the screens whose label contains one of these words, e.g. --screens dashboard kpi "
        "(the old orders_bench.py --dashboard-only).",
    )
    parser.add_argument("--entry-orders", type=int, default=300)
    parser.add_argument("--floor-orders", type=int, default=2000)
    parser.add_argument("--http-seconds", type=int, default=20)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--board-jobs", type=int, default=5000)
    parser.add_argument("--overdue", type=int, default=10000)
    parser.add_argument("--drain", type=int, default=10000)
    parser.add_argument(
        "--redis-url",
        default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14"),
        help="Redis database for the queue and cache; its queue is purged (default db 14).",
    )
    parser.add_argument("--output", default=str(ROOT / "bench" / "results.json"))
    parser.add_argument(
        "--database",
        help="Bench database name (default omc_bench_<orders>); must start with omc_bench_, "
        "e.g. a copy made with CREATE DATABASE omc_bench_copy TEMPLATE omc_bench_1000000.",
    )
    args = parser.parse_args()

    db_name = args.database or f"omc_bench_{args.orders}"
    if not db_name.startswith("omc_bench_"):
        parser.error("--database must start with omc_bench_ (the harness may drop and reseed it)")
    env = {
        **os.environ,
        "DATABASE_URL": f"{server_url()}/{db_name}",
        "REDIS_URL": args.redis_url,
        "DJANGO_SETTINGS_MODULE": "omc.settings.local",
        "DJANGO_DEBUG": "false",
        "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
        "LOG_LEVEL": "WARNING",
    }
    results = {
        "orders": args.orders,
        "database": db_name,
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "args": vars(args),
        "sections": {},
    }
    sections = results["sections"]
    log(f"bench database {db_name}, redis {args.redis_url}, sections {' '.join(args.only)}")
    sections["seed"] = section_seed(args, env, db_name) if "seed" in args.only else None
    if sections["seed"] is None:
        del sections["seed"]
    django_setup(env)
    fx = bench_fixtures(args) if {"entry", "http", "screens"} & set(args.only) else None
    for name, run in (
        ("entry", lambda: section_entry(args, fx)),
        ("http", lambda: section_http(args, env, fx)),
        ("screens", lambda: section_screens(args, fx)),
        ("scan", lambda: section_scan(args)),
        ("drain", lambda: section_drain(args, env)),
    ):
        if name in args.only:
            log(f"{name} ...")
            t0 = time.perf_counter()
            sections[name] = run()
            sections[name]["section_seconds"] = round(time.perf_counter() - t0, 1)
    results["finished"] = datetime.now(UTC).isoformat(timespec="seconds")
    results["machine"]["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    Path(args.output).write_text(json.dumps(results, indent=2, default=str))
    log("")
    log(table(results))
    log(f"\nwritten to {args.output}")


if __name__ == "__main__":
    main()
