"""Demo returns at scale (`seed_returns --bulk`), set-based from the seeded orders' events.

About one delivered order line in RETURN_EVERY (chosen by its id) partly comes back: a fifth of
what was shipped, at least one unit. The returned lines of an order make one RMA, requested a
few days after the order's `deliver` event (within the return policy's days), approved,
received at the order's site, inspected for repair and completed — each step after the one
before, all in the past — and the received quantities count as returned on the order lines, as
`services.rma_receive` books them. Only deliveries at least RECENT_DAYS old take part, so the
whole life fits before today. Refunds (credit notes) are not made here: the resolution is a
repair; docs/performance.md, "Seeding".
"""

from orders import bulk

from .models import ReturnAuthorization
from .selectors import return_policy

RMA = ReturnAuthorization
RETURN_EVERY = 33  # ~3 % of the delivered lines
RECENT_DAYS = 14
REASONS = (RMA.Reason.DEFECTIVE, RMA.Reason.DAMAGED, RMA.Reason.WRONG_ITEM, RMA.Reason.NOT_AS_DESCRIBED)


def returns_bulk_seed(*, chunk: int = bulk.CHUNK_ORDERS, progress=None) -> bulk.BulkResult:
    """RMAs with their lines for ~3 % of delivered lines of orders without returns (idempotent)."""
    users = {"service": bulk.demo_user_id("service"), "warehouse": bulk.demo_user_id("warehouse")}
    days = max(1, min(return_policy().days_since_delivery, RECENT_DAYS) - 4)  # requested within the policy
    return bulk.run_chunks(
        lambda cursor, low, high, result: _chunk(cursor, low, high, result, users=users, days=days),
        size=chunk,
        progress=progress,
        pending_sql=PENDING,
        analyze=("returns_returnauthorization", "returns_returnline", "orders_orderline"),
    )


# Delivered long enough ago, with a line picked to come back, and no returns yet.
DELIVERED_BEFORE = f"now() - interval '{RECENT_DAYS} days'"
PICKED_LINE = f"l.quantity_shipped > 0 AND mod(l.id, {RETURN_EVERY}) = 0"
NO_RETURNS = """NOT EXISTS (
    SELECT 1 FROM orders_orderline r_l JOIN returns_returnline r ON r.order_line_id = r_l.id WHERE r_l.order_id = {0}
)"""
PENDING = f"""
    SELECT 1 FROM orders_orderevent e
    WHERE e.action = 'deliver' AND e.created_at < {DELIVERED_BEFORE}
        AND EXISTS (SELECT 1 FROM orders_orderline l WHERE l.order_id = e.order_id AND {PICKED_LINE})
        AND {NO_RETURNS.format("e.order_id")}
"""


def _chunk(cursor, low: int, high: int, result: bulk.BulkResult, *, users, days) -> None:
    reasons = "ARRAY[" + ", ".join(f"'{reason.value}'" for reason in REASONS) + "]"
    cursor.execute("DROP TABLE IF EXISTS bulk_return")
    cursor.execute(
        f"""
        CREATE TEMP TABLE bulk_return ON COMMIT DROP AS
        SELECT o.id AS order_id, o.customer_id, o.site_id,
            d.delivered_at + interval '1 day' * (1 + mod(o.id, %(days)s)) AS requested_at,
            NULL::text AS number
        FROM orders_order o
        JOIN (
            SELECT order_id, MIN(created_at) AS delivered_at FROM orders_orderevent
            WHERE order_id BETWEEN %(low)s AND %(high)s AND action = 'deliver' GROUP BY order_id
        ) d ON d.order_id = o.id
        WHERE o.id BETWEEN %(low)s AND %(high)s AND d.delivered_at < {DELIVERED_BEFORE}
            AND EXISTS (SELECT 1 FROM orders_orderline l WHERE l.order_id = o.id AND {PICKED_LINE})
            AND {NO_RETURNS.format("o.id")}
        """,
        {"low": low, "high": high, "days": days},
    )
    cursor.execute("SELECT EXTRACT(YEAR FROM requested_at)::int, count(*) FROM bulk_return GROUP BY 1 ORDER BY 1")
    year_counts = cursor.fetchall()
    if not year_counts:
        return
    year = "EXTRACT(YEAR FROM requested_at)::int"
    first = bulk.numbers_per_year(series="rma", year_counts=year_counts, year_sql=year)
    cursor.execute(
        f"""
        UPDATE bulk_return b SET number = 'RMA-' || {year} || '-' || {bulk.padded(f"{first} + rank - 1", 6)}
        FROM (
            SELECT order_id, row_number() OVER (PARTITION BY {year} ORDER BY requested_at, order_id) AS rank
            FROM bulk_return
        ) r
        WHERE r.order_id = b.order_id
        """
    )
    cursor.execute(
        f"""
        INSERT INTO returns_returnauthorization (
            number, customer_id, status, reason, resolution, note, site_id, rejection_reason, credit_failure,
            credit_note_numbers, created_by_id, created_at, approved_by_id, approved_at, received_by_id,
            received_at, inspected_by_id, inspected_at, completed_at
        )
        SELECT number, customer_id, %(completed)s, ({reasons})[1 + mod(order_id, {len(REASONS)})], %(repair)s, '',
            site_id, '', '', '', %(service)s, requested_at, %(service)s, requested_at + interval '2 hours',
            %(warehouse)s, requested_at + interval '3 days', %(warehouse)s, requested_at + interval '3 days 4 hours',
            requested_at + interval '3 days 4 hours'
        FROM bulk_return ORDER BY requested_at, order_id
        """,
        {
            "completed": RMA.Status.COMPLETED,
            "repair": RMA.Resolution.REPAIR,
            "service": users["service"],
            "warehouse": users["warehouse"],
        },
    )
    result.add("RMAs", cursor.rowcount)
    result.orders += cursor.rowcount
    cursor.execute(
        f"""
        WITH returned AS (
            INSERT INTO returns_returnline (
                rma_id, order_line_id, quantity, quantity_received, disposition, inspection_note
            )
            SELECT a.id, l.id, q.quantity, q.quantity, 'repair', ''
            FROM bulk_return b
            JOIN returns_returnauthorization a ON a.number = b.number
            JOIN orders_orderline l ON l.order_id = b.order_id AND {PICKED_LINE}
            CROSS JOIN LATERAL (
                SELECT LEAST(l.quantity_shipped - l.quantity_returned, GREATEST(1, CEIL(l.quantity_shipped / 5)))
                    AS quantity
            ) q
            WHERE q.quantity > 0
            RETURNING order_line_id, quantity_received
        )
        UPDATE orders_orderline l SET quantity_returned = l.quantity_returned + r.quantity_received
        FROM returned r WHERE r.order_line_id = l.id
        """
    )
    result.add("order lines returned", cursor.rowcount)
