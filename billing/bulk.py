"""Demo invoices, credit notes and payments at scale (`seed_billing --bulk`), set-based from the
seeded orders' events.

An order that reached `invoiced` gets one invoice per `ship` event (what the `order.ship`
hand-off drafts, keyed `shipment-event:<id>` as there): drafted at the ship event, posted at the
order's `invoice` event, its lines the order lines that event shipped at the agreed price and
discount with the tax rate `services.tax_rate_for` gives, each amount rounded once to the
currency's minor unit and the totals plain sums (docs/billing.md). Every 50th invoice is
corrected by a posted credit note (a tenth of its first line's unit price, halfway between
posting and payment or today); every 70th is marked disputed. A paid order's invoices are paid
at its `paid` event by one payment each, allocated in full. Numbers come from the services'
yearly sequences. The documents are written as drafts and then posted by one UPDATE, so the
append-only triggers on posted invoices hold. Customers billed monthly are billed per shipment
here too (the consolidation run is not replayed); docs/performance.md, "Seeding".
"""

from django.conf import settings
from django.utils import timezone

from orders import bulk

CREDIT_EVERY = 50
DISPUTE_EVERY = 70
CREDIT_REASON = "Price difference agreed with the customer"
SHIP_LINE = "(b.ships = 1 OR (b.seq = 1) = (l.line_no = 1))"  # which order lines a ship event carried


def invoices_bulk_seed(*, chunk: int = bulk.CHUNK_ORDERS, progress=None) -> bulk.BulkResult:
    """Posted invoices (and their credit notes and payments) for every invoiced order without
    invoices (idempotent)."""
    user_id = bulk.demo_user_id("finance")
    now = timezone.now()
    return bulk.run_chunks(
        lambda cursor, low, high, result: _chunk(cursor, low, high, result, user_id=user_id, now=now),
        size=chunk,
        progress=progress,
        pending_sql=PENDING,
        analyze=("billing_invoice", "billing_invoiceline", "billing_payment", "billing_paymentallocation"),
    )


# an invoiced order without invoices
PENDING = """
    SELECT 1 FROM orders_orderevent e
    WHERE e.to_status = 'invoiced' AND NOT EXISTS (SELECT 1 FROM billing_invoice i WHERE i.order_id = e.order_id)
"""


def _numbers(cursor, *, table: str, series: str, prefix: str, date_column: str) -> str:
    """Reserve this chunk's numbers per year; SQL for a row's number (needs its `rank` in the year)."""
    cursor.execute(f"SELECT EXTRACT(YEAR FROM {date_column})::int, count(*) FROM {table} GROUP BY 1 ORDER BY 1")
    year = f"EXTRACT(YEAR FROM {date_column})::int"
    first = bulk.numbers_per_year(series=series, year_counts=cursor.fetchall(), year_sql=year)
    return f"'{prefix}-' || {year} || '-' || {bulk.padded(f'{first} + rank - 1', 6)}"


def _chunk(cursor, low: int, high: int, result: bulk.BulkResult, *, user_id, now) -> None:
    dec = bulk.currency_decimals
    standard_rate = str(settings.OMC_STANDARD_TAX_RATE_PERCENT)
    params = {"low": low, "high": high, "now": now, "user": user_id, "standard_rate": standard_rate}
    for table in ("bulk_invoice", "bulk_invoice_line", "bulk_credit"):
        cursor.execute(f"DROP TABLE IF EXISTS {table}")
    cursor.execute(
        f"""
        CREATE TEMP TABLE bulk_invoice ON COMMIT DROP AS
        SELECT e.id AS event_id, NULL::bigint AS invoice_id, e.order_id, o.customer_id, o.currency, o.customer_po,
            c.document_language AS language, c.billing_email AS send_to, c.payment_terms_days,
            e.created_at AS drafted_at, x.invoiced_at, x.paid_at, {bulk.local_date("x.invoiced_at")} AS issue_date,
            row_number() OVER w AS seq, count(*) OVER (PARTITION BY e.order_id) AS ships
        FROM orders_orderevent e
        JOIN (
            SELECT order_id, MIN(created_at) FILTER (WHERE to_status = 'invoiced') AS invoiced_at,
                MIN(created_at) FILTER (WHERE to_status = 'paid') AS paid_at
            FROM orders_orderevent
            WHERE order_id BETWEEN %(low)s AND %(high)s AND to_status IN ('invoiced', 'paid')
            GROUP BY order_id
        ) x ON x.order_id = e.order_id AND x.invoiced_at IS NOT NULL
        JOIN orders_order o ON o.id = e.order_id
        JOIN orders_customer c ON c.id = o.customer_id
        WHERE e.action = 'ship' AND e.order_id BETWEEN %(low)s AND %(high)s
            AND NOT EXISTS (SELECT 1 FROM billing_invoice i WHERE i.order_id = e.order_id)
        WINDOW w AS (PARTITION BY e.order_id ORDER BY e.created_at, e.id)
        """,
        params,
    )
    cursor.execute(
        f"""
        CREATE TEMP TABLE bulk_invoice_line ON COMMIT DROP AS
        SELECT *, ROUND(net * tax_rate_percent / 100, {dec("currency")}) AS tax
        FROM (
            SELECT b.event_id, b.currency, l.id AS order_line_id, l.line_no, p.sku || ' ' || p.name AS description,
                l.quantity_invoiced AS quantity, COALESCE(l.unit_price, 0) AS unit_price, l.discount_percent,
                COALESCE(ct.rate_percent, pt.rate_percent, %(standard_rate)s::numeric) AS tax_rate_percent,
                ROUND(l.quantity_invoiced * COALESCE(l.unit_price, 0) * (100 - l.discount_percent) / 100,
                    {dec("b.currency")}) AS net
            FROM bulk_invoice b
            JOIN orders_orderline l ON l.order_id = b.order_id AND l.quantity_invoiced > 0 AND {SHIP_LINE}
            JOIN orders_product p ON p.id = l.product_id
            LEFT JOIN billing_customertaxrate ct ON ct.customer_id = b.customer_id
            LEFT JOIN billing_producttaxrate pt ON pt.product_id = l.product_id
        ) lines
        """,
        params,
    )
    # a ship event that carried nothing (a one-line order on the partial path) bills nothing
    cursor.execute(
        "DELETE FROM bulk_invoice b WHERE NOT EXISTS (SELECT 1 FROM bulk_invoice_line l WHERE l.event_id = b.event_id)"
    )
    cursor.execute("SELECT count(DISTINCT order_id) FROM bulk_invoice")
    result.orders += cursor.fetchone()[0]
    # 1. the invoices, as drafts (their lines can only be written before posting)
    cursor.execute(
        """
        INSERT INTO billing_invoice (
            kind, status, customer_id, order_id, currency, customer_po, language, send_to, source_key,
            subtotal, tax_total, total, amount_paid, amount_credited, issue_date, due_date,
            question, answer, reason, created_at
        )
        SELECT 'invoice', 'draft', b.customer_id, b.order_id, b.currency, b.customer_po, b.language, b.send_to,
            'shipment-event:' || b.event_id, s.net, s.tax, s.net + s.tax, 0, 0,
            b.issue_date, b.issue_date + b.payment_terms_days, '', '', '', b.drafted_at
        FROM bulk_invoice b
        JOIN (SELECT event_id, SUM(net) AS net, SUM(tax) AS tax FROM bulk_invoice_line GROUP BY event_id) s
            ON s.event_id = b.event_id
        """
    )
    invoices = cursor.rowcount
    if not invoices:
        return
    result.add("invoices", invoices)
    cursor.execute(
        "UPDATE bulk_invoice b SET invoice_id = i.id FROM billing_invoice i "
        "WHERE i.source_key = 'shipment-event:' || b.event_id"
    )
    cursor.execute(
        """
        INSERT INTO billing_invoiceline (
            invoice_id, order_line_id, description, delivery_note, quantity, unit_price, discount_percent,
            tax_rate_percent, net_amount, tax_amount
        )
        SELECT b.invoice_id, l.order_line_id, l.description, '', l.quantity, l.unit_price, l.discount_percent,
            l.tax_rate_percent, l.net, l.tax
        FROM bulk_invoice_line l JOIN bulk_invoice b ON b.event_id = l.event_id
        ORDER BY b.invoice_id, l.line_no
        """
    )
    result.add("invoice lines", cursor.rowcount)
    # 2. every CREDIT_EVERY-th invoice: a credit note for a tenth of its first line's unit price
    cursor.execute(
        f"""
        CREATE TEMP TABLE bulk_credit ON COMMIT DROP AS
        SELECT *, ROUND(net * tax_rate_percent / 100, {dec("currency")}) AS tax,
            {bulk.local_date("credited_at")} AS issue_date
        FROM (
            SELECT DISTINCT ON (b.invoice_id) b.invoice_id, b.customer_id, b.order_id, b.currency, b.customer_po,
                b.language, b.send_to, l.order_line_id, l.description, l.quantity, ROUND(l.unit_price / 10, 2) AS
                unit_price, l.discount_percent, l.tax_rate_percent,
                ROUND(l.quantity * ROUND(l.unit_price / 10, 2) * (100 - l.discount_percent) / 100,
                    {dec("b.currency")}) AS net,
                b.invoiced_at + (COALESCE(b.paid_at, %(now)s) - b.invoiced_at) / 2 AS credited_at
            FROM bulk_invoice b JOIN bulk_invoice_line l ON l.event_id = b.event_id
            WHERE mod(b.invoice_id, {CREDIT_EVERY}) = 0 AND ROUND(l.unit_price / 10, 2) > 0
            ORDER BY b.invoice_id, l.line_no
        ) credit
        """,
        params,
    )
    cursor.execute(
        """
        INSERT INTO billing_invoice (
            kind, status, customer_id, order_id, corrects_id, currency, customer_po, language, send_to,
            subtotal, tax_total, total, amount_paid, amount_credited, issue_date, due_date,
            question, answer, reason, created_at
        )
        SELECT 'credit_note', 'draft', customer_id, order_id, invoice_id, currency, customer_po, language, send_to,
            net, tax, net + tax, 0, 0, issue_date, issue_date, '', '', %(reason)s, credited_at
        FROM bulk_credit
        """,
        {"reason": CREDIT_REASON},
    )
    result.add("credit notes", cursor.rowcount)
    cursor.execute(
        """
        INSERT INTO billing_invoiceline (
            invoice_id, order_line_id, description, delivery_note, quantity, unit_price, discount_percent,
            tax_rate_percent, net_amount, tax_amount
        )
        SELECT n.id, c.order_line_id, c.description, '', c.quantity, c.unit_price, c.discount_percent,
            c.tax_rate_percent, c.net, c.tax
        FROM bulk_credit c JOIN billing_invoice n ON n.corrects_id = c.invoice_id AND n.kind = 'credit_note'
        """
    )
    result.add("credit note lines", cursor.rowcount)
    # 3. post them: numbers per year in posting order, paid and credited amounts, disputes
    invoice_number = _numbers(cursor, table="bulk_invoice", series="invoice", prefix="INV", date_column="issue_date")
    cursor.execute(
        f"""
        UPDATE billing_invoice i SET status = 'posted', number = b.number, posted_at = b.invoiced_at,
            posted_by_id = %(user)s, sent_at = b.invoiced_at, amount_credited = COALESCE(c.net + c.tax, 0),
            amount_paid = CASE WHEN b.paid_at IS NULL THEN 0 ELSE i.total - COALESCE(c.net + c.tax, 0) END,
            paid_at = b.paid_at,
            disputed_at = CASE WHEN mod(i.id, {DISPUTE_EVERY}) = {DISPUTE_EVERY // 2}
                THEN LEAST(b.invoiced_at + interval '3 days', %(now)s) END
        FROM (
            SELECT *, {invoice_number} AS number
            FROM (SELECT *, row_number() OVER (PARTITION BY EXTRACT(YEAR FROM issue_date)
                ORDER BY invoiced_at, invoice_id) AS rank FROM bulk_invoice) ranked
        ) b
        LEFT JOIN bulk_credit c ON c.invoice_id = b.invoice_id
        WHERE i.id = b.invoice_id
        """,
        params,
    )
    credit_number = _numbers(cursor, table="bulk_credit", series="credit-note", prefix="CN", date_column="issue_date")
    cursor.execute(
        f"""
        UPDATE billing_invoice n SET status = 'posted', number = c.number, posted_at = c.credited_at,
            posted_by_id = %(user)s, sent_at = c.credited_at
        FROM (
            SELECT *, {credit_number} AS number
            FROM (SELECT *, row_number() OVER (PARTITION BY EXTRACT(YEAR FROM issue_date)
                ORDER BY credited_at, invoice_id) AS rank FROM bulk_credit) ranked
        ) c
        WHERE n.corrects_id = c.invoice_id AND n.kind = 'credit_note' AND n.status = 'draft'
        """,
        params,
    )
    # 4. the payments of paid orders: one per invoice, for its balance, allocated in full
    cursor.execute(
        """
        WITH paid AS (
            SELECT i.id, i.customer_id, i.currency, i.total - i.amount_credited AS amount, i.paid_at, i.number
            FROM bulk_invoice b JOIN billing_invoice i ON i.id = b.invoice_id
            WHERE i.paid_at IS NOT NULL AND i.total > i.amount_credited
        ), payment AS (
            INSERT INTO billing_payment (
                customer_id, amount, currency, received_on, reference, unallocated, created_by_id, created_at
            )
            SELECT customer_id, amount, currency, %(received_on)s, 'Bank transfer ' || number, 0, %(user)s, paid_at
            FROM paid
            RETURNING id, reference
        )
        INSERT INTO billing_paymentallocation (payment_id, invoice_id, amount, created_at)
        SELECT payment.id, paid.id, paid.amount, paid.paid_at
        FROM payment JOIN paid ON payment.reference = 'Bank transfer ' || paid.number
        """.replace("%(received_on)s", bulk.local_date("paid_at")),
        params,
    )
    result.add("payments", cursor.rowcount)
