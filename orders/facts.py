"""The dashboard's per-order facts (`OrderFact`): one set-based statement refreshes them.

The hub computes its own columns from the order, its lines and its events; a step app
contributes columns from its own tables by registering a query in `AppConfig.ready()`:

    facts.register(columns=("first_shipped_at", "last_shipped_at"), query=lambda: Shipment.objects
        .filter(shipped_at__isnull=False).values("order_id")
        .annotate(first_shipped_at=Min("shipped_at"), last_shipped_at=Max("shipped_at")))

`query()` returns a queryset of `order_id` plus those columns, at most one row per order;
the refresh narrows it to the orders being refreshed and LEFT JOINs it, so a column is NULL
for an order the step app has no row for. Live maintenance and the backfill run the same
statement (`order_ids=None`: every order), so they cannot disagree.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time

from django.conf import settings
from django.db import connection
from django.db.models import QuerySet
from django.utils import timezone

from .models import OrderFact
from .states import OrderStatus

S = OrderStatus
# Orders that never became a commitment are not measured.
NOT_COMMITTED = (S.DRAFT, S.QUOTED, S.CANCELLED, S.REJECTED)
HUB_COLUMNS = (
    "customer_id",
    "site_id",
    "created_at",
    "committed",
    "promised_date",
    "entered_at",
    "delivered_at",
    "paid_at",
    "value",
    "units_shipped",
    "units_returned",
    "lines_short",
)


@dataclass(frozen=True)
class FactSource:
    columns: tuple[str, ...]
    query: Callable[[], QuerySet]


_sources: list[FactSource] = []


def register(*, columns: Iterable[str], query: Callable[[], QuerySet]) -> None:
    """A step app fills `columns` of OrderFact from `query()` (order_id + those columns)."""
    columns = tuple(columns)
    known = {f.column for f in OrderFact._meta.get_fields() if hasattr(f, "column")}
    unknown = set(columns) - known
    if unknown:
        raise ValueError(f"OrderFact has no columns {sorted(unknown)}")
    if any(source.columns == columns for source in _sources):
        return
    _sources.append(FactSource(columns, query))


def _in(column: str, order_ids: list[int] | None) -> tuple[str, list]:
    if order_ids is None:
        return "", []
    return f" AND {column} IN ({', '.join(['%s'] * len(order_ids))})", list(order_ids)


def refresh(order_ids: Iterable[int] | None) -> None:
    """The one INSERT ... SELECT ... ON CONFLICT statement (see services.order_facts_refresh)."""
    if order_ids is not None:
        order_ids = sorted(set(order_ids))
        if not order_ids:
            return
    not_committed = ", ".join(f"'{status.value}'" for status in NOT_COMMITTED)
    lines_in, lines_params = _in("l.order_id", order_ids)
    events_in, events_params = _in("e.order_id", order_ids)
    orders_in, orders_params = _in("o.id", order_ids)
    joins, join_params, step_columns, step_values = [], [], [], []
    for n, source in enumerate(_sources):
        qs = source.query()
        if order_ids is not None:
            qs = qs.filter(order_id__in=order_ids)
        sql, params = qs.query.sql_with_params()
        joins.append(f"LEFT JOIN ({sql}) s{n} ON s{n}.order_id = o.id")
        join_params += list(params)
        step_columns += source.columns
        step_values += [f"s{n}.{column}" for column in source.columns]
    columns = ["order_id", *HUB_COLUMNS, *step_columns]
    sql = f"""
        INSERT INTO orders_orderfact ({", ".join(columns)})
        SELECT o.id, o.customer_id, o.site_id, o.created_at, o.status NOT IN ({not_committed}), o.promised_date,
            COALESCE(ev.entered_at, o.created_at), ev.delivered_at, ev.paid_at,
            COALESCE(ln.value, 0), COALESCE(ln.shipped, 0), COALESCE(ln.returned, 0), COALESCE(ln.short, 0)
            {"".join(", " + v for v in step_values)}
        FROM orders_order o
        LEFT JOIN (
            SELECT l.order_id,
                SUM(ROUND(l.quantity_ordered * COALESCE(l.unit_price, 0) * (100 - l.discount_percent) / 100, 2))
                    AS value,
                SUM(l.quantity_shipped) AS shipped, SUM(l.quantity_returned) AS returned,
                SUM(CASE WHEN l.quantity_shipped < l.quantity_ordered THEN 1 ELSE 0 END) AS short
            FROM orders_orderline l WHERE 1 = 1{lines_in} GROUP BY l.order_id
        ) ln ON ln.order_id = o.id
        LEFT JOIN (
            SELECT e.order_id,
                MIN(CASE WHEN e.to_status = '{S.ENTERED.value}' THEN e.created_at END) AS entered_at,
                MIN(CASE WHEN e.to_status = '{S.DELIVERED.value}' THEN e.created_at END) AS delivered_at,
                MIN(CASE WHEN e.to_status = '{S.PAID.value}' THEN e.created_at END) AS paid_at
            FROM orders_orderevent e
            WHERE e.to_status IN ('{S.ENTERED.value}', '{S.DELIVERED.value}', '{S.PAID.value}'){events_in}
            GROUP BY e.order_id
        ) ev ON ev.order_id = o.id
        {" ".join(joins)}
        WHERE 1 = 1{orders_in}
        ON CONFLICT (order_id) DO UPDATE SET {", ".join(f"{c} = excluded.{c}" for c in columns[1:])}
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [*lines_params, *events_params, *join_params, *orders_params])


def events_close_all() -> int:
    """Set every event's `ended_at` to the time of the order's next event (set-based; the
    live path is order_transition, which ends the current event when it writes the next)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE orders_orderevent SET ended_at = n.ended_at
            FROM (
                SELECT id, LEAD(created_at) OVER (PARTITION BY order_id ORDER BY created_at, id) AS ended_at
                FROM orders_orderevent
            ) n
            WHERE n.id = orders_orderevent.id AND n.ended_at IS NOT NULL
                AND (orders_orderevent.ended_at IS NULL OR orders_orderevent.ended_at <> n.ended_at)
            """
        )
        return cursor.rowcount


# --- daily rollups (KpiDay) -------------------------------------------------------------------
#
# The hub sums its facts per (day, site, customer tier); a step app contributes KpiDay columns
# from its own tables by registering a query in `AppConfig.ready()`:
#
#     facts.register_days(columns=("deliveries", "deliveries_on_time"), query=lambda since: ...)
#
# `query(since)` returns a queryset of `day`, `order_site` (the order's site id), `tier` (the
# customer's) and those columns, one row per (day, site, tier), for the days from `since` on
# (None: all days), days in the project time zone.

HUB_DAY_SUMS = (
    "promised",
    "promised_missed",
    "delivered",
    "delivered_seconds",
    "paid",
    "paid_seconds",
    "units_shipped",
    "units_returned",
    "costed",
    "margin",
    "revenue",
    "missed_orders",
    "missed_first",
)
_day_sources: list[FactSource] = []


def register_days(*, columns: Iterable[str], query: Callable[[date | None], QuerySet]) -> None:
    """A step app fills `columns` of KpiDay from `query(since)` (day, order_site, tier + those)."""
    from .models import KpiDay

    columns = tuple(columns)
    known = {f.column for f in KpiDay._meta.get_fields() if hasattr(f, "column")}
    unknown = set(columns) - known
    if unknown:
        raise ValueError(f"KpiDay has no columns {sorted(unknown)}")
    if any(source.columns == columns for source in _day_sources):
        return
    _day_sources.append(FactSource(columns, query))


def kpi_day_sums() -> tuple[str, ...]:
    return HUB_DAY_SUMS + tuple(column for source in _day_sources for column in source.columns)


def _arm(day: str, since: tuple[str, object] | None, where: str, sums: dict[str, str]) -> tuple[str, list]:
    """One KPI's sums per (day, site, tier) over the facts; the other columns are 0."""
    values = ", ".join(f"{sums.get(column, '0')} AS {column}" for column in kpi_day_sums())
    sql = (
        f"SELECT {day} AS day, f.site_id, c.tier, {values} "
        f"FROM orders_orderfact f JOIN orders_customer c ON c.id = f.customer_id "
        f"WHERE {where}{f' AND {since[0]} >= %s' if since else ''} GROUP BY 1, 2, 3"
    )
    return sql, [since[1]] if since else []


def days_refresh(since: date | None) -> int:
    """Rebuild the KpiDay rows of every day from `since` on (None: all of them) from the facts
    and the step apps' sources, in one DELETE and one INSERT ... SELECT (see
    services.kpi_days_refresh). PostgreSQL only."""
    if since is not None:
        since = since.replace(day=1)  # the monthly past-due figure is rebuilt for whole months
    tz = settings.TIME_ZONE.replace("'", "")
    local = "(f.{0} AT TIME ZONE '" + tz + "')::date"
    seconds = "SUM(EXTRACT(EPOCH FROM f.{0}) - EXTRACT(EPOCH FROM f.entered_at))"
    since_at = None if since is None else timezone.make_aware(datetime.combine(since, time.min))

    def after(column: str, value) -> tuple[str, object] | None:
        return None if since is None else (column, value)

    arms = [
        _arm(
            "f.promised_date",
            after("f.promised_date", since),
            "f.committed AND f.promised_date IS NOT NULL",
            {
                "promised": "COUNT(*)",
                "promised_missed": f"COUNT(*) FILTER (WHERE f.lines_short > 0 OR {local.format('last_shipped_at')} "
                "> f.promised_date)",
            },
        ),
        _arm(
            local.format("delivered_at"),
            after("f.delivered_at", since_at),
            "f.delivered_at IS NOT NULL",
            {"delivered": "COUNT(*)", "delivered_seconds": seconds.format("delivered_at")},
        ),
        _arm(
            local.format("paid_at"),
            after("f.paid_at", since_at),
            "f.paid_at IS NOT NULL",
            {"paid": "COUNT(*)", "paid_seconds": seconds.format("paid_at")},
        ),
        _arm(
            local.format("first_shipped_at"),
            after("f.first_shipped_at", since_at),
            "f.first_shipped_at IS NOT NULL",
            {"units_shipped": "SUM(f.units_shipped)", "units_returned": "SUM(f.units_returned)"},
        ),
        _arm(
            local.format("created_at"),
            after("f.created_at", since_at),
            "f.committed AND f.margin IS NOT NULL",
            {"costed": "COUNT(*)", "margin": "SUM(f.margin)", "revenue": "COALESCE(SUM(f.revenue), 0)"},
        ),
    ]
    # Orders that missed a hand-off due in the month (any kind), on the month's first day.
    values = ", ".join(
        "COUNT(DISTINCT h.order_id) AS missed_orders" if column == "missed_orders" else f"0 AS {column}"
        for column in kpi_day_sums()
    )
    month = "date_trunc('month', h.due_at AT TIME ZONE '" + tz + "')::date"
    arms.append(
        (
            f"SELECT {month} AS day, o.site_id, c.tier, {values} FROM orders_handoff h "
            "JOIN orders_order o ON o.id = h.order_id JOIN orders_customer c ON c.id = o.customer_id "
            "WHERE ((h.closed_at IS NULL AND h.due_at <= now()) OR h.closed_at > h.due_at)"
            f"{'' if since is None else ' AND h.due_at >= %s'} GROUP BY 1, 2, 3",
            [] if since is None else [since_at],
        )
    )
    # The same per day of each order's first missed hand-off of the month (additive in a month:
    # the dashboard adds this month's days before today and reads only today's hand-offs live).
    values = ", ".join("COUNT(*) AS missed_first" if c == "missed_first" else f"0 AS {c}" for c in kpi_day_sums())
    arms.append(
        (
            f"SELECT (m.first_due AT TIME ZONE '{tz}')::date AS day, o.site_id, c.tier, {values} FROM ("
            "SELECT h.order_id, MIN(h.due_at) AS first_due FROM orders_handoff h "
            "WHERE ((h.closed_at IS NULL AND h.due_at <= now()) OR h.closed_at > h.due_at)"
            f"{'' if since is None else ' AND h.due_at >= %s'} GROUP BY h.order_id, {month}) AS m "
            "JOIN orders_order o ON o.id = m.order_id JOIN orders_customer c ON c.id = o.customer_id GROUP BY 1, 2, 3",
            [] if since is None else [since_at],
        )
    )
    for n, source in enumerate(_day_sources):
        sql, params = source.query(since).query.sql_with_params()
        values = ", ".join(column if column in source.columns else f"0 AS {column}" for column in kpi_day_sums())
        arms.append((f"SELECT day, order_site AS site_id, tier, {values} FROM ({sql}) AS d{n}", list(params)))
    columns = ", ".join(kpi_day_sums())
    sums = ", ".join(f"SUM({column})" for column in kpi_day_sums())
    params = [param for _, arm_params in arms for param in arm_params]
    with connection.cursor() as cursor:
        # One rebuild at a time (the beat's and a backfill's); readers keep their snapshot.
        cursor.execute("LOCK TABLE orders_kpiday IN SHARE ROW EXCLUSIVE MODE")
        if since is None:
            cursor.execute("DELETE FROM orders_kpiday")
        else:
            cursor.execute("DELETE FROM orders_kpiday WHERE day >= %s", [since])
            params.append(since)
        cursor.execute(
            f"INSERT INTO orders_kpiday (day, site_id, tier, {columns}) "
            f"SELECT day, site_id, tier, {sums} FROM ({' UNION ALL '.join(sql for sql, _ in arms)}) AS arms "
            f"WHERE day IS NOT NULL{'' if since is None else ' AND day >= %s'} GROUP BY day, site_id, tier",
            params,
        )
        return cursor.rowcount
