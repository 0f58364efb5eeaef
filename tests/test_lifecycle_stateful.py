"""The order lifecycle against a simple model, driven by Hypothesis through the real services.

Each example creates one order for a customer of its own and fires actions at it in any
order: price (change the draft's quantity), quote, submit, accept, schedule, start,
mark ready, receive stock, ship part of what is reserved, post an invoice, credit, pay,
cancel. The model says whether each action is allowed and what it changes; after every
step the database must agree with it. An action the model forbids must raise the domain
error and leave every row as it was. Derandomized and bounded so CI is deterministic.
"""

import os
import sys
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

import pytest
from django.db.models import Sum
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from billing import services as billing
from billing.models import Invoice, Payment
from fulfillment import services as fulfillment
from fulfillment.models import StockLevel
from fulfillment.selectors import stock_ledger_mismatches
from orders import services
from orders.errors import DomainError
from orders.models import Order
from orders.roles import Role
from orders.states import BEFORE_SHIPPING, OrderStatus

from .factories import CustomerFactory, ProductFactory, SiteFactory, UserFactory
from .invariants import event_log_violations

S = OrderStatus
PRICE = Decimal("10.00")
GROSS_PER_UNIT = Decimal("12.00")  # list price + the standard 20 % tax
# Arguments for trying each action when the model forbids it (invoice/credit/pay pick invoice 0).
REFUSABLE = {
    "price": {"quantity": 2},
    "quote": {},
    "submit": {},
    "accept": {},
    "schedule": {},
    "start_production": {},
    "mark_ready": {},
    "ship_partially": {"units": 1},
    "invoice": {"which": 0},
    "credit": {"which": 0, "units": 1},
    "pay": {"which": 0, "amount": 5},
    "cancel": {},
}
ATTEMPTS: Counter = Counter()  # (rule, allowed) -> how often, over the whole run


@dataclass
class ModelInvoice:
    id: int
    units: int
    posted: bool = False
    credited_units: int = 0
    paid: Decimal = Decimal("0")

    @property
    def balance(self) -> Decimal:
        return GROSS_PER_UNIT * (self.units - self.credited_units) - self.paid

    @property
    def settled(self) -> bool:
        return self.posted and self.balance <= 0


@dataclass
class Model:
    status: str = S.DRAFT
    quantity: int = 0
    on_hand: int = 0
    reserved: int = 0
    shipped: int = 0
    backordered: bool = False  # accepted while short of stock: arrivals are reserved for it
    invoices: list[ModelInvoice] = field(default_factory=list)

    @property
    def need(self) -> int:
        return self.quantity - self.shipped - self.reserved


class OrderLifecycle(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.users = {role: UserFactory(roles=[role]) for role in Role}
        self.site = SiteFactory()

    @initialize(quantity=st.integers(1, 6), stock=st.integers(0, 8))
    def create(self, quantity, stock):
        self.customer = CustomerFactory(credit_limit=Decimal("1000000"))
        self.product = ProductFactory(list_price=PRICE, standard_cost=Decimal("5.00"))
        self.model = Model(quantity=quantity)
        if stock:
            self._receive(stock)
        self.order = services.order_create(
            customer=self.customer,
            lines=[{"product": self.product, "quantity": Decimal(quantity)}],
            created_by=self.users[Role.SALES_REP],
        )

    # --- helpers --------------------------------------------------------------------------

    def _snapshot(self):
        order = Order.objects.get(pk=self.order.pk)
        line = order.lines.get()
        stock = self._stock()
        return (
            order.status,
            (line.quantity_ordered, line.quantity_reserved, line.quantity_shipped, line.quantity_invoiced),
            order.events.count(),
            list(Invoice.objects.filter(customer=self.customer).order_by("id").values_list("status", "total")),
            list(Invoice.objects.filter(customer=self.customer).values_list("amount_paid", "amount_credited")),
            Payment.objects.filter(customer=self.customer).count(),
            stock,
        )

    def _stock(self):
        """On hand and reserved of the product over every site (reservation looks at them all)."""
        totals = StockLevel.objects.filter(product=self.product).aggregate(
            on_hand=Sum("on_hand", default=0), reserved=Sum("reserved", default=0)
        )
        return totals["on_hand"], totals["reserved"]

    def _attempt(self, allowed: bool, action):
        """Run the action; if the model forbids it, it must raise a domain error and change nothing."""
        ATTEMPTS[(sys._getframe(1).f_code.co_name, allowed)] += 1
        if allowed:
            return action()
        before = self._snapshot()
        with pytest.raises(DomainError):
            action()
        assert self._snapshot() == before
        return None

    def _move(self, action, role, note=""):
        services.order_transition(order_id=self.order.pk, action=action, actor=self.users[role], note=note)

    def _reserve_arrivals(self):
        """What fulfillment does when stock arrives or an order is accepted: top up its reservation."""
        m = self.model
        if m.status in (S.CANCELLED, S.REJECTED, S.CLOSED):
            return
        got = min(m.on_hand - m.reserved, m.need)
        m.reserved += max(got, 0)
        if m.status == S.ACCEPTED and m.need == 0:
            m.status = S.READY_TO_SHIP
        m.backordered = m.need > 0

    def _receive(self, units):
        fulfillment.stock_receive(
            product=self.product, site=self.site, quantity=Decimal(units), user=self.users[Role.WAREHOUSE]
        )
        self.model.on_hand += units

    def _settle(self, invoice: ModelInvoice):
        m = self.model
        if invoice.settled and m.status == S.INVOICED:
            if all(inv.settled for inv in m.invoices if inv.posted):
                m.status = S.PAID

    def legal(self, name) -> bool:
        """Whether the model allows the action now (rules fire when it does; `refused` tries the rest)."""
        m = self.model
        return {
            "price": m.status == S.DRAFT,
            "quote": m.status == S.DRAFT,
            "submit": m.status in (S.DRAFT, S.QUOTED),
            "accept": m.status == S.ENTERED,
            "schedule": m.status == S.ACCEPTED,
            "start_production": m.status == S.SCHEDULED,
            "mark_ready": m.status in (S.IN_PRODUCTION, S.ACCEPTED),
            "ship_partially": m.status in (S.READY_TO_SHIP, S.PARTIALLY_SHIPPED) and m.reserved > 0,
            "invoice": any(not inv.posted for inv in m.invoices),
            "credit": any(inv.posted and inv.credited_units < inv.units for inv in m.invoices),
            "pay": any(inv.posted and not inv.settled for inv in m.invoices),
            "cancel": m.status in BEFORE_SHIPPING and m.shipped == 0,
        }[name]

    # --- rules ----------------------------------------------------------------------------

    @rule(data=st.data())
    def refused(self, data):
        """Try an action the model forbids now: the domain error, and nothing changes."""
        forbidden = [name for name in REFUSABLE if not self.legal(name)]
        if forbidden:
            name = data.draw(st.sampled_from(forbidden))
            getattr(self, name)(**REFUSABLE[name])

    @precondition(lambda self: self.legal("price"))
    @rule(quantity=st.integers(1, 6))
    def price(self, quantity):
        allowed = self.model.status == S.DRAFT
        self._attempt(
            allowed,
            lambda: services.order_line_update(order_id=self.order.pk, line_no=1, quantity=Decimal(quantity)),
        )
        if allowed:
            self.model.quantity = quantity

    @precondition(lambda self: self.legal("quote"))
    @rule()
    def quote(self):
        allowed = self.model.status == S.DRAFT
        self._attempt(allowed, lambda: self._move("quote", Role.SALES_REP))
        if allowed:
            self.model.status = S.QUOTED

    @precondition(lambda self: self.legal("submit"))
    @rule()
    def submit(self):
        allowed = self.model.status in (S.DRAFT, S.QUOTED)
        self._attempt(allowed, lambda: self._move("submit", Role.SALES_REP))
        if allowed:
            self.model.status = S.ENTERED

    @precondition(lambda self: self.legal("accept"))
    @rule()
    def accept(self):
        allowed = self.model.status == S.ENTERED
        self._attempt(allowed, lambda: self._move("accept", Role.REVIEW_BOARD))
        if allowed:
            self.model.status = S.ACCEPTED
            self._reserve_arrivals()

    @precondition(lambda self: self.legal("schedule"))
    @rule()
    def schedule(self):
        allowed = self.model.status == S.ACCEPTED
        self._attempt(allowed, lambda: self._move("schedule", Role.SCHEDULER))
        if allowed:
            self.model.status = S.SCHEDULED

    @precondition(lambda self: self.legal("start_production"))
    @rule()
    def start_production(self):
        allowed = self.model.status == S.SCHEDULED
        self._attempt(allowed, lambda: self._move("start", Role.SCHEDULER))
        if allowed:
            self.model.status = S.IN_PRODUCTION

    @precondition(lambda self: self.legal("mark_ready"))
    @rule()
    def mark_ready(self):
        allowed = self.model.status in (S.IN_PRODUCTION, S.ACCEPTED)
        self._attempt(allowed, lambda: self._move("mark_ready", Role.SCHEDULER))
        if allowed:
            self.model.status = S.READY_TO_SHIP

    @rule(units=st.integers(1, 5))
    def receive_stock(self, units):
        self._receive(units)
        if self.model.backordered:
            self._reserve_arrivals()

    @precondition(lambda self: self.legal("ship_partially"))
    @rule(units=st.integers(1, 6))
    def ship_partially(self, units):
        m = self.model
        units = min(units, m.reserved) or 1
        allowed = m.status in (S.READY_TO_SHIP, S.PARTIALLY_SHIPPED) and m.reserved > 0
        warehouse = self.users[Role.WAREHOUSE]

        def ship():
            shipment = fulfillment.shipment_start(order_id=self.order.pk, site_id=self.site.pk, user=warehouse)
            line = shipment.lines.get()
            fulfillment.shipment_pack(
                shipment_id=shipment.pk,
                quantities={line.order_line_id: Decimal(units)},
                packages=1,
                weight_kg=Decimal("1"),
                user=warehouse,
            )
            fulfillment.shipment_ship(
                shipment_id=shipment.pk,
                carrier="DHL",
                service="",
                tracking_number="T",
                ship_date=timezone.localdate(),
                user=warehouse,
            )

        self._attempt(allowed, ship)
        if allowed:
            m.shipped += units
            m.reserved -= units
            m.on_hand -= units
            m.status = S.SHIPPED if m.shipped == m.quantity else S.PARTIALLY_SHIPPED
            draft = Invoice.objects.filter(order=self.order, kind=Invoice.Kind.INVOICE).order_by("-id").first()
            assert draft is not None and draft.status == Invoice.Status.DRAFT
            m.invoices.append(ModelInvoice(id=draft.pk, units=units))

    @precondition(lambda self: self.legal("invoice"))
    @rule(which=st.integers(0, 5))
    def invoice(self, which):
        m = self.model
        if not m.invoices:
            return
        target = m.invoices[which % len(m.invoices)]
        allowed = not target.posted
        self._attempt(allowed, lambda: billing.invoice_post(invoice_id=target.id, user=self.users[Role.FINANCE]))
        if allowed:
            target.posted = True
            posted_units = sum(inv.units for inv in m.invoices if inv.posted)
            if m.status in (S.SHIPPED, S.DELIVERED) and posted_units >= m.shipped:
                m.status = S.INVOICED

    @precondition(lambda self: self.legal("credit"))
    @rule(which=st.integers(0, 5), units=st.integers(1, 4))
    def credit(self, which, units):
        m = self.model
        if not m.invoices:
            return
        target = m.invoices[which % len(m.invoices)]
        allowed = target.posted and units <= target.units - target.credited_units
        line_id = Invoice.objects.get(pk=target.id).lines.get().pk
        self._attempt(
            allowed,
            lambda: billing.credit_note_issue(
                invoice_id=target.id,
                user=self.users[Role.FINANCE],
                reason="Damaged in transit",
                lines={line_id: {"quantity": Decimal(units)}},
            ),
        )
        if allowed:
            target.credited_units += units
            self._settle(target)

    @precondition(lambda self: self.legal("pay"))
    @rule(which=st.integers(0, 5), amount=st.integers(1, 80))
    def pay(self, which, amount):
        m = self.model
        if not m.invoices:
            return
        target = m.invoices[which % len(m.invoices)]
        allowed = target.posted and not target.settled
        self._attempt(
            allowed,
            lambda: billing.payment_record(
                customer=self.customer,
                amount=Decimal(amount),
                currency=self.customer.currency,
                received_on=timezone.localdate(),
                user=self.users[Role.FINANCE],
                invoice_ids=[target.id],
            ),
        )
        if allowed:
            target.paid += min(Decimal(amount), max(target.balance, Decimal("0")))
            self._settle(target)

    @precondition(lambda self: self.legal("cancel"))
    @rule(now=st.integers(0, 3))
    def cancel(self, now=0):
        if now:  # cancelling ends the story: do it a quarter of the times it is drawn
            return
        m = self.model
        allowed = m.status in BEFORE_SHIPPING and m.shipped == 0
        self._attempt(allowed, lambda: self._move("cancel", Role.SALES_REP, note="Customer withdrew"))
        if allowed:
            m.status = S.CANCELLED
            m.reserved = 0
            m.backordered = False

    # --- invariants -----------------------------------------------------------------------

    @invariant()
    def database_agrees_with_the_model(self):
        m = self.model
        order = Order.objects.get(pk=self.order.pk)
        line = order.lines.get()
        assert order.status == m.status
        assert line.quantity_ordered == m.quantity
        assert (line.quantity_reserved, line.quantity_shipped) == (m.reserved, m.shipped)
        assert line.quantity_invoiced == sum(inv.units for inv in m.invoices)
        assert 0 <= line.quantity_reserved + line.quantity_shipped <= line.quantity_ordered
        assert self._stock() == (m.on_hand, m.reserved)

    @invariant()
    def balance_is_invoiced_minus_credited_minus_paid(self):
        m = self.model
        posted = Invoice.objects.filter(customer=self.customer, kind=Invoice.Kind.INVOICE, status="posted")
        invoiced = sum(inv.total for inv in posted)
        credited = sum(inv.amount_credited for inv in posted)
        paid = sum(inv.amount_paid for inv in posted)
        assert invoiced == GROSS_PER_UNIT * sum(inv.units for inv in m.invoices if inv.posted)
        assert credited == GROSS_PER_UNIT * sum(inv.credited_units for inv in m.invoices)
        assert paid == sum(inv.paid for inv in m.invoices)
        assert sum(inv.balance for inv in posted) == invoiced - credited - paid
        assert sum(inv.balance for inv in posted) == sum(inv.balance for inv in m.invoices if inv.posted)

    @invariant()
    def the_event_log_holds_only_legal_moves(self):
        assert event_log_violations(order_ids=[self.order.pk]) == []
        assert not stock_ledger_mismatches().filter(product=self.product).exists()


@pytest.mark.django_db(transaction=True)
def test_the_order_lifecycle_matches_its_model():
    ATTEMPTS.clear()
    run_state_machine_as_test(
        OrderLifecycle,
        settings=settings(
            max_examples=int(os.environ.get("OMC_LIFECYCLE_EXAMPLES", "20")),
            stateful_step_count=40,
            derandomize=True,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
    # the run reached every step of the life, and tried every step where it is not allowed
    rules = {name for name, _ in ATTEMPTS}
    print("\n" + ", ".join(f"{name} {'ok' if ok else 'refused'} {n}" for (name, ok), n in sorted(ATTEMPTS.items())))
    assert rules == {
        "price", "quote", "submit", "accept", "schedule", "start_production", "mark_ready",
        "ship_partially", "invoice", "credit", "pay", "cancel",
    }  # fmt: skip
    assert all(ATTEMPTS[(name, True)] > 0 for name in rules), ATTEMPTS
    assert all(ATTEMPTS[(name, False)] > 0 for name in rules - {"credit", "pay"}), ATTEMPTS
