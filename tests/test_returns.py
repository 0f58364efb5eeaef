"""Returns and claims: RMAs across orders, receiving, inspection, restock, credit notes through
billing's hand-off, replacements, claims, the refund service level, pages and API."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from billing import services as billing
from billing.models import Invoice
from fulfillment import services as fulfillment
from fulfillment.models import StockLevel, StockMovement
from orders.errors import ValidationFailed
from orders.models import Alert, Handoff, OrderEvent
from orders.roles import Department, Role
from orders.services import handoffs_scan_overdue
from orders.states import OrderStatus
from returns import selectors, services
from returns.errors import OutsidePolicy, ReturnStateError
from returns.models import Claim, ReturnAuthorization, ReturnLine

from .billing_support import ShippedOrders
from .factories import CustomerFactory
from .history import rewriting_history

pytestmark = pytest.mark.django_db
D = Decimal


class DeliveredOrders(ShippedOrders):
    """delivered(customer=..., lines=[(qty, price, discount)], invoice=True) -> an order shipped,
    delivered and (optionally) invoiced on a posted invoice, all through the real services."""

    def delivered(self, *, invoice=True, **kwargs):
        order = self.order(**kwargs)
        shipment = self.ship(order)
        with self.capture(execute=True):
            fulfillment.shipment_deliver(shipment_id=shipment.pk, user=self.warehouse)
        if invoice:
            draft = Invoice.objects.get(order=order, kind=Invoice.Kind.INVOICE)
            with self.capture(execute=True):
                billing.invoice_post(invoice_id=draft.pk, user=self.finance)
        order.refresh_from_db()
        return order


@pytest.fixture
def shop(user_with, django_capture_on_commit_callbacks):
    return DeliveredOrders(user_with, django_capture_on_commit_callbacks)


@pytest.fixture
def service(user_with):
    return user_with(Role.CUSTOMER_SERVICE)


def _line(order, line_no=1):
    return order.lines.get(line_no=line_no)


def test_a_partial_return_across_two_orders_restocks_credits_and_counts_returned(shop, service, capture_all):
    customer = CustomerFactory()
    first = shop.delivered(customer=customer, lines=[("10", "100.00", "0")])
    second = shop.delivered(customer=customer, lines=[("4", "50.00", "0"), ("2", "80.00", "0")])
    a, b = _line(first), _line(second, 2)

    with capture_all():
        rma = services.rma_create(
            customer=customer, lines={a.pk: D("3"), b.pk: D("2")}, reason="defective", resolution="refund", user=service
        )
        services.rma_approve(rma_id=rma.pk, user=service)
        lines = {line.order_line_id: line for line in rma.lines.all()}
        services.rma_receive(
            rma_id=rma.pk,
            user=shop.warehouse,
            site=shop.site,
            quantities={lines[a.pk].pk: D("3"), lines[b.pk].pk: D("1")},  # one of the two never arrived
        )
        services.rma_inspect(
            rma_id=rma.pk,
            user=shop.warehouse,
            dispositions={lines[a.pk].pk: "restock", lines[b.pk].pk: "scrap"},
        )

    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.quantity_returned, b.quantity_returned) == (D("3"), D("1"))
    # only the restocked line goes back on the shelf, as a "return" movement tied to its line
    movements = StockMovement.objects.filter(kind=StockMovement.Kind.RETURN)
    assert list(movements.values_list("order_line_id", "quantity", "on_hand_delta")) == [(a.pk, D("3"), D("3"))]
    assert StockLevel.objects.get(product=a.product, site=shop.site).on_hand == D("3")
    # billing credited each order's invoice: 3 × 100 and 1 × 80, plus tax
    credits = Invoice.objects.filter(kind=Invoice.Kind.CREDIT_NOTE).order_by("corrects__order_id")
    assert [(c.corrects.order_id, c.subtotal) for c in credits] == [(first.pk, D("300.00")), (second.pk, D("80.00"))]
    rma.refresh_from_db()
    assert rma.status == ReturnAuthorization.Status.COMPLETED
    assert rma.credit_note_numbers == ", ".join(c.number for c in credits.order_by("corrects_id"))
    # finance's refund hand-offs opened on both orders and closed by billing
    refunds = Handoff.objects.filter(kind=rma.handoff_kind)
    assert sorted(h.order_id for h in refunds) == sorted([first.pk, second.pk])
    assert all(h.to_department == Department.FINANCE and h.closed_at for h in refunds)
    # the approval hand-off to customer service closed on approval
    assert Handoff.objects.get(kind=f"approve:{rma.number}").closed_at is not None


@pytest.fixture
def capture_all(django_capture_on_commit_callbacks):
    """Run every after-commit callback (outbox messages, and the messages those produce)."""

    def capture():
        return django_capture_on_commit_callbacks(execute=True)

    return capture


def test_an_rma_takes_only_delivered_goods_not_yet_returned_or_authorized(shop, service):
    customer = CustomerFactory()
    order = shop.delivered(customer=customer, lines=[("5", "10.00", "0")])
    undelivered = shop.order(customer=customer)
    line = _line(order)

    services.rma_create(
        customer=customer, lines={line.pk: D("4")}, reason="defective", resolution="refund", user=service
    )

    with pytest.raises(ValidationFailed) as too_many:
        services.rma_create(
            customer=customer, lines={line.pk: D("2")}, reason="other", resolution="refund", user=service
        )
    assert "at most 1" in too_many.value.field_errors["lines"][0]
    with pytest.raises(ValidationFailed, match="not delivered"):
        services.rma_create(
            customer=customer, lines={_line(undelivered).pk: D("1")}, reason="other", resolution="refund", user=service
        )
    with pytest.raises(ValidationFailed):  # another customer's goods
        services.rma_create(
            customer=CustomerFactory(), lines={line.pk: D("1")}, reason="other", resolution="refund", user=service
        )
    assert [r.returnable for r in selectors.returnable_lines(customer_id=customer.pk)] == [D("1")]


def test_approval_keeps_to_the_return_policy_which_customer_service_sets(shop, service):
    customer = CustomerFactory()
    order = shop.delivered(customer=customer)
    with rewriting_history():  # the event log is append-only; the test moves the delivery back
        OrderEvent.objects.filter(order=order, action="deliver").update(created_at=timezone.now() - timedelta(days=45))
    rma = services.rma_create(
        customer=customer, lines={_line(order).pk: D("1")}, reason="no_longer_needed", resolution="refund", user=service
    )

    with pytest.raises(OutsidePolicy) as late:
        services.rma_approve(rma_id=rma.pk, user=service)
    assert "30 days" in late.value.field_errors["lines"][0]

    services.return_policy_update(days_since_delivery=60, approval_hours=D("24"), refund_hours=D("48"), user=service)
    assert services.rma_approve(rma_id=rma.pk, user=service).status == ReturnAuthorization.Status.APPROVED
    with pytest.raises(ReturnStateError):
        services.rma_approve(rma_id=rma.pk, user=service)


def test_a_slow_refund_raises_an_alert_for_finance(shop, service, capture_all):
    customer = CustomerFactory()
    order = shop.delivered(customer=customer, invoice=False)  # not invoiced: billing cannot credit yet
    with capture_all():
        rma = services.rma_create(
            customer=customer, lines={_line(order).pk: D("2")}, reason="damaged", resolution="refund", user=service
        )
        services.rma_approve(rma_id=rma.pk, user=service)
        line = rma.lines.get()
        services.rma_receive(rma_id=rma.pk, user=shop.warehouse, site=shop.site, quantities={line.pk: D("2")})
        services.rma_inspect(rma_id=rma.pk, user=shop.warehouse, dispositions={line.pk: "restock"})

    rma.refresh_from_db()
    assert rma.status == ReturnAuthorization.Status.CREDIT_PENDING
    assert "not on a posted invoice" in rma.credit_failure
    refund = Handoff.objects.get(order=order, kind=rma.handoff_kind, closed_at__isnull=True)
    assert refund.due_at - refund.opened_at == timedelta(hours=48)

    handoffs_scan_overdue(now=refund.due_at + timedelta(minutes=1))

    alert = Alert.objects.get(handoff=refund)
    assert (alert.level, alert.department) == (Alert.Level.OVERDUE, Department.FINANCE)


def test_finance_asks_again_once_the_goods_are_invoiced_and_the_alert_resolves(shop, service, capture_all):
    customer = CustomerFactory()
    order = shop.delivered(customer=customer, invoice=False)
    with capture_all():
        rma = services.rma_create(
            customer=customer, lines={_line(order).pk: D("1")}, reason="damaged", resolution="refund", user=service
        )
        services.rma_approve(rma_id=rma.pk, user=service)
        line = rma.lines.get()
        services.rma_receive(rma_id=rma.pk, user=shop.warehouse, site=shop.site, quantities={line.pk: D("1")})
        services.rma_inspect(rma_id=rma.pk, user=shop.warehouse, dispositions={line.pk: "scrap"})
    refund = Handoff.objects.get(kind=rma.handoff_kind)
    handoffs_scan_overdue(now=refund.due_at + timedelta(minutes=1))
    with capture_all():
        billing.invoice_post(invoice_id=Invoice.objects.get(order=order).pk, user=shop.finance)

    with capture_all():
        services.rma_request_credit_again(rma_id=rma.pk, user=shop.finance)

    rma.refresh_from_db()
    assert rma.status == ReturnAuthorization.Status.COMPLETED and rma.credit_note_numbers.startswith("CN-")
    refund.refresh_from_db()
    assert refund.closed_at is not None
    assert Alert.objects.get(handoff=refund).resolved_at is not None


def test_a_replacement_is_a_new_draft_order_linked_to_the_rma(shop, service, capture_all):
    customer = CustomerFactory()
    order = shop.delivered(customer=customer, lines=[("3", "100.00", "0")])
    with capture_all():
        rma = services.rma_create(
            customer=customer,
            lines={_line(order).pk: D("2")},
            reason="wrong_item",
            resolution="replacement",
            user=service,
        )
        services.rma_approve(rma_id=rma.pk, user=service)
        line = rma.lines.get()
        services.rma_receive(rma_id=rma.pk, user=shop.warehouse, site=shop.site, quantities={line.pk: D("2")})
        services.rma_inspect(rma_id=rma.pk, user=shop.warehouse, dispositions={line.pk: "repair"})

    rma.refresh_from_db()
    replacement = rma.replacement_order
    assert rma.status == ReturnAuthorization.Status.COMPLETED
    assert replacement.customer == customer and replacement.status == OrderStatus.DRAFT
    assert replacement.customer_po == f"Replacement {rma.number}"
    assert list(replacement.lines.values_list("product_id", "quantity_ordered", "unit_price")) == [
        (_line(order).product_id, D("2"), D("0"))
    ]
    assert not Invoice.objects.filter(kind=Invoice.Kind.CREDIT_NOTE).exists()
    assert not StockMovement.objects.filter(kind=StockMovement.Kind.RETURN).exists()  # repaired, not restocked


def test_a_rejected_rma_frees_its_quantities_and_needs_a_reason(shop, service):
    customer = CustomerFactory()
    order = shop.delivered(customer=customer, lines=[("2", "10.00", "0")])
    rma = services.rma_create(
        customer=customer, lines={_line(order).pk: D("2")}, reason="other", resolution="refund", user=service
    )
    with pytest.raises(ValidationFailed):
        services.rma_reject(rma_id=rma.pk, user=service, reason=" ")

    services.rma_reject(rma_id=rma.pk, user=service, reason="Customer misused it")

    assert [r.returnable for r in selectors.returnable_lines(customer_id=customer.pk)] == [D("2")]


def test_a_price_dispute_claim_disputes_the_invoice_and_is_credited(shop, service, capture_all):
    order = shop.delivered(lines=[("10", "100.00", "0")])
    invoice = Invoice.objects.get(order=order, kind=Invoice.Kind.INVOICE)
    line = _line(order)

    with capture_all():
        claim = services.claim_open(
            order=order,
            invoice_id=invoice.pk,
            invoice_number=invoice.number,
            kind="price_dispute",
            description="Agreed 95.00 a piece",
            lines={line.pk: {"quantity": D("10"), "unit_price": D("5.00")}},
            user=service,
        )
    invoice.refresh_from_db()
    assert invoice.disputed_at is not None  # counts against billing accuracy

    with capture_all():
        services.claim_accept(claim_id=claim.pk, user=service)

    claim.refresh_from_db()
    credit = Invoice.objects.get(kind=Invoice.Kind.CREDIT_NOTE)
    assert claim.status == Claim.Status.CREDITED and claim.credit_note_numbers == credit.number
    assert (credit.corrects_id, credit.subtotal) == (invoice.pk, D("50.00"))
    assert Handoff.objects.get(kind=claim.handoff_kind).closed_at is not None


def test_claims_are_checked_and_rejected_with_a_reason(shop, service):
    order = shop.delivered(lines=[("10", "100.00", "0")])
    invoice = Invoice.objects.get(order=order)
    line = _line(order)
    args = {"order": order, "invoice_id": invoice.pk, "invoice_number": invoice.number, "user": service}

    with pytest.raises(ValidationFailed):  # more than invoiced
        services.claim_open(kind="shortage", description="x", lines={line.pk: {"quantity": D("11")}}, **args)
    with pytest.raises(ValidationFailed):  # a price dispute names the credit per unit
        services.claim_open(kind="price_dispute", description="x", lines={line.pk: {"quantity": D("1")}}, **args)
    claim = services.claim_open(kind="damage", description="Box crushed", lines={line.pk: {"quantity": D("1")}}, **args)
    with pytest.raises(ValidationFailed):
        services.claim_reject(claim_id=claim.pk, user=service, reason="")

    services.claim_reject(claim_id=claim.pk, user=service, reason="Damage happened after delivery")

    claim.refresh_from_db()
    assert claim.status == Claim.Status.REJECTED
    assert Handoff.objects.get(kind=f"approve:{claim.number}").closed_at is not None


# --- API -------------------------------------------------------------------------------------


def test_api_rma_roles_bad_input_and_the_flow(shop, api_as, capture_all):
    customer = CustomerFactory()
    order = shop.delivered(customer=customer)
    line = _line(order)
    cs, warehouse = api_as(Role.CUSTOMER_SERVICE), api_as(Role.WAREHOUSE)
    body = {"customer": customer.pk, "reason": "defective", "resolution": "refund", "lines": []}

    assert warehouse.post("/api/returns/rmas/", body, format="json").status_code == 403
    bad = cs.post("/api/returns/rmas/", {**body, "reason": "bored"}, format="json")
    assert bad.status_code == 400 and {"reason", "lines"} <= set(bad.json())
    too_many = cs.post(
        "/api/returns/rmas/", {**body, "lines": [{"order_line": line.pk, "quantity": "99"}]}, format="json"
    )
    assert too_many.status_code == 400 and "lines" in too_many.json()

    created = cs.post(
        "/api/returns/rmas/", {**body, "lines": [{"order_line": line.pk, "quantity": "2"}]}, format="json"
    )
    assert created.status_code == 201, created.json()
    rma_id, rma_line = created.json()["id"], created.json()["lines"][0]["id"]
    assert cs.post(f"/api/returns/rmas/{rma_id}/receive/", {}, format="json").status_code == 403
    assert warehouse.post(f"/api/returns/rmas/{rma_id}/approve/").status_code == 403
    assert cs.post(f"/api/returns/rmas/{rma_id}/approve/").status_code == 200
    assert cs.post(f"/api/returns/rmas/{rma_id}/approve/").status_code == 409
    received = warehouse.post(
        f"/api/returns/rmas/{rma_id}/receive/",
        {"site": shop.site.pk, "lines": [{"line": rma_line, "quantity": "2"}]},
        format="json",
    )
    assert received.status_code == 200 and received.json()["status"] == "received"
    with capture_all():
        inspected = warehouse.post(
            f"/api/returns/rmas/{rma_id}/inspect/",
            {"lines": [{"line": rma_line, "disposition": "melt"}]},
            format="json",
        )
        assert inspected.status_code == 400
        inspected = warehouse.post(
            f"/api/returns/rmas/{rma_id}/inspect/",
            {"lines": [{"line": rma_line, "disposition": "restock"}]},
            format="json",
        )
    assert inspected.status_code == 200
    detail = api_as(Role.FINANCE).get(f"/api/returns/rmas/{rma_id}/").json()
    assert detail["status"] == "completed" and detail["credit_note_numbers"].startswith("CN-")
    assert api_as(Role.FIELD_SERVICE).get("/api/returns/rmas/").status_code == 403
    assert cs.get(f"/api/returns/returnable-lines/?customer={customer.pk}").json()[0]["returnable"] == "8.000"
    assert cs.get("/api/returns/returnable-lines/?customer=abc").status_code == 400


def test_api_claims(shop, api_as):
    order = shop.delivered(lines=[("10", "100.00", "0")])
    invoice = Invoice.objects.get(order=order)
    cs = api_as(Role.CUSTOMER_SERVICE)
    body = {
        "order": order.pk,
        "invoice_id": invoice.pk,
        "kind": "shortage",
        "description": "Two missing",
        "lines": [{"order_line": _line(order).pk, "quantity": "2"}],
    }
    assert api_as(Role.SALES_REP).post("/api/returns/claims/", body, format="json").status_code == 403
    assert cs.post("/api/returns/claims/", {**body, "kind": "mood"}, format="json").status_code == 400
    created = cs.post("/api/returns/claims/", body, format="json")
    assert created.status_code == 201
    claim_id = created.json()["id"]
    assert cs.post(f"/api/returns/claims/{claim_id}/reject/", {}, format="json").status_code == 400
    assert cs.post(f"/api/returns/claims/{claim_id}/reject/", {"reason": "Counted"}, format="json").status_code == 200
    assert cs.post(f"/api/returns/claims/{claim_id}/accept/").status_code == 409


# --- pages -----------------------------------------------------------------------------------


def test_pages_list_create_label_and_role_checks(shop, client, user_with):
    customer = CustomerFactory()
    order = shop.delivered(customer=customer)
    line = _line(order)
    cs = user_with(Role.CUSTOMER_SERVICE)
    client.force_login(cs)

    empty = client.get("/returns/")
    assert empty.status_code == 200 and "No returns match." in empty.content.decode()
    form = client.get(f"/returns/new/?customer={customer.pk}")
    assert form.status_code == 200 and order.number in form.content.decode()
    bad = client.post(
        "/returns/new/",
        {"customer": customer.pk, "reason": "defective", "resolution": "refund", f"qty_{line.pk}": "99"},
    )
    assert bad.status_code == 400 and "Please correct the errors below." in bad.content.decode()
    nothing = client.post("/returns/new/", {"customer": customer.pk, "reason": "defective", "resolution": "refund"})
    assert nothing.status_code == 400 and "at least one line" in nothing.content.decode()
    created = client.post(
        "/returns/new/", {"customer": customer.pk, "reason": "defective", "resolution": "refund", f"qty_{line.pk}": "2"}
    )
    rma = ReturnAuthorization.objects.get()
    assert created.status_code == 302 and created.url == f"/returns/{rma.pk}/"
    assert client.get(f"/returns/{rma.pk}/label/").status_code == 302  # not approved yet
    client.post(f"/returns/{rma.pk}/approve/")
    label = client.get(f"/returns/{rma.pk}/label/")
    assert label.status_code == 200 and rma.number in label.content.decode()
    order_page = client.get(f"/orders/{order.pk}/").content.decode()
    assert 'data-testid="returns-panel"' in order_page and rma.number in order_page
    assert client.get("/returns/999999/").status_code == 404

    client.force_login(user_with(Role.FIELD_SERVICE))
    assert client.get("/returns/").status_code == 403
    client.force_login(user_with(Role.WAREHOUSE))
    assert client.post(f"/returns/{rma.pk}/approve/").status_code == 403
    receive = client.post(f"/returns/{rma.pk}/receive/", {"site": shop.site.pk, f"recv_{rma.lines.get().pk}": "x"})
    assert receive.status_code == 302
    assert ReturnLine.objects.get().quantity_received == 0


def test_finance_sees_credits_due_and_claims_page(shop, client, user_with):
    order = shop.delivered()
    client.force_login(user_with(Role.FINANCE))
    assert "No returns wait for a credit." in client.get("/returns/credits/").content.decode()
    assert client.get("/returns/claims/").status_code == 200
    assert client.get(f"/returns/claims/new/{order.pk}/").status_code == 403
    client.force_login(user_with(Role.CUSTOMER_SERVICE))
    page = client.get(f"/returns/claims/new/{order.pk}/")
    assert page.status_code == 200 and "/api/billing/invoices/?order=" in page.content.decode()
    bad = client.post(f"/returns/claims/new/{order.pk}/", {"kind": "shortage", "description": ""})
    assert bad.status_code == 400
