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


# The hand-offs (ship -> draft invoice) are delivered after commit, as in `make run`.
@pytest.mark.django_db(transaction=True)
def test_demo_flow_seeds_ship_bill_and_return_through_the_real_services():
    from django.contrib.auth.models import Group

    from billing.models import Invoice, Payment
    from fulfillment.models import Shipment
    from orders.roles import Role
    from returns.models import ReturnAuthorization

    # a transactional test starts from a flushed database: the role groups' data migration is gone
    for role in Role:
        Group.objects.get_or_create(name=role.value)
    quiet = open("/dev/null", "w")
    call_command("seed_demo", orders=300, seed=3, stdout=quiet)
    call_command("seed_stock", stdout=quiet)
    call_command("seed_shipments", orders=6, stdout=quiet)
    call_command("seed_billing", stdout=quiet)
    call_command("seed_returns", stdout=quiet)

    shipments = Shipment.objects.all()
    assert shipments.exists() and shipments.filter(status=Shipment.Status.DELIVERED).exists()
    assert all(s.tracking_number for s in shipments)
    # the ship hand-off drafted the invoices; finance posted them, half were paid, one corrected
    posted = Invoice.objects.filter(kind=Invoice.Kind.INVOICE, status=Invoice.Status.POSTED)
    assert posted.exists() and posted.filter(paid_at__isnull=False).exists()
    assert Payment.objects.exists()
    assert Invoice.objects.filter(kind=Invoice.Kind.CREDIT_NOTE).count() == 1
    statuses = set(ReturnAuthorization.objects.values_list("status", flat=True))
    assert statuses == {ReturnAuthorization.Status.APPROVED, ReturnAuthorization.Status.REQUESTED}

    # running the demo again changes nothing
    counts = (Shipment.objects.count(), Invoice.objects.count(), ReturnAuthorization.objects.count())
    for command in ("seed_shipments", "seed_billing", "seed_returns"):
        call_command(command, stdout=quiet)
    assert counts == (Shipment.objects.count(), Invoice.objects.count(), ReturnAuthorization.objects.count())


def test_seed_demo_bulk_load_rebuilds_the_indexes_and_foreign_keys_it_dropped():
    from django.db import connection

    from orders.demo import seed_demo

    def schema():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT indexname FROM pg_indexes WHERE tablename LIKE 'orders_%%' "
                "UNION ALL SELECT conname FROM pg_constraint WHERE conrelid::regclass::text LIKE 'orders_%%'"
            )
            return sorted(row[0] for row in cursor.fetchall())

    before = schema()
    result = seed_demo(orders=300, seed=4, batch_size=70, rebuild_indexes=True)

    assert schema() == before
    assert Order.objects.count() == 300 and result.lines > 300 and result.handoffs > 0
    # the numbers and ids came in one run: every line, event and hand-off points at a seeded order
    assert OrderEvent.objects.filter(action="create").count() == 300
    assert not Handoff.objects.exclude(order__in=Order.objects.all()).exists()
