"""The number of queries of order entry through the real services (create with 3 lines -> price
-> submit -> accept), pinned per phase so it cannot creep back (docs/performance.md, "Queries
per order"). Counted like the bench's entry section: everything the phase sends, the publish of
its outbox messages after the commit included; the broker itself is left out (the other
departments' work is not order entry's)."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from fulfillment import services as fulfillment
from omc.celery import app as celery_app
from orders import services
from orders.models import RoutingStep, WorkCenter
from orders.roles import Role
from orders.states import OrderStatus
from pricing import services as pricing

from .factories import CustomerFactory, ProductFactory, SiteFactory

pytestmark = pytest.mark.django_db

# Per phase: create 8 (number, order, the price rules in one UNION, lines, facts, event), price
# 10 (lock, lines, price rules, lines update, routing, freight zone, cost estimate upsert, facts),
# submit 21 (lock, lines, routing, freight zone, status, event end, event, hand-off read and
# insert, outbox, calendars, load, stock, promise+score, exposure x2, portal's re-order hand-off,
# facts, publish), accept 13 (lock, lines, status, event end, event, hand-off read, close and
# insert, outbox (one INSERT for two), facts, publish); each with BEGIN/COMMIT.
EXPECTED = {"create": 8, "price": 10, "submit": 21, "accept": 13}


@pytest.fixture
def entry_world(user_with):
    press = WorkCenter.objects.create(code="PR9", name="Press 9", hours_per_day=Decimal("8"), days_per_week=5)
    products = [ProductFactory(list_price=Decimal("100.00"), standard_cost=Decimal("40.00")) for _ in range(3)]
    for product in products[:2]:
        RoutingStep.objects.create(product=product, sequence=10, work_center=press, hours_per_unit=Decimal("0.01"))
    fulfillment.stock_receive(
        product=products[2], site=SiteFactory(), quantity=Decimal("1000"), user=user_with(Role.WAREHOUSE)
    )
    return {
        "customer": CustomerFactory(credit_limit=Decimal("1000000")),
        "products": products,
        "sales": user_with(Role.SALES_REP),
        "board": user_with(Role.REVIEW_BOARD),
    }


def _enter(world, phases=None, capture=None):
    def step(name, run):
        if phases is None:
            return run()
        with CaptureQueriesContext(connection) as ctx, capture(execute=True):
            result = run()
        phases[name] = [query["sql"] for query in ctx.captured_queries]
        return result

    order = step(
        "create",
        lambda: services.order_create(
            customer=world["customer"],
            lines=[{"product": p, "quantity": Decimal(5 + k)} for k, p in enumerate(world["products"])],
            created_by=world["sales"],
        ),
    )
    step("price", lambda: pricing.order_price(order_id=order.pk, user=world["sales"]))
    submitted = step(
        "submit", lambda: services.order_transition(order_id=order.pk, action="submit", actor=world["sales"])
    )
    assert submitted.status == OrderStatus.ENTERED, submitted.hold_reason
    assert submitted.promised_date is not None and submitted.priority_score is not None
    step("accept", lambda: services.order_transition(order_id=order.pk, action="accept", actor=world["board"]))
    return order


@pytest.fixture
def published_not_run():
    """The publish after commit goes to the real broker (REDIS_URL) instead of running the task
    in-process as the test settings do (that would count the other departments' work as order
    entry's); what it queued is purged afterwards."""
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False
    try:
        yield
    finally:
        celery_app.conf.task_always_eager = eager
        celery_app.control.purge()


def test_order_entry_queries_per_phase(entry_world, published_not_run, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _enter(entry_world)  # the first order fills the cached reference rows (orders.reference)
    phases = {}
    order = _enter(entry_world, phases, django_capture_on_commit_callbacks)

    counts = {name: len(queries) for name, queries in phases.items()}
    assert counts == EXPECTED, "\n".join(f"{n}: {q[:160]}" for n, queries in phases.items() for q in queries)
    assert sum(counts.values()) == 52
    order.refresh_from_db()
    assert order.status == OrderStatus.ACCEPTED
