"""The dashboard's radar top (omc.kpis.radar_top): the first rows of the full radar, found by
walking the orders biggest first per tier, with the full radar's count; whatever the filters,
ties and tiers without stuck orders."""

import random
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.utils import timezone

from omc import kpis
from orders import services
from orders.models import Customer, Handoff
from orders.roles import Department
from orders.states import OrderStatus, Step

from .factories import CustomerFactory, OrderFactory, OrderLineFactory, SiteFactory, UserFactory

pytestmark = pytest.mark.django_db
S = OrderStatus


@pytest.fixture(autouse=True)
def fresh_cache():
    cache.clear()  # the counts are cached with the figures
    yield
    cache.clear()


def _handoff(order, *, due, closed=None, kind=Handoff.ORDER_FLOW):
    return Handoff.objects.create(
        order=order,
        kind=kind,
        from_department=Department.SALES,
        to_department=Department.MANAGEMENT,
        status=S.ENTERED,
        step=Step.SELECTION,
        opened_at=due - timedelta(hours=5),
        due_at=due,
        escalate_at=due,
        closed_at=closed,
    )


@pytest.mark.parametrize("walk_from", [0, 10_000])  # walking the orders, or ranking them all
def test_radar_top_is_the_radars_first_rows(settings, monkeypatch, walk_from):
    monkeypatch.setattr(kpis, "RADAR_WALK_FROM", walk_from)
    rng = random.Random(4)
    now = timezone.now()
    sites = [SiteFactory(), SiteFactory()]
    rep = UserFactory()
    # no strategic customer has a stuck order: the walk passes that tier by
    customers = {tier: [CustomerFactory(tier=tier, sales_rep=rep) for _ in range(2)] for tier in Customer.Tier}
    orders = []
    for k in range(70):
        tier = rng.choice(list(Customer.Tier))
        order = OrderFactory(status=S.ENTERED, customer=rng.choice(customers[tier]), site=rng.choice(sites))
        # values with ties (equal totals rank by due time, then id)
        OrderLineFactory(order=order, quantity_ordered=Decimal(rng.choice([1, 2, 5])), unit_price=Decimal("100.00"))
        due = now - timedelta(hours=rng.choice([1, 2, 30]))
        if tier == Customer.Tier.STRATEGIC:
            _handoff(order, due=now + timedelta(hours=3))  # open, not yet due
        elif k % 5 == 0:
            _handoff(order, due=due, closed=now)  # closed: not stuck
        else:
            _handoff(order, due=due)
            if k % 7 == 0:
                _handoff(order, due=due - timedelta(hours=1), kind="rma:1")  # a second open one
        orders.append(order)
    services.order_facts_refresh(order_ids=[o.pk for o in orders])
    for filters in (
        {},
        {"site_id": sites[0].pk},
        {"tier": Customer.Tier.OCCASIONAL},
        {"tier": Customer.Tier.STRATEGIC},
        {"sales_rep_id": rep.pk},
    ):
        f = kpis.filters_build(period="90", **filters)
        full = list(kpis.radar(f))
        for n in (1, 10, 200):
            top = kpis.radar_top(f, n)
            assert [h.id for h in top.object_list] == [h.id for h in full[:n]], (filters, n)
            assert [h.order_value for h in top.object_list] == [h.order_value for h in full[:n]]
            assert top.count == len(full)
    assert len(list(kpis.radar(kpis.filters_build(period="90")))) > 40


def test_radar_top_when_nothing_is_stuck(db):
    top = kpis.radar_top(kpis.filters_build(period="90"), 10)
    assert (top.object_list, top.count) == ([], 0)
