"""Builds orders that have really shipped (through fulfillment), for the billing tests."""

from decimal import Decimal

from django.utils import timezone

from fulfillment import services as fulfillment
from orders.roles import Role
from orders.services import order_transition
from orders.states import OrderStatus

from .factories import CustomerFactory, OrderFactory, OrderLineFactory, ProductFactory, SiteFactory


class ShippedOrders:
    """ship(customer=..., lines=[(qty, price, discount)]) -> an order accepted, reserved and shipped
    through the real services, hand-offs executed after commit."""

    def __init__(self, user_with, capture):
        self.capture = capture
        self.board = user_with(Role.REVIEW_BOARD)
        self.warehouse = user_with(Role.WAREHOUSE)
        self.finance = user_with(Role.FINANCE)
        self.sales = user_with(Role.SALES_REP)
        self.site = SiteFactory()

    def order(self, *, customer=None, lines=(("10", "100.00", "0"),), **kwargs):
        customer = customer or CustomerFactory()
        order = OrderFactory(status=OrderStatus.ENTERED, customer=customer, currency=customer.currency, **kwargs)
        for line_no, (quantity, price, discount) in enumerate(lines, start=1):
            product = ProductFactory()
            fulfillment.stock_receive(product=product, site=self.site, quantity=Decimal(quantity), user=self.warehouse)
            OrderLineFactory(
                order=order,
                line_no=line_no,
                product=product,
                quantity_ordered=Decimal(quantity),
                unit_price=Decimal(price),
                discount_percent=Decimal(discount),
            )
        with self.capture(execute=True):
            order_transition(order_id=order.pk, action="accept", actor=self.board)
        return order

    def ship(self, order, quantities=None):
        """Ship what is reserved (or `quantities` {line_no: qty}); returns the shipment."""
        with self.capture(execute=True):
            shipment = fulfillment.shipment_start(order_id=order.pk, site_id=self.site.pk, user=self.warehouse)
            packed = {}
            if quantities:
                packed = {
                    line.order_line_id: Decimal(quantities.get(line.order_line.line_no, "0"))
                    for line in shipment.lines.select_related("order_line")
                }
            fulfillment.shipment_pack(
                shipment_id=shipment.pk, quantities=packed, packages=1, weight_kg=Decimal("1"), user=self.warehouse
            )
            fulfillment.shipment_ship(
                shipment_id=shipment.pk,
                carrier="DHL",
                service="",
                tracking_number="T",
                ship_date=timezone.localdate(),
                user=self.warehouse,
            )
        return shipment

    def shipped(self, **kwargs):
        order = self.order(**kwargs)
        self.ship(order)
        order.refresh_from_db()
        return order
