"""Every write of returns and claims.

An RMA moves requested → approved → received → credit_pending → completed (or rejected).
Receiving counts the goods as returned on the hub's order lines in the same transaction;
inspection sends restocked goods to fulfillment ("returns.restock") and, for a refund, asks
billing for a credit note ("returns.credit_requested") while a timed work hand-off
"refund:<number>" tells finance it owes one. Billing answers with "billing.credit_issued" (or
"billing.credit_failed"). Returns never imports fulfillment or billing.
"""

from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from orders.errors import ValidationFailed
from orders.models import Customer, Order, OrderLine, Site
from orders.roles import Department
from orders.services import (
    handoff_close_work,
    handoff_open_work,
    number_reserve,
    order_create,
    order_facts_refresh,
    outbox_enqueue,
)
from orders.states import Step

from . import selectors
from .errors import OutsidePolicy, ReturnStateError
from .models import Claim, ClaimLine, ReturnAuthorization, ReturnLine, ReturnPolicy

ZERO = Decimal("0")
RMA = ReturnAuthorization.Status
TOPIC_RESTOCK = "returns.restock"
TOPIC_CREDIT_REQUESTED = "returns.credit_requested"
TOPIC_CLAIM_OPENED = "returns.claim_opened"


def _next_number(prefix: str, series: str) -> str:
    year = timezone.localdate().year
    return f"{prefix}-{year}-{number_reserve(name=f'{series}-{year}'):06d}"


def approval_kind(number: str) -> str:
    return f"approve:{number}"


def return_policy_update(*, days_since_delivery: int, approval_hours, refund_hours, user) -> ReturnPolicy:
    """Customer service sets the policy; it applies to approvals and hand-offs from now on."""
    policy = selectors.return_policy()
    policy.days_since_delivery = days_since_delivery
    policy.approval_hours = approval_hours
    policy.refund_hours = refund_hours
    policy.updated_by = user
    policy.save()
    return policy


# --- RMAs ----------------------------------------------------------------------------------


def rma_create(
    *, customer: Customer, lines: dict[int, Decimal], reason: str, resolution: str, user, note: str = ""
) -> ReturnAuthorization:
    """Record what a customer wants to send back: delivered lines of its orders (any number of
    them), each at most what was shipped less what came back or is already authorized. The
    order lines are locked while this is checked, so two RMAs cannot authorize the same goods.
    Opens a timed hand-off for customer service to approve it."""
    lines = {int(k): Decimal(v) for k, v in lines.items() if Decimal(v) != 0}
    if not lines:
        raise ValidationFailed(
            _("Nothing to return."), field_errors={"lines": [_("Give a quantity for at least one line.")]}
        )
    if any(quantity < 0 for quantity in lines.values()):
        raise ValidationFailed(_("Negative quantity."), field_errors={"lines": [_("Quantities must be positive.")]})
    with transaction.atomic():
        order_lines = OrderLine.objects.select_for_update().select_related("order").in_bulk(sorted(lines))
        errors = []
        if len(order_lines) != len(lines) or any(ol.order.customer_id != customer.pk for ol in order_lines.values()):
            raise ValidationFailed(
                _("Unknown order lines."),
                field_errors={"lines": [_("Only lines of this customer's orders can come back.")]},
            )
        delivered = selectors.delivered_on({ol.order_id for ol in order_lines.values()})
        authorized = selectors.authorized_open(lines)
        for line_id, quantity in lines.items():
            ol = order_lines[line_id]
            if ol.order_id not in delivered:
                errors.append(
                    _("%(number)s line %(line_no)s is not delivered yet.")
                    % {"number": ol.order.number, "line_no": ol.line_no}
                )
                continue
            free = ol.quantity_shipped - ol.quantity_returned - authorized.get(line_id, ZERO)
            if quantity > free:
                errors.append(
                    _("%(number)s line %(line_no)s: at most %(free)s can come back.")
                    % {"number": ol.order.number, "line_no": ol.line_no, "free": free.normalize()}
                )
        if errors:
            raise ValidationFailed(" ".join(errors), field_errors={"lines": errors})
        first_order = min((ol.order for ol in order_lines.values()), key=lambda o: o.pk)
        rma = ReturnAuthorization.objects.create(
            number=_next_number("RMA", "rma"),
            customer=customer,
            reason=reason,
            resolution=resolution,
            note=(note or "").strip(),
            site=first_order.site,
            created_by=user,
            created_at=timezone.now(),
        )
        ReturnLine.objects.bulk_create(
            ReturnLine(rma=rma, order_line_id=line_id, quantity=quantity) for line_id, quantity in lines.items()
        )
        handoff_open_work(
            order=first_order,
            kind=approval_kind(rma.number),
            subject=f"Approve or reject return {rma.number}",
            from_department=Department.CUSTOMER_SERVICE,
            to_department=Department.CUSTOMER_SERVICE,
            hours=selectors.return_policy().approval_hours,
            step=Step.RETURNS,
        )
    return rma


def _locked_rma(rma_id: int, *allowed) -> ReturnAuthorization:
    rma = ReturnAuthorization.objects.select_for_update().get(pk=rma_id)
    if allowed and rma.status not in allowed:
        raise ReturnStateError(
            _("%(number)s is %(lower)s: that is not possible now.")
            % {"number": rma.number, "lower": rma.get_status_display().lower()}
        )
    return rma


def _close_approval(rma: ReturnAuthorization) -> None:
    for order in selectors.rma_orders(rma):
        handoff_close_work(order=order, kind=approval_kind(rma.number))


def rma_approve(*, rma_id: int, user, today=None) -> ReturnAuthorization:
    """Customer service approves a requested RMA when every line was delivered within the
    policy's days (OutsidePolicy otherwise: reject it, with a reason, instead)."""
    today = today or timezone.localdate()
    with transaction.atomic():
        rma = _locked_rma(rma_id, RMA.REQUESTED)
        policy = selectors.return_policy()
        late = [
            f"{line.order_line.order.number} line {line.order_line.line_no} delivered {line.delivered_on:%Y-%m-%d}"
            for line in selectors.rma_lines(rma)
            if line.delivered_on is None or (today - line.delivered_on).days > policy.days_since_delivery
        ]
        if late:
            raise OutsidePolicy(
                _("Outside the %(days_since_delivery)s-day return policy.")
                % {"days_since_delivery": policy.days_since_delivery},
                field_errors={
                    "lines": [
                        _("%(text)s: more than %(days_since_delivery)s days ago.")
                        % {"text": text, "days_since_delivery": policy.days_since_delivery}
                        for text in late
                    ]
                },
            )
        rma.status, rma.approved_by, rma.approved_at = RMA.APPROVED, user, timezone.now()
        rma.save(update_fields=["status", "approved_by", "approved_at"])
        _close_approval(rma)
    return rma


def rma_reject(*, rma_id: int, user, reason: str) -> ReturnAuthorization:
    """Refuse an RMA not yet received, with a reason; its quantities are free again."""
    if not (reason or "").strip():
        raise ValidationFailed(_("A reason is required."), field_errors={"reason": [_("Say why.")]})
    with transaction.atomic():
        rma = _locked_rma(rma_id, RMA.REQUESTED, RMA.APPROVED)
        rma.status, rma.rejection_reason, rma.completed_at = RMA.REJECTED, reason.strip(), timezone.now()
        rma.save(update_fields=["status", "rejection_reason", "completed_at"])
        _close_approval(rma)
    return rma


def rma_receive(*, rma_id: int, user, site: Site, quantities: dict[int, Decimal]) -> ReturnAuthorization:
    """The warehouse records what arrived (per RMA line, at most what was authorized). The
    arrived quantities count as returned on the order lines, in this same transaction."""
    with transaction.atomic():
        rma = _locked_rma(rma_id, RMA.APPROVED)
        lines = {line.pk: line for line in rma.lines.all()}
        received = {int(k): Decimal(v) for k, v in quantities.items() if v is not None}
        errors = [
            f"Line {line_id}: between 0 and {lines[line_id].quantity.normalize()}."
            for line_id, quantity in received.items()
            if line_id not in lines or not ZERO <= quantity <= lines[line_id].quantity
        ]
        if errors:
            raise ValidationFailed(_("Received more than authorized."), field_errors={"quantities": errors})
        if not any(received.values()):
            raise ValidationFailed(
                _("Nothing arrived."), field_errors={"quantities": [_("Give at least one quantity.")]}
            )
        order_lines = OrderLine.objects.select_for_update().in_bulk(
            sorted(line.order_line_id for line in lines.values())
        )
        for line_id, quantity in received.items():
            line = lines[line_id]
            line.quantity_received = quantity
            line.save(update_fields=["quantity_received"])
            order_line = order_lines[line.order_line_id]
            order_line.quantity_returned += quantity
            order_line.save(update_fields=["quantity_returned"])
        rma.status, rma.site, rma.received_by, rma.received_at = RMA.RECEIVED, site, user, timezone.now()
        rma.save(update_fields=["status", "site", "received_by", "received_at"])
        order_facts_refresh(order_ids={line.order_id for line in order_lines.values()})  # the return rate
    return rma


def rma_inspect(*, rma_id: int, user, dispositions: dict[int, str], notes: dict[int, str] | None = None):
    """The warehouse decides per received line: restock (fulfillment books a "return" stock
    movement), scrap or repair. Then the resolution: a refund asks billing for a credit note and
    opens finance's timed "refund:<number>" hand-off; a replacement creates a draft order for the
    received goods, free of charge, linked to this RMA; a repair completes the RMA."""
    notes = notes or {}
    with transaction.atomic():
        rma = _locked_rma(rma_id, RMA.RECEIVED)
        lines = [line for line in rma.lines.select_related("order_line__product", "order_line__order")]
        arrived = [line for line in lines if line.quantity_received > 0]
        missing = [line.pk for line in arrived if dispositions.get(line.pk) not in ReturnLine.Disposition.values]
        if missing:
            raise ValidationFailed(
                _("Choose a disposition for every line that arrived."),
                field_errors={"dispositions": [f"Line {line_id}: restock, scrap or repair." for line_id in missing]},
            )
        for line in arrived:
            line.disposition = dispositions[line.pk]
            line.inspection_note = (notes.get(line.pk) or "").strip()[:300]
            line.save(update_fields=["disposition", "inspection_note"])
        restock = {
            str(line.order_line_id): str(line.quantity_received)
            for line in arrived
            if line.disposition == ReturnLine.Disposition.RESTOCK
        }
        first_order = min((line.order_line.order for line in arrived), key=lambda o: o.pk)
        if restock:
            outbox_enqueue(
                topic=TOPIC_RESTOCK,
                order=first_order,
                payload={"site_id": rma.site_id, "lines": restock, "reference": rma.number},
            )
        rma.inspected_by, rma.inspected_at = user, timezone.now()
        if rma.resolution == ReturnAuthorization.Resolution.REFUND:
            rma.status = RMA.CREDIT_PENDING
            _request_credit(
                source="rma",
                source_id=rma.pk,
                reference=rma.number,
                reason=f"Return {rma.number}: {rma.get_reason_display()}",
                invoice_id=None,
                lines={line.order_line_id: (line.quantity_received, None) for line in arrived},
                orders=sorted({line.order_line.order for line in arrived}, key=lambda o: o.pk),
                handoff_kind=rma.handoff_kind,
                first_order=first_order,
            )
        elif rma.resolution == ReturnAuthorization.Resolution.REPLACEMENT:
            rma.replacement_order = order_create(
                customer=rma.customer,
                lines=[
                    {"product": line.order_line.product, "quantity": line.quantity_received, "unit_price": ZERO}
                    for line in arrived
                ],
                created_by=rma.approved_by or user,
                customer_po=f"Replacement {rma.number}",
                site=rma.site,
            )
            rma.status, rma.completed_at = RMA.COMPLETED, timezone.now()
        else:
            rma.status, rma.completed_at = RMA.COMPLETED, timezone.now()
        rma.save(update_fields=["status", "inspected_by", "inspected_at", "replacement_order", "completed_at"])
    return rma


def _request_credit(
    *, source, source_id, reference, reason, invoice_id, lines, orders, handoff_kind, first_order
) -> None:
    payload = {
        "source": source,
        "source_id": source_id,
        "reference": reference,
        "reason": reason,
        "invoice_id": invoice_id,
        "handoff_kind": handoff_kind,
        "lines": {
            str(line_id): {"quantity": str(quantity), "unit_price": None if price is None else str(price)}
            for line_id, (quantity, price) in lines.items()
        },
    }
    for order in orders:
        handoff_open_work(
            order=order,
            kind=handoff_kind,
            subject=f"Issue the credit note for {reference}",
            from_department=Department.CUSTOMER_SERVICE if source == "claim" else Department.LOGISTICS,
            to_department=Department.FINANCE,
            hours=selectors.return_policy().refund_hours,
            step=Step.RETURNS,
        )
    outbox_enqueue(topic=TOPIC_CREDIT_REQUESTED, order=first_order, payload=payload)


def rma_request_credit_again(*, rma_id: int, user) -> ReturnAuthorization:
    """Finance asks billing again after a failure it has fixed (e.g. the invoice is now posted)."""
    with transaction.atomic():
        rma = _locked_rma(rma_id, RMA.CREDIT_PENDING)
        lines = [line for line in rma.lines.select_related("order_line__order") if line.quantity_received > 0]
        orders = sorted({line.order_line.order for line in lines}, key=lambda o: o.pk)
        rma.credit_failure = ""
        rma.save(update_fields=["credit_failure"])
        _request_credit(
            source="rma",
            source_id=rma.pk,
            reference=rma.number,
            reason=f"Return {rma.number}: {rma.get_reason_display()}",
            invoice_id=None,
            lines={line.order_line_id: (line.quantity_received, None) for line in lines},
            orders=orders,
            handoff_kind=rma.handoff_kind,
            first_order=orders[0],
        )
    return rma


# --- claims --------------------------------------------------------------------------------


def claim_open(
    *,
    order: Order,
    invoice_id: int,
    invoice_number: str,
    kind: str,
    description: str,
    lines: dict[int, dict],
    user,
) -> Claim:
    """Record a claim against an invoice of the order: lines of the order, each at most what was
    invoiced; a price dispute names the credit per unit. Billing is told the invoice is disputed
    ("returns.claim_opened", billing accuracy). Opens a timed hand-off to customer service to
    resolve it."""
    if not (description or "").strip():
        raise ValidationFailed(_("Describe the claim."), field_errors={"description": [_("Say what is wrong.")]})
    lines = {int(k): v for k, v in lines.items() if v.get("quantity")}
    if not lines:
        raise ValidationFailed(
            _("No lines claimed."), field_errors={"lines": [_("Give a quantity for at least one line.")]}
        )
    with transaction.atomic():
        order_lines = OrderLine.objects.select_for_update().filter(order=order).in_bulk(sorted(lines))
        errors = []
        for line_id, spec in lines.items():
            ol = order_lines.get(line_id)
            if ol is None:
                errors.append(f"Line {line_id} is not on order {order.number}.")
            elif not ZERO < Decimal(spec["quantity"]) <= ol.quantity_invoiced:
                errors.append(
                    _("Line %(line_no)s: between 0 and the invoiced %(quantity_invoiced)s.")
                    % {"line_no": ol.line_no, "quantity_invoiced": ol.quantity_invoiced.normalize()}
                )
            elif kind == Claim.Kind.PRICE_DISPUTE and not spec.get("unit_price"):
                errors.append(
                    _("Line %(line_no)s: a price dispute names the credit per unit.") % {"line_no": ol.line_no}
                )
            elif spec.get("unit_price") is not None and Decimal(spec["unit_price"]) <= 0:
                errors.append(_("Line %(line_no)s: the credit per unit must be positive.") % {"line_no": ol.line_no})
        if errors:
            raise ValidationFailed(" ".join(errors), field_errors={"lines": errors})
        claim = Claim.objects.create(
            number=_next_number("CLM", "claim"),
            customer=order.customer,
            order=order,
            invoice_id=invoice_id,
            invoice_number=(invoice_number or "").strip(),
            kind=kind,
            description=description.strip(),
            created_by=user,
            created_at=timezone.now(),
        )
        ClaimLine.objects.bulk_create(
            ClaimLine(
                claim=claim,
                order_line_id=line_id,
                quantity=Decimal(spec["quantity"]),
                unit_price=Decimal(spec["unit_price"]) if spec.get("unit_price") else None,
            )
            for line_id, spec in lines.items()
        )
        outbox_enqueue(topic=TOPIC_CLAIM_OPENED, order=order, payload={"invoice_id": invoice_id})
        handoff_open_work(
            order=order,
            kind=approval_kind(claim.number),
            subject=f"Resolve claim {claim.number}",
            from_department=Department.CUSTOMER_SERVICE,
            to_department=Department.CUSTOMER_SERVICE,
            hours=selectors.return_policy().approval_hours,
            step=Step.RETURNS,
        )
    return claim


def _locked_claim(claim_id: int, *allowed) -> Claim:
    claim = Claim.objects.select_for_update().select_related("order").get(pk=claim_id)
    if allowed and claim.status not in allowed:
        raise ReturnStateError(
            _("%(number)s is %(lower)s: that is not possible now.")
            % {"number": claim.number, "lower": claim.get_status_display().lower()}
        )
    return claim


def claim_accept(*, claim_id: int, user) -> Claim:
    """Customer service accepts the claim: billing is asked for a credit note on the claimed
    invoice, and finance gets the timed "refund:<number>" hand-off."""
    with transaction.atomic():
        claim = _locked_claim(claim_id, Claim.Status.OPEN, Claim.Status.CREDIT_PENDING)
        claim.status, claim.resolved_by, claim.resolved_at, claim.credit_failure = (
            Claim.Status.CREDIT_PENDING,
            user,
            timezone.now(),
            "",
        )
        claim.save(update_fields=["status", "resolved_by", "resolved_at", "credit_failure"])
        handoff_close_work(order=claim.order, kind=approval_kind(claim.number))
        _request_credit(
            source="claim",
            source_id=claim.pk,
            reference=claim.number,
            reason=f"Claim {claim.number} ({claim.get_kind_display().lower()}): {claim.description}"[:300],
            invoice_id=claim.invoice_id,
            lines={line.order_line_id: (line.quantity, line.unit_price) for line in claim.lines.all()},
            orders=[claim.order],
            handoff_kind=claim.handoff_kind,
            first_order=claim.order,
        )
    return claim


def claim_reject(*, claim_id: int, user, reason: str) -> Claim:
    """Refuse an open claim with a reason (the invoice stays counted as disputed)."""
    if not (reason or "").strip():
        raise ValidationFailed(_("A reason is required."), field_errors={"reason": [_("Say why.")]})
    with transaction.atomic():
        claim = _locked_claim(claim_id, Claim.Status.OPEN)
        claim.status, claim.rejection_reason = Claim.Status.REJECTED, reason.strip()
        claim.resolved_by, claim.resolved_at = user, timezone.now()
        claim.save(update_fields=["status", "rejection_reason", "resolved_by", "resolved_at"])
        handoff_close_work(order=claim.order, kind=approval_kind(claim.number))
    return claim


# --- billing's answers ---------------------------------------------------------------------


def credit_issued(*, source: str, source_id: int, credit_note_numbers: list[str]) -> None:
    """Billing issued the credit notes: the RMA completes, the claim is credited. Idempotent."""
    numbers = ", ".join(credit_note_numbers)[:300]
    now = timezone.now()
    if source == "rma":
        ReturnAuthorization.objects.filter(pk=source_id, status=RMA.CREDIT_PENDING).update(
            status=RMA.COMPLETED, credit_note_numbers=numbers, credit_failure="", completed_at=now
        )
    elif source == "claim":
        Claim.objects.filter(pk=source_id, status=Claim.Status.CREDIT_PENDING).update(
            status=Claim.Status.CREDITED, credit_note_numbers=numbers, credit_failure=""
        )


def credit_failed(*, source: str, source_id: int, reason: str) -> None:
    """Billing could not credit (e.g. not yet invoiced): kept on the RMA or claim for finance;
    the refund hand-off stays open and keeps its deadline."""
    model = ReturnAuthorization if source == "rma" else Claim
    model.objects.filter(pk=source_id).update(credit_failure=reason[:500])
