"""Property-based: whatever the sequence of shipments, postings, credit notes and payments,
nothing is billed beyond what shipped, every document adds up at the agreed prices, and the
money reconciles."""

from decimal import Decimal

import pytest
from django.db import transaction
from django.db.models import Sum
from django.test import TestCase
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from billing import services
from billing.models import Invoice, InvoiceLine, Payment, PaymentAllocation
from fulfillment import services as fulfillment
from orders.errors import DomainError
from orders.money import line_net_amount
from orders.roles import Role
from orders.services import order_transition
from orders.states import OrderStatus

from .factories import CustomerFactory, OrderFactory, OrderLineFactory, ProductFactory, SiteFactory, UserFactory

pytestmark = pytest.mark.django_db

prices = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("999.99"), places=2)
lines_strategy = st.lists(
    st.tuples(st.integers(min_value=1, max_value=20), prices, st.sampled_from(["0", "2.5", "10", "33.33"])),
    min_size=1,
    max_size=3,
)
operations = st.lists(
    st.one_of(
        st.tuples(st.just("ship"), st.lists(st.integers(min_value=0, max_value=20), min_size=3, max_size=3)),
        st.tuples(st.just("post"), st.just(None)),
        st.tuples(st.just("credit"), st.tuples(st.integers(min_value=1, max_value=5), prices)),
        st.tuples(st.just("pay"), st.decimals(min_value=Decimal("0.01"), max_value=Decimal("5000"), places=2)),
    ),
    max_size=8,
)


class Rollback(Exception):
    pass


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(lines=lines_strategy, ops=operations)
def test_billing_invariants_hold_for_any_sequence(lines, ops, db):
    try:
        with transaction.atomic():
            _run(lines, ops)
            raise Rollback  # each example starts from an empty database
    except Rollback:
        pass


def _run(lines, ops):
    board, warehouse, finance = (
        UserFactory(roles=[role]) for role in (Role.REVIEW_BOARD, Role.WAREHOUSE, Role.FINANCE)
    )
    site, customer = SiteFactory(), CustomerFactory()
    order = OrderFactory(status=OrderStatus.ENTERED, customer=customer)
    for line_no, (quantity, price, discount) in enumerate(lines, start=1):
        product = ProductFactory()
        fulfillment.stock_receive(product=product, site=site, quantity=Decimal(quantity), user=warehouse)
        OrderLineFactory(
            order=order,
            line_no=line_no,
            product=product,
            quantity_ordered=Decimal(quantity),
            unit_price=price,
            discount_percent=Decimal(discount),
        )
    with TestCase.captureOnCommitCallbacks(execute=True):
        order_transition(order_id=order.pk, action="accept", actor=board)

    for op, arg in ops:
        try:
            with TestCase.captureOnCommitCallbacks(execute=True):
                _apply(op, arg, order=order, site=site, warehouse=warehouse, finance=finance)
        except DomainError:
            pass  # a refused step (nothing left to ship, credit too large...) must change nothing
        _check_invariants(order)


def _apply(op, arg, *, order, site, warehouse, finance):
    if op == "ship":
        shipment = fulfillment.shipment_start(order_id=order.pk, site_id=site.pk, user=warehouse)
        shipment_lines = list(shipment.lines.select_related("order_line").order_by("order_line__line_no"))
        quantities = {
            sl.order_line_id: min(sl.quantity_picked, Decimal(arg[i % 3])) for i, sl in enumerate(shipment_lines)
        }
        if not any(quantities.values()):
            quantities = {}
        fulfillment.shipment_pack(
            shipment_id=shipment.pk, quantities=quantities, packages=1, weight_kg=Decimal("1"), user=warehouse
        )
        fulfillment.shipment_ship(
            shipment_id=shipment.pk,
            carrier="DHL",
            service="",
            tracking_number="T",
            ship_date=timezone.localdate(),
            user=warehouse,
        )
    elif op == "post":
        for invoice in Invoice.objects.filter(status=Invoice.Status.DRAFT):
            services.invoice_post(invoice_id=invoice.pk, user=finance)
    elif op == "credit":
        invoice = Invoice.objects.filter(status=Invoice.Status.POSTED, kind=Invoice.Kind.INVOICE).first()
        if invoice:
            line = invoice.lines.first()
            quantity, price = Decimal(min(arg[0], line.quantity)), min(arg[1], line.unit_price)
            services.credit_note_issue(
                invoice_id=invoice.pk,
                user=finance,
                reason="property",
                lines={line.pk: {"quantity": quantity, "unit_price": price}},
            )
    elif op == "pay":
        services.payment_record(
            customer=order.customer, amount=arg, currency=order.currency, received_on=timezone.localdate(), user=finance
        )


def _check_invariants(order):
    for line in order.lines.all():
        assert 0 <= line.quantity_invoiced <= line.quantity_shipped <= line.quantity_ordered
    for invoice in Invoice.objects.prefetch_related("lines__order_line"):
        net = Decimal("0.00")
        for invoice_line in invoice.lines.all():
            if invoice.kind == Invoice.Kind.INVOICE:  # at the agreed price and discount
                assert invoice_line.unit_price == invoice_line.order_line.unit_price
                assert invoice_line.discount_percent == invoice_line.order_line.discount_percent
            assert invoice_line.net_amount == line_net_amount(
                quantity=invoice_line.quantity,
                unit_price=invoice_line.unit_price,
                discount_percent=invoice_line.discount_percent,
            )
            net += invoice_line.net_amount
        assert invoice.subtotal == net
        assert invoice.total == invoice.subtotal + invoice.tax_total
        paid = PaymentAllocation.objects.filter(invoice=invoice).aggregate(s=Sum("amount", default=0))["s"]
        assert invoice.amount_paid == paid
        # never owed more than invoiced; below zero only as a refund of money actually received
        assert invoice.balance <= invoice.total
        assert invoice.balance >= 0 or invoice.refund_due <= invoice.amount_paid
        if invoice.kind == Invoice.Kind.INVOICE:
            credited = invoice.credit_notes.filter(status=Invoice.Status.POSTED).aggregate(s=Sum("total", default=0))[
                "s"
            ]
            assert invoice.amount_credited == credited
    for payment in Payment.objects.all():
        allocated = payment.allocations.aggregate(s=Sum("amount", default=0))["s"]
        assert payment.amount == allocated + payment.unallocated
    # the invoices that are not cancelled bill exactly what the order lines say is invoiced
    for line in order.lines.all():
        billed = (
            InvoiceLine.objects.filter(order_line=line, invoice__kind=Invoice.Kind.INVOICE)
            .exclude(invoice__status=Invoice.Status.CANCELLED)
            .aggregate(q=Sum("quantity", default=0))["q"]
        )
        assert billed == line.quantity_invoiced
