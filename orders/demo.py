"""The demo company: deterministic for a given seed, bulk-inserted so it scales to 100k+ orders.

Orders are walked through real paths of the transition table with plausible waits,
so their events, owner departments and hand-offs are what order_transition would
have written (the hand-off rule is the same function, services.handoff_rule).
"""

import random
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from itertools import accumulate

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import connection, transaction
from django.utils import timezone

from .models import (
    Alert,
    Customer,
    DepartmentSetting,
    Handoff,
    Order,
    OrderEvent,
    OrderLine,
    Product,
    RoutingStep,
    Site,
    StepServiceLevel,
    WorkCenter,
)
from .roles import ROLE_DEPARTMENT, Department, Role
from .services import (
    handoff_rule,
    handoffs_scan_overdue,
    number_reserve,
    order_facts_backfill,
    order_number_format,
)
from .states import OWNER_DEPARTMENT, STATUS_STEP, TRANSITIONS, OrderStatus

DEMO_PASSWORD = "omc-demo-2026"
DEMO_USERS = {
    Role.SALES_REP: ("sales", "Sofia", "Rossi"),
    Role.DEMAND_PLANNER: ("planner", "Paul", "Nguyen"),
    Role.ESTIMATOR: ("estimator", "Elena", "Conti"),
    Role.CUSTOMER_SERVICE: ("service", "Sam", "Wijaya"),
    Role.REVIEW_BOARD: ("board", "Bea", "Marino"),
    Role.SCHEDULER: ("scheduler", "Sergio", "Tan"),
    Role.WAREHOUSE: ("warehouse", "Wanda", "Lim"),
    Role.FINANCE: ("finance", "Fiona", "Chen"),
    Role.FIELD_SERVICE: ("field", "Felix", "Somchai"),
    Role.EXECUTIVE: ("exec", "Erika", "Bianchi"),
}

S = OrderStatus
# Paths through the transition table: (action, status reached). Each demo order follows
# one and stops part-way if it is recent, so every status is represented.
HAPPY_PATH = [
    ("submit", S.ENTERED),
    ("accept", S.ACCEPTED),
    ("schedule", S.SCHEDULED),
    ("start", S.IN_PRODUCTION),
    ("mark_ready", S.READY_TO_SHIP),
    ("ship", S.SHIPPED),
    ("deliver", S.DELIVERED),
    ("invoice", S.INVOICED),
    ("record_payment", S.PAID),
    ("close", S.CLOSED),
]
FROM_STOCK = HAPPY_PATH[:2] + HAPPY_PATH[4:]  # accepted straight to ready_to_ship
QUOTED_FIRST = [("quote", S.QUOTED)] + HAPPY_PATH
WITH_HOLD = [("submit", S.ENTERED), ("hold", S.ON_HOLD), ("release", S.ENTERED)] + HAPPY_PATH[1:]
PARTIAL = HAPPY_PATH[:5] + [("ship", S.PARTIALLY_SHIPPED), ("ship", S.SHIPPED)] + HAPPY_PATH[6:]
REJECTED = [("submit", S.ENTERED), ("reject", S.REJECTED)]
CANCELLED = [("submit", S.ENTERED), ("accept", S.ACCEPTED), ("cancel", S.CANCELLED)]
STUCK_DRAFT = []
STILL_ON_HOLD = WITH_HOLD[:2]
BULK_LOAD_ORDERS = 50_000  # from here on, rebuilding indexes after the load is faster
OPEN_SHARE = 0.3  # orders still somewhere in the cycle; the rest are old and complete
PATHS = [
    (HAPPY_PATH, 40),
    (FROM_STOCK, 20),
    (QUOTED_FIRST, 10),
    (WITH_HOLD, 8),
    (PARTIAL, 10),
    (REJECTED, 4),
    (CANCELLED, 4),
    (STUCK_DRAFT, 4),
    (STILL_ON_HOLD, 2),
]
NOTES = {
    "hold": "Credit limit exceeded: waiting for payment of overdue invoices.",
    "release": "Customer paid the overdue invoices.",
    "reject": "Below minimum margin and no spare capacity this quarter.",
    "cancel": "Customer withdrew the order.",
}
CUSTOMER_WORDS = [
    "Alpine",
    "Baltic",
    "Delta",
    "Granite",
    "Harbor",
    "Lumen",
    "Meridian",
    "Nordic",
    "Orion",
    "Pacific",
    "Quarry",
    "Riviera",
    "Summit",
    "Terra",
    "Vertex",
    "Zenith",
    "Sakura",
    "Mekong",
    "Java",
    "Chao Phraya",
    "Formosa",
    "Adriatic",
]
CUSTOMER_KINDS = [
    "Machinery",
    "Packaging",
    "Motors",
    "Foods",
    "Plastics",
    "Textiles",
    "Automotive",
    "Builders",
    "Pumps",
    "Electric",
]
PRODUCT_FAMILIES = {
    "Bearings": "Bearing",
    "Gearboxes": "Gearbox",
    "Valves": "Valve",
    "Brackets": "Bracket",
    "Housings": "Housing",
    "Shafts": "Shaft",
    "Seals": "Seal",
    "Couplings": "Coupling",
}


@dataclass
class SeedResult:
    users: int
    customers: int
    products: int
    orders: int
    lines: int
    events: int
    handoffs: int


def seed_users() -> dict[Role, object]:
    """One demo user per role (password DEMO_PASSWORD), and a manager address per department."""
    User = get_user_model()
    password_hash = make_password(DEMO_PASSWORD)  # hashed once: the hasher is slow on purpose
    users = {}
    for role, (username, first, last) in DEMO_USERS.items():
        user, created = User.objects.get_or_create(
            username=username, defaults={"first_name": first, "last_name": last, "email": f"{username}@demo.omc"}
        )
        if created:
            user.password = password_hash
            user.save(update_fields=["password"])
        user.groups.add(Group.objects.get(name=role.value))
        users[role] = user
    for department in Department:
        DepartmentSetting.objects.update_or_create(
            department=department.value, defaults={"manager_email": f"{department.value}-manager@demo.omc"}
        )
    return users


def seed_demo(
    *,
    orders: int = 2000,
    seed: int = 7,
    batch_size: int = 5000,
    now=None,
    progress=None,
    rebuild_indexes: bool | None = None,
) -> SeedResult:
    """Load the demo company. The same seed on the same day gives the same data: each part
    draws from its own random stream and time is counted back from today's midnight (UTC).

    Orders are generated in chunks of `batch_size` as tuples and streamed by COPY, so memory
    stays flat; `progress(done, total, note=...)` is called after each chunk. From
    BULK_LOAD_ORDERS orders on (or with rebuild_indexes=True) the loaded tables' secondary
    indexes and foreign keys are dropped for the load and rebuilt once at the end."""
    now = now or timezone.now().replace(hour=0, minute=0, second=0, microsecond=0)
    users = seed_users()
    sites = [
        Site.objects.get_or_create(code=code, defaults={"name": name})[0]
        for code, name in [("A", "Site A · Milan"), ("B", "Site B · Bangkok"), ("C", "Site C · Surabaya")]
    ]
    customers = _seed_customers(
        random.Random(f"{seed}-customers"), count=min(5000, max(40, orders // 20)), sales_rep=users[Role.SALES_REP]
    )
    products = _seed_products(random.Random(f"{seed}-products"), count=min(20000, max(80, orders // 10)))
    work_centers = _seed_work_centers(sites)
    _seed_routings(random.Random(f"{seed}-routings"), products=products, work_centers=work_centers)
    levels = {row.status: float(row.hours) for row in StepServiceLevel.objects.all()}

    generator = _OrderGenerator(
        random.Random(f"{seed}-orders"),
        now=now,
        users=users,
        customers=customers,
        products=products,
        sites=sites,
        levels=levels,
    )
    tables = [
        _Table(Order, ORDER_COLUMNS),
        _Table(OrderLine, LINE_COLUMNS),
        _Table(OrderEvent, EVENT_COLUMNS),
        _Table(Handoff, HANDOFF_COLUMNS),
    ]
    totals = {"lines": 0, "events": 0, "handoffs": 0}
    if rebuild_indexes is None:
        rebuild_indexes = orders >= BULK_LOAD_ORDERS
    first_number = number_reserve(name="order", count=orders) if orders else 0
    first_id = _reserve_ids(Order, orders) if orders else 0
    with _bulk_load(rebuild_indexes):
        for start in range(0, orders, batch_size):
            count = min(batch_size, orders - start)
            # one chunk's tuples at a time: memory stays flat whatever the size
            chunk = generator.chunk(first_id=first_id + start, first_number=first_number + start, count=count)
            with transaction.atomic():
                for table, rows in zip(tables, chunk, strict=True):
                    table.write(rows)
            for key, rows in zip(("lines", "events", "handoffs"), chunk[1:], strict=True):
                totals[key] += len(rows)
            del chunk
            if progress:
                progress(start + count, orders)
        if rebuild_indexes and progress:
            progress(orders, orders, note="building indexes and checking foreign keys")
    # The demo's history already holds overdue hand-offs: raise their alerts now, as the scan
    # would have, and count them as sent so the first scan does not email hundreds of them.
    handoffs_scan_overdue()
    Alert.objects.filter(emailed_at__isnull=True).update(emailed_at=timezone.now(), recipients="(demo history)")
    # Rows went in by COPY, past order_transition: build the dashboard's facts the same way
    # (event end times were written with the events).
    order_facts_backfill(events=False)
    if connection.vendor == "postgresql" and orders >= BULK_LOAD_ORDERS:
        # Statistics for every table it filled (the planner otherwise hashes 20,000 products to
        # find four) and, outside a transaction, the visibility map, without which counting a
        # million rows by index visits every heap page.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)")
    return SeedResult(users=len(users), customers=len(customers), products=len(products), orders=orders, **totals)


def _seed_customers(rng, *, count, sales_rep) -> list[Customer]:
    existing = list(Customer.objects.order_by("id")[:count])
    tiers = [
        (Customer.Tier.STRATEGIC, 5),
        (Customer.Tier.KEY, 15),
        (Customer.Tier.STANDARD, 60),
        (Customer.Tier.OCCASIONAL, 20),
    ]
    new = []
    for index in range(len(existing), count):
        tier = rng.choices([t for t, _ in tiers], weights=[w for _, w in tiers])[0]
        name = f"{rng.choice(CUSTOMER_WORDS)} {rng.choice(CUSTOMER_KINDS)} {index + 1}"
        new.append(
            Customer(
                code=f"C{index + 1:05d}",
                name=name,
                tier=tier,
                credit_limit=Decimal(rng.choice([20000, 50000, 100000, 250000, 1000000])),
                payment_terms_days=rng.choice([14, 30, 30, 45, 60]),
                currency=rng.choice(["EUR", "EUR", "EUR", "USD", "GBP", "THB"]),
                sales_rep=sales_rep,
                po_required=rng.random() < 0.4,
                hide_prices_on_documents=rng.random() < 0.1,
                invoice_grouping=rng.choice(["per_shipment", "per_shipment", "monthly"]),
                billing_email=f"ap{index + 1}@customer.example",
            )
        )
    Customer.objects.bulk_create(new, batch_size=1000)
    return existing + new if not new else list(Customer.objects.order_by("id")[:count])


def _seed_products(rng, *, count) -> list[Product]:
    existing = Product.objects.count()
    new = []
    for index in range(existing, count):
        family, singular = list(PRODUCT_FAMILIES.items())[index % len(PRODUCT_FAMILIES)]
        cost = Decimal(rng.randint(500, 90000)) / 100
        new.append(
            Product(
                sku=f"{family[:3].upper()}-{index + 1:05d}",
                name=f"{singular} type {index + 1}",
                family=family,
                standard_cost=cost,
                list_price=(cost * Decimal(rng.choice(["1.25", "1.4", "1.6", "1.9"]))).quantize(Decimal("0.01")),
            )
        )
    Product.objects.bulk_create(new, batch_size=2000)
    return list(Product.objects.order_by("id")[:count])


WORK_CENTERS = [
    ("PRESS1", "Press 1", "A", "16", "85.00"),
    ("PRESS2", "Press 2", "A", "16", "85.00"),
    ("CNC", "CNC machining", "B", "20", "110.00"),
    ("ASSY", "Assembly", "B", "8", "55.00"),
    ("PAINT", "Paint line", "C", "16", "70.00"),
    ("PACK", "Packing", "C", "8", "40.00"),
]


def _seed_work_centers(sites) -> list[WorkCenter]:
    site_by_code = {site.code: site for site in sites}
    return [
        WorkCenter.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "site": site_by_code[site],
                "hours_per_day": Decimal(hours),
                "hourly_rate": Decimal(rate),
            },
        )[0]
        for code, name, site, hours, rate in WORK_CENTERS
    ]


def _seed_routings(rng, *, products, work_centers) -> None:
    """Two or three operations per product that has none yet, ending at packing."""
    routed = set(RoutingStep.objects.values_list("product_id", flat=True).distinct())
    packing, machining = work_centers[-1], work_centers[:-1]
    steps = []
    for product in products:
        if product.pk in routed:
            continue
        centers = rng.sample(machining, rng.randint(1, 2)) + [packing]
        steps += [
            RoutingStep(
                product=product,
                sequence=10 * (index + 1),
                work_center=center,
                hours_per_unit=Decimal(rng.choice(["0.05", "0.1", "0.2", "0.25", "0.5", "1"])),
                setup_hours=Decimal(rng.choice(["0", "0.5", "1", "2"])),
            )
            for index, center in enumerate(centers)
        ]
    RoutingStep.objects.bulk_create(steps, batch_size=5000)


class _Table:
    """Rows given as tuples in `columns` order, written by COPY on PostgreSQL (rows stream
    straight from the generator: no model instances) and by bulk_create elsewhere. Columns a
    later migration adds and the seed does not know get their field default."""

    def __init__(self, model, columns: list[str]):
        self.model = model
        by_column = {f.column: f for f in model._meta.concrete_fields}
        self.attnames = [by_column[c].attname for c in columns]
        extra = [f for f in model._meta.concrete_fields if f.column not in columns and not f.primary_key]
        missing = [f.column for f in extra if f.get_default() is None and not f.null]
        if missing:
            raise ValueError(f"{model._meta.db_table}: the demo seed does not fill {missing}")
        self.columns = columns + [f.column for f in extra]
        self.extra = tuple(f.get_db_prep_save(f.get_default(), connection) for f in extra)

    def write(self, rows) -> int:
        count = 0
        if connection.vendor != "postgresql":
            objs = [self.model(**dict(zip(self.attnames, row, strict=True))) for row in rows]
            self.model.objects.bulk_create(objs, batch_size=2000)
            return len(objs)
        quote = connection.ops.quote_name
        sql = f"COPY {quote(self.model._meta.db_table)} ({', '.join(quote(c) for c in self.columns)}) FROM STDIN"
        extra = self.extra
        with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
            write_row = copy.write_row
            for row in rows:
                write_row(row + extra)
                count += 1
        return count


def _reserve_ids(model, count: int) -> int:
    """The first of `count` consecutive primary keys nobody else will be given."""
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence(%s, 'id'), nextval(pg_get_serial_sequence(%s, 'id')) + %s - 1)",
                [table, table, count],
            )
            return cursor.fetchone()[0] - count + 1
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {connection.ops.quote_name(table)}")
        return cursor.fetchone()[0] + 1


BULK_TABLES = (Order, OrderLine, OrderEvent, Handoff)


@contextmanager
def _bulk_load(enabled: bool):
    """PostgreSQL's recipe for a large load (docs: "Populating a Database"): drop the secondary
    indexes and foreign keys of the loaded tables, load, then build the indexes once and
    check the foreign keys in one pass each. All in one transaction: a failed load leaves
    the tables, their indexes and constraints as they were."""
    if not enabled or connection.vendor != "postgresql":
        yield
        return
    tables = [model._meta.db_table for model in BULK_TABLES]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT i.indexname, i.indexdef FROM pg_indexes i
            WHERE i.schemaname = current_schema() AND i.tablename = ANY(%s)
              AND NOT EXISTS (
                  SELECT 1 FROM pg_constraint c
                  WHERE c.conindid = (quote_ident(i.schemaname) || '.' || quote_ident(i.indexname))::regclass
              )
            """,
            [tables],
        )
        indexes = cursor.fetchall()
        cursor.execute(
            """
            SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint
            WHERE contype = 'f' AND conrelid = ANY(%s::regclass[])
            """,
            [tables],
        )
        foreign_keys = cursor.fetchall()
        # checks still deferred in an enclosing transaction (a test's) would block ALTER TABLE
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for table, name, _definition in foreign_keys:
            cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        for name, _definition in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
        yield
        cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
        for _name, definition in indexes:
            cursor.execute(definition)
        for table, name, definition in foreign_keys:
            cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def _actor_for(action, users):
    for role in Role:
        if role in TRANSITIONS[action].roles:
            return role, users[role]
    raise ValueError(action)


ORDER_COLUMNS = [
    "id",
    "number",
    "customer_id",
    "customer_po",
    "requested_date",
    "promised_date",
    "currency",
    "site_id",
    "status",
    "owner_department",
    "status_changed_at",
    "hold_reason",
    "created_by_id",
    "created_at",
    "updated_at",
]
LINE_COLUMNS = [
    "order_id",
    "line_no",
    "product_id",
    "quantity_ordered",
    "quantity_reserved",
    "quantity_shipped",
    "quantity_invoiced",
    "unit_price",
    "discount_percent",
]
EVENT_COLUMNS = [
    "order_id",
    "action",
    "from_status",
    "to_status",
    "actor_id",
    "role",
    "department",
    "note",
    "created_at",
    "ended_at",
]
HANDOFF_COLUMNS = [
    "order_id",
    "from_department",
    "to_department",
    "status",
    "step",
    "opened_at",
    "due_at",
    "escalate_at",
    "closed_at",
]
SHIPPED_ALL = frozenset({S.SHIPPED, S.DELIVERED, S.INVOICED, S.PAID, S.CLOSED})
INVOICED = frozenset({S.INVOICED, S.PAID, S.CLOSED})
QUANTITIES = [Decimal(q) for q in (1, 2, 5, 10, 20, 50, 100, 250)]
DISCOUNTS = [Decimal(d) for d in (0, 0, 0, 2, 5, 10)]
ZERO = Decimal(0)


class _OrderGenerator:
    """Generates the demo orders chunk by chunk as plain tuples (order, lines, events,
    hand-offs), walking each order through a path of the transition table with the same
    hand-off rule order_transition applies."""

    def __init__(self, rng, *, now, users, customers, products, sites, levels):
        self.rng = rng
        self.now = now
        self.paths, weights = zip(*PATHS, strict=True)
        self.cum_weights = list(accumulate(weights))
        self.customers = [(c.pk, c.currency) for c in customers]
        self.products = [(p.pk, p.list_price) for p in products]
        self.site_ids = [s.pk for s in sites]
        self.levels = levels
        self.creator_id = users[Role.SALES_REP].pk
        self.create_department = ROLE_DEPARTMENT[Role.SALES_REP]
        self.actors = {}
        for action in TRANSITIONS:
            role, user = _actor_for(action, users)
            self.actors[action] = (role.value, user.pk, ROLE_DEPARTMENT[role].value)
        # per status: its owner, step and service level as a timedelta
        self.owner = {s: OWNER_DEPARTMENT[s].value for s in S}
        self.step = {s: STATUS_STEP[s].value for s in S}
        self.level = {s: timedelta(hours=levels.get(s, 24)) for s in S}

    def chunk(self, *, first_id: int, first_number: int, count: int):
        rng, now = self.rng, self.now
        random_, uniform, randint, choice = rng.random, rng.uniform, rng.randint, rng.choice
        orders, lines, events, handoffs = [], [], [], []
        day = timedelta(days=1)
        for offset in range(count):
            order_id = first_id + offset
            path = rng.choices(self.paths, cum_weights=self.cum_weights)[0]
            if random_() < OPEN_SHARE:
                # still in progress: a recent order that has come part of the way
                created_at = now - day * (random_() * 30)
                path = path[: randint(0, len(path) - 1)] if path else path
            else:
                created_at = now - day * (30 + random_() * 335)
            steps, at = [], created_at
            for action, status in path:
                hours = self.levels.get(status, 24) * uniform(0.1, 1.3)
                next_at = at + timedelta(hours=uniform(1, 30) if not steps else hours)
                if next_at >= now:
                    break
                steps.append((action, status, next_at))
                at = next_at
            status = steps[-1][1] if steps else S.DRAFT
            customer_id, currency = choice(self.customers)
            customer_po = f"PO-{randint(10000, 99999)}" if random_() < 0.8 else ""
            requested = (created_at + day * randint(14, 60)).date()
            promised = (created_at + day * randint(14, 70)).date() if steps else None
            orders.append(
                (
                    order_id,
                    order_number_format(first_number + offset),
                    customer_id,
                    customer_po,
                    requested,
                    promised,
                    currency,
                    choice(self.site_ids),
                    status.value,
                    self.owner[status],
                    steps[-1][2] if steps else created_at,
                    NOTES["hold"] if status == S.ON_HOLD else "",
                    self.creator_id,
                    created_at,
                    at,
                )
            )
            shipped_all = status in SHIPPED_ALL
            invoiced = status in INVOICED
            partial = status == S.PARTIALLY_SHIPPED
            for line_no in range(1, randint(1, 9) + 1):
                product_id, price = choice(self.products)
                quantity = choice(QUANTITIES)
                shipped = quantity if shipped_all or (partial and line_no == 1) else ZERO
                lines.append(
                    (
                        order_id,
                        line_no,
                        product_id,
                        quantity,
                        ZERO,  # fulfillment's seed_stock reserves for real
                        shipped,
                        shipped if invoiced else ZERO,
                        price,
                        choice(DISCOUNTS),
                    )
                )
            # Lists until the order is done: each event's ended_at is the next one's time, as
            # order_transition records it.
            order_events = [
                [
                    order_id,
                    "create",
                    "",
                    S.DRAFT.value,
                    self.creator_id,
                    Role.SALES_REP.value,
                    self.create_department,
                    "",
                    created_at,
                    None,
                ]
            ]
            current, open_handoff = S.DRAFT, None
            for action, to_status, at in steps:
                role, actor_id, department = self.actors[action]
                order_events[-1][-1] = at
                order_events.append(
                    [
                        order_id,
                        action,
                        current.value,
                        to_status.value,
                        actor_id,
                        role,
                        department,
                        NOTES.get(action, ""),
                        at,
                        None,
                    ]
                )
                from_owner, to_owner = self.owner[current], self.owner[to_status]
                close, open_new = handoff_rule(
                    open_to_department=open_handoff[2] if open_handoff else None,
                    from_owner=from_owner,
                    to_owner=to_owner,
                    to_status=to_status,
                    actor_department=department,
                )
                if close:
                    open_handoff[-1] = at
                    handoffs.append(tuple(open_handoff))
                    open_handoff = None
                if open_new:
                    level = self.level[to_status]
                    open_handoff = [
                        order_id,
                        from_owner,
                        to_owner,
                        to_status.value,
                        self.step[to_status],
                        at,
                        at + level,
                        at + 2 * level,
                        None,
                    ]
                current = to_status
            if open_handoff:
                handoffs.append(tuple(open_handoff))
            events.extend(tuple(event) for event in order_events)
        return orders, lines, events, handoffs
