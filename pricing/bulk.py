"""Demo cost estimates at scale (`seed_estimates --bulk`), set-based.

Every committed order (not a draft, quote, cancelled or rejected one) without an estimate gets
the one `services.cost_estimate_calculate` gives, computed in SQL the same way: material
(quantity × standard cost), labour and set-up (routing hours × work-center rates) summed over
the lines and rounded once to the order currency's minor unit, revenue the sum of the rounded
line nets, freight from the customer's zone (else the default zone: flat + share of revenue),
margin = revenue − total cost, margin % to two places. Computed when the order was created (it
was priced as a draft); docs/performance.md, "Seeding".
"""

from orders import bulk
from orders.facts import NOT_COMMITTED


def estimates_bulk_seed(*, chunk: int = bulk.CHUNK_ORDERS, progress=None) -> bulk.BulkResult:
    """A cost estimate for every committed order without one (idempotent)."""
    not_committed = ", ".join(f"'{status.value}'" for status in NOT_COMMITTED)
    pending = f"""
        SELECT 1 FROM orders_order o WHERE o.status NOT IN ({not_committed})
            AND NOT EXISTS (SELECT 1 FROM pricing_costestimate e WHERE e.order_id = o.id)
    """
    return bulk.run_chunks(
        _chunk, size=chunk, progress=progress, pending_sql=pending, analyze=("pricing_costestimate",)
    )


def _chunk(cursor, low: int, high: int, result: bulk.BulkResult) -> None:
    dec = bulk.currency_decimals("o.currency")
    not_committed = ", ".join(f"'{status.value}'" for status in NOT_COMMITTED)
    cursor.execute(
        f"""
        INSERT INTO pricing_costestimate (
            order_id, material, labour, setup, freight, total_cost, revenue, margin, margin_percent, computed_at
        )
        SELECT order_id, material, labour, setup, freight, cost, revenue, revenue - cost,
            CASE WHEN revenue <> 0 THEN ROUND((revenue - cost) * 100 / revenue, 2) END, computed_at
        FROM (
            SELECT *, material + labour + setup + freight AS cost
            FROM (
                SELECT o.id AS order_id, o.created_at AS computed_at,
                    ROUND(l.material, {dec}) AS material, ROUND(l.labour, {dec}) AS labour,
                    ROUND(l.setup, {dec}) AS setup, l.revenue,
                    COALESCE(ROUND(z.flat_cost + l.revenue * z.percent_of_value / 100, {dec}), 0) AS freight
                FROM orders_order o
                JOIN (
                    SELECT l.order_id, SUM(l.quantity_ordered * p.standard_cost) AS material,
                        SUM(l.quantity_ordered * COALESCE(r.labour, 0)) AS labour, SUM(COALESCE(r.setup, 0)) AS setup,
                        SUM(ROUND(l.quantity_ordered * COALESCE(l.unit_price, 0) * (100 - l.discount_percent) / 100,
                            {bulk.currency_decimals("lo.currency")})) AS revenue
                    FROM orders_orderline l
                    JOIN orders_order lo ON lo.id = l.order_id
                    JOIN orders_product p ON p.id = l.product_id
                    LEFT JOIN (
                        SELECT s.product_id, SUM(s.hours_per_unit * w.hourly_rate) AS labour,
                            SUM(s.setup_hours * w.hourly_rate) AS setup
                        FROM orders_routingstep s JOIN orders_workcenter w ON w.id = s.work_center_id
                        GROUP BY s.product_id
                    ) r ON r.product_id = l.product_id
                    WHERE l.order_id BETWEEN %(low)s AND %(high)s
                    GROUP BY l.order_id
                ) l ON l.order_id = o.id
                LEFT JOIN pricing_customerdestination d ON d.customer_id = o.customer_id
                LEFT JOIN pricing_freightzone z ON z.id = COALESCE(
                    d.zone_id, (SELECT id FROM pricing_freightzone WHERE is_default LIMIT 1)
                )
                WHERE o.id BETWEEN %(low)s AND %(high)s AND o.status NOT IN ({not_committed})
            ) costs
        ) estimates
        ON CONFLICT (order_id) DO NOTHING
        """,
        {"low": low, "high": high},
    )
    result.add("cost estimates", cursor.rowcount)
    result.orders += cursor.rowcount
