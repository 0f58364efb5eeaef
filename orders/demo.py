"""The demo company: deterministic for a given seed, bulk-inserted so it scales to 100k+ orders.

Orders are walked through real paths of the transition table with plausible waits,
so their events, owner departments and hand-offs are what order_transition would
have written (the hand-off rule is the same function, services.handoff_rule).
"""

import random
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

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


def seed_demo(*, orders: int = 2000, seed: int = 7, batch_size: int = 2000, now=None) -> SeedResult:
    """Load the demo company. The same seed on the same day gives the same data: each part
    draws from its own random stream and time is counted back from today's midnight (UTC)."""
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

    rng = random.Random(f"{seed}-orders")
    totals = {"lines": 0, "events": 0, "handoffs": 0}
    first_number = number_reserve(name="order", count=orders) if orders else 0
    for start in range(0, orders, batch_size):
        count = min(batch_size, orders - start)
        with transaction.atomic():
            made = _seed_order_batch(
                rng,
                count=count,
                first_number=first_number + start,
                now=now,
                users=users,
                customers=customers,
                products=products,
                sites=sites,
                levels=levels,
            )
        for key in totals:
            totals[key] += made[key]
    # The demo's history already holds overdue hand-offs: raise their alerts now, as the scan
    # would have, and count them as sent so the first scan does not email hundreds of them.
    handoffs_scan_overdue()
    Alert.objects.filter(emailed_at__isnull=True).update(emailed_at=timezone.now(), recipients="(demo history)")
    # Rows went in by COPY, past order_transition: build the dashboard's facts the same way
    # (event end times were written with the events).
    order_facts_backfill(events=False)
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


def _insert_rows(model, objs) -> None:
    """Insert rows whose ids nobody needs back: COPY on PostgreSQL (several times faster than
    INSERT for the demo's millions of rows), bulk_create elsewhere."""
    if connection.vendor != "postgresql":
        model.objects.bulk_create(objs, batch_size=5000)
        return
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY {connection.ops.quote_name(model._meta.db_table)} ({columns}) FROM STDIN") as copy,
    ):
        for obj in objs:
            copy.write_row([f.get_db_prep_save(getattr(obj, f.attname), connection) for f in fields])


def _actor_for(action, users):
    for role in Role:
        if role in TRANSITIONS[action].roles:
            return role, users[role]
    raise ValueError(action)


def _seed_order_batch(rng, *, count, first_number, now, users, customers, products, sites, levels) -> dict:
    paths, weights = zip(*PATHS, strict=True)
    creator_role, creator = Role.SALES_REP, users[Role.SALES_REP]
    plans = []
    order_rows = []
    for offset in range(count):
        path = rng.choices(paths, weights=weights)[0]
        if rng.random() < OPEN_SHARE:
            # still in progress: a recent order that has come part of the way
            created_at = now - timedelta(days=rng.random() * 30)
            path = path[: rng.randint(0, len(path) - 1)] if path else path
        else:
            created_at = now - timedelta(days=30 + rng.random() * 335)
        steps, at = [], created_at
        for action, status in path:
            hours = levels.get(status, 24) * rng.uniform(0.1, 1.3)
            next_at = at + timedelta(hours=rng.uniform(1, 30) if not steps else hours)
            if next_at >= now:
                break
            steps.append((action, status, next_at))
            at = next_at
        status = steps[-1][1] if steps else S.DRAFT
        customer = rng.choice(customers)
        plans.append((created_at, steps))
        order_rows.append(
            Order(
                number=order_number_format(first_number + offset),
                customer=customer,
                customer_po=f"PO-{rng.randint(10000, 99999)}" if rng.random() < 0.8 else "",
                requested_date=(created_at + timedelta(days=rng.randint(14, 60))).date(),
                promised_date=(created_at + timedelta(days=rng.randint(14, 70))).date() if steps else None,
                currency=customer.currency,
                site=rng.choice(sites),
                status=status,
                owner_department=OWNER_DEPARTMENT[status],
                status_changed_at=steps[-1][2] if steps else created_at,
                hold_reason=NOTES["hold"] if status == S.ON_HOLD else "",
                created_by=creator,
                created_at=created_at,
            )
        )
    Order.objects.bulk_create(order_rows, batch_size=1000)

    lines, events, handoffs = [], [], []
    for order, (created_at, steps) in zip(order_rows, plans, strict=True):
        shipped_all = order.status in (S.SHIPPED, S.DELIVERED, S.INVOICED, S.PAID, S.CLOSED)
        invoiced = order.status in (S.INVOICED, S.PAID, S.CLOSED)
        for line_no in range(1, rng.randint(1, 9) + 1):
            product = rng.choice(products)
            quantity = Decimal(rng.choice([1, 2, 5, 10, 20, 50, 100, 250]))
            shipped = quantity if shipped_all or (order.status == S.PARTIALLY_SHIPPED and line_no == 1) else 0
            lines.append(
                OrderLine(
                    order=order,
                    line_no=line_no,
                    product=product,
                    quantity_ordered=quantity,
                    quantity_reserved=Decimal(0),  # fulfillment's seed_stock reserves for real
                    quantity_shipped=shipped,
                    quantity_invoiced=shipped if invoiced else Decimal(0),
                    unit_price=product.list_price,
                    discount_percent=Decimal(rng.choice([0, 0, 0, 2, 5, 10])),
                )
            )
        events.append(
            OrderEvent(
                order=order,
                action="create",
                from_status="",
                to_status=S.DRAFT,
                actor=creator,
                role=creator_role,
                department=ROLE_DEPARTMENT[creator_role],
                created_at=created_at,
            )
        )
        status, open_handoff = S.DRAFT, None
        for action, to_status, at in steps:
            role, actor = _actor_for(action, users)
            department = ROLE_DEPARTMENT[role]
            events[-1].ended_at = at  # the status left ends now, as order_transition records it
            events.append(
                OrderEvent(
                    order=order,
                    action=action,
                    from_status=status,
                    to_status=to_status,
                    actor=actor,
                    role=role,
                    department=department,
                    note=NOTES.get(action, ""),
                    created_at=at,
                )
            )
            close, open_new = handoff_rule(
                open_to_department=open_handoff.to_department if open_handoff else None,
                from_owner=OWNER_DEPARTMENT[status],
                to_owner=OWNER_DEPARTMENT[to_status],
                to_status=to_status,
                actor_department=department,
            )
            if close:
                open_handoff.closed_at = at
                open_handoff = None
            if open_new:
                level = timedelta(hours=levels.get(to_status, 24))
                open_handoff = Handoff(
                    order=order,
                    from_department=OWNER_DEPARTMENT[status],
                    to_department=OWNER_DEPARTMENT[to_status],
                    status=to_status,
                    step=STATUS_STEP[to_status],
                    opened_at=at,
                    due_at=at + level,
                    escalate_at=at + 2 * level,
                )
                handoffs.append(open_handoff)
            status = to_status
    for model, rows in ((OrderLine, lines), (OrderEvent, events), (Handoff, handoffs)):
        _insert_rows(model, rows)
    return {"lines": len(lines), "events": len(events), "handoffs": len(handoffs)}
