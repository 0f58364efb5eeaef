"""The demo company: every status, consistent hand-offs, deterministic."""

import pytest
from django.core.management import call_command
from django.db import transaction
from django.db.models import Count, Q

from orders import services
from orders.models import Alert, Handoff, Order, OrderEvent
from orders.states import FINAL_STATUSES, OrderStatus

pytestmark = pytest.mark.django_db


def test_seed_demo_makes_a_company_in_every_status_with_consistent_handoffs():
    call_command("seed_demo", orders=600, seed=3, stdout=open("/dev/null", "w"))

    assert Order.objects.count() == 600
    assert set(Order.objects.values_list("status", flat=True)) == set(OrderStatus)
    # every order's events end in its status, and its events start with its creation
    last_events = {e.order_id: e.to_status for e in OrderEvent.objects.order_by("order_id", "created_at", "id")}
    assert all(last_events[o.pk] == o.status for o in Order.objects.only("id", "status"))
    # at most one open hand-off per order, addressed to the order's owner, and none for final statuses
    open_handoffs = Handoff.objects.filter(closed_at__isnull=True).select_related("order")
    assert all(h.to_department == h.order.owner_department for h in open_handoffs)
    assert not open_handoffs.filter(order__status__in=FINAL_STATUSES).exists()
    assert (
        not Order.objects.annotate(n=Count("handoffs", filter=Q(handoffs__closed_at__isnull=True)))
        .filter(n__gt=1)
        .exists()
    )
    # the overdue ones among them already carry their (sent) alerts, so a first scan emails nothing
    assert Alert.objects.exists() and not Alert.objects.filter(emailed_at__isnull=True).exists()
    assert services.handoffs_scan_overdue() == {"overdue": 0, "escalated": 0}


def test_seed_demo_is_deterministic_and_if_empty_is_a_no_op():
    # The first run is rolled back (orders with events cannot be deleted: the log is append-only).
    with transaction.atomic():
        call_command("seed_demo", orders=50, seed=5, stdout=open("/dev/null", "w"))
        first = list(Order.objects.order_by("number").values_list("status", "customer__code", "customer_po"))
        call_command("seed_demo", orders=50, seed=5, if_empty=True, stdout=open("/dev/null", "w"))
        assert Order.objects.count() == 50
        transaction.set_rollback(True)

    assert not Order.objects.exists()
    call_command("seed_demo", orders=50, seed=5, stdout=open("/dev/null", "w"))
    again = list(Order.objects.order_by("number").values_list("status", "customer__code", "customer_po"))
    assert again == first
