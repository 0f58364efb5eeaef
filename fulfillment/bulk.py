"""Demo shipments at scale (`seed_shipments --bulk`), set-based from the seeded orders' events.

Every `ship` event of an order without shipments becomes a shipment of the order's site: picked
and packed between the order's `mark_ready` (or previous ship) event and the ship event,
shipped at the ship event with a carrier and tracking number, and delivered at the order's
`deliver` event if it has one. Its lines are what the event shipped: everything shipped when
the order shipped at once; line 1 with the first of two ship events and the other lines with
the second (the demo's partial path). Stock levels and movements are not touched (seed_stock
holds the demo's stock); docs/performance.md, "Seeding".
"""

from orders import bulk
from orders.services import number_reserve

from .models import Shipment

CARRIERS = ("DHL", "UPS", "FedEx", "Kerry Express")
SHIP_LINE = "(b.ships = 1 OR (b.seq = 1) = (l.line_no = 1))"  # which order lines a ship event carried


def shipments_bulk_seed(*, chunk: int = bulk.CHUNK_ORDERS, progress=None) -> bulk.BulkResult:
    """Shipments and their lines for every shipped order that has none (idempotent)."""
    user_id = bulk.demo_user_id("warehouse")
    return bulk.run_chunks(
        lambda cursor, low, high, result: _chunk(cursor, low, high, result, user_id),
        size=chunk,
        progress=progress,
        pending_sql=PENDING,
        analyze=("fulfillment_shipment", "fulfillment_shipmentline"),
    )


# a ship event of an order without shipments
PENDING = """
    SELECT 1 FROM orders_orderevent e
    WHERE e.action = 'ship' AND NOT EXISTS (SELECT 1 FROM fulfillment_shipment s WHERE s.order_id = e.order_id)
"""


def _chunk(cursor, low: int, high: int, result: bulk.BulkResult, user_id: int | None) -> None:
    cursor.execute("DROP TABLE IF EXISTS bulk_ship")
    cursor.execute(
        """
        CREATE TEMP TABLE bulk_ship ON COMMIT DROP AS
        SELECT e.order_id, o.site_id, e.created_at AS shipped_at,
            row_number() OVER w AS seq, count(*) OVER (PARTITION BY e.order_id) AS ships,
            COALESCE(lag(e.created_at) OVER w, x.ready_at, e.created_at - interval '4 hours') AS ready_at,
            x.delivered_at
        FROM orders_orderevent e
        JOIN orders_order o ON o.id = e.order_id
        LEFT JOIN (
            SELECT order_id, MAX(created_at) FILTER (WHERE action = 'mark_ready') AS ready_at,
                MIN(created_at) FILTER (WHERE action = 'deliver') AS delivered_at
            FROM orders_orderevent
            WHERE order_id BETWEEN %(low)s AND %(high)s AND action IN ('mark_ready', 'deliver')
            GROUP BY order_id
        ) x ON x.order_id = e.order_id
        WHERE e.action = 'ship' AND e.order_id BETWEEN %(low)s AND %(high)s
            AND NOT EXISTS (SELECT 1 FROM fulfillment_shipment s WHERE s.order_id = e.order_id)
        WINDOW w AS (PARTITION BY e.order_id ORDER BY e.created_at, e.id)
        """,
        {"low": low, "high": high},
    )
    # a ship event that carried nothing (a one-line order on the partial path) makes no shipment
    cursor.execute(
        f"""
        DELETE FROM bulk_ship b WHERE NOT EXISTS (
            SELECT 1 FROM orders_orderline l WHERE l.order_id = b.order_id AND l.quantity_shipped > 0 AND {SHIP_LINE}
        )
        """
    )
    cursor.execute("SELECT count(*), count(DISTINCT order_id) FROM bulk_ship")
    count, orders = cursor.fetchone()
    result.orders += orders
    if not count:
        return
    first = number_reserve(name="shipment", count=count)
    carriers = "ARRAY[" + ", ".join(f"'{c}'" for c in CARRIERS) + "]"
    cursor.execute(
        f"""
        INSERT INTO fulfillment_shipment (
            number, order_id, site_id, status, packages, weight_kg, carrier, service, tracking_number, ship_date,
            ship_to_third_party, ship_to_name, ship_to_address, created_by_id, created_at, packed_at, shipped_at,
            delivered_at
        )
        SELECT 'SH-' || {bulk.padded(f"{first} + b.rank - 1", 7)}, b.order_id, b.site_id,
            CASE WHEN b.delivered_at IS NULL THEN %(shipped)s ELSE %(delivered)s END,
            1 + mod(b.order_id + b.seq, 3), 5 + mod(b.order_id, 40),
            ({carriers})[1 + mod(b.order_id + b.seq, {len(CARRIERS)})], 'Standard',
            'TRK' || lpad(b.order_id::text, 8, '0') || b.site_id || CASE WHEN b.seq > 1 THEN '-' || b.seq ELSE '' END,
            {bulk.local_date("b.shipped_at")}, false, '', '', %(user)s,
            b.ready_at + (b.shipped_at - b.ready_at) * 0.25, b.ready_at + (b.shipped_at - b.ready_at) * 0.75,
            b.shipped_at, b.delivered_at
        FROM (SELECT *, row_number() OVER (ORDER BY shipped_at, order_id, seq) AS rank FROM bulk_ship) b
        """,
        {"shipped": Shipment.Status.SHIPPED, "delivered": Shipment.Status.DELIVERED, "user": user_id},
    )
    result.add("shipments", cursor.rowcount)
    cursor.execute(
        f"""
        INSERT INTO fulfillment_shipmentline (shipment_id, order_line_id, quantity_picked, quantity_packed)
        SELECT s.id, l.id, l.quantity_shipped, l.quantity_shipped
        FROM bulk_ship b
        JOIN fulfillment_shipment s ON s.order_id = b.order_id AND s.shipped_at = b.shipped_at
        JOIN orders_orderline l ON l.order_id = b.order_id AND l.quantity_shipped > 0 AND {SHIP_LINE}
        """
    )
    result.add("shipment lines", cursor.rowcount)
