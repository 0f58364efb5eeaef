"""Helpers for the step apps' set-based demo seeds (`seed_* --bulk`, docs/performance.md).

At 1,000,000 orders the step apps' documents cannot go through their services order by order;
each app derives them from the seeded orders' events with INSERT ... SELECT, a chunk of order
ids per transaction. What they share lives here: the chunks, the local date and the currency's
rounding as SQL, numbers reserved per year, and the demo user who acts. PostgreSQL only.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction

from .money import CURRENCY_DECIMALS
from .services import number_reserve

CHUNK_ORDERS = 20_000


@dataclass
class BulkResult:
    """Rows written per table, and the orders looked at."""

    orders: int = 0
    rows: dict[str, int] = field(default_factory=dict)

    def add(self, table: str, count: int) -> None:
        self.rows[table] = self.rows.get(table, 0) + max(count, 0)

    @property
    def written(self) -> int:
        return sum(self.rows.values())

    def summary(self) -> str:
        return ", ".join(f"{count:,} {table}" for table, count in self.rows.items()) or "nothing"


def require_postgresql() -> None:
    if connection.vendor != "postgresql":
        raise RuntimeError("The bulk seeds are PostgreSQL only (INSERT ... SELECT over the whole data set).")


def order_chunks(size: int = CHUNK_ORDERS) -> Iterator[tuple[int, int]]:
    """(first id, last id) ranges covering every order, `size` ids each."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT MIN(id), MAX(id) FROM orders_order")
        first, last = cursor.fetchone()
    if first is None:
        return
    for low in range(first, last + 1, size):
        yield low, min(low + size - 1, last)


def pending(sql: str, params=None) -> bool:
    """Whether `SELECT EXISTS (sql)` finds an order still without its documents."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT EXISTS ({sql})", params)
        return cursor.fetchone()[0]


def run_chunks(
    step: Callable[[object, int, int, BulkResult], None],
    *,
    size: int = CHUNK_ORDERS,
    progress: Callable[[int, int], None] | None = None,
    pending_sql: str | None = None,
    analyze: tuple[str, ...] = (),
) -> BulkResult:
    """Run `step(cursor, first_id, last_id, result)` per chunk of order ids, each chunk in its
    own transaction (an interrupted run keeps the chunks done; the steps skip orders that have
    their documents already, so running again completes it). With `pending_sql` (an EXISTS
    query for an order still without its documents), nothing runs when there is none. The
    `analyze` tables get fresh statistics once something was written: the dashboard's rollups
    read them next, and with none the planner took 680,000 posted invoices for 4 and probed the
    status index once per invoice (a rollup rebuild ran for minutes instead of seconds)."""
    require_postgresql()
    result = BulkResult()
    if pending_sql is not None and not pending(pending_sql):
        return result
    with connection.cursor() as cursor:
        # Statistics first: right after a COPY load the planner would guess one row per chunk
        # and nest loops over every event of it (a 20,000-order chunk: 55 s instead of 0.5 s).
        cursor.execute("ANALYZE orders_order, orders_orderline, orders_orderevent, orders_customer")
    chunks = list(order_chunks(size))
    for n, (low, high) in enumerate(chunks, start=1):
        with transaction.atomic(), connection.cursor() as cursor:
            step(cursor, low, high, result)
        if progress:
            progress(n, len(chunks))
    if analyze and result.written:
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {', '.join(analyze)}")
    return result


def local_date(expression: str) -> str:
    """SQL: the date of a timestamp in the project's time zone (what timezone.localdate() gives)."""
    zone = settings.TIME_ZONE.replace("'", "")
    return f"(({expression}) AT TIME ZONE '{zone}')::date"


def currency_decimals(column: str) -> str:
    """SQL: the currency's minor-unit digits (orders.money.CURRENCY_DECIMALS; others 2)."""
    cases = " ".join(f"WHEN '{code}' THEN {digits}" for code, digits in sorted(CURRENCY_DECIMALS.items()))
    return f"(CASE {column} {cases} ELSE 2 END)"


def numbers_per_year(*, series: str, year_counts: list[tuple[int, int]], year_sql: str) -> str:
    """Reserve consecutive numbers of the sequence `{series}-{year}` for each (year, count), as
    the services do one at a time (orders.services.number_reserve), and return SQL for the first
    number of a row's year (`year_sql`): add the row's rank in its year, minus one."""
    if not year_counts:
        return "NULL::bigint"
    cases = [
        f"WHEN {int(year)} THEN {int(number_reserve(name=f'{series}-{year}', count=count))}"
        for year, count in year_counts
    ]
    return f"(CASE {year_sql} {' '.join(cases)} END)"


def padded(number_sql: str, digits: int) -> str:
    """SQL: f"{number:0{digits}d}" (longer numbers are not cut)."""
    return f"lpad(({number_sql})::text, GREATEST({digits}, length(({number_sql})::text)), '0')"


def demo_user_id(username: str) -> int | None:
    """The seeded demo user who acts for a department (orders.demo.DEMO_USERS), if any."""
    return get_user_model().objects.filter(username=username).values_list("pk", flat=True).first()


def add_arguments(parser) -> None:
    """A seed command's `--bulk` and `--no-facts` options."""
    parser.add_argument(
        "--bulk",
        action="store_true",
        help="Every order's documents at once, set-based from the seeded orders' events (PostgreSQL; for 100,000+ "
        "orders). Orders that have them already are skipped, so a second run writes nothing.",
    )
    parser.add_argument(
        "--no-facts",
        action="store_true",
        help="With --bulk: leave the dashboard's facts and rollups to a later order_facts_backfill --no-events.",
    )


def command_run(command, seed: Callable[[], BulkResult], *, facts: bool = True) -> BulkResult:
    """Run a bulk seed for a management command: report rows and time, then (if it wrote anything
    and `facts`) rebuild the dashboard's facts and rollups, which read the new documents."""
    from .services import order_facts_backfill

    started = time.perf_counter()
    result = seed()
    seconds = time.perf_counter() - started
    command.stdout.write(command.style.SUCCESS(f"Bulk: {result.summary()} in {seconds:.1f} s."))
    if facts and result.written:
        started = time.perf_counter()
        order_facts_backfill(events=False)
        command.stdout.write(f"Dashboard facts and rollups rebuilt in {time.perf_counter() - started:.1f} s.")
    return result
