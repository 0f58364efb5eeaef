"""Operations: replica routing, request ids, /readyz, /metrics, stuck work, import and export, progress."""

import csv
import io
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, connections
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import Workbook, load_workbook

from omc.celery import app as celery_app
from orders.models import Customer, Order, OrderEvent, OutboxMessage, Product, TaskFailure
from orders.progress import Progress
from orders.reporting import reporting
from orders.roles import Role
from orders.states import OrderStatus
from orders.tasks import handoffs_scan_overdue
from pricing.models import PriceList, PriceListItem

from .factories import CustomerFactory, OrderFactory, ProductFactory


@celery_app.task(name="tests.ops.task_that_fails")
def task_that_fails(value):
    raise ValueError(f"cannot handle {value}")


# --- read replica --------------------------------------------------------------------------


def _tables(queries) -> str:
    return " ".join(q["sql"] for q in queries)


@pytest.mark.django_db(transaction=True, databases=["default", "replica"])
def test_reporting_reads_go_to_the_replica_and_writes_to_the_primary(settings, client, user_with):
    """Given a replica ("replica" mirrors the test database), when an executive opens the KPI
    dashboard, the KPI reads run on the replica; a write inside a reporting block still goes to
    the primary, and reads outside one stay on the primary."""
    settings.OMC_REPORTING_DATABASE = "replica"
    cache.clear()
    OrderFactory(status=OrderStatus.ENTERED)
    client.force_login(user_with(Role.EXECUTIVE))

    with CaptureQueriesContext(connections["replica"]) as replica, CaptureQueriesContext(connection) as primary:
        assert client.get("/dashboard/").status_code == 200
    assert "orders_order" in _tables(replica.captured_queries)
    assert "orders_order" not in _tables(primary.captured_queries)  # only the session and the user

    with CaptureQueriesContext(connections["replica"]) as replica, CaptureQueriesContext(connection) as primary:
        with reporting():
            assert Order.objects.count() == 1
            Customer.objects.create(code="W1", name="Written")
        assert Customer.objects.filter(code="W1").exists()
    assert 'INSERT INTO "orders_customer"' in _tables(primary.captured_queries)
    assert "INSERT" not in _tables(replica.captured_queries)
    assert len(replica.captured_queries) == 1  # the count; the exists() after the block ran on the primary


@pytest.mark.django_db(transaction=True, databases=["default", "replica"])
@pytest.mark.parametrize(
    "url,role",
    [
        ("/billing/receivables/", Role.FINANCE),
        ("/planning/accuracy/", Role.DEMAND_PLANNER),
        ("/api/kpis/", Role.EXECUTIVE),
        ("/orders/?export=csv", Role.SALES_REP),
    ],
)
def test_aging_accuracy_kpi_api_and_exports_read_from_the_replica(settings, client, user_with, url, role):
    settings.OMC_REPORTING_DATABASE = "replica"
    cache.clear()
    OrderFactory(status=OrderStatus.ENTERED)
    client.force_login(user_with(role))
    with CaptureQueriesContext(connections["replica"]) as replica:
        assert client.get(url).status_code == 200
    assert replica.captured_queries, f"{url} read nothing from the replica"


@pytest.mark.django_db(transaction=True, databases=["default", "replica"])
def test_without_a_replica_reporting_reads_stay_on_the_primary(client, user_with):
    cache.clear()
    client.force_login(user_with(Role.EXECUTIVE))
    with CaptureQueriesContext(connections["replica"]) as replica, CaptureQueriesContext(connection) as primary:
        assert client.get("/dashboard/").status_code == 200
    assert not replica.captured_queries
    assert "orders_order" in _tables(primary.captured_queries)


# --- request id ------------------------------------------------------------------------------


def test_the_request_id_is_echoed_and_a_forged_one_replaced(db, client):
    assert client.get("/healthz", HTTP_X_REQUEST_ID="abc-123").headers["X-Request-ID"] == "abc-123"
    forged = client.get("/healthz", HTTP_X_REQUEST_ID='abc"\n{"level":"critical"}').headers["X-Request-ID"]
    assert len(forged) == 36 and "\n" not in forged  # a fresh UUID


def test_outbox_rows_keep_the_request_that_caused_them(db, client, user_with, order_in):
    order = order_in(OrderStatus.DRAFT)
    client.force_login(user_with(Role.SALES_REP))
    response = client.post(f"/orders/{order.pk}/actions/submit/", HTTP_X_REQUEST_ID="abc")
    assert response.status_code == 302
    rows = OutboxMessage.objects.filter(order=order)
    assert rows.exists()
    assert set(rows.values_list("request_id", flat=True)) == {"abc"}


# --- readiness ------------------------------------------------------------------------------


def test_readyz_is_200_with_every_check_when_ready(db, client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ready",
        "failing": [],
        "database": "ok",
        "broker": "ok",
        "migrations": "ok",
    }


def test_readyz_is_503_naming_unapplied_migrations(db, client):
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM django_migrations WHERE app = 'orders' AND name LIKE '0008%%'")
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["failing"] == ["migrations"]
    assert body["migrations"] == "1 unapplied"
    assert body["unapplied"][0].startswith("orders.0008")


def test_readyz_is_503_when_the_broker_is_unreachable(db, client):
    original = celery_app.conf.broker_write_url  # what a publish (and the check) connects to
    celery_app.conf.broker_write_url = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    try:
        response = client.get("/readyz")
    finally:
        celery_app.conf.broker_write_url = original
    assert response.status_code == 503
    assert response.json()["failing"] == ["broker"]
    assert response.json()["database"] == "ok"


def test_healthz_stays_the_liveness_check(db, client):
    assert client.get("/healthz").json()["status"] == "ok"


# --- metrics --------------------------------------------------------------------------------


def _sample(text: str, name: str, **labels) -> float | None:
    """The value of one sample in Prometheus' text format, whatever the order of its labels."""
    for line in text.splitlines():
        if line.startswith("#") or not line.startswith(name):
            continue
        series, value = line.rsplit(" ", 1)
        metric, _, label_text = series.partition("{")
        found = dict(re.findall(r'(\w+)="([^"]*)"', label_text))
        if metric == name and found == labels:
            return float(value)
    return None


def test_metrics_show_requests_tasks_handoffs_and_alerts(db, client, user_with, overdue_handoff):
    overdue_handoff(hours_late=1)
    overdue_handoff(hours_late=-2)  # open, not yet due
    client.force_login(user_with(Role.SALES_REP))
    client.get("/orders/")
    handoffs_scan_overdue.delay()  # eager: the same task signals as on a worker
    task_that_fails.apply(args=[7], throw=False)  # fails as on a worker: the task_failure signal

    response = Client().get("/metrics")  # from 127.0.0.1, an allowed address
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    text = response.content.decode()
    assert _sample(text, "omc_request_duration_seconds_count", view="orders:order_list", method="GET", status="200")
    assert _sample(text, "omc_task_duration_seconds_count", task="orders.tasks.handoffs_scan_overdue", state="SUCCESS")
    assert _sample(text, "omc_task_failures_total", task="tests.ops.task_that_fails") >= 1
    assert _sample(text, "omc_handoffs_open", department="management") == 2
    assert _sample(text, "omc_handoffs_overdue", department="management") == 1
    assert _sample(text, "omc_alerts_raised", department="management", level="overdue") == 1
    assert _sample(text, "omc_task_failures_unretried", task="tests.ops.task_that_fails") == 1


def test_metrics_need_the_token_from_other_addresses(db, settings):
    settings.METRICS_ALLOWED_IPS = []
    settings.METRICS_TOKEN = "s3cret-scrape"
    assert Client().get("/metrics").status_code == 403
    assert Client().get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 403
    ok = Client().get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-scrape")
    assert ok.status_code == 200 and b"omc_handoffs_open" in ok.content
    settings.METRICS_TOKEN = ""
    assert Client().get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 403


# --- stuck work -----------------------------------------------------------------------------


@pytest.fixture
def admin_client(db, user_with):
    client = Client()
    client.force_login(user_with(is_staff=True))
    return client


def _stuck_message(order, *, minutes=30, error="Connection refused"):
    return OutboxMessage.objects.create(
        topic="handoff.opened",
        order=order,
        payload={"handoff_id": 0},
        created_at=timezone.now() - timedelta(minutes=minutes),
        dispatch_attempts=3,
        last_error=error,
        request_id="req-9",
    )


def test_stuck_work_lists_undelivered_outbox_rows_and_failed_tasks(admin_client, order_in):
    order = order_in(OrderStatus.ENTERED)
    stuck = _stuck_message(order)
    _stuck_message(order, minutes=1)  # too fresh to be stuck
    task_that_fails.apply(args=[41], throw=False)  # fails as on a worker: the task_failure signal
    response = admin_client.get("/ops/stuck/")
    assert response.status_code == 200
    page = response.content.decode()
    assert f"<td>{stuck.pk}</td>" in page and "Connection refused" in page and "req-9" in page
    assert page.count("ops/stuck/outbox/") == 1
    assert "tests.ops.task_that_fails" in page and "ValueError: cannot handle 41" in page


def test_stuck_work_is_for_admins_only(db, client, user_with):
    for role in Role:
        client.force_login(user_with(role))
        assert client.get("/ops/stuck/").status_code == 403
        assert client.post("/ops/stuck/outbox/1/retry/").status_code == 403


def test_retrying_an_outbox_row_publishes_it_and_it_is_processed(admin_client, order_in):
    stuck = _stuck_message(order_in(OrderStatus.ENTERED))
    response = admin_client.post(f"/ops/stuck/outbox/{stuck.pk}/retry/", follow=True)
    assert "was published again" in response.content.decode()
    stuck.refresh_from_db()
    assert stuck.processed_at is not None  # eager: delivered at once
    assert stuck.dispatch_attempts == 4 and stuck.last_error == ""
    again = admin_client.post(f"/ops/stuck/outbox/{stuck.pk}/retry/", follow=True)
    assert "already delivered" in again.content.decode()
    assert admin_client.post("/ops/stuck/outbox/999999/retry/").status_code == 404


@pytest.mark.filterwarnings("ignore::celery.exceptions.AlwaysEagerIgnored")  # send_task goes to Redis
def test_retrying_a_failed_task_queues_it_once(admin_client, django_capture_on_commit_callbacks):
    task_that_fails.apply(args=[5], throw=False)  # fails as on a worker: the task_failure signal
    failure = TaskFailure.objects.get(task_name="tests.ops.task_that_fails")
    assert failure.args == [5]
    with celery_app.connection_for_write() as conn:
        conn.default_channel.queue_purge("omc")
        with django_capture_on_commit_callbacks(execute=True):
            response = admin_client.post(f"/ops/stuck/failures/{failure.pk}/retry/", follow=True)
        assert "was queued again" in response.content.decode()
        assert conn.default_channel.client.llen("omc") == 1  # published to the broker for a worker
        conn.default_channel.queue_purge("omc")
    failure.refresh_from_db()
    assert failure.retried_at is not None
    again = admin_client.post(f"/ops/stuck/failures/{failure.pk}/retry/", follow=True)
    assert "already run again" in again.content.decode()


def test_retry_needs_the_csrf_token(db, user_with, order_in):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user_with(is_staff=True))
    stuck = _stuck_message(order_in(OrderStatus.ENTERED))
    assert client.post(f"/ops/stuck/outbox/{stuck.pk}/retry/").status_code == 403
    stuck.refresh_from_db()
    assert stuck.dispatch_attempts == 3


def test_stuck_work_pages(admin_client, order_in):
    order = order_in(OrderStatus.ENTERED)
    for _ in range(30):
        _stuck_message(order)
    first = admin_client.get("/ops/stuck/").content.decode()
    second = admin_client.get("/ops/stuck/?page=2").content.decode()
    assert "Page 1 of 2 · 30 in all" in first
    assert first.count("ops/stuck/outbox/") == 25 and second.count("ops/stuck/outbox/") == 5


# --- import ----------------------------------------------------------------------------------


def _csv_file(name, rows):
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    upload = io.BytesIO(buffer.getvalue().encode())
    upload.name = name
    return upload


def _xlsx_file(name, rows):
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    upload = io.BytesIO()
    workbook.save(upload)
    upload.seek(0)
    upload.name = name
    return upload


CUSTOMER_HEADER = ["code", "name", "tier", "credit_limit", "payment_terms_days", "currency", "sales_rep"]


def test_a_customer_file_with_bad_rows_imports_nothing_and_names_each_error(db, client, user_with):
    client.force_login(user_with(Role.CUSTOMER_SERVICE))
    upload = _csv_file(
        "customers.csv",
        [
            CUSTOMER_HEADER,
            ["C-1", "Good One", "key", "5000", "30", "EUR", ""],
            ["C-2", "", "standard", "100", "30", "EUR", ""],  # line 3: no name
            ["C-3", "Minus", "standard", "-5", "30", "EUR", ""],  # line 4: negative limit
            [],  # line 5: blank, skipped
            ["C-1", "Twice", "standard", "1", "30", "EUR", ""],  # line 6: duplicate code
            ["C-7", "Who", "platinum", "1", "30", "XXX", "nobody"],  # line 7: tier, currency, rep
        ],
    )
    response = client.post("/ops/import/", {"kind": "customers", "file": upload})
    assert response.status_code == 400
    errors = sorted((e.line, e.column) for e in response.context["result"].errors)
    assert errors == [(3, "name"), (4, "credit_limit"), (6, "code"), (7, "currency"), (7, "sales_rep"), (7, "tier")]
    page = response.content.decode()
    assert "Nothing was imported" in page and "Also on line 2." in page and "No user &#x27;nobody&#x27;." in page
    assert not Customer.objects.exists()
    assert "Import all" not in page


def test_a_good_customer_file_is_checked_then_imported(db, client, user_with):
    rep = user_with(Role.SALES_REP, username="anna")
    CustomerFactory(code="C-OLD", name="Old name", credit_limit=Decimal("10"))
    client.force_login(user_with(Role.CUSTOMER_SERVICE))
    upload = _csv_file(
        "customers.csv",
        [
            CUSTOMER_HEADER,
            ["C-1", "Acme", "key", "5000.50", "45", "USD", "anna"],
            ["C-OLD", "New name", "", "", "", "", ""],
        ],
    )
    dry = client.post("/ops/import/", {"kind": "customers", "file": upload})
    assert dry.status_code == 200
    assert "no errors: 1 to create, 1 to update" in dry.content.decode()
    assert Customer.objects.count() == 1  # the dry run wrote nothing
    token = dry.context["token"]
    done = client.post(f"/ops/import/{token}/", follow=True)
    assert "Customers: 1 created, 1 updated from customers.csv." in done.content.decode()
    acme = Customer.objects.get(code="C-1")
    assert (acme.credit_limit, acme.currency, acme.payment_terms_days, acme.sales_rep) == (
        Decimal("5000.50"),
        "USD",
        45,
        rep,
    )
    old = Customer.objects.get(code="C-OLD")
    assert old.name == "New name" and old.credit_limit == Decimal("10")  # empty cells keep the value
    assert client.post(f"/ops/import/{token}/", follow=True).redirect_chain[-1][0] == "/ops/import/"


def test_products_and_price_lists_from_xlsx(db, client, user_with):
    client.force_login(user_with(is_staff=True))
    products = _xlsx_file(
        "products.xlsx",
        [
            ["sku", "name", "family", "standard_cost", "list_price"],
            ["P-1", "Pump", "pumps", 60, 99.5],
            ["P-2", "Valve", "", 3, 5],
        ],
    )
    dry = client.post("/ops/import/", {"kind": "products", "file": products})
    assert dry.status_code == 200
    client.post(f"/ops/import/{dry.context['token']}/")
    assert Product.objects.get(sku="P-1").list_price == Decimal("99.50")

    prices = _xlsx_file(
        "prices.xlsx",
        [
            ["price_list", "currency", "valid_from", "valid_to", "sku", "min_quantity", "unit_price"],
            ["Standard", "EUR", "2026-01-01", "", "P-1", "", "95"],
            ["Standard", "EUR", "2026-01-01", "", "P-1", "10", "90"],
            ["Standard", "EUR", "2026-01-01", "", "P-2", "", "4.5"],
        ],
    )
    dry = client.post("/ops/import/", {"kind": "price_lists", "file": prices})
    assert dry.status_code == 200, dry.context["result"].errors
    client.post(f"/ops/import/{dry.context['token']}/")
    price_list = PriceList.objects.get(name="Standard")
    assert sorted(PriceListItem.objects.filter(price_list=price_list).values_list("min_quantity", "unit_price")) == [
        (Decimal("1"), Decimal("4.50")),
        (Decimal("1"), Decimal("95.00")),
        (Decimal("10"), Decimal("90.00")),
    ]


ORDER_HEADER = [
    "order_ref",
    "customer_code",
    "customer_po",
    "requested_date",
    "status",
    "sku",
    "quantity",
    "unit_price",
]


def test_open_orders_are_created_and_submitted_through_the_services(db, client, user_with):
    CustomerFactory(code="C-1")
    ProductFactory(sku="P-1")
    ProductFactory(sku="P-2")
    client.force_login(user_with(Role.SALES_REP))
    upload = _csv_file(
        "orders.csv",
        [
            ORDER_HEADER,
            ["A-1", "C-1", "PO-7", "2026-12-01", "entered", "P-1", "3", "100"],
            ["A-1", "C-1", "PO-7", "2026-12-01", "entered", "P-2", "1.5", "20"],
            ["A-2", "C-1", "", "", "draft", "P-2", "2", ""],
        ],
    )
    dry = client.post("/ops/import/", {"kind": "orders", "file": upload})
    assert dry.status_code == 200, dry.context["result"].errors
    assert not Order.objects.exists()
    client.post(f"/ops/import/{dry.context['token']}/")
    entered = Order.objects.get(customer_po="PO-7")
    assert entered.lines.count() == 2
    assert entered.status in (OrderStatus.ENTERED, OrderStatus.ON_HOLD)  # the credit check may hold it
    assert OrderEvent.objects.filter(order=entered, action="submit", note="Imported as A-1").exists()
    draft = Order.objects.exclude(pk=entered.pk).get()
    assert draft.status == OrderStatus.DRAFT and draft.lines.get().unit_price == Decimal("100.00")


def test_an_order_file_with_a_bad_line_imports_no_order(db, client, user_with):
    CustomerFactory(code="C-1")
    ProductFactory(sku="P-1")
    client.force_login(user_with(Role.SALES_REP))
    upload = _csv_file(
        "orders.csv",
        [
            ORDER_HEADER,
            ["A-1", "C-1", "PO-1", "", "entered", "P-1", "3", "100"],
            ["A-2", "C-1", "PO-2", "", "entered", "P-1", "0", "100"],  # line 3: zero quantity
            ["A-3", "C-9", "PO-3", "", "shipped", "P-404", "1", ""],  # line 4: customer, status, sku
            ["A-1", "C-1", "PO-X", "", "entered", "P-1", "1", "100"],  # line 5: differs from line 2
        ],
    )
    response = client.post("/ops/import/", {"kind": "orders", "file": upload})
    assert response.status_code == 400
    assert sorted((e.line, e.column) for e in response.context["result"].errors) == [
        (3, "quantity"),
        (4, "customer_code"),
        (4, "sku"),
        (4, "status"),
        (5, "customer_po"),
    ]
    assert not Order.objects.exists()
    assert not OutboxMessage.objects.exists()


def test_import_refuses_roles_that_may_not_import(db, client, user_with):
    client.force_login(user_with(Role.WAREHOUSE))
    assert client.get("/ops/import/").status_code == 403
    client.force_login(user_with(Role.ESTIMATOR))  # products and price lists, not customers
    upload = _csv_file("c.csv", [CUSTOMER_HEADER, ["C-1", "X", "key", "1", "30", "EUR", ""]])
    response = client.post("/ops/import/", {"kind": "customers", "file": upload})
    assert response.status_code == 400 and "Choose what to import." in response.content.decode()
    assert not Customer.objects.exists()


def test_import_rejects_an_unreadable_file(db, client, user_with):
    client.force_login(user_with(Role.CUSTOMER_SERVICE))
    bad = io.BytesIO(b"\x00\x01")
    bad.name = "customers.pdf"
    response = client.post("/ops/import/", {"kind": "customers", "file": bad})
    assert response.status_code == 400 and "Upload a .csv or .xlsx file." in response.content.decode()
    missing = _csv_file("c.csv", [["code"], ["C-1"]])
    response = client.post("/ops/import/", {"kind": "customers", "file": missing})
    assert response.status_code == 400 and "Missing column(s)." in response.content.decode()


def test_import_command_reports_progress_and_errors(db, tmp_path, user_with, capsys):
    user_with(Role.CUSTOMER_SERVICE, username="cs")
    good = tmp_path / "customers.csv"
    good.write_text("code,name\nC-1,One\nC-2,Two\n")
    call_command("import_data", "customers", str(good), "--user", "cs")
    out = capsys.readouterr()
    assert "2 were created, 0 were updated (2 rows)." in out.out
    assert "customers: 2/2 done in" in out.err
    bad = tmp_path / "bad.csv"
    bad.write_text("code,name\nC-3,Three\nC-4,\n")
    with pytest.raises(CommandError, match="1 error"):
        call_command("import_data", "customers", str(bad), "--user", "cs")
    assert "line 3: name: This field is required." in capsys.readouterr().err
    assert Customer.objects.count() == 2


# --- export ----------------------------------------------------------------------------------


def _csv_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_exporting_the_order_list_gives_every_filtered_row_of_every_page(db, client, user_with):
    for n in range(30):
        OrderFactory(number=f"E-{n:03d}", status=OrderStatus.ENTERED)
    for n in range(4):
        OrderFactory(number=f"D-{n:03d}", status=OrderStatus.DRAFT)
    client.force_login(user_with(Role.SALES_REP))
    response = client.get("/orders/?status=entered&export=csv")
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="order_list.csv"'
    rows = _csv_rows(response)
    assert rows[0][:4] == ["Order", "Customer", "PO", "Status"]
    assert sorted(row[0] for row in rows[1:]) == [f"E-{n:03d}" for n in range(30)]  # two pages of 25
    assert {row[3] for row in rows[1:]} == {"Entered"}
    page = client.get("/orders/?status=entered").content.decode()
    assert 'href="?status=entered&export=csv"' in page


def test_export_respects_role_scoping_and_access(db, client, user_with):
    rep = user_with(Role.SALES_REP)
    CustomerFactory(name="Mine", sales_rep=rep)
    CustomerFactory(name="Someone else's")
    client.force_login(rep)
    rows = _csv_rows(client.get("/orders/customers/?export=csv"))
    assert [row[0] for row in rows[1:]] == [c.code for c in Customer.objects.filter(name="Mine")]
    assert "Someone else's" not in str(rows)
    client.force_login(user_with(Role.WAREHOUSE))
    assert client.get("/orders/customers/?export=csv").status_code == 403


def test_export_of_alerts_is_scoped_to_the_users_departments(db, client, user_with, overdue_handoff):
    order = overdue_handoff(hours_late=1).order
    handoffs_scan_overdue.delay()
    client.force_login(user_with(Role.REVIEW_BOARD))  # management: the alert is theirs
    rows = _csv_rows(client.get("/orders/alerts/?export=csv"))
    assert rows[0][:3] == ["Order", "Level", "Department"]
    assert [row[:3] for row in rows[1:]] == [[order.number, "Overdue", "Senior management"]]
    client.force_login(user_with(Role.WAREHOUSE))  # logistics: not theirs
    response = client.get("/orders/alerts/?export=csv")
    assert response.status_code == 200 and response["X-Export-Rows"] == "0"
    assert _csv_rows(response) == []


def test_export_as_xlsx(db, client, user_with):
    OrderFactory(number="X-1", status=OrderStatus.ENTERED)
    client.force_login(user_with(Role.SALES_REP))
    response = client.get("/orders/?export=xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert values[0][0] == "Order" and values[1][0] == "X-1"
    assert client.get("/orders/?export=pdf").status_code == 400


def test_export_stops_at_the_row_limit_and_says_so(db, settings, client, user_with):
    settings.OMC_EXPORT_MAX_ROWS = 30
    for n in range(60):
        OrderFactory(number=f"L-{n:03d}")
    client.force_login(user_with(Role.SALES_REP))
    response = client.get("/orders/?export=csv")
    assert len(_csv_rows(response)) == 31
    assert response["X-Export-Truncated"].startswith("only the first 30 rows")


# --- progress --------------------------------------------------------------------------------


def test_progress_prints_count_rate_and_time_left():
    now = [0.0]
    out = io.StringIO()
    progress = Progress(total=100, label="seed", stream=out, every_seconds=5, clock=lambda: now[0])
    for _ in range(40):
        now[0] += 0.5
        progress.advance()
    progress.done()
    lines = out.getvalue().splitlines()
    assert lines[0] == "seed: 1/100 (1%), 2.0/s, ETA 00:50"
    assert "seed: 31/100 (31%), 2.0/s, ETA 00:34" in lines
    assert lines[-1] == "seed: 40/100 done in 00:20"


# --- queues ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "task,queue",
    [
        ("orders.tasks.outbox_deliver", "handoffs"),
        ("orders.tasks.outbox_relay", "handoffs"),
        ("fulfillment.tasks.backorders_retry", "handoffs"),
        ("orders.tasks.handoffs_scan_overdue", "alerts"),
        ("billing.tasks.invoice_send", "documents"),
        ("billing.tasks.invoices_send_reminders", "documents"),
        ("billing.tasks.invoices_build_consolidated", "reports"),
        ("aftersales.tasks.maintenance_visits_generate", "reports"),
        ("tests.ops.task_that_fails", "omc"),
    ],
)
def test_each_task_is_routed_to_its_queue(task, queue):
    assert celery_app.amqp.router.route({}, task)["queue"].name == queue


def test_every_task_the_apps_define_has_a_queue():
    celery_app.loader.import_default_modules()
    ours = {name for name in celery_app.tasks if not name.startswith(("celery.", "tests."))}
    assert ours <= set(celery_app.conf.task_routes), ours - set(celery_app.conf.task_routes)
