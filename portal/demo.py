"""The portal's demo: a contact `customer` (password DEMO_PASSWORD) at one demo customer, whose
orders went through the real services — one delivered and invoiced, one on its way with its
invoice, one confirmed whose promised date moved (with the reason shared), one just received.

The outbox messages of each order are applied here as they are written (outbox_process is
idempotent), so the seed works the same with or without a running worker."""

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from billing import services as billing
from billing.models import Invoice
from fulfillment import services as fulfillment
from fulfillment.models import BackOrder
from orders.demo import DEMO_PASSWORD, DEMO_USERS
from orders.models import Customer, Order, OutboxMessage, Product, Site
from orders.roles import Role
from orders.services import order_create, order_promise_change, order_transition, outbox_process
from orders.states import OrderStatus
from pricing import services as pricing

from . import services
from .models import CustomerContact

USERNAME = "customer"


@dataclass
class PortalSeed:
    contact: CustomerContact
    orders: list[Order]


def _apply_outbox(order: Order) -> None:
    """Apply the order's outbox messages now, including those their handlers write."""
    for _round in range(10):
        pending = list(
            OutboxMessage.objects.filter(order=order, processed_at__isnull=True)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        if not pending:
            return
        for message_id in pending:
            outbox_process(message_id=message_id)


def _move(order: Order, action: str, actor, note: str = "") -> Order:
    with transaction.atomic():
        order = order_transition(order_id=order.pk, action=action, actor=actor, note=note)
    _apply_outbox(order)
    order.refresh_from_db()
    return order


def _placed(*, customer, products, site, users, po: str) -> Order:
    """An order entered through the services: prices past the limits approved by the estimator, a
    credit hold released by finance."""
    lines = [{"product": product, "quantity": Decimal(quantity)} for product, quantity in products]
    order = order_create(customer=customer, lines=lines, created_by=users[Role.SALES_REP], customer_po=po, site=site)
    if pricing.approval_reasons(order, list(order.lines.all())):
        approval = pricing.approval_request(order_id=order.pk, user=users[Role.SALES_REP])
        pricing.approval_decide(approval_id=approval.pk, user=users[Role.ESTIMATOR], approve=True, note="Demo prices")
    order = _move(order, "submit", users[Role.SALES_REP])
    if order.status == OrderStatus.ON_HOLD:
        order = _move(order, "release", users[Role.FINANCE], note="Demo: released after a call with the customer.")
    return order


def _stock_for(products, site, users) -> None:
    """Goods for the demo orders. Arriving stock first goes to older back-orders of the product
    (fulfillment's retry), so receive those too: what is left is this order's."""
    for product, quantity in products:
        backlog = BackOrder.objects.filter(product=product).aggregate(q=Sum("quantity", default=Decimal("0")))["q"]
        fulfillment.stock_receive(
            product=product,
            site=site,
            quantity=Decimal(quantity) + backlog,
            user=users[Role.WAREHOUSE],
            note="Portal demo",
        )


def _ship(order: Order, site, users, *, tracking: str):
    warehouse = users[Role.WAREHOUSE]
    shipment = fulfillment.shipment_start(order_id=order.pk, site_id=site.pk, user=warehouse)
    fulfillment.shipment_pack(
        shipment_id=shipment.pk, quantities={}, packages=2, weight_kg=Decimal("38.5"), user=warehouse
    )
    fulfillment.shipment_ship(
        shipment_id=shipment.pk,
        carrier="DHL Express",
        service="Economy",
        tracking_number=tracking,
        ship_date=timezone.localdate(),
        user=warehouse,
    )
    _apply_outbox(order)
    return shipment


def _post_invoice(order: Order, users) -> None:
    invoice = Invoice.objects.filter(order=order, status=Invoice.Status.DRAFT).first()
    if invoice is not None:
        billing.invoice_post(invoice_id=invoice.pk, user=users[Role.FINANCE])
        _apply_outbox(order)


def seed_portal() -> PortalSeed | None:
    """Create the demo contact and its orders; does nothing once the contact exists. None when
    `seed_demo` has not run (no demo users or customers)."""
    User = get_user_model()
    existing = CustomerContact.objects.filter(user__username=USERNAME).select_related("customer").first()
    if existing is not None:
        return PortalSeed(existing, [])
    users = {role: User.objects.filter(username=DEMO_USERS[role][0]).first() for role in DEMO_USERS}
    customer = (
        Customer.objects.filter(
            active=True, tier=Customer.Tier.KEY, invoice_grouping=Customer.InvoiceGrouping.PER_SHIPMENT
        )
        .order_by("code")
        .first()
    )
    site = Site.objects.order_by("code").first()
    products = list(Product.objects.filter(active=True, list_price__gt=0).order_by("sku")[:3])
    if None in users.values() or customer is None or site is None or len(products) < 3:
        return None

    contact = services.contact_create(
        customer=customer,
        username=USERNAME,
        email="buyer@customer.demo",
        password=DEMO_PASSWORD,
        first_name="Mai",
        last_name="Tran",
        language=customer.document_language or "en",
    )
    contact.notify_invoice_issued = True
    contact.save(update_fields=["notify_invoice_issued"])
    board = users[Role.REVIEW_BOARD]
    made = []

    delivered_lines = [(products[0], "12"), (products[1], "4")]
    _stock_for(delivered_lines, site, users)
    order = _move(
        _placed(customer=customer, products=delivered_lines, site=site, users=users, po="PO-7781"), "accept", board
    )
    shipment = _ship(order, site, users, tracking="JD014600004511870001")
    fulfillment.shipment_deliver(shipment_id=shipment.pk, user=users[Role.WAREHOUSE])
    _apply_outbox(order)
    _post_invoice(order, users)
    made.append(order)

    travelling_lines = [(products[2], "30")]
    _stock_for(travelling_lines, site, users)
    order = _move(
        _placed(customer=customer, products=travelling_lines, site=site, users=users, po="PO-7802"), "accept", board
    )
    _ship(order, site, users, tracking="JD014600004511870002")
    _post_invoice(order, users)
    made.append(order)

    order = _move(
        _placed(customer=customer, products=[(products[1], "250")], site=site, users=users, po="PO-7815"),
        "accept",
        board,
    )
    if order.status not in (OrderStatus.REJECTED, OrderStatus.CANCELLED):
        with transaction.atomic():
            order_promise_change(
                order_id=order.pk,
                new_date=(order.promised_date or timezone.localdate()) + timedelta(days=7),
                reason="Casting supplier late; press 2 booked by a strategic order.",
                customer_reason="Our supplier delivers the castings a week later than planned.",
                actor=users[Role.CUSTOMER_SERVICE],
            )
        _apply_outbox(order)
    made.append(order)

    made.append(_placed(customer=customer, products=[(products[0], "5")], site=site, users=users, po="PO-7820"))
    return PortalSeed(contact, made)
