"""A customer with a portal contact and an order that has really shipped and been invoiced,
through the real services (accept, reserve, pick, pack, ship, invoice draft, post)."""

from decimal import Decimal

from billing import services as billing
from billing.models import Invoice
from portal import services as portal

from .billing_support import ShippedOrders
from .factories import CustomerFactory


class PortalWorld:
    def __init__(self, user_with, capture):
        self.capture = capture
        self.shop = ShippedOrders(user_with, capture)
        self.customer = CustomerFactory(name="Acme Pumps", currency="EUR")
        self.other_customer = CustomerFactory(name="Rival Valves", currency="EUR")
        self.contact = portal.contact_create(
            customer=self.customer,
            username="acme-buyer",
            email="buyer@acme.example",
            password="pw-for-tests",
            first_name="Ana",
        )
        self.other_contact = portal.contact_create(
            customer=self.other_customer, username="rival-buyer", email="buyer@rival.example", password="pw-for-tests"
        )

    def shipped_order(self, *, customer=None, lines=(("10", "100.00", "0"),), **kwargs):
        with self.capture(execute=True):
            return self.shop.shipped(customer=customer or self.customer, lines=lines, **kwargs)

    def post_invoice(self, order) -> Invoice:
        invoice = Invoice.objects.get(order=order, kind=Invoice.Kind.INVOICE)
        with self.capture(execute=True):
            billing.invoice_post(invoice_id=invoice.pk, user=self.shop.finance)
        invoice.refresh_from_db()
        return invoice

    def invoiced_order(self, **kwargs):
        order = self.shipped_order(**kwargs)
        invoice = self.post_invoice(order)
        order.refresh_from_db()
        return order, invoice


ZERO = Decimal("0")
